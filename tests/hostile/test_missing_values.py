"""Real shapes: a missing or non-finite value in a finding or a tile is a dash, never a crash."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.catalog import CATALOG as REPORTS
from salesops_lib.report.findings_text import finding_text, templates
from salesops_lib.report.html import findings_html, tiles_html

MISSING = [None, float("nan"), float("inf"), -math.inf]


def _templates() -> list[tuple[str, str]]:
    return [(name, kind) for name in REPORTS for kind in templates(name)]


TEMPLATES = _templates()


def test_the_templates_are_found() -> None:
    assert len(TEMPLATES) >= 20 and {a for a, _ in TEMPLATES} >= {"forecast", "team_efficiency", "expense_roi"}


@pytest.mark.parametrize(("analysis", "kind"), TEMPLATES, ids=[f"{a}-{k}" for a, k in TEMPLATES])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_finding_template_words_missing_facts_as_a_dash(analysis: str, kind: str, lang: str) -> None:
    for value in MISSING:
        facts = dict.fromkeys(
            (
                "change",
                "p_hit",
                "gap",
                "share",
                "coverage",
                "days",
                "ratio",
                "roi",
                "lift",
                "count",
                "amount",
                "target",
                "forecast",
                "lo",
                "hi",
            ),
            value,
        )
        finding = Finding(
            analysis, kind, "high", "region", "north", "revenue", value, value, "2025-06", at_stake=0.0, facts=facts
        )
        text = finding_text(finding, lang)
        assert text and "nan" not in text.lower() and "inf" not in text.lower().replace("info", ""), text


def test_a_page_of_findings_with_missing_values_renders() -> None:
    findings = [
        Finding(
            "forecast",
            "outlook",
            "high",
            "company",
            "company",
            "revenue",
            None,
            float("nan"),
            "2025-06",
            facts={"p_hit": None},
        )
    ]
    html = findings_html(findings, "en")
    assert "<li>" in html and "nan" not in html.lower()


def test_tiles_with_json_nulls_render_as_dashes() -> None:
    tiles = pd.DataFrame(
        [
            {
                "metric": "won_value",
                "label": "Won value",
                "unit": "currency",
                "value": None,
                "change_prev": None,
                "change_yoy": float("nan"),
                "higher_is_better": None,
            }
        ]
    )
    html = tiles_html(tiles, "en")
    assert "—" in html and "nan" not in html.lower() and "None" not in html


# --------------------------------------------------------------------------- pages (issue 18: "nan%", a `nan` header, "Gini nan")


def test_labels_and_format_specs_print_missing_numbers_as_dashes() -> None:
    from salesops_lib.metrics.formatting import fill, formatted
    from salesops_lib.report.i18n import t

    for value in MISSING:
        assert formatted(value, ".1%") == formatted(value, ",.0f") == "—"
        assert fill("{share:.1%} of {total:,.0f}", share=value, total=value) == "— of —"
    assert formatted(0.125, ".1%") == "12.5%" and fill("{n:,}", n=1234) == "1,234"
    # every label's format is total: a NaN under a format spec is a dash, never "nan%"
    note = t("achievability_note", "en", "target_split")
    assert "nan" not in note.format(gap=float("nan"), q_high=float("nan"), q_low=None, min_points=3)


def test_tables_label_missing_names_as_unknown_and_missing_numbers_as_dashes() -> None:
    from salesops_lib.report.formats import labelled_table, number
    from salesops_lib.report.html import table_html
    from salesops_lib.report.i18n import t

    frame = pd.DataFrame({"unit": ["north", None, float("nan")], "gini": [0.25, float("nan"), float("inf")]})
    html = labelled_table(
        frame, {"unit": ("unit", str), "gini": ("gini", lambda v: number(v, 3))}, lambda k: t(k, "zh", "target_split")
    )
    assert "未知" in html and "—" in html and "nan" not in html.lower() and "None" not in html and "inf" not in html
    pivot = pd.DataFrame({"north": [1.0], float("nan"): [float("nan")]})  # a pivot over regions with a gap
    for lang, word in (("zh", "未知"), ("en", "unknown")):
        page = table_html(pivot, lang=lang)
        assert f"<th>{word}</th>" in page and "nan" not in page.lower()


def test_the_fairness_table_has_no_gini_nan() -> None:
    from types import SimpleNamespace

    from salesops_lib.report.target_split import sections

    fairness = pd.DataFrame(
        [
            {
                "level": "rep",
                "measure": "per_fte",
                "units": 1,
                "min": 1.0,
                "median": 1.0,
                "max": 1.0,
                "cv": float("nan"),
                "gini": float("nan"),
            }
        ]
    )
    result = SimpleNamespace(fairness=fairness, region="", findings=())
    for lang in ("zh", "en"):
        html = sections.fairness(result, lang).html  # type: ignore[arg-type]
        assert "nan" not in html.lower(), html
