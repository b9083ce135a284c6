"""Words of the target split's page and workbooks: labels from ``labels.yaml``, unit names, the
plan period and bound codes, in the page language.
"""

from __future__ import annotations

from typing import Any

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.metrics.formatting import is_missing_number
from salesops_lib.report.i18n import t
from salesops_lib.report.names import unit_name

REPORT = "target_split"


def label(key: str, lang: str) -> str:
    """The target split's word ``key`` in ``lang`` (its catalogue first, then the glossary)."""
    return t(key, lang, REPORT)


def unit_label(row: Any, lang: str) -> str:
    """How a unit reads: "Company", a new position, or the unit by its name (a departed rep
    marked; the row's ``name`` when the run has none for it).
    """
    level, unit, name = (row.level, row.unit_id, getattr(row, "name", None))
    if is_missing_number(unit):  # a team or region the source leaves blank
        return label("unknown", lang)
    if level == "rep" and bool(getattr(row, "new_position", False)):
        return f"{label('new_position', lang)} {unit}"
    shown = unit_name(level, unit, lang)
    return name if shown == str(unit) and level == "rep" and isinstance(name, str) and name else shown


def plan_label(result: TargetSplitResult, lang: str) -> str:
    """The planned year, or year and quarter, in ``lang``."""
    plan = result.plan
    if not plan.plan_quarter:
        return str(plan.plan_year)
    return label("plan_quarter_label", lang).format(year=plan.plan_year, q=plan.plan_quarter)


def bound_word(code: object, lang: str) -> str:
    """The word of a bound code (floor, cap, lock; nothing for a free unit)."""
    return label(f"bound_{code}", lang) if code else ""
