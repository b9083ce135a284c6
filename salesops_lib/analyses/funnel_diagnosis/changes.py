"""The month against its baseline: which unit's conversion changed at which step, and why.

Rates per calendar month: the lead → opportunity step by the lead's creation month (leads
created in the month that have a deal), and each stage by the month a deal *left* it (of the
deals that left the stage in the month, the share that moved on rather than being lost), so
the month is complete on its last day. The change is the month's rate ÷ the mean of the
baseline months' rates − 1. Each unit's month is tested against its pooled baseline with a
two-proportion z-test, widened by the dispersion the units' monthly rates show over the year
before (quasi-binomial: seasons and campaigns move rates more than chance does), and the
p-values of the units of one step are Holm-adjusted.

A change is then explained by a shift-share split over every other dimension: the change of
the unit's rate = Σ over segments of the *mix* effect (the segment's share of volume moved) and
the *rate* effect (the segment's own rate moved), which add up exactly.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel_diagnosis.stages import LEADS
from salesops_lib.analyses.funnel_diagnosis.stats import dispersion, holm, rate, two_proportion

COMPANY = "company"
SCREEN_COLUMNS = [
    "step",
    "k",
    "unit",
    "n_latest",
    "x_latest",
    "rate_latest",
    "n_baseline",
    "x_baseline",
    "rate_baseline",
    "rate_baseline_pooled",
    "change",
    "z",
    "p_value",
    "p_adjusted",
    "dispersion",
    "significant",
    "material",
]


def monthly_counts(
    stay: ir.Table, leads: ir.Table | None, by: list[str], first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Per month × ``by`` × step: ``n`` (leads, or deals that left the stage) and ``x``
    (converted leads, or deals that moved on). Steps: ``leads`` (k = −1) then each open stage.
    """
    parts = []
    if leads is not None:
        window = leads.filter((leads.created >= first) & (leads.created <= as_of))
        window = window.mutate(month=window.created.truncate("M"))
        frame: pd.DataFrame = (
            window.group_by(["month", *by]).agg(n=window.count(), x=window.converted.sum().cast("float64")).execute()
        )
        parts.append(frame.assign(step=LEADS, k=-1))
    done = stay.filter(stay.left.notnull() & (stay.left >= first) & (stay.left <= as_of))
    done = done.mutate(month=done.left.truncate("M"))
    frame = done.group_by(["month", "k", *by]).agg(n=done.count(), x=done.advanced.sum().cast("float64")).execute()
    parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out["month"] = pd.to_datetime(out["month"])
    out[["n", "x"]] = out[["n", "x"]].astype(float)
    return out


def screen(
    monthly: pd.DataFrame,
    unit: str,
    latest: pd.Timestamp,
    baseline: list[pd.Timestamp],
    *,
    alpha: float,
    min_change: float,
    steps: dict[int, str],
    history: list[pd.Timestamp],
) -> pd.DataFrame:
    """One row per step × unit (and the company): the month's rate against the baseline.

    The dispersion of each step is measured on the ``history`` months (the year before the
    month), so a one-month baseline is tested as carefully as a six-month one.
    """
    rows = []
    for k, step in steps.items():
        part = monthly[monthly["k"] == k]
        if part.empty:
            continue
        company = part.groupby("month", as_index=False)[["n", "x"]].sum().assign(**{unit: COMPANY})
        past = part[part["month"].isin(history)]
        phi = dispersion(past["x"].to_numpy(), past["n"].to_numpy(), past[unit].to_numpy())
        step_rows = [_screen_row(g, latest, baseline) | {"unit": name} for name, g in part.groupby(unit)]
        frame = pd.DataFrame(step_rows)
        if frame.empty:
            continue
        frame["z"], frame["p_value"] = two_proportion(
            frame["x_latest"], frame["n_latest"], frame["x_baseline"], frame["n_baseline"], dispersion=phi
        )
        frame["p_adjusted"] = holm(frame["p_value"])
        total = pd.DataFrame([_screen_row(company, latest, baseline) | {"unit": COMPANY}])
        total["z"], total["p_value"] = two_proportion(
            total["x_latest"], total["n_latest"], total["x_baseline"], total["n_baseline"], dispersion=phi
        )
        total["p_adjusted"] = total["p_value"]
        frame = pd.concat([total, frame], ignore_index=True)
        frame["step"], frame["k"], frame["dispersion"] = step, k, phi
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=SCREEN_COLUMNS)
    table = pd.concat(rows, ignore_index=True)
    table["significant"] = table["p_adjusted"] < alpha
    table["material"] = table["change"].abs() >= min_change
    return table[SCREEN_COLUMNS]


