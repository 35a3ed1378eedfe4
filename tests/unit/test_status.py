"""status.py / conditions.py / outcomes.py: status, conditions and events from poll outcomes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcwatch.conditions import (
    AUTH_FAILED,
    FC_BAD_RESPONSE,
    FC_THROTTLED,
    FC_UNAVAILABLE,
    INVALID_REQUEST,
    INVALID_SPEC,
    NOT_FOUND,
    PROGRESSING,
    SUSPENDED,
    SYNCED,
    format_epoch_ms,
    format_time,
    parse_time,
)
from fcwatch.fc.model import ErrorKind, FCError, Instance, ListInstancesResult
from fcwatch.outcomes import Failure, Outcome, Success, Suspended, failure_from_fc_error
from fcwatch.status import (
    EventSpec,
    StatusUpdate,
    needs_write,
    pending_status,
    reconcile_status,
    status_patch,
)

T0 = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
T0_TEXT = "2026-12-04T10:00:00Z"
INSTANCE_DATA_KEYS = (
    "instances",
    "instanceCount",
    "versionCounts",
    "versionSummary",
    "truncated",
    "lastChangeTime",
    "lastSyncTime",
)
THROTTLED = Failure(FC_THROTTLED, "ListInstances failed: HTTP 429 ResourceExhausted: slow", False)
DENIED = Failure(AUTH_FAILED, "ListInstances failed: HTTP 403 AccessDenied: no", True, "rid-f")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def success(*pairs: tuple[str, str], request_id: str | None = "rid", limit: int = 100) -> Success:
    instances = tuple(Instance(instance_id=i, version_id=v) for i, v in pairs)
    return Success(result=ListInstancesResult(instances, request_id), limit=limit)


def condition(status: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions", []) if c["type"] == type_), None)


def ready(status: dict[str, Any]) -> dict[str, Any]:
    found = condition(status, "Ready")
    assert found is not None
    return found


def apply(
    previous: dict[str, Any] | None, outcome: Outcome, seconds: float, generation: int = 1
) -> StatusUpdate:
    return reconcile_status(previous, outcome, generation=generation, now=at(seconds))


def synced(*pairs: tuple[str, str]) -> dict[str, Any]:
    return apply(None, success(*pairs), 0).status


# --- success ------------------------------------------------------------------------------------


def test_first_success_builds_the_whole_status() -> None:
    update = apply(None, success(("c-2", "1"), ("c-1", "0"), ("c-3", "1")), 0, generation=3)
    assert update.status == {
        "observedGeneration": 3,
        "instances": [
            {"instanceId": "c-1", "versionId": "0", "firstSeen": T0_TEXT},
            {"instanceId": "c-2", "versionId": "1", "firstSeen": T0_TEXT},
            {"instanceId": "c-3", "versionId": "1", "firstSeen": T0_TEXT},
        ],
        "instanceCount": 3,
        "versionCounts": [{"versionId": "1", "count": 2}, {"versionId": "0", "count": 1}],
        "versionSummary": "1=2,0=1",
        "truncated": False,
        "lastChangeTime": T0_TEXT,
        "lastSyncTime": T0_TEXT,
        "requestId": "rid",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": SYNCED,
                "message": "ListInstances returned 3 instances",
                "observedGeneration": 3,
                "lastTransitionTime": T0_TEXT,
            }
        ],
    }
    assert update.events == (EventSpec("Normal", "InstancesChanged", "0 → 3 instances (+3 -0)"),)
    assert update.visible_change


def test_first_success_with_no_instances() -> None:
    update = apply(None, success(), 0)
    assert update.status["instances"] == []
    assert update.status["instanceCount"] == 0
    assert update.status["versionCounts"] == []
    assert update.status["versionSummary"] == ""
    assert update.status["lastChangeTime"] == T0_TEXT
    assert ready(update.status)["message"] == "ListInstances returned 0 instances"
    assert update.events == ()  # nothing appeared or vanished: no InstancesChanged
    assert update.visible_change


def test_same_instances_again_is_invisible_and_quiet() -> None:
    first = apply(None, success(("c-1", "1"), ("c-2", "1"), request_id="rid-1"), 0)
    second = apply(first.status, success(("c-2", "1"), ("c-1", "1"), request_id="rid-2"), 30)
    assert not second.visible_change
    assert second.events == ()
    assert second.status["lastSyncTime"] == format_time(at(30))
    assert second.status["requestId"] == "rid-2"
    assert second.status["lastChangeTime"] == T0_TEXT
    assert ready(second.status)["lastTransitionTime"] == T0_TEXT
    assert [i["firstSeen"] for i in second.status["instances"]] == [T0_TEXT, T0_TEXT]


def test_success_without_request_id_drops_the_stale_one() -> None:
    second = apply(synced(("c-1", "1")), success(("c-1", "1"), request_id=None), 30)
    assert "requestId" not in second.status
    assert not second.visible_change


def test_instances_appear_and_vanish() -> None:
    first = synced(("c-1", "1"), ("c-2", "1"), ("c-3", "0"))
    update = apply(first, success(("c-1", "1"), ("c-2", "1"), ("c-4", "2"), ("c-5", "2")), 60)
    assert update.events == (EventSpec("Normal", "InstancesChanged", "3 → 4 instances (+2 -1)"),)
    first_seen = {i["instanceId"]: i["firstSeen"] for i in update.status["instances"]}
    assert first_seen == {
        "c-1": T0_TEXT,
        "c-2": T0_TEXT,
        "c-4": format_time(at(60)),
        "c-5": format_time(at(60)),
    }
    assert update.status["lastChangeTime"] == format_time(at(60))
    assert update.status["versionSummary"] == "1=2,2=2"
    assert update.visible_change


def test_a_new_version_of_the_same_instance_is_a_change() -> None:
    update = apply(synced(("c-1", "1")), success(("c-1", "2")), 30)
    assert update.events == (EventSpec("Normal", "InstancesChanged", "1 → 1 instances (+1 -1)"),)
    assert update.status["instances"][0]["firstSeen"] == T0_TEXT  # same instance id
    assert update.status["lastChangeTime"] == format_time(at(30))


def test_fc3_fields_are_reported_and_their_changes_are_visible_without_an_event() -> None:
    created_ms = 1_764_842_400_123

    def fc3(instance_status: str) -> Success:
        instance = Instance("c-1", "3", instance_status, created_ms, "prod")
        return Success(ListInstancesResult((instance,), "rid"), limit=100)

    first = apply(None, fc3("Running"), 0)
    assert first.status["instances"] == [
        {
            "instanceId": "c-1",
            "versionId": "3",
            "firstSeen": T0_TEXT,
            "status": "Running",
            "createdTime": "2025-12-04T10:00:00Z",
            "qualifier": "prod",
        }
    ]
    second = apply(first.status, fc3("Stopping"), 30)
    assert second.visible_change
    assert second.events == ()
    assert second.status["lastChangeTime"] == T0_TEXT


def test_fc2_instances_have_no_fc3_fields() -> None:
    assert set(synced(("c-1", "1"))["instances"][0]) == {"instanceId", "versionId", "firstSeen"}


def test_version_counts_order_count_then_natural_version() -> None:
    pairs = [("a", "10"), ("b", "2"), ("c", "alias"), ("d", "2"), ("e", "10"), ("f", "0")]
    status = synced(*pairs)
    assert status["versionCounts"] == [
        {"versionId": "2", "count": 2},
        {"versionId": "10", "count": 2},
        {"versionId": "0", "count": 1},
        {"versionId": "alias", "count": 1},
    ]
    assert status["versionSummary"] == "2=2,10=2,0=1,alias=1"


@pytest.mark.parametrize(
    ("count", "limit", "truncated"), [(3, 3, True), (3, 4, False), (3, 0, False), (0, 0, False)]
)
def test_truncated_when_the_list_reached_the_limit(count: int, limit: int, truncated: bool) -> None:
    pairs = [(f"c-{i}", "1") for i in range(count)]
    status = apply(None, success(*pairs, limit=limit), 0).status
    assert status["truncated"] is truncated
    assert ("spec.limit" in ready(status)["message"]) is truncated


def test_duplicate_instances_from_fc_are_counted_once() -> None:
    status = synced(("c-1", "1"), ("c-1", "2"), ("c-2", "1"))
    assert status["instanceCount"] == 2
    assert status["instances"][0] == {"instanceId": "c-1", "versionId": "1", "firstSeen": T0_TEXT}


def test_one_instance_message_is_singular() -> None:
    assert ready(synced(("c-1", "1")))["message"] == "ListInstances returned 1 instance"


# --- failure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason", "stalled"),
    [
        ("throttled", FC_THROTTLED, False),
        ("unavailable", FC_UNAVAILABLE, False),
        ("auth", AUTH_FAILED, True),
        ("not_found", NOT_FOUND, True),
        ("invalid", INVALID_REQUEST, True),
        ("protocol", FC_BAD_RESPONSE, False),
    ],
)
def test_failure_from_fc_error_kinds(kind: ErrorKind, reason: str, stalled: bool) -> None:
    failure = failure_from_fc_error(FCError(kind, "boom", 418, "SomeCode", "rid-9"))
    assert (failure.reason, failure.stalled, failure.request_id) == (reason, stalled, "rid-9")
    assert failure.message == "ListInstances failed: HTTP 418 SomeCode: boom"


def test_failure_message_without_status_or_code() -> None:
    failure = failure_from_fc_error(FCError("unavailable", "connection refused"))
    assert failure.message == "ListInstances failed: connection refused"
    assert failure_from_fc_error(FCError("protocol", "")).message == (
        "ListInstances failed: no message"
    )


@pytest.mark.parametrize(
    ("fc_message", "secret"),
    [
        (
            "The request signature we calculated does not match. Server string to sign is: "
            "GET\n\n\nThu, 04 Dec 2026 10:00:00 GMT\nx-fc-security-token:CAIStoken123\n/path",
            "CAIStoken123",
        ),
        ("Signature mismatch, StringToSign: 'GET\\nx-fc-security-token:tok-9'", "tok-9"),
        ("invalid access key id LTAI5tAbCdEfGhIjKlMn", "LTAI5tAbCdEfGhIjKlMn"),
        ("security token expired: STS.NUabcdefghijklmnop", "STS.NUabcdefghijklmnop"),
        ("token CAIS" + "q1Z/+" * 20 + "== is expired", "q1Z/+" * 8),
    ],
)
def test_failure_messages_never_carry_signing_input_or_keys(fc_message: str, secret: str) -> None:
    failure = failure_from_fc_error(FCError("auth", fc_message, 403, "SignatureNotMatch", "r"))
    assert secret not in failure.message
    assert "\n" not in failure.message
    assert failure.message.startswith("ListInstances failed: HTTP 403 SignatureNotMatch: ")


def test_long_names_and_paths_are_not_mistaken_for_tokens() -> None:
    path = "/2016-08-15/services/shop/functions/" + "checkout-" * 6 + "fn/instances"
    failure = failure_from_fc_error(FCError("not_found", f"{path} not found", 404, "X"))
    assert path in failure.message


def test_fc_error_codes_are_kept_short() -> None:
    failure = failure_from_fc_error(FCError("protocol", "bad", 500, "C" * 500))
    assert len(failure.message) < 120


def test_long_fc_messages_are_cut() -> None:
    failure = failure_from_fc_error(FCError("invalid", "word " * 200, 400, "InvalidArgument"))
    assert len(failure.message) < 400
    assert failure.message.endswith("...")


def test_failure_keeps_the_last_good_instances() -> None:
    good = apply(None, success(("c-1", "1"), ("c-2", "0")), 0).status
    update = apply(good, DENIED, 30)
    for key in INSTANCE_DATA_KEYS:
        assert update.status[key] == good[key]
    assert update.status["requestId"] == "rid-f"
    assert ready(update.status)["status"] == "False"
    assert ready(update.status)["reason"] == AUTH_FAILED
    assert ready(update.status)["message"] == DENIED.message
    assert ready(update.status)["lastTransitionTime"] == format_time(at(30))
    stalled = condition(update.status, "Stalled")
    assert stalled is not None
    assert (stalled["status"], stalled["reason"]) == ("True", AUTH_FAILED)
    assert update.events == (
        EventSpec("Warning", AUTH_FAILED, DENIED.message + " (request id rid-f)"),
    )
    assert update.visible_change


def test_failure_without_request_id_keeps_the_previous_one() -> None:
    update = apply(synced(("c-1", "1")), THROTTLED, 30)
    assert update.status["requestId"] == "rid"
    assert condition(update.status, "Stalled") is None  # throttling is retried, not stalled


def test_repeated_failure_is_quiet_and_invisible() -> None:
    first = apply(synced(("c-1", "1")), DENIED, 30)
    again = apply(first.status, Failure(AUTH_FAILED, DENIED.message, True, "rid-g"), 60)
    assert again.events == ()
    assert not again.visible_change
    assert again.status["requestId"] == "rid-g"
    assert ready(again.status)["lastTransitionTime"] == format_time(at(30))
    stalled = condition(again.status, "Stalled")
    assert stalled is not None
    assert stalled["lastTransitionTime"] == format_time(at(30))


def test_a_new_failure_reason_warns_again() -> None:
    first = apply(synced(("c-1", "1")), DENIED, 30)
    other = apply(first.status, THROTTLED, 60)
    assert other.events == (EventSpec("Warning", FC_THROTTLED, THROTTLED.message),)
    assert condition(other.status, "Stalled") is None
    assert ready(other.status)["lastTransitionTime"] == format_time(at(30))  # still False


def test_a_first_poll_that_fails_warns() -> None:
    assert apply(None, THROTTLED, 0).events[0].type == "Warning"
    pending = pending_status(None, generation=1, now=T0).status
    assert apply(pending, THROTTLED, 1).events == (
        EventSpec("Warning", FC_THROTTLED, THROTTLED.message),
    )
    assert "instances" not in apply(pending, THROTTLED, 1).status


def test_recovery() -> None:
    failed = apply(synced(("c-1", "1")), DENIED, 30).status
    update = apply(failed, success(("c-1", "1")), 60)
    assert update.events == (
        EventSpec("Normal", "Recovered", f"ListInstances succeeds again (was {AUTH_FAILED})"),
    )
    assert condition(update.status, "Stalled") is None
    assert ready(update.status)["status"] == "True"
    assert ready(update.status)["lastTransitionTime"] == format_time(at(60))


def test_an_invalid_spec_is_a_stalled_failure() -> None:
    failure = Failure(INVALID_SPEC, "spec.limit must be ...", stalled=True)
    update = reconcile_status(None, failure, generation=2, now=T0)
    assert ready(update.status)["reason"] == INVALID_SPEC
    assert ready(update.status)["observedGeneration"] == 2
    stalled = condition(update.status, "Stalled")
    assert stalled is not None
    assert stalled["message"] == "spec.limit must be ..."
    assert update.status["observedGeneration"] == 2
    assert update.events == (EventSpec("Warning", INVALID_SPEC, "spec.limit must be ..."),)


# --- suspend ------------------------------------------------------------------------------------


def test_suspend_after_success_stays_ready() -> None:
    good = synced(("c-1", "1"))
    update = apply(good, Suspended(), 30, generation=2)
    assert ready(update.status) == {
        "type": "Ready",
        "status": "True",
        "reason": SUSPENDED,
        "message": f"polling suspended by spec.suspend; status shows the last poll at {T0_TEXT}",
        "observedGeneration": 2,
        "lastTransitionTime": T0_TEXT,
    }
    assert update.events == (EventSpec("Normal", SUSPENDED, "polling suspended by spec.suspend"),)
    for key in INSTANCE_DATA_KEYS:
        assert update.status[key] == good[key]
    again = apply(update.status, Suspended(), 60, generation=2)
    assert again.events == ()
    assert not again.visible_change
    assert again.status == update.status


def test_suspend_after_failure_is_not_ready() -> None:
    failed = apply(synced(("c-1", "1")), DENIED, 30).status
    update = apply(failed, Suspended(), 60)
    assert ready(update.status)["status"] == "False"
    assert ready(update.status)["reason"] == SUSPENDED
    assert ready(update.status)["message"] == (
        f"polling suspended by spec.suspend; the last poll failed ({AUTH_FAILED}); "
        f"status shows the last successful poll at {T0_TEXT}"
    )
    assert condition(update.status, "Stalled") is None


def test_suspend_before_any_poll() -> None:
    update = apply(pending_status(None, generation=1, now=T0).status, Suspended(), 1)
    assert ready(update.status)["status"] == "False"
    assert ready(update.status)["message"] == (
        "polling suspended by spec.suspend; no poll has succeeded yet"
    )
    assert condition(update.status, "Reconciling") is None


def test_resume_after_suspend_is_not_a_recovery() -> None:
    never = apply(None, Suspended(), 0).status
    update = apply(never, success(("c-1", "1")), 30)
    assert [e.reason for e in update.events] == ["InstancesChanged"]
    suspended = apply(synced(("c-1", "1")), Suspended(), 30).status
    resumed = apply(suspended, success(("c-1", "1")), 60)
    assert resumed.events == ()
    assert ready(resumed.status)["reason"] == SYNCED
    assert resumed.visible_change


# --- pending ------------------------------------------------------------------------------------


def test_pending_on_a_new_object() -> None:
    update = pending_status(None, generation=1, now=T0)
    assert update.status == {
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "Ready",
                "status": "Unknown",
                "reason": PROGRESSING,
                "message": "waiting for the first ListInstances call",
                "observedGeneration": 1,
                "lastTransitionTime": T0_TEXT,
            },
            {
                "type": "Reconciling",
                "status": "True",
                "reason": PROGRESSING,
                "message": "spec generation 1 is waiting for its first ListInstances call",
                "observedGeneration": 1,
                "lastTransitionTime": T0_TEXT,
            },
        ],
    }
    assert update.events == ()
    assert update.visible_change


def test_pending_after_a_spec_change_keeps_ready_and_data() -> None:
    failed = apply(synced(("c-1", "1")), DENIED, 30).status
    update = pending_status(failed, generation=2, now=at(60))
    assert ready(update.status) == ready(failed)  # old generation, untouched
    assert condition(update.status, "Stalled") is None
    reconciling = condition(update.status, "Reconciling")
    assert reconciling is not None
    assert (reconciling["status"], reconciling["observedGeneration"]) == ("True", 2)
    assert update.status["observedGeneration"] == 2
    for key in INSTANCE_DATA_KEYS:
        assert update.status[key] == failed[key]
    again = pending_status(update.status, generation=2, now=at(61))
    assert not again.visible_change
    assert again.status == update.status
    after = apply(update.status, success(("c-1", "1")), 70, generation=2)
    assert condition(after.status, "Reconciling") is None
    assert ready(after.status)["observedGeneration"] == 2


# --- general ------------------------------------------------------------------------------------


def test_handled_reconcile_at_is_echoed_and_kept() -> None:
    good = synced(("c-1", "1"))
    update = reconcile_status(
        good, success(("c-1", "1")), generation=1, now=at(5), handled_reconcile_at="req-1"
    )
    assert update.status["lastHandledReconcileAt"] == "req-1"
    assert update.visible_change
    later = apply(update.status, success(("c-1", "1")), 30)
    assert later.status["lastHandledReconcileAt"] == "req-1"
    assert not later.visible_change


def test_a_new_generation_alone_is_visible() -> None:
    update = apply(synced(("c-1", "1")), success(("c-1", "1")), 30, generation=2)
    assert update.visible_change
    assert update.events == ()


def test_unknown_status_keys_and_conditions_are_kept() -> None:
    foreign = {"type": "Healthy", "status": "True", "reason": "X", "message": ""}
    previous = {**synced(("c-1", "1")), "extra": {"a": 1}}
    previous["conditions"] = [*previous["conditions"], foreign]
    update = apply(previous, DENIED, 30)
    assert update.status["extra"] == {"a": 1}
    assert [c["type"] for c in update.status["conditions"]] == ["Ready", "Stalled", "Healthy"]


def test_malformed_previous_status_is_tolerated() -> None:
    previous: dict[str, Any] = {
        "conditions": "nonsense",
        "instances": [{"instanceId": "c-1", "firstSeen": 5}, "junk", {"versionId": "1"}],
        "lastChangeTime": 7,
    }
    update = apply(previous, success(("c-1", "1")), 0)
    assert update.status["instances"] == [
        {"instanceId": "c-1", "versionId": "1", "firstSeen": T0_TEXT}
    ]
    assert update.status["lastChangeTime"] == T0_TEXT
    assert [c["type"] for c in update.status["conditions"]] == ["Ready"]


def test_inputs_are_not_mutated() -> None:
    previous = apply(synced(("c-1", "1")), DENIED, 30).status
    snapshot = copy.deepcopy(previous)
    apply(previous, success(("c-2", "1")), 60)
    pending_status(previous, generation=5, now=at(90))
    status_patch(previous, {})
    assert previous == snapshot


def test_timestamps() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)) == (
        "2026-01-02T03:04:05Z"
    )
    assert format_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    east = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 1, 2, 11, 4, 5, tzinfo=east)) == "2026-01-02T03:04:05Z"
    assert format_epoch_ms(1_500) == "1970-01-01T00:00:01Z"
    assert format_epoch_ms(10**20) is None
    assert parse_time("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("yesterday") is None
    assert parse_time(None) is None


def test_out_of_range_created_time_is_left_out() -> None:
    instance = Instance("c-1", "1", "Running", 10**20, None)
    status = apply(None, Success(ListInstancesResult((instance,)), 100), 0).status
    assert "createdTime" not in status["instances"][0]
    assert status["instances"][0]["status"] == "Running"


# --- needs_write and status_patch ---------------------------------------------------------------


def test_needs_write() -> None:
    good = synced(("c-1", "1"))
    same_soon = apply(good, success(("c-1", "1")), 60)
    same_late = apply(good, success(("c-1", "1")), 300)
    changed = apply(good, success(("c-2", "1")), 10)
    failed = apply(good, DENIED, 10)
    failed_again = apply(failed.status, DENIED, 900)
    assert needs_write(None, same_soon, now=at(60), heartbeat_seconds=300)
    assert not needs_write(good, same_soon, now=at(60), heartbeat_seconds=300)
    assert needs_write(good, same_late, now=at(300), heartbeat_seconds=300)
    assert needs_write(good, changed, now=at(10), heartbeat_seconds=300)
    assert needs_write(good, failed, now=at(10), heartbeat_seconds=300)
    assert not needs_write(failed.status, failed_again, now=at(900), heartbeat_seconds=300)
    garbled = {**good, "lastSyncTime": "garbage"}
    assert needs_write(
        garbled, apply(garbled, success(("c-1", "1")), 5), now=at(5), heartbeat_seconds=300
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 applied, for checking status_patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def test_status_patch() -> None:
    previous = {"a": 1, "b": [1, 2], "c": {"x": 1, "y": 2}, "gone": "x"}
    new = {"a": 1, "b": [1], "c": {"x": 1, "z": 3}, "fresh": True}
    assert status_patch(previous, new) == {
        "b": [1],
        "c": {"y": None, "z": 3},
        "fresh": True,
        "gone": None,
    }
    assert status_patch(None, new) == new
    assert status_patch(new, new) == {}
    assert merge_patch(previous, status_patch(previous, new)) == new


def test_status_patch_replaces_conditions_whole() -> None:
    good = synced(("c-1", "1"))
    failed = apply(good, DENIED, 30).status
    patch = status_patch(good, failed)
    assert patch["conditions"] == failed["conditions"]
    assert set(patch) == {"conditions", "requestId"}
    assert status_patch(failed, apply(failed, success(("c-1", "1")), 60).status)["conditions"] == [
        ready(apply(failed, success(("c-1", "1")), 60).status)
    ]


# --- properties ---------------------------------------------------------------------------------

instance_sets = st.lists(
    st.tuples(st.sampled_from([f"c-{i}" for i in range(8)]), st.sampled_from(["0", "1", "2"])),
    max_size=10,
)
failures = st.builds(
    Failure,
    reason=st.sampled_from([FC_THROTTLED, FC_UNAVAILABLE, AUTH_FAILED, NOT_FOUND, INVALID_SPEC]),
    message=st.sampled_from(["m1", "m2"]),
    stalled=st.booleans(),
    request_id=st.one_of(st.none(), st.sampled_from(["r1", "r2"])),
)
outcomes: st.SearchStrategy[Outcome] = st.one_of(
    st.builds(
        lambda pairs, limit: success(*pairs, limit=limit),
        instance_sets,
        st.sampled_from([0, 3, 100]),
    ),
    failures,
    st.just(Suspended()),
)
steps = st.lists(
    st.tuples(outcomes, st.sampled_from(["poll", "pending"]), st.integers(0, 1)),
    min_size=1,
    max_size=8,
)


def check_step(
    previous: dict[str, Any] | None, outcome: Outcome, update: StatusUpdate, generation: int
) -> None:
    status = update.status
    before = previous or {}
    types = [c["type"] for c in status["conditions"]]
    assert types.count("Ready") == 1 and len(types) == len(set(types))
    assert "Reconciling" not in types
    assert ("Stalled" in types) == (isinstance(outcome, Failure) and outcome.stalled)
    assert status["observedGeneration"] == generation
    assert ready(status)["observedGeneration"] == generation
    for cond in status["conditions"]:
        old = condition(before, cond["type"])
        if old is not None and old["status"] == cond["status"]:
            assert cond["lastTransitionTime"] == old["lastTransitionTime"]
    if "instances" in status:
        ids = [i["instanceId"] for i in status["instances"]]
        assert ids == sorted(set(ids))
        assert sum(v["count"] for v in status["versionCounts"]) == status["instanceCount"]
        assert status["instanceCount"] == len(ids)
    if isinstance(outcome, Success):
        old_seen = {i["instanceId"]: i["firstSeen"] for i in before.get("instances", [])}
        for entry in status["instances"]:
            assert entry["firstSeen"] == old_seen.get(entry["instanceId"], entry["firstSeen"])
        assert status["truncated"] == (
            outcome.limit > 0 and len(status["instances"]) >= outcome.limit
        )
    else:
        for key in INSTANCE_DATA_KEYS:
            assert status.get(key) == before.get(key)
    warnings = [e for e in update.events if e.type == "Warning"]
    if warnings:
        assert isinstance(outcome, Failure)
        old_ready = condition(before, "Ready")
        assert old_ready is None or (old_ready["status"], old_ready["reason"]) != (
            "False",
            outcome.reason,
        )
    assert merge_patch(before, status_patch(previous, status)) == status


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_any_sequence_of_outcomes_keeps_the_invariants(
    sequence: list[tuple[Outcome, str, int]],
) -> None:
    previous: dict[str, Any] | None = None
    generation = 1
    for index, (outcome, kind, bump) in enumerate(sequence):
        now = at(30 * index)
        if kind == "pending":
            generation += bump
            pending = pending_status(previous, generation=generation, now=now)
            assert pending.events == ()
            assert condition(pending.status, "Reconciling") is not None
            previous = pending.status
            now += timedelta(seconds=1)
        update = reconcile_status(previous, outcome, generation=generation, now=now)
        check_step(previous, outcome, update, generation)
        repeat = reconcile_status(
            update.status, outcome, generation=generation, now=now + timedelta(seconds=10)
        )
        assert not repeat.visible_change
        assert repeat.events == ()
        previous = update.status
