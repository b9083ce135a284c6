"""Words and number formats of the expense ROI page: labels and coded values from
``labels.yaml`` (coded values such as categories, campaign types, statuses and levels are the
labels ``word.<code>``), and the page's own cell formats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from salesops_lib.report.formats import missing, number
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.names import any_name

REPORT = "expense_roi"

Formatter = Callable[[Any], str]


def label(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (the report's catalogue, else the glossary)."""
    return t(key, lang, REPORT)


#: the kinds of code this page's tables show, in the order they are tried after its own words
CODE_KINDS = ("expense_category", "campaign_type", "region", "team", "rep")


def word(code: object, lang: str) -> str:
    """A coded value (category, type, status, level, a region or team) in ``lang``: the page's
    words (``word.<code>``), else the shared names (:func:`~salesops_lib.report.names.any_name`);
    unknown codes print as they are.
    """
    key = f"word.{code}"
    return label(key, lang) if key in catalogue(REPORT).labels else any_name(code, lang, CODE_KINDS)


def title_word(code: object, lang: str) -> str:
    """:func:`word` with a capital first letter in English (plot titles and legends)."""
    text = word(code, lang)
    return text[:1].upper() + text[1:] if lang == "en" else text


def words(lang: str) -> Formatter:
    """A cell formatter that prints coded values in ``lang``."""
    return lambda v: word(v, lang)


def points(v: Any) -> str:
    """A difference of shares in percentage points."""
    return "—" if missing(v) else f"{float(v) * 100:+.1f} pt"


def intervals(frame: pd.DataFrame, low: str, high: str, fmt: Formatter = number) -> list[str]:
    """``low ~ high`` per row of ``frame``."""
    return [f"{fmt(lo)} ~ {fmt(hi)}" for lo, hi in zip(frame[low], frame[high], strict=True)]
