"""Words and numbers of the funnel diagnosis page: labels and data codes (stages, channels, loss
reasons, industries) from ``labels.yaml``, and the number formats its tables share.
"""

from __future__ import annotations

import numpy as np

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.analyses.funnel_diagnosis.stages import LEADS
from salesops_lib.metrics.formatting import format_value, formatted
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.names import any_name, unit_name

REPORT = "funnel_diagnosis"
CODE = "code."
"""Prefix of the ``labels.yaml`` keys that word a data code (``code.follow-up``, ``code.web``)."""


def label(key: str, lang: str, **fields: object) -> str:
    """The page's label ``key`` in ``lang`` (its catalogue, else the glossary), filled with ``fields``."""
    text = t(key, lang, REPORT)
    return text.format(**fields) if fields else text


def has_label(key: str) -> bool:
    """True when ``key`` has a label (in the page's catalogue or the glossary)."""
    return key in catalogue(REPORT).labels or key in catalogue("glossary").labels


#: the vocabularies a code of this page may come from, in the order they are tried
CODE_KINDS = ("stage", "channel", "lost_reason", "industry", "segment")


def word(code: object, lang: str) -> str:
    """A data code (stage, channel, loss reason, industry) in ``lang``: the page's own words
    (``code.<code>``), else the shared vocabulary; unknown codes as they are.
    """
    key = f"{CODE}{code}"
    if key in catalogue(REPORT).labels:
        return t(key, lang, REPORT)
    return any_name(code, lang, CODE_KINDS)


def step_word(step: str, stages: tuple[str, ...], lang: str) -> str:
    """A step as "stage → next stage" (the lead step as lead → deal)."""
    if step == LEADS:
        return word(LEADS, lang)
    if step in stages[:-1]:
        return f"{word(step, lang)}→{word(stages[stages.index(step) + 1], lang)}"
    return word(step, lang)


def unit_word(unit: object, dimension: str, lang: str) -> str:
    """A unit of ``dimension`` (region, team, rep, channel, industry, …) in ``lang``: the company,
    else the unit by its name (:func:`~salesops_lib.report.names.unit_name`).
    """
    return unit_name(dimension, unit, lang)


def compare_words(compare_to: str, lang: str) -> str:
    """The comparison basis (``previous-month``, ``previous-3-months``, ...) in ``lang``."""
    if compare_to.startswith("previous-") and compare_to not in ("previous-month",):
        return label("previous-n-months", lang, n=compare_to.split("-")[1])
    return label(compare_to, lang)


def factor_word(name: str, result: FunnelResult, lang: str) -> str:
    """A bridge factor in ``lang`` (a ``rate:<step>`` factor as the step's conversion)."""
    if has_label(name):
        return label(name, lang)
    if name.startswith("rate:"):
        return f"{step_word(name.split(':', 1)[1], result.stages, lang)} {label('conversion', lang)}"
    return label(name, lang)


def points(value: float | None) -> str:
    """A rate difference in percentage points, signed, two decimals ("—" when missing)."""
    return "—" if value is None or not np.isfinite(value) else formatted(value * 100, "+.2f")


def signed_points(value: float | None) -> str:
    """A rate difference in signed percentage points with a ``pt`` unit ("—" when missing)."""
    return "—" if value is None or not np.isfinite(value) else f"{value * 100:+.1f}pt"


def num(value: float | None) -> str:
    """A count, formatted as the metrics format counts."""
    return format_value(value, "count")


def days(value: float | None) -> str:
    """A number of days, formatted as the metrics format days."""
    return format_value(value, "days")


def p_text(value: float | None) -> str:
    """A p-value with three decimals ("<0.001" below that, "—" when missing)."""
    if value is None or not np.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else formatted(value, ".3f")
