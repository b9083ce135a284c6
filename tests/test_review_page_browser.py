"""The executive page (``monthly_review``) as published and as a browser shows it (issue 21):
the one-sentence headline and at least four charts; in Chromium at 1440 px and 390 px the
headline and charts are visible and nothing overflows horizontally. Full-page screenshots go to
``tests/artifacts/`` (as the dashboard's browser test does).

Only the review is run (``reports: monthly_review``: it computes the other analyses' findings
itself), on the pinned small demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import run_review
from tests.conftest import PLANTED, SMALL_DEMO_AS_OF
from tests.dashboard_driver import chromium

pytestmark = pytest.mark.slow  # one review of the small demo

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
PERIOD = SMALL_DEMO_AS_OF[:7]
CHARTS = "main img, main svg"
_CHART_TAGS = re.compile(r"<(?:img|svg)\b")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review")
    config = ReviewConfig(
        source=PLANTED, period=PERIOD, lang="zh", output_dir=str(out), jobs=1, reports=("monthly_review",)
    )
    run = run_review(config)
    assert [o.status for o in run.outcomes] == ["published"], [(o.name, o.error) for o in run.outcomes]
    return run.path / "monthly_review.html"


def test_published_review_leads_with_its_headline_and_four_charts(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    body = text[text.index("<main") :]
    headline = re.search(r'class="so-headline"[^>]*>([^<]+)<', body)
    assert headline and headline.group(1).startswith("6月销售额") and "达标概率" in headline.group(1)
    assert len(_CHART_TAGS.findall(body)) >= 4
    # the headline comes before the first chart, the charts before the findings
    assert body.index('class="so-headline"') < body.index("<img") < body.index("重点发现与建议")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_review_page_in_chromium_shows_headline_and_charts_without_overflow(
    browser: object, page: Path, width: int
) -> None:
    tab = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    try:
        tab.goto(page.as_uri())
        headline = tab.locator(".so-headline")
        assert headline.count() == 1 and headline.is_visible()
        assert headline.inner_text().startswith("6月销售额")
        charts = tab.locator(CHARTS)
        assert charts.count() >= 4
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 0 and box["x"] + box["width"] <= width + 1, (i, box)
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"monthly-review-{width}.png"
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
    finally:
        tab.close()
