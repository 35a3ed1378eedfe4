"""Request building, the retry policy, and FCClient over httpx.MockTransport (no network)."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcwatch.fc.client import FCClient, RetryPolicy, transport_error
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import FCError, FCTarget
from fcwatch.fc.request_builder import build_request, validate_endpoint

CREDS = Credentials("LTAI", "secret-value", "token-value")
FC2 = FCTarget(
    api="fc2",
    endpoint="https://123.cn-hangzhou.fc.aliyuncs.com",
    function_name="check out",
    service_name="shop",
    qualifier="prod",
    instance_ids=("c-1", "c 2"),
    limit=10,
)
FC3 = FCTarget(
    api="fc3",
    endpoint="http://127.0.0.1:8080/",
    function_name="结账",
    qualifier="LATEST",
    instance_ids=("c-1", "实例"),
)


def test_fc2_request() -> None:
    prepared = build_request(FC2)
    assert prepared.method == "GET"
    assert prepared.url == (
        "https://123.cn-hangzhou.fc.aliyuncs.com/2016-08-15/services/shop.prod/functions/"
        "check%20out/instances"
    )
    assert prepared.params == (("limit", "10"), ("instanceIds", "c-1"), ("instanceIds", "c 2"))
    assert ("content-type", "application/json") in prepared.headers


def test_fc3_request() -> None:
    prepared = build_request(FC3)
    assert prepared.url == (
        "http://127.0.0.1:8080/2023-03-30/functions/%E7%BB%93%E8%B4%A6/instances"
    )
    assert prepared.params == (
        ("qualifier", "LATEST"),
        ("limit", "100"),
        ("instanceIds", '["c-1","实例"]'),
    )
    assert ("x-acs-action", "ListInstances") in prepared.headers
    assert ("x-acs-version", "2023-03-30") in prepared.headers


@pytest.mark.parametrize(
    "change",
    [
        {"limit": 101},
        {"limit": -1},
        {"function_name": ""},
        {"qualifier": ""},
        {"service_name": None},
        {"instance_ids": ("",)},
        {"endpoint": "ftp://host"},
        {"endpoint": "https://host/path"},
        {"endpoint": "https://host?x=1"},
        {"endpoint": "https://user:pw@host"},
        {"endpoint": "https://host:99999"},
        {"endpoint": "host"},
        {"api": "fc4"},
    ],
)
def test_invalid_targets(change: dict[str, Any]) -> None:
    fields = {**FC2.__dict__, **change}
    with pytest.raises(FCError) as info:
        build_request(FCTarget(**fields))
    assert (info.value.kind, info.value.retryable) == ("invalid", False)


def test_validate_endpoint_normalises() -> None:
    assert validate_endpoint("https://h:443/") == "https://h:443"
    assert validate_endpoint("http://[::1]:8080") == "http://[::1]:8080"


# --- RetryPolicy -------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_and_stops_at_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [policy.delay(n, None, 0.5) for n in range(1, 7)] == [1.0, 2.0, 4.0, 5.0, 5.0, None]


def test_jitter_only_shortens() -> None:
    policy = RetryPolicy(base_delay=2.0, jitter=0.5)
    assert policy.delay(1, None, 0.0) == 2.0
    assert policy.delay(1, None, 1.0) == 1.0
    assert policy.delay(1, None, 7.0) == 1.0  # a bad random source is clamped


def test_retry_after_wins_unless_beyond_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(1, 12.0, 0.9) == 12.0
    assert policy.delay(1, 0.0, 0.9) == 0.0
    assert policy.delay(1, 31.0, 0.9) is None
    assert policy.delay(policy.max_attempts, 1.0, 0.0) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1}, {"jitter": 1.5}, {"max_retry_after": -1}],
)
def test_policy_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


@given(
    st.integers(1, 20),
    st.floats(0, 100) | st.none(),
    st.floats(0, 1),
)
def test_delays_are_bounded(attempt: int, retry_after: float | None, rnd: float) -> None:
    policy = RetryPolicy(max_attempts=10)
    delay = policy.delay(attempt, retry_after, rnd)
    if delay is not None:
        assert 0 <= delay <= max(policy.max_delay, policy.max_retry_after)
        assert attempt < policy.max_attempts


# --- FCClient with a mock transport ------------------------------------------------------------


class Recorder:
    def __init__(self, responses: list[httpx.Response | Exception]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def client(self, **kwargs: Any) -> FCClient:
        return FCClient(
            transport=httpx.MockTransport(self.handler),
            sleep=self.sleep,
            random_fraction=lambda: 0.0,
            retry=RetryPolicy(max_attempts=3, base_delay=0.5, jitter=0.5),
            **kwargs,
        )


def ok(doc: Any, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(doc).encode(), headers=headers)


async def run(recorder: Recorder, target: FCTarget = FC2, **kwargs: Any) -> Any:
    async with recorder.client(**kwargs) as client:
        return await client.list_instances(target, CREDS)


async def test_sends_signed_fc2_request() -> None:
    recorder = Recorder([ok({"instances": []}, **{"x-fc-request-id": "r"})])
    result = await run(recorder)
    assert result.request_id == "r"
    request = recorder.requests[0]
    assert request.url.path == "/2016-08-15/services/shop.prod/functions/check out/instances"
    assert request.url.params.get_list("instanceIds") == ["c-1", "c 2"]
    assert request.headers["authorization"].startswith("FC LTAI:")
    assert request.headers["x-fc-security-token"] == "token-value"


async def test_sends_signed_fc3_request() -> None:
    recorder = Recorder([ok({"instances": [], "requestId": "r3"})])
    result = await run(recorder, FC3)
    assert result.request_id == "r3"
    request = recorder.requests[0]
    assert request.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI,")
    assert request.url.params["instanceIds"] == '["c-1","实例"]'


@pytest.mark.parametrize(
    ("failures", "sleeps"),
    [
        ([httpx.Response(503, json={"ErrorCode": "ResourceThrottled"})], [0.5]),
        ([httpx.Response(429, headers={"retry-after": "2"})], [2.0]),
        ([httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], [0.5, 1.0]),
        ([httpx.RemoteProtocolError("reset")], [0.5]),
    ],
)
async def test_retryable_failures_then_success(failures: list[Any], sleeps: list[float]) -> None:
    recorder = Recorder([*failures, ok({"instances": [{"instanceId": "c", "versionId": "1"}]})])
    result = await run(recorder)
    assert len(result.instances) == 1
    assert recorder.sleeps == sleeps


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    recorder = Recorder([httpx.ReadTimeout("slow"), httpx.Response(500, text="boom")])
    with pytest.raises(FCError) as info:
        await run(recorder)
    assert (info.value.kind, info.value.http_status, info.value.message) == (
        "unavailable",
        500,
        "HTTP 500: boom",
    )
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(403, json={"ErrorCode": "AccessDenied"}),
        httpx.Response(404, json={"Code": "FunctionNotFound"}),
        httpx.Response(400, json={"errorCode": "InvalidArgument"}),
        httpx.Response(200, text="not json"),
        httpx.Response(302, headers={"location": "https://elsewhere"}),
    ],
)
async def test_non_retryable_failures_are_not_retried(response: httpx.Response) -> None:
    recorder = Recorder([response])
    with pytest.raises(FCError) as info:
        await run(recorder)
    assert info.value.retryable is False
    assert len(recorder.requests) == 1 and recorder.sleeps == []


async def test_oversized_body_is_a_protocol_error() -> None:
    big = b'{"instances": [' + b" " * (9 * 1024 * 1024) + b"]}"
    recorder = Recorder([httpx.Response(200, content=big)])
    with pytest.raises(FCError) as info:
        await run(recorder)
    assert info.value.kind == "protocol"


async def test_on_attempt_sees_every_attempt() -> None:
    seen: list[Any] = []
    recorder = Recorder([httpx.Response(503), ok([])])
    await run(recorder, on_attempt=seen.append)
    assert [(a.attempt, a.http_status) for a in seen] == [(1, 503), (2, 200)]
    assert seen[0].error.kind == "unavailable" and seen[1].error is None


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (httpx.UnsupportedProtocol("x"), "invalid", False),
        (httpx.ConnectTimeout("x"), "unavailable", True),
        (TimeoutError(), "unavailable", True),
        (OSError("x"), "unavailable", True),
    ],
)
def test_transport_error_mapping(exc: Exception, kind: str, retryable: bool) -> None:
    error = transport_error(exc, 15.0)
    assert (error.kind, error.retryable) == (kind, retryable)


async def test_client_verifies_tls() -> None:
    async with FCClient() as client:
        context = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
