"""Money for people: one figure sized in 万/亿 (zh) or K/M/B (en), one unit per table column.

The rules (documented once, used by tiles, tables, sentences and the dashboard):

- a single figure (:func:`money`) takes the largest unit it reaches *after rounding*, with at
  least three significant digits: ``1.17亿``, ``12.3亿``, ``3,475万``, ``12.3万``, ``1.00万``;
  ``117M``, ``3.47M``, ``864K``; below 1 万 (zh) or 1 K (en) whole yuan: ``8,650``, ``864``;
- a table column (:func:`money_column`) takes the unit of its median size, one decimal (two when
  the median is below 10 units), and states the unit in its header: ``销售额（万元）``,
  ``Revenue (K)``, so the column reads, compares and adds up in one unit;
- negatives keep their sign, a missing number is a dash.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.metrics.formatting import MISSING_TEXT, format_value


def missing(value: Any) -> bool:
    """True for None, NaN, infinities and anything that is not a number."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


MONEY_UNITS: dict[str, tuple[tuple[float, str], ...]] = {
    "zh": ((1e8, "亿"), (1e4, "万")),
    "en": ((1e9, "B"), (1e6, "M"), (1e3, "K")),
}
"""Money's units per language, largest first (below the smallest: whole yuan)."""

COLUMN_UNITS: dict[str, dict[str, str]] = {
    "zh": {"": "元", "万": "万元", "亿": "亿元"},
    "en": {"": "", "K": "K", "M": "M", "B": "B"},
}
"""How a money column's header states its unit (``销售额（万元）``, ``Revenue (K)``)."""


MONEY_METRIC_UNITS = ("currency", "currency_per_fte")
"""The metric units (:mod:`salesops_lib.metrics.dictionary`) that are money."""


def _units(lang: str) -> tuple[tuple[float, str], ...]:
    return MONEY_UNITS["zh" if lang == "zh" else "en"]


def _significant(scaled: float) -> int:
    """Decimals that give ``scaled`` (≥ 1 in size) at least three significant digits."""
    return max(0, 3 - len(str(int(abs(scaled))))) if abs(scaled) >= 1 else 2


class MoneyText(str):
    """A money cell's text that remembers its exact amount (``.value``, in yuan), so a table
    shown in 万 still exports exact yuan (:func:`salesops_lib.report.html.table_html` writes it
    as the cell's ``data-value``).

    Examples
    --------
    >>> cell = MoneyText("3,474.6", 34746000.0)
    >>> cell, cell.value
    ('3,474.6', 34746000.0)
    """

    value: float

    def __new__(cls, text: str, value: float) -> MoneyText:
        """The cell ``text`` holding ``value``."""
        cell = super().__new__(cls, text)
        cell.value = value
        return cell


def money(value: Any, lang: str = "") -> str:
    """One money figure: whole units with separators (no ``lang``), or sized for ``lang``.

    With ``lang``: zh in 亿 (≥ 1 亿) or 万 (≥ 1 万), en in B / M / K, with three significant
    digits (``1.17亿``, ``3,475万``, ``12.3万``, ``117M``, ``3.47M``, ``864K``) and whole yuan
    below the smallest unit (``8,650``). The unit is chosen after rounding, so 99,999,600 is
    ``1.00亿``, never ``10,000万``. Missing numbers are a dash.

    Examples
    --------
    >>> money(117421794), money(117421794, "zh"), money(34746000, "zh"), money(8650, "zh")
    ('117,421,794', '1.17亿', '3,475万', '8,650')
    >>> money(99999600, "zh"), money(-864000, "en"), money(float("nan"), "en")
    ('1.00亿', '-864K', '—')
    """
    if missing(value):
        return MISSING_TEXT
    amount = float(value)
    if not lang:
        return format_value(amount, "currency")
    for size, unit in _units(lang):
        scaled = amount / size
        digits = _significant(round(scaled, _significant(max(abs(scaled), 1.0))))
        text = f"{scaled:,.{digits}f}"
        if abs(float(text.replace(",", ""))) >= 1:
            return MoneyText(f"{text}{unit}", amount)
    return MoneyText(f"{amount:,.0f}", amount)


