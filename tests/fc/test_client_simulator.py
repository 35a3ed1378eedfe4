"""fcwatch's FCClient against the simulator over real sockets: results, error mapping, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fcwatch.fc.client import Attempt, FCClient, RetryPolicy
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import Api, FCError, FCTarget, Instance
from fcwatch.fc.simulator import Simulator
from tests.fc.conftest import STATIC, STS


class Sleeps:
    """Records the delays the client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def target(sim: Simulator, api: Api = "fc2", **kwargs: Any) -> FCTarget:
    defaults: dict[str, Any] = {"function_name": "checkout", "service_name": "shop"}
    defaults.update(kwargs)
    if api == "fc3":
        defaults.pop("service_name")
    return FCTarget(api=api, endpoint=sim.url, **defaults)


def client(sleeps: Sleeps | None = None, attempts: int = 3, **kwargs: Any) -> FCClient:
    return FCClient(
        retry=RetryPolicy(max_attempts=attempts, base_delay=1.0, jitter=0.0),
        sleep=sleeps or Sleeps(),
        **kwargs,
    )


async def call(sim: Simulator, api: Api = "fc2", creds: Credentials = STATIC, **kwargs: Any) -> Any:
    async with client() as c:
        return await c.list_instances(target(sim, api, **kwargs), creds)


async def failure(fc: FCClient, t: FCTarget, creds: Credentials = STATIC) -> FCError:
    with pytest.raises(FCError) as info:
        await fc.list_instances(t, creds)
    return info.value


# --- success -----------------------------------------------------------------------------------


@pytest.mark.parametrize("creds", [STATIC, STS], ids=["static", "sts"])
async def test_fc2_happy_path(simulator: Simulator, creds: Credentials) -> None:
    result = await call(simulator, "fc2", creds, qualifier="prod")
    assert result.instances == (Instance("c-prod-1", "2"), Instance("c-prod-2", "1"))
    assert result.request_id


@pytest.mark.parametrize("creds", [STATIC, STS], ids=["static", "sts"])
async def test_fc3_happy_path(simulator: Simulator, creds: Credentials) -> None:
    result = await call(simulator, "fc3", creds, qualifier="prod")
    assert result.instances == (
        Instance("c-prod-1", "2", "Running", 1000, "prod"),
        Instance("c-prod-2", "1", "Stopped", 3000, "prod"),
    )
    assert result.request_id


@pytest.mark.parametrize("api", ["fc2", "fc3"])
async def test_limit_and_instance_filter(simulator: Simulator, api: Api) -> None:
    limited = await call(simulator, api, limit=1)
    assert [i.instance_id for i in limited.instances] == ["c-latest-1"]
    filtered = await call(simulator, api, instance_ids=("c-latest-2", "c-none"))
    assert [i.instance_id for i in filtered.instances] == ["c-latest-2"]


@pytest.mark.parametrize("api", ["fc2", "fc3"])
async def test_unicode_names(simulator: Simulator, api: Api) -> None:
    result = await call(simulator, api, function_name="函数 x", service_name="服务")
    assert [i.instance_id for i in result.instances] == ["c-unicode"]


async def test_changed_instances_are_seen(simulator: Simulator) -> None:
    simulator.state.set_instances(
        {"service": "shop", "function": "checkout", "instances": [{"instanceId": "c-new"}]}
    )
    result = await call(simulator, "fc2")
    assert result.instances == (Instance("c-new", "0"),)


# --- error mapping -----------------------------------------------------------------------------

ERROR_TABLE = [
    (429, "ResourceExhausted", "throttled", True),
    (503, "ResourceThrottled", "throttled", True),
    (500, "InternalServerError", "unavailable", True),
    (502, "BadGateway", "unavailable", True),
    (503, "ServiceUnavailable", "unavailable", True),
    (403, "AccessDenied", "auth", False),
    (403, "SignatureNotMatch", "auth", False),
    (403, "InvalidAccessKeyID", "auth", False),
    (404, "ServiceNotFound", "not_found", False),
    (404, "FunctionNotFound", "not_found", False),
    (404, "AliasNotFound", "not_found", False),
    (404, "VersionNotFound", "not_found", False),
    (400, "InvalidArgument", "invalid", False),
]


@pytest.mark.parametrize("api", ["fc2", "fc3"])
@pytest.mark.parametrize(("status", "code", "kind", "retryable"), ERROR_TABLE)
async def test_error_codes_map_to_kind_and_retryability(
    simulator: Simulator, api: Api, status: int, code: str, kind: str, retryable: bool
) -> None:
    simulator.state.add_fault({"function": "checkout", "status": status, "code": code})
    sleeps = Sleeps()
    async with client(sleeps, attempts=2) as fc:
        error = await failure(fc, target(simulator, api))
    assert (error.kind, error.retryable, error.http_status, error.code) == (
        kind,
        retryable,
        status,
        code,
    )
    assert error.request_id
    assert simulator.state.counts()["total"] == (2 if retryable else 1)
    assert len(sleeps.delays) == (1 if retryable else 0)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"service_name": "nope"}, "ServiceNotFound"),
        ({"function_name": "nope"}, "FunctionNotFound"),
        ({"qualifier": "staging"}, "AliasNotFound"),
        ({"qualifier": "9"}, "VersionNotFound"),
    ],
)
async def test_real_not_found_responses(
    simulator: Simulator, kwargs: dict[str, Any], code: str
) -> None:
    async with client() as fc:
        error = await failure(fc, target(simulator, "fc2", **kwargs))
    assert (error.kind, error.code, error.retryable) == ("not_found", code, False)


