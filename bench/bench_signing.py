"""Signing cost per request: fcwatch's pure signing functions vs Alibaba's SDKs on the same input.

FC signature (FC 2.0): ``fc_string_to_sign`` + ``fc_authorization`` vs aliyun-fc2's
``fc2.auth.Auth.sign_request``. ACS3-HMAC-SHA256 (FC 3.0): ``acs3_canonical_request`` +
``acs3_authorization`` vs ``alibabacloud_tea_openapi.utils.Utils.get_authorization``. Also the
whole ``httpx.Auth`` flow fcwatch runs per request (sets Date / x-acs-* headers, then signs).
Each pair is checked to give the same Authorization header before it is timed.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from common import heading, ratio, table
from fcwatch.fc.auth import (
    EMPTY_SHA256,
    ACS3Auth,
    FCAuth,
    acs3_authorization,
    acs3_canonical_headers,
    acs3_canonical_request,
    fc_authorization,
    fc_string_to_sign,
)
from fcwatch.fc.credentials import Credentials

KEY_ID = "LTAIbenchSigning0001"
SECRET = "bench/Signing+Secret=value"
TOKEN = "CAIS" + "x/+=" * 60
FC2_PATH = "/2016-08-15/services/shop.prod/functions/checkout/instances"
FC2_HEADERS = {
    "accept": "application/json",
    "content-type": "application/json",
    "date": "Fri, 04 Dec 2026 10:00:00 GMT",
    "host": "1234567890.cn-hangzhou.fc.aliyuncs.com",
    "user-agent": "fcwatch/0.1.0",
    "x-fc-security-token": TOKEN,
}
FC3_PATH = "/2023-03-30/functions/checkout/instances"
FC3_QUERY = {"qualifier": "prod", "limit": "100", "instanceIds": '["c-1","c-2"]'}
FC3_HEADERS = {
    "host": "1234567890.cn-hangzhou.fc.aliyuncs.com",
    "x-acs-version": "2023-03-30",
    "x-acs-action": "ListInstances",
    "x-acs-date": "2026-12-04T10:00:00Z",
    "x-acs-signature-nonce": "5f0c2b0e9d0b4c5fa1f2b3c4d5e6f708",
    "x-acs-content-sha256": EMPTY_SHA256,
    "x-acs-accesskey-id": KEY_ID,
    "x-acs-security-token": TOKEN,
}


def fcwatch_fc2() -> str:
    sts = fc_string_to_sign("GET", FC2_PATH, FC2_HEADERS)
    return fc_authorization(KEY_ID, SECRET, sts)


def fcwatch_acs3() -> str:
    canonical = acs3_canonical_request("GET", FC3_PATH, FC3_QUERY, FC3_HEADERS, EMPTY_SHA256)
    _, signed = acs3_canonical_headers(FC3_HEADERS)
    return acs3_authorization(KEY_ID, SECRET, signed, canonical)


def sdk_fc2() -> Callable[[], str]:
    from fc2.auth import Auth

    auth = Auth(KEY_ID, SECRET)
    return lambda: str(auth.sign_request("GET", FC2_PATH, FC2_HEADERS))


class _SdkRequest:
    method = "GET"
    pathname = FC3_PATH
    query = FC3_QUERY
    headers = FC3_HEADERS


def sdk_acs3() -> Callable[[], str]:
    from alibabacloud_tea_openapi.utils import Utils

    request = _SdkRequest()
    return lambda: str(
        Utils.get_authorization(request, "ACS3-HMAC-SHA256", EMPTY_SHA256, KEY_ID, SECRET)
    )


def auth_flow(kind: str) -> Callable[[], Any]:
    """fcwatch's whole per-request signing: a fresh httpx.Request through FCAuth / ACS3Auth."""
    creds = Credentials(KEY_ID, SECRET, TOKEN)
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    if kind == "fc2":
        auth: httpx.Auth = FCAuth(creds, clock=lambda: now)
        url = "https://1234567890.cn-hangzhou.fc.aliyuncs.com" + FC2_PATH + "?limit=100"
    else:
        auth = ACS3Auth(creds, clock=lambda: now)
        url = "https://1234567890.cn-hangzhou.fc.aliyuncs.com" + FC3_PATH
    headers = [("accept", "application/json"), ("user-agent", "fcwatch/0.1.0")]

    def sign() -> Any:
        request = httpx.Request("GET", url, headers=headers, params=None)
        return next(auth.auth_flow(request)).headers["authorization"]

    return sign


def per_op_us(fn: Callable[[], Any], budget: float) -> float:
    """Best of 3 repeats, each about ``budget / 3`` seconds; µs per call."""
    timer = timeit.Timer(fn)
    number, taken = timer.autorange()
    number = max(1, int(number * (budget / 3) / max(taken, 1e-9)))
    return min(timer.repeat(repeat=3, number=number)) / number * 1e6


def run(budget: float) -> None:
    print(heading("4. Signing cost per request (sanity figure)"))
    print(
        "Same inputs to both sides, checked to give the same Authorization header; best of 3 "
        f"repeats (~{budget:g}s per row)."
    )
    rows = []
    for label, ours, theirs_factory in (
        ("FC signature (fc2)", fcwatch_fc2, sdk_fc2),
        ("ACS3-HMAC-SHA256 (fc3)", fcwatch_acs3, sdk_acs3),
    ):
        try:
            theirs: Callable[[], str] | None = theirs_factory()
        except ImportError as exc:
            theirs = None
            print(f"   {label}: SDK not installed ({exc.name}); fcwatch side only")
        same = "-" if theirs is None else ("yes" if ours() == theirs() else "NO")
        us_ours = per_op_us(ours, budget)
        us_theirs = per_op_us(theirs, budget) if theirs is not None else float("nan")
        rows.append([label, us_ours, us_theirs, ratio(us_ours, us_theirs), same])
    print(table(["scheme", "fcwatch µs/op", "SDK µs/op", "fcwatch/SDK", "same header"], rows))
    flows = [
        [f"{kind}: {cls}", per_op_us(auth_flow(kind), budget)]
        for kind, cls in (("fc2", "FCAuth"), ("fc3", "ACS3Auth"))
    ]
    print(table(["fcwatch httpx.Auth flow (new Request + sign)", "µs/op"], flows))
