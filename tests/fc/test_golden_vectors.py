"""Oracle: the frozen vectors are what Alibaba's SDK code computes today, and fcwatch's httpx
auth flows sign exactly what the SDK would sign for the request they produce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcwatch.fc.auth import (
    ACS3Auth,
    FCAuth,
    acs3_authorization,
    acs3_canonical_headers,
    acs3_canonical_request,
    fc_authorization,
    fc_string_to_sign,
    split_raw_target,
)
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import FCTarget
from fcwatch.fc.request_builder import build_request
from tests.fc.golden import (
    FC2_CASES,
    FC3_CASES,
    compute_vectors,
    load_vectors,
    sdk_fc2,
    sdk_fc3,
)

pytestmark = pytest.mark.sdk

FIXED = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)


def test_frozen_vectors_equal_the_sdk_output() -> None:
    assert compute_vectors() == load_vectors()


def test_vector_inputs_cover_the_brief() -> None:
    assert len(FC2_CASES) >= 20 and len(FC3_CASES) >= 20
    assert any("x-fc-security-token" in c["headers"] for c in FC2_CASES)
    assert any("x-acs-security-token" in c["headers"] for c in FC3_CASES)
    assert any(not c["path"].isascii() for c in FC2_CASES)
    assert any("%E" in c["pathname"] for c in FC3_CASES)


def _signed_fc2(target: FCTarget, creds: Credentials) -> httpx.Request:
    prepared = build_request(target)
    request = httpx.Request(
        "GET", prepared.url, params=list(prepared.params), headers=list(prepared.headers)
    )
    flow = FCAuth(creds, clock=lambda: FIXED).auth_flow(request)
    return next(flow)


def _signed_fc3(target: FCTarget, creds: Credentials) -> httpx.Request:
    prepared = build_request(target)
    request = httpx.Request(
        "GET", prepared.url, params=list(prepared.params), headers=list(prepared.headers)
    )
    flow = ACS3Auth(creds, clock=lambda: FIXED, nonce=lambda: "n0nce").auth_flow(request)
    return next(flow)


NAMES = ["checkout", "结账", "a b+c", "f~x*y", "emoji-🚀", "x&y=z"]
CREDS = [
    Credentials("LTAIkey", "secret"),
    Credentials("STS.key", "s3cr3t/+=", "CAIS token/+="),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("creds", CREDS, ids=["static", "sts"])
def test_fc_auth_flow_signs_as_the_sdk(name: str, creds: Credentials) -> None:
    target = FCTarget(
        api="fc2",
        endpoint="https://1.cn-hangzhou.fc.aliyuncs.com",
        function_name=name,
        service_name=f"svc-{name}",
        qualifier="prod",
        instance_ids=("c-1", "c 2"),
    )
    request = _signed_fc2(target, creds)
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
    case = {
        "accessKeyId": creds.access_key_id,
        "accessKeySecret": creds.access_key_secret,
        "method": "GET",
        "path": f"/2016-08-15/services/svc-{name}.prod/functions/{name}/instances",
        "headers": headers,
        "queries": None,
    }
    assert request.headers["authorization"] == sdk_fc2(case)
    if creds.security_token:
        assert request.headers["x-fc-security-token"] == creds.security_token


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("creds", CREDS, ids=["static", "sts"])
def test_acs3_auth_flow_signs_as_the_sdk(name: str, creds: Credentials) -> None:
    target = FCTarget(
        api="fc3",
        endpoint="https://1.cn-hangzhou.fc.aliyuncs.com",
        function_name=name,
        qualifier="生产",
        instance_ids=("c-1", "c 2"),
    )
    request = _signed_fc3(target, creds)
    authorization = request.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "host" in signed and "x-acs-date" in signed
    path, query = split_raw_target(request.url.raw_path.decode())
    case = {
        "accessKeyId": creds.access_key_id,
        "accessKeySecret": creds.access_key_secret,
        "method": "GET",
        "pathname": path,
        "query": query,
        "headers": {k: request.headers[k] for k in signed},
        "payloadHash": request.headers["x-acs-content-sha256"],
    }
    assert authorization == sdk_fc3(case)
    assert query["qualifier"] == "生产"


header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_characters="\x7f"),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(
    path=st.text(min_size=1, max_size=40),
    fc_headers=st.dictionaries(header_names.map(lambda n: "x-fc-" + n), header_values, max_size=4),
    secret=st.text(min_size=1, max_size=30),
)
def test_fc_signature_equals_sdk_on_arbitrary_input(
    path: str, fc_headers: dict[str, str], secret: str
) -> None:
    headers: dict[str, Any] = {"date": "Fri, 04 Dec 2026 10:00:00 GMT", **fc_headers}
    case = {
        "accessKeyId": "id",
        "accessKeySecret": secret.strip() or "s",
        "method": "GET",
        "path": "/" + path,
        "headers": headers,
        "queries": None,
    }
    sts = fc_string_to_sign("GET", case["path"], headers)
    assert fc_authorization("id", case["accessKeySecret"], sts) == sdk_fc2(case)


@settings(max_examples=150, deadline=None)
@given(
    query=st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_", min_size=1, max_size=10),
        st.text(max_size=20),
        max_size=5,
    ),
    acs_headers=st.dictionaries(
        header_names.map(lambda n: "x-acs-" + n), header_values, max_size=4
    ),
    pathname=st.text(min_size=1, max_size=30),
)
def test_acs3_signature_equals_sdk_on_arbitrary_input(
    query: dict[str, str], acs_headers: dict[str, str], pathname: str
) -> None:
    headers = {"host": "h", **acs_headers}
    case = {
        "accessKeyId": "id",
        "accessKeySecret": "secret",
        "method": "GET",
        "pathname": "/" + pathname,
        "query": query,
        "headers": headers,
        "payloadHash": "e3b0",
    }
    canonical = acs3_canonical_request("GET", case["pathname"], query, headers, "e3b0")
    _, signed = acs3_canonical_headers(headers)
    assert acs3_authorization("id", "secret", signed, canonical) == sdk_fc3(case)
