"""Previous status + the outcome of a poll → the new status, its Events, and whether to write it.

Pure: no I/O, no kopf. The reconciler calls :func:`reconcile_status` (or :func:`pending_status`
after a spec change), then :func:`needs_write` and :func:`status_patch`.

Semantics (kstatus):

* ``Ready`` is always present. Success: True/Synced. Failure: False with the failure's reason.
  Suspended: True/Suspended if the last poll had succeeded (Ready was True), the message naming
  the time of that poll; otherwise False/Suspended. A suspended watch is not failing, but a
  watch whose last poll failed (or that never polled) has no good data to be Ready with.
* ``Stalled=True`` only for a stalled failure (auth, not found, invalid request, invalid spec,
  endpoint not allowed, missing credentials): the condition is absent otherwise.
* ``Reconciling=True`` only between a spec change and the first outcome of its generation
  (:func:`pending_status`); every outcome removes it.
* A failure or suspension never touches the instance data of the last good poll.
* The condition message of a failure carries no FC request id (it would make every failed poll
  a visible change); the id goes to ``status.requestId`` and into the Warning Event's message.

Events: Normal ``InstancesChanged`` when the (instanceId, versionId) set changed (``3 → 5
instances (+2 -0)``); Warning ``<reason>`` when Ready turns False or the failure reason changes
(not on repeats); Normal ``Recovered`` when a failure gives way to success; Normal ``Suspended``
when polling is suspended.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from fcwatch.conditions import (
    PROGRESSING,
    READY,
    RECONCILING,
    STALLED,
    SUSPENDED,
    SYNCED,
    ConditionStatus,
    find_condition,
    format_epoch_ms,
    format_time,
    parse_time,
    read_conditions,
    remove_condition,
    set_condition,
)
from fcwatch.fc.model import Instance, ListInstancesResult
from fcwatch.outcomes import Failure, Outcome, Success

__all__ = [
    "EventSpec",
    "StatusUpdate",
    "needs_write",
    "pending_status",
    "reconcile_status",
    "status_patch",
]


@dataclass(frozen=True)
class EventSpec:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class StatusUpdate:
    status: dict[str, Any]  # the complete new status
    events: tuple[EventSpec, ...]
    visible_change: bool  # something other than lastSyncTime / requestId changed


# --- instance data ------------------------------------------------------------------------------

_INVISIBLE_KEYS: Final = ("lastSyncTime", "requestId")


def _previous_instances(status: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The previous instance entries with a string instanceId; None if status had no list."""
    raw = status.get("instances")
    if not isinstance(raw, list):
        return None
    return [i for i in raw if isinstance(i, Mapping) and isinstance(i.get("instanceId"), str)]


def _pairs(entries: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(str(e.get("instanceId")), str(e.get("versionId"))) for e in entries}


def _instance_entry(instance: Instance, first_seen: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "instanceId": instance.instance_id,
        "versionId": instance.version_id,
        "firstSeen": first_seen,
    }
    if instance.status is not None:
        entry["status"] = instance.status
    if instance.created_time_ms is not None:
        created = format_epoch_ms(instance.created_time_ms)
        if created is not None:
            entry["createdTime"] = created
    if instance.qualifier is not None:
        entry["qualifier"] = instance.qualifier
    return entry


def _version_order(item: tuple[str, int]) -> tuple[int, int, int, str]:
    """Count descending, then versions in natural order ("2" before "10"), names after numbers."""
    version, count = item
    numeric = version.isascii() and version.isdigit()
    return (-count, 0 if numeric else 1, int(version) if numeric else 0, version)


def _instance_data(
    result: ListInstancesResult, limit: int, previous: Mapping[str, Any], now_text: str
) -> dict[str, Any]:
    known_first_seen = {
        str(e["instanceId"]): e["firstSeen"]
        for e in _previous_instances(previous) or []
        if isinstance(e.get("firstSeen"), str) and e["firstSeen"]
    }
    unique: dict[str, Instance] = {}
    for instance in result.instances:
        unique.setdefault(instance.instance_id, instance)
    entries = [
        _instance_entry(unique[i], known_first_seen.get(i, now_text)) for i in sorted(unique)
    ]
    counts = sorted(Counter(e["versionId"] for e in entries).items(), key=_version_order)
    return {
        "instances": entries,
        "instanceCount": len(entries),
        "versionCounts": [{"versionId": v, "count": c} for v, c in counts],
        "versionSummary": ",".join(f"{v}={c}" for v, c in counts),
        "truncated": limit > 0 and len(entries) >= limit,
    }


