"""`fcwatch list-instances`: flags → target, and output formatting (pure)."""

from __future__ import annotations

import argparse
import json

import pytest

from fcwatch.fc import list_command
from fcwatch.fc.model import FCError, FCTarget, Instance, ListInstancesResult


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    list_command.add_arguments(parser)
    return parser.parse_args(argv)


def test_region_and_account_build_the_default_endpoint() -> None:
    args = parse(
        "--region",
        "cn-hangzhou",
        "--account-id",
        "123",
        "--service",
        "s",
        "--function",
        "f",
        "--instance-id",
        "a",
        "--instance-id",
        "b",
        "--limit",
        "5",
    )
    assert list_command.target_from_args(args) == FCTarget(
        api="fc2",
        endpoint="https://123.cn-hangzhou.fc.aliyuncs.com",
        function_name="f",
        service_name="s",
        instance_ids=("a", "b"),
        limit=5,
    )
    internal = parse(
        "--region", "r", "--account-id", "1", "--internal", "--api", "fc3", "--function", "f"
    )
    target = list_command.target_from_args(internal)
    assert target.endpoint == "https://1.r-internal.fc.aliyuncs.com"
    assert target.service_name is None


def test_endpoint_override() -> None:
    args = parse(
        "--endpoint",
        "http://127.0.0.1:9880/",
        "--api",
        "fc3",
        "--function",
        "f",
        "--qualifier",
        "prod",
    )
    target = list_command.target_from_args(args)
    assert (target.endpoint, target.qualifier) == ("http://127.0.0.1:9880", "prod")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--function", "f", "--service", "s"), "--endpoint"),
        (("--region", "r", "--function", "f", "--service", "s"), "--account-id"),
        (("--endpoint", "http://h", "--function", "f"), "--service"),
        (
            ("--endpoint", "http://h", "--function", "f", "--service", "s", "--limit", "500"),
            "limit",
        ),
        (("--endpoint", "ftp://h", "--function", "f", "--service", "s"), "endpoint"),
    ],
)
def test_usage_errors(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(list_command.UsageError) as info:
        list_command.target_from_args(parse(*argv))
    assert message in str(info.value)


def test_parser_sets_the_handler_and_requires_function() -> None:
    assert parse("--function", "f").handler is list_command.run
    with pytest.raises(SystemExit):
        parse("--service", "s")


FC2_RESULT = ListInstancesResult((Instance("c-1", "2"), Instance("c-22", "10")), "rid")
FC3_RESULT = ListInstancesResult(
    (Instance("c-1", "2", "Running", 1_796_400_000_000, "prod"),), None
)


def test_table() -> None:
    assert list_command.format_table(FC2_RESULT).splitlines() == [
        "INSTANCE ID  VERSION",
        "c-1          2",
        "c-22         10",
        "2 instances; request id rid",
    ]
    lines = list_command.format_table(FC3_RESULT).splitlines()
    assert lines[0].split() == ["INSTANCE", "ID", "VERSION", "STATUS", "QUALIFIER", "CREATED"]
    assert lines[1].split() == ["c-1", "2", "Running", "prod", "2026-12-04T16:00:00Z"]
    assert lines[2] == "1 instance; request id -"
    assert (
        list_command.format_table(ListInstancesResult(()))
        .splitlines()[-1]
        .startswith("0 instances")
    )


def test_json() -> None:
    assert json.loads(list_command.format_json(FC2_RESULT)) == {
        "requestId": "rid",
        "instances": [
            {"instanceId": "c-1", "versionId": "2"},
            {"instanceId": "c-22", "versionId": "10"},
        ],
    }
    doc = json.loads(list_command.format_json(FC3_RESULT))
    assert doc["instances"][0] == {
        "instanceId": "c-1",
        "versionId": "2",
        "status": "Running",
        "createdTimeMs": 1_796_400_000_000,
        "qualifier": "prod",
    }


def test_error_line() -> None:
    error = FCError("throttled", "slow down", 429, "ResourceExhausted", "r1", 2.0, True)
    assert list_command.format_error(error) == (
        "fcwatch list-instances: throttled: 429 ResourceExhausted: slow down (request id r1)"
    )
