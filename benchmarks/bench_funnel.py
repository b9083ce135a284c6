"""Benchmark: the funnel diagnosis' compute on the demo data (default size unless told).

Run by hand (it is a benchmark, not a test)::

    .venv/bin/python benchmarks/bench_funnel.py                  # default demo, last month
    .venv/bin/python benchmarks/bench_funnel.py --source demo:small:2025-06-30 --period 2025-06

Prints the input sizes, then for each of ``--runs`` runs the wall and CPU time of
``funnel_diagnosis.compute`` (connecting and generating the demo file are outside the clock; the first
run includes DuckDB's cold caches), and the time of the two engine fact tables alone, which
every section aggregates. Target (funnel issue): the report's compute on the default demo
data under 10 s. A miss is printed, not raised.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="demo")
    parser.add_argument("--period", default="last-month")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from salesops_lib.analyses.funnel_diagnosis import FunnelDiagnosisParams, compute
    from salesops_lib.analyses.funnel_diagnosis.facts import deal_facts, lead_facts, stage_plan
    from salesops_lib.config.scope import RunScope
    from salesops_lib.data import connect

    data = connect(args.source)
    scope, params = RunScope(source=args.source, period=args.period), FunnelDiagnosisParams()
    sizes = {name: int(data.table(name).count().execute()) for name in ("opportunities", "stage_history", "leads")}
    print(f"source {data.source}  period {scope.period}")
    print("rows: " + ", ".join(f"{name} {n:,}" for name, n in sizes.items()))

    walls, cpus = [], []
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        result = compute(data, scope, params)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        print(f"run {run}: compute {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU, {len(result.findings)} findings")

    plan = stage_plan(data.stages)
    _first, as_of = scope.month
    wall = time.perf_counter()
    with deal_facts(data, plan, as_of).cache() as deals, lead_facts(data, as_of).cache() as leads:
        rows = int(deals.count().execute()), int(leads.count().execute())
    facts = time.perf_counter() - wall
    print(f"fact tables alone (whole history, {rows[0]:,} deals, {rows[1]:,} leads): {facts:.2f} s")

    best, median = min(walls), statistics.median(walls)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"compute: best {best:.2f} s, median {median:.2f} s; peak RSS {peak:,.0f} MB")
    verdict = "met" if median < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:.0f} s (median): {verdict}")


if __name__ == "__main__":
    main()
