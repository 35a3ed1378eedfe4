"""`fcwatch demo` (what `make demo` runs): its own control plane, simulator and operator."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_demo_shows_watches_with_instances() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fcwatch.cli", "demo", "--duration", "25", "--refresh", "5"],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "CI": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    last_table = result.stdout.rsplit("kubectl get fiw", 1)[1].splitlines()[1:]
    header, rows = last_table[0].split(), [line.split() for line in last_table[1:] if line.strip()]
    assert header[:2] == ["NAMESPACE", "NAME"]
    assert len(rows) >= 5
    synced = [r for r in rows if "Synced" in r]
    assert len(synced) == len(rows), result.stdout[-3000:]
    counts = [int(next(c for c in r[3:] if re.fullmatch(r"\d+", c))) for r in rows]
    assert sum(counts) > 0
