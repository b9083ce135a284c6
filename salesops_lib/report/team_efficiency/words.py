"""Words and numbers of the team-efficiency page: label lookup (``labels.yaml``, then the
glossary), number formats, and the names of activities, quarters and benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from salesops_lib.analyses.team_efficiency import TeamEfficiencyResult
from salesops_lib.metrics.formatting import format_change, format_value, formatted
from salesops_lib.report.i18n import catalogue, t

REPORT = "team_efficiency"
#: scorecard component → how its value is formatted
COMPONENT_UNITS = {
    "visits": "rate1",
    "calls": "rate1",
    "proposals": "rate1",
    "proposal_rate": "ratio",
    "attainment": "ratio",
    "collection_rate": "ratio",
    "win_rate": "ratio",
    "revenue_per_fte": "currency",
}


def label(key: str, lang: str) -> str:
    """The label ``key`` in ``lang``: the report's catalogue first, then the glossary."""
    return t(key, lang, REPORT)


def has_label(key: str) -> bool:
    """Whether the report's own catalogue has ``key``."""
    return key in catalogue(REPORT).labels


def activity(kind: str, lang: str) -> str:
    """The activity type ``kind`` as the page names it (an unknown type shows its code)."""
    key = f"activity.{kind}"
    return label(key, lang) if has_label(key) else kind


def quarter(code: str, lang: str) -> str:
    """``2025Q2`` as 2025年第2季度 or 2025 Q2."""
    year, number = code.split("Q")
    return label("quarter_name", lang).format(year=year, q=number)


def benchmark(result: TeamEfficiencyResult, lang: str) -> str:
    """The benchmark of the comparison, in words."""
    return label(f"bm_{result.benchmark}", lang)


def joined(items: Iterable[str], lang: str) -> str:
    """``items`` as a list in running text."""
    return label("list_separator", lang).join(items)


def fmt(value: object, unit: str) -> str:
    """``value`` formatted for ``unit``: a metric unit, ``change`` (signed %) or ``rate1`` (a count
    per FTE-month, an FTE or a score: one decimal).
    """
    if unit == "rate1":
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return "—"
        return formatted(number, ",.1f") if np.isfinite(number) else "—"
    if unit == "change":
        return format_change(value)  # type: ignore[arg-type]
    return format_value(value, unit)  # type: ignore[arg-type]
