"""Endpoint resolution, the allowlist, and the rule that keeps operator credentials home."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcwatch.endpoints import (
    OWN_CREDENTIALS_REFUSED,
    EndpointNotAllowed,
    EndpointPolicy,
    ResolvedEndpoint,
    credentials_allowed,
    resolve_endpoint,
    target_for,
)
from fcwatch.fc.model import FCTarget
from fcwatch.spec import CredentialsRef, WatchSpec

SECRET = CredentialsRef(name="fc-credentials")
BASE = WatchSpec(
    api="fc2",
    region="cn-hangzhou",
    account_id="1234567890",
    function_name="checkout",
    service_name="shop",
)
SIMULATOR_POLICY = EndpointPolicy.parse(["http://127.0.0.1:*"])


def spec_with(endpoint: str | None, *, secret: bool = True, **changes: Any) -> WatchSpec:
    return dataclasses.replace(
        BASE, endpoint=endpoint, credentials_ref=SECRET if secret else None, **changes
    )


def test_default_endpoint_without_override() -> None:
    assert resolve_endpoint(spec_with(None, secret=False), EndpointPolicy()) == ResolvedEndpoint(
        url="https://1234567890.cn-hangzhou.fc.aliyuncs.com", overridden=False
    )


def test_internal_default_endpoint() -> None:
    resolved = resolve_endpoint(spec_with(None, internal=True), EndpointPolicy())
    assert resolved.url == "https://1234567890.cn-hangzhou-internal.fc.aliyuncs.com"


def test_override_equal_to_the_default_is_not_an_override() -> None:
    spec = spec_with("HTTPS://1234567890.cn-hangzhou.fc.aliyuncs.com:443/", secret=False)
    assert resolve_endpoint(spec, EndpointPolicy()) == ResolvedEndpoint(
        url="https://1234567890.cn-hangzhou.fc.aliyuncs.com", overridden=False
    )


def test_other_fc_host_is_always_admitted_with_a_secret() -> None:
    resolved = resolve_endpoint(
        spec_with("https://999.cn-shanghai.fc.aliyuncs.com"), EndpointPolicy()
    )
    assert resolved == ResolvedEndpoint("https://999.cn-shanghai.fc.aliyuncs.com", True)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
    ],
)
def test_simulator_endpoint_admitted_by_policy(endpoint: str, url: str) -> None:
    assert resolve_endpoint(spec_with(endpoint), SIMULATOR_POLICY) == ResolvedEndpoint(url, True)


def test_override_without_credentials_ref_is_refused() -> None:
    with pytest.raises(EndpointNotAllowed) as raised:
        resolve_endpoint(spec_with("http://127.0.0.1:9000", secret=False), SIMULATOR_POLICY)
    assert str(raised.value) == OWN_CREDENTIALS_REFUSED
    assert "spec.credentialsRef" in OWN_CREDENTIALS_REFUSED


def test_credentials_allowed_rule() -> None:
    overridden = ResolvedEndpoint("http://127.0.0.1:9000", overridden=True)
    default = ResolvedEndpoint("https://1.cn-hangzhou.fc.aliyuncs.com", overridden=False)
    assert credentials_allowed(spec_with(None, secret=False), default)
    assert credentials_allowed(spec_with(None, secret=True), default)
    assert credentials_allowed(spec_with("http://127.0.0.1:9000", secret=True), overridden)
    assert not credentials_allowed(spec_with("http://127.0.0.1:9000", secret=False), overridden)


@pytest.mark.parametrize(
    ("endpoint", "policy", "fragment"),
    [
        ("https://evil.example", [], "not admitted by the operator's --allowed-endpoints"),
        ("https://fc.aliyuncs.com.evil.example", [], "not admitted"),
        ("https://x-fc.aliyuncs.com", [], "not admitted"),
        ("http://127.0.0.1:9000", [], "not admitted"),
        ("http://127.0.0.1:9000", ["https://127.0.0.1:*"], "not admitted"),
        ("http://127.0.0.1:9000", ["127.0.0.1:8000"], "not admitted"),
        ("http://1.cn-hangzhou.fc.aliyuncs.com", [], "plain http is allowed only for loopback"),
        ("http://proxy.corp.example", ["*"], "plain http is allowed only for loopback"),
        ("http://10.0.0.1:80", ["http://*"], "plain http is allowed only for loopback"),
        ("http://[::ffff:10.0.0.1]", ["*"], "plain http is allowed only for loopback"),
        ("127.0.0.1:9000", ["*"], "must start with https://"),
        ("localhost:9000", ["*"], "must start with https://"),
        ("ftp://127.0.0.1", ["*"], "must use https or http"),
        ("https://user:pw@x.fc.aliyuncs.com", ["*"], "must not contain credentials"),
        ("https://x.fc.aliyuncs.com@evil.example", ["*"], "must not contain credentials"),
        ("https://x.fc.aliyuncs.com/2016-08-15", ["*"], "must not have a path"),
        ("https://evil.example\\@x.fc.aliyuncs.com", ["*"], "spec.endpoint"),
        ("https://x.fc.aliyuncs.com?a=b", ["*"], "must not have a query"),
        ("https://evil.example#.fc.aliyuncs.com", ["*"], "must not have a fragment"),
        ("https://evil%2eexample", ["*"], "spec.endpoint"),
        ("https://ex_ample.com", ["*"], "spec.endpoint"),
        ("https://0x7f000001", ["*"], "invalid host"),
        ("https://127.1", ["*"], "invalid host"),
        ("https://0127.0.0.1", ["*"], "invalid host"),
        ("https://-a.example", ["*"], "invalid host"),
        ("https://x.example:0", ["*"], "invalid port"),
        ("https://x.example:65536", ["*"], "invalid port"),
        ("https://[::1", ["*"], "spec.endpoint"),
        (" https://x.fc.aliyuncs.com", ["*"], "spec.endpoint"),
        ("https://x.fc.aliyuncs.com\n", ["*"], "spec.endpoint"),
    ],
)
def test_refused_overrides(endpoint: str, policy: list[str], fragment: str) -> None:
    with pytest.raises(EndpointNotAllowed) as raised:
        resolve_endpoint(spec_with(endpoint), EndpointPolicy.parse(policy))
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("endpoint", "patterns", "url"),
    [
        ("http://localhost:8080", ["localhost"], "http://localhost:8080"),
        ("http://LOCALHOST:8080", ["localhost"], "http://localhost:8080"),
        ("http://127.0.0.2:1", ["127.0.0.*"], "http://127.0.0.2:1"),
        ("http://[::1]:9000", ["::1"], "http://[::1]:9000"),
        ("http://[0:0:0:0:0:0:0:1]:9000", ["http://[::1]:9000"], "http://[::1]:9000"),
        ("https://fc-proxy.corp.example:8443", ["*.corp.example"], None),
        ("https://fc-proxy.corp.example:8443", ["https://fc-proxy.corp.example:84?3"], None),
        ("https://fc-proxy.corp.example", ["https://fc-proxy.corp.example:443"], None),
        ("https://a.b.corp.example", ["a.example, *.corp.example"], None),
        ("https://Proxy.Corp.Example", ["*.CORP.example"], "https://proxy.corp.example"),
        ("https://10.1.2.3:8443", ["10.1.2.*"], None),
    ],
)
def test_admitted_overrides(endpoint: str, patterns: list[str], url: str | None) -> None:
    resolved = resolve_endpoint(spec_with(endpoint), EndpointPolicy.parse(patterns))
    assert resolved == ResolvedEndpoint(url or endpoint, overridden=True)


@pytest.mark.parametrize(
    ("values", "allowed"),
    [
        ([], ()),
        (["", " , "], ()),
        (["127.0.0.1"], ("*://127.0.0.1",)),
        (["HTTP://127.0.0.1:*/"], ("http://127.0.0.1:*",)),
        (["a.example,b.example", "a.example"], ("*://a.example", "*://b.example")),
        (["[::1]:80", "::1"], ("*://[::1]:80", "*://::1")),
        (["*://x.example"], ("*://x.example",)),
    ],
)
def test_policy_parse_normalises(values: list[str], allowed: tuple[str, ...]) -> None:
    policy = EndpointPolicy.parse(values)
    assert policy.allowed == allowed
    assert EndpointPolicy.parse(policy.allowed) == policy  # normalised form parses to itself


@pytest.mark.parametrize(
    "pattern",
    [
        "ftp://x.example",
        "https://x.example/path",
        "https://x.example:http",
        "https://user@x.example",
        "x_y.example",
        "[::1",
        "[::1]x",
        "::zz",
        "https://",
    ],
)
def test_bad_policy_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid endpoint pattern"):
        EndpointPolicy.parse([pattern])
    with pytest.raises(ValueError, match="invalid endpoint pattern"):
        EndpointPolicy(allowed=(pattern,))


def test_policy_admits() -> None:
    assert EndpointPolicy().admits("https://1.cn-hangzhou.fc.aliyuncs.com")
    assert not EndpointPolicy().admits("https://example.com")
    assert SIMULATOR_POLICY.admits("http://127.0.0.1:1234")


def test_target_for_fc2_and_fc3() -> None:
    spec = spec_with(None, instance_ids=("c-1",), limit=5, qualifier="prod")
    resolved = resolve_endpoint(spec, EndpointPolicy())
    assert target_for(spec, resolved) == FCTarget(
        api="fc2",
        endpoint="https://1234567890.cn-hangzhou.fc.aliyuncs.com",
        function_name="checkout",
        qualifier="prod",
        service_name="shop",
        instance_ids=("c-1",),
        limit=5,
    )
    fc3 = dataclasses.replace(spec, api="fc3")
    assert target_for(fc3, resolved).service_name is None
    assert target_for(fc3, resolved).api == "fc3"


STRICT_URL = re.compile(r"(?P<scheme>https?)://(?P<host>\[[0-9a-f:]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?")
url_fragments = st.sampled_from(
    ["http", "https", "://", ":", "/", "@", "#", "?", "\\", "%2e", ".", "[", "]", "::1",
     "127.0.0.1", "localhost", "evil.example", ".fc.aliyuncs.com", "x", "9000", " ", "\t", "-"]
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(url_fragments, min_size=1, max_size=8).map("".join),
    st.booleans(),
    st.sampled_from([[], ["http://127.0.0.1:*"], ["*"]]),
)
def test_any_endpoint_text_is_resolved_safely_or_refused(
    endpoint: str, secret: bool, patterns: list[str]
) -> None:
    policy = EndpointPolicy.parse(patterns)
    try:
        resolved = resolve_endpoint(spec_with(endpoint, secret=secret), policy)
    except EndpointNotAllowed as exc:
        assert str(exc).startswith("spec.endpoint")
        return
    parts = STRICT_URL.fullmatch(resolved.url)
    assert parts is not None, resolved.url
    assert credentials_allowed(spec_with(endpoint, secret=secret), resolved)
    if parts["scheme"] == "http":
        assert parts["host"] in ("localhost", "[::1]") or parts["host"].startswith("127.")
    if not patterns:
        assert parts["host"].endswith(".fc.aliyuncs.com")
