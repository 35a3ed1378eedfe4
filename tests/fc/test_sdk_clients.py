"""Oracle: Alibaba's official SDK clients, unchanged but for the endpoint, against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import fc2
import pytest
from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
from alibabacloud_fc20230330 import models as fc3_models
from alibabacloud_fc20230330.client import Client as FC3Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from fcwatch.fc.simulator import SimulatorThread
from tests.fc.conftest import (
    KEY_ID,
    OTHER_KEY_ID,
    OTHER_SECRET,
    SECRET,
    STS_KEY_ID,
    STS_SECRET,
    STS_TOKEN,
)

pytestmark = pytest.mark.sdk


def fc2_client(
    sim: SimulatorThread, key: str = KEY_ID, secret: str = SECRET, token: str = ""
) -> Any:
    return fc2.Client(
        endpoint=sim.url, accessKeyID=key, accessKeySecret=secret, securityToken=token
    )


def fc3_client(
    sim: SimulatorThread, key: str = KEY_ID, secret: str = SECRET, token: str | None = None
) -> Any:
    host = sim.url.removeprefix("http://")
    config = Config(
        access_key_id=key,
        access_key_secret=secret,
        security_token=token,
        endpoint=host,
        protocol="http",
        region_id="cn-hangzhou",
    )
    return FC3Client(config)


def fc3_list(client: Any, function: str, **kwargs: Any) -> dict[str, Any]:
    response = client.list_instances(function, fc3_models.ListInstancesRequest(**kwargs))
    body: dict[str, Any] = response.body.to_map()
    return body


def fc2_error(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(fc2.fc_exceptions.FcError) as info:
        call()
    return info.value.status_code, info.value.err_code


def fc3_error(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ClientException) as info:
        call()
    return info.value.status_code, info.value.code


def ids(instances: list[dict[str, Any]]) -> list[str]:
    return [i["instanceId"] for i in instances]


# --- fc2 (aliyun-fc2) ------------------------------------------------------------------------


def test_fc2_sdk_lists_latest(sim_thread: SimulatorThread) -> None:
    response = fc2_client(sim_thread).list_instances("shop", "LATEST", "checkout")
    assert response.data == {
        "instances": [
            {"instanceId": "c-latest-1", "versionId": "0"},
            {"instanceId": "c-latest-2", "versionId": "0"},
        ]
    }
    assert response.headers["X-Fc-Request-Id"]


def test_fc2_sdk_lists_an_alias_with_limit_and_filter(sim_thread: SimulatorThread) -> None:
    client = fc2_client(sim_thread)
    prod = client.list_instances("shop", "prod", "checkout").data["instances"]
    assert prod == [
        {"instanceId": "c-prod-1", "versionId": "2"},
        {"instanceId": "c-prod-2", "versionId": "1"},
    ]
    limited = client.list_instances("shop", "prod", "checkout", params={"limit": 1})
    assert ids(limited.data["instances"]) == ["c-prod-1"]
    filtered = client.list_instances(
        "shop", "prod", "checkout", params={"instanceIds": ["c-prod-2"]}
    )
    assert ids(filtered.data["instances"]) == ["c-prod-2"]


def test_fc2_sdk_unicode_names(sim_thread: SimulatorThread) -> None:
    response = fc2_client(sim_thread).list_instances("服务", "LATEST", "函数 x")
    assert ids(response.data["instances"]) == ["c-unicode"]


def test_fc2_sdk_with_sts_token(sim_thread: SimulatorThread) -> None:
    client = fc2_client(sim_thread, STS_KEY_ID, STS_SECRET, STS_TOKEN)
    assert len(client.list_instances("shop", "LATEST", "checkout").data["instances"]) == 2


@pytest.mark.parametrize(
    ("key", "secret", "token", "expected"),
    [
        (KEY_ID, "wrong", "", (403, "SignatureNotMatch")),
        ("LTAIunknown", SECRET, "", (403, "InvalidAccessKeyID")),
        (STS_KEY_ID, STS_SECRET, "", (403, "InvalidSecurityToken")),
        (STS_KEY_ID, STS_SECRET, "wrong-token", (403, "InvalidSecurityToken")),
    ],
)
def test_fc2_sdk_rejected(
    sim_thread: SimulatorThread, key: str, secret: str, token: str, expected: tuple[int, str]
) -> None:
    client = fc2_client(sim_thread, key, secret, token)
    assert fc2_error(lambda: client.list_instances("shop", "LATEST", "checkout")) == expected


@pytest.mark.parametrize(
    ("service", "qualifier", "function", "code"),
    [
        ("nope", "LATEST", "checkout", "ServiceNotFound"),
        ("shop", "LATEST", "nope", "FunctionNotFound"),
        ("shop", "staging", "checkout", "AliasNotFound"),
        ("shop", "7", "checkout", "VersionNotFound"),
    ],
)
def test_fc2_sdk_not_found(
    sim_thread: SimulatorThread, service: str, qualifier: str, function: str, code: str
) -> None:
    client = fc2_client(sim_thread)
    assert fc2_error(lambda: client.list_instances(service, qualifier, function)) == (404, code)


def test_fc2_sdk_rejected_when_clocks_disagree(sim_thread: SimulatorThread) -> None:
    sim_thread.call(lambda state: setattr(state, "clock_offset", 16 * 60))
    client = fc2_client(sim_thread)
    assert fc2_error(lambda: client.list_instances("shop", "LATEST", "checkout")) == (
        403,
        "RequestTimeTooSkewed",
    )
    sim_thread.call(lambda state: setattr(state, "clock_offset", 14 * 60))
    assert client.list_instances("shop", "LATEST", "checkout").data["instances"]


def test_fc2_sdk_sees_only_its_own_account(sim_thread: SimulatorThread) -> None:
    other = fc2_client(sim_thread, OTHER_KEY_ID, OTHER_SECRET)
    assert fc2_error(lambda: other.list_instances("shop", "LATEST", "checkout")) == (
        404,
        "ServiceNotFound",
    )
    assert other.list_instances("other", "LATEST", "fn").data == {"instances": []}


# --- fc3 (alibabacloud_fc20230330) ------------------------------------------------------------


def test_fc3_sdk_lists_an_alias_with_details(sim_thread: SimulatorThread) -> None:
    body = fc3_list(fc3_client(sim_thread), "checkout", qualifier="prod")
    assert body["instances"] == [
        {
            "instanceId": "c-prod-1",
            "versionId": "2",
            "status": "Running",
            "createdTimeMs": 1000,
            "qualifier": "prod",
        },
        {
            "instanceId": "c-prod-2",
            "versionId": "1",
            "status": "Stopped",
            "createdTimeMs": 3000,
            "qualifier": "prod",
        },
    ]
    assert body["requestId"]


def test_fc3_sdk_filters(sim_thread: SimulatorThread) -> None:
    client = fc3_client(sim_thread)
    assert ids(fc3_list(client, "checkout", limit="1")["instances"]) == ["c-latest-1"]
    body = fc3_list(client, "checkout", qualifier="prod", instance_ids=["c-prod-2", "c-x"])
    assert ids(body["instances"]) == ["c-prod-2"]
    body = fc3_list(client, "checkout", qualifier="prod", instance_status=["Running"])
    assert ids(body["instances"]) == ["c-prod-1"]


def test_fc3_sdk_reaches_fc3_only_and_unicode_functions(sim_thread: SimulatorThread) -> None:
    client = fc3_client(sim_thread)
    assert len(fc3_list(client, "fc3only")["instances"]) == 2
    assert ids(fc3_list(client, "函数 x")["instances"]) == ["c-unicode"]


def test_fc3_sdk_with_sts_token(sim_thread: SimulatorThread) -> None:
    client = fc3_client(sim_thread, STS_KEY_ID, STS_SECRET, STS_TOKEN)
    assert len(fc3_list(client, "checkout")["instances"]) == 2


@pytest.mark.parametrize(
    ("key", "secret", "token", "expected"),
    [
        (KEY_ID, "wrong", None, (403, "SignatureNotMatch")),
        ("LTAIunknown", SECRET, None, (403, "InvalidAccessKeyID")),
        (STS_KEY_ID, STS_SECRET, "wrong-token", (403, "InvalidSecurityToken")),
    ],
)
def test_fc3_sdk_rejected(
    sim_thread: SimulatorThread, key: str, secret: str, token: str | None, expected: tuple[int, str]
) -> None:
    client = fc3_client(sim_thread, key, secret, token)
    assert fc3_error(lambda: fc3_list(client, "checkout")) == expected


def test_fc3_sdk_not_found_and_skew(sim_thread: SimulatorThread) -> None:
    client = fc3_client(sim_thread)
    assert fc3_error(lambda: fc3_list(client, "nope")) == (404, "FunctionNotFound")
    assert fc3_error(lambda: fc3_list(client, "checkout", qualifier="staging")) == (
        404,
        "AliasNotFound",
    )
    sim_thread.call(lambda state: setattr(state, "clock_offset", -16 * 60))
    assert fc3_error(lambda: fc3_list(client, "checkout")) == (403, "RequestTimeTooSkewed")


# --- STS (alibabacloud_credentials) -----------------------------------------------------------


def test_official_oidc_provider_gets_working_credentials(
    sim_thread: SimulatorThread, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.e30.sig")
    provider = OIDCRoleArnCredentialsProvider(
        role_arn="acs:ram::1111:role/fcwatch",
        oidc_provider_arn="acs:ram::1111:oidc-provider/ack-rrsa",
        oidc_token_file_path=str(token_file),
        sts_endpoint=sim_thread.url,
    )
    creds = provider.get_credentials()
    assert creds.get_access_key_id().startswith("STS.")
    client = fc2_client(
        sim_thread,
        creds.get_access_key_id(),
        creds.get_access_key_secret(),
        creds.get_security_token(),
    )
    assert len(client.list_instances("shop", "LATEST", "checkout").data["instances"]) == 2
