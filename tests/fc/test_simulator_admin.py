"""The simulator's admin API and STS endpoint, over HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from fcwatch.fc.client import FCClient, RetryPolicy
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import FCError, FCTarget
from fcwatch.fc.simulator import Simulator
from tests.fc.conftest import SECRET, STATIC, STS_SECRET, STS_TOKEN, sim_config


async def admin(sim: Simulator, method: str, path: str, body: object = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        return await http.request(method, path, json=body)


async def list_ids(
    sim: Simulator, api: str = "fc2", creds: Credentials = STATIC, **kw: str
) -> list[str]:
    fields = {"function_name": "checkout", "service_name": "shop" if api == "fc2" else None}
    fields.update(kw)
    async with FCClient(retry=RetryPolicy(max_attempts=1)) as fc:
        result = await fc.list_instances(FCTarget(api=api, endpoint=sim.url, **fields), creds)  # type: ignore[arg-type]
    return [i.instance_id for i in result.instances]


async def test_state_shows_everything_but_secrets(simulator: Simulator) -> None:
    response = await admin(simulator, "GET", "/_admin/state")
    assert response.status_code == 200
    state = response.json()
    assert [a["accountId"] for a in state["accounts"]] == ["1111", "2222"]
    checkout = state["accounts"][0]["functions"][0]
    assert checkout["function"] == "checkout"
    assert [i["instanceId"] for i in checkout["qualifiers"]["prod"]["instances"]] == [
        "c-prod-1",
        "c-prod-2",
    ]
    for secret in (SECRET, STS_SECRET, STS_TOKEN):
        assert secret not in response.text


async def test_put_instances_replaces_the_list_and_stops_churn(simulator: Simulator) -> None:
    body = {
        "function": "fc3only",
        "qualifier": "LATEST",
        "instances": [{"instanceId": "c-a", "versionId": "1"}, {"instanceId": "c-b"}],
    }
    response = await admin(simulator, "PUT", "/_admin/instances", body)
    assert response.status_code == 200
    assert [i["instanceId"] for i in response.json()["instances"]] == ["c-a", "c-b"]
    assert await list_ids(simulator, "fc3", function_name="fc3only") == ["c-a", "c-b"]
    state = (await admin(simulator, "GET", "/_admin/state")).json()
    fc3only = state["accounts"][0]["functions"][2]
    assert fc3only["qualifiers"]["LATEST"]["churn"] is False


async def test_put_instances_creates_a_missing_function(simulator: Simulator) -> None:
    body = {"service": "new", "function": "fresh", "instances": [{"instanceId": "c-1"}]}
    assert (await admin(simulator, "PUT", "/_admin/instances", body)).status_code == 200
    assert await list_ids(simulator, "fc2", service_name="new", function_name="fresh") == ["c-1"]
    assert await list_ids(simulator, "fc3", function_name="fresh") == ["c-1"]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": []},
        {"function": "f", "instances": "nope"},
        {"function": "f", "instances": [{"versionId": "1"}]},
        ["not", "an", "object"],
    ],
)
async def test_put_instances_rejects_bad_bodies(simulator: Simulator, body: object) -> None:
    response = await admin(simulator, "PUT", "/_admin/instances", body)
    assert response.status_code == 400
    assert response.json()["error"]


async def test_faults_lifecycle(simulator: Simulator) -> None:
    created = await admin(
        simulator, "POST", "/_admin/faults", {"function": "checkout", "api": "fc3", "status": 503}
    )
    assert created.status_code == 201
    assert created.json()["code"] == "ResourceThrottled"
    listed = (await admin(simulator, "GET", "/_admin/faults")).json()["faults"]
    assert [f["id"] for f in listed] == [created.json()["id"]]
    assert await list_ids(simulator, "fc2")  # fc2 is not matched by an fc3 fault
    with pytest.raises(FCError) as info:
        await list_ids(simulator, "fc3")
    assert info.value.code == "ResourceThrottled"
    cleared = await admin(simulator, "DELETE", "/_admin/faults")
    assert cleared.json() == {"cleared": 1}
    assert await list_ids(simulator, "fc3")


async def test_fault_matches_qualifier_and_counts_down(simulator: Simulator) -> None:
    await admin(
        simulator,
        "POST",
        "/_admin/faults",
        {"function": "checkout", "qualifier": "prod", "status": 500, "count": 1},
    )
    assert await list_ids(simulator, qualifier="LATEST")
    with pytest.raises(FCError):
        await list_ids(simulator, qualifier="prod")
    assert await list_ids(simulator, qualifier="prod")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "bogus"},
        {"status": 99},
        {"status": "503"},
        {"count": 0},
        {"latency": -1},
        {"api": "fc4"},
    ],
)
async def test_bad_faults_are_rejected(simulator: Simulator, body: dict[str, object]) -> None:
    response = await admin(simulator, "POST", "/_admin/faults", body)
    assert response.status_code == 400


async def test_request_counts_per_target_and_reset(simulator: Simulator) -> None:
    await list_ids(simulator, "fc2")
    await list_ids(simulator, "fc2", qualifier="prod")
    await list_ids(simulator, "fc3")
    with pytest.raises(FCError):
        await list_ids(simulator, "fc3", creds=Credentials("LTAIunknown", "x"))
    counts = (await admin(simulator, "GET", "/_admin/requests")).json()
    assert counts == {
        "total": 4,
        "targets": {
            "fc2/shop/checkout/LATEST": 1,
            "fc2/shop/checkout/prod": 1,
            "fc3/checkout/LATEST": 2,
        },
    }
    reset = (await admin(simulator, "DELETE", "/_admin/requests")).json()
    assert reset == {"total": 0, "targets": {}}


async def test_keys_can_be_added_and_rotated(simulator: Simulator) -> None:
    new = {"accessKeyId": "LTAInew", "accessKeySecret": "s1"}
    response = await admin(simulator, "POST", "/_admin/keys", new)
    assert response.json() == {"accessKeyId": "LTAInew"}
    assert await list_ids(simulator, creds=Credentials("LTAInew", "s1"))
    await admin(simulator, "POST", "/_admin/keys", {**new, "accessKeySecret": "s2"})
    with pytest.raises(FCError) as info:
        await list_ids(simulator, creds=Credentials("LTAInew", "s1"))
    assert info.value.code == "SignatureNotMatch"
    assert await list_ids(simulator, creds=Credentials("LTAInew", "s2"))
    assert (await admin(simulator, "POST", "/_admin/keys", {"accessKeyId": "x"})).status_code == 400


async def test_clock_offset_provokes_skew(simulator: Simulator) -> None:
    response = await admin(simulator, "POST", "/_admin/clock", {"offset": 3600})
    assert response.json()["offset"] == 3600
    with pytest.raises(FCError) as info:
        await list_ids(simulator)
    assert info.value.code == "RequestTimeTooSkewed"
    assert (await admin(simulator, "POST", "/_admin/clock", {"offset": "x"})).status_code == 400


async def test_unknown_paths_get_fc_errors(simulator: Simulator) -> None:
    response = await admin(simulator, "GET", "/2016-08-15/services")
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == "PathNotSupported"
    assert response.headers["x-fc-request-id"]


async def test_unsigned_request_is_refused(simulator: Simulator) -> None:
    response = await admin(simulator, "GET", "/2023-03-30/functions/checkout/instances")
    assert response.status_code == 400
    assert response.json()["Code"] == "MissingRequiredHeader"
    assert response.json()["RequestId"] == response.headers["x-fc-request-id"]


# --- STS ---------------------------------------------------------------------------------------

OIDC = {
    "Action": "AssumeRoleWithOIDC",
    "RoleArn": "acs:ram::1111:role/r",
    "OIDCProviderArn": "acs:ram::1111:oidc-provider/p",
    "OIDCToken": "jwt",
}


async def test_sts_issues_expiring_credentials(simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        response = await http.post("/", data={**OIDC, "DurationSeconds": "900"})
    assert response.status_code == 200
    creds = response.json()["Credentials"]
    sts = Credentials(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])
    assert await list_ids(simulator, creds=sts)
    simulator.state.clock_offset = 901
    with pytest.raises(FCError) as info:
        await list_ids(simulator, creds=sts)
    assert info.value.code == "InvalidSecurityToken.Expired"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({**OIDC, "OIDCToken": ""}, 400, "MissingParameter.OIDCToken"),
        ({**OIDC, "DurationSeconds": "60"}, 400, "InvalidParameter.DurationSeconds"),
        ({**OIDC, "DurationSeconds": "\u00b3"}, 400, "InvalidParameter.DurationSeconds"),
        ({**OIDC, "Action": "AssumeRole"}, 400, "InvalidAction.NotFound"),
    ],
)
async def test_sts_errors(
    simulator: Simulator, params: dict[str, str], status: int, code: str
) -> None:
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        response = await http.get("/", params=params)
    assert (response.status_code, response.json()["Code"]) == (status, code)
    assert "jwt" not in response.text


async def test_sts_roles_restrict_and_pick_the_account() -> None:
    config = sim_config()
    config["sts"] = {"roles": [{"roleArn": "acs:ram::2222:role/r", "accountId": "2222"}]}
    async with Simulator(config) as sim, httpx.AsyncClient(base_url=sim.url) as http:
        refused = await http.get("/", params=OIDC)
        assert (refused.status_code, refused.json()["Code"]) == (404, "EntityNotExist.Role")
        ok = await http.get("/", params={**OIDC, "RoleArn": "acs:ram::2222:role/r"})
        key_id = ok.json()["Credentials"]["AccessKeyId"]
        state = (await http.get("/_admin/state")).json()
    assert key_id in state["accounts"][1]["accessKeyIds"]
    assert json.dumps(state).count(key_id) == 1
