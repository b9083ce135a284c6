"""Calibrate the demo generator against real sales data: the same statistics, side by side.

Run from the repository root (prints a Markdown table; ~30 s for two demo sizes)::

    PYTHONPATH=$PWD python benchmarks/calibrate_demo.py [--sizes small,default] [--seed 42]
                                                        [--as-of 2025-06-30] [--datasets ../shared/datasets]

Statistics (plain pandas; every data set reduced to deals ``rep, day, amount, won`` and a roster):

* weekly revenue per rep (won amount by ISO week of the close, zero weeks included, over the
  rep's active weeks): median CV across reps; share of rep-weeks below 80 % of the rep's own mean;
  share of (rep, 8-week window) pairs where "below 80 % of own mean three weeks running" fires;
* deal size (won deals): p90/p50, p99/p50, share of value in the top 1 % of deals;
* monthly company revenue: CV of month-over-month log change (``mom_sd``); seasonal amplitude =
  (max − min) of the calendar-month index (month ÷ its year's mean, averaged per calendar month);
* rep heterogeneity: CV of revenue across reps active the whole window;
* zero-deal reps: share of the roster with no won deal in the window;
* won-rate: won ÷ (won + lost) opportunities.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent.parent / "shared" / "datasets"
STATS = (
    ("weekly_cv_median", "weekly revenue CV per rep (median)"),
    ("share_weeks_below_80", "rep-weeks < 80 % of own mean"),
    ("share_fire_3_of_8", "rep × 8-week windows firing '< 80 % of own mean 3 weeks running'"),
    ("p90_p50", "won deal size p90 / p50"),
    ("p99_p50", "won deal size p99 / p50"),
    ("top1_share", "value share of top 1 % deals"),
    ("monthly_cv", "monthly company revenue CV (sd/mean)"),
    ("mom_sd", "sd of month-over-month log change"),
    ("season_amplitude", "seasonal amplitude (max − min of month index)"),
    ("rep_cv", "rep heterogeneity: CV of rep revenue"),
    ("zero_deal_share", "roster reps with no won deal in the window"),
    ("won_rate", "won ÷ (won + lost)"),
)


def weekly_stats(deals: pd.DataFrame, active: pd.DataFrame) -> dict[str, float]:
    """Weekly statistics of won revenue; ``active`` lists (rep, week) cells the rep worked."""
    won = deals[deals.won]
    week = won.day.dt.to_period("W-SUN").dt.start_time
    amount = won.groupby([won.rep, week]).amount.sum().rename("amount")
    cells = active.merge(amount.reset_index().rename(columns={"day": "week"}), on=["rep", "week"], how="left")
    cells["amount"] = cells.amount.fillna(0.0)
    cells = cells.sort_values(["rep", "week"])
    g = cells.groupby("rep").amount
    mean = g.transform("mean")
    keep = mean > 0
    cells, mean = cells[keep], mean[keep]
    cv = cells.groupby("rep").amount.agg(lambda s: s.std(ddof=1) / s.mean() if len(s) > 2 else np.nan)
    low = (cells.amount < 0.8 * mean).to_numpy()
    fired, windows = 0, 0
    for _, idx in cells.groupby("rep").indices.items():
        flags = low[idx]
        for start in range(0, len(flags) - 7, 8):
            run, hit = 0, False
            for f in flags[start : start + 8]:
                run = run + 1 if f else 0
                hit = hit or run >= 3
            fired += hit
            windows += 1
    return {
        "weekly_cv_median": float(cv.median()),
        "share_weeks_below_80": float(low.mean()),
        "share_fire_3_of_8": fired / windows if windows else float("nan"),
    }


def deal_stats(amounts: pd.Series) -> dict[str, float]:
    """Tail of the won deal sizes."""
    a = np.sort(amounts[amounts > 0].to_numpy())
    p50, p90, p99 = np.quantile(a, [0.5, 0.9, 0.99])
    top = a[-max(1, a.size // 100) :].sum() / a.sum()
    return {"p90_p50": p90 / p50, "p99_p50": p99 / p50, "top1_share": float(top)}


def monthly_stats(monthly: pd.Series) -> dict[str, float]:
    """Company monthly revenue (indexed by month start): CV, month-over-month sd, seasonal amplitude."""
    m = monthly.sort_index()
    out = {"monthly_cv": float(m.std(ddof=1) / m.mean()), "mom_sd": float(np.diff(np.log(m.to_numpy())).std(ddof=1))}
    years = m.groupby(m.index.year).transform("mean")
    full = m.groupby(m.index.year).transform("size") == 12
    if full.sum() >= 12:
        index = (m / years)[full].groupby(m.index[full].month).mean()
        out["season_amplitude"] = float(index.max() - index.min())
    else:
        out["season_amplitude"] = float("nan")
    return out


def maven(folder: Path) -> dict[str, float]:
    """Maven CRM (fictitious B2B hardware, 35 agents, Mar–Dec 2017 closes)."""
    p = pd.read_csv(folder / "sales_pipeline.csv", parse_dates=["close_date"])
    teams = pd.read_csv(folder / "sales_teams.csv")
    closed = p[p.deal_stage.isin(["Won", "Lost"])]
    deals = pd.DataFrame(
        {"rep": closed.sales_agent, "day": closed.close_date, "amount": closed.close_value.fillna(0.0)}
    ).assign(won=(closed.deal_stage == "Won").to_numpy())
    weeks = pd.date_range(deals.day.min().to_period("W-SUN").start_time, deals.day.max(), freq="W-MON")
    weeks = weeks[1:-1]  # complete weeks only
    reps = deals.rep.unique()
    active = pd.MultiIndex.from_product([reps, weeks], names=["rep", "week"]).to_frame(index=False)
    won = deals[deals.won]
    monthly = won.groupby(won.day.dt.to_period("M").dt.start_time).amount.sum()
    monthly = monthly[(monthly.index > monthly.index.min()) & (monthly.index < monthly.index.max())]
    rep_rev = won.groupby("rep").amount.sum()
    return {
        **weekly_stats(deals, active),
        **deal_stats(won.amount),
        **monthly_stats(monthly),
        "rep_cv": float(rep_rev.std(ddof=1) / rep_rev.mean()),
        "zero_deal_share": float(1 - teams.sales_agent.isin(won.rep).mean()),
        "won_rate": float(deals.won.mean()),
    }


def kaggle(folder: Path) -> dict[str, float]:
    """Kaggle sample sales (classic-models orders 2003–2005): order sizes and monthly revenue."""
    s = pd.read_csv(folder / "sales_data_sample.csv", encoding="latin-1", parse_dates=["ORDERDATE"])
    orders = s.groupby("ORDERNUMBER").agg(amount=("SALES", "sum"), day=("ORDERDATE", "first"))
    monthly = orders.groupby(orders.day.dt.to_period("M").dt.start_time).amount.sum()
    return {**deal_stats(orders.amount), **monthly_stats(monthly.iloc[:-1])}


def robyn(folder: Path) -> dict[str, float]:
    """Robyn simulated weekly revenue (2015–2019): weekly CV and monthly statistics."""
    w = pd.read_csv(folder / "dt_simulated_weekly.csv", parse_dates=["DATE"])
    monthly = w.groupby(w.DATE.dt.to_period("M").dt.start_time).revenue.sum()
    return {
        "weekly_cv_median": float(w.revenue.std(ddof=1) / w.revenue.mean()),
        **monthly_stats(monthly.iloc[1:-1]),
    }


def souvenirs(folder: Path) -> dict[str, float]:
    """fpp3 souvenirs: monthly sales of a beach-resort shop 1987–1993 (strong seasonality)."""
    s = pd.read_csv(folder / "fpp3_souvenirs_monthly_sales.csv")
    idx = pd.to_datetime(s.Month, format="%Y %b")
    return monthly_stats(pd.Series(s.Sales.to_numpy(), index=idx))


def demo(size: str, seed: int, as_of: dt.date, variant: str = "null") -> dict[str, float]:
    """The demo generator's data (null variant by default), measured the same way."""
    from salesops_lib.data.demo import generate_demo

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        generate_demo(path, size=size, variant=variant, seed=seed, as_of=as_of)
        con = duckdb.connect(str(path), read_only=True)
        start = pd.Timestamp(as_of) - pd.Timedelta(days=364)
        orders = con.execute("SELECT rep_id AS rep, ordered_at AS day, amount, opp_id FROM orders").df()
        opps = con.execute(
            "SELECT rep_id AS rep, closed_at AS day, amount, status = 'won' AS won FROM opportunities "
            "WHERE status <> 'open'"
        ).df()
        reps = con.execute("SELECT rep_id AS rep, hire_date, exit_date FROM reps").df()
        con.close()
    orders["day"] = pd.to_datetime(orders.day)
    opps["day"] = pd.to_datetime(opps.day)
    # revenue = every order (deals and key-account call-offs): what a rep books
    deals = orders.assign(won=True)
    window = deals[(deals.day >= start) & (deals.day <= pd.Timestamp(as_of))]
    first_week = start.to_period("W-SUN").start_time + pd.Timedelta(days=7)
    weeks = pd.date_range(first_week, pd.Timestamp(as_of) - pd.Timedelta(days=6), freq="W-MON")
    hire = pd.to_datetime(reps.hire_date)
    leave = pd.to_datetime(reps.exit_date).fillna(pd.Timestamp("2262-01-01"))
    grid = pd.MultiIndex.from_product([reps.rep, weeks], names=["rep", "week"]).to_frame(index=False)
    grid = grid.merge(pd.DataFrame({"rep": reps.rep, "hire": hire, "leave": leave}), on="rep")
    active = grid[(grid.hire <= grid.week) & (grid.leave >= grid.week + pd.Timedelta(days=6))][["rep", "week"]]
    full_year = reps[(hire <= start) & (leave >= pd.Timestamp(as_of))].rep
    rep_rev = window.groupby("rep").amount.sum().reindex(full_year, fill_value=0.0)
    roster = reps[(hire <= pd.Timestamp(as_of)) & (leave >= pd.Timestamp(as_of))].rep
    half = window[window.day >= pd.Timestamp(as_of) - pd.Timedelta(days=182)]
    monthly = orders[orders.day <= pd.Timestamp(as_of)].groupby(orders.day.dt.to_period("M").dt.start_time).amount.sum()
    won_deals = opps[opps.won & (opps.day >= start) & (opps.day <= pd.Timestamp(as_of))]
    closed = opps[(opps.day >= start) & (opps.day <= pd.Timestamp(as_of))]
    return {
        **weekly_stats(window, active),
        **deal_stats(won_deals.amount),
        **monthly_stats(monthly),
        "rep_cv": float(rep_rev.std(ddof=1) / rep_rev.mean()),
        "zero_deal_share": float(1 - roster.isin(half.rep).mean()),
        "won_rate": float(closed.won.mean()),
    }


def fmt(x: float | None) -> str:
    """A statistic for the table."""
    return "–" if x is None or not np.isfinite(x) else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    """Print the calibration table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="small,default")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--as-of", default="2025-06-30")
    ap.add_argument("--variant", default="null")
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    args = ap.parse_args(argv)
    d = args.datasets
    columns: dict[str, dict[str, float]] = {}
    for size in [s for s in args.sizes.split(",") if s]:
        columns[f"demo {size}"] = demo(size, args.seed, dt.date.fromisoformat(args.as_of), args.variant)
    columns["Maven CRM"] = maven(d / "maven_crm_sales_opportunities")
    columns["Kaggle sample sales"] = kaggle(d / "kaggle_sample_sales_data")
    columns["Robyn weekly"] = robyn(d / "robyn_simulated_mmm")
    columns["fpp3 souvenirs"] = souvenirs(d / "rdatasets_small_real_business")
    names = list(columns)
    print("| statistic | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key, label in STATS:
        print(f"| {label} | " + " | ".join(fmt(columns[n].get(key)) for n in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
