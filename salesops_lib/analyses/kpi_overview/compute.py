"""KPI overview: every metric of the dictionary for the month, against the previous month and
the same month last year, by region. Pure: no I/O, no plotting, no words.

A cohort metric (lead conversion, campaign ROI, cost per lead, customer LTV) is shown for its
latest *matured* cohort (:mod:`.maturity`), against the cohort a month and a year before it —
never the month's own cohort, which has had no time to convert, win or buy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops_lib.analyses.kpi_overview.findings import kpi_moves
from salesops_lib.analyses.kpi_overview.maturity import AGE_DEPENDENT, history_start, matured_cohorts
from salesops_lib.analyses.kpi_overview.params import KpiOverviewParams
from salesops_lib.analyses.kpi_overview.result import KpiOverviewResult
from salesops_lib.config.scope import RunScope
from salesops_lib.core.lists import parse_list
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric, roll_up

if TYPE_CHECKING:
    from salesops_lib.metrics.grain import Level

TILE_COLUMNS = [
    "metric",
    "unit",
    "higher_is_better",
    "value",
    "previous",
    "last_year",
    "change_prev",
    "change_yoy",
    "cohort",
]
TREND_MONTHS = 13


def compute(data: Dataset, scope: RunScope, params: KpiOverviewParams) -> KpiOverviewResult:
    """Compute the overview for ``scope.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), KpiOverviewParams())  # doctest: +SKIP
    >>> result.tiles[["metric", "value", "change_prev"]]  # doctest: +SKIP
    """
    start, end = scope.month
    names = list(parse_list(params.metrics)) or list(METRICS)
    names = [n for n in names if METRICS[n].available(data)]
    level: Level = "region" if scope.region else "company"
    cohorts = matured_cohorts(data, [n for n in names if level in METRICS[n].levels], start, end)
    history = Grain(period="month", level=level, start=history_start(start, cohorts), end=end)
    month = Grain(period="month", level="region", start=start, end=end)
    trend_parts, region_parts = [], []
    for name in names:
        metric = METRICS[name]
        if level not in metric.levels or ("region" not in metric.levels and scope.region):
            continue
        cohort = cohorts.get(name)
        regional: pd.DataFrame | None
        if "region" in metric.levels and metric.additive:  # one scan by region serves the trend and the regions
            by_month = compute_metric(data, name, history.model_copy(update={"level": "region"}))
            series = by_month[by_month["unit"] == scope.region] if scope.region else roll_up(by_month, name)
            regional = by_month[by_month["period"] == pd.Timestamp(start if cohort is None else cohort)]
        else:
            series = compute_metric(data, name, history)
            if scope.region:
                series = series[series["unit"] == scope.region]
            regional = _regional(data, name, month, cohort) if "region" in metric.levels else None
        trend_parts.append(series.set_index("period")["value"].rename(name))
        if regional is not None:  # a cohort metric: the regions' matured cohort, as on the tile
            region_parts.append(regional.set_index("unit")["value"].rename(name))
    trend = pd.concat(trend_parts, axis=1, sort=True) if trend_parts else pd.DataFrame()
    by_region = pd.concat(region_parts, axis=1).T if region_parts else pd.DataFrame()
    tiles = tiles_from_trend(trend, start, cohorts)
    trend = trend[trend.index >= pd.Timestamp(add_months(start, 1 - TREND_MONTHS))]
    return KpiOverviewResult(
        period=scope.period, tiles=tiles, trend=trend, by_region=by_region, findings=tuple(kpi_moves(tiles, scope))
    )


def _regional(data: Dataset, name: str, month: Grain, cohort: pd.Timestamp | None) -> pd.DataFrame:
    """``name`` by region in the month, or in the ``cohort`` month when it has one."""
    if cohort is None:
        return compute_metric(data, name, month)
    cohort_end = (cohort + pd.offsets.MonthEnd(0)).date()
    return compute_metric(data, name, month.model_copy(update={"start": cohort.date(), "end": cohort_end}))


def tiles_from_trend(
    trend: pd.DataFrame, start: dt.date, cohorts: Mapping[str, pd.Timestamp] | None = None
) -> pd.DataFrame:
    """One tile per metric column of ``trend`` (month × metric): the month, the previous month,
    the same month last year and the relative changes (also what the dashboard keeps per unit).

    A metric in ``cohorts`` is read at its cohort month instead of ``start`` (its previous and
    last-year values are the cohorts a month and a year before that, left out for a value that
    grows with the cohort's age, :data:`.maturity.AGE_DEPENDENT`); ``cohort`` names the month
    ("" for the period's own month).
    """
    rows = []
    for name in trend.columns:
        metric = METRICS[name]
        col = trend[name]
        at = (cohorts or {}).get(name, pd.Timestamp(start))
        current, previous, last_year = (at - pd.DateOffset(months=k) for k in (0, 1, 12))
        value, prev, ly = (col.get(p, np.nan) for p in (current, previous, last_year))
        if name in (cohorts or {}) and name in AGE_DEPENDENT:  # older cohorts have had longer: no like for like
            prev, ly = np.nan, np.nan
        rows.append(
            {
                "metric": name,
                "unit": metric.unit,
                "higher_is_better": metric.higher_is_better,
                "value": value,
                "previous": prev,
                "last_year": ly,
                "change_prev": _change(value, prev),
                "change_yoy": _change(value, ly),
                "cohort": f"{at:%Y-%m}" if name in (cohorts or {}) else "",
            }
        )
    return pd.DataFrame(rows, columns=TILE_COLUMNS)


def _change(value: float | None, baseline: float | None) -> float:
    if pd.isna(value) or pd.isna(baseline) or baseline == 0:
        return np.nan
    return float(value / baseline - 1)
