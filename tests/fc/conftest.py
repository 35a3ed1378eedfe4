"""Simulator fixtures: one config with two accounts, static and STS keys, fixed instances."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from fcwatch.fc.credentials import Credentials
from fcwatch.fc.simulator import Simulator, SimulatorThread

KEY_ID = "LTAItestKey0001"
SECRET = "testSecret/+=0001"
STS_KEY_ID = "STS.testKey0002"
STS_SECRET = "stsSecret0002"
STS_TOKEN = "CAIS.test.token/+=0002"
OTHER_KEY_ID = "LTAIotherAccount"
OTHER_SECRET = "otherSecret"


def sim_config() -> dict[str, Any]:
    return {
        "seed": 1,
        "accounts": [
            {
                "accountId": "1111",
                "keys": [
                    {"accessKeyId": KEY_ID, "accessKeySecret": SECRET},
                    {
                        "accessKeyId": STS_KEY_ID,
                        "accessKeySecret": STS_SECRET,
                        "securityToken": STS_TOKEN,
                    },
                ],
                "functions": [
                    {
                        "service": "shop",
                        "function": "checkout",
                        "versions": ["1", "2"],
                        "aliases": {"prod": "2"},
                        "qualifiers": {
                            "LATEST": [
                                {"instanceId": "c-latest-1", "createdTimeMs": 1000},
                                {"instanceId": "c-latest-2", "createdTimeMs": 2000},
                            ],
                            "prod": [
                                {"instanceId": "c-prod-1", "createdTimeMs": 1000},
                                {
                                    "instanceId": "c-prod-2",
                                    "versionId": "1",
                                    "status": "Stopped",
                                    "createdTimeMs": 3000,
                                },
                            ],
                        },
                    },
                    {
                        "service": "服务",
                        "function": "函数 x",
                        "qualifiers": {"LATEST": [{"instanceId": "c-unicode"}]},
                    },
                    {
                        "function": "fc3only",
                        "qualifiers": {"LATEST": {"churn": {"min": 2, "max": 2, "period": 60}}},
                    },
                ],
            },
            {
                "accountId": "2222",
                "keys": [{"accessKeyId": OTHER_KEY_ID, "accessKeySecret": OTHER_SECRET}],
                "functions": [{"service": "other", "function": "fn"}],
            },
        ],
    }


STATIC = Credentials(KEY_ID, SECRET)
STS = Credentials(STS_KEY_ID, STS_SECRET, STS_TOKEN)


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with Simulator(sim_config()) as sim:
        yield sim


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    with SimulatorThread(sim_config()) as sim:
        yield sim
