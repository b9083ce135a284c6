"""Collections' complete lists for the Excel download (see :mod:`salesops_lib.report.sheets`)."""

from __future__ import annotations

from functools import partial

from salesops_lib.analyses.collections_customers import CollectionsCustomersResult
from salesops_lib.report.collections_customers.words import bucket_label, label
from salesops_lib.report.sheets import Sheet, sheet_of
from salesops_lib.report.xlsx import Kind


def sheets(result: CollectionsCustomersResult, lang: str) -> list[Sheet]:
    """Every overdue invoice (the page's chase list shows the first ones), in the chase order."""
    receivables = result.receivables
    if receivables is None or receivables.overdue.empty:
        return []
    overdue = receivables.overdue.assign(bucket=lambda f: [bucket_label(str(b), lang) for b in f["bucket"]])
    columns: dict[str, tuple[str, Kind]] = {
        "invoice_id": ("invoice", "text"),
        "customer": ("customer", "text"),
        "owner_name": ("owner", "text"),
        "region": ("region", "text"),
        "due": ("due", "date"),
        "days_past_due": ("days_past_due", "integer"),
        "bucket": ("bucket", "text"),
        "open": ("open", "money"),
        "still_open": ("still_open", "rate"),
        "expected_unpaid": ("expected_unpaid", "money"),
    }
    return [sheet_of(label("overdue_all_title", lang), overdue, columns, partial(label, lang=lang))]
