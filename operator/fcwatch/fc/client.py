"""Async ListInstances over one shared ``httpx.AsyncClient``, with bounded retries.

The imperative shell around :mod:`~fcwatch.fc.request_builder` (what to send),
:mod:`~fcwatch.fc.auth` (how to sign) and :mod:`~fcwatch.fc.responses` (what came back).
Throttling (429, 503 ``ResourceThrottled``), other 5xx, timeouts and connection errors are
retried with bounded exponential backoff and jitter, honouring ``Retry-After``; auth,
not-found, invalid and protocol errors are not.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from fcwatch.fc.auth import ACS3Auth, Clock, FCAuth, utc_now
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import FCError, FCTarget, ListInstancesResult
from fcwatch.fc.request_builder import PreparedRequest, build_request
from fcwatch.fc.responses import error_from_response, parse_list_instances, short_text

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable failure.

    After failed attempt ``n`` (1-based) the client waits ``Retry-After`` if the server sent
    one (giving up at once if it exceeds ``max_retry_after``, so a caller's scheduler can honour
    it), else ``min(max_delay, base_delay * 2**(n-1))`` reduced by up to ``jitter`` of itself.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be within [0, 1]")

    def delay(
        self, attempt: int, retry_after: float | None, random_fraction: float
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to stop retrying."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * (1.0 - self.jitter * min(max(random_fraction, 0.0), 1.0))


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt, for metrics: what was asked, how it ended, how long it took."""

    target: FCTarget
    attempt: int
    http_status: int | None
    error: FCError | None
    seconds: float


def transport_error(exc: Exception, timeout: float) -> FCError:
    """A transport-level failure → retryable ``unavailable`` (or ``invalid`` for a bad URL)."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FCError(kind="invalid", message=short_text(str(exc)), retryable=False)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return FCError(kind="unavailable", message=f"timed out after {timeout:g}s", retryable=True)
    detail = short_text(str(exc)) or type(exc).__name__
    return FCError(kind="unavailable", message=f"{type(exc).__name__}: {detail}", retryable=True)


class FCClient:
    """ListInstances for fc2 and fc3. Create one per process and share it; close it at the end.

    ``sleep``, ``random`` and ``clock`` are injectable so tests neither sleep nor depend on time.
    ``transport`` replaces the network (e.g. ``httpx.MockTransport``). TLS verification is
    always on.
    """

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        max_connections: int = 100,
        sleep: Sleep = asyncio.sleep,
        random_fraction: Callable[[], float] = random.random,
        clock: Clock = utc_now,
        transport: httpx.AsyncBaseTransport | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._random = random_fraction
        self._clock = clock
        self._on_attempt = on_attempt
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            verify=True,
            trust_env=False,
            follow_redirects=False,
            transport=transport,
        )

    async def __aenter__(self) -> FCClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list_instances(
        self, target: FCTarget, credentials: Credentials
    ) -> ListInstancesResult:
        """Call ListInstances, retrying per the policy; raise ``FCError`` on failure."""
        prepared = build_request(target)
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                result = await self._attempt(prepared, target.api, credentials)
            except FCError as error:
                self._report(target, attempt, error.http_status, error, started)
                wait = (
                    self._retry.delay(attempt, error.retry_after, self._random())
                    if error.retryable
                    else None
                )
                if wait is None:
                    raise
                log.debug(
                    "ListInstances %s/%s attempt %d failed (%s); retrying in %.2fs",
                    target.api,
                    target.function_name,
                    attempt,
                    error,
                    wait,
                )
                await self._sleep(wait)
                continue
            self._report(target, attempt, 200, None, started)
            return result

    def _report(
        self,
        target: FCTarget,
        attempt: int,
        status: int | None,
        error: FCError | None,
        started: float,
    ) -> None:
        if self._on_attempt is not None:
            self._on_attempt(Attempt(target, attempt, status, error, time.monotonic() - started))

    async def _attempt(
        self, prepared: PreparedRequest, api: str, credentials: Credentials
    ) -> ListInstancesResult:
        auth: httpx.Auth = (
            FCAuth(credentials, clock=self._clock)
            if api == "fc2"
            else ACS3Auth(credentials, clock=self._clock)
        )
        request = self._http.build_request(
            prepared.method,
            prepared.url,
            params=list(prepared.params),
            headers=list(prepared.headers),
        )
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.send(request, auth=auth, stream=True)
                try:
                    body = await _read_capped(response)
                finally:
                    await response.aclose()
        except FCError:
            raise
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise transport_error(exc, self._timeout) from None
        if response.status_code == 200:
            return parse_list_instances(body, response.headers, response.status_code)
        raise error_from_response(response.status_code, response.headers, body, self._clock())


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise FCError(
                kind="protocol",
                message=f"response body larger than {MAX_BODY_BYTES} bytes",
                http_status=response.status_code,
                request_id=response.headers.get("x-fc-request-id"),
            )
        chunks.append(chunk)
    return b"".join(chunks)