# --- reconcile ----------------------------------------------------------------------------------


def _visible(status: Mapping[str, Any]) -> dict[str, Any]:
    """What a user sees: all but lastSyncTime and requestId; conditions without their times."""
    view = {k: v for k, v in status.items() if k not in _INVISIBLE_KEYS and k != "conditions"}
    conditions = status.get("conditions")
    if isinstance(conditions, list):
        view["conditions"] = [
            {k: v for k, v in c.items() if k != "lastTransitionTime"}
            if isinstance(c, Mapping)
            else c
            for c in conditions
        ]
    else:
        view["conditions"] = conditions
    return view


def _synced_message(count: int, limit: int, truncated: bool) -> str:
    noun = "instance" if count == 1 else "instances"
    message = f"ListInstances returned {count} {noun}"
    if truncated:
        message += f"; the list reached spec.limit ({limit}), more instances may exist"
    return message


def _event_message(failure: Failure) -> str:
    rid = f" (request id {failure.request_id})" if failure.request_id else ""
    return failure.message + rid


def _suspended_ready(
    previous_ready: Mapping[str, Any] | None, last_sync: object
) -> tuple[ConditionStatus, str]:
    if previous_ready is not None and previous_ready.get("reason") == SUSPENDED:
        kept_status = previous_ready.get("status")
        kept_message = previous_ready.get("message")
        if kept_status in ("True", "False") and isinstance(kept_message, str):
            return ("True" if kept_status == "True" else "False"), kept_message
    message = "polling suspended by spec.suspend"
    if previous_ready is not None and previous_ready.get("status") == "True":
        if isinstance(last_sync, str):
            message += f"; status shows the last poll at {last_sync}"
        return "True", message
    if previous_ready is not None and previous_ready.get("status") == "False":
        message += f"; the last poll failed ({previous_ready.get('reason')})"
    if isinstance(last_sync, str):
        message += f"; status shows the last successful poll at {last_sync}"
    else:
        message += "; no poll has succeeded yet"
    return "False", message


def reconcile_status(
    previous: Mapping[str, Any] | None,
    outcome: Outcome,
    *,
    generation: int,
    now: datetime,
    handled_reconcile_at: str | None = None,
) -> StatusUpdate:
    """The status after ``outcome`` for ``generation``; see the module docstring."""
    before: Mapping[str, Any] = previous or {}
    status = copy.deepcopy(dict(before))
    conditions = read_conditions(before)
    previous_ready = find_condition(conditions, READY)
    now_text = format_time(now)
    events: list[EventSpec] = []
    stalled: Failure | None = None

    if isinstance(outcome, Success):
        previous_entries = _previous_instances(before)
        data = _instance_data(outcome.result, outcome.limit, before, now_text)
        old_pairs = _pairs(previous_entries or [])
        new_pairs = _pairs(data["instances"])
        changed = previous_entries is None or old_pairs != new_pairs
        kept_change_time = before.get("lastChangeTime")
        data["lastChangeTime"] = (
            kept_change_time if not changed and isinstance(kept_change_time, str) else now_text
        )
        data["lastSyncTime"] = now_text
        status.update(data)
        status.pop("requestId", None)
        if outcome.result.request_id:
            status["requestId"] = outcome.result.request_id
        ready_status: ConditionStatus = "True"
        ready_reason = SYNCED
        ready_message = _synced_message(len(new_pairs), outcome.limit, data["truncated"])
        if (
            previous_ready is not None
            and previous_ready.get("status") == "False"
            and previous_ready.get("reason") not in (SUSPENDED, PROGRESSING)
        ):
            events.append(
                EventSpec(
                    "Normal",
                    "Recovered",
                    f"ListInstances succeeds again (was {previous_ready.get('reason')})",
                )
            )
        added, removed = new_pairs - old_pairs, old_pairs - new_pairs
        if added or removed:
            events.append(
                EventSpec(
                    "Normal",
                    "InstancesChanged",
                    f"{len(old_pairs)} → {len(new_pairs)} instances "
                    f"(+{len(added)} -{len(removed)})",
                )
            )
    elif isinstance(outcome, Failure):
        if outcome.request_id:
            status["requestId"] = outcome.request_id
        ready_status, ready_reason, ready_message = "False", outcome.reason, outcome.message
        stalled = outcome if outcome.stalled else None
        repeated = (
            previous_ready is not None
            and previous_ready.get("status") == "False"
            and previous_ready.get("reason") == outcome.reason
        )
        if not repeated:
            events.append(EventSpec("Warning", outcome.reason, _event_message(outcome)))
    else:
        ready_reason = SUSPENDED
        ready_status, ready_message = _suspended_ready(previous_ready, before.get("lastSyncTime"))
        if previous_ready is None or previous_ready.get("reason") != SUSPENDED:
            events.append(EventSpec("Normal", SUSPENDED, "polling suspended by spec.suspend"))

    conditions = set_condition(
        conditions, READY, ready_status, ready_reason, ready_message, generation=generation, now=now
    )
    if stalled is not None:
        conditions = set_condition(
            conditions,
            STALLED,
            "True",
            stalled.reason,
            stalled.message,
            generation=generation,
            now=now,
        )
    else:
        conditions = remove_condition(conditions, STALLED)
    status["conditions"] = remove_condition(conditions, RECONCILING)
    status["observedGeneration"] = generation
    if handled_reconcile_at is not None:
        status["lastHandledReconcileAt"] = handled_reconcile_at
    return StatusUpdate(
        status=status,
        events=tuple(events),
        visible_change=_visible(before) != _visible(status),
    )


