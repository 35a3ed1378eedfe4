"""The FC simulator for end-to-end tests: in this process, driven through its admin HTTP API
(the same API a user drives with curl)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from fcwatch.fc.simulator import SimulatorThread


class SimulatorControl:
    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=10)

    def set_instances(
        self, service: str, function: str, qualifier: str, instances: list[dict[str, str]]
    ) -> None:
        response = self._http.put(
            "/_admin/instances",
            json={
                "service": service,
                "function": function,
                "qualifier": qualifier,
                "instances": instances,
            },
        )
        response.raise_for_status()

    def add_fault(self, service: str, function: str, **fault: Any) -> None:
        body = {"service": service, "function": function, "kind": "error", "count": None, **fault}
        self._http.post("/_admin/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self._http.delete("/_admin/faults").raise_for_status()

    def requests(self, service: str, function: str, qualifier: str, api: str = "fc2") -> int:
        targets = self._http.get("/_admin/requests").raise_for_status().json()["targets"]
        key = (
            f"{api}/{service}/{function}/{qualifier}"
            if api == "fc2"
            else f"fc3/{function}/{qualifier}"
        )
        return int(targets.get(key, 0))


@contextlib.contextmanager
def running_simulator(access_key_id: str, access_key_secret: str) -> Iterator[SimulatorControl]:
    config = {
        "accounts": [
            {
                "accountId": "1234567890",
                "keys": [{"accessKeyId": access_key_id, "accessKeySecret": access_key_secret}],
                "functions": [],
            }
        ]
    }
    with SimulatorThread(config) as sim:
        yield SimulatorControl(sim.url)
