"""Money for people (issue 21): 万/亿 in zh, K/M in en, one unit per table column."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from salesops_lib.report.formats import labelled_table, money, money_axis, money_column
from salesops_lib.report.html import table_html
from salesops_lib.runner.tables_export import write_workbook


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (117_421_794, "1.17亿", "117M"),
        (34_746_000, "3,475万", "34.7M"),
        (123_456, "12.3万", "123K"),
        (864_000, "86.4万", "864K"),
        (12_345, "1.23万", "12.3K"),
        (8_650, "8,650", "8.65K"),
        (864, "864", "864"),
        (0, "0", "0"),
        (-123_456, "-12.3万", "-123K"),
        (-117_421_794, "-1.17亿", "-117M"),
        (99_999_600, "1.00亿", "100M"),  # 9,999.96万 rounds into the next unit
        (9_999.6, "1.00万", "10.0K"),  # never "10,000"
        (999_960, "100万", "1.00M"),
        (2.5e12, "25,000亿", "2,500B"),
    ],
)
def test_one_figure_takes_the_largest_unit_it_reaches_after_rounding(value: float, zh: str, en: str) -> None:
    assert (money(value, "zh"), money(value, "en")) == (zh, en)


@pytest.mark.parametrize("gap", [None, float("nan"), float("inf"), pd.NA, "n/a"])
def test_a_missing_figure_is_a_dash(gap: object) -> None:
    assert money(gap, "zh") == money(gap, "en") == money(gap) == "—"


def test_without_a_language_money_stays_whole_units() -> None:
    assert money(117_421_794.4) == "117,421,794"


def test_a_column_takes_the_unit_of_its_median_and_states_it_in_the_header() -> None:
    values = pd.Series([117_421_794.0, 34_746_000.0, 5_600_000.0, 86_500.0, float("nan")])
    zh = money_column(values, "zh")
    assert zh.header("销售额") == "销售额（万元）"
    assert [zh(v) for v in values] == ["11,742.2", "3,474.6", "560.0", "8.7", "—"]
    en = money_column(values, "en")
    assert (en.header("Revenue"), en(117_421_794.0), en(86_500.0)) == ("Revenue (M)", "117.4", "0.1")
    assert money_column([4e8, 3e8, -5e8], "zh").header("目标") == "目标（亿元）"
    assert money_column([3e8, 9e8], "zh")(3e8) == "3.00"  # median below 10 亿: two decimals
    small = money_column([800.0, 950.0, 0.0], "zh")
    assert (small.header("单价"), small(950.0)) == ("单价（元）", "950")
    assert money_column([800.0], "en").header("Price") == "Price"
    assert money_column([], "zh").header("金额") == "金额（元）"
    assert (
        zh.header("人均销售额（窗口）") == "人均销售额（窗口，万元）"
        and en.header("Revenue (window)") == "Revenue (window, M)"
    )


def test_labelled_table_gives_money_columns_one_unit_when_it_knows_the_language() -> None:
    frame = pd.DataFrame({"region": ["华东", "西南"], "revenue": [34_746_000.0, 1_200_000.0]})
    columns = {"region": ("region", str), "revenue": ("revenue", money)}
    words = {"region": "大区", "revenue": "销售额", "unknown": "未知"}
    html = labelled_table(frame, columns, words.__getitem__, "zh")
    assert "销售额（万元）" in html and "3,474.6" in html and "120.0" in html
    assert "34,746,000" in labelled_table(frame, columns, words.__getitem__)  # no language: as before


def test_axis_money_uses_one_unit_per_language() -> None:
    zh, en = money_axis("zh"), money_axis("en")
    zh.set_locs([0, 5_000, 10_000, 15_000])  # small ticks: all in 万, never "5,000" beside "1万"
    assert [zh(v, 0) for v in (0, 5_000, 15_000)] == ["0", "0.5万", "1.5万"]
    zh.set_locs([0, 1e8, 2e8])
    assert [zh(v, 0) for v in (5e7, 2e8)] == ["0.5亿", "2亿"]
    en.set_locs([0, 500_000, 1_000_000, 1_500_000])
    assert [en(v, 0) for v in (500_000, 1_500_000)] == ["0.5M", "1.5M"]  # not "500k" beside "1.5M"
    en.set_locs([0, 400, 800])
    assert en(800, 0) == "800"


def _page_workbook(tmp_path: Path, page: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("view.section()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": page})]
    nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "page.ipynb")
    target = write_workbook(tmp_path / "page.ipynb", tmp_path / "page.xlsx", "zh")
    assert target is not None
    return target


def test_excel_reads_a_column_unit_header_back_into_yuan(tmp_path: Path) -> None:
    frame = pd.DataFrame({"region": ["华东", "西南"], "revenue": [34_746_000.0, 1_200_000.0]})
    words = {"region": "大区", "revenue": "销售额", "unknown": "未知"}
    page = "<h2>各大区</h2>" + labelled_table(
        frame, {"region": ("region", str), "revenue": ("revenue", money)}, words.__getitem__, "zh"
    )
    sheet = load_workbook(_page_workbook(tmp_path, page))["各大区"]
    assert sheet["B1"].value == "销售额（万元）"
    assert sheet["B2"].value == 34_746_000 and sheet["B3"].value == 1_200_000
    assert "万" in sheet["B2"].number_format


def test_excel_gets_the_exact_yuan_of_money_shown_rounded(tmp_path: Path) -> None:
    """The page shows 3,474.6 万 and 1.17亿; the download holds the exact amounts, not the rounded text."""
    frame = pd.DataFrame({"region": ["华东", "西南"], "revenue": [34_746_012.37, 1_234_567.0]})
    words = {"region": "大区", "revenue": "销售额", "unknown": "未知"}
    table = labelled_table(frame, {"region": ("region", str), "revenue": ("revenue", money)}, words.__getitem__, "zh")
    single = table_html(pd.DataFrame({"合计": [money(117_421_794.46, "zh")]}, dtype=object), index=False)
    assert ">3,474.6<" in table and ">1.17亿<" in single
    book = load_workbook(_page_workbook(tmp_path, "<h2>各大区</h2>" + table + "<h2>合计</h2>" + single))
    assert book["各大区"]["B2"].value == pytest.approx(34_746_012.37) and book["各大区"]["B3"].value == 1_234_567
    assert book["合计"]["A2"].value == pytest.approx(117_421_794.46)


def test_finding_sentences_size_money_facts_and_keep_counts_plain() -> None:
    from salesops_lib.analyses.findings import Finding
    from salesops_lib.report.findings_text import finding_text

    facts = {
        "category": "marketing",
        "over": 0.25,
        "spent": 34_746_000.0,
        "budget_amount": 27_800_000.0,
        "projected_over": 117_421_794.0,
        "months": 6,
        "months_over": 4,
    }
    finding = Finding("expense_roi", "budget_overrun", "high", "company", "company", "expenses", None, None, "2025-06")
    finding.facts.update(facts)
    zh, en = finding_text(finding, "zh"), finding_text(finding, "en")
    assert "3,475万" in zh and "2,780万" in zh and "1.17亿" in zh and "6 个月中 4 个月" in zh
    assert "34.7M" in en and "117M" in en and "34,746,000" not in en


def test_a_signed_money_fact_keeps_its_sign() -> None:
    from salesops_lib.report.money import Amount

    assert f"{Amount(-123_456.0, 'zh'):+money} / {Amount(123_456.0, 'zh'):+money}" == "-12.3万 / +12.3万"
