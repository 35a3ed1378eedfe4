"""Static Alibaba Cloud credentials: from a Kubernetes Secret's data or from the environment.

``Credentials`` never shows its secret or token: not in ``repr()``, ``str()`` or any exception
raised here. Errors name the missing or broken *key*, never a value. For RRSA (STS
``AssumeRoleWithOIDC``) see :mod:`fcwatch.fc.rrsa`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

# Names (not values) of the three fields: in a Secret's data, and in the environment.
SECRET_DATA_KEYS = ("accessKeyId", "accessKeySecret", "securityToken")
ENV_KEYS = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
)

_FINGERPRINT_DOMAIN = b"fcwatch/credentials-fingerprint/v1"


class CredentialsError(Exception):
    """Credentials could not be obtained. The message never contains a credential value."""


class CredentialsMissing(CredentialsError):
    """A required key is absent or empty."""

    def __init__(self, key_name: str) -> None:
        super().__init__(f"credentials key {key_name!r} is missing or empty")
        self.key_name = key_name


class CredentialsInvalid(CredentialsMissing):
    """A key is present but its value is unusable (not base64, not UTF-8, control characters).

    A subclass of ``CredentialsMissing``: either way no usable credentials, and the key to fix.
    """

    def __init__(self, key_name: str, reason: str) -> None:
        CredentialsError.__init__(self, f"credentials key {key_name!r} is invalid: {reason}")
        self.key_name = key_name
        self.reason = reason


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair, optionally with an STS security token."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        token = ", security_token=<redacted>" if self.security_token else ""
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, "
            f"access_key_secret=<redacted>{token})"
        )

    __str__ = __repr__

    def fingerprint(self) -> str:
        """A short stable hash of id, secret and token: equal credentials, equal fingerprints.

        For dedup keys and change detection; 64 bits of a domain-separated SHA-256, so it
        reveals nothing usable about the secret.
        """
        digest = hashlib.sha256(_FINGERPRINT_DOMAIN)
        for part in (self.access_key_id, self.access_key_secret, self.security_token or ""):
            encoded = part.encode("utf-8")
            digest.update(len(encoded).to_bytes(4, "big"))
            digest.update(encoded)
        return digest.hexdigest()[:16]


def _optional(key_name: str, value: str | None) -> str | None:
    """Strip surrounding whitespace (``echo`` adds a newline); reject control characters."""
    text = (value or "").strip()
    if not text:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise CredentialsInvalid(key_name, "contains control characters")
    return text


def _required(key_name: str, value: str | None) -> str:
    text = _optional(key_name, value)
    if text is None:
        raise CredentialsMissing(key_name)
    return text


def _decode_secret_value(key_name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        decoded = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CredentialsInvalid(key_name, "not valid base64") from None
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialsInvalid(key_name, "not UTF-8 text") from None


def credentials_from_values(
    access_key_id: str | None,
    access_key_secret: str | None,
    security_token: str | None = None,
    *,
    names: tuple[str, str, str] = SECRET_DATA_KEYS,
) -> Credentials:
    """Validate plain values; ``names`` are what errors call the three fields."""
    return Credentials(
        _required(names[0], access_key_id),
        _required(names[1], access_key_secret),
        _optional(names[2], security_token),
    )


def credentials_from_secret_data(data: Mapping[str, str] | None) -> Credentials:
    """A Kubernetes Secret's ``data`` (base64 values): accessKeyId, accessKeySecret,
    securityToken (optional)."""
    data = data or {}
    key_id, secret, token = (
        _decode_secret_value(name, data.get(name)) for name in SECRET_DATA_KEYS
    )
    return credentials_from_values(key_id, secret, token)


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """``ALIBABA_CLOUD_ACCESS_KEY_ID``, ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``,
    ``ALIBABA_CLOUD_SECURITY_TOKEN`` (optional). Pass ``os.environ``."""
    key_id, secret, token = (environ.get(name) for name in ENV_KEYS)
    return credentials_from_values(key_id, secret, token, names=ENV_KEYS)