def pending_status(
    previous: Mapping[str, Any] | None, *, generation: int, now: datetime
) -> StatusUpdate:
    """After a spec change, before the first poll of ``generation``: Reconciling=True.

    Ready is kept as it was (its observedGeneration tells it is older), or Unknown/Progressing
    when absent. Stalled is removed: the new spec may have fixed its cause, and the poll will
    set it again if not. Instance data is untouched.
    """
    before: Mapping[str, Any] = previous or {}
    status = copy.deepcopy(dict(before))
    conditions = read_conditions(before)
    if find_condition(conditions, READY) is None:
        conditions = set_condition(
            conditions,
            READY,
            "Unknown",
            PROGRESSING,
            "waiting for the first ListInstances call",
            generation=generation,
            now=now,
        )
    conditions = set_condition(
        conditions,
        RECONCILING,
        "True",
        PROGRESSING,
        f"spec generation {generation} is waiting for its first ListInstances call",
        generation=generation,
        now=now,
    )
    status["conditions"] = remove_condition(conditions, STALLED)
    status["observedGeneration"] = generation
    return StatusUpdate(
        status=status, events=(), visible_change=_visible(before) != _visible(status)
    )


# --- writing ------------------------------------------------------------------------------------


def needs_write(
    previous: Mapping[str, Any] | None,
    update: StatusUpdate,
    *,
    now: datetime,
    heartbeat_seconds: float,
) -> bool:
    """Whether to PATCH /status: a visible change, no status yet, or a heartbeat is due.

    The heartbeat refreshes ``lastSyncTime`` (and ``requestId``) when a successful poll comes
    ``heartbeat_seconds`` or more after the written ``lastSyncTime``. Failures leave
    ``lastSyncTime`` alone, so a run of identical failures writes nothing.
    """
    if previous is None or update.visible_change:
        return True
    new_sync = update.status.get("lastSyncTime")
    old_sync = previous.get("lastSyncTime")
    if new_sync is None or new_sync == old_sync:
        return False
    written = parse_time(old_sync)
    return written is None or (now - written).total_seconds() >= heartbeat_seconds


def status_patch(previous: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch (RFC 7396) turning ``previous`` into ``new``.

    Changed keys are set, removed keys are null; lists (``conditions``, ``instances``) are
    replaced whole, as merge patches do; nested objects are patched key by key.
    """
    before: Mapping[str, Any] = previous or {}
    patch: dict[str, Any] = {}
    for key, value in new.items():
        old = before.get(key)
        if key in before and old == value:
            continue
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            patch[key] = status_patch(old, value)
        else:
            patch[key] = copy.deepcopy(value)
    for key in before:
        if key not in new:
            patch[key] = None
    return patch
