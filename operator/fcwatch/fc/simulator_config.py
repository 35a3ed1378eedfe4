"""Simulator configuration: a YAML/JSON file or the same as a dict → frozen dataclasses. Pure.

Format (camelCase, every field but the names optional)::

    seed: 42                      # churn random seed
    maxSkewSeconds: 900           # Date / x-acs-date tolerance
    accounts:
      - accountId: "1234567890"
        keys:
          - accessKeyId: LTAI...
            accessKeySecret: ...
            securityToken: ...    # if set, requests must carry exactly this STS token
        functions:
          - service: shop         # fc2 service; omit for a function reachable by fc3 only
            function: checkout    # fc3 reaches it by this name (first match if ambiguous)
            versions: ["1", "2"]  # published versions: numeric qualifiers that exist
            aliases: {prod: "2"}  # alias → version
            qualifiers:           # instances per qualifier (LATEST always exists)
              LATEST: [{instanceId: i-1}]                         # a fixed list
              prod: {churn: {min: 1, max: 4, period: 5}}          # instances come and go
    sts:                          # AssumeRoleWithOIDC
      roles: [{roleArn: "acs:ram::1234567890:role/x", accountId: "1234567890"}]
                                  # no roles: any role is accepted, for the first account

An instance's ``versionId`` defaults to the qualifier's version ("0" for LATEST, the version for
a numeric qualifier, the aliased version for an alias); churned instances take theirs from
``churn.versions`` (default: the same). ``status`` defaults to ``Running``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LATEST = "LATEST"

DEMO_ACCOUNT_ID = "1234567890"
DEMO_ACCESS_KEY_ID = "LTAIdemoFcwatch0001"
DEMO_ACCESS_KEY_SECRET = "fcwatchDemoSecretNotForProduction"  # noqa: S105 - well-known demo key


class ConfigError(ValueError):
    """The configuration is invalid; the message starts with the path of the bad field."""


@dataclass(frozen=True)
class KeyConfig:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # epoch seconds; STS-issued keys expire


@dataclass(frozen=True)
class InstanceConfig:
    instance_id: str
    version_id: str | None = None
    status: str = "Running"
    created_time_ms: int | None = None


@dataclass(frozen=True)
class ChurnConfig:
    min_count: int
    max_count: int
    period: float
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class QualifierConfig:
    instances: tuple[InstanceConfig, ...] = ()
    churn: ChurnConfig | None = None


@dataclass(frozen=True)
class FunctionConfig:
    function: str
    service: str | None = None
    versions: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    qualifiers: Mapping[str, QualifierConfig] = field(default_factory=dict)

    def version_of(self, qualifier: str) -> str | None:
        """The version a qualifier points at: "0" for LATEST; None if the qualifier is unknown."""
        if qualifier == LATEST:
            return "0"
        if qualifier in self.aliases:
            return self.aliases[qualifier]
        if qualifier in self.versions:
            return qualifier
        if qualifier in self.qualifiers:
            return qualifier if qualifier.isdigit() else "0"
        return None


@dataclass(frozen=True)
class AccountConfig:
    account_id: str
    keys: tuple[KeyConfig, ...] = ()
    functions: tuple[FunctionConfig, ...] = ()


@dataclass(frozen=True)
class RoleConfig:
    role_arn: str
    account_id: str
    oidc_provider_arn: str | None = None


@dataclass(frozen=True)
class SimulatorConfig:
    accounts: tuple[AccountConfig, ...]
    roles: tuple[RoleConfig, ...] = ()
    seed: int = 0
    max_skew_seconds: float = 900.0


class _Reader:
    """Typed access to one mapping of the raw document, naming the path in errors."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path or '<root>'}: must be a mapping")
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise ConfigError(f"{self.at(key)}: required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ConfigError(f"{self.at(key)}: must be a string")
        text = str(value)
        if required and not text:
            raise ConfigError(f"{self.at(key)}: must not be empty")
        return text

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        if value is None:  # pragma: no cover - text(required=True) raises instead
            raise ConfigError(f"{self.at(key)}: required")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ConfigError(f"{self.at(key)}: must be a number >= {minimum:g}")
        return float(value)

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise ConfigError(f"{self.at(key)}: must be a list")
        return value

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{self.at(key)}: must be a mapping")
        return value


def key_from_dict(data: Any, path: str = "key") -> KeyConfig:
    r = _Reader(data, path)
    return KeyConfig(
        access_key_id=r.required_text("accessKeyId"),
        access_key_secret=r.required_text("accessKeySecret"),
        security_token=r.text("securityToken") or None,
    )


def instance_from_dict(data: Any, path: str) -> InstanceConfig:
    r = _Reader(data, path)
    created = r.data.get("createdTimeMs")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
        raise ConfigError(f"{r.at('createdTimeMs')}: must be an integer")
    return InstanceConfig(
        instance_id=r.required_text("instanceId"),
        version_id=r.text("versionId"),
        status=r.text("status", default="Running") or "Running",
        created_time_ms=created,
    )


def churn_from_dict(data: Any, path: str) -> ChurnConfig:
    r = _Reader(data, path)
    low = int(r.number("min", 1))
    high = int(r.number("max", max(low, 3)))
    if high < low:
        raise ConfigError(f"{r.at('max')}: must be >= min")
    versions = tuple(str(v) for v in r.items("versions"))
    return ChurnConfig(low, high, r.number("period", 10.0, minimum=0.05), versions)


def qualifier_from_dict(data: Any, path: str) -> QualifierConfig:
    if isinstance(data, list):
        return QualifierConfig(
            instances=tuple(instance_from_dict(x, f"{path}[{i}]") for i, x in enumerate(data))
        )
    r = _Reader(data, path)
    churn = churn_from_dict(r.data["churn"], r.at("churn")) if r.data.get("churn") else None
    items = r.items("instances")
    instances = tuple(
        instance_from_dict(x, f"{r.at('instances')}[{i}]") for i, x in enumerate(items)
    )
    return QualifierConfig(instances=instances, churn=churn)


def function_from_dict(data: Any, path: str) -> FunctionConfig:
    r = _Reader(data, path)
    aliases = {str(k): str(v) for k, v in r.mapping("aliases").items()}
    qualifiers = {
        str(name): qualifier_from_dict(spec, f"{r.at('qualifiers')}.{name}")
        for name, spec in r.mapping("qualifiers").items()
    }
    return FunctionConfig(
        function=r.required_text("function"),
        service=r.text("service") or None,
        versions=tuple(str(v) for v in r.items("versions")),
        aliases=aliases,
        qualifiers=qualifiers,
    )


def account_from_dict(data: Any, path: str) -> AccountConfig:
    r = _Reader(data, path)
    return AccountConfig(
        account_id=r.required_text("accountId"),
        keys=tuple(key_from_dict(x, f"{r.at('keys')}[{i}]") for i, x in enumerate(r.items("keys"))),
        functions=tuple(
            function_from_dict(x, f"{r.at('functions')}[{i}]")
            for i, x in enumerate(r.items("functions"))
        ),
    )


def config_from_dict(data: Mapping[str, Any]) -> SimulatorConfig:
    r = _Reader(data, "")
    accounts = tuple(
        account_from_dict(x, f"accounts[{i}]") for i, x in enumerate(r.items("accounts"))
    )
    if not accounts:
        raise ConfigError("accounts: at least one account is required")
    sts = _Reader(r.mapping("sts"), "sts")
    roles: list[RoleConfig] = []
    for i, item in enumerate(sts.items("roles")):
        rr = _Reader(item, f"sts.roles[{i}]")
        roles.append(
            RoleConfig(
                role_arn=rr.required_text("roleArn"),
                account_id=rr.text("accountId") or accounts[0].account_id,
                oidc_provider_arn=rr.text("oidcProviderArn") or None,
            )
        )
    return SimulatorConfig(
        accounts=accounts,
        roles=tuple(roles),
        seed=int(r.number("seed", 0)),
        max_skew_seconds=r.number("maxSkewSeconds", 900.0),
    )


def load_config(path: str | Path) -> SimulatorConfig:
    """Read a YAML (or JSON, which is YAML) file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON: {exc}") from None
    return config_from_dict(data if data is not None else {})


def demo_config_dict() -> dict[str, Any]:
    """The no-config default: one account, demo keys, a few services, aliases, churn."""
    return {
        "seed": 7,
        "accounts": [
            {
                "accountId": DEMO_ACCOUNT_ID,
                "keys": [
                    {"accessKeyId": DEMO_ACCESS_KEY_ID, "accessKeySecret": DEMO_ACCESS_KEY_SECRET}
                ],
                "functions": [
                    {
                        "service": "shop",
                        "function": "checkout",
                        "versions": ["1", "2", "3"],
                        "aliases": {"prod": "3", "canary": "2"},
                        "qualifiers": {
                            "LATEST": {"churn": {"min": 1, "max": 3, "period": 15}},
                            "prod": {"churn": {"min": 2, "max": 6, "period": 10}},
                            "canary": [{"instanceId": "c-canary-0001"}],
                        },
                    },
                    {
                        "service": "shop",
                        "function": "inventory",
                        "versions": ["1"],
                        "aliases": {"prod": "1"},
                        "qualifiers": {
                            "LATEST": [
                                {"instanceId": "c-inv-0001"},
                                {"instanceId": "c-inv-0002"},
                            ],
                            "prod": {"churn": {"min": 0, "max": 4, "period": 20}},
                        },
                    },
                    {
                        "service": "media",
                        "function": "thumbnail",
                        "versions": ["1", "2"],
                        "aliases": {"prod": "2"},
                        "qualifiers": {
                            "prod": {"churn": {"min": 3, "max": 10, "period": 8}},
                        },
                    },
                ],
            }
        ],
    }


def demo_config() -> SimulatorConfig:
    return config_from_dict(demo_config_dict())
