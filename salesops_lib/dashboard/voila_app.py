"""Voila hardened for the leadership dashboard: what ``salesops dashboard`` runs
(``python -m salesops_lib.dashboard.voila_app NOTEBOOK --port=… …``, see :func:`server.voila_argv`).

On top of Voila 0.5 it adds

- the token from ``$SALESOPS_DASHBOARD_TOKEN``, taken out of the environment before any kernel
  starts (never on a command line), compared in constant time, and removed from each request once
  checked, so it reaches neither the access log nor a kernel's environment (Voila copies the
  request's query into ``QUERY_STRING`` and ``VOILA_REQUEST_URL``);
- a limit on wrong tokens per client address (:class:`AuthThrottle`): after 5 wrong tokens within a
  minute the address gets ``429`` for a minute, doubling at each new block up to an hour;
- a cap on kernels alive at once, preheated ones included (:class:`SalesOpsKernelManager`): a page
  gets a preheated kernel if one is ready, else a kernel of its own if the cap allows (the kernel
  of a page closed meanwhile is shut down to make room), else ``503`` with a short page;
  preheated kernels are refilled only within the cap;
- the dashboard's first view as plain HTML in the page's first bytes (:mod:`~salesops_lib.dashboard.snapshot`),
  also on the ``503`` page, so figures show before Voila's scripts load and the kernel answers;
- pool refills starting one at a time (``refill_starts``), so refilling after a crowd took the
  pool does not start every kernel at once on a machine whose cores the viewers need;
- static files (Voila's scripts, the widget extensions, the template's styles) cached by browsers:
  versioned ones (``?v=<hash>`` or a hash in the name) for a year, the others for ten minutes,
  where Voila has every viewer ask again for each of its ~90 files on every visit;
- culling by what the page did: a kernel whose page never connected is shut down after
  ``cull_unconnected`` seconds, one whose page was closed after ``cull_idle_timeout`` idle seconds,
  one with an open page never.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hmac
import ipaddress
import logging
import math
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jupyter_core.utils import ensure_async
from jupyter_server._tz import utcnow
from jupyter_server.auth.identity import PasswordIdentityProvider, User
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.ioloop import PeriodicCallback
from tornado.log import access_log
from traitlets import Float, Integer, default
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.utils import ENV_VARIABLE

from salesops_lib.dashboard import snapshot
from salesops_lib.dashboard.labels import LABELS
from salesops_lib.dashboard.server import TOKEN_ENV
from salesops_lib.report.i18n import t

RETRY_AFTER_BUSY = 30
"""Seconds a refused viewer is told to wait (``Retry-After``; the page reloads itself then)."""


class AtCapacityError(Exception):
    """Every kernel slot is taken: the page cannot get a kernel now."""


# ----------------------------------------------------------------------------- wrong tokens


@dataclass
class _Strikes:
    failures: collections.deque[float] = field(default_factory=collections.deque)
    blocked_until: float = 0.0
    blocks: int = 0
    last_failure: float = 0.0


class AuthThrottle:
    """Wrong tokens per client: ``limit`` of them within ``window`` seconds block the client for
    ``block`` seconds, doubling at each new block up to ``max_block``; a client quiet for
    ``max_block`` seconds starts afresh.

    >>> clock = [0.0]
    >>> throttle = AuthThrottle(limit=2, window=60, block=10, clock=lambda: clock[0])
    >>> throttle.failed("10.0.0.1"), throttle.failed("10.0.0.1"), throttle.blocked_for("10.0.0.1")
    (0.0, 10.0, 10.0)
    >>> clock[0] = 11
    >>> throttle.blocked_for("10.0.0.1"), throttle.failed("10.0.0.1"), throttle.failed("10.0.0.1")
    (0.0, 0.0, 20.0)
    """

    def __init__(
        self,
        *,
        limit: int = 5,
        window: float = 60.0,
        block: float = 60.0,
        max_block: float = 3600.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.block, self.max_block = limit, window, block, max_block
        self.max_clients, self.clock = max_clients, clock
        self._clients: dict[str, _Strikes] = {}

    def blocked_for(self, client: str) -> float:
        """Seconds ``client`` remains blocked (0 when it may try a token)."""
        strikes = self._clients.get(client)
        return max(0.0, strikes.blocked_until - self.clock()) if strikes else 0.0

    def failed(self, client: str) -> float:
        """Count a wrong token of ``client``; the seconds of the block it starts, else 0."""
        now = self.clock()
        strikes = self._clients.get(client)
        if strikes is None:
            self._make_room(now)
            strikes = self._clients[client] = _Strikes()
        if now - max(strikes.last_failure, strikes.blocked_until) > self.max_block:
            strikes.blocks = 0  # quiet long enough: forgiven
        strikes.last_failure = now
        while strikes.failures and now - strikes.failures[0] > self.window:
            strikes.failures.popleft()
        strikes.failures.append(now)
        if len(strikes.failures) < self.limit:
            return 0.0
        seconds = float(min(self.block * 2**strikes.blocks, self.max_block))
        strikes.blocks += 1
        strikes.blocked_until = now + seconds
        strikes.failures.clear()
        return seconds

    def _make_room(self, now: float) -> None:
        """Forget clients with nothing pending, then the least recent ones, to stay under ``max_clients``."""
        if len(self._clients) < self.max_clients:
            return
        for key, s in list(self._clients.items()):
            if s.blocked_until <= now and now - s.last_failure > self.window:
                del self._clients[key]
        for key in sorted(self._clients, key=lambda k: self._clients[k].last_failure)[
            : len(self._clients) - self.max_clients + 1
        ]:
            del self._clients[key]


def client_key(ip: str | None) -> str:
    """Who a throttle counts: the IPv4 address, or the /64 network of an IPv6 one (a host usually
    has a whole /64 to pick addresses from).
    """
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def forget_token(request: HTTPServerRequest) -> None:
    """Drop ``token`` from the request's query once checked: Voila hands the query to kernels and
    to logs, neither of which needs it.
    """
    if "token" not in request.query_arguments:
        return
    request.query_arguments.pop("token", None)
    request.arguments.pop("token", None)
    request.query = urlencode([(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True) if k != "token"])
    request.uri = request.path + (f"?{request.query}" if request.query else "")


def without_token(uri: str) -> str:
    """``uri`` with any ``token`` query parameter dropped (what the access log shows)."""
    path, _, query = uri.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if "token" not in k.lower()]
    return path + (f"?{urlencode(kept)}" if kept else "")


def log_access(handler: web.RequestHandler) -> None:
    """One line per request, never with a token: successes at debug level, refusals (4xx and the
    503 of a full server) as warnings, other errors as errors.
    """
    status, request = handler.get_status(), handler.request
    level = (
        logging.DEBUG
        if status < 300 or status == 304
        else logging.INFO
        if status < 400
        else logging.WARNING
        if status < 500 or status == 503
        else logging.ERROR
    )
    logger = getattr(handler, "log", None) or access_log
    logger.log(
        level,
        "%d %s %s (%s) %.2fms",
        status,
        request.method,
        without_token(request.uri or ""),
        request.remote_ip,
        1000.0 * request.request_time(),
    )


def _lang() -> str:
    lang = os.environ.get("SALESOPS_DASHBOARD_LANG", "zh")
    return lang if lang in ("zh", "en") else "zh"


class ThrottledIdentityProvider(PasswordIdentityProvider):
    """Voila's token check with a throttle on wrong tokens per client (:class:`AuthThrottle`).

    While a client is blocked, any token it presents is answered ``429`` unchecked (checking it
    would let the guessing go on); viewers already signed in (the cookie their first visit set) and
    other clients are unaffected, and a right token is never delayed.
    """

    failure_limit = Integer(5, config=True, help="Wrong tokens within failure_window that block a client.")
    failure_window = Float(60.0, config=True, help="Seconds over which wrong tokens are counted.")
    block_seconds = Float(60.0, config=True, help="First block; each further block doubles.")
    max_block_seconds = Float(3600.0, config=True, help="Longest block.")

    @default("allow_password_change")
    def _no_password_change(self) -> bool:
        return False  # the login form must not write a password file into the working folder

    @functools.cached_property
    def throttle(self) -> AuthThrottle:
        """The wrong-token counter of this server, built from the configured limits."""
        return AuthThrottle(
            limit=self.failure_limit,
            window=self.failure_window,
            block=self.block_seconds,
            max_block=self.max_block_seconds,
        )

    def _matches(self, given: str) -> bool:
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    def _refuse(self, handler: web.RequestHandler, seconds: float) -> None:
        wait = math.ceil(seconds)
        handler.clear()
        handler.set_status(429)
        handler.set_header("Retry-After", str(wait))
        handler.set_header("Content-Type", "text/plain; charset=utf-8")
        raise web.Finish(t("throttled", _lang(), LABELS).format(s=wait) + "\n")

    def _count_failure(self, handler: web.RequestHandler, client: str) -> None:
        seconds = self.throttle.failed(client)
        if seconds:
            self.log.warning(
                "Refusing tokens from %s for %.0f s after %d wrong ones", client, seconds, self.failure_limit
            )

    async def get_user(self, handler: web.RequestHandler) -> User | None:
        """The request's user; a wrong ``?token=`` counts as a failure and a blocked client is refused."""
        current = getattr(handler, "_jupyter_current_user", None)
        if current:
            return current
        given = self.get_token(handler) if self.token else ""
        if given:
            client = client_key(handler.request.remote_ip)
            blocked = self.throttle.blocked_for(client)
            if blocked:
                forget_token(handler.request)
                self._refuse(handler, blocked)
            if not self._matches(given):
                self._count_failure(handler, client)
        user = await self._get_user(handler)
        forget_token(handler.request)
        return user

    async def get_user_token(self, handler: web.RequestHandler) -> User | None:
        """The user of a request carrying the right token (compared in constant time), else None."""
        given = self.get_token(handler)
        if not given or not self._matches(given):
            return None
        user = await ensure_async(self.get_user_cookie(handler))
        return user or self.generate_anonymous_user(handler)

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        """The login page's token field, throttled like ``?token=``."""
        if not self.auth_enabled:
            return self.generate_anonymous_user(handler)
        client = client_key(handler.request.remote_ip)
        blocked = self.throttle.blocked_for(client)
        if blocked:
            self._refuse(handler, blocked)
        typed = handler.get_argument("password", default="")
        if self._matches(typed):
            return self.generate_anonymous_user(handler)
        if typed:
            self._count_failure(handler, client)
        return None


