"""Targets of ListInstances requests (routes) and the faults scripted against them. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fcwatch.fc.simulator_config import LATEST, ConfigError

SimApi = Literal["fc2", "fc3"]
FAULT_KINDS = ("error", "malformed", "reset", "latency")
DEFAULT_CODES = {
    400: "InvalidArgument",
    403: "AccessDenied",
    404: "FunctionNotFound",
    429: "ResourceExhausted",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ResourceThrottled",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class Route:
    api: SimApi
    function: str
    qualifier: str = LATEST
    service: str | None = None

    @property
    def key(self) -> str:
        """``fc2/{service}/{function}/{qualifier}`` or ``fc3/{function}/{qualifier}``."""
        if self.api == "fc2":
            return f"fc2/{self.service}/{self.function}/{self.qualifier}"
        return f"fc3/{self.function}/{self.qualifier}"


@dataclass
class Fault:
    id: int
    kind: str
    status: int = 503
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    latency: float = 0.0
    remaining: int | None = None  # None: until cleared
    body: str | None = None  # malformed: the body to send
    api: str | None = None
    service: str | None = None
    function: str | None = None
    qualifier: str | None = None

    def matches(self, route: Route) -> bool:
        return all(
            want is None or want == got
            for want, got in (
                (self.api, route.api),
                (self.service, route.service),
                (self.function, route.function),
                (self.qualifier, route.qualifier),
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "code": self.error_code,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "count": self.remaining,
            "api": self.api,
            "service": self.service,
            "function": self.function,
            "qualifier": self.qualifier,
        }

    @property
    def error_code(self) -> str:
        return self.code or DEFAULT_CODES.get(self.status, "InternalServerError")


def opt_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{key}: must be a string")
    return str(value)


def opt_number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{key}: must be a number >= 0")
    return float(value)


def fault_from_dict(data: Any, fault_id: int) -> Fault:
    """Validate an admin ``POST /_admin/faults`` body."""
    if not isinstance(data, Mapping):
        raise ConfigError("fault: must be an object")
    status = data.get("status")
    kind = opt_text(data, "kind") or ("error" if status is not None else "latency")
    if kind not in FAULT_KINDS:
        raise ConfigError(f"kind: must be one of {', '.join(FAULT_KINDS)}")
    if status is None:
        status = 503
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ConfigError("status: must be an HTTP status code")
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ConfigError("count: must be a positive integer or null")
    api = opt_text(data, "api")
    if api not in (None, "fc2", "fc3"):
        raise ConfigError("api: must be fc2 or fc3")
    return Fault(
        id=fault_id,
        kind=kind,
        status=status,
        code=opt_text(data, "code"),
        message=opt_text(data, "message"),
        retry_after=opt_number(data, "retryAfter"),
        latency=opt_number(data, "latency") or 0.0,
        remaining=count,
        body=opt_text(data, "body"),
        api=api,
        service=opt_text(data, "service"),
        function=opt_text(data, "function"),
        qualifier=opt_text(data, "qualifier"),
    )