@pytest.mark.parametrize("api", ["fc2", "fc3"])
@pytest.mark.parametrize(
    ("creds", "code"),
    [
        (Credentials(STATIC.access_key_id, "wrong"), "SignatureNotMatch"),
        (Credentials("LTAIunknown", "x"), "InvalidAccessKeyID"),
        (Credentials(STS.access_key_id, STS.access_key_secret, "wrong"), "InvalidSecurityToken"),
    ],
)
async def test_bad_credentials(
    simulator: Simulator, api: Api, creds: Credentials, code: str
) -> None:
    async with client() as fc:
        error = await failure(fc, target(simulator, api), creds)
    assert (error.kind, error.code, error.http_status, error.retryable) == (
        "auth",
        code,
        403,
        False,
    )
    assert creds.access_key_secret not in str(error)


@pytest.mark.parametrize("api", ["fc2", "fc3"])
async def test_clock_skew_is_an_auth_error(simulator: Simulator, api: Api) -> None:
    def late() -> datetime:
        return datetime.now(UTC) - timedelta(minutes=20)

    async with client(clock=late) as fc:
        error = await failure(fc, target(simulator, api))
    assert (error.kind, error.code) == ("auth", "RequestTimeTooSkewed")


# --- retries -----------------------------------------------------------------------------------


async def test_retries_stop_at_the_bound(simulator: Simulator) -> None:
    simulator.state.add_fault({"status": 503, "code": "ResourceThrottled", "count": None})
    sleeps = Sleeps()
    async with client(sleeps, attempts=4) as fc:
        error = await failure(fc, target(simulator))
    assert error.kind == "throttled"
    assert simulator.state.counts()["total"] == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]


async def test_transient_throttling_is_retried_through(simulator: Simulator) -> None:
    simulator.state.add_fault({"status": 429, "code": "ResourceExhausted", "count": 2})
    sleeps = Sleeps()
    async with client(sleeps, attempts=3) as fc:
        result = await fc.list_instances(target(simulator), STATIC)
    assert len(result.instances) == 2
    assert simulator.state.counts()["total"] == 3
    assert sleeps.delays == [1.0, 2.0]


@pytest.mark.parametrize("api", ["fc2", "fc3"])
async def test_retry_after_is_honoured(simulator: Simulator, api: Api) -> None:
    simulator.state.add_fault({"status": 503, "retryAfter": 7, "count": 1})
    sleeps = Sleeps()
    async with client(sleeps) as fc:
        await fc.list_instances(target(simulator, api), STATIC)
    assert sleeps.delays == [7.0]


async def test_retry_after_beyond_the_cap_is_left_to_the_caller(simulator: Simulator) -> None:
    simulator.state.add_fault({"status": 429, "retryAfter": 120, "count": None})
    sleeps = Sleeps()
    async with client(sleeps) as fc:
        error = await failure(fc, target(simulator))
    assert (error.kind, error.retry_after, sleeps.delays) == ("throttled", 120.0, [])
    assert simulator.state.counts()["total"] == 1


@pytest.mark.parametrize(
    "body",
    ["<html>gateway</html>", '{"instances": [{"instanceId": 1}]}', '{"ok": true}', None],
)
async def test_malformed_200_is_a_protocol_error(simulator: Simulator, body: str | None) -> None:
    simulator.state.add_fault({"kind": "malformed", "body": body})
    async with client() as fc:
        error = await failure(fc, target(simulator, "fc3"))
    assert (error.kind, error.retryable, error.http_status) == ("protocol", False, 200)
    assert error.request_id
    assert simulator.state.counts()["total"] == 1


async def test_connection_reset_is_retried(simulator: Simulator) -> None:
    simulator.state.add_fault({"kind": "reset", "count": 1})
    sleeps = Sleeps()
    async with client(sleeps) as fc:
        result = await fc.list_instances(target(simulator), STATIC)
    assert len(result.instances) == 2
    assert len(sleeps.delays) == 1


async def test_persistent_reset_ends_unavailable(simulator: Simulator) -> None:
    simulator.state.add_fault({"kind": "reset"})
    async with client(attempts=2) as fc:
        error = await failure(fc, target(simulator, "fc3"))
    assert (error.kind, error.retryable) == ("unavailable", True)


async def test_slow_response_times_out_then_succeeds(simulator: Simulator) -> None:
    simulator.state.add_fault({"kind": "latency", "latency": 2.0, "count": 1})
    attempts: list[Attempt] = []
    async with client(timeout=0.3, on_attempt=attempts.append) as fc:
        result = await fc.list_instances(target(simulator), STATIC)
    assert len(result.instances) == 2
    assert [a.error.kind if a.error else None for a in attempts] == ["unavailable", None]
    assert attempts[0].error is not None and "timed out" in attempts[0].error.message


async def test_connection_refused_is_unavailable() -> None:
    sim = Simulator()
    url = await sim.start()
    await sim.stop()
    async with client(attempts=2) as fc:
        error = await failure(
            fc, FCTarget(api="fc2", endpoint=url, function_name="f", service_name="s")
        )
    assert (error.kind, error.retryable) == ("unavailable", True)


async def test_invalid_target_is_not_sent(simulator: Simulator) -> None:
    async with client() as fc:
        error = await failure(fc, target(simulator, limit=101))
    assert error.kind == "invalid"
    assert simulator.state.counts()["total"] == 0
