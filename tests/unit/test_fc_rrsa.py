"""RRSA: configuration, the AssumeRoleWithOIDC request and response, caching (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from fcwatch.fc.credentials import Credentials, CredentialsError
from fcwatch.fc.rrsa import (
    RRSAConfig,
    RRSACredentialsProvider,
    STSError,
    assume_role_request,
    parse_assume_role_response,
    refresh_due,
    rrsa_config_from_env,
    sts_endpoint_from_env,
)

T0 = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.oidc-token-value.sig"
ENV = {
    "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/r",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/p",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/tokens/oidc-token",
}
CONFIG = RRSAConfig(
    "acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", "/token", "http://sts.local:1"
)


def sts_body(key: str = "STS.k1", expires: datetime = T0 + timedelta(hours=1)) -> bytes:
    return json.dumps(
        {
            "RequestId": "rid",
            "Credentials": {
                "AccessKeyId": key,
                "AccessKeySecret": "sts-secret-value",
                "SecurityToken": "sts-token-value",
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
    ).encode()


def test_config_needs_all_three_variables() -> None:
    config = rrsa_config_from_env(ENV)
    assert config is not None
    assert (config.role_arn, config.sts_endpoint, config.role_session_name) == (
        "acs:ram::1:role/r",
        "https://sts.aliyuncs.com",
        "fcwatch",
    )
    for missing in ENV:
        assert rrsa_config_from_env({k: v for k, v in ENV.items() if k != missing}) is None


@pytest.mark.parametrize(
    ("env", "endpoint"),
    [
        ({}, "https://sts.aliyuncs.com"),
        ({"ALIBABA_CLOUD_STS_REGION": "cn-hangzhou"}, "https://sts.cn-hangzhou.aliyuncs.com"),
        (
            {
                "ALIBABA_CLOUD_STS_REGION": "cn-hangzhou",
                "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
            },
            "https://sts-vpc.cn-hangzhou.aliyuncs.com",
        ),
        ({"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9880/"}, "http://127.0.0.1:9880"),
        ({"ALIBABA_CLOUD_STS_ENDPOINT": "sts.example.com"}, "https://sts.example.com"),
    ],
)
def test_sts_endpoint(env: dict[str, str], endpoint: str) -> None:
    assert sts_endpoint_from_env(env) == endpoint


def test_request_puts_the_token_in_the_body_not_the_url() -> None:
    url, query, form = assume_role_request(CONFIG, OIDC_TOKEN, T0)
    assert url == "http://sts.local:1/"
    assert query == {
        "Action": "AssumeRoleWithOIDC",
        "Format": "JSON",
        "Version": "2015-04-01",
        "Timestamp": "2026-12-04T10:00:00Z",
    }
    assert form["OIDCToken"] == OIDC_TOKEN and form["DurationSeconds"] == "3600"


def test_parse_success() -> None:
    creds, expires = parse_assume_role_response(200, sts_body())
    assert creds == Credentials("STS.k1", "sts-secret-value", "sts-token-value")
    assert expires == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "raw", "code"),
    [
        (
            400,
            b'{"Code": "AuthenticationFail.OIDCToken.Invalid", "Message": "bad", "RequestId": "r"}',
            "AuthenticationFail.OIDCToken.Invalid",
        ),
        (500, b"<html>", None),
        (200, b"[]", None),
        (200, b'{"Credentials": {"AccessKeyId": "k"}}', None),
        (200, sts_body().replace(b"2026-12-04T11", b"tomorrowT11"), None),
    ],
)
def test_parse_failures(status: int, raw: bytes, code: str | None) -> None:
    with pytest.raises(STSError) as info:
        parse_assume_role_response(status, raw)
    assert info.value.code == code
    assert isinstance(info.value, CredentialsError)


def test_refresh_due() -> None:
    hour = timedelta(hours=1)
    assert not refresh_due(T0, T0 + hour, T0 + timedelta(minutes=49))
    assert refresh_due(T0, T0 + hour, T0 + timedelta(minutes=50))
    assert refresh_due(T0, T0 + timedelta(minutes=15), T0 + timedelta(minutes=12))
    assert not refresh_due(T0, T0 + timedelta(minutes=15), T0 + timedelta(minutes=11))


class FakeSTS:
    def __init__(self, responses: list[httpx.Response | Exception]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []
        self.now = T0
        self.token = OIDC_TOKEN

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    def read_token(self, path: str) -> str:
        if self.token == "missing":
            raise FileNotFoundError(2, "No such file or directory")
        return self.token

    def provider(self) -> RRSACredentialsProvider:
        return RRSACredentialsProvider(
            CONFIG,
            clock=lambda: self.now,
            read_token=self.read_token,
            transport=httpx.MockTransport(self.handler),
        )


async def test_provider_caches_until_refresh_is_due() -> None:
    sts = FakeSTS(
        [
            httpx.Response(200, content=sts_body("STS.k1")),
            httpx.Response(200, content=sts_body("STS.k2", T0 + timedelta(hours=2))),
        ]
    )
    provider = sts.provider()
    first = await provider.get()
    sts.now = T0 + timedelta(minutes=40)
    assert await provider.get() is first
    sts.now = T0 + timedelta(minutes=55)
    second = await provider.get()
    await provider.aclose()
    assert (first.access_key_id, second.access_key_id) == ("STS.k1", "STS.k2")
    assert len(sts.requests) == 2
    request = sts.requests[0]
    assert request.method == "POST"
    assert OIDC_TOKEN not in str(request.url)
    assert parse_qs(request.content.decode())["OIDCToken"] == [OIDC_TOKEN]
    assert "authorization" not in request.headers


async def test_failed_refresh_keeps_valid_credentials_then_fails() -> None:
    sts = FakeSTS(
        [
            httpx.Response(200, content=sts_body("STS.k1")),
            httpx.Response(503, json={"Code": "ServiceUnavailable", "Message": "down"}),
        ]
    )
    provider = sts.provider()
    first = await provider.get()
    sts.now = T0 + timedelta(minutes=55)
    assert await provider.get() is first
    sts.now = T0 + timedelta(minutes=61)
    with pytest.raises(STSError) as info:
        await provider.get()
    await provider.aclose()
    assert info.value.code == "ServiceUnavailable"


@pytest.mark.parametrize("token", ["missing", ""])
async def test_unreadable_token_file(token: str) -> None:
    sts = FakeSTS([])
    sts.token = token
    provider = sts.provider()
    with pytest.raises(CredentialsError) as info:
        await provider.get()
    await provider.aclose()
    assert "/token" in str(info.value)
    assert sts.requests == []


async def test_errors_never_contain_the_token_or_secret() -> None:
    messages: list[str] = []
    bodies: list[Any] = [
        httpx.ConnectError("refused"),
        httpx.Response(400, json={"Code": "InvalidParameter", "Message": "bad role"}),
        httpx.Response(200, json={"Credentials": {"AccessKeySecret": "sts-secret-value"}}),
    ]
    for item in bodies:
        provider = FakeSTS([item]).provider()
        with pytest.raises(CredentialsError) as info:
            await provider.get()
        await provider.aclose()
        messages.append(str(info.value))
    for message in messages:
        assert OIDC_TOKEN not in message and "sts-secret-value" not in message
