"""The whole monthly review on the small demo data: every report publishes, and the review's
findings recall every planted effect of the truth manifest (right unit, right direction) while
the null variant raises no high-severity finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salesops_lib.catalog import CATALOG as REPORTS
from salesops_lib.data import connect
from salesops_lib.data.demo import load_truth
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import ReviewRun, run_review
from tests.conftest import NULL, PLANTED
from tests.money_check import raw_money
from tests.name_check import codes_shown
from tests.truth_battery import RECALL

pytestmark = pytest.mark.slow  # whole reviews of the small demo

PERIOD = "2025-06"


def _review(tmp_path_factory: pytest.TempPathFactory, source: str, lang: str) -> ReviewRun:
    out = tmp_path_factory.mktemp("review")
    return run_review(ReviewConfig(source=source, period=PERIOD, lang=lang, output_dir=str(out), jobs=2))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> ReviewRun:
    return _review(tmp_path_factory, PLANTED, "zh")


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> ReviewRun:
    return _review(tmp_path_factory, NULL, "en")


def _findings(run: ReviewRun) -> list[dict[str, Any]]:
    return json.loads((run.path / "findings.json").read_text(encoding="utf-8"))


def test_every_registered_report_publishes(planted: ReviewRun) -> None:
    status = {o.name: (o.status, o.error) for o in planted.outcomes}
    assert set(status) == set(REPORTS)
    failed = {name: err for name, (state, err) in status.items() if state != "published"}
    assert not failed, failed


def test_pages_are_within_budget_and_in_chinese(planted: ReviewRun) -> None:
    for outcome in planted.outcomes:
        page = planted.path / str(outcome.html_file)
        assert page.stat().st_size <= 3 * 1024 * 1024, page.name
        text = page.read_text(encoding="utf-8")
        assert 'lang="zh"' in text and "目录" in text
    index = (planted.path / "index.html").read_text(encoding="utf-8")
    assert 'href="monthly_review.html"' in index.split("<section>")[0]  # the executive summary first
    for report in REPORTS.values():
        assert report.title("zh") in index


@pytest.mark.parametrize("effect", list(RECALL))
def test_review_recalls_every_planted_effect(planted: ReviewRun, effect: str) -> None:
    truth = load_truth(Path(connect(PLANTED).source)).effect(effect)
    kinds, unit_key, sign = RECALL[effect]
    hits = [f for f in _findings(planted) if f["kind"] in kinds]
    if unit_key:
        hits = [f for f in hits if str(truth.where[unit_key]) in (f["unit"], *str(f["unit"]).split(","))]
    assert hits, f"{effect} at {truth.where} not among the review's findings"
    if sign and hits[0]["value"] is not None and hits[0]["baseline"] is not None:
        assert (hits[0]["value"] - hits[0]["baseline"]) * sign > 0, hits[0]


def test_edge_rep_does_not_trigger(planted: ReviewRun) -> None:
    edge = load_truth(Path(connect(PLANTED).source)).effect("edge_no_alert").where["unit_id"]
    assert not [f for f in _findings(planted) if f["kind"] == "persistent_underperformance" and f["unit"] == edge]


def test_null_variant_raises_no_high_severity_finding(null: ReviewRun) -> None:
    assert all(o.status == "published" for o in null.outcomes), [(o.name, o.error) for o in null.outcomes]
    high = [f for f in _findings(null) if f["severity"] == "high"]
    assert not high, high
    planted_kinds = {kind for kinds, _, _ in RECALL.values() for kind in kinds}
    # watch items (low) may name a unit chance put at the edge; no planted kind may be an alert
    assert not [f for f in _findings(null) if f["kind"] in planted_kinds and f["severity"] in ("medium", "high")]


def test_zh_pages_show_money_in_wan_or_yi(planted: ReviewRun) -> None:
    """Issue 21: no tile, table cell or sentence of a zh page shows money as a raw number
    (the rule: :mod:`tests.money_check`)."""
    pages = sorted(planted.path.glob("*.html"))
    assert len(pages) >= len(REPORTS)
    raw = {page.name: found[:5] for page in pages if (found := raw_money(page.read_text(encoding="utf-8")))}
    assert not raw, raw


def test_zh_pages_show_names_not_codes(planted: ReviewRun) -> None:
    """Issue 21: no zh page shows a team code (``southwest-05``) or a region code the data name
    (``north`` = 华北) in its text (the rule: :mod:`tests.name_check`)."""
    reps = connect(PLANTED).table("reps").execute()
    named = reps.loc[reps["region_name"].notna(), "region"].unique().tolist()
    assert named, "the demo's roster names its regions"
    pages = sorted(planted.path.glob("*.html"))
    shown = {page.name: found[:5] for page in pages if (found := codes_shown(page.read_text(encoding="utf-8"), named))}
    assert not shown, shown
