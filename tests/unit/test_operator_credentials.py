from __future__ import annotations

import pytest

from fcwatch.fc.credentials import CredentialsError
from fcwatch.operator_credentials import operator_credentials_from_env

RRSA_ENV = {
    "ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1234567890:role/fcwatch",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1234567890:oidc-provider/ack",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/tokens/oidc-token",
}
STATIC_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIstatic",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "static-secret-value",
}


async def test_static_keys_from_the_environment() -> None:
    source = operator_credentials_from_env(STATIC_ENV)
    assert source.source == "environment"
    creds = await source.get()
    assert creds is not None and creds.access_key_id == "LTAIstatic"
    await source.aclose()


async def test_rrsa_wins_over_static_keys() -> None:
    source = operator_credentials_from_env({**STATIC_ENV, **RRSA_ENV})
    assert source.source == "RRSA (acs:ram::1234567890:role/fcwatch)"
    with pytest.raises(CredentialsError) as err:  # the token file does not exist here
        await source.get()
    assert "oidc-token" in str(err.value)
    await source.aclose()


async def test_nothing_configured_is_none() -> None:
    source = operator_credentials_from_env({})
    assert source.source == "none"
    assert await source.get() is None


async def test_half_a_key_pair_is_reported_naming_the_variable_not_the_value() -> None:
    source = operator_credentials_from_env({"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "lonely-secret"})
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in source.source
    with pytest.raises(CredentialsError) as err:
        await source.get()
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in str(err.value)
    assert "lonely-secret" not in str(err.value) + source.source
