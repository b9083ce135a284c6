"""Benchmark of the leadership dashboard in Debian's Chromium (Playwright), on one machine.

Prints, in one run on the same data:
  (0) baseline: first render with no preheated kernel (``--pool 0``: each viewer waits for a
      kernel to start and run the notebook), ``--cold-loads`` viewers one after another;
  (1) first render with the preheated pool, p50/p95 over ``--loads`` viewers (each a fresh browser
      context, i.e. a viewer with an empty cache), one every ``--gap`` seconds so the pool refills;
  (2) filter changes (region), p50/p95: first visits of each region, then revisits (cached);
  (3) ``--viewers`` viewers opening the dashboard at the same moment: p50/p95/max, with the default
      pool and with a pool as large as the crowd.
First render = navigation start until the KPI tiles are on screen.
Targets (issue 12): (1) p95 <= 2 s, (2) <= 300 ms.

Usage: python benchmarks/bench_dashboard.py [--source demo] [--period 2026-10] [--loads 20]
       [--gap 6] [--viewers 10] [--pool 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard_driver import (  # noqa: E402
    CHROMIUM_ARGS,
    TILE,
    DashboardProcess,
    change_filter,
    chromium_path,
    launch_chromium,
    open_dashboard,
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def summary(name: str, values: list[float], unit: str = "s") -> str:
    scale = 1000 if unit == "ms" else 1
    return (
        f"{name:<46} n={len(values):>2}  p50 {pct(values, 50) * scale:7.2f} {unit}  "
        f"p95 {pct(values, 95) * scale:7.2f} {unit}  max {max(values) * scale:7.2f} {unit}"
    )


def sequential_loads(url: str, loads: int, gap: float) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for _ in range(loads):
            page, seconds = open_dashboard(browser, url)
            times.append(seconds)
            page.context.close()
            time.sleep(gap)
        browser.close()
    return times


def filter_changes(url: str, rounds: int = 2) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, again = [], []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page, _ = open_dashboard(browser, url)
        regions = page.locator(".so-filters select").nth(1).locator("option").all_inner_texts()
        for round_ in range(rounds):
            for label in regions[1:] + regions[:1]:
                (first if round_ == 0 else again).append(change_filter(page, 1, label))
        browser.close()
    return first, again


async def crowd(url: str, viewers: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

        async def one() -> float:
            context = await browser.new_context(viewport={"width": 1280, "height": 1600})
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(url, wait_until="commit", timeout=180_000)
            await page.wait_for_selector(TILE, timeout=180_000)
            return time.perf_counter() - started

        times = await asyncio.gather(*(one() for _ in range(viewers)))
        await browser.close()
    return list(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="demo")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--cold-loads", type=int, default=5)
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between viewers (pool refill)")
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--pool", type=int, default=2)
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("chromium is not installed: run scripts/test-services.sh start (it installs Debian's chromium)")
    logs = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    common = {"source": args.source, "period": args.period}
    lines = [f"source {args.source}, period {args.period}; logs in {logs}"]

    with DashboardProcess(**common, pool=0, log=logs / "cold.log") as server:  # builds the cube once
        server.wait_ready()
        cold = sequential_loads(server.url, args.cold_loads, gap=1.0)
    lines.append(summary("(0) first render, no preheated kernel", cold))

    with DashboardProcess(**common, pool=args.pool, log=logs / "pool.log") as server:
        server.wait_ready()
        time.sleep(args.gap)  # let the pool's notebooks finish executing
        warm = sequential_loads(server.url, args.loads, gap=args.gap)
        first, again = filter_changes(server.url)
        time.sleep(args.gap)
        crowd_default = asyncio.run(crowd(server.url, args.viewers))
    lines.append(summary(f"(1) first render, preheated pool of {args.pool}", warm))
    lines.append(summary("(2) region filter change, first visit", first, "ms"))
    lines.append(summary("(2) region filter change, revisit (cached)", again, "ms"))
    lines.append(summary(f"(3) {args.viewers} viewers at once, pool of {args.pool}", crowd_default))

    crowd_cap = ("--max-kernels", str(max(8, args.viewers)))  # the pool itself must fit under the kernel cap
    with DashboardProcess(**common, pool=args.viewers, log=logs / "crowd.log", extra=crowd_cap) as server:
        server.wait_ready(timeout=900)
        time.sleep(max(args.gap, args.viewers * 3.0))  # every pooled notebook executed
        crowd_sized = asyncio.run(crowd(server.url, args.viewers))
    lines.append(summary(f"(3) {args.viewers} viewers at once, pool of {args.viewers}", crowd_sized))

    ratio = pct(warm, 95) / pct(cold, 95)
    lines.append(f"preheated / cold first render (p95): {ratio:.2f}")
    lines.append(
        f"target (1) p95 <= 2 s: {'PASS' if pct(warm, 95) <= 2 else 'MISS'}; "
        f"target (2) p95 <= 300 ms: {'PASS' if pct(first + again, 95) <= 0.3 else 'MISS'} "
        f"(all changes p95 {pct(first + again, 95) * 1000:.0f} ms)"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
