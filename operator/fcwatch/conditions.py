"""kstatus conditions and timestamps for ``FunctionInstanceWatch`` status. Pure.

Conditions are plain dicts as they appear in the object (``type``, ``status``, ``reason``,
``message``, ``observedGeneration``, ``lastTransitionTime``). Functions here never mutate their
arguments; they return new lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

__all__ = [
    "AUTH_FAILED",
    "CREDENTIALS_MISSING",
    "ENDPOINT_NOT_ALLOWED",
    "FC_BAD_RESPONSE",
    "FC_THROTTLED",
    "FC_UNAVAILABLE",
    "INVALID_REQUEST",
    "INVALID_SPEC",
    "NOT_FOUND",
    "PROGRESSING",
    "READY",
    "RECONCILING",
    "STALLED",
    "SUSPENDED",
    "SYNCED",
    "ConditionStatus",
    "find_condition",
    "format_epoch_ms",
    "format_time",
    "parse_time",
    "read_conditions",
    "remove_condition",
    "set_condition",
]

# Condition types (kstatus).
READY: Final = "Ready"
STALLED: Final = "Stalled"
RECONCILING: Final = "Reconciling"

# Reasons.
SYNCED: Final = "Synced"
FC_THROTTLED: Final = "FCThrottled"
FC_UNAVAILABLE: Final = "FCUnavailable"
AUTH_FAILED: Final = "AuthFailed"
NOT_FOUND: Final = "NotFound"
INVALID_REQUEST: Final = "InvalidRequest"
FC_BAD_RESPONSE: Final = "FCBadResponse"
CREDENTIALS_MISSING: Final = "CredentialsMissing"
INVALID_SPEC: Final = "InvalidSpec"
ENDPOINT_NOT_ALLOWED: Final = "EndpointNotAllowed"
SUSPENDED: Final = "Suspended"
PROGRESSING: Final = "Progressing"

ConditionStatus = Literal["True", "False", "Unknown"]

_CANONICAL_ORDER: Final = (READY, RECONCILING, STALLED)


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with ``Z``, second precision. A naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_epoch_ms(epoch_ms: int) -> str | None:
    """Milliseconds since the epoch (FC3's ``createdTimeMs``) as RFC 3339; None if out of range."""
    try:
        return format_time(datetime.fromtimestamp(epoch_ms // 1000, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp from status as an aware datetime; None if absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def read_conditions(status: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The well-formed conditions of a status (copies); entries without a string type dropped."""
    raw = (status or {}).get("conditions")
    if not isinstance(raw, list):
        return []
    return [dict(c) for c in raw if isinstance(c, Mapping) and isinstance(c.get("type"), str)]


def find_condition(conditions: Sequence[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def _ordered(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ready, Reconciling, Stalled first (in that order), then any others as they were."""
    ours = [c for t in _CANONICAL_ORDER for c in conditions if c["type"] == t]
    return ours + [c for c in conditions if c["type"] not in _CANONICAL_ORDER]


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    type_: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    *,
    generation: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """``conditions`` with ``type_`` set. ``lastTransitionTime`` moves only if status changes."""
    previous = find_condition(conditions, type_)
    transition_time = format_time(now)
    if previous is not None and previous.get("status") == status:
        kept = previous.get("lastTransitionTime")
        if isinstance(kept, str) and kept:
            transition_time = kept
    condition: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": transition_time,
    }
    others = [dict(c) for c in conditions if c.get("type") != type_]
    return _ordered([*others, condition])


def remove_condition(conditions: Sequence[Mapping[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [dict(c) for c in conditions if c.get("type") != type_]
