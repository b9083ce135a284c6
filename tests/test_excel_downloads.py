"""Excel downloads as working documents (issue 21): frozen header, autofilter, fitted widths,
numbers as numbers with formats (万 in zh), and the complete deal lists as sheets of their own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from salesops_lib.report.notebook import SHEETS_MIME, json_safe
from salesops_lib.report.sheets import Sheet
from salesops_lib.runner.tables_export import write_workbook

PAGE_TABLE = (
    "<h2>各大区本月表现</h2><table class='so-table'><thead><tr><th>大区</th><th>销售额</th>"
    "<th>赢单率</th><th>变化</th><th>截止</th><th>商机数</th></tr></thead><tbody>"
    "<tr><td>华东大区</td><td>1,234.5万</td><td>37.2%</td><td>+3.1个百分点</td><td>2025-06-30</td><td>1,204</td></tr>"
    "<tr><td>西南大区</td><td>1.2亿</td><td>−4.0%</td><td>−0.5个百分点</td><td>2025-05-31</td><td>87</td></tr>"
    "</tbody></table>"
)
DEALS = Sheet(
    "停滞商机",
    ("商机", "销售", "金额", "预计成交", "停留天数"),
    ("text", "text", "money", "date", "integer"),
    tuple((f"O{i:04d}", "张伟", 10_000.0 * i, "2025-07-01", i) for i in range(1, 301)),
)


def _executed(tmp_path: Path, *, sheets: tuple[Sheet, ...] = (DEALS,)) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("view.section()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": PAGE_TABLE}),
        nbformat.v4.new_output(
            "display_data", data={SHEETS_MIME: json_safe({"sheets": [s.to_dict() for s in sheets]})}
        ),
    ]
    nb.cells.append(cell)
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    target = write_workbook(_executed(tmp_path), tmp_path / "page.xlsx", "zh")
    assert target is not None
    return load_workbook(target)


def test_page_tables_have_frozen_header_filter_widths_and_typed_numbers(book) -> None:  # type: ignore[no-untyped-def]
    sheet = book["各大区本月表现"]
    assert sheet.freeze_panes == "B2"  # the header row and the names column
    assert sheet.auto_filter.ref == "A1:F3"
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= 8 + 3  # 华东大区: four CJK characters count double
    money, rate, points, day, count = sheet["B2"], sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"]
    assert money.value == 12_345_000 and money.data_type == "n" and "万" in money.number_format
    assert sheet["B3"].value == 120_000_000
    assert rate.value == pytest.approx(0.372) and rate.number_format == "0.0%"
    assert sheet["C3"].value == pytest.approx(-0.04)
    assert points.value == pytest.approx(3.1) and "个百分点" in points.number_format
    assert day.is_date and day.value == dt.datetime(2025, 6, 30) and day.number_format == "yyyy-mm-dd"
    assert count.value == 1204 and count.number_format == "#,##0"


def test_complete_deal_lists_come_as_sheets_after_the_page_tables(book) -> None:  # type: ignore[no-untyped-def]
    assert book.sheetnames == ["各大区本月表现", "停滞商机"]
    deals = book["停滞商机"]
    assert deals.max_row == 1 + 300  # every deal, not the page's first rows
    assert deals.freeze_panes == "B2" and deals.auto_filter.ref == "A1:E301"
    assert deals["C2"].data_type == "n" and deals["C2"].number_format == '0\\.0,"万"'
    assert deals["D2"].is_date and deals["E301"].value == 300


def test_english_money_stays_plain_and_a_text_cell_never_becomes_a_formula(tmp_path: Path) -> None:
    hostile = Sheet("Deals", ("Deal", "Value"), ("text", "money"), (('=HYPERLINK("x")', 1500.0),))
    target = write_workbook(_executed(tmp_path, sheets=(hostile,)), tmp_path / "page.xlsx", "en")
    assert target is not None
    sheet = load_workbook(target)["Deals"]
    assert sheet["A2"].data_type == "s" and sheet["B2"].number_format == "#,##0"


def test_the_pages_hide_the_sheets_output(tmp_path: Path) -> None:
    from salesops_lib.runner.html_export import export_html

    page = export_html(
        _executed(tmp_path), tmp_path / "page.html", title="t", meta="m", home="h", toc_label="c", lang="zh"
    )
    html = page.path.read_text(encoding="utf-8")
    assert "application/vnd.salesops" not in html and "O0300" not in html and "华东大区" in html
