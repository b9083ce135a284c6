"""Smoke run of every registered report through `salesops review` on the small demo data.

Every notebook must run top to bottom and publish in both languages' machinery; the zh run is
the one leadership reads, so that is the one published here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops_lib.config.params import ReviewConfig
from salesops_lib.config.registry import REPORTS
from salesops_lib.runner.review import ReviewRun, run_review

SOURCE = "demo:small:2025-06-30"


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> ReviewRun:
    out = tmp_path_factory.mktemp("review")
    return run_review(ReviewConfig(source=SOURCE, period="2025-06", lang="zh", output_dir=str(out), jobs=2))


def test_every_registered_report_publishes(review: ReviewRun) -> None:
    status = {o.name: (o.status, o.error) for o in review.outcomes}
    assert set(status) == set(REPORTS)
    failed = {name: err for name, (state, err) in status.items() if state != "published"}
    assert not failed, failed


def test_pages_are_within_budget_and_in_chinese(review: ReviewRun) -> None:
    for outcome in review.outcomes:
        page = review.path / str(outcome.html_file)
        assert page.stat().st_size <= 3 * 1024 * 1024, page.name
        text = page.read_text(encoding="utf-8")
        assert "lang=\"zh-CN\"" in text and "目录" in text
    assert (review.path / "index.html").exists() and (review.path / "manifest.json").exists()


def test_index_lists_every_report(review: ReviewRun) -> None:
    index = (review.path / "index.html").read_text(encoding="utf-8")
    for spec in REPORTS.values():
        assert spec.title_zh in index
    assert Path(review.path.parent / "index.html").exists()
