"""Impact of a process change on a stage's duration and conversion.

Given the date a change took effect and the org units that adopted it, stays in the stage are
compared before and after: *before* = entries in the ``BEFORE_DAYS`` days before the date,
*after* = entries from the date to ``SETTLE_DAYS`` before the as-of date (so nearly every
stay has ended; only completed stays are timed). The difference-in-differences estimate is the
coefficient of adopting × after in a regression of the stay's days (or its moving on, 0/1) on
unit fixed effects, an after dummy and adopting × after, fitted on the unit × period cells
weighted by their stays (the same estimate as on the stays themselves), with a standard error
from each cell's own variance (heteroskedasticity-robust). The units that did not adopt are
the control: their change over the same dates is what would have happened anyway.

Without a date, the data are searched for one: on the stays entered on *even* days, each
unit's weekly stage durations are split at every week and the largest before/after
difference is tested with a Bonferroni bound over all splits, units and stages, and must move
the stage's days by at least :data:`MIN_BREAK` (on large data a season's small shift is
"significant" too); the stage whose breaks are strongest (Σ |t|, then the number of units)
wins, the units with a break of the same sign are the adopters and the median break week the date. A
break in every unit at once has no control units and cannot be told apart from a company-wide
shift (a season, the start of the data), so it is reported as such and not measured.
The estimate then uses only the stays entered on *odd* days — data the search never saw — so
its confidence interval stays honest (sample splitting).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from salesops_lib.analyses.funnel_diagnosis.facts import StagePlan
from salesops_lib.analyses.funnel_diagnosis.stats import normal_interval
from salesops_lib.errors import ConfigError

BEFORE_DAYS = 180
SETTLE_DAYS = 60
SEARCH_DAYS = 540
"""How far back the search for an undated change looks (entries from as-of − 540 days)."""
MIN_WEEKS = 8
"""Weeks a search split keeps on each side."""
MIN_BREAK = 0.10
"""A searched break must change the stage's mean days by at least this share to count."""
ORG_LEVELS = ("region", "team", "rep")
METRICS = ("days", "conversion")


@dataclass(frozen=True)
class ProcessChange:
    """What a process change did, or why it could not be measured."""

    #: given (by the parameters), detected (searched in the data), none (nothing found),
    #: company_wide (every unit shifted at once: no control) or too_recent (no completed stays after)
    method: str
    level: str = "region"
    stage: str = ""
    k: int = -1
    date: dt.date | None = None
    adopting: tuple[str, ...] = ()
    control: tuple[str, ...] = ()
    #: one row per stage × metric: before/after means of adopting and control units, the
    #: adopting units' before → after change and the difference-in-differences with CIs
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: unit × period cells of the headline stage: stays, mean days, conversion
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: weekly mean days of the headline stage, adopting vs control (for the plot)
    weekly: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per unit and stage: the search's largest split statistic and its week (detected only)
    search: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def headline(self) -> pd.Series | None:
        """The duration estimate of the headline stage (None when nothing was measured)."""
        if self.estimates.empty:
            return None
        rows = self.estimates[(self.estimates["k"] == self.k) & (self.estimates["metric"] == "days")]
        return rows.iloc[0] if len(rows) else None


def resolve_level(units: dict[str, set[str]], adopting: tuple[str, ...]) -> str:
    """The org level whose ids include every adopting id (region, then team, then rep)."""
    for level in ORG_LEVELS:
        if set(adopting) <= units[level]:
            return level
    unknown = sorted(set(adopting) - units["region"] - units["team"] - units["rep"])
    raise ConfigError(
        f"adopting units not found at one org level: {', '.join(unknown) or ', '.join(adopting)}",
        where="parameter adopting",
        fix="give region ids, team ids or rep ids (all of one level)",
    )


def measure(
    stay: ir.Table,
    plan: StagePlan,
    *,
    level: str,
    date: dt.date,
    adopting: tuple[str, ...],
    ks: list[int],
    as_of: dt.date,
    alpha: float,
    method: str = "given",
    parity: int | None = None,
    search: pd.DataFrame | None = None,
) -> ProcessChange:
    """Before/after and difference-in-differences estimates for the stages ``ks``."""
    settle = as_of - dt.timedelta(days=SETTLE_DAYS)
    lo = date - dt.timedelta(days=BEFORE_DAYS)
    done = stay.filter(
        stay.recorded & stay.left.notnull() & stay.k.isin(ks) & (stay.entered >= lo) & (stay.entered <= settle)
    )
    if parity is not None:
        done = done.filter(_parity(done.entered) == parity)
    done = done.mutate(after=done.entered >= date, unit=done[level])
    days = done.days.cast("float64")
    cells = (
        done.group_by(["k", "unit", "after"])
        .agg(
            n=done.count(),
            days_sum=days.sum(),
            days_sq=(days * days).sum(),
            moved=done.advanced.sum().cast("float64"),
        )
        .execute()
    )
    cells["adopting"] = cells["unit"].isin(adopting)
    estimates = (
        pd.concat([_estimate(cells[cells["k"] == k], k, plan.open_stages[k], alpha) for k in ks], ignore_index=True)
        if not cells.empty
        else pd.DataFrame()
    )
    k = _headline_stage(estimates, ks)
    units = set(cells["unit"])
    weekly = _weekly(done.filter(done.k == k), adopting)
    shown = cells[cells["k"] == k].copy()
    shown["mean_days"] = shown["days_sum"] / shown["n"]
    shown["conversion"] = shown["moved"] / shown["n"]
    return ProcessChange(
        method=method,
        level=level,
        stage=plan.open_stages[k],
        k=k,
        date=date,
        adopting=tuple(sorted(adopting)),
        control=tuple(sorted(units - set(adopting))),
        estimates=estimates,
        cells=shown[["unit", "adopting", "after", "n", "mean_days", "conversion"]].sort_values(
            ["adopting", "unit", "after"], ascending=[False, True, True]
        ),
        weekly=weekly,
        search=search if search is not None else pd.DataFrame(),
    )