def signed_money(value: Any, lang: str) -> str:
    """A change of money with its sign: ``+12.3万``, ``-864K``.

    Examples
    --------
    >>> signed_money(123456, "zh"), signed_money(-864000, "en"), signed_money(0, "zh")
    ('+12.3万', '-864K', '+0')
    """
    text = money(value, lang)
    if text == MISSING_TEXT or text.startswith("-"):
        return text
    return MoneyText(f"+{text}", float(value)) if lang else f"+{text}"


@dataclass(frozen=True)
class MoneyColumn:
    """One unit for a whole money column: its size, header suffix and decimals."""

    #: the column's unit size (1 for whole yuan)
    size: float
    #: the unit word ("万", "K"; "" for whole units)
    unit: str
    #: decimals of every cell
    digits: int
    #: the page language
    lang: str

    def header(self, text: str) -> str:
        """``text`` with the unit stated: ``销售额（万元）``, ``Revenue (K)``, ``人均销售额（窗口，万元）``
        (en whole units: as is).
        """
        word = COLUMN_UNITS["zh" if self.lang == "zh" else "en"][self.unit]
        if not word:
            return text
        if self.lang == "zh":  # 人均销售额（窗口） → 人均销售额（窗口，万元）
            return f"{text[:-1]}，{word}）" if text.endswith("）") else f"{text}（{word}）"
        return f"{text[:-1]}, {word})" if text.endswith(")") else f"{text} ({word})"

    def cells(self, values: pd.Series) -> pd.Series:
        """``values`` as cells in the column's unit, each keeping its exact amount (object dtype:
        pandas would otherwise infer plain strings and drop them).
        """
        return pd.Series([self(v) for v in values], index=values.index, dtype=object)

    def __call__(self, value: Any) -> str:
        """One cell in the column's unit (no unit word: the header states it)."""
        if missing(value):
            return MISSING_TEXT
        return MoneyText(f"{float(value) / self.size:,.{self.digits}f}", float(value))


def money_column(values: Any, lang: str) -> MoneyColumn:
    """The unit for a column of money ``values``: the unit of their median size.

    The median of the non-zero finite sizes picks the unit (a few outliers do not), and the
    decimals are one (two when the median is below 10 units; none for whole units), so the
    cells line up and add up at a glance.

    Examples
    --------
    >>> col = money_column([34746000, 1200000, 86500], "zh")
    >>> col.header("销售额"), col(34746000), col(86500)
    ('销售额（万元）', '3,474.6', '8.7')
    >>> col = money_column([864000, 1500], "en")
    >>> col.header("Revenue"), col(864000), col(None)
    ('Revenue (K)', '864.0', '—')
    """
    sizes = [abs(float(v)) for v in values if not missing(v) and float(v) != 0]
    middle = statistics.median(sizes) if sizes else 0.0
    for size, unit in _units(lang):
        if middle >= size:
            return MoneyColumn(size, unit, 2 if middle < 10 * size else 1, lang)
    return MoneyColumn(1.0, "", 0, lang)


def metric_value(value: Any, unit: str, lang: str) -> str:
    """A metric value for ``lang``: money (``currency``) sized by :func:`money`, other units as
    :func:`salesops_lib.metrics.formatting.format_value` prints them.

    Examples
    --------
    >>> metric_value(117421794, "currency", "zh"), metric_value(0.372, "ratio", "zh")
    ('1.17亿', '37.2%')
    """
    return money(value, lang) if unit in MONEY_METRIC_UNITS else format_value(value, unit)


class Amount:
    """A money fact of a sentence template: ``{spent:money}`` prints it sized for the language
    (``1.17亿``), ``{gap:+money}`` with its sign; any other spec (``{spent:,.0f}``, ``{months}``) formats the plain number as before.

    Examples
    --------
    >>> "{a:money} · {a:,.0f} · {n}".format(a=Amount(34746000.0, "zh"), n=Amount(12, "zh"))
    '3,475万 · 34,746,000 · 12'
    """

    def __init__(self, value: float | int, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        """The amount under ``spec`` (``money``: sized for the language)."""
        if spec in ("money", "+money"):
            return (signed_money if spec == "+money" else money)(self.value, self.lang)
        return format(self.value, spec)

    def __str__(self) -> str:
        return str(self.value)
