"""Response parsing and error mapping (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcwatch.fc.model import FCError, Instance
from fcwatch.fc.responses import (
    classify,
    error_from_response,
    parse_list_instances,
    parse_retry_after,
    request_id_of,
    short_text,
)

NOW = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
RID = {"X-Fc-Request-Id": "rid-header"}


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def protocol_error(raw: bytes, headers: dict[str, str] | None = None) -> FCError:
    with pytest.raises(FCError) as info:
        parse_list_instances(raw, headers or {})
    assert info.value.kind == "protocol"
    assert info.value.retryable is False
    return info.value


def test_parses_the_object_shape() -> None:
    doc = {
        "instances": [
            {"instanceId": "c-1", "versionId": "2"},
            {"instanceId": "c-2", "versionId": 0},
        ]
    }
    result = parse_list_instances(body(doc), RID)
    assert result.instances == (Instance("c-1", "2"), Instance("c-2", "0"))
    assert result.request_id == "rid-header"


def test_parses_a_bare_list_and_fc3_fields() -> None:
    doc = [
        {
            "instanceId": "c-1",
            "versionId": "3",
            "status": "Running",
            "createdTimeMs": 1.7e12,
            "qualifier": "prod",
            "resourceType": "ignored",
        }
    ]
    result = parse_list_instances(body(doc), {})
    assert result.instances == (Instance("c-1", "3", "Running", 1_700_000_000_000, "prod"),)
    assert result.request_id is None


def test_request_id_from_body_when_no_header() -> None:
    assert parse_list_instances(body({"instances": [], "requestId": "r1"}), {}).request_id == "r1"
    assert parse_list_instances(body({"instances": [], "RequestId": "r2"}), {}).request_id == "r2"
    assert request_id_of({"x-fc-request-id": "h"}, {"requestId": "b"}) == "h"


def test_null_instances_is_empty_but_missing_is_an_error() -> None:
    assert parse_list_instances(body({"instances": None}), {}).instances == ()
    error = protocol_error(body({"Instances": []}), RID)
    assert error.request_id == "rid-header"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b'{"instances": [',
        b"\xff\xfe",
        b"NaN",
        b'{"instances": [NaN]}',
        b"null",
        b"42",
        b'"instances"',
        b'{"instances": {"c-1": {}}}',
        b'{"instances": "c-1"}',
        b'{"instances": [null]}',
        b'{"instances": ["c-1"]}',
        b'{"instances": [{"versionId": "1"}]}',
        b'{"instances": [{"instanceId": "", "versionId": "1"}]}',
        b'{"instances": [{"instanceId": 7, "versionId": "1"}]}',
        b'{"instances": [{"instanceId": "c", "versionId": null}]}',
        b'{"instances": [{"instanceId": "c", "versionId": true}]}',
        b'{"instances": [{"instanceId": "c", "versionId": 1.5}]}',
        b'{"instances": [{"instanceId": "c", "versionId": "1", "status": 3}]}',
        b'{"instances": [{"instanceId": "c", "versionId": "1", "createdTimeMs": "x"}]}',
        b'{"instances": [{"instanceId": "c", "versionId": "1", "createdTimeMs": 1.5}]}',
        b'{"instances": [{"instanceId": "c", "versionId": "1", "qualifier": []}]}',
        b"[" * 100_000,
    ],
)
def test_wrong_bodies_are_protocol_errors(raw: bytes) -> None:
    protocol_error(raw)


def test_error_bodies_in_every_spelling() -> None:
    fc2 = error_from_response(
        404, RID, body({"ErrorCode": "FunctionNotFound", "ErrorMessage": "no f"}), NOW
    )
    assert (fc2.kind, fc2.code, fc2.message, fc2.request_id) == (
        "not_found",
        "FunctionNotFound",
        "no f",
        "rid-header",
    )
    docs = error_from_response(
        403, {}, body({"errorCode": "AccessDenied", "errorMessage": "m"}), NOW
    )
    assert (docs.kind, docs.code, docs.message) == ("auth", "AccessDenied", "m")
    fc3 = error_from_response(
        429, {}, body({"Code": "ResourceExhausted", "Message": "slow", "RequestId": "r3"}), NOW
    )
    assert (fc3.kind, fc3.retryable, fc3.code, fc3.request_id) == (
        "throttled",
        True,
        "ResourceExhausted",
        "r3",
    )


def test_error_without_json_body() -> None:
    error = error_from_response(502, {"retry-after": "3"}, b"<html>\n bad\tgateway </html>", NOW)
    assert (error.kind, error.retryable, error.code, error.retry_after) == (
        "unavailable",
        True,
        None,
        3.0,
    )
    assert error.message == "HTTP 502: <html> bad gateway </html>"
    assert error_from_response(500, {}, b"", NOW).message == "HTTP 500"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, None, ("throttled", True)),
        (503, "ResourceThrottled", ("throttled", True)),
        (400, "ResourceExhausted", ("throttled", True)),
        (503, None, ("unavailable", True)),
        (500, "InternalServerError", ("unavailable", True)),
        (504, None, ("unavailable", True)),
        (408, None, ("unavailable", True)),
        (401, None, ("auth", False)),
        (403, "SignatureNotMatch", ("auth", False)),
        (403, "InvalidAccessKeyID", ("auth", False)),
        (403, "RequestTimeTooSkewed", ("auth", False)),
        (404, "ServiceNotFound", ("not_found", False)),
        (400, "InvalidArgument", ("invalid", False)),
        (409, None, ("invalid", False)),
        (302, None, ("protocol", False)),
        (204, None, ("protocol", False)),
        (None, None, ("protocol", False)),
    ],
)
def test_classify(status: int | None, code: str | None, expected: tuple[str, bool]) -> None:
    assert classify(status, code) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("5", 5.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("inf", None),
        ("nan", None),
        ("soon", None),
        ("Fri, 04 Dec 2026 10:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 09:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_short_text() -> None:
    assert short_text("a\n b\t c") == "a b c"
    assert len(short_text("x" * 1000)) == 300


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
instance_like = st.fixed_dictionaries(
    {},
    optional={
        "instanceId": json_values,
        "versionId": json_values,
        "status": json_values,
        "createdTimeMs": json_values,
        "qualifier": json_values,
    },
)


@given(st.binary())
def test_any_bytes_parse_or_raise_fc_error(raw: bytes) -> None:
    try:
        parse_list_instances(raw, {})
    except FCError as error:
        assert error.kind == "protocol"


@given(json_values | st.fixed_dictionaries({"instances": st.lists(instance_like) | json_values}))
def test_any_json_parses_or_raises_fc_error(doc: Any) -> None:
    try:
        result = parse_list_instances(body(doc), {})
    except FCError as error:
        assert error.kind == "protocol"
    else:
        assert all(isinstance(i.version_id, str) and i.instance_id for i in result.instances)


@given(
    st.integers(min_value=100, max_value=599),
    st.dictionaries(st.sampled_from(["retry-after", "x-fc-request-id", "other"]), st.text()),
    st.binary() | json_values.map(lambda d: json.dumps(d).encode()),
)
def test_any_error_response_maps_to_fc_error(
    status: int, headers: dict[str, str], raw: bytes
) -> None:
    error = error_from_response(status, headers, raw, NOW)
    assert isinstance(error, FCError)
    assert "\n" not in error.message and len(error.message) <= 300
    assert error.retry_after is None or error.retry_after >= 0
