"""The forecast's complete lists for its Excel download (see :mod:`salesops_lib.report.sheets`)."""

from __future__ import annotations

from functools import partial

from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.report.forecast.words import word
from salesops_lib.report.names import named
from salesops_lib.report.sheets import Sheet, sheet_of
from salesops_lib.report.xlsx import Kind


def sheets(result: ForecastResult, lang: str) -> list[Sheet]:
    """Every slipping open deal (the page shows the ten largest) and every key account with
    declining orders.
    """
    words = partial(word, lang=lang)
    slipping: dict[str, tuple[str, Kind]] = {
        "opp_id": ("deal", "text"),
        "rep_id": ("rep", "text"),
        "customer_id": ("customer", "text"),
        "stage": ("stage", "text"),
        "value": ("value", "money"),
        "expected_close": ("expected_close", "date"),
        "age_days": ("age_days", "integer"),
        "slips": ("slips", "integer"),
    }
    accounts: dict[str, tuple[str, Kind]] = {
        "name": ("account", "text"),
        "owner": ("owner", "text"),
        "value_12m": ("value_12m", "money"),
        "previous_window": ("previous_window", "money"),
        "last_window": ("last_window", "money"),
        "change": ("change", "rate"),
        "value_at_risk": ("value_at_risk", "money"),
    }
    out = []
    if not result.slipping.empty:
        frame = named(result.slipping, {"rep_id": "rep", "customer_id": "customer", "stage": "stage"}, lang)
        out.append(sheet_of(word("slipping_title", lang), frame, slipping, words))
    if not result.key_accounts.empty:
        frame = named(result.key_accounts, {"owner": "rep"}, lang)
        out.append(sheet_of(word("accounts_title", lang), frame, accounts, words))
    return out
