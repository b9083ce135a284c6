"""The month against its baseline: which unit's conversion changed at which step, and why.

Rates per calendar month: the lead → opportunity step by the lead's creation month (leads
created in the month that have a deal), and each stage by the month a deal *left* it (of the
deals that left the stage in the month, the share that moved on rather than being lost), so
the month is complete on its last day. Each unit's (and the company's) month is tested against
its seasonal expectation (:mod:`.seasonal`: the baseline months' mean rate × the calendar
month's factor, with the dispersion of the same method's errors over the year before), and
the p-values of every cell of the screen are Benjamini–Hochberg-adjusted together.

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

from salesops_lib.analyses.funnel_diagnosis import seasonal as season
from salesops_lib.analyses.funnel_diagnosis.facts import rows_of
from salesops_lib.analyses.funnel_diagnosis.stages import LEADS
from salesops_lib.analyses.funnel_diagnosis.stats import rate, two_proportion
from salesops_lib.analyses.multiplicity import bh_adjust, discoveries

COMPANY = "company"
SCREEN_COLUMNS = [
    "step",
    "k",
    "unit",
    "stratum",
    "n_latest",
    "x_latest",
    "rate_latest",
    "n_baseline",
    "x_baseline",
    "rate_baseline",
    "rate_baseline_pooled",
    "seasonal_factor",
    "seasonal_years",
    "rate_expected",
    "change",
    "z",
    "p_value",
    "p_adjusted",
    "dispersion",
    "df",
    "significant",
    "survives",
    "material",
]


def monthly_counts(
    stay: ir.Table, leads: ir.Table | None, by: list[str], first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Per month × ``by`` × step: ``n`` (leads, or deals that left the stage) and ``x``
    (converted leads, or deals that moved on). Steps: ``leads`` (k = −1) then each open stage.
    """
    parts = [] if leads is None else [lead_counts(leads, by, first, as_of)]
    done = stay.filter(stay.left.notnull() & (stay.left >= first) & (stay.left <= as_of))
    done = done.mutate(month=done.left.truncate("M"))
    frame = done.group_by(["month", "k", *by]).agg(n=done.count(), x=done.advanced.sum().cast("float64")).execute()
    parts.append(frame)
    return _tidy(pd.concat(parts, ignore_index=True))


