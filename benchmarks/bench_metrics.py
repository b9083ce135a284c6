"""Benchmark: win rate by rep × month through the metric layer vs pandas, at 5 M and 20 M deals.

Run by hand (it is a benchmark, not a test)::

    .venv/bin/python benchmarks/bench_metrics.py            # 5 M and 20 M rows
    .venv/bin/python benchmarks/bench_metrics.py --quick    # 200 k and 800 k rows, a smoke run

For each size the script generates (once, cached) a DuckDB file with the canonical tables
``reps`` and ``opportunities``, then runs each mode in a fresh Python process:

``metric``  ``salesops_lib.data.connect(path)`` + ``compute_metric(ds, "win_rate", Grain(month, rep))``
            — the workbench's path: the engine aggregates, only the result becomes pandas;
``pandas``  ``duckdb.connect(path).table("opportunities").df()`` then filter / groupby in pandas
            — what an analyst does without the metric layer;
``sql``     one hand-written DuckDB query — the floor the metric layer can hope for.

Each worker reports its wall time from process start (interpreter start-up, imports and
connecting included), the split import / load / compute, its CPU time (less sensitive than
wall time to other work on the machine) and its peak RSS. Peak RSS is ``VmHWM`` from
``/proc/self/status``, the high-water mark of the worker's own address space: ``ru_maxrss``
is also recorded but on Linux it starts from the parent's RSS when ``subprocess`` spawns with
vfork, so it can report the parent's memory rather than the worker's. The parent also times
the whole subprocess, and the data are generated in their own process before any
measurement. The
results of all modes must agree (rows, won and closed counts, month-weighted counts): a
mismatch exits with status 1 before any figure is judged. The figures go to stdout and to
``<out>/bench_metrics.json``.

Targets (Foundation issue): the metric layer's peak RSS nearly flat from the smallest to the
largest size (here: grows by at most 25 %), at least 5× below pandas at the largest size, and
its wall time below pandas' at every size. A miss is printed, not raised: the exit status only
reports errors and wrong results.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # as early as possible: the worker's clock starts here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "out"
FULL_SIZES = (5_000_000, 20_000_000)
QUICK_SIZES = (200_000, 800_000)
MODES = ("metric", "pandas", "sql")
N_REPS = 2_000
N_CUSTOMERS = 200_000
DATA_VERSION = 1  # bump when the generator changes: cached files are regenerated

# targets
FLAT_MAX_GROWTH = 1.25  # RSS(metric, largest) / RSS(metric, smallest)
RSS_MIN_RATIO = 5.0  # RSS(pandas) / RSS(metric) at the largest size
# wall(metric) < wall(pandas) at every size


# --------------------------------------------------------------------------- data


def _size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _generate(path: Path, n: int) -> None:
    """Write ``reps`` and ``opportunities`` (``n`` rows) to a new DuckDB file, all in SQL.

    Deterministic (hash of the row number, no RNG state), streamed from ``range()`` so the
    generator never holds the table in Python. Deals are created over three years
    (2022-01-01 … 2024-12-31); a deal closes 7–186 days after creation unless that is past the
    as-of date 2024-12-31 (then it is still open), and about a fifth of the rest are left open
    anyway. Win probability varies by rep (15 %–45 %), amounts are skewed by product.
    """
    import duckdb

    tmp = path.with_suffix(".tmp.duckdb")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"""
            CREATE TABLE reps AS
            SELECT
                'R' || lpad(i::VARCHAR, 5, '0')                         AS rep_id,
                'Rep ' || i                                             AS name,
                'T' || lpad((i % 100)::VARCHAR, 3, '0')                 AS team,
                'G' || ((i % 100) % 8)::VARCHAR                         AS region,
                CASE WHEN hash(i, 1) % 4 = 0 THEN NULL
                     ELSE DATE '2018-01-01' + (hash(i, 2) % 2500)::INTEGER END AS hire_date,
                CASE WHEN hash(i, 3) % 10 = 0
                     THEN DATE '2023-01-01' + (hash(i, 4) % 700)::INTEGER END  AS exit_date
            FROM range({N_REPS}) t(i)
        """)
        con.execute(f"""
            CREATE TABLE opportunities AS
            WITH base AS (
                SELECT
                    i,
                    (hash(i, 11) % {N_REPS})::INTEGER                   AS rep,
                    (hash(i, 12) % 12)::INTEGER                         AS prod,
                    DATE '2022-01-01' + (hash(i, 13) % 1096)::INTEGER   AS created_at,
                    (7 + hash(i, 14) % 180)::INTEGER                    AS cycle,
                    (hash(i, 15) % 1000)::INTEGER                       AS u_status,
                    (hash(i, 16) % 100000)::INTEGER / 100000.0          AS u_amount,
                    (hash(i, 17) % 10)::INTEGER                         AS u_misc
                FROM range({n}) t(i)
            ), decided AS (
                SELECT *,
                    CASE
                        WHEN created_at + cycle > DATE '2024-12-31' OR u_status >= 800 THEN 'open'
                        -- win probability of the rep: 15 % … 45 % of closed deals
                        WHEN u_status < (150 + (hash(rep, 99) % 300))::INTEGER * 0.8 THEN 'won'
                        ELSE 'lost'
                    END AS status
                FROM base
            )
            SELECT
                'O' || lpad(i::VARCHAR, 9, '0')                                   AS opp_id,
                CASE WHEN u_misc < 7 THEN 'L' || lpad(i::VARCHAR, 9, '0') END    AS lead_id,
                'C' || lpad((hash(i, 18) % {N_CUSTOMERS})::VARCHAR, 6, '0')       AS customer_id,
                'R' || lpad(rep::VARCHAR, 5, '0')                                 AS rep_id,
                'P' || lpad((prod + 1)::VARCHAR, 2, '0')                          AS product,
                round((500 + 500 * prod) * exp(3.0 * u_amount), 2)::DOUBLE        AS amount,
                created_at,
                status,
                CASE WHEN status <> 'open' THEN created_at + cycle END            AS closed_at,
                created_at + (30 + hash(i, 19) % 150)::INTEGER                    AS expected_close,
                CASE WHEN status = 'lost'
                     THEN ['price', 'competitor', 'no budget', 'timing', 'no decision'][1 + u_misc % 5]
                END                                                               AS lost_reason
            FROM decided
        """)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.rename(path)


def _dataset(data_dir: Path, n: int) -> tuple[Path, float | None]:
    """The cached DuckDB file for ``n`` rows (generated when absent) and the generation time."""
    path = data_dir / f"opps_{_size_label(n)}_v{DATA_VERSION}.duckdb"
    if path.is_file():
        return path, None
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"generating {path.name} ({n:,} opportunities) …", flush=True)
    t = time.perf_counter()
    # in its own process, so that the parent stays small and its memory cannot leak into the figures
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--generate", str(n), str(path)], check=True, cwd=ROOT
    )
    took = time.perf_counter() - t
    print(f"  done in {took:.1f} s, {path.stat().st_size / 2**20:,.0f} MB on disk", flush=True)
    return path, took


# --------------------------------------------------------------------------- workers


def _checksum(frame, period: str, rep: str, num: str, den: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Order-independent fingerprint of a rep × month result (small frame, pandas)."""
    import pandas as pd

    months = pd.to_datetime(frame[period])
    ordinal = (months.dt.year * 12 + months.dt.month - 1).astype("int64")
    n = frame[num].astype("int64")
    d = frame[den].astype("int64")
    return {
        "rows": len(frame),
        "reps": int(frame[rep].nunique()),
        "won": int(n.sum()),
        "closed": int(d.sum()),
        "won_x_month": int((n * ordinal).sum()),
        "closed_x_month": int((d * ordinal).sum()),
    }


