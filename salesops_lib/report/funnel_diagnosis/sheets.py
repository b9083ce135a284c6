"""The funnel diagnosis' complete lists for its Excel download (see :mod:`salesops_lib.report.sheets`)."""

from __future__ import annotations

from functools import partial

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.report.funnel_diagnosis.sections import stalled_units, stuck_deals
from salesops_lib.report.funnel_diagnosis.words import label
from salesops_lib.report.sheets import Sheet, sheet_of
from salesops_lib.report.xlsx import Kind


def sheets(result: FunnelResult, lang: str) -> list[Sheet]:
    """Every unit × stage with stalled open deals (the page shows the first 12), and every stalled
    deal (the page shows the ten largest).
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
    deals: dict[str, tuple[str, Kind]] = {
        "opp_id": ("deal", "text"),
        "unit_label": ("unit", "text"),
        "rep_label": ("rep", "text"),
        "stage": ("stage", "text"),
        "amount": ("amount", "money"),
        "entered": ("entered", "date"),
        "age_days": ("days_in_stage", "integer"),
        "norm_days": ("norm_days", "number"),
    }
    word = partial(label, lang=lang)
    out = [sheet_of(label("stalled_title", lang), stalled_units(result, lang), columns, word)]
    stuck = stuck_deals(result, lang)
    if not stuck.empty:
        out.append(sheet_of(label("stuck_sheet", lang), stuck, deals, word))
    return out
