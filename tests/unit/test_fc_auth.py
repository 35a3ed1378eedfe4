"""Signing functions and the httpx auth flows (pure; the SDK comparison is in tests/fc)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcwatch.fc.auth import (
    EMPTY_SHA256,
    ACS3Auth,
    FCAuth,
    acs3_canonical_headers,
    acs3_canonical_query,
    acs3_canonical_request,
    acs3_timestamp,
    fc_canonical_headers,
    fc_canonical_resource,
    fc_string_to_sign,
    http_date,
    parse_acs3_authorization,
    parse_acs3_timestamp,
    parse_fc_authorization,
    parse_http_date,
    split_raw_target,
)
from fcwatch.fc.credentials import Credentials

NOW = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)


def test_fc_string_to_sign_layout() -> None:
    headers = {
        "Date": "D",
        "Content-Type": "application/json",
        "content-md5": "M",
        "x-fc-b": "2",
        "X-Fc-A": "1",
        "host": "ignored",
    }
    assert fc_string_to_sign("get", "/p/你", headers) == (
        "GET\nM\napplication/json\nD\nx-fc-a:1\nx-fc-b:2\n/p/你"
    )


def test_fc_canonical_headers_only_x_fc_sorted() -> None:
    assert fc_canonical_headers({"x-fc-z": "1", "x-acs-a": "2", "X-FC-A": "3"}) == (
        "x-fc-a:3\nx-fc-z:1\n"
    )
    assert fc_canonical_headers({}) == ""


def test_fc_canonical_resource_with_queries() -> None:
    assert fc_canonical_resource("/p") == "/p"
    assert (
        fc_canonical_resource("/p", {"b": "2", "a": ["1", "0"], "e": []}) == "/p\na=0\na=1\nb=2\ne"
    )


def test_acs3_canonical_query_encodes_values_sorts_keys_drops_none() -> None:
    query = {"b": "a b", "a": "x/y~*", "c": None, "d": ""}
    assert acs3_canonical_query(query) == "a=x%2Fy~%2A&b=a%20b&d="
    assert acs3_canonical_query({}) == ""


def test_acs3_canonical_headers_merge_repeated_names() -> None:
    canonical, signed = acs3_canonical_headers(
        [("X-Acs-B", " 2 "), ("x-acs-b", "1"), ("Host", "h")]
    )
    assert canonical == "host:h\nx-acs-b:1,2\n"
    assert signed == "host;x-acs-b"


def test_acs3_canonical_request_layout() -> None:
    request = acs3_canonical_request("get", "", {"q": "1"}, {"host": "h"}, EMPTY_SHA256)
    assert request == f"GET\n/\nq=1\nhost:h\n\nhost\n{EMPTY_SHA256}"


def test_parse_fc_authorization() -> None:
    assert parse_fc_authorization("FC LTAI:abc/+=") == ("LTAI", "abc/+=")
    for bad in ("", "FC", "FC :sig", "FC id:", "Bearer id:sig", "FC idsig"):
        with pytest.raises(ValueError):
            parse_fc_authorization(bad)


def test_parse_acs3_authorization() -> None:
    parsed = parse_acs3_authorization(
        "ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host;x-acs-date,Signature=ab12"
    )
    assert (parsed.access_key_id, parsed.signed_headers, parsed.signature) == (
        "LTAI",
        ("host", "x-acs-date"),
        "ab12",
    )
    for bad in (
        "",
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 Credential=a",
        "ACS3-HMAC-SM3 Credential=a,SignedHeaders=h,Signature=s",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=h,Signature=s",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=h,Signature",
    ):
        with pytest.raises(ValueError):
            parse_acs3_authorization(bad)


def test_dates_round_trip() -> None:
    assert http_date(NOW) == "Fri, 04 Dec 2026 10:00:00 GMT"
    assert parse_http_date(http_date(NOW)) == NOW
    plus8 = NOW.astimezone(timezone(timedelta(hours=8)))
    assert http_date(plus8) == http_date(NOW)
    assert acs3_timestamp(plus8) == "2026-12-04T10:00:00Z"
    assert parse_acs3_timestamp("2026-12-04T10:00:00Z") == NOW
    for bad in ("", "yesterday", "2026-12-04 10:00:00"):
        with pytest.raises(ValueError):
            parse_acs3_timestamp(bad)
    for bad in ("", "not a date"):
        with pytest.raises(ValueError):
            parse_http_date(bad)


def test_split_raw_target() -> None:
    assert split_raw_target("/a%20b/c?x=1&y=a+b&y=%2F&z") == (
        "/a%20b/c",
        {"x": "1", "y": "/", "z": ""},
    )
    assert split_raw_target("/p") == ("/p", {})


def _request(url: str, **kwargs: object) -> httpx.Request:
    return httpx.Request("GET", url, **kwargs)  # type: ignore[arg-type]


def test_fc_auth_sets_date_token_and_signature() -> None:
    creds = Credentials("id", "secret", "tok")
    request = _request("https://h/2016-08-15/services/s%20x.LATEST/functions/f/instances?limit=1")
    signed = next(FCAuth(creds, clock=lambda: NOW).auth_flow(request))
    assert signed.headers["date"] == "Fri, 04 Dec 2026 10:00:00 GMT"
    assert signed.headers["x-fc-security-token"] == "tok"
    key_id, _ = parse_fc_authorization(signed.headers["authorization"])
    assert key_id == "id"
    again = next(FCAuth(creds, clock=lambda: NOW).auth_flow(_request(str(request.url))))
    assert again.headers["authorization"] == signed.headers["authorization"]


def test_fc_auth_without_token_sends_none() -> None:
    signed = next(
        FCAuth(Credentials("id", "s"), clock=lambda: NOW).auth_flow(_request("https://h/p"))
    )
    assert "x-fc-security-token" not in signed.headers


def test_acs3_auth_signs_host_and_acs_headers() -> None:
    creds = Credentials("id", "secret", "tok")
    request = _request(
        "https://h/2023-03-30/functions/f/instances",
        params={"qualifier": "生产"},
        headers={"x-acs-action": "ListInstances", "user-agent": "ua"},
    )
    signed = next(ACS3Auth(creds, clock=lambda: NOW, nonce=lambda: "n").auth_flow(request))
    parsed = parse_acs3_authorization(signed.headers["authorization"])
    assert parsed.signed_headers == (
        "host",
        "x-acs-accesskey-id",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-security-token",
        "x-acs-signature-nonce",
    )
    assert signed.headers["x-acs-date"] == "2026-12-04T10:00:00Z"
    assert signed.headers["x-acs-content-sha256"] == EMPTY_SHA256
    assert signed.headers["x-acs-security-token"] == "tok"


def test_signatures_never_contain_the_secret() -> None:
    creds = Credentials("id", "the-secret-value", "the-token-value")
    for auth in (FCAuth(creds, clock=lambda: NOW), ACS3Auth(creds, clock=lambda: NOW)):
        signed = next(auth.auth_flow(_request("https://h/p")))
        assert "the-secret-value" not in str(signed.headers)


@given(st.text(), st.text())
def test_parsers_raise_only_value_error(fc_value: str, acs_value: str) -> None:
    for parse, value in (
        (parse_fc_authorization, fc_value),
        (parse_acs3_authorization, acs_value),
        (parse_http_date, fc_value),
        (parse_acs3_timestamp, acs_value),
    ):
        with contextlib.suppress(ValueError):
            parse(value)  # type: ignore[operator]


@given(
    st.text(),
    st.dictionaries(st.text(), st.text() | st.none()),
    st.lists(st.tuples(st.text(), st.text())),
)
def test_canonicalisation_is_total(
    path: str, query: dict[str, str | None], headers: list[tuple[str, str]]
) -> None:
    request = acs3_canonical_request("GET", path, query, headers, EMPTY_SHA256)
    assert request.startswith("GET\n")
    assert fc_string_to_sign("GET", path, headers).startswith("GET\n")
    split_raw_target(path)
