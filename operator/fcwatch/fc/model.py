"""Plain data of the FC ListInstances call: the target, its result, and its typed errors.

Every module of ``fcwatch.fc`` and the operator speak these types; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Api = Literal["fc2", "fc3"]

FC2_API_VERSION = "2016-08-15"
FC3_API_VERSION = "2023-03-30"


def default_endpoint(account_id: str, region: str, *, internal: bool = False) -> str:
    """The public (or VPC-internal) FC endpoint of an account in a region."""
    suffix = "-internal" if internal else ""
    return f"https://{account_id}.{region}{suffix}.fc.aliyuncs.com"


@dataclass(frozen=True)
class FCTarget:
    """What one ListInstances call asks: which function, where, with which filters."""

    api: Api
    endpoint: str  # scheme://host[:port], no trailing slash
    function_name: str
    qualifier: str = "LATEST"
    service_name: str | None = None  # fc2 only
    instance_ids: tuple[str, ...] = ()
    limit: int = 100


@dataclass(frozen=True)
class Instance:
    """One function instance as FC reports it. ``version_id`` is a string ("0" is LATEST)."""

    instance_id: str
    version_id: str
    status: str | None = None  # fc3 only
    created_time_ms: int | None = None  # fc3 only
    qualifier: str | None = None  # fc3 only


@dataclass(frozen=True)
class ListInstancesResult:
    instances: tuple[Instance, ...]
    request_id: str | None = None


ErrorKind = Literal["throttled", "unavailable", "auth", "not_found", "invalid", "protocol"]


@dataclass
class FCError(Exception):
    """A failed ListInstances call. Never carries credentials; safe to log and to put in status."""

    kind: ErrorKind
    message: str
    http_status: int | None = None
    code: str | None = None
    request_id: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    retryable: bool = field(default=False)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [p for p in (str(self.http_status or ""), self.code or "") if p]
        head = " ".join(parts)
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{head}: {self.message}{rid}" if head else f"{self.message}{rid}"
