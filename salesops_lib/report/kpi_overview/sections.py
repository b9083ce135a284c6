"""The KPI overview page: tiles, the trend's heading and the regional table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from salesops_lib.analyses.kpi_overview import KpiOverviewResult
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_change
from salesops_lib.report.html import HtmlFragment, e, table_html, tile_label, tiles_html
from salesops_lib.report.i18n import t
from salesops_lib.report.money import metric_value
from salesops_lib.report.names import display

if TYPE_CHECKING:
    from collections.abc import Iterable

REPORT = "kpi_overview"


def tiles(result: KpiOverviewResult, lang: str) -> HtmlFragment:
    """The month's KPI tiles with their changes."""
    return HtmlFragment(tiles_html(result.tiles, lang))


def trend_heading(result: KpiOverviewResult, lang: str) -> HtmlFragment:
    """The heading of the trend chart."""
    return HtmlFragment(f"<h2>{e(t('trend_title', lang))}</h2>")


def regions(result: KpiOverviewResult, lang: str) -> HtmlFragment:
    """Metric × region table for the month (a cohort KPI at its matured cohort, as on its tile), formatted per unit."""
    if result.by_region.empty:
        return HtmlFragment("")
    cohorts = dict(zip(result.tiles["metric"], result.tiles.get("cohort", ""), strict=False))
    shown = pd.DataFrame(
        {
            display("region", region, lang): [
                metric_value(result.by_region.loc[m, region], METRICS[m].unit, lang) for m in result.by_region.index
            ]
            for region in result.by_region.columns
        },
        index=[tile_label(m, cohorts.get(m, ""), lang) for m in result.by_region.index],
        dtype=object,  # money cells keep their exact amount for the Excel download
    )
    shown.index.name = t("metric", lang)
    return HtmlFragment(f"<h2>{e(t('by_region_title', lang))}</h2>" + table_html(shown, lang=lang))


def summary_html(result: KpiOverviewResult, lang: str = "zh") -> str:
    """A compact table of the tiles (how a result shows when a notebook cell ends with it)."""
    rows = "".join(
        f"<tr><td>{e(tile_label(r.metric, getattr(r, 'cohort', ''), lang))}</td><td>{metric_value(r.value, r.unit, lang)}</td>"
        f"<td>{format_change(r.change_prev)}</td><td>{format_change(r.change_yoy)}</td></tr>"
        for r in cast("Iterable[Any]", result.tiles.itertuples())  # rows' field types are known only at run time
    )
    head = "".join(f"<th>{e(t(key, lang, REPORT))}</th>" for key in ("metric", "month", "vs_prev", "vs_yoy"))
    return f"<table class='salesops-tiles'><tr>{head}</tr>{rows}</table>"
