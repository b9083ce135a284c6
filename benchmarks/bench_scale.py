"""Scale benchmark: the full monthly review on the default and the large demo, in one run.

Prints, in one run:
  (0) with ``--generate``: the large demo's generation — rows written, wall, rows/s, peak RSS
      (target >= 500 k rows/s);
  (1) ``salesops review`` on the default demo: wall and peak RSS summed over the whole process
      tree (runner + workers + kernels), sampled every 0.1 s;
  (2) the same review on the large demo (``--large``, ~10 M deals): wall and peak tree RSS
      (targets: <= 120 s, <= 3 GB), and (2)/(1) wall (target <= 5 x for ~25 x the rows);
  (3) whether the large review's pages have the same structure as the default's: the same pages,
      and on each page the same section headings, tables and charts (counts);
  (4) with ``--profile``: per report, its wall time, peak RSS, query count, rows the queries
      returned, and its slowest and largest queries (``scale_profile.py``, one process each).

Usage: python benchmarks/bench_scale.py --large PATH.duckdb [--period 2026-10] [--generate]
       [--profile] [--reports a,b] [--jobs N]

``--generate`` writes the large demo to ``--large`` first (``--as-of`` its last day).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WALL_TARGET_S = 120.0
RSS_TARGET_MB = 3 * 1024.0
GROWTH_TARGET = 5.0
GENERATION_TARGET = 500_000


class TreeMemory:
    """Peak of the RSS summed over a process and all its descendants, sampled on a thread."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.peak_mb = 0.0
        self.peak_processes = 0
        self._root = psutil.Process(pid)
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            if total / 2**20 > self.peak_mb:
                self.peak_mb, self.peak_processes = total / 2**20, len(processes)
            self._stop.wait(self._every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed_command(command: list[str]) -> dict[str, float]:
    """Run ``command``; its wall time and the peak RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = TreeMemory(process.pid)
    output, _ = process.communicate()
    memory.stop()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        print(output[-3000:])
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return {"wall_s": wall, "peak_rss_mb": memory.peak_mb, "processes": memory.peak_processes}


def review(source: str, period: str, out: Path, reports: str, jobs: int) -> dict[str, float]:
    command = [str(BIN / "salesops"), "review", "--source", source, "--period", period, "--output", str(out)]
    if reports:
        command += ["--reports", reports]
    if jobs:
        command += ["--jobs", str(jobs)]
    return timed_command(command)


_TAGS = re.compile(r"<(h[1-4])[^>]*>(.*?)</\1>|<(table)\b|<(img)\b|<(svg)\b", re.S)


def page_structure(html: str) -> tuple[tuple[str, ...], Counter[str]]:
    """A page's section headings (text without numbers) and its count of tables and charts."""
    headings: list[str] = []
    counts: Counter[str] = Counter()
    for match in _TAGS.finditer(html):
        if match.group(1):
            text = re.sub(r"<[^>]+>|[\d.,%]+", "", match.group(2)).strip()
            headings.append(f"{match.group(1)}:{text}")
        else:
            counts[next(g for g in match.groups()[2:] if g)] += 1
    return tuple(headings), counts


def compare_structure(small: Path, large: Path) -> list[str]:
    """Differences between two published periods' pages (empty when the same structure)."""
    differences = []
    pages_a = {p.name for p in small.glob("*.html")}
    pages_b = {p.name for p in large.glob("*.html")}
    if pages_a != pages_b:
        differences.append(
            f"pages differ: only default {sorted(pages_a - pages_b)}, only large {sorted(pages_b - pages_a)}"
        )
    for name in sorted(pages_a & pages_b):
        head_a, count_a = page_structure((small / name).read_text(encoding="utf-8"))
        head_b, count_b = page_structure((large / name).read_text(encoding="utf-8"))
        if head_a != head_b:
            only_a = [h for h in head_a if h not in head_b]
            only_b = [h for h in head_b if h not in head_a]
            differences.append(f"{name}: headings differ (default only {only_a[:4]}, large only {only_b[:4]})")
        if count_a != count_b:
            differences.append(f"{name}: tables/charts {dict(count_a)} vs {dict(count_b)}")
    return differences


def profile(source: str, period: str, reports: list[str]) -> list[dict[str, Any]]:
    """Per report, one process: ``scale_profile.py``'s figures."""
    rows = []
    for report in reports:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "scale_profile.py"), report, source, period],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        rows.append(json.loads(lines[-1]) if lines else {"report": report, "error": done.stderr[-500:]})
    return rows


