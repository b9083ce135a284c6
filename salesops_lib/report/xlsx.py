"""Writing cells of the Excel downloads: every text is a string cell, never a formula.

openpyxl turns any text that starts with ``=`` into a live formula (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``) and texts such as ``#REF!`` into error cells. Names come from the
user's data, so every writer of an ``.xlsx`` puts its cells through :func:`write_cell` (or
:func:`write_row`): texts keep exactly what the user had and are stored as strings, which
Excel shows but never evaluates; numbers, dates and empty cells are written as they are.

Every sheet is then made a working table (:func:`finish_sheet`: frozen header, autofilter,
fitted widths); typed tables go through :func:`write_table`, whose number formats
(:func:`number_format`) keep money in yuan and show it in 万 in Chinese workbooks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, cast

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from openpyxl.cell import _CellSetValue


def write_cell(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    r"""Write ``value`` at (``row``, ``column``) of ``sheet``; a text is always a string cell.

    Parameters
    ----------
    sheet
        The worksheet written to.
    row, column
        1-based position of the cell.
    value
        A number, date, None or text (texts are stored as strings even when they start with
        ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; control characters an .xlsx
        cannot hold become U+FFFD).

    Returns
    -------
    Cell
        The cell written, e.g. to set its number format.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> write_cell(sheet, 1, 1, '=HYPERLINK("http://x","a")').data_type
    's'
    >>> write_cell(sheet, 1, 2, 12.5).data_type
    'n'
    >>> write_cell(sheet, 1, 3, "bell\x07").value
    'bell�'
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters an .xlsx cannot hold
    # openpyxl takes numpy scalars and other values its stubs' union leaves out: pass them on as they are
    cell = sheet.cell(row=row, column=column, value=cast("_CellSetValue", value))
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl inferred "f" (leading "=") or "e" ("#N/A"): keep the text
    return cell


def write_row(sheet: Worksheet, row: int, values: Iterable[object]) -> list[Cell]:
    """Write ``values`` into ``row`` of ``sheet`` from column 1 on (see :func:`write_cell`).

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> [c.data_type for c in write_row(sheet, 1, ["=1+1", "@SUM(A1)", 3])]
    ['s', 's', 'n']
    """
    return [write_cell(sheet, row, column, value) for column, value in enumerate(values, start=1)]


# --------------------------------------------------------------------------- working sheets

Kind = Literal["money", "rate", "points", "integer", "number", "date", "month", "text"]
"""What a column holds, which sets its number format (see :func:`number_format`)."""

_MONEY = {"zh": '0\\.0,"万"', "en": "#,##0"}
_POINTS = {"zh": '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"', "en": '+0.0" pp";-0.0" pp";0.0" pp"'}
_FIXED: dict[str, str] = {
    "rate": "0.0%",
    "integer": "#,##0",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
}
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")


def number_format(kind: Kind, lang: str) -> str | None:
    r"""The Excel number format of a column of ``kind`` in ``lang`` (None: text, left as is).

    Money stays in yuan in the cell, so sums, pivots and filters work on the exact amounts; in
    zh it *displays* in 万 with one decimal (``0\\.0,"万"``: the trailing comma divides the shown
    value by 1,000 and the escaped dot puts the decimal point one digit further left — Excel has
    no 10⁴ scaling, this is the usual way to show 万). A number filter still takes yuan
    (≥ 1,000,000 for 100万). In en money shows as ``#,##0``. Rates are fractions shown as
    ``0.0%``; changes of a rate are percentage points, numbers such as 3.1, shown as ``+3.1 pp``.

    Examples
    --------
    >>> number_format("money", "zh")
    '0\\.0,"万"'
    >>> number_format("rate", "en"), number_format("text", "en")
    ('0.0%', None)
    """
    if kind == "money":
        return _MONEY["zh" if lang == "zh" else "en"]
    if kind == "points":
        return _POINTS["zh" if lang == "zh" else "en"]
    return _FIXED.get(kind)


def display_width(value: object) -> int:
    """Characters ``value`` takes in a cell, CJK and full-width characters counting double.

    Examples
    --------
    >>> display_width("华东大区"), display_width("east"), display_width(1234567.0)
    (8, 4, 9)
    """
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        return len(text) + len(_WIDE.findall(text))
    return len(f"{value:,.2f}") if isinstance(value, float) and not float(value).is_integer() else len(f"{value:,.0f}")


def finish_sheet(sheet: Worksheet, header_rows: int = 1, *, name_column: bool | None = None) -> None:
    """Make ``sheet`` a working table: bold frozen header (and the first column when it holds
    names), an autofilter over the table, column widths fitted to the content.

    Parameters
    ----------
    sheet
        A sheet whose table starts at A1 with ``header_rows`` header rows.
    header_rows
        How many rows the header takes (the filter sits on the last one).
    name_column
        Whether to freeze the first column too; by default when most of its body cells are text.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> _ = write_row(sheet, 1, ["大区", "金额"]), write_row(sheet, 2, ["华东", 12.0])
    >>> finish_sheet(sheet)
    >>> sheet.freeze_panes, sheet.auto_filter.ref
    ('B2', 'A1:B2')
    """
    last_row, last_column = sheet.max_row, sheet.max_column
    if last_row < 1 or last_column < 1:
        return
    header_rows = max(0, min(header_rows, last_row))
    for row in sheet.iter_rows(min_row=1, max_row=header_rows):
        for cell in row:
            cell.font = Font(bold=True)
    if name_column is None:
        firsts = [sheet.cell(row=r, column=1).value for r in range(header_rows + 1, last_row + 1)]
        texts = [v for v in firsts if isinstance(v, str)]
        name_column = last_column > 1 and bool(firsts) and len(texts) * 2 > len(firsts)
    if header_rows:
        sheet.freeze_panes = f"{'B' if name_column else 'A'}{header_rows + 1}"
        if last_row > header_rows:
            sheet.auto_filter.ref = f"A{header_rows}:{get_column_letter(last_column)}{last_row}"
    widths = [0] * last_column
    for row in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_column):
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell.value))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(60, width + 3))  # + the filter button


def write_table(
    sheet: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[object]], kinds: Sequence[Kind], lang: str
) -> None:
    r"""Write a header and ``rows`` from A1, each column in the number format of its kind, then
    :func:`finish_sheet`. Dates may come as ISO texts (``2025-06-30``); missing values
    (None, NaN) stay empty cells.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> write_table(sheet, ["商机", "金额", "截止"], [["A", 125000, "2025-07-01"]], ["text", "money", "date"], "zh")
    >>> sheet["B2"].value, sheet["B2"].number_format, sheet["C2"].is_date
    (125000, '0\\.0,"万"', True)
    """
    write_row(sheet, 1, list(columns))
    formats = [number_format(kind, lang) for kind in kinds]
    for line, row in enumerate(rows, start=2):
        for column, (value, kind) in enumerate(zip(row, kinds, strict=True), start=1):
            cell = write_cell(sheet, line, column, _typed(value, kind))
            fmt = formats[column - 1]
            if fmt and cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = fmt
    finish_sheet(sheet)


def _typed(value: object, kind: Kind) -> object:
    """``value`` as the cell holds it: None for missing, a date for date kinds, a plain number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind in ("date", "month"):
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value[:10] if len(value) >= 10 else value + "-01")
            except ValueError:
                return value
        if hasattr(value, "to_pydatetime"):
            return None if value != value else value.to_pydatetime()  # NaT
        return value
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()  # numpy scalar
    return value
