"""Credentials: parsing from a Secret and the environment, redaction, fingerprints."""

from __future__ import annotations

import base64
import logging
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcwatch.fc.credentials import (
    Credentials,
    CredentialsError,
    CredentialsInvalid,
    CredentialsMissing,
    credentials_from_env,
    credentials_from_secret_data,
)

SECRET = "Sup3rS3cretValue/+="
TOKEN = "CAISstsTokenValue=="


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_data(**values: str) -> dict[str, str]:
    return {k: b64(v) for k, v in values.items()}


def test_from_secret_data() -> None:
    creds = credentials_from_secret_data(
        secret_data(accessKeyId="LTAI1\n", accessKeySecret=f" {SECRET} ", securityToken=TOKEN)
    )
    assert creds == Credentials("LTAI1", SECRET, TOKEN)


def test_token_is_optional_and_empty_token_is_none() -> None:
    creds = credentials_from_secret_data(
        secret_data(accessKeyId="LTAI1", accessKeySecret=SECRET, securityToken="  ")
    )
    assert creds.security_token is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "accessKeyId"),
        (None, "accessKeyId"),
        (secret_data(accessKeySecret=SECRET), "accessKeyId"),
        (secret_data(accessKeyId="LTAI1"), "accessKeySecret"),
        (secret_data(accessKeyId="", accessKeySecret=SECRET), "accessKeyId"),
        (secret_data(accessKeyId="LTAI1", accessKeySecret="\n"), "accessKeySecret"),
    ],
)
def test_missing_keys_are_named(data: dict[str, str] | None, key: str) -> None:
    with pytest.raises(CredentialsMissing) as info:
        credentials_from_secret_data(data)
    assert info.value.key_name == key
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"accessKeyId": "not base64!", "accessKeySecret": b64(SECRET)}, "accessKeyId"),
        ({"accessKeyId": b64("LTAI"), "accessKeySecret": "@@@" + SECRET}, "accessKeySecret"),
        (
            {"accessKeyId": b64("LTAI"), "accessKeySecret": base64.b64encode(b"\xff\xfe").decode()},
            "accessKeySecret",
        ),
        (secret_data(accessKeyId="LT\nAI", accessKeySecret=SECRET), "accessKeyId"),
        (
            secret_data(accessKeyId="LTAI", accessKeySecret=SECRET, securityToken="a\x00b"),
            "securityToken",
        ),
    ],
)
def test_invalid_values_are_named_never_shown(data: dict[str, str], key: str) -> None:
    with pytest.raises(CredentialsInvalid) as info:
        credentials_from_secret_data(data)
    assert info.value.key_name == key
    assert isinstance(info.value, CredentialsMissing)  # callers catching Missing see it too
    assert SECRET not in str(info.value) and "@@@" not in str(info.value)


def test_from_env() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI2",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    assert credentials_from_env(env) == Credentials("LTAI2", SECRET, TOKEN)
    with pytest.raises(CredentialsMissing) as info:
        credentials_from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI2"})
    assert info.value.key_name == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


def test_repr_and_str_never_show_secret_or_token(caplog: pytest.LogCaptureFixture) -> None:
    creds = Credentials("LTAI3", SECRET, TOKEN)
    shown = [repr(creds), str(creds), f"{creds}", f"{creds!r}", repr([creds]), repr({"c": creds})]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("credentials %s %r", creds, creds)
    shown.append(caplog.text)
    for text in shown:
        assert SECRET not in text and TOKEN not in text
        assert "LTAI3" in text
    assert "security_token" not in repr(Credentials("LTAI3", SECRET))


def test_credentials_survive_pickling_and_compare_by_value() -> None:
    creds = Credentials("LTAI3", SECRET, TOKEN)
    assert pickle.loads(pickle.dumps(creds)) == creds  # noqa: S301 - our own bytes
    assert hash(creds) == hash(Credentials("LTAI3", SECRET, TOKEN))


def test_fingerprint() -> None:
    a = Credentials("LTAI", SECRET)
    assert a.fingerprint() == Credentials("LTAI", SECRET).fingerprint()
    others = [
        Credentials("LTAI", SECRET + "x"),
        Credentials("LTAIx", SECRET),
        Credentials("LTAI", SECRET, TOKEN),
        Credentials("LTA", "I" + SECRET),
    ]
    assert len({a.fingerprint(), *(o.fingerprint() for o in others)}) == 5
    assert len(a.fingerprint()) == 16
    assert SECRET not in a.fingerprint()


MARK = "\u00a7"  # a character no error message template contains
marked = st.text().map(lambda t: MARK + t)


@given(
    st.dictionaries(
        st.sampled_from(["accessKeyId", "accessKeySecret", "securityToken", "x"]), marked
    )
)
def test_any_secret_data_gives_credentials_or_a_credentials_error(data: dict[str, str]) -> None:
    with pytest.raises(CredentialsError) as info:  # "§" is never valid base64
        credentials_from_secret_data(data)
    assert MARK not in str(info.value)


@given(
    st.dictionaries(st.sampled_from(["accessKeyId", "accessKeySecret", "securityToken"]), marked)
)
def test_any_decoded_values_give_credentials_or_a_credentials_error(values: dict[str, str]) -> None:
    try:
        creds = credentials_from_secret_data({k: b64(v) for k, v in values.items()})
    except CredentialsError as error:
        assert MARK not in str(error)
    else:
        assert creds.access_key_id.startswith(MARK)
        assert MARK not in repr(creds).replace(repr(creds.access_key_id), "")
