"""The truth battery: do the review's findings recall what was planted, and stay quiet on the null world?

Runs every analysis of the review (in-process, default parameters, no notebooks) on demo worlds
with known truth — ``--small-seeds`` seeds × {planted, null} at small size and ``--default-seeds``
seeds × {planted, null} at default size, each world at a month-end as-of date cycling through
different months — and scores the findings against the planted effects re-measured in plain SQL
(``tests/truth_sql.py``, nothing shared with the analyses). Prints, per planted kind: recall (right
kind, unit and direction, severity low or above), the share raised as an alert (medium+), the
share where the kind / the unit / the direction was right and the median magnitude error; per
null review: medium-or-high findings by kind.

Targets (issue 19): recall ≥ 95 % per planted kind at default size, ≥ 90 % at small; ≤ 0.2
medium-or-high false findings per null review on average, 0 high.

Usage: python benchmarks/bench_truth.py [--small-seeds 20] [--default-seeds 3] [--jobs 2] [--json out.json]
Takes ~25 min on 2 cores with the defaults (each small world ~20 s, each default world ~90 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.truth_battery import AS_OF_DATES, score  # noqa: E402

SMALL_SEEDS = (11, 23, 37, 101, 2027, 5, 7, 13, 17, 19, 29, 31, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89)
DEFAULT_SEEDS = (3, 97, 211, 313, 419)


def _world(seed: int, variant: str, as_of: str, size: str, cache: str) -> dict[str, Any]:
    code = "import json,sys; from tests.truth_battery import run_world; print(json.dumps(run_world(*json.loads(sys.argv[1]))))"
    args = json.dumps([seed, variant, as_of, size])
    env = {**os.environ, "SALESOPS_CACHE": cache, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"world {seed} {variant} {as_of} {size} failed:\n{done.stderr[-3000:]}")
    world = json.loads(done.stdout.strip().splitlines()[-1])
    world["seconds"] = round(time.perf_counter() - started, 1)
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small-seeds", type=int, default=20)
    parser.add_argument("--default-seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default="", help="write every world's findings and SQL measures here")
    args = parser.parse_args()
    plan = [
        (seed, variant, AS_OF_DATES[i % len(AS_OF_DATES)], "small")
        for i, seed in enumerate(SMALL_SEEDS[: args.small_seeds])
        for variant in ("planted", "null")
    ] + [
        (seed, variant, AS_OF_DATES[i % len(AS_OF_DATES)], "default")
        for i, seed in enumerate(DEFAULT_SEEDS[: args.default_seeds])
        for variant in ("planted", "null")
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-truth-") as cache, ThreadPoolExecutor(args.jobs) as pool:
        worlds = list(pool.map(lambda job: _world(*job, cache), plan))
    wall = time.perf_counter() - started
    if args.json:
        Path(args.json).write_text(json.dumps(worlds, indent=1), encoding="utf-8")
    for size in ("small", "default"):
        chosen = [w for w in worlds if w["size"] == size]
        if not chosen:
            continue
        seeds = sorted({w["seed"] for w in chosen})
        dates = sorted({w["as_of"] for w in chosen})
        print(f"\n== {size} size: {len(seeds)} seeds × {{planted, null}}, as-of {', '.join(dates)}")
        print(score(chosen).table())
    print(f"\n{len(worlds)} worlds in {wall:.0f} s ({args.jobs} jobs)")


if __name__ == "__main__":
    main()
