"""KPI overview: every metric of the dictionary for the month, against the previous month and
the same month last year, by region.

Pure: ``compute(data, params) -> KpiOverviewResult``; no I/O, no plotting.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.config.params import KpiOverviewParams
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric
from salesops_lib.metrics.formatting import format_change, format_value

ANALYSIS = "kpi_overview"
MOVE_THRESHOLD = 0.20
"""A month-on-month or year-on-year move of at least this much becomes a (low-severity) finding."""


@dataclass(frozen=True)
class KpiOverviewResult:
    """Tiles, trend and regional breakdown of the month's KPIs."""

    period: str
    lang: str
    #: one row per metric: metric, label, unit, higher_is_better, value, previous, last_year,
    #: change_prev, change_yoy (relative)
    tiles: pd.DataFrame
    #: month × metric values over the last 13 months (company, or the region in scope)
    trend: pd.DataFrame
    #: metric × region values for the month
    by_region: pd.DataFrame
    findings: tuple[Finding, ...]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(r.label))}</td><td>{format_value(r.value, r.unit)}</td>"
            f"<td>{format_change(r.change_prev)}</td><td>{format_change(r.change_yoy)}</td></tr>"
            for r in self.tiles.itertuples()
        )
        head = ("<th>指标</th><th>本月</th><th>环比</th><th>同比</th>" if self.lang == "zh"
                else "<th>metric</th><th>month</th><th>vs prev.</th><th>vs last year</th>")
        return f"<table class='salesops-tiles'><tr>{head}</tr>{rows}</table>"


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def compute(data: Dataset, params: KpiOverviewParams) -> KpiOverviewResult:
    """Compute the overview for ``params.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), KpiOverviewParams(period="2026-10"))  # doctest: +SKIP
    >>> result.tiles[["metric", "value", "change_prev"]]  # doctest: +SKIP
    """
    start, end = params.month
    names = [n.strip() for n in params.metrics.split(",") if n.strip()] or list(METRICS)
    names = [n for n in names if METRICS[n].available(data)]
    level = "region" if params.region else "company"
    history = Grain(period="month", level=level, start=months_back(start, 12), end=end)
    month = Grain(period="month", level="region", start=start, end=end)
    trend_parts, region_parts = [], []
    for name in names:
        metric = METRICS[name]
        if level not in metric.levels or "region" not in metric.levels and params.region:
            continue
        series = compute_metric(data, name, history)
        if params.region:
            series = series[series["unit"] == params.region]
        trend_parts.append(series.set_index("period")["value"].rename(name))
        if "region" in metric.levels:
            regional = compute_metric(data, name, month)
            region_parts.append(regional.set_index("unit")["value"].rename(name))
    trend = pd.concat(trend_parts, axis=1).sort_index() if trend_parts else pd.DataFrame()
    by_region = pd.concat(region_parts, axis=1).T if region_parts else pd.DataFrame()
    tiles = tiles_from_trend(trend, start, params.lang)
    return KpiOverviewResult(
        period=params.period, lang=params.lang, tiles=tiles, trend=trend, by_region=by_region,
        findings=tuple(_findings(tiles, params)),
    )


def tiles_from_trend(trend: pd.DataFrame, start: dt.date, lang: str) -> pd.DataFrame:
    """One tile per metric column of ``trend`` (month × metric): the month, the previous month,
    the same month last year and the relative changes (also what the dashboard keeps per unit)."""
    current, previous, last_year = (pd.Timestamp(d) for d in (start, months_back(start, 1), months_back(start, 12)))
    rows = []
    for name in trend.columns:
        metric = METRICS[name]
        col = trend[name]
        value, prev, ly = (col.get(p, np.nan) for p in (current, previous, last_year))
        rows.append({
            "metric": name, "label": metric.label(lang), "unit": metric.unit,
            "higher_is_better": metric.higher_is_better,
            "value": value, "previous": prev, "last_year": ly,
            "change_prev": _change(value, prev), "change_yoy": _change(value, ly),
        })
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "higher_is_better", "value", "previous",
                                       "last_year", "change_prev", "change_yoy"])


def _change(value: float, baseline: float) -> float:
    if pd.isna(value) or pd.isna(baseline) or baseline == 0:
        return np.nan
    return float(value / baseline - 1)


def _findings(tiles: pd.DataFrame, params: KpiOverviewParams) -> list[Finding]:
    out = []
    for row in tiles.itertuples():
        if METRICS[row.metric].cohort:  # the month's cohort is still maturing: no move to report yet
            continue
        for basis, change, baseline in (("prev", row.change_prev, row.previous), ("yoy", row.change_yoy, row.last_year)):
            if pd.isna(change) or abs(change) < MOVE_THRESHOLD:
                continue
            worse = (change < 0) == bool(row.higher_is_better)
            stake = abs(row.value - baseline) if row.unit == "currency" else 0.0
            out.append(Finding(
                analysis=ANALYSIS, kind="kpi_move", severity="low", level="region" if params.region else "company",
                unit=params.region or "company", metric=row.metric, value=float(row.value), baseline=float(baseline),
                period=params.period, at_stake=float(stake),
                facts={"basis": basis, "change": float(change), "worse": worse},
                action="review_detail" if worse else "",
            ))
    return out
