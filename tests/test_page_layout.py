"""Headline first (issue 21): a report page reads tiles, findings, business sections; its table of
contents is short and closed; tests, models and backtests close the page in one collapsed
「方法说明」 section; ranked tables put the worst unit first and tint shortfalls.

Fast tests on hand-built executed notebooks and frames; the browser test of the published pages
is ``tests/test_pages_browser.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
from matplotlib.figure import Figure

from salesops_lib.catalog import CATALOG
from salesops_lib.report.html import HtmlFragment, attainment_tints, table_html, worst_first
from salesops_lib.report.layout import methods, methods_note
from salesops_lib.runner.html_export import export_html

ROOT = Path(__file__).resolve().parents[1]


def _page(tmp_path: Path, outputs: list[str], *, lang: str = "zh") -> str:
    nb = nbformat.v4.new_notebook()
    for html in outputs:
        cell = nbformat.v4.new_code_cell("view.section()")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
        nb.cells.append(cell)
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    page = export_html(path, tmp_path / "page.html", title="t", meta="m", home="h", toc_label="目录", lang=lang)
    return page.path.read_text(encoding="utf-8")


def _body(page: str) -> str:
    return page.split("<body", 1)[1]


def test_marked_parts_close_the_page_in_one_collapsed_methods_section(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        [
            "<h1>漏斗 · 2025-06</h1>",
            "<div class='so-tiles'>tiles</div>",
            "<h2>主要发现</h2><ul><li>north 转化下降</li></ul>",
            "<h2>分群对比</h2>"
            + methods_note("<p>双比例 z 检验，Holm 校正</p>")
            + "<table><tr><td>north</td></tr></table>",
            methods(HtmlFragment("<h2>预测方法</h2><p>MASE 回测</p>")).html,
            methods(HtmlFragment("<img alt='backtest chart'>")).html,
            "<h2>风险预警</h2><p>多次推迟的商机</p>",
        ],
    )
    body = _body(page)
    details = re.search(
        r'<details class="so-methods" id="so-methods"><summary>方法说明</summary>(.*?)</details>', body, re.S
    )
    assert details, "no collapsed methods section"
    inside = details.group(1)
    # the note sits under the heading of the section it came from; whole parts keep theirs, one level down
    assert re.search(r"<h3>分群对比</h3><p>双比例 z 检验，Holm 校正</p>", inside)
    # a figure marked right after a whole part continues it, without a heading of its own
    assert re.search(r"<h3>预测方法</h3><p>MASE 回测</p><img alt=.backtest chart.", inside)
    assert inside.count("<h3>分群对比</h3>") == 1
    outside = body.replace(details.group(0), "")
    assert (
        "Holm" not in outside
        and "MASE" not in outside
        and "预测方法" not in re.sub(r"<details class=\"so-toc\".*?</details>", "", outside, flags=re.S)
    )
    # page order: findings, the business sections, then the methods at the very end
    assert body.index("主要发现") < body.index("风险预警") < body.index('class="so-methods"')
    assert "north</td>" in outside  # the section's table stays in place


def test_the_contents_list_section_headings_only_and_are_closed(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        [
            "<h1>标题</h1>",
            "<h2>主要发现</h2>",
            "<h2>账龄</h2><h3>大区</h3><h3>团队</h3>",
            methods(HtmlFragment("<h2>模型</h2>")).html,
        ],
    )
    toc = re.search(r'<details class="so-toc"><summary>目录 \((\d+)\)</summary>(.*?)</details>', page, re.S)
    assert toc, "the contents are not a closed <details>"
    entries = re.findall(r"<a href=\"#([^\"]+)\">([^<]+)</a>", toc.group(2))
    assert [text for _, text in entries] == ["主要发现", "账龄", "方法说明"]
    assert toc.group(1) == "3" and entries[-1][0] == "so-methods"
    assert '<details class="so-toc" open' not in page and 'class="so-methods" open' not in page


def test_a_page_without_marked_parts_has_no_methods_section(tmp_path: Path) -> None:
    page = _page(tmp_path, ["<h2>Findings</h2><p>none</p>"], lang="en")
    assert "so-methods" not in _body(page)


def test_methods_take_figures_as_images() -> None:
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([1, 2], [1, 3])
    html = methods(figure).html
    assert html.startswith("<!--so:methods-->") and "data:image/png;base64," in html and "max-width:100%" in html


def test_every_report_notebook_shows_findings_right_after_its_tiles() -> None:
    """The findings cell follows the first cell that shows something after ``report.compute()``."""
    for report in CATALOG.values():
        if report.spec.summary:  # the executive page has its own order (its headline carries the findings)
            continue
        nb = nbformat.read(report.notebook, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        compute = next(i for i, s in enumerate(code) if "report.compute(" in s)
        shown = compute if code[compute].strip().count("\n") else compute + 1  # the tiles share the compute cell
        assert code[shown + 1].strip() == "report.findings(result.findings)", report.name


def test_ranked_tables_put_the_worst_first_and_tint_shortfalls() -> None:
    frame = pd.DataFrame(
        {
            "level": ["company", "region", "region", "region"],
            "unit": ["全公司", "华北", "华东", "西南"],
            "att": [0.95, 1.2, 0.7, None],
        }
    )
    ordered = worst_first(frame, "att", within="level")
    assert ordered["unit"].tolist() == ["全公司", "华东", "华北", "西南"]  # missing last, the company stays on top
    html = table_html(ordered[["unit", "att"]], index=False, tints={"att": attainment_tints(ordered["att"])})
    cells = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td( class=\"[^\"]+\")?>", html)
    assert cells == [
        ("全公司", ' class="so-short"'),
        ("华东", ' class="so-short"'),
        ("华北", ' class="so-met"'),
        ("西南", ""),
    ]
