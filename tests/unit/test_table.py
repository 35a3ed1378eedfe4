from __future__ import annotations

import datetime as dt

from fcwatch.table import human_age, render

NOW = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)


def test_human_age_like_kubectl() -> None:
    assert human_age("2026-12-04T11:59:15Z", NOW) == "45s"
    assert human_age("2026-12-04T11:56:50Z", NOW) == "3m10s"
    assert human_age("2026-12-04T11:30:00Z", NOW) == "30m"
    assert human_age("2026-12-04T09:55:00Z", NOW) == "125m"
    assert human_age("2026-12-04T06:50:00Z", NOW) == "5h10m"
    assert human_age("2026-12-03T12:00:00Z", NOW) == "24h"
    assert human_age("2026-11-30T12:00:00Z", NOW) == "4d"
    assert human_age(None, NOW) == "<none>"
    assert human_age("garbage", NOW) == "<invalid>"


def test_render_aligns_columns_and_shows_values() -> None:
    obj = {
        "metadata": {
            "namespace": "shop",
            "name": "checkout",
            "creationTimestamp": "2026-12-04T11:00:00Z",
        },
        "spec": {"serviceName": "shop", "functionName": "checkout", "qualifier": "prod"},
        "status": {
            "instanceCount": 5,
            "versionSummary": "1=3,0=2",
            "lastSyncTime": "2026-12-04T11:59:50Z",
            "conditions": [{"type": "Ready", "status": "True", "reason": "Synced"}],
        },
    }
    pending = {"metadata": {"namespace": "shop", "name": "new"}, "spec": {"functionName": "f"}}
    lines = render([obj, pending], NOW).splitlines()
    assert lines[0].split() == [
        "NAMESPACE",
        "NAME",
        "SERVICE",
        "FUNCTION",
        "QUALIFIER",
        "INSTANCES",
        "READY",
        "REASON",
        "VERSIONS",
        "LAST",
        "SYNC",
        "AGE",
    ]
    assert lines[1].split() == [
        "shop",
        "checkout",
        "shop",
        "checkout",
        "prod",
        "5",
        "True",
        "Synced",
        "1=3,0=2",
        "10s",
        "60m",
    ]
    assert lines[0].index("INSTANCES") == lines[1].index("5")
    assert lines[2].split()[:2] == ["shop", "new"]