# ----------------------------------------------------------------------------- kernels


class SalesOpsKernelManager(AsyncMappingKernelManager):
    """At most ``max_kernels`` kernels at once, and culling by what their page did.

    Voila builds its preheating manager on top of this class, so every kernel start passes through
    :meth:`start_kernel`: a viewer's own kernel is refused (:class:`AtCapacityError`) when the cap is
    reached, a pool refill waits for a free slot.
    """

    max_kernels = Integer(8, config=True, help="Most kernels alive at once, preheated ones included.")
    refill_starts = Integer(1, config=True, help="Pool refills starting at once (a viewer's own kernel never waits).")
    cull_unconnected = Integer(
        60,
        config=True,
        help="Seconds a kernel handed to a page that never connected to it may live (0: cull_idle_timeout).",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._starting: set[str] = set()
        self._stopping: dict[str, int | None] = {}  # kernel id → its process, until that has exited
        self._handed_at: dict[str, float] = {}
        self._connected_once: set[str] = set()
        self._room = asyncio.Event()
        self._closing = False
        self._refills: asyncio.Semaphore | None = None
        self.starts_at_once = 0  # kernel starts under way now (a refill holds its turn until started)
        self.most_starts_at_once = 0  # the most seen, for the logs and the tests

    def kernel_count(self) -> int:
        """Kernels alive, starting, or shut down but with their process not yet gone."""
        return len(set(self._kernels) | self._starting | set(self._stopping))

    def has_room(self) -> bool:
        """Whether one more kernel may start now."""
        return self.kernel_count() < self.max_kernels

    def closed_pages(self) -> list[str]:
        """Kernels whose page connected once and has been closed, the longest idle first."""
        busy = self._starting | set(self._stopping)
        closed = [
            k
            for k in self._kernels
            if k in self._connected_once and not self._kernel_connections.get(k, 0) and k not in busy
        ]
        return sorted(closed, key=lambda k: self._kernels[k].last_activity)

    async def make_room(self) -> bool:
        """Whether a viewer's kernel may start, after shutting down the kernel of the page closed
        longest ago if the cap is reached: a viewer at the door comes before a closed tab's kernel
        (kept ``cull_idle_timeout`` seconds otherwise, holding a slot the whole time).
        """
        if self.has_room():
            return True
        closed = self.closed_pages()
        if not closed:
            return False
        self.log.info("Shutting down kernel %s of a closed page: a viewer needs its slot", closed[0])
        await self.shutdown_kernel(closed[0])
        return self.has_room()

    async def _wait_for_room(self) -> None:
        while not self.has_room() and not self._closing:
            self._room.clear()
            await self._room.wait()
        if self._closing:
            raise RuntimeError("the dashboard server is shutting down")

    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel within the cap: a pool refill waits for its turn (``refill_starts`` at
        once) and for a slot, a viewer's kernel starts at once or is refused.
        """
        preheat = (kwargs.get("env") or {}).get(ENV_VARIABLE.VOILA_PREHEAT) == "True"
        if not preheat:
            return await self._start(kernel_id, preheat, **kwargs)
        if self._refills is None:
            self._refills = asyncio.Semaphore(max(1, self.refill_starts))
        async with self._refills:
            return await self._start(kernel_id, preheat, **kwargs)

    async def _start(self, kernel_id: str | None, preheat: bool, **kwargs: Any) -> str:
        if preheat:
            await self._wait_for_room()
        elif not self.has_room():
            raise AtCapacityError(self.max_kernels)
        kernel_id = kernel_id or str(uuid.uuid4())
        self._starting.add(kernel_id)  # no await since the check: the slot is ours
        self.starts_at_once += 1
        self.most_starts_at_once = max(self.most_starts_at_once, self.starts_at_once)
        started_at = time.monotonic()
        try:
            started: str = await super().start_kernel(kernel_id=kernel_id, **kwargs)
        except BaseException:
            self._room.set()
            raise
        finally:
            self._starting.discard(kernel_id)
            self.starts_at_once -= 1
        self.log.info(
            "Kernel %s (%s) ready in %.2f s; %d kernels",
            started,
            "pool" if preheat else "viewer",
            time.monotonic() - started_at,
            self.kernel_count(),
        )
        if not preheat:
            self._handed_at[started] = time.monotonic()
        return started

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        """Shut ``kernel_id`` down; its slot is free once its process has exited."""
        km = self._kernels.get(kernel_id)
        self._stopping[kernel_id] = getattr(getattr(km, "provisioner", None), "pid", None)
        try:
            await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        finally:
            self._handed_at.pop(kernel_id, None)
            self._connected_once.discard(kernel_id)
            await _process_gone(self._stopping.get(kernel_id))
            self._stopping.pop(kernel_id, None)
            self._room.set()

    async def shutdown_all(self, now: bool = False) -> None:  # type: ignore[override]
        """Shut every kernel down and release whatever waits for a slot."""
        self._closing = True
        self._room.set()
        await super().shutdown_all(now=now)

    def notify_connect(self, kernel_id: str) -> None:
        """Record that a page connected to ``kernel_id`` (it is culled as idle from then on)."""
        super().notify_connect(kernel_id)
        self._connected_once.add(kernel_id)

    def initialize_culler(self) -> None:
        """Start culling when either timeout is set (Voila's manager only looks at ``cull_idle_timeout``)."""
        if (
            not self._initialized_culler
            and self._culler_callback is None
            and (self.cull_idle_timeout > 0 or self.cull_unconnected > 0)
        ):
            interval = self.cull_interval if self.cull_interval > 0 else self.cull_interval_default
            self._culler_callback = PeriodicCallback(self.cull_kernels, 1000 * interval)
            self.log.info(
                "Culling kernels of pages that never connected after %s s and of closed pages after "
                "%s idle s, checking every %s s",
                self.cull_unconnected or "-",
                self.cull_idle_timeout or "-",
                interval,
            )
            self._culler_callback.start()
        self._initialized_culler = True

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Shut ``kernel_id`` down when its page never connected for ``cull_unconnected`` seconds, or was
        closed ``cull_idle_timeout`` idle seconds ago. Voila's manager above skips pooled kernels, so a
        kernel seen here has been handed to a page.
        """
        kernel = self._kernels.get(kernel_id)
        if kernel is None or kernel_id in self._starting:
            return
        state = getattr(kernel, "execution_state", None)
        if state == "dead":
            self.log.warning("Culling dead kernel %s", kernel_id)
            await self.shutdown_kernel(kernel_id)
            return
        if self._kernel_connections.get(kernel_id, 0) or state == "busy":
            return  # an open page, or a notebook still executing
        if kernel_id not in self._connected_once and self.cull_unconnected > 0:
            waited = time.monotonic() - self._handed_at.setdefault(kernel_id, time.monotonic())
            if waited > self.cull_unconnected:
                self.log.info("Culling kernel %s: its page never connected in %.0f s", kernel_id, waited)
                await self.shutdown_kernel(kernel_id)
            return
        idle = (utcnow() - kernel.last_activity).total_seconds()
        if self.cull_idle_timeout > 0 and idle > self.cull_idle_timeout:
            self.log.info("Culling kernel %s: its page was closed, idle %.0f s", kernel_id, idle)
            await self.shutdown_kernel(kernel_id)


async def _process_gone(pid: int | None, *, timeout: float = 10.0) -> None:
    """Until process ``pid`` has exited (a zombie counts as gone), at most ``timeout`` s: a slot
    is free only once the kernel's memory is.
    """
    import psutil

    deadline = time.monotonic() + timeout
    while pid and time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.Error:
            return
        await asyncio.sleep(0.05)


def _ready(task: asyncio.Future[Any]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


class CappedVoilaHandler(TornadoVoilaHandler):
    """The dashboard page: a ready preheated kernel, else a kernel of its own within the cap, else 503."""

    def _pool_ready(self) -> bool:
        """Whether a preheated kernel is ready; puts ready ones first (Voila takes the first)."""
        pool = getattr(self.kernel_manager, "_pools", {}).get(self.notebook_path)
        if not pool:
            return False
        pool.sort(key=lambda task: not _ready(task))
        return _ready(pool[0])

    def should_use_rendered_notebook(self, *args: Any, **kwargs: Any) -> bool:
        """Whether to serve a preheated kernel's page: only one that is ready now."""
        # Never wait on a pool kernel still starting: it may be waiting for a free slot.
        return self._pool_ready() and bool(super().should_use_rendered_notebook(*args, **kwargs))

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        """The page, or 503 (with ``Retry-After``) when no kernel is ready and the cap is reached."""
        manager = self.kernel_manager
        if not self._pool_ready() and not await manager.make_room():
            raise web.HTTPError(503, reason="Dashboard at capacity")
        try:
            await super().get(path=path)
        except AtCapacityError:
            raise web.HTTPError(503, reason="Dashboard at capacity") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Voila's error page, except for 503: a short page in the viewer's language that reloads itself."""
        if status_code != 503:
            return super().write_error(status_code, **kwargs)
        lang = _lang()
        n = getattr(self.kernel_manager, "max_kernels", "?")
        self.set_header("Retry-After", str(RETRY_AFTER_BUSY))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(
            f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta http-equiv='refresh' content='{RETRY_AFTER_BUSY}'>"
            f"<title>{t('busy_title', lang, LABELS)}</title></head><body style='font-family:sans-serif;"
            f"margin:3em'><h1>{t('busy_title', lang, LABELS)}</h1>"
            f"<p>{t('busy_text', lang, LABELS).format(n=n)}</p>{snapshot.served()}</body></html>"
        )


# ----------------------------------------------------------------------------- static files

STATIC_MAX_AGE = 600
"""Seconds a browser keeps a static file whose URL carries no version (Voila's own chunks)."""

VERSIONED = re.compile(r"[.-][0-9a-f]{16,}\.")
"""A content hash in a file name (``remoteEntry.c8c9eed2cdefdeac.js``)."""


def cache_control(path: str, arguments: Mapping[str, Any]) -> str:
    """The ``Cache-Control`` of a static file: a year for a versioned URL (its content never changes
    under that URL), else :data:`STATIC_MAX_AGE` seconds.

    >>> cache_control("/voila/labextensions/x/static/remoteEntry.c8c9eed2cdefdeac.js", {})
    'public, max-age=31536000, immutable'
    >>> cache_control("/voila/static/voila.js", {}), cache_control("/voila/templates/a/index.css", {"v": [b"1"]})
    ('public, max-age=600', 'public, max-age=31536000, immutable')
    """
    if "v" in arguments or VERSIONED.search(path.rsplit("/", 1)[-1]):
        return "public, max-age=31536000, immutable"
    return f"public, max-age={STATIC_MAX_AGE}"


_CACHED: dict[type, type[web.StaticFileHandler]] = {}


def cached_static(handler: type[web.StaticFileHandler]) -> type[web.StaticFileHandler]:
    """``handler`` (a static file handler of Voila's) sending :func:`cache_control`."""
    if handler in _CACHED:
        return _CACHED[handler]

    class Cached(handler):  # type: ignore[valid-type,misc]
        def set_headers(self) -> None:
            super().set_headers()
            self.set_header("Cache-Control", cache_control(self.request.path, self.request.arguments))

    Cached.__name__ = Cached.__qualname__ = f"Cached{handler.__name__}"
    _CACHED[handler] = Cached
    return Cached


# ----------------------------------------------------------------------------- the application


class SalesOpsVoila(Voila):
    """Voila with :class:`ThrottledIdentityProvider`, :class:`SalesOpsKernelManager`,
    :class:`CappedVoilaHandler` and an access log without secrets.
    """

    @default("identity_provider_class")
    def _default_identity_provider_class(self) -> type:
        return ThrottledIdentityProvider

    @default("tornado_settings")
    def _default_tornado_settings(self) -> dict[str, Any]:
        return {"log_function": log_access}

    def initialize(self, argv: list[str] | None = None) -> None:
        """Voila's set-up, with :class:`SalesOpsKernelManager` as the kernel manager."""
        super().initialize(argv)
        self.voila_configuration.multi_kernel_manager_class = SalesOpsKernelManager
        first_view = snapshot.served()
        if first_view:  # what the template writes before the cells (Voila's renderers read it from the config)
            config = self.voila_configuration.config.VoilaConfiguration
            config.resources = {**dict(self.voila_configuration.resources), "salesops_snapshot": first_view}

    def init_handlers(self) -> list[Any]:
        """Voila's handlers, with :class:`CappedVoilaHandler` in place of its page handler and its
        static files sent with :func:`cache_control`.
        """
        return [(spec[0], _our_handler(spec[1]), *spec[2:]) for spec in super().init_handlers()]


def _our_handler(handler: Any) -> Any:
    """The handler this server uses where Voila uses ``handler``."""
    if handler is TornadoVoilaHandler:
        return CappedVoilaHandler
    if isinstance(handler, type) and issubclass(handler, web.StaticFileHandler):
        return cached_static(handler)
    return handler


def main(argv: list[str] | None = None) -> None:
    """Serve with the token from ``$SALESOPS_DASHBOARD_TOKEN`` (removed from the environment first,
    so kernels do not inherit it); without one, authentication is off (the CLI allows that on
    loopback only).
    """
    token = os.environ.pop(TOKEN_ENV, "").strip()
    app = SalesOpsVoila.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)
    app.token = token or None
    app.start()


if __name__ == "__main__":
    main()
