"""Benchmark of the leadership dashboard in Debian's Chromium (Playwright), on one machine.

Prints, in one run on the same data:
  (0) baseline: first render with no preheated kernel (``--pool 0``: each viewer waits for a
      kernel to start), ``--cold-loads`` viewers one after another;
  (1) one viewer at a time with the preheated pool, p50/p95 over ``--loads`` viewers (each a fresh
      browser context, i.e. a viewer with an empty cache), one every ``--gap`` seconds;
  (2) filter changes (region), p50/p95: first visits of each region, then revisits (cached);
  (3) ``--viewers`` viewers opening the dashboard at the same moment, with the default pool and
      with a pool as large as the crowd: first render and interactive p50/p95/max, ``503`` replies,
      requests per page, and the CPU seconds the server (Voila and kernels) and the browsers spent.
First render = navigation start until the KPI tiles are on screen (the snapshot the page's HTML
carries, or the live page); interactive = until the live page's filters are there (Voila's scripts
ran and the viewer's kernel sent the widgets).
Targets (issue 22): (3) first render p95 <= 5 s for ten viewers at once, browsers on the same
machine; (1) p95 <= 2 s; (2) p95 <= 300 ms. Ratios are against issue 22's measurements.

``--split-cpus`` pins the server and its kernels to CPU 0 and the browsers to the other CPUs (a
separate process budget, to see who waits for whom); the targets are for the default, unpinned run.

Usage: python benchmarks/bench_dashboard.py [--source demo] [--period 2026-11] [--loads 20]
       [--gap 6] [--viewers 10] [--pool 2] [--split-cpus]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard_driver import (  # noqa: E402
    CHROMIUM_ARGS,
    LIVE,
    TILE,
    DashboardProcess,
    change_filter,
    chromium_path,
    launch_chromium,
)

BASELINE = {"single": 2.52, "cold": 6.08, "filter": 0.459, "crowd": 45.0, "crowd_sized": 50.0}
"""Issue 22's figures (idle machine, --period 2026-11): p95 seconds."""

WAIT = 180.0
"""Longest a viewer is waited for (a viewer not served by then counts as this long)."""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def summary(name: str, values: list[float], unit: str = "s") -> str:
    scale = 1000 if unit == "ms" else 1
    return (
        f"{name:<52} n={len(values):>2}  p50 {pct(values, 50) * scale:7.2f} {unit}  "
        f"p95 {pct(values, 95) * scale:7.2f} {unit}  max {max(values) * scale:7.2f} {unit}"
    )


