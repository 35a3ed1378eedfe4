"""On-demand refresh requests: Flux's ``reconcile.fluxcd.io/requestedAt`` and our own
``fcwatch.io/refresh`` annotations. Pure: which request is new, and what to echo in status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FLUX_REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
FCWATCH_REFRESH = "fcwatch.io/refresh"
REFRESH_ANNOTATIONS = (FLUX_REQUESTED_AT, FCWATCH_REFRESH)


@dataclass(frozen=True)
class RefreshTokens:
    """The refresh annotations' values as last handled."""

    requested_at: str | None = None
    refresh: str | None = None

    @classmethod
    def of(cls, annotations: Mapping[str, str] | None) -> RefreshTokens:
        annotations = annotations or {}
        return cls(annotations.get(FLUX_REQUESTED_AT), annotations.get(FCWATCH_REFRESH))


@dataclass(frozen=True)
class RefreshRequest:
    """A refresh asked for and not yet handled; ``echo`` goes to status.lastHandledReconcileAt."""

    echo: str
    tokens: RefreshTokens


def pending_refresh(
    handled: RefreshTokens, annotations: Mapping[str, str] | None
) -> RefreshRequest | None:
    """A new value in either annotation is a request (a removed annotation is not)."""
    current = RefreshTokens.of(annotations)
    if current.requested_at is not None and current.requested_at != handled.requested_at:
        return RefreshRequest(current.requested_at, current)
    if current.refresh is not None and current.refresh != handled.refresh:
        return RefreshRequest(current.refresh, current)
    return None


def initial_tokens(
    annotations: Mapping[str, str] | None, last_handled_reconcile_at: str | None
) -> RefreshTokens:
    """What counts as handled when the operator first sees a watch (e.g. after a restart):
    a Flux request whose value status already echoes was handled; any other is still pending.
    Our own annotation has no echo of its own, and a first poll happens anyway."""
    current = RefreshTokens.of(annotations)
    requested = current.requested_at
    return RefreshTokens(
        requested_at=requested if requested == last_handled_reconcile_at else None,
        refresh=current.refresh,
    )
