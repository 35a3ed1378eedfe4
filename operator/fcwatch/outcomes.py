"""What one poll of a watch produced: Success, Failure or Suspended. Pure.

:func:`failure_from_fc_error` maps a failed ListInstances call to a :class:`Failure` whose
reason and stalled-ness follow the error kind, and whose message is safe to show in status:
FC's code and text, cut to one short line, without echoed signing input or key material.
The request id stays out of the message (it changes on every call); it rides in
``Failure.request_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from fcwatch.conditions import (
    AUTH_FAILED,
    FC_BAD_RESPONSE,
    FC_THROTTLED,
    FC_UNAVAILABLE,
    INVALID_REQUEST,
    NOT_FOUND,
)
from fcwatch.fc.model import ErrorKind, FCError, ListInstancesResult

__all__ = ["Failure", "Outcome", "Success", "Suspended", "failure_from_fc_error"]


@dataclass(frozen=True)
class Success:
    result: ListInstancesResult
    limit: int  # the spec's limit, to tell whether the list was truncated


@dataclass(frozen=True)
class Failure:
    reason: str  # one of the reason constants
    message: str  # safe to show; no request id (see the module docstring)
    stalled: bool  # True when retrying cannot fix it without the user
    request_id: str | None = None


@dataclass(frozen=True)
class Suspended:
    pass


Outcome = Success | Failure | Suspended


_FC_ERROR_REASONS: Final[Mapping[ErrorKind, tuple[str, bool]]] = {
    "throttled": (FC_THROTTLED, False),
    "unavailable": (FC_UNAVAILABLE, False),
    "auth": (AUTH_FAILED, True),
    "not_found": (NOT_FOUND, True),
    "invalid": (INVALID_REQUEST, True),
    "protocol": (FC_BAD_RESPONSE, False),
}
_FC_MESSAGE_MAX: Final = 300
# A server may echo its string-to-sign (it holds x-fc-security-token) or key material: cut it.
_STRING_TO_SIGN: Final = re.compile(r"string[\s_-]*to[\s_-]*sign", re.IGNORECASE)
_ACCESS_KEY_ID: Final = re.compile(r"\b(LTAI|STS\.)[0-9A-Za-z]{8,}")
_TOKEN_LIKE: Final = re.compile(r"[A-Za-z0-9+/=]{40,}")  # base64: STS tokens, signatures
_CODE_MAX: Final = 64


def _redact_if_token(match: re.Match[str]) -> str:
    """Redact a long run mixing digits and both cases; leave words and paths alone."""
    run = match.group(0)
    mixed = any(c.isdigit() for c in run) and any(c.islower() for c in run) and run.lower() != run
    return "[redacted]" if mixed else run


def _safe_fc_text(text: str) -> str:
    """FC's error text for status: one line, no echoed signing input or key material, short."""
    cut = _STRING_TO_SIGN.search(text)
    if cut is not None:
        text = text[: cut.start()] + "[string to sign omitted]"
    text = " ".join(text.split())
    text = _ACCESS_KEY_ID.sub(lambda m: m.group(1) + "***", text)
    text = _TOKEN_LIKE.sub(_redact_if_token, text)
    if len(text) > _FC_MESSAGE_MAX:
        text = text[: _FC_MESSAGE_MAX - 3] + "..."
    return text


def failure_from_fc_error(err: FCError) -> Failure:
    """The Failure for a failed ListInstances call: reason and stalled-ness by error kind."""
    reason, stalled = _FC_ERROR_REASONS[err.kind]
    code = _safe_fc_text(err.code or "")[:_CODE_MAX]
    origin = " ".join(
        part for part in (f"HTTP {err.http_status}" if err.http_status else "", code) if part
    )
    detail = _safe_fc_text(err.message) or "no message"
    message = (
        f"ListInstances failed: {origin}: {detail}" if origin else f"ListInstances failed: {detail}"
    )
    return Failure(reason=reason, message=message, stalled=stalled, request_id=err.request_id)