def _parity(day: ir.DateValue) -> ir.IntegerValue:
    return cast("ir.IntegerValue", day.delta(ibis.date(2000, 1, 1), unit="day") % 2)  # an integer day count mod 2


def _headline_stage(estimates: pd.DataFrame, ks: list[int]) -> int:
    if len(ks) == 1 or estimates.empty:
        return ks[0]
    days = estimates[estimates["metric"] == "days"].copy()
    days["z"] = (days["did"] if days["did"].notna().any() else days["before_after"]).abs() / days["se"]
    return int(days.sort_values("z", ascending=False)["k"].iloc[0])


def _cell_moments(cells: pd.DataFrame, metric: str) -> pd.DataFrame:
    out = cells[["unit", "after", "adopting", "n"]].copy()
    n = cells["n"].astype(float)
    if metric == "days":
        mean = cells["days_sum"] / n
        var = (cells["days_sq"] - n * mean**2) / (n - 1).clip(lower=1)
    else:
        mean = cells["moved"] / n
        var = mean * (1 - mean) * n / (n - 1).clip(lower=1)
    out["mean"], out["var"] = mean, var.clip(lower=0)
    return out


def _estimate(cells: pd.DataFrame, k: int, stage: str, alpha: float) -> pd.DataFrame:
    rows = []
    for metric in METRICS:
        m = _cell_moments(cells, metric)
        row: dict[str, object] = {"k": k, "stage": stage, "metric": metric}
        for group, flag in (("adopting", True), ("control", False)):
            for period, after in (("before", False), ("after", True)):
                part = m[(m["adopting"] == flag) & (m["after"] == after)]
                n = part["n"].sum()
                row[f"{group}_{period}"] = float((part["mean"] * part["n"]).sum() / n) if n else np.nan
                row[f"{group}_{period}_n"] = float(n)
        before_after, se_ba = _difference(m[m["adopting"]])
        row["before_after"] = before_after
        row["before_after_lo"], row["before_after_hi"], row["before_after_p"] = normal_interval(
            before_after, se_ba, alpha
        )
        did, se = _did(m)
        row["did"], row["se"] = did, se if np.isfinite(did) else se_ba
        did_lo, did_hi, p_value = normal_interval(did, se, alpha)
        row["did_lo"], row["did_hi"], row["p_value"] = did_lo, did_hi, p_value
        row["significant"] = bool(p_value < alpha) if np.isfinite(p_value) else False
        rows.append(row)
    return pd.DataFrame(rows)


def _difference(m: pd.DataFrame) -> tuple[float, float]:
    """Pooled after − before of the given cells, with its standard error."""
    means, ses = [], []
    for after in (False, True):
        part = m[m["after"] == after]
        n = part["n"].sum()
        if not n:
            return np.nan, np.nan
        mean = (part["mean"] * part["n"]).sum() / n
        within = ((part["n"] - 1) * part["var"]).sum() + (part["n"] * (part["mean"] - mean) ** 2).sum()
        means.append(mean)
        ses.append(within / max(n - 1, 1) / n)
    return float(means[1] - means[0]), float(np.sqrt(sum(ses)))


def _did(m: pd.DataFrame) -> tuple[float, float]:
    """Weighted least squares on unit × period cells: unit effects, after, adopting × after."""
    both = m.groupby("unit")["after"].nunique()
    m = m[m["unit"].isin(both[both == 2].index)].sort_values(["unit", "after"])
    if m.empty or m["adopting"].all() or not m["adopting"].any():
        return np.nan, np.nan
    units = sorted(m["unit"].unique())
    x = np.column_stack(
        [
            *(np.asarray(m["unit"] == u, dtype=float) for u in units),
            np.asarray(m["after"], dtype=float),
            np.asarray(m["after"] & m["adopting"], dtype=float),
        ]
    )
    w, y = m["n"].to_numpy(float), m["mean"].to_numpy(float)
    bread = np.linalg.pinv(x.T @ (w[:, None] * x))
    beta = bread @ x.T @ (w * y)
    meat = x.T @ ((w * m["var"].to_numpy(float))[:, None] * x)
    cov = bread @ meat @ bread
    return float(beta[-1]), float(np.sqrt(max(cov[-1, -1], 0.0)))


