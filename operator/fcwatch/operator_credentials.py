"""The operator's own FC credentials, for watches without ``spec.credentialsRef``: RRSA on ACK
(STS AssumeRoleWithOIDC, cached and refreshed) when its three variables are set, else static keys
from the environment, else none (such watches report CredentialsMissing)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from fcwatch.fc.credentials import ENV_KEYS, Credentials, CredentialsError, credentials_from_env
from fcwatch.fc.rrsa import RRSACredentialsProvider, rrsa_config_from_env


class OperatorCredentials:
    """``await get()``: the current credentials, None when there are none; raises
    ``CredentialsError`` (never showing a value) when RRSA cannot get any."""

    def __init__(
        self,
        static: Credentials | None = None,
        rrsa: RRSACredentialsProvider | None = None,
        problem: str | None = None,
    ) -> None:
        self._static = static
        self._rrsa = rrsa
        self._problem = problem  # misconfigured: every get() reports it

    @property
    def source(self) -> str:
        if self._problem is not None:
            return f"misconfigured ({self._problem})"
        if self._rrsa is not None:
            return f"RRSA ({self._rrsa.config.role_arn})"
        return "environment" if self._static is not None else "none"

    async def get(self) -> Credentials | None:
        if self._problem is not None:
            raise CredentialsError(self._problem)
        if self._rrsa is not None:
            return await self._rrsa.get()
        return self._static

    async def aclose(self) -> None:
        if self._rrsa is not None:
            await self._rrsa.aclose()


def operator_credentials_from_env(environ: Mapping[str, str] = os.environ) -> OperatorCredentials:
    """RRSA first (as Alibaba's own credential chain orders it), then static keys. Broken static
    keys (half a pair) do not stop the operator: watches that need them say why (naming the
    variable, never a value), watches with their own Secret work on."""
    rrsa = rrsa_config_from_env(environ)
    if rrsa is not None:
        return OperatorCredentials(rrsa=RRSACredentialsProvider(rrsa))
    if any(environ.get(name) for name in ENV_KEYS[:2]):
        try:
            return OperatorCredentials(static=credentials_from_env(environ))
        except CredentialsError as exc:
            return OperatorCredentials(problem=str(exc))
    return OperatorCredentials()