def cpu_by_process(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and each of its descendants alive now, by process id."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except psutil.Error:
            continue
    return seconds


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two :func:`cpu_by_process` readings by the processes alive at the
    second (those that exited in between — closed tabs, culled kernels — are not counted).
    """
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())


@dataclass
class Viewer:
    """What one viewer saw: seconds to the tiles and to the live filters, replies by status."""

    first_render: float = WAIT
    interactive: float = WAIT
    statuses: dict[int, int] = field(default_factory=dict)
    #: CPU seconds of this process, Playwright's driver and the browser while the viewers loaded
    #: (the same figure on every viewer of a crowd; 0 unless asked for)
    browser_cpu: float = 0.0


async def open_viewers(url: str, viewers: int, *, gap: float = 0.0, cpu: bool = False) -> list[Viewer]:
    """``viewers`` fresh browser contexts opening ``url``, all at once (or ``gap`` seconds apart, in turn)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

        async def one() -> Viewer:
            seen = Viewer()
            context = await browser.new_context(viewport={"width": 1280, "height": 1600})
            page = await context.new_page()
            page.on("response", lambda r: seen.statuses.__setitem__(r.status, seen.statuses.get(r.status, 0) + 1))
            started = time.perf_counter()
            try:
                await page.goto(url, wait_until="commit", timeout=WAIT * 1000)
                await page.wait_for_selector(TILE, timeout=WAIT * 1000)
                seen.first_render = time.perf_counter() - started
                await page.wait_for_selector(LIVE, timeout=max(1.0, WAIT - seen.first_render) * 1000)
                seen.interactive = time.perf_counter() - started
            except Exception as exc:  # a viewer not served in time counts as WAIT
                print(f"  a viewer was not served: {str(exc).splitlines()[0]}", file=sys.stderr)
            if gap:  # one at a time: the viewer leaves before the next arrives
                await context.close()
            else:
                contexts.append(context)
            return seen

        contexts: list = []
        browser_before = cpu_by_process(os.getpid()) if cpu else {}

        if gap:
            seen = []
            for _ in range(viewers):
                seen.append(await one())
                await asyncio.sleep(gap)
        else:
            seen = list(await asyncio.gather(*(one() for _ in range(viewers))))
        if cpu:  # before the tabs close: their renderers' CPU goes with them
            spent = cpu_spent(browser_before, cpu_by_process(os.getpid()))
            for viewer in seen:
                viewer.browser_cpu = spent
        for context in contexts:
            await context.close()
        await browser.close()
    return seen


def filter_changes(url: str, rounds: int = 2) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, again = [], []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(LIVE, timeout=WAIT * 1000)
        regions = page.locator(".so-filters select").nth(1).locator("option").all_inner_texts()
        for round_ in range(rounds):
            for label in regions[1:] + regions[:1]:
                (first if round_ == 0 else again).append(change_filter(page, 1, label))
        browser.close()
    return first, again


def crowd(server: DashboardProcess, viewers: int, name: str) -> tuple[list[str], list[Viewer]]:
    """``viewers`` at once against ``server``: summary lines and what each saw."""
    assert server.proc is not None
    server_before = cpu_by_process(server.proc.pid)
    seen = asyncio.run(open_viewers(server.url, viewers, cpu=True))
    server_cpu = cpu_spent(server_before, cpu_by_process(server.proc.pid))
    browser_cpu = sum(v.browser_cpu for v in seen[:1])
    busy = sum(v.statuses.get(503, 0) for v in seen)
    requests = statistics.median(sum(v.statuses.values()) for v in seen)
    lines = [
        summary(f"(3) {name}: first render", [v.first_render for v in seen]),
        summary(f"(3) {name}: interactive", [v.interactive for v in seen]),
        f"    503 replies {busy}; requests per page (median) {requests:.0f}; CPU s (processes alive at the end): server+kernels "
        f"{server_cpu:.1f}, browsers {browser_cpu:.1f}",
    ]
    return lines, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="demo")
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--cold-loads", type=int, default=5)
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between viewers (pool refill)")
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--split-cpus", action="store_true", help="server on CPU 0, browsers on the others")
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("chromium is not installed: run scripts/test-services.sh start (it installs Debian's chromium)")
    server_cpus: set[int] | None = None
    if args.split_cpus:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            sys.exit("--split-cpus needs two CPUs")
        server_cpus = {cpus[0]}
        os.sched_setaffinity(0, set(cpus[1:]))  # this process, Playwright's driver and the browsers
    logs = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    common = {"source": args.source, "period": args.period, "cpus": server_cpus}
    load = os.getloadavg()
    lines = [
        f"source {args.source}, period {args.period}; load average at start {load[0]:.1f} / {load[1]:.1f}; "
        f"{'server on CPU 0, browsers on the others' if server_cpus else 'server and browsers share every CPU'}; "
        f"logs in {logs}"
    ]

    with DashboardProcess(**common, pool=0, log=logs / "cold.log") as server:  # builds the cube once
        server.wait_ready()
        cold = asyncio.run(open_viewers(server.url, args.cold_loads, gap=1.0))
    lines.append(summary("(0) first render, no preheated kernel", [v.first_render for v in cold]))
    lines.append(summary("(0) interactive, no preheated kernel", [v.interactive for v in cold]))

    with DashboardProcess(**common, pool=args.pool, log=logs / "pool.log") as server:
        server.wait_ready()
        time.sleep(args.gap)  # let the pool's notebooks finish executing
        single = asyncio.run(open_viewers(server.url, args.loads, gap=args.gap))
        first, again = filter_changes(server.url)
        time.sleep(max(args.gap, 20.0))  # the last viewers' kernels: their pages are closed, the pool refilled
        crowd_lines, crowded = crowd(server, args.viewers, f"{args.viewers} viewers at once, pool of {args.pool}")
    lines.append(summary(f"(1) first render, one viewer, pool of {args.pool}", [v.first_render for v in single]))
    lines.append(summary(f"(1) interactive, one viewer, pool of {args.pool}", [v.interactive for v in single]))
    lines.append(summary("(2) region filter change, first visit", first, "ms"))
    lines.append(summary("(2) region filter change, revisit (cached)", again, "ms"))
    lines += crowd_lines

    sized = ("--max-kernels", str(max(8, args.viewers)))  # the pool itself must fit under the kernel cap
    with DashboardProcess(**common, pool=args.viewers, log=logs / "crowd.log", extra=sized) as server:
        server.wait_ready(timeout=900)
        time.sleep(max(args.gap, args.viewers * 3.0))  # every pooled notebook executed
        sized_lines, crowded_sized = crowd(
            server, args.viewers, f"{args.viewers} viewers at once, pool of {args.viewers}"
        )
    lines += sized_lines

    p_single = pct([v.first_render for v in single], 95)
    p_filter = pct(first + again, 95)
    p_crowd = pct([v.first_render for v in crowded], 95)
    p_sized = pct([v.first_render for v in crowded_sized], 95)
    verdict = lambda value, target: "PASS" if value <= target else "MISS"  # noqa: E731
    lines += [
        f"target {args.viewers} viewers at once, first render p95 <= 5 s: pool {args.pool} {p_crowd:.2f} s "
        f"{verdict(p_crowd, 5)} (x{p_crowd / BASELINE['crowd']:.2f} of issue 22's {BASELINE['crowd']:.0f} s); "
        f"pool {args.viewers} {p_sized:.2f} s {verdict(p_sized, 5)} (x{p_sized / BASELINE['crowd_sized']:.2f} "
        f"of {BASELINE['crowd_sized']:.0f} s)",
        f"target one viewer, first render p95 <= 2 s: {p_single:.2f} s {verdict(p_single, 2)} "
        f"(x{p_single / BASELINE['single']:.2f} of {BASELINE['single']} s; no pool "
        f"{pct([v.first_render for v in cold], 95):.2f} s, issue 22 {BASELINE['cold']} s)",
        f"target filter change p95 <= 300 ms: {p_filter * 1000:.0f} ms {verdict(p_filter, 0.3)} "
        f"(x{p_filter / BASELINE['filter']:.2f} of issue 22's first-visit {BASELINE['filter'] * 1000:.0f} ms; "
        f"first visits p95 {pct(first, 95) * 1000:.0f} ms)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
