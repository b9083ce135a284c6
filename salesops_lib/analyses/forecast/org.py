"""Time-series forecasts for every node of the org tree, at the as-of month and at earlier
origins (the rolling-origin backtest), reconciled so that reps add up to teams, teams to
regions and regions to the company.

The root and the regions get the full model search of :mod:`.series` (every method at every
origin; per node the combination unless the backtest clearly prefers another method). Teams and
reps — hundreds of short, noisy series — get a cheap method fitted for all of them at once:
SES on the seasonally adjusted series. Every node is adjusted by the root's seasonal indices
(calendar months): two or three years of a rep's or a region's history cannot estimate twelve
indices of their own, and the calendar is common to the company. Reps not employed at an origin
are forecast at 0. Base forecasts are then reconciled (:func:`.reconcile.reconcile`, WLS with
each node's one-step error variance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast import series as ts
from salesops_lib.analyses.forecast import smoothing as sm
from salesops_lib.analyses.forecast.history import employed_at
from salesops_lib.analyses.forecast.reconcile import Hierarchy, Method, reconcile

TOP_LEVELS = ("company", "region")
CHEAP_METHOD = "ses"


@dataclass(frozen=True)
class OrgForecasts:
    """Reconciled forecasts of every node at each training length (origin)."""

    hierarchy: Hierarchy
    #: history months (month starts) and each node's history (nodes × months)
    months: pd.DatetimeIndex
    history: np.ndarray
    #: training lengths: origin i was fitted on the first ``lengths[i]`` months (last = all)
    lengths: np.ndarray
    #: (origins × nodes × h) reconciled and base forecasts
    reconciled: np.ndarray
    base: np.ndarray
    #: method per node (the cheap method below the regions)
    methods: pd.Series
    #: top nodes × candidate methods: backtest MASE
    scores: pd.DataFrame
    #: per node at the last origin: relative one-step residual sd, SES alpha, error variance
    residual_sd: np.ndarray
    alpha: np.ndarray
    variance: np.ndarray
    #: every candidate's forecast of the top nodes at the last origin: (node, method) → h values
    candidates: dict[tuple[int, str], np.ndarray]
    #: seasonal index per calendar month (1..12 → position 0..11) of the root, or None
    season: np.ndarray | None
    #: the root's seasonal indices as they could be estimated at each origin, mode included
    #: (origins × 12; ones: none; :func:`known_seasons`)
    seasons_known: np.ndarray
    #: how the root's seasonality was decided: "tested" or "forced" (see :func:`root_seasons`)
    seasonality: str
    reconciliation: str


def _trim(y: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop leading zeros (months before a rep was hired); returns the rest and its start."""
    nonzero = np.flatnonzero(y != 0)
    start = int(nonzero[0]) if len(nonzero) else len(y)
    return y[start:], start


def _calendar(index: np.ndarray, first_month: int) -> np.ndarray:
    """Indices by position (position 0 = calendar month ``first_month``, 1..12) → by calendar month."""
    return np.array([index[(m - (first_month - 1)) % len(index)] for m in range(12)])


def _positions(calendar: np.ndarray, first_month: int) -> np.ndarray:
    """Indices by calendar month → by position for a series starting in ``first_month``."""
    return np.array([calendar[(first_month - 1 + p) % 12] for p in range(12)])


MODES = (("tested", True), ("forced", False))
"""How the root's seasonality may be decided: the M3 test, or decomposing whatever the test says."""


