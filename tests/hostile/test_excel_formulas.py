"""Hostile names in the Excel downloads stay text: no cell of any workbook is a formula.

Names such as ``=HYPERLINK("http://x","a")`` or ``=cmd|' /C calc'!A0`` come from the user's
CRM; openpyxl would store them as live formulas. Both writers (page tables, target split) go
through the real functions and are reopened with openpyxl.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from salesops_lib.analyses import target_split
from salesops_lib.analyses.target_split import TargetSplitParams
from salesops_lib.config.scope import RunScope
from salesops_lib.report.target_split import write_workbooks
from salesops_lib.report.xlsx import write_cell, write_row
from salesops_lib.runner.tables_export import page_tables, write_workbook
from tests.builders import dataset_from_frames

HOSTILE = [
    '=HYPERLINK("http://x","a")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
]


def _cells(paths: list[Path]) -> list[tuple[object, str]]:
    """(value, data_type) of every non-empty cell of every sheet of ``paths``."""
    out = []
    for path in paths:
        for sheet in load_workbook(path).worksheets:
            out += [(c.value, c.data_type) for row in sheet.iter_rows() for c in row if c.value is not None]
    return out


def _assert_no_formula(cells: list[tuple[object, str]]) -> None:
    formulas = [value for value, kind in cells if kind == "f"]
    assert not formulas, formulas


# --------------------------------------------------------------------------- the helper


def test_helper_writes_text_as_strings_and_numbers_as_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    write_row(sheet, 1, [*HOSTILE, "#REF!", "="])
    write_row(sheet, 2, [12.5, -3, 0, None, "plain"])
    book.save(tmp_path / "t.xlsx")
    row1, row2 = load_workbook(tmp_path / "t.xlsx").active.iter_rows(max_row=2, max_col=len(HOSTILE) + 2)
    assert [(c.value, c.data_type) for c in row1] == [(text, "s") for text in [*HOSTILE, "#REF!", "="]]
    assert [c.value for c in row2[:5]] == [12.5, -3, 0, None, "plain"]
    assert [c.data_type for c in row2[:3]] == ["n", "n", "n"]


def test_without_the_helper_openpyxl_would_write_a_formula(tmp_path: Path) -> None:
    """Negative control: the raw openpyxl assignment is what the helper guards against."""
    book = Workbook()
    book.active.cell(row=1, column=1, value=HOSTILE[0])
    write_cell(book.active, 1, 2, HOSTILE[0])
    book.save(tmp_path / "raw.xlsx")
    raw, safe = next(load_workbook(tmp_path / "raw.xlsx").active.iter_rows(max_row=1))
    assert (raw.data_type, safe.data_type) == ("f", "s")


def test_carriage_return_text_is_a_string_not_a_formula(tmp_path: Path) -> None:
    book = Workbook()
    write_cell(book.active, 1, 1, "\r=1+1")
    book.save(tmp_path / "cr.xlsx")
    cell = load_workbook(tmp_path / "cr.xlsx").active["A1"]
    # XML turns a raw CR into LF on reading; what matters is that it is still text
    assert cell.data_type == "s" and cell.value.replace("\n", "\r") == "\r=1+1"


# --------------------------------------------------------------------------- page tables


def _notebook(tmp_path: Path, frame: pd.DataFrame) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show(frame)")
    html = "<h3>Reps</h3>" + frame.to_html(index=False)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    nb.cells = [cell]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    return path


def test_page_tables_keep_hostile_names_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": HOSTILE, "amount": ["12,345", "37.2%", "-4.1", "0", "7", "1,000.5"]})
    target = write_workbook(_notebook(tmp_path, frame), tmp_path / "page.xlsx")
    assert target is not None
    sheet = load_workbook(target).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    _assert_no_formula(_cells([target]))
    # the workbook holds exactly the text the page shows (pandas prints the tab as "\\t")
    shown = [row[0] for row in page_tables(tmp_path / "page.ipynb")[0].rows[1:]]
    assert shown[:5] == HOSTILE[:5] and shown[5] in ("\\t=1", "=1")
    assert [(r[0].value, r[0].data_type) for r in rows] == [(text, "s") for text in shown]
    assert [r[1].value for r in rows] == [12345, pytest.approx(0.372), -4.1, 0, 7, 1000.5]
    assert all(r[1].data_type == "n" for r in rows)


# --------------------------------------------------------------------------- target split


@pytest.fixture(scope="module")
def hostile_split(tmp_path_factory: pytest.TempPathFactory) -> target_split.TargetSplitResult:
    """Two regions and two teams with hostile ids; six reps named with the hostile strings."""
    teams = [("+1+1", "@SUM(A1)"), ("-2+3", "=cmd|' /C calc'!A0")]
    reps = pd.DataFrame(
        {
            "rep_id": [f"r{i}" for i in range(6)],
            "name": HOSTILE,
            "team": [teams[i % 2][0] for i in range(6)],
            "region": [teams[i % 2][1] for i in range(6)],
            "hire_date": [None] * 6,
            "exit_date": [None] * 6,
        }
    ).astype({"hire_date": "object", "exit_date": "object"})
    rows = [
        (f"r{i}", (month + pd.Timedelta(days=9)).date(), 100.0 * (i + 1))
        for month in pd.date_range("2023-01-01", "2024-12-01", freq="MS")
        for i in range(6)
    ]
    orders = pd.DataFrame(
        {
            "order_id": [f"o{k}" for k in range(len(rows))],
            "customer_id": "c1",
            "rep_id": [r[0] for r in rows],
            "ordered_at": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
            "cost": 0.0,
        }
    )
    opps = pd.DataFrame({"opp_id": ["x"], "rep_id": ["r0"], "status": ["open"], "created_at": [rows[0][1]]})
    ds = dataset_from_frames(
        tmp_path_factory.mktemp("hostile_split") / "src", {"reps": reps, "orders": orders, "opportunities": opps}
    )
    params = TargetSplitParams.load(
        {
            "bounds_levels": "",
            "company_target": 50400,
            "method_region": "history",
            "method_team": "history",
            "method_rep": "history",
        }
    )
    return target_split.compute(ds, RunScope(source=ds.source, period="2024-12"), params)  # type: ignore[arg-type]


def test_target_workbooks_keep_hostile_names_as_text(
    hostile_split: target_split.TargetSplitResult, tmp_path: Path
) -> None:
    paths = write_workbooks(hostile_split, "zh", tmp_path)
    assert len(paths) == 3  # company + two regions
    cells = _cells(paths)
    _assert_no_formula(cells)
    texts = {value for value, kind in cells if kind == "s"}
    given = set(hostile_split.plan.units["name"].dropna()) | set(hostile_split.plan.units["unit_id"])
    assert {h.strip() for h in HOSTILE} <= given  # the data layer trims the tab; "=1" is left
    assert given <= texts  # every name and id exactly as the writer got it, as a string cell
    # negative control: the amounts are still numbers, and a region's months add up to its year
    sheet = load_workbook(paths[1]).worksheets[0]
    header, region = [c.value for c in sheet[1]], list(sheet[2])
    months = [c for c, name in zip(region, header, strict=True) if str(name)[:2] == "20"]
    assert months and all(c.data_type == "n" and isinstance(c.value, int | float) for c in months)
    assert sum(c.value for c in months) == region[-1].value
