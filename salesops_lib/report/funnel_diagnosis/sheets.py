"""The funnel diagnosis' complete lists for its Excel download (see :mod:`salesops_lib.report.sheets`)."""

from __future__ import annotations

from functools import partial

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.report.funnel_diagnosis.sections import stalled_units
from salesops_lib.report.funnel_diagnosis.words import label
from salesops_lib.report.sheets import Sheet, sheet_of
from salesops_lib.report.xlsx import Kind


def sheets(result: FunnelResult, lang: str) -> list[Sheet]:
    """Every unit × stage with stalled open deals (the page shows the first 12).

    The analysis counts stalled deals per unit and stage; it keeps no deal-level list.
    """
    if result.stalled.empty:
        return []
    columns: dict[str, tuple[str, Kind]] = {
        "unit_label": ("unit", "text"),
        "stage": ("stage", "text"),
        "open_deals": ("open_deals", "integer"),
        "stalled": ("stalled", "integer"),
        "stalled_share": ("share", "rate"),
        "norm_days": ("norm_days", "number"),
        "stalled_value": ("stalled_value", "money"),
    }
    word = partial(label, lang=lang)
    return [sheet_of(label("stalled_title", lang), stalled_units(result, lang), columns, word)]