def print_profile(rows: list[dict[str, Any]]) -> None:
    print("\n(4) per report (one process each, no Jupyter)")
    print(f"{'report':<24}{'wall s':>8}{'peak MB':>9}{'queries':>9}{'query s':>9}{'rows back':>12}")
    for row in rows:
        if "wall_s" not in row:
            print(f"{row['report']:<24} failed: {row.get('error', '')}")
            continue
        print(
            f"{row['report']:<24}{row['wall_s']:>8.1f}{row['peak_rss_mb']:>9,}{row['queries']:>9}"
            f"{row['query_s']:>9.1f}{row['rows']:>12,}" + (f"  ERROR {row['error']}" if row["error"] else "")
        )
        for query in row["slowest"][:3]:
            print(f"    slowest {query['s']:6.2f} s {query['rows']:>9,} rows  {query['at']}")
        for query in row["largest"][:2]:
            print(f"    largest {query['s']:6.2f} s {query['rows']:>9,} rows  {query['at']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", required=True, help="the large demo's DuckDB file")
    parser.add_argument("--default-source", default="", help="the default-size source (default: demo as of --as-of)")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--reports", default="")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--generate", action="store_true", help="generate the large demo first and time it")
    parser.add_argument("--profile", action="store_true", help="also profile each report on the large demo")
    parser.add_argument("--skip-default", action="store_true", help="only the large review")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    large = Path(args.large)
    default_source = args.default_source or f"demo:default:{args.as_of}"
    figures: dict[str, Any] = {"period": args.period, "large": str(large), "default": default_source}

    if args.generate:
        from benchmarks.bench_demo import measure_generation

        large.unlink(missing_ok=True)
        generation = measure_generation("large", large, as_of=args.as_of)
        figures["generation"] = generation
        verdict = "PASS" if generation["rows_per_s"] >= GENERATION_TARGET else "MISS"
        print(
            f"(0) large demo generation  {generation['rows']:,} rows in {generation['seconds']:.1f} s = "
            f"{generation['rows_per_s']:,.0f} rows/s (target >= {GENERATION_TARGET:,})  {verdict};"
            f" peak RSS {generation['peak_rss_mb']:,.0f} MB"
        )

    out = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        if not args.skip_default:
            from salesops_lib.data import connect

            connect(default_source)  # the default demo exists before timing
            small = review(default_source, args.period, out / "default", args.reports, args.jobs)
            figures["default_review"] = small
            print(
                f"(1) review, default demo   wall {small['wall_s']:7.1f} s   peak tree RSS {small['peak_rss_mb']:7,.0f} MB"
                f" ({small['processes']} processes)"
            )
        big = review(str(large), args.period, out / "large", args.reports, args.jobs)
        figures["large_review"] = big
        wall_ok = "PASS" if big["wall_s"] <= WALL_TARGET_S else "MISS"
        rss_ok = "PASS" if big["peak_rss_mb"] <= RSS_TARGET_MB else "MISS"
        print(
            f"(2) review, large demo     wall {big['wall_s']:7.1f} s {wall_ok} (<= {WALL_TARGET_S:.0f})"
            f"   peak tree RSS {big['peak_rss_mb']:7,.0f} MB {rss_ok} (<= {RSS_TARGET_MB:,.0f})"
            f" ({big['processes']} processes)"
        )
        if not args.skip_default:
            growth = big["wall_s"] / figures["default_review"]["wall_s"]
            figures["growth"] = growth
            print(
                f"    large/default wall = {growth:.2f} x  (target <= {GROWTH_TARGET:.0f} x)  {'PASS' if growth <= GROWTH_TARGET else 'MISS'}"
            )
            differences = compare_structure(out / "default" / args.period, out / "large" / args.period)
            figures["structure_differences"] = differences
            print(f"(3) page structure         {'identical' if not differences else 'DIFFERENT'}")
            for line in differences:
                print(f"    {line}")
    finally:
        shutil.rmtree(out, ignore_errors=True)

    if args.profile:
        from salesops_lib.catalog import CATALOG

        names = [r for r in (args.reports.split(",") if args.reports else CATALOG) if r]
        rows = profile(str(large), args.period, names)
        figures["profile"] = rows
        print_profile(rows)

    target = ROOT / "benchmarks" / "out" / "bench_scale.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
