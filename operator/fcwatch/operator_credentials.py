"""The operator's own FC credentials, used for watches without ``spec.credentialsRef``:
static keys from the environment, or RRSA on ACK (STS AssumeRoleWithOIDC, refreshed)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping

from fcwatch.fc.credentials import ENV_KEYS, Credentials, CredentialsError, credentials_from_env

CredentialsSource = Callable[[], Awaitable[Credentials | None]]


def operator_credentials_source(environ: Mapping[str, str] = os.environ) -> CredentialsSource:
    """Environment keys if set, else none (watches then need a credentialsRef)."""
    static: Credentials | None = None
    if environ.get(ENV_KEYS[0]) or environ.get(ENV_KEYS[1]):
        try:
            static = credentials_from_env(environ)
        except CredentialsError:
            static = None

    async def get() -> Credentials | None:
        return static

    return get