def _duckdb_memory(con) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """DuckDB's own accounting (MB by tag), e.g. BASE_TABLE = table blocks kept in the buffer pool."""
    rows = con.sql("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0").fetchall()
    return {tag: round(b / 2**20, 1) for tag, b in rows}


Work = tuple[dict[str, float], dict[str, float], dict[str, float]]


def _work_metric(path: str) -> Work:
    t = time.perf_counter()
    from salesops_lib.data import connect
    from salesops_lib.metrics import Grain, compute_metric

    t_import = time.perf_counter()
    ds = connect(path)
    t_load = time.perf_counter()
    result = compute_metric(ds, "win_rate", Grain(period="month", level="rep"))
    t_compute = time.perf_counter()
    check = _checksum(result, "period", "unit", "numerator", "denominator")
    split = {"import": t_import - t, "load": t_load - t_import, "compute": t_compute - t_load}
    return check, split, _duckdb_memory(ds.backend.con)


def _work_pandas(path: str) -> Work:
    t = time.perf_counter()
    import duckdb
    import pandas as pd

    t_import = time.perf_counter()
    df = duckdb.connect(path, read_only=True).table("opportunities").df()
    t_load = time.perf_counter()
    closed = df[df["status"].isin(["won", "lost"]) & df["closed_at"].notna()]
    month = pd.to_datetime(closed["closed_at"]).dt.to_period("M").dt.to_timestamp()
    result = (
        closed.assign(won=closed["status"].eq("won"), period=month)
        .groupby(["rep_id", "period"], as_index=False)
        .agg(won=("won", "sum"), closed=("won", "size"))
    )
    result["win_rate"] = result["won"] / result["closed"]
    t_compute = time.perf_counter()
    check = _checksum(result, "period", "rep_id", "won", "closed")
    return check, {"import": t_import - t, "load": t_load - t_import, "compute": t_compute - t_load}, {}


