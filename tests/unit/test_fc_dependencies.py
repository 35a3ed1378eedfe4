"""Alibaba's SDKs are test oracles only: no fcwatch module imports them, no runtime dependency
names them."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import fcwatch

SDK_MODULES = ("fc2", "alibabacloud", "darabonba", "Tea", "aliyunsdkcore")
SDK_DISTRIBUTIONS = ("aliyun-fc2", "alibabacloud", "darabonba", "aliyun-python-sdk")
ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_fcwatch_module_imports_an_sdk() -> None:
    package = Path(fcwatch.__file__).parent
    offenders = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0].startswith(SDK_MODULES)
    }
    assert offenders == set()


def test_runtime_dependencies_exclude_the_sdks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [d.lower() for d in project["dependencies"]]
    assert not [d for d in runtime if d.startswith(SDK_DISTRIBUTIONS)]
    test_extra = " ".join(project["optional-dependencies"]["test"]).lower()
    assert "aliyun-fc2" in test_extra and "alibabacloud-fc20230330" in test_extra
