"""Presentation: Chinese glyphs really render; text from data is escaped everywhere."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from fontTools.ttLib import TTFont
from matplotlib import font_manager

from salesops_lib.analyses.findings import Finding
from salesops_lib.report.fonts import cjk_font_path, font_face_css
from salesops_lib.report.html import findings_html, table_html, tiles_html
from salesops_lib.report.plots import small_multiples
from salesops_lib.report.theme import apply_theme

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def test_zh_plot_uses_the_project_font_and_misses_no_glyph(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    apply_theme(force=True)
    trend = pd.DataFrame(
        {"win_rate": [0.4, 0.5], "won_value": [100.0, 120.0]}, index=pd.to_datetime(["2024-01-01", "2024-02-01"])
    )
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        fig = small_multiples(trend, "zh")
        fig.savefig(tmp_path / "zh.png")
    assert not [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    used = {str(font_manager.findfont(ax.title.get_fontproperties())) for ax in fig.axes}
    assert used == {str(cjk_font_path())}
    cmap = TTFont(str(cjk_font_path())).getBestCmap()
    titles = "".join(ax.get_title() for ax in fig.axes)
    assert any(ord(c) > 0x4E00 for c in titles) and all(ord(c) in cmap for c in titles)
    plt.close("all")


def test_embedded_page_font_covers_the_page_text() -> None:
    css = font_face_css("月度经营回顾 赢单率 ABC")
    assert css.startswith("@font-face") and "data:font/ttf;base64," in css
    assert font_face_css("only latin text") == ""


def test_html_fragments_escape_text_from_data() -> None:
    tiles = pd.DataFrame(
        [
            {
                "metric": XSS[0],
                "unit": "ratio",
                "higher_is_better": True,
                "value": 0.5,
                "change_prev": 0.1,
                "change_yoy": None,
            }
        ]
    )
    finding = Finding(
        "kpi_overview",
        "kpi_move",
        "low",
        "region",
        XSS[1],
        "win_rate",
        0.5,
        0.4,
        "2024-01",
        facts={"basis": "prev", "change": 0.25},
    )
    table = table_html(pd.DataFrame({XSS[0]: [XSS[1]]}, index=[XSS[0]]))
    for html in (tiles_html(tiles, "en"), findings_html([finding], "en"), table):
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html


def test_monthly_review_lists_a_customer_once() -> None:
    from salesops_lib.analyses.findings import distinct

    base = {"metric": "revenue", "value": 1.0, "baseline": 2.0, "period": "2025-06"}
    churn_a = Finding("forecast", "key_account_risk", "high", "customer", "C1", at_stake=10.0, **base)  # type: ignore[arg-type]
    churn_b = Finding("collections_customers", "key_account_churn", "high", "customer", "C1", at_stake=9.0, **base)  # type: ignore[arg-type]
    region = Finding("funnel_diagnosis", "conversion_drop", "high", "region", "north", **base)  # type: ignore[arg-type]
    assert distinct([churn_a, churn_b, region]) == [churn_a, region]
