"""`fcwatch simulator` as a subprocess and `fcwatch list-instances` against it."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fcwatch.fc import list_command, simulator_command
from fcwatch.fc.simulator import SimulatorThread
from fcwatch.fc.simulator_config import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from tests.fc.conftest import KEY_ID, SECRET, sim_config

DEMO_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
}


def start_simulator(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fcwatch.fc.simulator_command",
            "--port",
            "0",
            "--ready-file",
            str(ready),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"simulator did not start: {out}\n{err}")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    process, ready = start_simulator(tmp_path)
    yield process, ready
    if process.poll() is None:
        process.kill()
        process.communicate()


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    return subprocess.run(
        [sys.executable, "-m", "fcwatch.fc.list_command", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_simulator_subprocess_serves_list_instances(
    demo_process: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, ready = demo_process
    url = ready["url"]
    assert ready["pid"] == process.pid
    assert ready["demoCredentials"]["accessKeyId"] == DEMO_ACCESS_KEY_ID
    common = ["--endpoint", url, "--service", "shop", "--function", "inventory"]
    table = run_cli(*common, env=DEMO_ENV)
    assert table.returncode == 0, table.stderr
    assert "c-inv-0001" in table.stdout and "2 instances" in table.stdout
    as_json = run_cli(*common, "-o", "json", "--api", "fc3", env=DEMO_ENV)
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert [i["instanceId"] for i in doc["instances"]] == ["c-inv-0001", "c-inv-0002"]
    assert doc["instances"][0]["status"] == "Running"
    counts = httpx.get(url + "/_admin/requests").json()
    assert counts["targets"] == {"fc2/shop/inventory/LATEST": 1, "fc3/inventory/LATEST": 1}
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"listening on {url}" in out


def test_cli_errors_are_one_line_with_exit_codes(
    demo_process: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    url = demo_process[1]["url"]
    common = ["--endpoint", url, "--service", "shop", "--function", "checkout"]
    not_found = run_cli(*common, "--qualifier", "nope", env=DEMO_ENV)
    assert not_found.returncode == 1
    assert not_found.stderr.count("\n") == 1
    assert "not_found: 404 AliasNotFound" in not_found.stderr
    bad_secret = run_cli(
        *common, env={**DEMO_ENV, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-secret-value"}
    )
    assert bad_secret.returncode == 1
    assert "SignatureNotMatch" in bad_secret.stderr
    assert "wrong-secret-value" not in bad_secret.stderr + bad_secret.stdout
    no_creds = run_cli(*common, env={})
    assert no_creds.returncode == 2
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in no_creds.stderr
    usage = run_cli("--function", "f", "--service", "s", env=DEMO_ENV)
    assert usage.returncode == 2
    assert "--endpoint" in usage.stderr


def test_simulator_with_config_file(tmp_path: Path) -> None:
    config = tmp_path / "sim.json"
    config.write_text(json.dumps(sim_config()))
    process, ready = start_simulator(tmp_path, "--config", str(config))
    try:
        assert "demoCredentials" not in ready
        assert ready["accounts"][0]["accessKeyIds"][0] == KEY_ID
        env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
        result = run_cli(
            "--endpoint", ready["url"], "--service", "shop", "--function", "checkout", env=env
        )
        assert result.returncode == 0, result.stderr
        assert "c-latest-1" in result.stdout
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert SECRET not in out + err


def test_simulator_rejects_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("accounts:\n  - keys: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "fcwatch.fc.simulator_command", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "accounts[0].accountId: required" in result.stderr


def test_list_command_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = argparse.ArgumentParser()
    list_command.add_arguments(parser)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    with SimulatorThread(sim_config()) as sim:
        args = parser.parse_args(
            ["--api", "fc3", "--endpoint", sim.url, "--function", "checkout", "--qualifier", "prod"]
        )
        assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "STATUS" in out and "c-prod-2" in out and "Stopped" in out


def test_simulator_command_registers_its_handler() -> None:
    parser = argparse.ArgumentParser()
    simulator_command.add_arguments(parser)
    args = parser.parse_args(["--port", "0"])
    assert args.handler is simulator_command.run
    assert (args.host, args.config) == ("127.0.0.1", None)


def test_simulator_thread_cleans_up_when_the_port_is_taken() -> None:
    with SimulatorThread() as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = SimulatorThread(port=port)
        with pytest.raises(OSError), second:
            pass
        assert not second._thread.is_alive()
        assert httpx.get(first.url + "/_admin/state").status_code == 200
