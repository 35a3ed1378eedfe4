"""parse_spec: defaults, every field's validation, and messages that name the field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcwatch.spec import CredentialsRef, InvalidSpec, WatchSpec, parse_spec

FC2_MINIMAL: dict[str, Any] = {
    "region": "cn-hangzhou",
    "accountId": "1234567890",
    "serviceName": "shop",
    "functionName": "checkout",
}
FC3_MINIMAL: dict[str, Any] = {
    "api": "fc3",
    "region": "cn-shanghai",
    "accountId": "1234567890",
    "functionName": "checkout",
}


def with_fields(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields}


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


def test_fc2_defaults() -> None:
    assert parse_spec(FC2_MINIMAL) == WatchSpec(
        api="fc2",
        region="cn-hangzhou",
        account_id="1234567890",
        function_name="checkout",
        service_name="shop",
        qualifier="LATEST",
        internal=False,
        endpoint=None,
        instance_ids=(),
        limit=100,
        interval_seconds=30.0,
        suspend=False,
        credentials_ref=None,
    )


def test_fc3_needs_no_service() -> None:
    parsed = parse_spec(FC3_MINIMAL)
    assert parsed.api == "fc3"
    assert parsed.service_name is None


def test_every_field_set() -> None:
    parsed = parse_spec(
        with_fields(
            FC2_MINIMAL,
            api="fc2",
            qualifier="prod",
            internal=False,
            endpoint="http://127.0.0.1:9000",
            instanceIds=["c-2", "c-1", "c-2"],
            limit=0,
            interval="1m30s",
            suspend=True,
            credentialsRef={"name": "fc-credentials"},
        )
    )
    assert parsed.qualifier == "prod"
    assert parsed.endpoint == "http://127.0.0.1:9000"
    assert parsed.instance_ids == ("c-1", "c-2")  # deduplicated, sorted
    assert parsed.limit == 0
    assert parsed.interval_seconds == 90.0
    assert parsed.suspend is True
    assert parsed.credentials_ref == CredentialsRef(name="fc-credentials")


@pytest.mark.parametrize(
    ("field", "value", "attr", "default"),
    [
        ("endpoint", "", "endpoint", None),
        ("qualifier", "", "qualifier", "LATEST"),
        ("qualifier", None, "qualifier", "LATEST"),
        ("limit", None, "limit", 100),
        ("interval", None, "interval_seconds", 30.0),
        ("suspend", None, "suspend", False),
        ("instanceIds", None, "instance_ids", ()),
        ("credentialsRef", None, "credentials_ref", None),
    ],
)
def test_empty_or_null_means_default(field: str, value: Any, attr: str, default: object) -> None:
    assert getattr(parse_spec(with_fields(FC2_MINIMAL, **{field: value})), attr) == default


def test_numeric_versions_and_aliases_are_qualifiers() -> None:
    assert parse_spec(with_fields(FC2_MINIMAL, qualifier="3")).qualifier == "3"
    assert parse_spec(with_fields(FC2_MINIMAL, internal=True)).internal is True
    assert parse_spec(with_fields(FC2_MINIMAL, region="ap-southeast-1")).region == "ap-southeast-1"
    assert parse_spec(with_fields(FC2_MINIMAL, qualifier="blue_green-1")).qualifier == (
        "blue_green-1"
    )


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (without(FC2_MINIMAL, "serviceName"), "spec.serviceName is required"),
        (with_fields(FC2_MINIMAL, serviceName=""), "spec.serviceName must not be empty"),
        (without(FC2_MINIMAL, "region"), "spec.region is required"),
        (without(FC2_MINIMAL, "accountId"), "spec.accountId is required"),
        (without(FC3_MINIMAL, "functionName"), "spec.functionName is required"),
        (with_fields(FC2_MINIMAL, api="fc1"), "spec.api must be 'fc2' or 'fc3'"),
        (with_fields(FC2_MINIMAL, api=2), "spec.api must be 'fc2' or 'fc3'"),
        (with_fields(FC2_MINIMAL, accountId=1234567890), "spec.accountId must be a string"),
        (with_fields(FC2_MINIMAL, accountId="12ab"), "spec.accountId '12ab' does not match"),
        (with_fields(FC2_MINIMAL, region="evil.com/"), "spec.region"),
        (with_fields(FC2_MINIMAL, region="CN-HANGZHOU"), "spec.region"),
        (with_fields(FC2_MINIMAL, region="a" * 65), "spec.region must be at most 64"),
        (with_fields(FC2_MINIMAL, serviceName="shop/../x"), "spec.serviceName"),
        (with_fields(FC2_MINIMAL, functionName="9lives"), "spec.functionName"),
        (with_fields(FC2_MINIMAL, functionName="a" * 129), "spec.functionName"),
        (with_fields(FC2_MINIMAL, qualifier="v1.2"), "spec.qualifier"),
        (with_fields(FC2_MINIMAL, qualifier="a?b"), "spec.qualifier"),
        (with_fields(FC2_MINIMAL, internal="yes"), "spec.internal must be a boolean"),
        (
            with_fields(FC2_MINIMAL, internal=True, endpoint="https://x.fc.aliyuncs.com"),
            "spec.internal: true has no effect together with spec.endpoint",
        ),
        (
            with_fields(FC3_MINIMAL, serviceName="shop"),
            "spec.serviceName must not be set when spec.api is fc3",
        ),
        (with_fields(FC2_MINIMAL, qualifier="12345678901"), "spec.qualifier"),
        (with_fields(FC2_MINIMAL, qualifier="1a"), "spec.qualifier"),
        (with_fields(FC2_MINIMAL, region="x-1"), "spec.region"),
        (with_fields(FC2_MINIMAL, suspend=1), "spec.suspend must be a boolean"),
        (with_fields(FC2_MINIMAL, endpoint=80), "spec.endpoint must be a string"),
        (with_fields(FC2_MINIMAL, limit=101), "spec.limit must be between 0 and 100, got 101"),
        (with_fields(FC2_MINIMAL, limit=-1), "spec.limit must be between 0 and 100"),
        (with_fields(FC2_MINIMAL, limit="10"), "spec.limit must be an integer, not string"),
        (with_fields(FC2_MINIMAL, limit=10.0), "spec.limit must be an integer"),
        (with_fields(FC2_MINIMAL, limit=True), "spec.limit must be an integer, not boolean"),
        (with_fields(FC2_MINIMAL, interval="4s"), "spec.interval must be at least 5s"),
        (with_fields(FC2_MINIMAL, interval="4999ms"), "spec.interval must be at least 5s"),
        (with_fields(FC2_MINIMAL, interval="-1m"), "spec.interval must be at least 5s"),
        (with_fields(FC2_MINIMAL, interval="5"), "spec.interval: missing unit"),
        (with_fields(FC2_MINIMAL, interval="1d"), "spec.interval: unknown unit 'd'"),
        (with_fields(FC2_MINIMAL, interval=30), "spec.interval must be a Go duration string"),
        (with_fields(FC2_MINIMAL, instanceIds="c-1"), "spec.instanceIds must be an array"),
        (with_fields(FC2_MINIMAL, instanceIds=["c-1", 2]), "spec.instanceIds[1] must be a string"),
        (with_fields(FC2_MINIMAL, instanceIds=["c 1"]), "spec.instanceIds[0]"),
        (with_fields(FC2_MINIMAL, instanceIds=[""]), "spec.instanceIds[0]"),
        (
            with_fields(FC2_MINIMAL, instanceIds=[f"c-{i}" for i in range(101)]),
            "spec.instanceIds may hold at most 100 ids, got 101",
        ),
        (with_fields(FC2_MINIMAL, credentialsRef="fc"), "spec.credentialsRef must be an object"),
        (with_fields(FC2_MINIMAL, credentialsRef={}), "spec.credentialsRef.name is required"),
        (
            with_fields(FC2_MINIMAL, credentialsRef={"name": "Bad_Name"}),
            "spec.credentialsRef.name 'Bad_Name' does not match",
        ),
        (
            with_fields(FC2_MINIMAL, credentialsRef={"name": "fc", "namespace": "kube-system"}),
            "spec.credentialsRef.namespace is not supported",
        ),
    ],
)
def test_invalid_specs_name_the_field(spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(spec)
    assert fragment in str(raised.value)


def test_spec_that_is_not_an_object() -> None:
    with pytest.raises(InvalidSpec, match="spec must be an object, not array"):
        parse_spec([])  # type: ignore[arg-type]


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(with_fields(FC2_MINIMAL, qualifier="x" * 500 + "."))
    assert len(str(raised.value)) < 200


def test_exactly_one_hundred_instance_ids_and_five_seconds_are_allowed() -> None:
    parsed = parse_spec(
        with_fields(FC2_MINIMAL, instanceIds=[f"c-{i:03d}" for i in range(100)], interval="5s")
    )
    assert len(parsed.instance_ids) == 100
    assert parsed.interval_seconds == 5.0


def test_unknown_fields_are_ignored() -> None:
    assert parse_spec(with_fields(FC2_MINIMAL, futureField=1)) == parse_spec(FC2_MINIMAL)


spec_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=200),
    st.sampled_from(["", "fc3", "30s", "4s", "LATEST", "x.y", "c-1", "http://127.0.0.1:1"]),
    st.text(max_size=8),
    st.lists(st.sampled_from(["c-1", "c-2", "", 3]), max_size=3),
    st.fixed_dictionaries({"name": st.sampled_from(["fc", "", "Bad"])}),
)
spec_fields = st.sampled_from(
    [
        "api",
        "region",
        "accountId",
        "serviceName",
        "functionName",
        "qualifier",
        "internal",
        "endpoint",
        "instanceIds",
        "limit",
        "interval",
        "suspend",
        "credentialsRef",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(spec_fields, spec_values, max_size=4))
def test_any_mutation_either_parses_or_raises_invalid_spec(changes: dict[str, Any]) -> None:
    try:
        parsed = parse_spec({**FC2_MINIMAL, **changes})
    except InvalidSpec as exc:
        assert str(exc).startswith("spec")
    else:
        assert 0 <= parsed.limit <= 100
        assert parsed.interval_seconds >= 5
        assert len(parsed.instance_ids) <= 100
        assert parsed.api in ("fc2", "fc3")
        assert parsed.api == "fc3" or parsed.service_name
