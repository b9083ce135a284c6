"""Test and benchmark helper, not part of the library: run ``salesops dashboard`` in a child
process and drive it from Chromium — what the browser tests and the dashboard benchmark share.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/test-services.sh``), driven by
Playwright's Python package; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Flags for a sandboxed, offline machine: no GPU, no background calls to Google's hosts."""

TILE = ".so-tile[data-metric=revenue] .so-value"
"""The revenue tile's figure: present once the dashboard has rendered (its snapshot or the live page)."""

LIVE = ".so-filters select"
"""A filter of the live page: present once Voila's scripts ran and the page's kernel sent the widgets."""

SNAPSHOT_ID = "so-snapshot"
"""The first view in the page's HTML (``salesops_lib.dashboard.snapshot``), removed when the live page shows."""


def chromium_path() -> str | None:
    """Debian's chromium, or ``SALESOPS_CHROMIUM``; None when neither is there."""
    given = os.environ.get("SALESOPS_CHROMIUM")
    return given if given and Path(given).exists() else shutil.which("chromium")


def need_chromium() -> None:
    """Skip the test without chromium; fail it under CI, where the test set-up installs it."""
    import pytest

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing under CI: scripts/test-services.sh start installs it")
        pytest.skip("chromium is not installed (scripts/test-services.sh start installs it)")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright ``Browser``) for a test module (see :func:`need_chromium`)."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium browser (Playwright ``Browser``)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed (scripts/test-services.sh start installs it)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DashboardProcess:
    """``salesops dashboard`` on a free loopback port, until the context exits; ``env`` adds to the
    environment it inherits (e.g. ``SALESOPS_DASHBOARD_TOKEN``)."""

    def __init__(
        self,
        *,
        source: str,
        period: str,
        log: Path,
        pool: int = 2,
        months: int = 1,
        lang: str = "zh",
        extra: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        cpus: set[int] | None = None,
    ) -> None:
        self.port = free_port()
        self.cpus = cpus  # pin the server and its kernels to these CPUs (a process budget apart from the browsers)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.env = dict(env or {})
        self.argv = [
            sys.executable,
            "-m",
            "salesops_lib.cli",
            "dashboard",
            "--source",
            source,
            "--period",
            period,
            "--months",
            str(months),
            "--pool",
            str(pool),
            "--port",
            str(self.port),
            "--lang",
            lang,
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DashboardProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            cpus = self.cpus
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **self.env},
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,  # noqa: PLW1509 - affinity only
            )
        return self

    def wait_ready(self, timeout: float = 600.0) -> None:
        """Until the server answers and its kernel pool is filled (or raise with the log's tail)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"dashboard exited with {self.proc.returncode}:\n{self.tail()}")
            if "is filled with" in self.log.read_text(errors="replace") or "--pool 0" in " ".join(self.argv):
                try:
                    with urllib.request.urlopen(self.url + "voila/static/voila.js", timeout=5) as reply:  # noqa: S310  self.url is the http://127.0.0.1 URL set in __init__
                        if reply.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.5)
        raise TimeoutError(f"dashboard not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)


def open_dashboard(
    browser: Any, url: str, *, timeout_ms: int = 60_000, width: int = 1280, height: int = 1600, live: bool = True
) -> tuple[Any, float]:
    """A new viewer (fresh browser context, ``width`` × ``height`` CSS pixels) opens ``url``; returns
    the page and seconds until the KPI tiles were on screen (those of the snapshot in the page's HTML,
    or of the live page). With ``live`` it returns once the live page has replaced the snapshot.
    """
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(TILE, timeout=timeout_ms)
    seconds = time.perf_counter() - started
    if live:
        page.wait_for_selector(LIVE, timeout=timeout_ms)
        page.wait_for_selector(f"#{SNAPSHOT_ID}", state="detached", timeout=timeout_ms)
    return page, seconds


def change_filter(page: Any, index: int, value: str, *, timeout_ms: int = 30_000) -> float:
    """Pick ``value`` in the ``index``-th filter (0 period, 1 region, 2 team, 3 rep); seconds until
    the page shows the new scope."""
    before = page.get_attribute(".so-kpis", "data-scope")
    select = page.locator(".so-filters select").nth(index)
    started = time.perf_counter()
    select.select_option(value=value) if value in select.evaluate(
        "s => Array.from(s.options).map(o => o.value)"
    ) else select.select_option(label=value)
    page.wait_for_function(
        "before => { const k = document.querySelector('.so-kpis'); return k && k.dataset.scope !== before; }",
        arg=before,
        timeout=timeout_ms,
    )
    return time.perf_counter() - started
