"""The simulator's pure parts: config, state (churn, faults, lookups), protocol checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcwatch.fc.auth import ACS3Auth, FCAuth
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.simulator_config import (
    DEMO_ACCESS_KEY_ID,
    ConfigError,
    KeyConfig,
    config_from_dict,
    demo_config,
    load_config,
)
from fcwatch.fc.simulator_faults import Route, fault_from_dict
from fcwatch.fc.simulator_protocol import (
    Failure,
    ListQuery,
    parse_list_query,
    parse_route,
    verify_acs3,
    verify_fc2,
)
from fcwatch.fc.simulator_state import FunctionState, NotFound, SimulatorState

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def churn_config(seed: int = 3, low: int = 2, high: int = 6) -> dict[str, Any]:
    return {
        "seed": seed,
        "accounts": [
            {
                "accountId": "1",
                "keys": [{"accessKeyId": "k", "accessKeySecret": "s"}],
                "functions": [
                    {
                        "service": "svc",
                        "function": "fn",
                        "versions": ["1", "2"],
                        "aliases": {"prod": "2"},
                        "qualifiers": {
                            "prod": {
                                "churn": {
                                    "min": low,
                                    "max": high,
                                    "period": 10,
                                    "versions": ["1", "2"],
                                }
                            }
                        },
                    },
                    {
                        "service": "other",
                        "function": "fn",
                        "qualifiers": {"LATEST": [{"instanceId": "x"}]},
                    },
                ],
            }
        ],
    }


# --- config ------------------------------------------------------------------------------------


def test_demo_config_serves_demo_keys_and_aliases() -> None:
    config = demo_config()
    assert config.accounts[0].keys[0].access_key_id == DEMO_ACCESS_KEY_ID
    checkout = config.accounts[0].functions[0]
    assert (
        checkout.version_of("prod"),
        checkout.version_of("LATEST"),
        checkout.version_of("2"),
    ) == ("3", "0", "2")
    assert checkout.version_of("nope") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "accounts: at least one account"),
        ({"accounts": "x"}, "accounts: must be a list"),
        ({"accounts": [{}]}, "accounts[0].accountId: required"),
        (
            {"accounts": [{"accountId": "1", "keys": [{"accessKeyId": "k"}]}]},
            "accounts[0].keys[0].accessKeySecret: required",
        ),
        (
            {"accounts": [{"accountId": "1", "functions": [{"service": "s"}]}]},
            "accounts[0].functions[0].function: required",
        ),
        (
            {
                "accounts": [
                    {
                        "accountId": "1",
                        "functions": [
                            {"function": "f", "qualifiers": {"q": {"churn": {"min": 3, "max": 1}}}}
                        ],
                    }
                ]
            },
            "accounts[0].functions[0].qualifiers.q.churn.max: must be >= min",
        ),
        (
            {
                "accounts": [
                    {
                        "accountId": "1",
                        "functions": [
                            {
                                "function": "f",
                                "qualifiers": {"q": [{"instanceId": "i", "createdTimeMs": "x"}]},
                            }
                        ],
                    }
                ]
            },
            "qualifiers.q[0].createdTimeMs: must be an integer",
        ),
        ({"accounts": [{"accountId": True}]}, "accounts[0].accountId: must be a string"),
        (
            {"accounts": [{"accountId": "1"}], "maxSkewSeconds": -1},
            "maxSkewSeconds: must be a number",
        ),
        (
            {"accounts": [{"accountId": "1"}], "sts": {"roles": [{}]}},
            "sts.roles[0].roleArn: required",
        ),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert message in str(info.value)


def test_yaml_and_json_files_load_alike(tmp_path: Path) -> None:
    data = churn_config()
    (tmp_path / "c.json").write_text(json.dumps(data))
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    assert load_config(tmp_path / "c.json") == load_config(tmp_path / "c.yaml")
    (tmp_path / "bad.yaml").write_text("accounts: [")
    with pytest.raises(ConfigError):
        load_config(tmp_path / "bad.yaml")


def test_key_config_repr_hides_secrets() -> None:
    key = KeyConfig("id", "the-secret", "the-token")
    assert "the-secret" not in repr(key) and "the-token" not in repr(key)


# --- state -------------------------------------------------------------------------------------


def prod_ids(state: SimulatorState) -> list[str]:
    function = state.find_function(state.accounts[0], Route("fc2", "fn", "prod", "svc"))
    assert isinstance(function, FunctionState)
    return [i.instance_id for i in state.instances(function, "prod")]


def test_churn_is_reproducible_bounded_and_changes() -> None:
    clocks = [Clock(), Clock()]
    states = [SimulatorState(config_from_dict(churn_config()), clock) for clock in clocks]
    history: list[list[str]] = []
    for step in range(30):
        for clock in clocks:
            clock.now = T0 + step * 10
        runs = [prod_ids(s) for s in states]
        assert runs[0] == runs[1]
        assert 2 <= len(runs[0]) <= 6
        history.append(runs[0])
    assert len({tuple(h) for h in history}) > 5
    assert set(history[0]) != set(history[-1])
    other = SimulatorState(config_from_dict(churn_config(seed=4)), Clock())
    assert prod_ids(other) != history[0]


def test_churned_versions_come_from_the_config() -> None:
    clock = Clock()
    state = SimulatorState(config_from_dict(churn_config()), clock)
    function = state.find_function(state.accounts[0], Route("fc3", "fn", "prod"))
    assert isinstance(function, FunctionState)
    versions = set()
    for step in range(20):
        clock.now = T0 + step * 10
        versions |= {i.version_id for i in state.instances(function, "prod")}
    assert versions == {"1", "2"}


def test_a_long_clock_jump_is_bounded() -> None:
    clock = Clock()
    state = SimulatorState(config_from_dict(churn_config()), clock)
    clock.now = T0 + 10 * 365 * 86400
    assert 2 <= len(prod_ids(state)) <= 6


def test_set_instances_stops_churn() -> None:
    clock = Clock()
    state = SimulatorState(config_from_dict(churn_config()), clock)
    state.set_instances(
        {
            "service": "svc",
            "function": "fn",
            "qualifier": "prod",
            "instances": [{"instanceId": "a"}],
        }
    )
    for step in range(5):
        clock.now = T0 + step * 100
        assert prod_ids(state) == ["a"]


@pytest.mark.parametrize(
    ("route", "code"),
    [
        (Route("fc2", "fn", "LATEST", "nope"), "ServiceNotFound"),
        (Route("fc2", "nope", "LATEST", "svc"), "FunctionNotFound"),
        (Route("fc3", "nope"), "FunctionNotFound"),
        (Route("fc2", "fn", "canary", "svc"), "AliasNotFound"),
        (Route("fc3", "fn", "9"), "VersionNotFound"),
    ],
)
def test_not_found(route: Route, code: str) -> None:
    state = SimulatorState(config_from_dict(churn_config()), Clock())
    found = state.find_function(state.accounts[0], route)
    assert isinstance(found, NotFound) and found.code == code


def test_fc3_picks_the_first_function_of_that_name() -> None:
    state = SimulatorState(config_from_dict(churn_config()), Clock())
    found = state.find_function(state.accounts[0], Route("fc3", "fn", "LATEST"))
    assert isinstance(found, FunctionState) and found.config.service == "svc"


def test_faults_match_count_down_and_first_wins() -> None:
    state = SimulatorState(config_from_dict(churn_config()), Clock())
    state.add_fault({"function": "fn", "qualifier": "prod", "status": 500, "count": 2})
    state.add_fault({"status": 429})
    route = Route("fc2", "fn", "prod", "svc")
    fired = [state.take_fault(route) for _ in range(3)]
    assert [f.status if f else None for f in fired] == [500, 500, 429]
    assert state.take_fault(Route("fc3", "other"))
    assert [f.status for f in state.faults] == [429]


def test_fault_defaults() -> None:
    latency = fault_from_dict({"latency": 1}, 1)
    assert (latency.kind, latency.latency) == ("latency", 1.0)
    error = fault_from_dict({"status": 429}, 2)
    assert (error.kind, error.error_code, error.remaining) == ("error", "ResourceExhausted", None)


def test_sts_keys_and_snapshot() -> None:
    clock = Clock()
    state = SimulatorState(config_from_dict(churn_config()), clock)
    key = state.issue_sts_key("1", 900)
    found = state.lookup_key(key.access_key_id)
    assert found is not None and found[1].account_id == "1"
    assert key.expires_at == T0 + 900
    snapshot = json.dumps(state.snapshot())
    assert key.access_key_id in snapshot
    assert key.access_key_secret not in snapshot and str(key.security_token) not in snapshot


# --- protocol ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "route"),
    [
        (
            "/2016-08-15/services/shop.prod/functions/f/instances",
            {},
            Route("fc2", "f", "prod", "shop"),
        ),
        (
            "/2016-08-15/services/shop/functions/f/instances/",
            {},
            Route("fc2", "f", "LATEST", "shop"),
        ),
        (
            "/2016-08-15/services/%E5%95%86.1/functions/a%20b/instances",
            {},
            Route("fc2", "a b", "1", "商"),
        ),
        ("/2023-03-30/functions/f/instances", {}, Route("fc3", "f", "LATEST")),
        ("/2023-03-30/functions/f/instances", {"qualifier": "prod"}, Route("fc3", "f", "prod")),
        ("/2023-03-30/functions/f", {}, None),
        ("/2016-08-15/services/shop/functions", {}, None),
        ("/", {}, None),
    ],
)
def test_parse_route(path: str, query: dict[str, str], route: Route | None) -> None:
    assert parse_route(path, query) == route


def test_route_keys() -> None:
    assert Route("fc2", "f", "prod", "shop").key == "fc2/shop/f/prod"
    assert Route("fc3", "f", "prod").key == "fc3/f/prod"


@pytest.mark.parametrize(
    ("api", "pairs", "expected"),
    [
        ("fc2", [], ListQuery(100, (), ())),
        (
            "fc2",
            [("limit", "0"), ("instanceIds", "a"), ("instanceIds", "b")],
            ListQuery(0, ("a", "b"), ()),
        ),
        (
            "fc3",
            [("instanceIds", '["a"]'), ("instanceStatus", '["Running"]')],
            ListQuery(100, ("a",), ("Running",)),
        ),
        ("fc2", [("limit", "101")], "InvalidArgument"),
        ("fc2", [("limit", "-1")], "InvalidArgument"),
        ("fc2", [("limit", "\u00b2")], "InvalidArgument"),
        ("fc3", [("instanceIds", "a")], "InvalidArgument"),
        ("fc3", [("instanceStatus", "[1]")], "InvalidArgument"),
        ("fc3", [("instanceIds", "[" * 100_000)], "InvalidArgument"),
    ],
)
def test_parse_list_query(api: str, pairs: list[tuple[str, str]], expected: Any) -> None:
    result = parse_list_query(api, pairs)  # type: ignore[arg-type]
    if isinstance(expected, str):
        assert isinstance(result, Failure) and result.code == expected
    else:
        assert result == expected


NOW = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
KEYS = {
    "k": KeyConfig("k", "s"),
    "sts": KeyConfig("sts", "s2", "tok", expires_at=NOW.timestamp() + 60),
}


def signed(api: str, creds: Credentials, when: datetime = NOW, url: str = "") -> httpx.Request:
    url = url or (
        "http://h:1/2016-08-15/services/s.LATEST/functions/f%20x/instances?limit=1"
        if api == "fc2"
        else "http://h:1/2023-03-30/functions/f%20x/instances?qualifier=%E7%94%9F&limit=1"
    )
    request = httpx.Request("GET", url, headers={"x-acs-action": "ListInstances"})
    auth = (
        FCAuth(creds, clock=lambda: when) if api == "fc2" else ACS3Auth(creds, clock=lambda: when)
    )
    return next(auth.auth_flow(request))


def verify(api: str, request: httpx.Request, now: datetime = NOW, body: bytes = b"") -> Any:
    headers = list(request.headers.multi_items())
    target = request.url.raw_path.decode()
    if api == "fc2":
        return verify_fc2("GET", target.partition("?")[0], headers, KEYS.get, now)
    return verify_acs3("GET", target, headers, body, KEYS.get, now)


def code(result: Any) -> str:
    return result.code if isinstance(result, Failure) else "ok"


@pytest.mark.parametrize("api", ["fc2", "fc3"])
def test_verify_accepts_and_rejects(api: str) -> None:
    assert code(verify(api, signed(api, Credentials("k", "s")))) == "ok"
    assert code(verify(api, signed(api, Credentials("sts", "s2", "tok")))) == "ok"
    assert code(verify(api, signed(api, Credentials("k", "wrong")))) == "SignatureNotMatch"
    assert code(verify(api, signed(api, Credentials("nope", "s")))) == "InvalidAccessKeyID"
    assert code(verify(api, signed(api, Credentials("sts", "s2")))) == "InvalidSecurityToken"
    assert code(verify(api, signed(api, Credentials("sts", "s2", "bad")))) == "InvalidSecurityToken"
    late = NOW + timedelta(minutes=2)
    assert (
        code(verify(api, signed(api, Credentials("sts", "s2", "tok"), late), late))
        == "InvalidSecurityToken.Expired"
    )
    skewed = NOW - timedelta(minutes=15, seconds=1)
    assert code(verify(api, signed(api, Credentials("k", "s"), skewed))) == "RequestTimeTooSkewed"
    almost = NOW + timedelta(minutes=14, seconds=59)
    assert code(verify(api, signed(api, Credentials("k", "s"), almost))) == "ok"


@pytest.mark.parametrize("api", ["fc2", "fc3"])
def test_tampering_is_detected(api: str) -> None:
    request = signed(api, Credentials("k", "s"))
    tampered = httpx.Request(
        "GET",
        str(request.url).replace("f%20x", "g"),
        headers=request.headers,
    )
    assert code(verify(api, tampered)) == "SignatureNotMatch"


def test_acs3_query_and_body_are_covered() -> None:
    request = signed("fc3", Credentials("k", "s"))
    other_query = httpx.Request(
        "GET", str(request.url).replace("limit=1", "limit=2"), headers=request.headers
    )
    assert code(verify("fc3", other_query)) == "SignatureNotMatch"
    assert code(verify("fc3", request, body=b"x")) == "InvalidArgument"


def test_missing_or_malformed_headers() -> None:
    request = signed("fc2", Credentials("k", "s"))
    for drop, expected in (
        ("authorization", "MissingRequiredHeader"),
        ("date", "MissingRequiredHeader"),
    ):
        headers = [(k, v) for k, v in request.headers.multi_items() if k != drop]
        assert code(verify_fc2("GET", "/p", headers, KEYS.get, NOW)) == expected
    bad = [("authorization", "Basic x"), ("date", "D")]
    assert code(verify_fc2("GET", "/p", bad, KEYS.get, NOW)) == "InvalidArgument"
    unsigned_host = [
        ("authorization", "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=x-acs-date,Signature=s")
    ]
    assert code(verify_acs3("GET", "/p", unsigned_host, b"", KEYS.get, NOW)) == "InvalidArgument"


header_pairs = st.lists(
    st.tuples(
        st.sampled_from(
            ["authorization", "date", "x-acs-date", "host", "x-fc-security-token", "x"]
        ),
        st.text(),
    )
)


@given(st.text(), header_pairs, st.binary())
def test_verification_never_crashes(
    target: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    for result in (
        verify_fc2("GET", target, headers, KEYS.get, NOW),
        verify_acs3("GET", target, headers, body, KEYS.get, NOW),
    ):
        assert isinstance(result, Failure | KeyConfig)


@given(st.text(), st.lists(st.tuples(st.text(), st.text())))
def test_request_parsing_never_crashes(path: str, pairs: list[tuple[str, str]]) -> None:
    parse_route(path, dict(pairs))
    for api in ("fc2", "fc3"):
        assert isinstance(parse_list_query(api, pairs), ListQuery | Failure)  # type: ignore[arg-type]
