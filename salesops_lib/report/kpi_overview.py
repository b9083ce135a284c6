"""Presentation of the KPI overview: tiles, trend plot, regional table."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from salesops_lib.analyses.kpi_overview import KpiOverviewResult
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import HtmlFragment, e, table_html, tiles_html
from salesops_lib.report.i18n import t
from salesops_lib.report.plots import small_multiples


def tiles(result: KpiOverviewResult) -> HtmlFragment:
    """The month's KPI tiles with their changes."""
    return HtmlFragment(tiles_html(result.tiles, result.lang))


def trend(result: KpiOverviewResult) -> Figure:
    """Last 13 months of every KPI."""
    return small_multiples(result.trend, result.lang)


def trend_heading(result: KpiOverviewResult) -> HtmlFragment:
    return HtmlFragment(f"<h2>{e(t('trend_title', result.lang))}</h2>")


def regions(result: KpiOverviewResult) -> HtmlFragment:
    """Metric × region table for the month, formatted per unit."""
    if result.by_region.empty:
        return HtmlFragment("")
    shown = pd.DataFrame({
        region: [format_value(result.by_region.loc[m, region], METRICS[m].unit) for m in result.by_region.index]
        for region in result.by_region.columns
    }, index=[METRICS[m].label(result.lang) for m in result.by_region.index])
    shown.index.name = t("metric", result.lang)
    return HtmlFragment(f"<h2>{e(t('by_region_title', result.lang))}</h2>" + table_html(shown))


FINDING_TEXT: dict[str, FindingText] = {
    "kpi_move": FindingText(
        zh="{where}{metric}{basis}{direction}{change}（{value}，对比 {baseline}）。",
        en="{where}{metric} {direction} {change} {basis} ({value}, was {baseline}).",
        words={"basis": {"prev": ("环比", "vs the previous month"), "yoy": ("同比", "vs the same month last year")}},
        actions={"review_detail": ("请查看明细报告确认原因。", "Check the detail reports for the cause.")},
    ),
}
