"""ListInstances responses and FC errors → the types of :mod:`fcwatch.fc.model`. Pure.

Anything a server (or a proxy in front of it) may send ends either in a
:class:`~fcwatch.fc.model.ListInstancesResult` or in an :class:`~fcwatch.fc.model.FCError`;
no other exception escapes these functions. A 200 whose body is not the expected JSON shape
is an error of kind ``protocol``, never an empty instance list.
"""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fcwatch.fc.model import ErrorKind, FCError, Instance, ListInstancesResult

REQUEST_ID_HEADER = "x-fc-request-id"
MAX_MESSAGE_CHARS = 300

THROTTLING_CODES = frozenset({"ResourceExhausted", "ResourceThrottled", "Throttling"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that also works on plain dicts."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def short_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """One line, at most ``limit`` characters: safe to log and to put in a status."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _decode_json(body: bytes) -> Any:
    """Parsed JSON, or raise ``ValueError`` (bad UTF-8, bad JSON, NaN and friends)."""

    def reject_constant(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(body.decode("utf-8"), parse_constant=reject_constant)


def _str_field(obj: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def request_id_of(headers: Mapping[str, str], body: Any = None) -> str | None:
    """``X-Fc-Request-Id``, else the body's ``requestId`` / ``RequestId``."""
    rid = header(headers, REQUEST_ID_HEADER)
    if rid:
        return rid
    if isinstance(body, Mapping):
        return _str_field(body, "requestId", "RequestId")
    return None


def _protocol(message: str, status: int | None, request_id: str | None) -> FCError:
    return FCError(
        kind="protocol",
        message=message,
        http_status=status,
        request_id=request_id,
        retryable=False,
    )


def parse_instance(item: Any, index: int) -> Instance:
    """One element of ``instances``; ``ValueError`` naming the field if it has the wrong shape."""
    if not isinstance(item, Mapping):
        raise ValueError(f"instances[{index}] is not an object")
    instance_id = item.get("instanceId")
    if not isinstance(instance_id, str) or not instance_id:
        raise ValueError(f"instances[{index}].instanceId is not a non-empty string")
    version = item.get("versionId")
    if isinstance(version, bool) or not isinstance(version, str | int):
        raise ValueError(f"instances[{index}].versionId is not a string or integer")
    status = item.get("status")
    if status is not None and not isinstance(status, str):
        raise ValueError(f"instances[{index}].status is not a string")
    qualifier = item.get("qualifier")
    if qualifier is not None and not isinstance(qualifier, str):
        raise ValueError(f"instances[{index}].qualifier is not a string")
    created = item.get("createdTimeMs")
    if isinstance(created, float) and math.isfinite(created) and created.is_integer():
        created = int(created)
    if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
        raise ValueError(f"instances[{index}].createdTimeMs is not an integer")
    return Instance(
        instance_id=instance_id,
        version_id=str(version),
        status=status,
        created_time_ms=created,
        qualifier=qualifier,
    )


def parse_list_instances(
    body: bytes, headers: Mapping[str, str], status: int = 200
) -> ListInstancesResult:
    """A successful ListInstances body: ``{"instances": [...]}`` or a bare list (old docs).

    ``"instances": null`` (how Go encodes an empty slice) is an empty list; a missing key is not.
    """
    rid = header(headers, REQUEST_ID_HEADER) or None
    try:
        doc = _decode_json(body)
    except (ValueError, RecursionError):
        raise _protocol("response body is not JSON", status, rid) from None
    rid = request_id_of(headers, doc)
    if isinstance(doc, list):
        items: Any = doc
    elif isinstance(doc, Mapping) and "instances" in doc:
        items = doc["instances"] if doc["instances"] is not None else []
    else:
        raise _protocol("response body has no instances list", status, rid)
    if not isinstance(items, list):
        raise _protocol("response instances is not a list", status, rid)
    try:
        instances = tuple(parse_instance(item, i) for i, item in enumerate(items))
    except ValueError as exc:
        raise _protocol(f"unexpected response shape: {exc}", status, rid) from None
    return ListInstancesResult(instances=instances, request_id=rid)


def classify(status: int | None, code: str | None) -> tuple[ErrorKind, bool]:
    """(kind, retryable) of an FC error response."""
    if code in THROTTLING_CODES or status == 429:
        return "throttled", True
    if status == 408:
        return "unavailable", True
    if status is not None and 500 <= status <= 599:
        return "unavailable", True
    if status in (401, 403):
        return "auth", False
    if status == 404:
        return "not_found", False
    if status is not None and 400 <= status <= 499:
        return "invalid", False
    return "protocol", False


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date; None if absent or
    unparseable; never negative."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> FCError:
    """A non-2xx response → ``FCError`` with kind, code, message, request id, Retry-After.

    Reads fc2's ``ErrorCode``/``ErrorMessage`` (and the docs' ``errorCode``/``errorMessage``)
    and fc3's ``Code``/``Message``/``RequestId``.
    """
    doc: Any = None
    try:
        doc = _decode_json(body)
    except (ValueError, RecursionError):
        doc = None
    code: str | None = None
    message: str | None = None
    if isinstance(doc, Mapping):
        code = _str_field(doc, "ErrorCode", "errorCode", "Code", "code")
        message = _str_field(doc, "ErrorMessage", "errorMessage", "Message", "message")
    if message is None:
        text = body.decode("utf-8", errors="replace")
        message = f"HTTP {status}" + (f": {text}" if text.strip() else "")
    kind, retryable = classify(status, code)
    return FCError(
        kind=kind,
        message=short_text(message),
        http_status=status,
        code=short_text(code, 100) if code else None,
        request_id=request_id_of(headers, doc),
        retry_after=parse_retry_after(header(headers, "retry-after"), now),
        retryable=retryable,
    )
