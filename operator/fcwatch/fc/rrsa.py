"""RRSA on ACK: exchange the pod's OIDC token for STS credentials (``AssumeRoleWithOIDC``).

Configured as Alibaba's own credential chain is: ``ALIBABA_CLOUD_ROLE_ARN``,
``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``, ``ALIBABA_CLOUD_OIDC_TOKEN_FILE`` (all three, or RRSA is
off), optional ``ALIBABA_CLOUD_ROLE_SESSION_NAME``; the STS endpoint is
``ALIBABA_CLOUD_STS_ENDPOINT`` (fcwatch's own, e.g. the simulator's URL), else
``sts[-vpc].{ALIBABA_CLOUD_STS_REGION}.aliyuncs.com``, else ``sts.aliyuncs.com``.

The call is unsigned (the OIDC token is the proof), a POST whose form body carries the token, so
it never lands in a URL. Credentials are cached until shortly before they expire; the token
file is re-read on every refresh (kubelet rotates it). Neither token nor secret ever reaches a
log line or an exception message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from fcwatch.fc.auth import Clock, acs3_timestamp, utc_now
from fcwatch.fc.credentials import Credentials, CredentialsError
from fcwatch.fc.responses import short_text

ENV_ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN"
ENV_OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
ENV_OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"  # noqa: S105 - a variable name
ENV_ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
ENV_STS_ENDPOINT = "ALIBABA_CLOUD_STS_ENDPOINT"
ENV_STS_REGION = "ALIBABA_CLOUD_STS_REGION"
ENV_VPC = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"


class STSError(CredentialsError):
    """AssumeRoleWithOIDC failed. Carries STS's code and request id, never the token."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        detail = " ".join(p for p in (str(http_status or ""), code or "") if p)
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(
            f"STS AssumeRoleWithOIDC failed: {detail + ': ' if detail else ''}{message}{rid}"
        )
        self.http_status = http_status
        self.code = code
        self.request_id = request_id


@dataclass(frozen=True)
class RRSAConfig:
    role_arn: str
    oidc_provider_arn: str
    oidc_token_file: str
    sts_endpoint: str = "https://sts.aliyuncs.com"
    role_session_name: str = "fcwatch"
    duration_seconds: int = 3600


def sts_endpoint_from_env(environ: Mapping[str, str]) -> str:
    explicit = environ.get(ENV_STS_ENDPOINT, "").strip()
    if explicit:
        return explicit.rstrip("/") if "://" in explicit else f"https://{explicit.rstrip('/')}"
    prefix = "sts-vpc" if environ.get(ENV_VPC, "").strip().lower() == "true" else "sts"
    region = environ.get(ENV_STS_REGION, "").strip()
    return f"https://{prefix}.{region}.aliyuncs.com" if region else "https://sts.aliyuncs.com"


def rrsa_config_from_env(environ: Mapping[str, str]) -> RRSAConfig | None:
    """The RRSA configuration, or None unless all three ``ALIBABA_CLOUD_*`` variables are set."""
    role = environ.get(ENV_ROLE_ARN, "").strip()
    provider = environ.get(ENV_OIDC_PROVIDER_ARN, "").strip()
    token_file = environ.get(ENV_OIDC_TOKEN_FILE, "").strip()
    if not (role and provider and token_file):
        return None
    return RRSAConfig(
        role_arn=role,
        oidc_provider_arn=provider,
        oidc_token_file=token_file,
        sts_endpoint=sts_endpoint_from_env(environ),
        role_session_name=environ.get(ENV_ROLE_SESSION_NAME, "").strip() or "fcwatch",
    )


def assume_role_request(
    config: RRSAConfig, token: str, now: datetime
) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL, query, form body) of the AssumeRoleWithOIDC call."""
    query = {
        "Action": "AssumeRoleWithOIDC",
        "Format": "JSON",
        "Version": "2015-04-01",
        "Timestamp": acs3_timestamp(now),
    }
    form = {
        "RoleArn": config.role_arn,
        "OIDCProviderArn": config.oidc_provider_arn,
        "OIDCToken": token,
        "RoleSessionName": config.role_session_name,
        "DurationSeconds": str(config.duration_seconds),
    }
    return config.sts_endpoint.rstrip("/") + "/", query, form


def _text(doc: Mapping[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) and value else None


def parse_assume_role_response(status: int, body: bytes) -> tuple[Credentials, datetime]:
    """STS's answer → (credentials, expiry); ``STSError`` for errors and unexpected shapes."""
    try:
        doc: Any = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        raise STSError("response is not a JSON object", http_status=status)
    rid = _text(doc, "RequestId")
    if status != 200:
        message = _text(doc, "Message") or "request failed"
        raise STSError(
            short_text(message), http_status=status, code=_text(doc, "Code"), request_id=rid
        )
    creds = doc.get("Credentials")
    fields = ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration")
    if not isinstance(creds, dict) or not all(
        isinstance(creds.get(f), str) and creds.get(f) for f in fields
    ):
        raise STSError("response has no complete Credentials", http_status=status, request_id=rid)
    try:
        expires = datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise STSError("Credentials.Expiration is malformed", http_status=status) from None
    return Credentials(
        creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]
    ), expires


def refresh_due(fetched: datetime, expires: datetime, now: datetime) -> bool:
    """Refresh once a quarter of the lifetime (at most 10 minutes) remains."""
    margin = min(timedelta(minutes=10), (expires - fetched) / 4)
    return now >= expires - margin


def _read_token(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


@dataclass
class _Cached:
    credentials: Credentials
    fetched: datetime
    expires: datetime = field(repr=False)


class RRSACredentialsProvider:
    """``await provider.get()`` → current STS credentials, refreshed shortly before expiry.

    Concurrent callers share one refresh. If a refresh fails while the cached credentials are
    still valid, those are returned; otherwise ``STSError`` (or ``CredentialsError`` when the
    token file cannot be read) is raised.
    """

    def __init__(
        self,
        config: RRSAConfig,
        *,
        clock: Clock = utc_now,
        read_token: Callable[[str], str] = _read_token,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.config = config
        self._clock = clock
        self._read_token = read_token
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            verify=True,
            trust_env=False,
            transport=transport,
        )
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self) -> Credentials:
        cached = self._cached
        if cached is not None and not refresh_due(cached.fetched, cached.expires, self._clock()):
            return cached.credentials
        async with self._lock:
            cached = self._cached
            now = self._clock()
            if cached is not None and not refresh_due(cached.fetched, cached.expires, now):
                return cached.credentials
            try:
                credentials, expires = await self._fetch(now)
            except CredentialsError:
                if cached is not None and now < cached.expires:
                    return cached.credentials
                raise
            self._cached = _Cached(credentials, now, expires)
            return credentials

    async def _fetch(self, now: datetime) -> tuple[Credentials, datetime]:
        try:
            token = self._read_token(self.config.oidc_token_file)
        except OSError as exc:
            raise CredentialsError(
                f"cannot read the OIDC token file {self.config.oidc_token_file}: "
                f"{exc.strerror or type(exc).__name__}"
            ) from None
        if not token:
            raise CredentialsError(f"the OIDC token file {self.config.oidc_token_file} is empty")
        url, query, form = assume_role_request(self.config, token, now)
        try:
            response = await self._http.post(url, params=query, data=form)
        except httpx.HTTPError as exc:
            raise STSError(f"{type(exc).__name__} calling {url}") from None
        return parse_assume_role_response(response.status_code, response.content)