def _screen_row(group: pd.DataFrame, latest: pd.Timestamp, baseline: list[pd.Timestamp]) -> dict[str, float]:
    now = group[group["month"] == latest]
    base = group[group["month"].isin(baseline)]
    n1, x1 = float(now["n"].sum()), float(now["x"].sum())
    n0, x0 = float(base["n"].sum()), float(base["x"].sum())
    monthly = rate(base["x"], base["n"])
    monthly = monthly[np.isfinite(monthly)]
    mean = float(monthly.mean()) if monthly.size else np.nan
    r1 = float(rate(x1, n1))
    return {
        "n_latest": n1,
        "x_latest": x1,
        "rate_latest": r1,
        "n_baseline": n0,
        "x_baseline": x0,
        "rate_baseline": mean,
        "rate_baseline_pooled": float(rate(x0, n0)),
        "change": r1 / mean - 1 if mean and np.isfinite(mean) and np.isfinite(r1) else np.nan,
    }


def period_counts(
    table: ir.Table,
    date: str,
    flag: str,
    by: str,
    latest: dt.date,
    as_of: dt.date,
    baseline: list[tuple[dt.date, dt.date]],
) -> pd.DataFrame:
    """``n`` and ``x`` (sum of ``flag``) by ``by`` for the latest month and the pooled baseline
    months, rows of ``table`` placed by ``date``.
    """
    at = table[date]
    in_base = ibis.or_(*[(at >= lo) & (at <= hi) for lo, hi in baseline])
    in_latest = (at >= latest) & (at <= as_of)
    window = table.filter(in_base | in_latest).mutate(latest=in_latest)
    frame: pd.DataFrame = (
        window.group_by(["latest", by]).agg(n=window.count(), x=window[flag].sum().cast("float64")).execute()
    )
    frame[["n", "x"]] = frame[["n", "x"]].astype(float)
    return frame.rename(columns={by: "segment"})


def shift_share(frame: pd.DataFrame, *, dispersion: float = 1.0) -> pd.DataFrame:
    """Split the change of a pooled rate between two periods into segment mix and rate effects.

    ``frame`` has ``segment``, ``latest`` (bool), ``n``, ``x``. The effects of all segments add
    up to the change of the pooled rate exactly. Each segment's own change is tested (z, p) with
    the step's ``dispersion``.

    Examples
    --------
    >>> f = pd.DataFrame(
    ...     {
    ...         "segment": ["a", "b", "a", "b"],
    ...         "latest": [False, False, True, True],
    ...         "n": [50, 50, 50, 50],
    ...         "x": [25, 10, 10, 10],
    ...     }
    ... )
    >>> shift_share(f)[["segment", "mix", "rate", "effect"]]
      segment  mix  rate  effect
    0       a  0.0 -0.15   -0.15
    1       b  0.0  0.00    0.00
    """
    wide = frame.pivot_table(index="segment", columns="latest", values=["n", "x"], aggfunc="sum", fill_value=0)
    n0 = wide["n"].get(False, pd.Series(0.0, index=wide.index)).astype(float)
    n1 = wide["n"].get(True, pd.Series(0.0, index=wide.index)).astype(float)
    x0 = wide["x"].get(False, pd.Series(0.0, index=wide.index)).astype(float)
    x1 = wide["x"].get(True, pd.Series(0.0, index=wide.index)).astype(float)
    s0 = n0 / n0.sum() if n0.sum() else n0 * 0
    s1 = n1 / n1.sum() if n1.sum() else n1 * 0
    r0, r1 = pd.Series(rate(x0, n0), index=wide.index), pd.Series(rate(x1, n1), index=wide.index)
    r0, r1 = r0.fillna(r1).fillna(0.0), r1.fillna(r0).fillna(0.0)
    out = pd.DataFrame(
        {
            "segment": wide.index,
            "n_baseline": n0.to_numpy(),
            "n_latest": n1.to_numpy(),
            "rate_baseline": rate(x0, n0),
            "rate_latest": rate(x1, n1),
            "share_baseline": s0.to_numpy(),
            "share_latest": s1.to_numpy(),
            "mix": ((s1 - s0) * (r0 + r1) / 2).to_numpy(),
            "rate": ((r1 - r0) * (s0 + s1) / 2).to_numpy(),
        }
    )
    out["effect"] = out["mix"] + out["rate"]
    total = float(rate(x1.sum(), n1.sum()) - rate(x0.sum(), n0.sum()))
    out["share_of_change"] = out["effect"] / total if total else np.nan
    z, p = two_proportion(x1, n1, x0, n0, dispersion=dispersion)
    out["z"], out["p_value"] = z, p
    out["rate_change"] = out["rate_latest"] / out["rate_baseline"] - 1
    return out.reset_index(drop=True)
