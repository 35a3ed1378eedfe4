"""What the simulator says on the wire, as pure functions: routes, signature checks, bodies.

Signature verification uses the very functions :mod:`fcwatch.fc.auth` signs with, which the
golden-vector tests hold equal to Alibaba's SDKs; the SDK-client tests then prove the SDKs'
own requests pass it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from fcwatch.fc.auth import (
    acs3_canonical_request,
    acs3_signature,
    acs3_string_to_sign,
    fc_signature,
    fc_string_to_sign,
    parse_acs3_authorization,
    parse_acs3_timestamp,
    parse_fc_authorization,
    parse_http_date,
    split_raw_target,
)
from fcwatch.fc.model import FC2_API_VERSION, FC3_API_VERSION
from fcwatch.fc.simulator_config import LATEST, KeyConfig
from fcwatch.fc.simulator_faults import Route, SimApi

_FC2_PATH = re.compile(rf"^/{FC2_API_VERSION}/services/([^/]+)/functions/([^/]+)/instances/?$")
_FC3_PATH = re.compile(rf"^/{FC3_API_VERSION}/functions/([^/]+)/instances/?$")

SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your access key and signing method."
)


@dataclass(frozen=True)
class Failure:
    """An error response: HTTP status, FC error code, message."""

    status: int
    code: str
    message: str


def parse_route(raw_path: str, query: Mapping[str, str]) -> Route | None:
    """The ListInstances target a request path names, or None if it names none."""
    match = _FC2_PATH.match(raw_path)
    if match:
        service, _, qualifier = unquote(match.group(1)).partition(".")
        return Route("fc2", unquote(match.group(2)), qualifier or LATEST, service)
    match = _FC3_PATH.match(raw_path)
    if match:
        return Route("fc3", unquote(match.group(1)), query.get("qualifier") or LATEST)
    return None


@dataclass(frozen=True)
class ListQuery:
    limit: int
    instance_ids: tuple[str, ...]
    statuses: tuple[str, ...]


def _json_list(name: str, text: str | None) -> tuple[str, ...] | Failure:
    if text is None or text == "":
        return ()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return Failure(400, "InvalidArgument", f"{name} must be a JSON array of strings")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return Failure(400, "InvalidArgument", f"{name} must be a JSON array of strings")
    return tuple(value)


def parse_list_query(api: SimApi, pairs: Iterable[tuple[str, str]]) -> ListQuery | Failure:
    """fc2: ``limit``, repeated ``instanceIds``; fc3: ``limit``, JSON-array ``instanceIds`` and
    ``instanceStatus``. ``limit`` is 0..100 (default 100)."""
    items = list(pairs)
    last = dict(items)
    limit_text = last.get("limit", "100")
    if not (limit_text.isascii() and limit_text.isdigit()) or int(limit_text) > 100:
        return Failure(400, "InvalidArgument", "limit must be an integer between 0 and 100")
    if api == "fc2":
        ids: tuple[str, ...] | Failure = tuple(v for k, v in items if k == "instanceIds")
        statuses: tuple[str, ...] | Failure = ()
    else:
        ids = _json_list("instanceIds", last.get("instanceIds"))
        statuses = _json_list("instanceStatus", last.get("instanceStatus"))
    if isinstance(ids, Failure):
        return ids
    if isinstance(statuses, Failure):
        return statuses
    return ListQuery(int(limit_text), ids, statuses)


KeyLookup = Callable[[str], KeyConfig | None]


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _check_key(
    key_id: str, token: str | None, lookup: KeyLookup, now: datetime
) -> KeyConfig | Failure:
    key = lookup(key_id)
    if key is None:
        return Failure(403, "InvalidAccessKeyID", f"invalid access key ID '{key_id}'")
    if key.security_token is not None:
        if token is None or not hmac.compare_digest(token, key.security_token):
            return Failure(403, "InvalidSecurityToken", "the security token is invalid")
        if key.expires_at is not None and now.timestamp() >= key.expires_at:
            return Failure(403, "InvalidSecurityToken.Expired", "the security token has expired")
    return key


def _check_skew(when: datetime, now: datetime, max_skew: float) -> Failure | None:
    if abs((now - when).total_seconds()) > max_skew:
        return Failure(
            403,
            "RequestTimeTooSkewed",
            f"the difference between the request time '{when.isoformat()}' and the server's "
            f"time '{now.isoformat()}' is too large",
        )
    return None


def verify_fc2(
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    lookup: KeyLookup,
    now: datetime,
    max_skew: float = 900.0,
) -> KeyConfig | Failure:
    """Check an FC-signed request: Authorization, key, Date skew, STS token, signature."""
    authorization = _header(headers, "authorization")
    date = _header(headers, "date")
    if not authorization:
        return Failure(
            400, "MissingRequiredHeader", "required HTTP header Authorization was not specified"
        )
    if not date:
        return Failure(400, "MissingRequiredHeader", "required HTTP header Date was not specified")
    try:
        key_id, signature = parse_fc_authorization(authorization)
        when = parse_http_date(date)
    except ValueError as exc:
        return Failure(400, "InvalidArgument", str(exc))
    key = _check_key(key_id, _header(headers, "x-fc-security-token"), lookup, now)
    if isinstance(key, Failure):
        return key
    skew = _check_skew(when, now, max_skew)
    if skew is not None:
        return skew
    expected = fc_signature(
        key.access_key_secret, fc_string_to_sign(method, unquote(raw_path), headers)
    )
    if not hmac.compare_digest(expected, signature):
        return Failure(403, "SignatureNotMatch", SIGNATURE_MESSAGE)
    return key


def verify_acs3(
    method: str,
    raw_target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    lookup: KeyLookup,
    now: datetime,
    max_skew: float = 900.0,
) -> KeyConfig | Failure:
    """Check an ACS3-HMAC-SHA256 request over the headers it names as signed."""
    authorization = _header(headers, "authorization")
    if not authorization:
        return Failure(
            400, "MissingRequiredHeader", "required HTTP header Authorization was not specified"
        )
    try:
        parsed = parse_acs3_authorization(authorization)
    except ValueError as exc:
        return Failure(400, "InvalidArgument", str(exc))
    signed = set(parsed.signed_headers)
    if "x-acs-date" not in signed or "host" not in signed:
        return Failure(400, "InvalidArgument", "host and x-acs-date must be signed headers")
    date = _header(headers, "x-acs-date")
    if not date:
        return Failure(
            400, "MissingRequiredHeader", "required HTTP header x-acs-date was not specified"
        )
    try:
        when = parse_acs3_timestamp(date)
    except ValueError as exc:
        return Failure(400, "InvalidArgument", str(exc))
    payload_hash = hashlib.sha256(body).hexdigest()
    claimed = _header(headers, "x-acs-content-sha256")
    if claimed is not None and claimed != payload_hash:
        return Failure(400, "InvalidArgument", "x-acs-content-sha256 does not match the body")
    key = _check_key(parsed.access_key_id, _header(headers, "x-acs-security-token"), lookup, now)
    if isinstance(key, Failure):
        return key
    skew = _check_skew(when, now, max_skew)
    if skew is not None:
        return skew
    path, query = split_raw_target(raw_target)
    chosen = [(k, v) for k, v in headers if k.lower() in signed]
    canonical = acs3_canonical_request(method, path, query, chosen, payload_hash)
    expected = acs3_signature(key.access_key_secret, acs3_string_to_sign(canonical))
    if not hmac.compare_digest(expected, parsed.signature) or len(
        {k.lower() for k, _ in chosen}
    ) != len(signed):
        return Failure(403, "SignatureNotMatch", SIGNATURE_MESSAGE)
    return key


def error_body(api: SimApi, failure: Failure, request_id: str) -> dict[str, Any]:
    """fc2: ``{"ErrorCode","ErrorMessage"}``; fc3: ``{"Code","Message","RequestId"}``."""
    if api == "fc2":
        return {"ErrorCode": failure.code, "ErrorMessage": failure.message}
    return {"Code": failure.code, "Message": failure.message, "RequestId": request_id}


def sts_error_body(failure: Failure, request_id: str) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": "sts.aliyuncs.com",
        "Code": failure.code,
        "Message": failure.message,
    }
