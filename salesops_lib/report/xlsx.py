"""Writing cells of the Excel downloads: every text is a string cell, never a formula.

openpyxl turns any text that starts with ``=`` into a live formula (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``) and texts such as ``#REF!`` into error cells. Names come from the
user's data, so every writer of an ``.xlsx`` puts its cells through :func:`write_cell` (or
:func:`write_row`): texts keep exactly what the user had and are stored as strings, which
Excel shows but never evaluates; numbers, dates and empty cells are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
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
