"""Target tracking's words: labels from ``labels.yaml``, who a unit is, a threshold as a percentage."""

from __future__ import annotations

from typing import Any

from salesops_lib.report.i18n import t
from salesops_lib.report.names import unit_name

REPORT = "target_tracking"


def label(key: str, lang: str) -> str:
    """The label ``key`` of this report (else of the glossary) in ``lang``."""
    return t(key, lang, REPORT)


def who(row: Any, lang: str) -> str:
    """A unit as the page names it: the company, a unit by its name (a departed rep marked), else
    the row's ``name``, else the unit's id.

    ``row`` is an ``itertuples()`` row with ``level`` and ``unit_id`` (and maybe ``name``).
    """
    level, unit, name = row.level, row.unit_id, getattr(row, "name", None)
    shown = unit_name(level, unit, lang)
    if shown == str(unit) and isinstance(name, str) and name:
        return name
    return shown


def percent(value: float) -> str:
    """80 % as "80%", 79.5 % as "79.5%"."""
    return f"{value * 100:.10g}%"
