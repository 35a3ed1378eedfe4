"""The simulator's mutable world: keys, functions and their instances, faults, request counts.

No I/O. Time comes from an injected clock (plus an adjustable offset, to provoke clock-skew
errors); churn is driven by a seeded RNG per (function, qualifier), so a run is reproducible.
Not thread-safe: the aiohttp app (one event loop) is its only writer.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fcwatch.fc.simulator_config import (
    LATEST,
    AccountConfig,
    ChurnConfig,
    ConfigError,
    FunctionConfig,
    InstanceConfig,
    KeyConfig,
    QualifierConfig,
    SimulatorConfig,
    instance_from_dict,
    key_from_dict,
)
from fcwatch.fc.simulator_faults import Fault, Route, SimApi, fault_from_dict, opt_text


@dataclass(frozen=True)
class SimInstance:
    instance_id: str
    version_id: str
    status: str
    created_time_ms: int
    qualifier: str

    def to_json(self, api: SimApi) -> dict[str, Any]:
        doc: dict[str, Any] = {"instanceId": self.instance_id, "versionId": self.version_id}
        if api == "fc3":
            doc.update(
                status=self.status, createdTimeMs=self.created_time_ms, qualifier=self.qualifier
            )
        return doc


@dataclass(frozen=True)
class NotFound:
    code: str
    message: str


class InstancePool:
    """The instances of one (function, qualifier): a fixed list, or churn on a seeded RNG."""

    def __init__(
        self, spec: QualifierConfig, qualifier: str, version: str, rng: random.Random, now: float
    ) -> None:
        self.qualifier = qualifier
        self.version = version
        self.churn: ChurnConfig | None = spec.churn
        self._rng = rng
        self._started = now
        self._ticks = 0
        self.instances: list[SimInstance] = [self._from_config(i, now) for i in spec.instances]
        if self.churn is not None:
            self._reach(self._rng.randint(self.churn.min_count, self.churn.max_count), now)

    def _from_config(self, item: InstanceConfig, now: float) -> SimInstance:
        return SimInstance(
            instance_id=item.instance_id,
            version_id=item.version_id or self.version,
            status=item.status,
            created_time_ms=item.created_time_ms or int(now * 1000),
            qualifier=self.qualifier,
        )

    def replace(self, items: Iterable[InstanceConfig], now: float) -> None:
        """A fixed list from now on; churn stops."""
        self.churn = None
        self.instances = [self._from_config(i, now) for i in items]

    def _new_instance(self, now: float) -> SimInstance:
        versions = (self.churn.versions if self.churn else ()) or (self.version,)
        rid = f"c-{self._rng.getrandbits(32):08x}-{self._rng.getrandbits(48):012x}"
        return SimInstance(
            rid, self._rng.choice(versions), "Running", int(now * 1000), self.qualifier
        )

    def _reach(self, target: int, now: float) -> None:
        while len(self.instances) > target:
            self.instances.pop(self._rng.randrange(len(self.instances)))
        while len(self.instances) < target:
            self.instances.append(self._new_instance(now))

    def advance(self, now: float) -> None:
        """Play the churn ticks due by ``now``: some instances die, the count drifts."""
        if self.churn is None:
            return
        due = int((now - self._started) / self.churn.period)
        for tick in range(self._ticks + 1, min(due, self._ticks + 1000) + 1):
            at = self._started + tick * self.churn.period
            self.instances = [i for i in self.instances if self._rng.random() >= 0.3]
            self._reach(self._rng.randint(self.churn.min_count, self.churn.max_count), at)
        self._ticks = max(self._ticks, due)


class FunctionState:
    def __init__(self, config: FunctionConfig, seed: int, now: float) -> None:
        self.config = config
        self.seed = seed
        self.pools: dict[str, InstancePool] = {}
        for qualifier, spec in config.qualifiers.items():
            self.pool(qualifier, now, spec)

    def pool(self, qualifier: str, now: float, spec: QualifierConfig | None = None) -> InstancePool:
        if qualifier not in self.pools:
            rng = random.Random(
                f"{self.seed}/{self.config.service}/{self.config.function}/{qualifier}"
            )
            version = self.config.version_of(qualifier) or "0"
            self.pools[qualifier] = InstancePool(
                spec or QualifierConfig(), qualifier, version, rng, now
            )
        return self.pools[qualifier]

    def knows(self, qualifier: str) -> bool:
        return qualifier in self.pools or self.config.version_of(qualifier) is not None


@dataclass
class AccountState:
    account_id: str
    keys: dict[str, KeyConfig] = field(default_factory=dict)
    functions: list[FunctionState] = field(default_factory=list)


class SimulatorState:
    def __init__(self, config: SimulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self.clock_offset = 0.0
        now = self.now()
        self.accounts = [self._account(a, now) for a in config.accounts]
        self.faults: list[Fault] = []
        self._fault_ids = 0
        self.requests: Counter[str] = Counter()

    def _account(self, config: AccountConfig, now: float) -> AccountState:
        return AccountState(
            account_id=config.account_id,
            keys={k.access_key_id: k for k in config.keys},
            functions=[FunctionState(f, self.config.seed, now) for f in config.functions],
        )

    def now(self) -> float:
        return self._clock() + self.clock_offset

    # keys ---------------------------------------------------------------------------------

    def account(self, account_id: str | None) -> AccountState:
        for account in self.accounts:
            if account_id is None or account.account_id == account_id:
                return account
        raise ConfigError(f"accountId: no account {account_id!r}")

    def key(self, access_key_id: str) -> KeyConfig | None:
        found = self.lookup_key(access_key_id)
        return found[0] if found else None

    def lookup_key(self, access_key_id: str) -> tuple[KeyConfig, AccountState] | None:
        for account in self.accounts:
            key = account.keys.get(access_key_id)
            if key is not None:
                return key, account
        return None

    def put_key(self, data: Any) -> KeyConfig:
        """Admin: add or replace a key (``accountId`` optional: first account)."""
        key = key_from_dict(data)
        account_id = data.get("accountId") if isinstance(data, Mapping) else None
        for account in self.accounts:
            account.keys.pop(key.access_key_id, None)
        self.account(str(account_id) if account_id is not None else None).keys[
            key.access_key_id
        ] = key
        return key

    def issue_sts_key(self, account_id: str, duration: float) -> KeyConfig:
        key = KeyConfig(
            access_key_id="STS." + secrets.token_hex(12),
            access_key_secret=secrets.token_urlsafe(30),
            security_token="CAIS" + secrets.token_urlsafe(96),
            expires_at=self.now() + duration,
        )
        self.account(account_id).keys[key.access_key_id] = key
        return key

    # functions ----------------------------------------------------------------------------

    def find_function(self, account: AccountState, route: Route) -> FunctionState | NotFound:
        if route.api == "fc2":
            in_service = [f for f in account.functions if f.config.service == route.service]
            if not in_service:
                return NotFound("ServiceNotFound", f"service '{route.service}' does not exist")
            candidates = [f for f in in_service if f.config.function == route.function]
            if not candidates:
                return NotFound(
                    "FunctionNotFound",
                    f"function '{route.function}' does not exist in service '{route.service}'",
                )
        else:
            candidates = [f for f in account.functions if f.config.function == route.function]
            if not candidates:
                return NotFound("FunctionNotFound", f"function '{route.function}' does not exist")
        function = candidates[0]
        if not function.knows(route.qualifier):
            where = (
                f"service '{route.service}'" if route.service else f"function '{route.function}'"
            )
            if route.qualifier.isdigit():
                return NotFound(
                    "VersionNotFound", f"version '{route.qualifier}' of {where} does not exist"
                )
            return NotFound("AliasNotFound", f"alias '{route.qualifier}' of {where} does not exist")
        return function

    def instances(self, function: FunctionState, qualifier: str) -> list[SimInstance]:
        now = self.now()
        pool = function.pool(qualifier, now)
        pool.advance(now)
        return sorted(pool.instances, key=lambda i: (i.created_time_ms, i.instance_id))

    def set_instances(self, data: Any) -> list[SimInstance]:
        """Admin ``PUT /_admin/instances``: replace one (function, qualifier)'s list, stop churn.

        Applies to every account that has the function (``accountId`` narrows it); creates the
        function in the first (or given) account if none has it.
        """
        if not isinstance(data, Mapping):
            raise ConfigError("body: must be an object")
        function = opt_text(data, "function")
        if not function:
            raise ConfigError("function: required")
        service = opt_text(data, "service")
        qualifier = opt_text(data, "qualifier") or LATEST
        account_id = opt_text(data, "accountId")
        raw = data.get("instances")
        if not isinstance(raw, list):
            raise ConfigError("instances: must be a list")
        items = [instance_from_dict(x, f"instances[{i}]") for i, x in enumerate(raw)]
        now = self.now()
        targets = [
            f
            for a in self.accounts
            if account_id is None or a.account_id == account_id
            for f in a.functions
            if f.config.function == function and (service is None or f.config.service == service)
        ]
        if not targets:
            created = FunctionState(
                FunctionConfig(function=function, service=service), self.config.seed, now
            )
            self.account(account_id).functions.append(created)
            targets = [created]
        for target in targets:
            target.pool(qualifier, now).replace(items, now)
        return self.instances(targets[0], qualifier)

    # faults and counts --------------------------------------------------------------------

    def add_fault(self, data: Any) -> Fault:
        self._fault_ids += 1
        fault = fault_from_dict(data, self._fault_ids)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, route: Route) -> Fault | None:
        """The first fault matching ``route``, counted down (and dropped when used up)."""
        for fault in self.faults:
            if fault.matches(route):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return replace(fault)
        return None

    def count(self, route: Route) -> None:
        self.requests[route.key] += 1

    def counts(self) -> dict[str, Any]:
        return {
            "total": sum(self.requests.values()),
            "targets": dict(sorted(self.requests.items())),
        }

    def snapshot(self) -> dict[str, Any]:
        """Admin ``GET /_admin/state``: everything but secrets."""
        accounts = []
        for account in self.accounts:
            functions = []
            for f in account.functions:
                qualifiers = {}
                for q in sorted(f.pools):
                    pool = f.pools[q]
                    qualifiers[q] = {
                        "churn": pool.churn is not None,
                        "instances": [i.to_json("fc3") for i in self.instances(f, q)],
                    }
                functions.append(
                    {
                        "service": f.config.service,
                        "function": f.config.function,
                        "versions": list(f.config.versions),
                        "aliases": dict(f.config.aliases),
                        "qualifiers": qualifiers,
                    }
                )
            accounts.append(
                {
                    "accountId": account.account_id,
                    "accessKeyIds": sorted(account.keys),
                    "functions": functions,
                }
            )
        return {
            "now": self.now(),
            "clockOffset": self.clock_offset,
            "accounts": accounts,
            "faults": [f.to_json() for f in self.faults],
            "requests": self.counts(),
        }
