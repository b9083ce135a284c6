"""Benchmark: how fast the demo generator writes rows (issue 22: ≥ 500 k rows/s on ``large``).

Run by hand (it is a benchmark, not a test)::

    .venv/bin/python benchmarks/bench_demo.py                 # default size
    .venv/bin/python benchmarks/bench_demo.py --size large    # default, then large (~110 M rows)

Each size runs the real command, ``salesops demo-data --size <size> --as-of 2026-10-31 --out
<file>``, in a fresh Python process. Rows are the canonical tables' rows written (from the
truth manifest); seconds are the wall time of the whole command as the parent sees it
(interpreter start-up, imports, generation, the truth measurements and the final checkpoint);
CPU seconds (user + system of the child, every thread) are less sensitive to other work on the
machine. Peak RSS is ``VmHWM`` of the child's own address space (``ru_maxrss`` can report the
parent's memory when ``subprocess`` spawns with vfork). The 1-minute load average before and
after is printed with the figures: on a shared machine wall time says little without it.

:func:`measure_generation` is the entry point ``bench_scale.py`` can call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-10-31"
TARGET_ROWS_PER_S = 500_000
_MARK = "BENCH_DEMO "

_CHILD = f"""
import atexit, json, sys

def _report():
    hwm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
    print({_MARK!r} + json.dumps({{"peak_rss_mb": hwm}}), file=sys.stderr, flush=True)

atexit.register(_report)
sys.argv = ["salesops", "demo-data", *sys.argv[1:]]
from salesops_lib.cli import main
main()
"""


def measure_generation(
    size: str, out: Path | str, *, variant: str = "planted", seed: int = 42, as_of: str = AS_OF
) -> dict[str, Any]:
    """Generate one demo file with the CLI in a fresh process and measure it.

    Returns ``rows`` (canonical table rows written), ``seconds`` (wall time of the whole
    command), ``rows_per_s``, ``cpu_s`` (the child's user + system time), ``peak_rss_mb`` (the
    child's VmHWM) and ``load`` (1-minute load average before and after).
    """
    out = Path(out)
    args = ["--size", size, "--variant", variant, "--seed", str(seed), "--as-of", as_of, "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"demo-data --size {size} failed ({proc.returncode}):\n{stderr[-2000:]}")
    report = json.loads(next(line for line in stderr.splitlines() if line.startswith(_MARK))[len(_MARK) :])
    truth = json.loads(Path(f"{out}.truth.json").read_text(encoding="utf-8"))
    rows = int(sum(truth["tables"].values()))
    return {
        "size": size,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": report["peak_rss_mb"],
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str] | None = None) -> int:
    """Measure the default size (and ``--size large``); print the figures, optionally as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["default", "large"], default="default", help="largest size to run")
    parser.add_argument("--out", type=Path, default=None, help="folder for the generated files (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = ["default", "large"] if args.size == "large" else ["default"]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_demo_", dir=args.out) as tmp:
        for size in sizes:
            out = Path(tmp) / f"demo-{size}.duckdb"
            result = measure_generation(size, out)
            results.append(result)
            verdict = "ok" if result["rows_per_s"] >= TARGET_ROWS_PER_S else f"below {TARGET_ROWS_PER_S:,}"
            print(
                f"{size:8s} {result['rows']:>12,} rows  {result['seconds']:8.1f} s  {result['rows_per_s']:>9,} rows/s"
                f"  cpu {result['cpu_s']:7.1f} s  peak RSS {result['peak_rss_mb']:,} MB"
                f"  load {result['load'][0]} → {result['load'][1]}  [{verdict}]",
                flush=True,
            )
            out.unlink()
            Path(f"{out}.truth.json").unlink()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