def _weekly(stay: ir.Table, adopting: tuple[str, ...]) -> pd.DataFrame:
    stay = stay.mutate(week=stay.entered.truncate("W"), group=stay.unit.isin(list(adopting)))
    frame: pd.DataFrame = stay.group_by(["week", "group"]).agg(n=stay.count(), mean_days=stay.days.mean()).execute()
    frame["week"] = pd.to_datetime(frame["week"])
    frame["group"] = np.where(frame["group"], "adopting", "control")
    return frame.sort_values(["group", "week"]).reset_index(drop=True)


def search(
    stay: ir.Table, plan: StagePlan, *, level: str, ks: list[int], as_of: dt.date, alpha: float
) -> tuple[pd.DataFrame, tuple[int, dt.date, tuple[str, ...]] | None]:
    """Look for a break in the stage durations on the even-day stays.

    Returns the per unit × stage search table and, when found, (stage index, date, adopters).
    """
    settle = as_of - dt.timedelta(days=SETTLE_DAYS)
    lo = as_of - dt.timedelta(days=SEARCH_DAYS)
    done = stay.filter(
        stay.recorded & stay.left.notnull() & stay.k.isin(ks) & (stay.entered >= lo) & (stay.entered <= settle)
    )
    done = done.filter(_parity(done.entered) == 0)
    days = done.days.cast("float64")
    done = done.mutate(week=done.entered.truncate("W"), unit=done[level])
    weekly = (
        done.group_by(["k", "unit", "week"])
        .agg(
            n=done.count(),
            s=days.sum(),
            q=(days * days).sum(),
        )
        .execute()
    )
    if weekly.empty:
        return pd.DataFrame(), None
    weekly["week"] = pd.to_datetime(weekly["week"])
    rows = []
    for (k, unit), cells in weekly.groupby(["k", "unit"]):
        best = _best_split(cells.sort_values("week"))
        if best is not None:
            rows.append({"k": int(k), "stage": plan.open_stages[int(k)], "unit": unit, **best})
    table = pd.DataFrame(rows)
    if table.empty:
        return table, None
    tests = table["splits"].sum()
    critical = float(stats.norm.isf(alpha / (2 * tests)))
    table["critical"] = critical
    size = (table["after_days"] - table["before_days"]).abs() / table["before_days"].where(table["before_days"] > 0)
    table["significant"] = (table["t"].abs() > critical) & (size >= MIN_BREAK)
    hits = table[table["significant"]]
    if hits.empty:
        return table, None
    hits = hits.assign(sign=np.sign(hits["t"]))
    score = hits.groupby(["k", "sign"]).agg(units=("unit", "count"), strength=("t", lambda s: s.abs().sum()))
    # Index.map takes a Series as its mapping; pandas-stubs only list Mapping and callables
    score["all_units"] = score.index.get_level_values("k").map(table.groupby("k")["unit"].nunique())  # type: ignore[arg-type]
    score = score[score["units"] < score["all_units"]]  # every unit at once: no control, a company-wide shift
    if score.empty:
        return table, None
    k, sign = score.sort_values(["strength", "units"], ascending=False).index[0]
    chosen = hits[(hits["k"] == k) & (hits["sign"] == sign)]
    weeks = sorted(chosen["week"])
    date = weeks[(len(weeks) - 1) // 2].date()
    return table, (int(k), date, tuple(sorted(chosen["unit"])))


def _best_split(part: pd.DataFrame) -> dict[str, object] | None:
    n, s, q = (part[c].to_numpy(float) for c in ("n", "s", "q"))
    weeks = len(part)
    if weeks < 2 * MIN_WEEKS:
        return None
    cn, cs, cq = np.cumsum(n), np.cumsum(s), np.cumsum(q)
    best: dict[str, object] | None = None
    for j in range(MIN_WEEKS, weeks - MIN_WEEKS + 1):
        n0, s0, q0 = cn[j - 1], cs[j - 1], cq[j - 1]
        n1, s1, q1 = cn[-1] - n0, cs[-1] - s0, cq[-1] - q0
        if n0 < 2 or n1 < 2:
            continue
        m0, m1 = s0 / n0, s1 / n1
        v0, v1 = (q0 - n0 * m0**2) / (n0 - 1), (q1 - n1 * m1**2) / (n1 - 1)
        se = np.sqrt(max(v0, 0) / n0 + max(v1, 0) / n1)
        if se <= 0:
            continue
        t = (m1 - m0) / se
        if best is None or abs(t) > abs(best["t"]):  # type: ignore[arg-type]
            best = {"t": float(t), "week": part["week"].iloc[j], "before_days": float(m0), "after_days": float(m1)}
    if best is not None:
        best["splits"] = weeks - 2 * MIN_WEEKS + 1
    return best