def _mode_fits(
    root: np.ndarray, months: pd.DatetimeIndex, lengths: np.ndarray, h: int, test: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per training length: the root's seasonal indices by calendar month (lengths × 12) in one
    mode, and the default method's ``h``-month forecasts from them (lengths × h).
    """
    rows, indices, seasons = [], [], []
    for L in lengths:
        series, start = _trim(root[:L])
        index = sm.seasonal_profile(series, 12, test=test)
        first = months[min(start, len(months) - 1)].month
        calendar = _calendar(index, first) if len(index) == 12 else np.ones(12)
        seasons.append(calendar)
        rows.append(series)
        indices.append(_positions(calendar, first))
    fc = ts.forecast_many(rows, h, methods=ts.COMBINATIONS[ts.DEFAULT_METHOD], indices=indices)[ts.DEFAULT_METHOD]
    return np.array(seasons), fc


def _mean_error(root: np.ndarray, fc: dict[int, np.ndarray], tested: Sequence[int], upto: int, h: int) -> float:
    """Mean absolute error of the forecasts from the lengths ``tested`` over the months before ``upto``."""
    errors = [np.abs(fc[L][: len(root[L : min(L + h, upto)])] - root[L : min(L + h, upto)]) for L in tested]
    flat = np.concatenate(errors) if errors else np.array([])
    return float(flat.mean()) if len(flat) else np.inf


def root_seasons(root: np.ndarray, months: pd.DatetimeIndex, lengths: np.ndarray, h: int) -> tuple[np.ndarray, str]:
    """The root's seasonal indices by calendar month at each origin (origins × 12), and how they
    were chosen: ``tested`` (the M3 autocorrelation test decides), or ``forced`` when
    decomposing at every origin backtests better by :data:`.series.SWITCH_MARGIN` — short
    company series (2–3 years) often miss the test although the calendar clearly matters.
    The choice uses every origin's errors: see :func:`known_seasons` for the choice as it could
    be made at each origin.
    """
    modes = {}
    for mode, test in MODES:
        seasons, fc = _mode_fits(root, months, lengths, h, test)
        by_length = dict(zip(lengths.tolist(), fc, strict=True))
        modes[mode] = (_mean_error(root, by_length, lengths[:-1].tolist(), len(root), h), seasons)
    forced = modes["forced"][0] < modes["tested"][0] * (1 - ts.SWITCH_MARGIN)
    chosen = "forced" if forced else "tested"
    return modes[chosen][1], chosen


def known_seasons(
    root: np.ndarray, months: pd.DatetimeIndex, lengths: np.ndarray, h: int, origins: int, period: int = 12
) -> np.ndarray:
    """The root's seasonal indices (lengths × 12) as :func:`root_seasons` run on the first ``L``
    months alone would give them at each training length ``L``: the mode is chosen on the errors
    of its own backtest origins over the months up to ``L``, so nothing after an origin decides
    its seasonality (what the pipeline's run-rate at that origin may use).
    """
    tested = {int(L): ts.backtest_origins(int(L), h, period, origins).tolist() for L in lengths}
    every = np.unique(np.r_[np.asarray(lengths, dtype=int), *[np.asarray(t, dtype=int) for t in tested.values()]])
    fits = {mode: _mode_fits(root, months, every, h, test) for mode, test in MODES}
    position = {int(L): i for i, L in enumerate(every)}
    out = []
    for L in lengths:
        error = {
            mode: _mean_error(root, dict(zip(every.tolist(), fc, strict=True)), tested[int(L)], int(L), h)
            for mode, (_, fc) in fits.items()
        }
        mode = "forced" if error["forced"] < error["tested"] * (1 - ts.SWITCH_MARGIN) else "tested"
        out.append(fits[mode][0][position[int(L)]])
    return np.array(out)


def forecast_org(
    tree: pd.DataFrame,
    revenue: pd.DataFrame,
    h: int,
    *,
    origins: int = 12,
    period: int = 12,
    root_level: str = "company",
    root: str = "company",
    reconciliation: Method = "wls_var",
) -> OrgForecasts:
    """Forecast every node ``h`` months ahead from each of the last ``origins`` months and now.

    ``tree``: reps with team, region, hire and exit dates (:func:`.history.org_tree`);
    ``revenue``: rep × month matrix (:func:`.history.monthly_revenue`).
    """
    hierarchy = Hierarchy.from_tree(tree, root_level=root_level, root=root)
    bottom_ids = list(hierarchy.bottom["unit"])
    Y = revenue.reindex(index=bottom_ids, fill_value=0.0).to_numpy(dtype=float)
    months = pd.DatetimeIndex(revenue.columns)
    T = Y.shape[1]
    history = hierarchy.aggregate(Y)
    lengths = np.unique(np.r_[ts.backtest_origins(T, h, period, origins), T]).astype(int)
    nodes = hierarchy.nodes
    top = np.flatnonzero(nodes["level"].isin(TOP_LEVELS).to_numpy())
    low = np.flatnonzero(~nodes["level"].isin(TOP_LEVELS).to_numpy())
    seasons, seasonality = root_seasons(history[0], months, lengths, h)

    calendar_month = np.asarray(months.month)
    first_nonzero = np.where((history != 0).any(axis=1), (history != 0).argmax(axis=1), T)
    positions = {(k, m): _positions(seasons[k], m) for k in range(len(lengths)) for m in range(1, 13)}

    def prepared(i: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        start = min(int(first_nonzero[i]), int(lengths[k]))
        return history[i, start : lengths[k]], positions[(k, int(calendar_month[min(start, T - 1)]))]

    base = np.zeros((len(lengths), len(nodes), h))
    pairs = [prepared(int(i), k) for k in range(len(lengths)) for i in top]
    top_fc = ts.forecast_many([p[0] for p in pairs], h, period=period, indices=[p[1] for p in pairs])
    grid = {m: f.reshape(len(lengths), len(top), h) for m, f in top_fc.items()}
    scores, methods = _choose(history[top], lengths, grid, period)
    for j, i in enumerate(top):
        base[:, i, :] = grid[methods[j]][:, j, :]

    where = [(k, i) for k in range(len(lengths)) for i in low]
    pairs = [prepared(int(i), k) for k, i in where]
    if pairs:
        cheap = ts.forecast_many(
            [p[0] for p in pairs], h, period=period, methods=(CHEAP_METHOD,), indices=[p[1] for p in pairs]
        )[CHEAP_METHOD]
        for (k, i), values in zip(where, cheap, strict=True):
            base[k, i] = values

    final = [prepared(i, len(lengths) - 1) for i in range(len(nodes))]
    sd, alpha = ts.residual_scales([p[0] for p in final], period, indices=[p[1] for p in final])
    level = np.array([np.mean(history[i, -12:]) for i in range(len(nodes))])
    variance = (sd * np.maximum(level, 0)) ** 2
    reconciled = np.zeros_like(base)
    reps = tree.set_index("rep_id").loc[bottom_ids].reset_index()
    offset = len(nodes) - len(bottom_ids)
    for k, L in enumerate(lengths):
        idle = ~employed_at(reps, months[L - 1] + pd.offsets.MonthEnd(0))
        base[k, offset:][idle] = 0.0
        reconciled[k] = np.maximum(reconcile(hierarchy, base[k], variance, reconciliation, fixed_zero=idle), 0.0)
    candidates = {(int(i), m): grid[m][-1, j, :] for j, i in enumerate(top) for m in grid}
    return OrgForecasts(
        hierarchy=hierarchy,
        months=months,
        history=history,
        lengths=lengths,
        reconciled=reconciled,
        base=base,
        methods=pd.Series(
            [methods[top.tolist().index(i)] if i in top else CHEAP_METHOD for i in range(len(nodes))],
            index=hierarchy.index(),
        ),
        scores=scores.set_axis(hierarchy.index()[top]),
        residual_sd=sd,
        alpha=alpha,
        variance=variance,
        candidates=candidates,
        season=None if np.allclose(seasons[-1], 1) else seasons[-1],
        seasons_known=known_seasons(history[0], months, lengths, h, origins, period),
        seasonality=seasonality,
        reconciliation=reconciliation,
    )


def season_at(org: OrgForecasts, origin: pd.Timestamp) -> np.ndarray | None:
    """The root's seasonal indices as they could be estimated at the month-end ``origin`` (from
    the months up to it: the latest training length that ends by then), or None without
    seasonality or before the first origin.
    """
    ends = pd.DatetimeIndex(org.months[org.lengths - 1] + pd.offsets.MonthEnd(0))
    k = int(ends.searchsorted(pd.Timestamp(origin), side="right")) - 1
    return None if k < 0 or np.allclose(org.seasons_known[k], 1) else org.seasons_known[k]


def _choose(
    history: np.ndarray, lengths: np.ndarray, grid: dict[str, np.ndarray], period: int
) -> tuple[pd.DataFrame, list[str]]:
    """Backtest MASE of each method per top node over the origins before the last; the choice."""
    T = history.shape[1]
    h = next(iter(grid.values())).shape[2]
    scores, chosen = [], []
    for j in range(history.shape[0]):
        y = history[j]
        scale = ts.mase_scale(_trim(y)[0], period)
        row = {}
        for method, forecast in grid.items():
            errors = []
            for k, L in enumerate(lengths[:-1]):
                seen = y[L : min(L + h, T)]
                errors.extend(np.abs(forecast[k, j, : len(seen)] - seen))
            row[method] = float(np.mean(errors) / scale) if errors else np.nan
        scores.append(row)
        chosen.append(ts.choose_method(row))
    return pd.DataFrame(scores), chosen


def window_totals(org: OrgForecasts, months: int, *, skip: int = 0) -> pd.DataFrame:
    """Per origin whose window is complete (and the last origin): each node's reconciled forecast
    total over the ``months`` months after the first ``skip`` months, the actual total (NaN for
    the last origin) and the seasonal-naive total (the same months a year earlier, else the
    mean of the months just before).
    """
    T = org.history.shape[1]
    index = org.hierarchy.index()
    parts = []
    for k, L in enumerate(org.lengths):
        first, last = L + skip, L + skip + months
        complete = last <= T
        if not complete and L != T:
            continue
        actual = org.history[:, first:last].sum(axis=1) if complete else np.full(len(index), np.nan)
        if first - 12 >= 0 and last - 12 <= L:
            naive = org.history[:, first - 12 : last - 12].sum(axis=1)
        else:
            recent = org.history[:, max(L - months, 0) : L]
            naive = recent.mean(axis=1) * months if recent.shape[1] else np.zeros(len(index))
        parts.append(
            pd.DataFrame(
                {
                    "origin": org.months[L - 1] + pd.offsets.MonthEnd(0),
                    "level": index.get_level_values(0),
                    "unit": index.get_level_values(1),
                    "actual": actual,
                    "ts": org.reconciled[k, :, skip : skip + months].sum(axis=1),
                    "snaive": naive,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
