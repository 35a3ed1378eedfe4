"""Golden signing vectors: inputs here, outputs computed by Alibaba's SDK code.

``python -m tests.fc.golden`` (re)writes ``golden_vectors.json`` from the SDKs; the ``sdk`` tests
check the file still equals the SDKs' output, the unit tests check fcwatch's signing equals the
file (so they hold without the SDKs installed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

VECTORS_FILE = Path(__file__).with_name("golden_vectors.json")

KEY_ID = "LTAI5tGoldenVectorKey"
SECRET = "GoldenSecret/with+Base64=chars"
TOKEN = "CAIS+golden/STS==token"
DATE = "Fri, 04 Dec 2026 10:00:00 GMT"
ACS_DATE = "2026-12-04T10:00:00Z"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _fc2_path(service: str, qualifier: str, function: str) -> str:
    return f"/2016-08-15/services/{service}.{qualifier}/functions/{function}/instances"


def _fc2_case(
    name: str,
    path: str,
    *,
    token: str | None = None,
    extra: dict[str, str] | None = None,
    queries: dict[str, Any] | None = None,
    method: str = "GET",
    secret: str = SECRET,
) -> dict[str, Any]:
    headers = {"date": DATE, "content-type": "application/json", "host": "123.cn-hangzhou.fc"}
    if token:
        headers["x-fc-security-token"] = token
    headers.update(extra or {})
    return {
        "name": name,
        "method": method,
        "path": path,
        "headers": headers,
        "queries": queries,
        "accessKeyId": KEY_ID,
        "accessKeySecret": secret,
    }


FC2_CASES: list[dict[str, Any]] = [
    _fc2_case("plain", _fc2_path("shop", "LATEST", "checkout")),
    _fc2_case("alias", _fc2_path("shop", "prod", "checkout")),
    _fc2_case("version", _fc2_path("shop", "3", "checkout")),
    _fc2_case("sts token", _fc2_path("shop", "LATEST", "checkout"), token=TOKEN),
    _fc2_case("unicode names", _fc2_path("商店", "生产", "结账"), token=TOKEN),
    _fc2_case("space and plus", _fc2_path("my shop", "LATEST", "a+b")),
    _fc2_case("reserved chars", _fc2_path("s&x=1", "q?", "f#frag")),
    _fc2_case("percent literal", _fc2_path("s%2Fx", "LATEST", "100%")),
    _fc2_case("tilde and quotes", _fc2_path("~svc", "LATEST", "it's(*)!")),
    _fc2_case("emoji", _fc2_path("svc", "LATEST", "fn-🚀")),
    _fc2_case(
        "trace header",
        _fc2_path("shop", "LATEST", "checkout"),
        extra={"x-fc-trace-id": "3c0a4a1e-1111-2222-3333-444455556666"},
    ),
    _fc2_case(
        "several x-fc headers, unsorted",
        _fc2_path("shop", "prod", "checkout"),
        token=TOKEN,
        extra={"x-fc-z-last": "z", "x-fc-account-id": "123", "x-fc-a": "  spaced  "},
    ),
    _fc2_case(
        "mixed-case x-fc header",
        _fc2_path("shop", "LATEST", "checkout"),
        extra={"X-Fc-Invocation-Type": "Sync", "X-Fc-Log-Type": "Tail"},
    ),
    _fc2_case(
        "content-md5",
        _fc2_path("shop", "LATEST", "checkout"),
        extra={"content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="},
        method="POST",
    ),
    _fc2_case(
        "non-fc headers ignored",
        _fc2_path("shop", "LATEST", "checkout"),
        extra={"x-acs-date": ACS_DATE, "user-agent": "fcwatch/0.1.0", "accept": "*/*"},
    ),
    _fc2_case("lowercase method", _fc2_path("shop", "LATEST", "checkout"), method="get"),
    _fc2_case("unicode secret", _fc2_path("shop", "LATEST", "checkout"), secret="秘密-secret"),
    _fc2_case(
        "signed queries",
        "/2016-08-15/proxy/shop/checkout/",
        queries={"b": "2", "a": ["1", "0"], "empty": [], "uni": "值"},
    ),
    _fc2_case(
        "signed queries with token",
        "/2016-08-15/proxy/shop.prod/checkout/path",
        token=TOKEN,
        queries={"key": "v a l", "x": ["a&b", "c=d"]},
    ),
    _fc2_case("no qualifier", "/2016-08-15/services/shop/functions/checkout/instances"),
    _fc2_case("empty date", _fc2_path("shop", "LATEST", "f"), extra={"date": ""}),
    _fc2_case("long token", _fc2_path("shop", "LATEST", "f"), token="CAIS" + "x/+=" * 200),
]


def _fc3_pathname(function: str) -> str:
    encoded = quote(function, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")
    return f"/2023-03-30/functions/{encoded}/instances"


def _fc3_case(
    name: str,
    function: str,
    query: dict[str, str],
    *,
    token: str | None = None,
    extra: dict[str, str] | None = None,
    secret: str = SECRET,
    method: str = "GET",
) -> dict[str, Any]:
    headers = {
        "host": "123.cn-hangzhou.fc.aliyuncs.com",
        "x-acs-version": "2023-03-30",
        "x-acs-action": "ListInstances",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11 TeaDSL/2",
        "x-acs-date": ACS_DATE,
        "x-acs-signature-nonce": "5f0c2b0e9d0b4c5fa1f2b3c4d5e6f708",
        "accept": "application/json",
        "x-acs-content-sha256": EMPTY_SHA256,
    }
    if token:
        headers["x-acs-accesskey-id"] = KEY_ID
        headers["x-acs-security-token"] = token
    headers.update(extra or {})
    return {
        "name": name,
        "method": method,
        "pathname": _fc3_pathname(function),
        "query": query,
        "headers": headers,
        "accessKeyId": KEY_ID,
        "accessKeySecret": secret,
        "payloadHash": EMPTY_SHA256,
    }


FC3_CASES: list[dict[str, Any]] = [
    _fc3_case("plain", "checkout", {"qualifier": "LATEST", "limit": "100"}),
    _fc3_case("alias", "checkout", {"qualifier": "prod", "limit": "10"}),
    _fc3_case("no query", "checkout", {}),
    _fc3_case("sts token", "checkout", {"qualifier": "LATEST"}, token=TOKEN),
    _fc3_case("unicode function", "结账函数", {"qualifier": "生产"}, token=TOKEN),
    _fc3_case("space plus star tilde", "a b+c*d~e", {"qualifier": "LATEST"}),
    _fc3_case("reserved chars", "f&x=1?#", {"qualifier": "q&r=s"}),
    _fc3_case("percent literal", "100%", {"qualifier": "%2F"}),
    _fc3_case("emoji", "fn-🚀", {"qualifier": "LATEST"}),
    _fc3_case(
        "instance ids json",
        "checkout",
        {"qualifier": "LATEST", "instanceIds": '["c-1","c 2","实例"]', "limit": "5"},
    ),
    _fc3_case(
        "all query parameters",
        "checkout",
        {
            "qualifier": "prod",
            "withAllActive": "True",
            "limit": "100",
            "instanceIds": '["a"]',
            "instanceStatus": '["Running","Stopped"]',
            "startKey": "k/+=",
        },
    ),
    _fc3_case("empty query value", "checkout", {"qualifier": "", "limit": "1"}),
    _fc3_case(
        "extra x-acs headers",
        "checkout",
        {"qualifier": "LATEST"},
        extra={"x-acs-retry-attempts": "1", "x-acs-retry-delay": "0", "x-acs-zz": "last"},
    ),
    _fc3_case(
        "mixed-case and padded headers",
        "checkout",
        {"qualifier": "LATEST"},
        extra={"Content-Type": "application/json; charset=utf-8", "X-Acs-Custom": "  padded  "},
    ),
    _fc3_case("unicode header value", "checkout", {}, extra={"x-acs-note": "注释"}),
    _fc3_case("unicode secret", "checkout", {"qualifier": "LATEST"}, secret="秘密-secret"),
    _fc3_case("post method", "checkout", {}, method="POST"),
    _fc3_case("tilde in query", "checkout", {"k~": "v~ /?"}),
    _fc3_case("query key sorting", "checkout", {"b": "1", "B": "2", "a": "3", "_": "4"}),
    _fc3_case("long token", "checkout", {}, token="CAIS" + "x/+=" * 200),
    _fc3_case("dot and dash", "my.func-v2_x", {"qualifier": "v-1.2"}),
    _fc3_case("numeric function", "123", {"qualifier": "1"}),
]


def sdk_fc2(case: dict[str, Any]) -> str:
    from fc2.auth import Auth

    auth = Auth(case["accessKeyId"], case["accessKeySecret"])
    return str(auth.sign_request(case["method"], case["path"], case["headers"], case["queries"]))


class _SdkRequest:
    def __init__(self, case: dict[str, Any]) -> None:
        self.method = case["method"]
        self.pathname = case["pathname"]
        self.query = case["query"]
        self.headers = case["headers"]


def sdk_fc3(case: dict[str, Any]) -> str:
    from alibabacloud_tea_openapi.utils import Utils

    return str(
        Utils.get_authorization(
            _SdkRequest(case),
            "ACS3-HMAC-SHA256",
            case["payloadHash"],
            case["accessKeyId"],
            case["accessKeySecret"],
        )
    )


def compute_vectors() -> dict[str, Any]:
    return {
        "fc2": [dict(case, expected=sdk_fc2(case)) for case in FC2_CASES],
        "fc3": [dict(case, expected=sdk_fc3(case)) for case in FC3_CASES],
    }


def load_vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    return data


def main() -> int:
    VECTORS_FILE.write_text(
        json.dumps(compute_vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {VECTORS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
