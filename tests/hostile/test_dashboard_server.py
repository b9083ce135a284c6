"""Issue 16 (hostile review): the dashboard server under abuse — kernels capped and culled, wrong
tokens throttled, weak tokens refused, the token kept off command lines, logs and kernels.

The server tests run the real ``salesops dashboard`` on a free loopback port over a hand-built cube
(no analysis runs), with a token file, a pool of 1, at most 3 kernels and short cull timeouts.
Clients bind to other loopback addresses (127.0.0.x) to stand for different viewers.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import secrets
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from salesops_lib.dashboard.server import (
    TOKEN_ENV,
    ServerOptions,
    check_options,
    read_token,
    url,
    voila_argv,
    voila_env,
    write_new_token,
)
from salesops_lib.errors import SalesOpsError
from tests.dashboard_driver import DashboardProcess

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "maven_crm"
MAPPING = ROOT / "parameters" / "sources" / "maven_crm.yaml"
PERIOD = "2026-10"
CAP = 3
CULL_UNCONNECTED = 3
CULL_IDLE = 5
NO_KERNEL = "/api/kernels/00000000-0000-0000-0000-000000000000"
"""An API path that needs a signed-in viewer and starts nothing: 404 when signed in, else 403."""

STRONG = "Zq3-mX8rT1vL0pK7wY2nB5cJ9hF4dG6s"


# ----------------------------------------------------------------------------- token rules


@pytest.mark.parametrize(
    "token",
    [
        "a" * 12,
        " " * 12,
        "a" * 40,
        "abc123" * 8,
        "short",
        "a-long-enough-secret",
        "0123456789abcdef" * 2 + "01234567",  # a repeated block
        "tok+en/with=base64/chars+0123456789ABCDEFxyz",  # '+' arrives as a space in a URL
        "Zq3 mX8rT1vL0pK7wY2nB5cJ9hF4dG6s",
        STRONG * 40,  # absurdly long
    ],
    ids=lambda token: repr(token[:20]),
)
def test_weak_or_garbled_tokens_are_refused(token: str) -> None:
    with pytest.raises(SalesOpsError) as info:
        check_options(ServerOptions(host="0.0.0.0", token=token))
    assert info.value.fix and token not in info.value.render()  # the message never repeats the secret


def test_random_tokens_are_accepted() -> None:
    for token in (secrets.token_urlsafe(32), secrets.token_hex(16), secrets.token_hex(32), STRONG):
        check_options(ServerOptions(host="0.0.0.0", token=token))
    with pytest.raises(SalesOpsError, match="too weak"):
        check_options(ServerOptions(token="a" * 12))  # a token on loopback is checked too


def test_token_file_is_created_private_and_must_stay_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dashboard.token"
    token, origin = read_token(path, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and str(path) in origin
    assert len(token) >= 43 and read_token(path, {}) == (token, str(path))  # read back, unchanged
    check_options(ServerOptions(host="0.0.0.0", token=token))
    path.chmod(0o644)
    with pytest.raises(SalesOpsError, match="open to other users"):
        read_token(path, {})
    with pytest.raises(SalesOpsError, match="both"):
        read_token(path, {TOKEN_ENV: STRONG})
    assert read_token(None, {TOKEN_ENV: STRONG}) == (STRONG, f"${TOKEN_ENV}")
    assert read_token(None, {}) == ("", "")


def test_token_reaches_voila_by_environment_only() -> None:
    options = ServerOptions(host="0.0.0.0", token=STRONG)
    assert not any(STRONG in arg for arg in voila_argv(options))
    assert STRONG not in repr(options) and STRONG not in url(options)
    env = voila_env({TOKEN_ENV: "stale", "PATH": "/bin"}, {"SALESOPS_DASHBOARD_LANG": "en"}, token=STRONG)
    assert env[TOKEN_ENV] == STRONG and env["PATH"] == "/bin"
    assert TOKEN_ENV not in voila_env({TOKEN_ENV: "stale"}, {})


@pytest.mark.slow
def test_cli_refuses_a_token_on_its_command_line_and_a_weak_one() -> None:
    base = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    cli = [sys.executable, "-m", "salesops_lib.cli", "dashboard"]
    on_argv = subprocess.run([*cli, "--token", STRONG], capture_output=True, text=True, timeout=120, env=base)
    assert on_argv.returncode == 2 and "ps" in on_argv.stderr and "--token-file" in on_argv.stderr
    assert STRONG not in on_argv.stderr and "Traceback" not in on_argv.stderr
    weak = subprocess.run(
        [*cli, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=120, env={**base, TOKEN_ENV: "a" * 12}
    )
    assert weak.returncode == 2 and "too weak" in weak.stderr and "Traceback" not in weak.stderr


# ----------------------------------------------------------------------------- throttle and request hygiene


def test_throttle_blocks_after_five_and_doubles() -> None:
    from salesops_lib.dashboard.voila_app import AuthThrottle

    clock = [0.0]
    throttle = AuthThrottle(clock=lambda: clock[0])
    assert [throttle.failed("a") for _ in range(5)] == [0.0, 0.0, 0.0, 0.0, 60.0]
    assert throttle.blocked_for("a") == 60.0 and throttle.blocked_for("b") == 0.0  # per client
    clock[0] = 61.0
    assert throttle.blocked_for("a") == 0.0
    assert [throttle.failed("a") for _ in range(5)][-1] == 120.0  # the next block is twice as long
    clock[0] = 61.0 + 120 + 3601  # quiet for over an hour: forgiven
    assert [throttle.failed("a") for _ in range(5)][-1] == 60.0
    clock[0] = 10_000.0
    assert [throttle.failed("slow") for _ in range(4)] and throttle.blocked_for("slow") == 0.0
    clock[0] = 10_061.0  # failures older than the window do not add up
    assert throttle.failed("slow") == 0.0


def test_throttle_counts_an_ipv6_host_by_its_network_and_forgets_old_clients() -> None:
    from salesops_lib.dashboard.voila_app import AuthThrottle, client_key

    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:2") == "2001:db8::/64"
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1" and client_key(None) == "unknown"
    clock = [0.0]
    throttle = AuthThrottle(max_clients=100, clock=lambda: clock[0])
    for i in range(1000):
        clock[0] = i
        throttle.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle._clients) <= 100


def test_token_is_dropped_from_the_request_once_checked() -> None:
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from salesops_lib.dashboard.voila_app import forget_token, without_token

    request = HTTPServerRequest(
        start_line=RequestStartLine("GET", f"/?token={STRONG}&theme=light", "HTTP/1.1"),
        headers=HTTPHeaders({"Host": "127.0.0.1"}),
    )
    forget_token(request)
    assert request.uri == "/?theme=light" and "token" not in request.arguments and STRONG not in request.query
    assert without_token(f"/login?next=%2F&token={STRONG}") == "/login?next=%2F"


# ----------------------------------------------------------------------------- the live server


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


def fetch(
    port: int,
    path: str,
    *,
    client: str = "127.0.0.1",
    cookie: str = "",
    method: str = "GET",
    form: dict[str, str] | None = None,
    timeout: float = 120,
) -> Reply:
    """One request from loopback address ``client``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(client, 0))
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        return Reply(reply.status, reply.msg, reply.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def cookies(reply: Reply) -> dict[str, str]:
    jar = SimpleCookie()
    for line in reply.headers.get_all("Set-Cookie") or []:
        jar.load(line)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(values: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in values.items())


def descendants(pid: int) -> list:  # type: ignore[type-arg]
    psutil = pytest.importorskip("psutil")
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


def kernel_cmdlines(pid: int) -> list[str]:
    """Command lines of the kernels under the server (zombies and exited ones skipped)."""
    psutil = pytest.importorskip("psutil")
    lines = []
    for child in descendants(pid):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in line:
            lines.append(line)
    return lines


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@pytest.fixture(scope="module")
def cube_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A cache holding the hand-built cube as the Maven example's dashboard data (nothing to build)."""
    from salesops_lib.dashboard.cube import cube_root, save_cube
    from salesops_lib.data import connect
    from tests.test_dashboard import hand_cube

    cache = tmp_path_factory.mktemp("dashboard-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESOPS_CACHE", str(cache))
        save_cube(hand_cube(), cube_root(connect(str(SOURCE), MAPPING).fingerprint))
    return {"SALESOPS_CACHE": str(cache)}


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "dashboard.token"
    write_new_token(path)
    return path


@pytest.fixture(scope="module")
def token(token_file: Path) -> str:
    return token_file.read_text().strip()


@pytest.fixture(scope="module")
def server(
    cube_env: dict[str, str], token_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DashboardProcess]:
    if TOKEN_ENV in os.environ:
        pytest.skip(f"{TOKEN_ENV} is set in the test environment")
    log = tmp_path_factory.mktemp("dashboard-log") / "server.log"
    extra = (
        "--mapping",
        str(MAPPING),
        "--token-file",
        str(token_file),
        "--max-kernels",
        str(CAP),
        "--cull-unconnected",
        str(CULL_UNCONNECTED),
        "--cull-idle",
        str(CULL_IDLE),
    )
    with DashboardProcess(
        source=str(SOURCE), period=PERIOD, log=log, pool=1, lang="en", extra=extra, env=cube_env
    ) as proc:
        proc.wait_ready(timeout=300)
        yield proc


def settled(server: DashboardProcess) -> None:
    """Until earlier tests' kernels are culled and only the preheated one is left."""
    assert server.proc is not None
    wait_until(lambda: len(kernel_cmdlines(server.proc.pid)) <= 1, 60, "the server back to its preheated kernel")


@pytest.mark.slow
def test_wrong_tokens_get_429_while_the_right_one_still_works(server, token) -> None:  # type: ignore[no-untyped-def]
    port = server.port
    signed_in = cookies(fetch(port, f"{NO_KERNEL}?token={token}", client="127.0.0.10"))
    assert signed_in, "a right token signs the viewer in with a cookie"
    started = time.monotonic()
    statuses = [fetch(port, f"{NO_KERNEL}?token=guess{i:02d}", client="127.0.0.10").status for i in range(20)]
    assert statuses[:5] == [403] * 5 and statuses[5:] == [429] * 15, statuses
    assert time.monotonic() - started < 20  # answered at once, not slowed down
    refused = fetch(port, f"/?token={token}", client="127.0.0.10")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0  # a blocked address is not even checked
    assert fetch(port, NO_KERNEL, client="127.0.0.10", cookie=cookie_header(signed_in)).status == 404  # still signed in
    started = time.monotonic()
    assert fetch(port, f"{NO_KERNEL}?token={token}", client="127.0.0.11").status == 404  # another viewer: in
    assert time.monotonic() - started < 5

    # the login form is throttled the same way
    form_page = fetch(port, "/login", client="127.0.0.12")
    xsrf = cookies(form_page)["_xsrf"]
    posts = [
        fetch(
            port,
            "/login",
            client="127.0.0.12",
            method="POST",
            cookie=f"_xsrf={xsrf}",
            form={"_xsrf": xsrf, "password": f"guess{i}"},
        ).status
        for i in range(7)
    ]
    assert posts[:5] == [401] * 5 and posts[5:] == [429, 429], posts


@pytest.mark.slow
def test_token_stays_off_command_lines_logs_and_kernels(server, token, token_file) -> None:  # type: ignore[no-untyped-def]
    settled(server)
    replies: list[Reply] = []
    pages = [
        threading.Thread(
            target=lambda i=i: replies.append(fetch(server.port, f"/?token={token}&x={i}", client=f"127.0.0.{30 + i}"))
        )
        for i in range(2)
    ]  # one takes the preheated kernel, one starts its own
    for page in pages:
        page.start()
    for page in pages:
        page.join()
    assert sorted(r.status for r in replies) == [200, 200]
    fetch(server.port, f"/?token=wrong-{token[:10]}", client="127.0.0.39")
    secret, carried_request, started = token.encode(), False, time.monotonic()
    # watch the pages' kernels and the pool refill (which gets the request URL) for a few seconds
    while time.monotonic() - started < (3 if carried_request else 15):
        for process in [server.proc.pid, *[p.pid for p in descendants(server.proc.pid)]]:
            try:
                cmdline = Path(f"/proc/{process}/cmdline").read_bytes()
                environ = Path(f"/proc/{process}/environ").read_bytes()
            except (FileNotFoundError, ProcessLookupError):
                continue  # a kernel culled meanwhile
            assert secret not in cmdline, f"token on the command line of {process}"
            if process != server.proc.pid:  # Voila itself got it in its environment, and took it out
                assert secret not in environ, f"token in the environment of {process}"
                carried_request |= b"QUERY_STRING=x=" in environ or b"/?x=" in environ
        time.sleep(0.2)
    assert carried_request, "no kernel with the request's URL in its environment was seen"
    text = server.log.read_text(errors="replace")
    assert token not in text and token[:10] not in text
    assert f"?token=<the token from {token_file}>" in text  # where to find it, instead of the token


@pytest.mark.slow
def test_kernels_are_capped_and_unconnected_ones_culled(server, token) -> None:  # type: ignore[no-untyped-def]
    settled(server)
    replies: list[Reply] = []
    viewers = [
        threading.Thread(
            target=lambda i=i: replies.append(fetch(server.port, f"/?token={token}", client=f"127.0.0.{20 + i}"))
        )
        for i in range(CAP + 2)
    ]
    for viewer in viewers:
        viewer.start()
    peak = 0
    while any(v.is_alive() for v in viewers):
        peak = max(peak, len(kernel_cmdlines(server.proc.pid)))
        time.sleep(0.1)
    statuses = sorted(r.status for r in replies)
    assert peak <= CAP and len(statuses) == CAP + 2
    assert statuses.count(200) >= 1 and statuses.count(503) >= 2, statuses
    busy = next(r for r in replies if r.status == 503)
    assert busy.headers["Retry-After"] == "30" and "at capacity" in busy.body
    assert "id='so-snapshot'" in busy.body and "data-metric='revenue'" in busy.body  # the figures all the same
    for _ in range(10):  # the parked pool refill does not overshoot either
        assert len(kernel_cmdlines(server.proc.pid)) <= CAP
        time.sleep(0.1)
    # none of these pages opened a websocket: their kernels go after CULL_UNCONNECTED s
    settled(server)
    assert fetch(server.port, f"/?token={token}", client="127.0.0.29").status == 200


@pytest.mark.slow
def test_the_first_view_comes_in_the_pages_first_bytes(server, token) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: the figures are in the HTML itself, ahead of Voila's scripts, so a viewer sees them
    without waiting for ~90 script files and a kernel (ten viewers at once stalled on both).
    """
    settled(server)
    page = fetch(server.port, f"/?token={token}", client="127.0.0.50")
    assert page.status == 200
    snapshot_at = page.body.index("id='so-snapshot'")
    assert snapshot_at < page.body.index("data-metric='revenue'") < page.body.index('src="/voila/static/voila.js"')
    assert snapshot_at < page.body.index('id="rendered_cells"')  # before the cells the kernel renders
    assert "Filters are loading" in page.body


@pytest.mark.slow
def test_static_files_are_kept_by_browsers(server, token) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: each visit asked again for every one of Voila's ~90 static files (no-cache, or no
    Cache-Control at all); versioned files are now kept a year, the others ten minutes.
    """
    page = fetch(server.port, f"/?token={token}", client="127.0.0.51")
    style = re.search(r'href="(/voila/templates/[^"]+\.css\?v=[0-9a-f]+)"', page.body)
    entry = re.search(r'"load": "(static/remoteEntry\.[0-9a-f]+\.js)", "name": "(@jupyter-widgets/[a-z-]+)"', page.body)
    assert style and entry, "the page names its versioned styles and widget extension"
    for path, kept in [
        (style.group(1), "public, max-age=31536000, immutable"),
        (f"/voila/labextensions/{entry.group(2)}/{entry.group(1)}", "public, max-age=31536000, immutable"),
        ("/voila/static/voila.js", "public, max-age=600"),
    ]:
        reply = fetch(server.port, path, client="127.0.0.51")
        assert (reply.status, reply.headers["Cache-Control"]) == (200, kept), path


def test_pool_refills_start_one_at_a_time_and_viewers_never_wait_for_them() -> None:
    """Issue 22: a crowd that takes the pool set off every refill at once, on the cores the viewers'
    own kernels and browsers needed; refills now take turns, viewers' kernels do not queue behind them.
    """
    from unittest import mock

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.utils import ENV_VARIABLE

    from salesops_lib.dashboard.voila_app import SalesOpsKernelManager

    starting: list[str] = []
    peak = {"True": 0, "False": 0, "all": 0}

    async def fake_start(self, *, kernel_id=None, **kwargs):  # type: ignore[no-untyped-def]
        kind = kwargs["env"][ENV_VARIABLE.VOILA_PREHEAT]
        starting.append(kind)
        peak[kind] = max(peak[kind], starting.count(kind))
        peak["all"] = max(peak["all"], len(starting))
        await asyncio.sleep(0.01)
        starting.remove(kind)
        return kernel_id

    async def crowd() -> None:
        manager = SalesOpsKernelManager(max_kernels=8)
        refill, viewer = ({"env": {ENV_VARIABLE.VOILA_PREHEAT: flag}} for flag in ("True", "False"))
        await asyncio.gather(*(manager.start_kernel(**refill) for _ in range(3)))
        assert manager.most_starts_at_once == 1
        await asyncio.gather(
            *(manager.start_kernel(**refill) for _ in range(3)), *(manager.start_kernel(**viewer) for _ in range(3))
        )

    with mock.patch.object(AsyncMappingKernelManager, "start_kernel", fake_start):
        asyncio.run(crowd())
    assert peak["True"] == 1 and peak["False"] == 3 and peak["all"] == 4


def test_a_viewer_at_the_cap_takes_the_slot_of_a_closed_page() -> None:
    """Issue 22: closed tabs' kernels held their slots for --cull-idle (300 s), so viewers arriving
    after a few visits got the 503 page every 30 s until then; the closed page longest idle now
    makes way, while open pages and kernels never connected (a page still loading) keep theirs.
    """
    import datetime as dt
    from types import SimpleNamespace
    from unittest import mock

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    from salesops_lib.dashboard.voila_app import SalesOpsKernelManager

    shut: list[str] = []

    async def fake_shutdown(self, kernel_id, now=False, restart=False):  # type: ignore[no-untyped-def]
        shut.append(kernel_id)
        self._kernels.pop(kernel_id)

    async def arrive() -> tuple[bool, bool]:
        manager = SalesOpsKernelManager(max_kernels=4)
        start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        for i, name in enumerate(["open", "closed-late", "closed-early", "loading"]):
            manager._kernels[name] = SimpleNamespace(last_activity=start - dt.timedelta(minutes=i))
        manager._connected_once |= {"open", "closed-late", "closed-early"}
        manager._kernel_connections["open"] = 1
        first = await manager.make_room()
        manager._kernels["new"] = SimpleNamespace(last_activity=start)
        second = await manager.make_room()
        manager._kernels["newer"] = SimpleNamespace(last_activity=start)
        return first and second, await manager.make_room()

    with (
        mock.patch.object(AsyncMappingKernelManager, "shutdown_kernel", fake_shutdown),
        mock.patch("salesops_lib.dashboard.voila_app._process_gone", mock.AsyncMock()),
    ):
        made_room, third = asyncio.run(arrive())
    assert made_room and shut == ["closed-early", "closed-late"]
    assert not third  # only an open page and a loading one are left: that viewer gets the 503 page


@pytest.mark.slow
def test_an_open_page_keeps_its_kernel_and_a_closed_one_loses_it(server, token) -> None:  # type: ignore[no-untyped-def]
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    settled(server)
    page = fetch(server.port, f"/?token={token}", client="127.0.0.40")
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.body).group(1)  # type: ignore[union-attr]
    alive = lambda: any(kernel_id in line for line in kernel_cmdlines(server.proc.pid))  # noqa: E731

    async def view_then_close() -> None:
        socket = await websocket_connect(
            HTTPRequest(
                f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id=hostile",
                headers={"Cookie": cookie_header(cookies(page))},
            )
        )
        await asyncio.sleep(CULL_UNCONNECTED + 3)
        assert alive(), "the kernel of an open page was culled"
        socket.close()

    asyncio.run(view_then_close())
    wait_until(lambda: not alive(), CULL_IDLE + 20, "the closed page's kernel culled")


@pytest.mark.slow
@pytest.mark.browser
def test_a_viewer_with_the_token_gets_a_working_dashboard_in_chromium(server, token) -> None:  # type: ignore[no-untyped-def]
    """The whole token flow in a browser: ?token= once, then the cookie carries the websocket; the
    open page keeps its kernel past the unconnected timeout."""
    from tests.dashboard_driver import chromium_path, launch_chromium, open_dashboard

    if chromium_path() is None:
        pytest.skip("chromium is not installed (scripts/test-services.sh start installs it)")
    from playwright.sync_api import sync_playwright

    settled(server)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page, _ = open_dashboard(browser, f"{server.url}?token={token}")
            kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content()).group(1)  # type: ignore[union-attr]
            time.sleep(CULL_UNCONNECTED + 3)
            assert any(kernel_id in line for line in kernel_cmdlines(server.proc.pid))
            assert page.locator(".so-tile[data-metric=revenue] .so-value").count() == 1
            page.context.close()
        finally:
            browser.close()
