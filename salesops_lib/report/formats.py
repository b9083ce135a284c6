"""Cell, axis and block formatting shared by every report page (a dash for anything missing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.ticker import Formatter

from salesops_lib.metrics.formatting import MISSING_TEXT, is_missing_number
from salesops_lib.report.html import e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.money import MONEY_UNITS
from salesops_lib.report.money import MoneyColumn as MoneyColumn  # re-exported: pages import money from here
from salesops_lib.report.money import missing as missing
from salesops_lib.report.money import money as money
from salesops_lib.report.money import money_column as money_column
from salesops_lib.report.money import signed_money as signed_money


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def in_column(values: Any, heading: str, fmt: Callable[[Any], str], lang: str) -> tuple[str, Callable[[Any], str]]:
    """A table column's (heading, formatter): a :func:`money` column in ``lang`` gets one unit
    for all its ``values`` (:func:`money_column`), stated in its heading; any other as given.

    Examples
    --------
    >>> heading, fmt = in_column([34746000, 1200000], "销售额", money, "zh")
    >>> heading, fmt(34746000)
    ('销售额（万元）', '3,474.6')
    """
    if not lang or fmt is not money:
        return heading, fmt
    column = money_column(values, lang)
    return column.header(heading), column


def money_cells(values: pd.Series, header: str, lang: str) -> dict[str, pd.Series]:
    """A money column as ``{header with its unit: cell texts}`` in one unit (``**`` it into a table).

    Examples
    --------
    >>> money_cells(pd.Series([34746000.0, 1200000.0]), "销售额", "zh")["销售额（万元）"].tolist()
    ['3,474.6', '120.0']
    """
    column = money_column(values, lang)
    return {column.header(header): column.cells(values)}


def pct(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A ratio as a percentage (``signed`` adds the + sign)."""
    if missing(value):
        return "—"
    return f"{float(value):+.{digits}%}" if signed else f"{float(value):.{digits}%}"


def quarter_forecast(quarter: str, outlook: Mapping[str, Any] | pd.Series, lang: str) -> str:
    """A quarter's forecast in one sentence: the forecast, its 80 % band, the target, the expected
    attainment and the chance to hit it (``outlook``: forecast, lo80, hi80, target, attainment, p_hit).

    Examples
    --------
    >>> outlook = {
    ...     "forecast": 3.474e7,
    ...     "lo80": 3.062e7,
    ...     "hi80": 3.941e7,
    ...     "target": 3.348e7,
    ...     "attainment": 1.038,
    ...     "p_hit": 0.66,
    ... }
    >>> quarter_forecast("2025Q3", outlook, "zh")
    '2025Q3 预测 3,474万（80% 区间 3,062万 – 3,941万），目标 3,348万，预计达成 103.8%，达标概率 66%。'
    """
    return t("quarter_forecast", lang).format(
        quarter=quarter,
        forecast=money(outlook["forecast"], lang),
        lo=money(outlook["lo80"], lang),
        hi=money(outlook["hi80"], lang),
        target=money(outlook["target"], lang),
        attainment=pct(outlook["attainment"]),
        p_hit=pct(outlook["p_hit"], 0),
    )


def signed_pct(value: Any) -> str:
    """A change as a signed percentage with one decimal."""
    return pct(value, signed=True)


def number(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals."""
    return "—" if missing(value) else f"{float(value):,.{digits}f}"


def integer(value: Any) -> str:
    """A whole number with thousands separators."""
    return "—" if missing(value) else f"{int(value):,d}"


def _short(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


class MoneyAxis(Formatter):
    """Axis money in ONE unit per axis: the unit of the largest tick (亿 / 万 in zh, B / M / K in en).

    Every tick carries the same unit (``0``, ``500万``, ``1,000万``, ``1,500万``), with as many
    decimals as the ticks need.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.size, self.unit = 1.0, ""

    def set_locs(self, locs: Any) -> None:
        """Pick the unit from the ticks about to be drawn."""
        super().set_locs(locs)
        top = max((abs(float(v)) for v in locs), default=0.0)
        self.size, self.unit = next(((s, u) for s, u in MONEY_UNITS[_lang(self.lang)] if top >= s), (1.0, ""))

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The tick ``x`` in the axis unit."""
        if x == 0:
            return "0"
        return f"{_short(x / self.size)}{self.unit}"


def money_axis(lang: str) -> MoneyAxis:
    """Axis money in one unit per axis (see :class:`MoneyAxis`).

    Examples
    --------
    >>> axis = money_axis("zh")
    >>> axis.set_locs([0, 5e6, 1e7, 1.5e7])
    >>> [axis(v) for v in (0, 5e6, 1e7, 1.5e7)]
    ['0', '500万', '1,000万', '1,500万']
    """
    return MoneyAxis(lang)


Columns = dict[str, tuple[str, Callable[[Any], str]]]
"""A table's columns: frame column → (label key, cell formatter), in display order."""


def labelled_table(
    frame: pd.DataFrame,
    columns: Columns,
    label: Callable[[str], str],
    lang: str = "",
    *,
    tints: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """``frame``'s ``columns`` (name → (label key, formatter)) as an escaped HTML table, headed in the page language.
    ``tints`` (column name → one CSS class per row) colour those columns' cells.

    A missing cell never reaches its formatter: a missing number is a dash, a missing name (a
    text column) the glossary's ``unknown``. With ``lang``, a column formatted by :func:`money`
    gets one unit for the whole column (:func:`money_column`), stated in its header.
    """

    def cells(name: str, fmt: Callable[[Any], str]) -> pd.Series:
        gap = MISSING_TEXT if pd.api.types.is_numeric_dtype(frame[name]) else label("unknown")
        shown = [gap if is_missing_number(v) else fmt(v) for v in frame[name]]
        return pd.Series(shown, index=frame.index, dtype=object)  # money cells keep their exact amount

    shown: dict[str, pd.Series] = {}
    headings: dict[str, str] = {}
    for name, (key, fmt) in columns.items():
        heading, cell = in_column(frame[name], label(key), fmt, lang)
        shown[heading], headings[name] = cells(name, cell), heading
    coloured = {headings[name]: css for name, css in (tints or {}).items() if name in headings}
    return table_html(pd.DataFrame(shown), index=False, tints=coloured)


def heading(text: str) -> str:
    """A section heading (it enters the page's table of contents)."""
    return f"<h2>{e(text)}</h2>"


def paragraph(text: str, css: str = "") -> str:
    """An escaped paragraph, optionally styled."""
    style = f" style='{css}'" if css else ""
    return f"<p{style}>{e(text)}</p>"