def lead_counts(leads: ir.Table, by: list[str], first: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Leads created per month × ``by`` (``n``) and those that became a deal (``x``), step ``leads``."""
    window = leads.filter((leads.created >= first) & (leads.created <= as_of))
    window = window.mutate(month=window.created.truncate("M"))
    frame: pd.DataFrame = (
        window.group_by(["month", *by]).agg(n=rows_of(window), x=window.converted.sum().cast("float64")).execute()
    )
    return _tidy(frame.assign(step=LEADS, k=-1))


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame["month"] = pd.to_datetime(frame["month"])
    frame[["n", "x"]] = frame[["n", "x"]].astype(float)
    return frame


def screen(
    monthly: pd.DataFrame,
    unit: str,
    latest: pd.Timestamp,
    offsets: tuple[int, ...],
    *,
    min_change: float,
    steps: dict[int, str],
    strata: pd.DataFrame | None = None,
    seasonal: bool = True,
) -> pd.DataFrame:
    """One row per step × unit (and the company): the month's rate against its expected rate.

    Expected = the mean rate of the months ``offsets`` before × the calendar month's seasonal
    factor (:mod:`.seasonal`, from the company's series of the step; ``seasonal`` False for
    none). Each row is tested with the dispersion its kind of series showed over the
    :data:`HISTORY` months before. ``strata`` (lead counts by month × unit × ``channel``)
    adds to the lead step, per unit, a stratified row (``stratum`` :data:`MIX_HELD`: each
    channel of the unit against its own expected rate, summed, Cochran–Mantel–Haenszel-like,
    so a drop inside channels is not diluted by a moving mix) and one row per channel. Every row's p-value is then
    Benjamini–Hochberg-adjusted with all the others (:mod:`salesops_lib.analyses.multiplicity`).
    """
    index = pd.date_range(monthly["month"].min() if len(monthly) else latest, latest, freq="MS")
    rows: list[pd.DataFrame] = []
    for k, step in steps.items():
        part = monthly[monthly["k"] == k]
        if part.empty or not (part["month"] == latest).any():
            continue
        n, x, names = _wide(part, [unit], index)
        keep = _settled(n.sum(axis=1))
        n, x = n[keep:], x[keep:]
        company = season.season(x.sum(axis=1, keepdims=True), n.sum(axis=1, keepdims=True), offsets, adjust=seasonal)
        units = season.Season(
            np.repeat(company.factor, n.shape[1], axis=1),
            np.repeat(company.var, n.shape[1], axis=1),
            company.years.repeat(n.shape[1]),
        )
        frame = pd.concat(
            [
                _rows(x.sum(axis=1, keepdims=True), n.sum(axis=1, keepdims=True), [COMPANY], offsets, company),
                _rows(x, n, [name[0] for name in names], offsets, units),
            ],
            ignore_index=True,
        )
        if k == -1 and strata is not None and strata["channel"].nunique() > 1:  # one channel: nothing to hold
            frame = _stratified(frame, strata, unit, index[keep:], offsets, seasonal)
        frame["step"], frame["k"] = step, k
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=SCREEN_COLUMNS)
    table = pd.concat(rows, ignore_index=True).rename(columns={"series": "unit"})
    table["p_adjusted"] = bh_adjust(table["p_value"])
    table["significant"] = discoveries(table["p_value"])
    table["survives"] = _survives(table)
    table["material"] = table["change"].abs() >= min_change
    return table[SCREEN_COLUMNS]


MIX_HELD = "*"
"""``stratum`` of a lead-step row tested with its channel mix held (other strata are channels)."""


def _survives(table: pd.DataFrame) -> pd.Series:
    """True for a unit row (``stratum`` "") that, or one of whose strata moving the same way,
    is a discovery; strata rows keep their own ``significant``.
    """
    sign = np.sign(table["change"])
    key = [table["k"], table["unit"], sign]
    any_cell = table["significant"].groupby(key).transform("any")
    return pd.Series(np.where(table["stratum"] == "", any_cell, table["significant"]), index=table.index)


RAMP_SHARE = 0.75
"""A series starts at its first month with at least this share of its median monthly volume:
the first months of an export are often partial (deals that left a stage only by moving on)."""
HISTORY = 12
"""Months before the reporting month whose prediction errors measure the dispersion."""


def _settled(volume: np.ndarray) -> int:
    """Row of the first month past the ramp-up of ``volume`` (see :data:`RAMP_SHARE`)."""
    positive = volume[volume > 0]
    if positive.size == 0:
        return 0
    full = np.flatnonzero(volume >= RAMP_SHARE * float(np.median(positive)))
    return int(full[0]) if full.size else 0


def _wide(
    part: pd.DataFrame, keys: list[str], index: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Month × series matrices of ``n`` and ``x`` (zeros where a series had nothing), and the series' keys."""
    wide = part.pivot_table(index="month", columns=keys, values=["n", "x"], aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(index, fill_value=0.0)
    n = wide["n"]
    names = [tuple(str(v) for v in (c if isinstance(c, tuple) else (c,))) for c in n.columns]
    return n.to_numpy(dtype=float), wide["x"][n.columns].to_numpy(dtype=float), names


def _rows(
    x: np.ndarray, n: np.ndarray, names: list[str], offsets: tuple[int, ...], seasons: season.Season
) -> pd.DataFrame:
    """The reporting month (last row) of each series against its expectation, tested with the
    dispersion the series showed over the :data:`HISTORY` months before (pooled over them).
    """
    expected = season.expect(x, n, offsets, seasons)
    diff, var, _ = season.observed_minus_expected(x, n, expected)
    phi, df = season.dispersion(diff, var, _history(n.shape[0]))
    tests = [season.test(diff[-1, j], var[-1, j], phi, df) for j in range(n.shape[1])]
    return _describe(x, n, offsets, names, expected.rate[-1], seasons, tests, phi, df)


def _describe(
    x: np.ndarray,
    n: np.ndarray,
    offsets: tuple[int, ...],
    names: list[str],
    expected: np.ndarray,
    seasons: season.Season,
    tests: list[tuple[float, float]],
    phi: float,
    df: int,
) -> pd.DataFrame:
    t = n.shape[0]
    base = [t - 1 - o for o in offsets if o < t]
    level, _ = season.levels(x, n, offsets)
    n1, x1 = n[-1], x[-1]
    n0, x0 = n[base].sum(axis=0), x[base].sum(axis=0)
    r1 = rate(x1, n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(expected > 0, r1 / expected - 1, np.nan)
    return pd.DataFrame(
        {
            "series": names,
            "stratum": "",
            "n_latest": n1,
            "x_latest": x1,
            "rate_latest": r1,
            "n_baseline": n0,
            "x_baseline": x0,
            "rate_baseline": level[-1],
            "rate_baseline_pooled": rate(x0, n0),
            "seasonal_factor": seasons.factor[-1],
            "seasonal_years": seasons.years,
            "rate_expected": expected,
            "change": change,
            "z": [z for z, _ in tests],
            "p_value": [p for _, p in tests],
            "dispersion": phi,
            "df": df,
        }
    )


def _history(t: int) -> np.ndarray:
    months = np.zeros(t, dtype=bool)
    months[max(t - 1 - HISTORY, 0) : t - 1] = True
    return months


def _stratified(
    frame: pd.DataFrame,
    strata: pd.DataFrame,
    unit: str,
    index: pd.DatetimeIndex,
    offsets: tuple[int, ...],
    seasonal: bool,
) -> pd.DataFrame:
    """The lead step's unit rows, plus per unit (and the company) a row with its channel mix held
    (:data:`MIX_HELD`: each channel against its own expected rate, summed) and a row per channel.
    """
    n, x, names = _wide(strata, [unit, "channel"], index)
    channels = sorted({c for _, c in names})
    by_channel = np.array([channels.index(c) for _, c in names])
    totals_n = np.stack([n[:, by_channel == i].sum(axis=1) for i in range(len(channels))], axis=1)
    totals_x = np.stack([x[:, by_channel == i].sum(axis=1) for i in range(len(channels))], axis=1)
    own = season.season(totals_x, totals_n, offsets, adjust=seasonal)
    cells = season.Season(own.factor[:, by_channel], own.var[:, by_channel], own.years[by_channel])
    expected = season.expect(x, n, offsets, cells)
    diff, var, _ = season.observed_minus_expected(x, n, expected)
    history = _history(n.shape[0])
    phi, df = season.dispersion(diff, var, history)
    tests = [season.test(diff[-1, j], var[-1, j], phi, df) for j in range(n.shape[1])]
    rows = _describe(x, n, offsets, [u for u, _ in names], expected.rate[-1], cells, tests, phi, df)
    rows["stratum"] = [c for _, c in names]
    units = [COMPANY, *sorted({u for u, _ in names})]
    member = np.array([[v in (u, COMPANY) for v in units] for u, _ in names], dtype=float)  # cell × unit
    unit_diff, unit_var = np.nan_to_num(diff) @ member, np.nan_to_num(var) @ member
    unit_var = np.where(unit_var > 0, unit_var, np.nan)
    unit_phi, unit_df = season.dispersion(unit_diff[:, 1:], unit_var[:, 1:], history)
    company_phi, company_df = season.dispersion(unit_diff[:, :1], unit_var[:, :1], history)
    position = {name: j for j, name in enumerate(units)}
    out = frame[frame["series"].isin(position)].copy()
    out["stratum"] = MIX_HELD
    for i, name in zip(out.index, out["series"], strict=True):
        j = position[name]
        phi_j, df_j = (company_phi, company_df) if name == COMPANY else (unit_phi, unit_df)
        out.loc[i, ["z", "p_value"]] = season.test(unit_diff[-1, j], unit_var[-1, j], phi_j, df_j)
        out.loc[i, ["dispersion", "df"]] = [phi_j, df_j]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = unit_diff[-1, [position[name] for name in out["series"]]]
        out["rate_expected"] = rate(out["x_latest"].to_numpy() - diff, out["n_latest"].to_numpy())
        out["change"] = out["rate_latest"] / out["rate_expected"] - 1
    return pd.concat([frame, out, rows[rows["n_latest"] > 0]], ignore_index=True)


def period_counts(
    table: ir.Table,
    date: str,
    flag: str,
    by: str,
    latest: dt.date,
    as_of: dt.date,
    baseline: list[tuple[dt.date, dt.date]],
) -> pd.DataFrame:
    """``n`` (facts, :func:`~.facts.rows_of`) and ``x`` (sum of ``flag``) by ``by`` for the latest
    month and the pooled baseline months, rows of ``table`` placed by ``date``.
    """
    at = table[date]
    in_base = ibis.or_(*[(at >= lo) & (at <= hi) for lo, hi in baseline])
    in_latest = (at >= latest) & (at <= as_of)
    window = table.filter(in_base | in_latest).mutate(latest=in_latest)
    frame: pd.DataFrame = (
        window.group_by(["latest", by]).agg(n=rows_of(window), x=window[flag].sum().cast("float64")).execute()
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