def _work_sql(path: str) -> Work:
    t = time.perf_counter()
    import duckdb
    import pandas  # noqa: F401  (.df() would import it; count it as import, not compute)

    t_import = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    t_load = time.perf_counter()
    result = con.sql("""
        SELECT rep_id, date_trunc('month', closed_at) AS period,
               count(*) FILTER (WHERE status = 'won') AS won, count(*) AS closed,
               won / closed AS win_rate
        FROM opportunities
        WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL
        GROUP BY ALL ORDER BY ALL
    """).df()
    t_compute = time.perf_counter()
    check = _checksum(result, "period", "rep_id", "won", "closed")
    split = {"import": t_import - t, "load": t_load - t_import, "compute": t_compute - t_load}
    return check, split, _duckdb_memory(con)


WORKERS = {"metric": _work_metric, "pandas": _work_pandas, "sql": _work_sql}


def _peak_rss_mb() -> float | None:
    """High-water RSS of this process's own address space (VmHWM), None where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def _worker(mode: str, path: str) -> None:
    """Run one mode and print one JSON line: checksum, timings, peak RSS."""
    check, split, duck_mem = WORKERS[mode](path)
    t_end = time.perf_counter()
    import psutil

    proc = psutil.Process()
    since_start = time.time() - proc.create_time()  # includes interpreter start-up
    usage = resource.getrusage(resource.RUSAGE_SELF)
    maxrss_mb = usage.ru_maxrss / 1024  # KB on Linux
    hwm = _peak_rss_mb()
    print(
        json.dumps(
            {
                "mode": mode,
                "check": check,
                "wall_from_module_s": t_end - _T0,
                "wall_from_process_start_s": since_start,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "split_s": split,
                "peak_rss_mb": hwm if hwm is not None else maxrss_mb,
                "ru_maxrss_mb": maxrss_mb,
                "duckdb_memory_mb": duck_mem,
                "threads": proc.num_threads(),
            }
        )
    )


# --------------------------------------------------------------------------- driver


def _run(mode: str, path: Path) -> dict:  # type: ignore[type-arg]
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", mode, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"worker {mode} on {path.name} failed (exit {done.returncode})")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall_parent_s"] = wall
    return report


def _best(runs: list[dict]) -> dict:  # type: ignore[type-arg]
    """Of repeated runs: the run with the median wall time, reporting the highest peak RSS."""
    walls = sorted(r["wall_parent_s"] for r in runs)
    best = dict(min(runs, key=lambda r: abs(r["wall_parent_s"] - walls[len(walls) // 2])))
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    best["wall_runs_s"] = [round(r["wall_parent_s"], 3) for r in runs]
    best["rss_runs_mb"] = [round(r["peak_rss_mb"], 1) for r in runs]
    return best


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=None, help="comma-separated row counts (default 5000000,20000000)")
    parser.add_argument("--quick", action="store_true", help="smoke run on 200k and 800k rows")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {','.join(MODES)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode and size (median wall, max RSS)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_OUT, help="where the DuckDB files are cached")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where bench_metrics.json is written")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        _worker(*args.worker)
        return 0
    if args.generate:
        _generate(Path(args.generate[1]), int(args.generate[0]))
        return 0

    sizes = (
        [int(s.replace("_", "")) for s in args.sizes.split(",")]
        if args.sizes
        else list(QUICK_SIZES if args.quick else FULL_SIZES)
    )
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(sorted(unknown))}; use {', '.join(MODES)}")
    started = time.perf_counter()

    results: dict[int, dict[str, dict]] = {}  # type: ignore[type-arg]
    generated: dict[int, float | None] = {}
    paths: dict[int, Path] = {}
    for n in sizes:  # all data first: no measurement runs while a file is being written
        paths[n], generated[n] = _dataset(args.data_dir, n)
    if any(t is not None for t in generated.values()):
        os.sync()
    for n in sizes:
        path = paths[n]
        runs: dict[str, list[dict]] = {m: [] for m in modes}  # type: ignore[type-arg]
        for _ in range(args.repeat):
            for mode in modes:  # interleaved, so a warm or cold machine affects every mode alike
                r = _run(mode, path)
                runs[mode].append(r)
                print(
                    f"  {_size_label(n):>5} {mode:<7} {r['wall_parent_s']:6.2f} s  "
                    f"{r['cpu_s']:6.2f} s CPU  {r['peak_rss_mb']:7.0f} MB",
                    flush=True,
                )
        results[n] = {m: _best(rs) for m, rs in runs.items()}

    # correctness first: every mode must produce the same numbers
    wrong = []
    for n, by_mode in results.items():
        checks = {m: r["check"] for m, r in by_mode.items()}
        ref_mode = "pandas" if "pandas" in checks else next(iter(checks))
        for m, c in checks.items():
            if c != checks[ref_mode]:
                wrong.append(f"{_size_label(n)}: {m} {c} != {ref_mode} {checks[ref_mode]}")

    # table
    print()
    print(
        f"win rate by rep × month — {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    header = (
        f"{'size':>6} {'mode':<7} {'wall s':>7} {'(in proc)':>9} {'import':>7} {'load':>7} "
        f"{'compute':>8} {'CPU s':>6} {'peak RSS MB':>12} {'DuckDB buf MB':>14} {'result rows':>12}"
    )
    print(header)
    print("-" * len(header))
    for n, by_mode in results.items():
        for m, r in by_mode.items():
            s = r["split_s"]
            buf = r["duckdb_memory_mb"].get("BASE_TABLE")
            print(
                f"{_size_label(n):>6} {m:<7} {r['wall_parent_s']:7.2f} {r['wall_from_process_start_s']:9.2f} "
                f"{s['import']:7.2f} {s['load']:7.2f} {s['compute']:8.2f} {r['cpu_s']:6.2f} "
                f"{r['peak_rss_mb']:12.0f} {'' if buf is None else f'{buf:.0f}':>14} {r['check']['rows']:12,}"
            )
    print("wall s = the subprocess as timed by the parent; (in proc) = from process start, as seen by the worker;")
    print("load = connect() for metric/sql, reading the table into pandas for pandas; peak RSS = VmHWM;")
    print("DuckDB buf = table blocks DuckDB keeps cached after the query (duckdb_memory() BASE_TABLE)")

    # ratios and targets
    ratios: dict[str, float] = {}
    targets: list[dict] = []  # type: ignore[type-arg]
    print()
    if "metric" in modes and "pandas" in modes:
        for n, by_mode in results.items():
            rss = by_mode["pandas"]["peak_rss_mb"] / by_mode["metric"]["peak_rss_mb"]
            wall = by_mode["metric"]["wall_parent_s"] / by_mode["pandas"]["wall_parent_s"]
            ratios[f"rss_pandas_over_metric_{_size_label(n)}"] = rss
            ratios[f"wall_metric_over_pandas_{_size_label(n)}"] = wall
            print(f"{_size_label(n):>6}: RSS pandas / metric = {rss:5.2f}×   wall metric / pandas = {wall:5.2f}")
            targets.append(
                {"target": f"wall(metric) < wall(pandas) at {_size_label(n)}", "value": wall, "met": wall < 1.0}
            )
        lo, hi = min(results), max(results)
        big = ratios[f"rss_pandas_over_metric_{_size_label(hi)}"]
        targets.append(
            {
                "target": f"RSS(pandas) / RSS(metric) ≥ {RSS_MIN_RATIO:g} at {_size_label(hi)}",
                "value": big,
                "met": big >= RSS_MIN_RATIO,
            }
        )
        if lo != hi:
            growth = results[hi]["metric"]["peak_rss_mb"] / results[lo]["metric"]["peak_rss_mb"]
            ratios[f"rss_metric_{_size_label(hi)}_over_{_size_label(lo)}"] = growth
            print(f"RSS metric {_size_label(hi)} / {_size_label(lo)} = {growth:.2f}")
            # context: how much of the growth is DuckDB keeping the scanned table blocks cached
            cache = [results[k]["metric"]["duckdb_memory_mb"].get("BASE_TABLE", 0.0) for k in (lo, hi)]
            rest = [results[k]["metric"]["peak_rss_mb"] - c for k, c in zip((lo, hi), cache, strict=True)]
            ratios[f"rss_metric_without_duckdb_table_cache_{_size_label(hi)}_over_{_size_label(lo)}"] = (
                rest[1] / rest[0]
            )
            print(
                f"  of which DuckDB's table-block cache: {cache[0]:.0f} → {cache[1]:.0f} MB; "
                f"the rest: {rest[0]:.0f} → {rest[1]:.0f} MB ({rest[1] / rest[0]:.2f}×)"
            )
            if "sql" in results[hi]:
                floor = results[hi]["sql"]["peak_rss_mb"] / results[lo]["sql"]["peak_rss_mb"]
                ratios[f"rss_sql_{_size_label(hi)}_over_{_size_label(lo)}"] = floor
                print(f"  hand-written SQL for comparison: {floor:.2f}")
            targets.insert(
                0,
                {
                    "target": f"RSS(metric) nearly flat {_size_label(lo)} → {_size_label(hi)} (≤ {FLAT_MAX_GROWTH:g}×)",
                    "value": growth,
                    "met": growth <= FLAT_MAX_GROWTH,
                },
            )
    if "metric" in modes and "sql" in modes:
        for n, by_mode in results.items():
            over = by_mode["metric"]["wall_parent_s"] / by_mode["sql"]["wall_parent_s"]
            ratios[f"wall_metric_over_sql_{_size_label(n)}"] = over
            print(f"{_size_label(n):>6}: wall metric / hand-written SQL = {over:5.2f}")
    if targets:
        print()
        for t in targets:
            print(f"  {_verdict(t['met'])}  {t['target']}: {t['value']:.2f}")
    elapsed = time.perf_counter() - started
    print(f"\nchecksums: {'all modes agree' if not wrong else 'MISMATCH'}; run took {elapsed:.0f} s")
    for line in wrong:
        print("  " + line)

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "bench_metrics.json"
    out.write_text(
        json.dumps(
            {
                "sizes": sizes,
                "modes": modes,
                "repeat": args.repeat,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "generation_s": {str(n): t for n, t in generated.items()},
                "results": {str(n): by_mode for n, by_mode in results.items()},
                "ratios": ratios,
                "targets": targets,
                "checksums_agree": not wrong,
                "mismatches": wrong,
                "elapsed_s": elapsed,
            },
            indent=2,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"figures written to {out}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
