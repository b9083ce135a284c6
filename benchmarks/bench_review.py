"""Benchmark of the monthly review: our runner vs plain Python vs the papermill/nbconvert CLIs.

Prints, in one run on the same data:
  (a) ``salesops review`` through our runner (warm kernels, parallel workers, HTML export);
  (b) the same reports' code cells executed in one plain Python process (library calls and the
      rendering of what they display, no Jupyter), the floor;
  (c) a hand-written loop of ``papermill`` CLI then ``jupyter nbconvert --to html --no-input``
      per notebook, what a team without a runner would script.
Targets (issue 4/11): (a) <= 1.3 x (b) and (a) >= 2 x faster than (c).

Usage: python benchmarks/bench_review.py [--source demo] [--period YYYY-MM] [--reports a,b]
       [--skip-cli] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLAIN_WORKER = r"""
import json, sys, time
started = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import nbformat
from matplotlib.figure import Figure
tasks = json.loads(sys.argv[1])
def render(obj):
    if obj is None:
        return
    if isinstance(obj, Figure):
        import io
        obj.savefig(io.BytesIO(), format="png")
    elif hasattr(obj, "_repr_html_"):
        obj._repr_html_()
import IPython.display as display_module
display_module.display = lambda *objs, **kw: [render(o) for o in objs]
for notebook, params in tasks:
    nb = nbformat.read(notebook, as_version=4)
    namespace = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
            namespace.update(params)
            continue
        lines = cell.source.rstrip().splitlines()
        body, last = "\n".join(lines[:-1]), lines[-1] if lines else ""
        exec(body, namespace)
        try:
            value = eval(last, namespace)
        except SyntaxError:
            exec(last, namespace)
            value = None
        render(value)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="demo")
    parser.add_argument("--mapping", default="")
    parser.add_argument("--period", default="last-month")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--reports", default="")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--skip-cli", action="store_true", help="do not run (c), the slow CLI loop")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from salesops_lib.catalog import CATALOG as REPORTS
    from salesops_lib.data import connect
    from salesops_lib.runner.config import ReviewConfig

    config = ReviewConfig(
        source=args.source,
        mapping=args.mapping,
        period=args.period,
        lang=args.lang,
        reports=tuple(r for r in args.reports.split(",") if r),
        jobs=args.jobs,
    )
    dataset = connect(config.source, config.mapping or None)  # make sure a demo file exists before timing
    names = [n for n in (config.reports or tuple(REPORTS)) if dataset.has(*REPORTS[n].requires)]
    tasks = [(str(REPORTS[n].notebook), {**config.common(), **config.report_params.get(n, {})}) for n in names]
    print(f"reports: {', '.join(names)} · source {config.source} · period {config.period}")
    out = Path(tempfile.mkdtemp(prefix="bench-review-"))
    figures: dict[str, float] = {}

    started = time.perf_counter()
    review = [
        str(BIN / "salesops"),
        "review",
        "--source",
        config.source,
        "--period",
        config.period,
        "--lang",
        config.lang,
        "--output",
        str(out / "a"),
        "--reports",
        ",".join(names),
    ]
    if config.mapping:
        review += ["--mapping", config.mapping]
    if args.jobs:
        review += ["--jobs", str(args.jobs)]
    subprocess.run(review, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    figures["a_runner"] = time.perf_counter() - started

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", PLAIN_WORKER, json.dumps(tasks)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    figures["b_plain_python"] = time.perf_counter() - started

    if not args.skip_cli:
        started = time.perf_counter()
        for notebook, params in tasks:
            executed = out / "c" / Path(notebook).name
            executed.parent.mkdir(parents=True, exist_ok=True)
            command = [str(BIN / "papermill"), notebook, str(executed), "--cwd", str(ROOT), "--no-progress-bar"]
            for key, value in params.items():
                command += ["-p", key, str(value)]
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        figures["c_cli_loop"] = time.perf_counter() - started

    print(f"(a) runner            {figures['a_runner']:7.1f} s")
    print(f"(b) plain Python      {figures['b_plain_python']:7.1f} s")
    ratio_ab = figures["a_runner"] / figures["b_plain_python"]
    print(f"(a)/(b) = {ratio_ab:.2f}  target <= 1.30  {'PASS' if ratio_ab <= 1.3 else 'MISS'}")
    if "c_cli_loop" in figures:
        print(f"(c) papermill+nbconvert CLI loop {figures['c_cli_loop']:7.1f} s")
        speedup = figures["c_cli_loop"] / figures["a_runner"]
        print(f"(c)/(a) = {speedup:.2f}  target >= 2.00  {'PASS' if speedup >= 2 else 'MISS'}")
    result = {"reports": names, "source": config.source, "period": config.period, **figures}
    target = ROOT / "benchmarks" / "out" / "bench_review.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
