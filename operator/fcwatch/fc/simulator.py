"""A local Alibaba Cloud Function Compute (ListInstances, fc2 and fc3) and STS, over aiohttp.

Alibaba's own SDK clients run against it unchanged except for the endpoint. It verifies both
signature schemes against its configured keys (wrong signature → 403 ``SignatureNotMatch``,
unknown key → 403 ``InvalidAccessKeyID``, Date / x-acs-date more than 15 min off → 403
``RequestTimeTooSkewed``; FC's published error table lists no code for clock skew, so this is
the one Alibaba's signed APIs use elsewhere), answers with FC's error bodies (fc2
``{"ErrorCode","ErrorMessage"}``, fc3 ``{"Code","Message","RequestId"}``) and an
``X-Fc-Request-Id`` header on every response.

Paths
  ``GET /2016-08-15/services/{service}[.{qualifier}]/functions/{function}/instances``
        ?limit=N&instanceIds=a&instanceIds=b    (no qualifier: LATEST)
  ``GET /2023-03-30/functions/{function}/instances``
        ?qualifier=Q&limit=N&instanceIds=["a"]&instanceStatus=["Running"]
  ``GET|POST /?Action=AssumeRoleWithOIDC&RoleArn=..&OIDCProviderArn=..&OIDCToken=..``
        (STS, unsigned; parameters in the query or a form body) → temporary key + token,
        accepted by the FC paths until ``DurationSeconds`` (900..43200, default 3600) pass.

A function configured once is reachable by fc2 through its service and by fc3 through its
function name alone (the first configured one if two services share a function name). A key
belongs to an account; a request sees that account's functions. Config format:
:mod:`fcwatch.fc.simulator_config`; with none, :func:`~fcwatch.fc.simulator_config.demo_config`.

Admin API (JSON, no auth: bind to loopback)
  ``GET    /_admin/state``      accounts (key ids only), functions, current instances, faults,
                                request counts, clock
  ``PUT    /_admin/instances``  ``{"service"?, "function", "qualifier"?: "LATEST", "accountId"?,
                                "instances": [{"instanceId", "versionId"?, "status"?,
                                "createdTimeMs"?}]}`` replaces that list and stops its churn
                                (creates the function if no account has it)
  ``POST   /_admin/faults``     ``{"function"?, "service"?, "qualifier"?, "api"?, "kind":
                                "error|malformed|reset|latency", "status": 503, "code":
                                "ResourceThrottled", "message"?, "retryAfter"?: s, "latency"?: s,
                                "count": N|null, "body"?}``; matchers left out match anything;
                                the first matching fault fires; ``count`` null = until cleared.
                                Latency and reset act before authentication, error and
                                malformed after it.
  ``GET    /_admin/faults``     the active faults;  ``DELETE /_admin/faults`` clears them
  ``GET    /_admin/requests``   ``{"total": N, "targets": {"fc2/shop/checkout/LATEST": 12,
                                "fc3/checkout/prod": 3}}`` (every request naming a target,
                                counted before authentication); ``DELETE`` resets the counts
  ``POST   /_admin/keys``       ``{"accessKeyId", "accessKeySecret", "securityToken"?,
                                "accountId"?}`` adds or replaces a key
  ``POST   /_admin/clock``      ``{"offset": seconds}`` shifts the simulator's clock (skew tests)

Use: ``async with Simulator(config) as sim: sim.url``; from sync code ``with SimulatorThread()
as sim: sim.url``; as a process ``fcwatch simulator --port 0 --ready-file f.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from fcwatch.fc.auth import split_raw_target
from fcwatch.fc.simulator_config import ConfigError, SimulatorConfig, config_from_dict, demo_config
from fcwatch.fc.simulator_faults import Route, SimApi
from fcwatch.fc.simulator_protocol import (
    Failure,
    error_body,
    parse_list_query,
    parse_route,
    verify_acs3,
    verify_fc2,
)
from fcwatch.fc.simulator_state import AccountState, NotFound, SimulatorState
from fcwatch.fc.simulator_sts import assume_role_with_oidc

log = logging.getLogger(__name__)
T = TypeVar("T")
REQUEST_ID_HEADER = "X-Fc-Request-Id"
MALFORMED_BODY = '{"instances": [{"instanceId": "c-trunc'


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, ensure_ascii=False),
        content_type="application/json",
        headers=headers,
    )


def _fc_error(
    api: SimApi, failure: Failure, rid: str, retry_after: float | None = None
) -> web.Response:
    headers = {REQUEST_ID_HEADER: rid}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    return _json(error_body(api, failure, rid), failure.status, headers)


class Simulator:
    """The FC + STS simulator as an aiohttp app. ``state`` may be changed in-process too (on
    the simulator's event loop)."""

    def __init__(
        self,
        config: SimulatorConfig | Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        access_log: logging.Logger | None = None,
    ) -> None:
        self._access_log = access_log
        if config is None:
            config = demo_config()
        elif not isinstance(config, SimulatorConfig):
            config = config_from_dict(config)
        self.config = config
        self.state = SimulatorState(config, clock)
        self._sleep = sleep
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application()
        self.app.router.add_get("/_admin/state", self._admin_state)
        self.app.router.add_put("/_admin/instances", self._admin_instances)
        self.app.router.add_get("/_admin/faults", self._admin_faults)
        self.app.router.add_post("/_admin/faults", self._admin_add_fault)
        self.app.router.add_delete("/_admin/faults", self._admin_clear_faults)
        self.app.router.add_get("/_admin/requests", self._admin_requests)
        self.app.router.add_delete("/_admin/requests", self._admin_reset_requests)
        self.app.router.add_post("/_admin/keys", self._admin_keys)
        self.app.router.add_post("/_admin/clock", self._admin_clock)
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("simulator not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen; return the base URL (``http://host:port``, the real port if 0 was asked)."""
        self._runner = web.AppRunner(
            self.app, access_log=self._access_log, handle_signals=False, shutdown_timeout=0.25
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
        self._url = f"http://{shown}:{bound[1]}"
        return self._url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # FC and STS ---------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        rid = str(uuid.uuid4()).upper()
        path, query = split_raw_target(request.raw_path)
        route = parse_route(path, query)
        if route is not None:
            return await self._list_instances(request, route, rid)
        if path == "/" and request.method in ("GET", "POST"):
            form = await request.post() if request.method == "POST" else {}
            params = {**query, **{k: str(v) for k, v in form.items()}}
            status, body = assume_role_with_oidc(self.state, params, rid)
            return _json(body, status)
        failure = Failure(
            400, "PathNotSupported", f"'{request.method}' against '{path}' is not supported"
        )
        return _fc_error("fc2", failure, rid)

    async def _list_instances(
        self, request: web.Request, route: Route, rid: str
    ) -> web.StreamResponse:
        self.state.count(route)
        fault = self.state.take_fault(route)
        if fault is not None and fault.latency > 0:
            await self._sleep(fault.latency)
        if fault is not None and fault.kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # nothing more to send on an aborted connection
        if request.method != "GET":
            return _fc_error(route.api, Failure(405, "MethodNotAllowed", "use GET"), rid)
        account = await self._authenticate(request, route)
        if isinstance(account, Failure):
            return _fc_error(route.api, account, rid)
        if fault is not None and fault.kind == "error":
            message = fault.message or f"injected {fault.error_code}"
            failure = Failure(fault.status, fault.error_code, message)
            return _fc_error(route.api, failure, rid, fault.retry_after)
        if fault is not None and fault.kind == "malformed":
            text = fault.body if fault.body is not None else MALFORMED_BODY
            return web.Response(
                text=text, content_type="application/json", headers={REQUEST_ID_HEADER: rid}
            )
        return self._listing(request.raw_path, route, account, rid)

    async def _authenticate(self, request: web.Request, route: Route) -> AccountState | Failure:
        """The account of the verified key, or why the request is refused."""
        state = self.state
        headers = list(request.headers.items())
        now = datetime.fromtimestamp(state.now(), UTC)
        skew = state.config.max_skew_seconds
        if route.api == "fc2":
            path = request.raw_path.partition("?")[0]
            verified = verify_fc2(request.method, path, headers, state.key, now, skew)
        else:
            body = await request.read()
            verified = verify_acs3(
                request.method, request.raw_path, headers, body, state.key, now, skew
            )
        if isinstance(verified, Failure):
            return verified
        found = state.lookup_key(verified.access_key_id)
        if found is None:  # pragma: no cover - a verified key exists
            return Failure(403, "InvalidAccessKeyID", "the access key vanished")
        return found[1]

    def _listing(
        self, raw_target: str, route: Route, account: AccountState, rid: str
    ) -> web.Response:
        raw_query = raw_target.partition("?")[2]
        query = parse_list_query(route.api, parse_qsl(raw_query, keep_blank_values=True))
        if isinstance(query, Failure):
            return _fc_error(route.api, query, rid)
        function = self.state.find_function(account, route)
        if isinstance(function, NotFound):
            return _fc_error(route.api, Failure(404, function.code, function.message), rid)
        instances = [
            i
            for i in self.state.instances(function, route.qualifier)
            if (not query.instance_ids or i.instance_id in query.instance_ids)
            and (not query.statuses or i.status in query.statuses)
        ]
        doc: dict[str, Any] = {
            "instances": [i.to_json(route.api) for i in instances[: query.limit]]
        }
        if route.api == "fc3":
            doc["requestId"] = rid
        return _json(doc, 200, {REQUEST_ID_HEADER: rid})

    # admin --------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except (ValueError, RecursionError):
            raise ConfigError("body: not JSON") from None

    async def _admin(
        self, request: web.Request, action: Callable[[Any], Any], status: int = 200
    ) -> web.Response:
        try:
            data = await self._body(request) if request.can_read_body else None
            return _json(action(data), status)
        except ConfigError as exc:
            return _json({"error": str(exc)}, 400)

    async def _admin_state(self, request: web.Request) -> web.Response:
        return _json(self.state.snapshot())

    async def _admin_instances(self, request: web.Request) -> web.Response:
        return await self._admin(
            request,
            lambda d: {"instances": [i.to_json("fc3") for i in self.state.set_instances(d)]},
        )

    async def _admin_faults(self, request: web.Request) -> web.Response:
        return _json({"faults": [f.to_json() for f in self.state.faults]})

    async def _admin_add_fault(self, request: web.Request) -> web.Response:
        return await self._admin(request, lambda d: self.state.add_fault(d).to_json(), 201)

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        cleared = len(self.state.faults)
        self.state.clear_faults()
        return _json({"cleared": cleared})

    async def _admin_requests(self, request: web.Request) -> web.Response:
        return _json(self.state.counts())

    async def _admin_reset_requests(self, request: web.Request) -> web.Response:
        self.state.requests.clear()
        return _json(self.state.counts())

    async def _admin_keys(self, request: web.Request) -> web.Response:
        return await self._admin(
            request, lambda d: {"accessKeyId": self.state.put_key(d).access_key_id}
        )

    async def _admin_clock(self, request: web.Request) -> web.Response:
        def set_offset(data: Any) -> dict[str, float]:
            offset = data.get("offset") if isinstance(data, Mapping) else None
            if isinstance(offset, bool) or not isinstance(offset, int | float):
                raise ConfigError("offset: must be a number of seconds")
            self.state.clock_offset = float(offset)
            return {"offset": self.state.clock_offset, "now": self.state.now()}

        return await self._admin(request, set_offset)


class SimulatorThread:
    """Run a :class:`Simulator` on its own event loop in a background thread (sync tests)::

    with SimulatorThread(config) as sim:
        requests.get(sim.url + "/_admin/state")
        sim.call(lambda state: state.add_fault({...}))
    """

    def __init__(
        self,
        config: SimulatorConfig | Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.simulator = Simulator(config, clock=clock)
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fc-simulator", daemon=True
        )

    @property
    def url(self) -> str:
        return self.simulator.url

    @property
    def state(self) -> SimulatorState:
        """Read-only use from other threads; change it with :meth:`call`."""
        return self.simulator.state

    def call(self, fn: Callable[[SimulatorState], T]) -> T:
        """Run ``fn(state)`` on the simulator's loop and return its result."""

        async def run() -> T:
            return fn(self.simulator.state)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def __enter__(self) -> SimulatorThread:
        self._thread.start()
        future: Future[str] = asyncio.run_coroutine_threadsafe(
            self.simulator.start(self._host, self._port), self._loop
        )
        try:
            future.result(timeout=30)
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._shutdown()

    def _shutdown(self) -> None:
        try:
            stopping = asyncio.run_coroutine_threadsafe(self.simulator.stop(), self._loop)
            stopping.result(timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()
