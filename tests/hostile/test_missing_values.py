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
