"""The leadership dashboard in a real Chromium (Debian's, driven by Playwright): it loads, its KPI
tiles show the period's figures, a region filter changes figures and plot, a screenshot is
saved, and names carrying HTML or script never execute.

The source is the small demo with hostile names written into it: a rep and every customer.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard_driver import DashboardProcess, change_filter, chromium, need_chromium, open_dashboard

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
AS_OF = "2025-06-30"
"""Demo data are pinned: the planted effects sit in the as-of month whatever today is."""
PERIOD = AS_OF[:7]
REP_PAYLOAD = '<img src=x onerror="window.__xss=1">R'
CUSTOMER_PAYLOAD = "<script>window.__xss=2</script>C"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hostile_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo (period 2025-06) with a rep of north and every customer renamed to HTML."""
    import duckdb

    from salesops_lib.data.demo.cache import demo_source_path

    target = tmp_path_factory.mktemp("hostile") / "demo-hostile.duckdb"
    shutil.copy(demo_source_path("small", as_of=AS_OF, show_progress=False), target)
    with duckdb.connect(str(target)) as con:
        rep = con.execute("SELECT rep_id FROM reps WHERE region = 'north' ORDER BY rep_id LIMIT 1").fetchone()[0]
        con.execute("UPDATE reps SET name = ? WHERE rep_id = ?", [REP_PAYLOAD, rep])
        con.execute("UPDATE customers SET name = ? || customer_id", [CUSTOMER_PAYLOAD])
    return target


@pytest.fixture(scope="module")
def server(hostile_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardProcess]:
    need_chromium()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with DashboardProcess(source=str(hostile_source), period=PERIOD, log=log, pool=1) as proc:
        proc.wait_ready()
        yield proc


@pytest.fixture(scope="module")
def browser(server: DashboardProcess) -> Iterator[object]:
    with chromium() as browser:
        yield browser


def _expected_revenue(source: Path, level: str, unit: str) -> str:
    from salesops_lib.dashboard.panels import format_tile
    from salesops_lib.data import connect
    from salesops_lib.metrics import Grain, compute_metric

    grain = Grain(period="month", level=level, start=dt.date(2025, 6, 1), end=dt.date.fromisoformat(AS_OF))
    frame = compute_metric(connect(source), "revenue", grain)
    value = float(frame.loc[frame["unit"].astype(str) == unit, "value"].iloc[0])
    return format_tile("revenue", value, "zh")  # the dashboard opens in zh: money in 万/亿


def test_dashboard_loads_with_the_periods_figures_and_filters(browser, server, hostile_source) -> None:  # type: ignore[no-untyped-def]
    page, _seconds = open_dashboard(browser, server.url)
    assert page.locator(".so-kpis").count() == 1  # the snapshot in the page's HTML made way for the live page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert page.inner_text(".so-tile[data-metric=revenue] .so-value") == _expected_revenue(
        hostile_source, "company", "company"
    )
    assert page.get_attribute(".so-kpis", "data-scope") == "company:company"
    plot_before = page.get_attribute("img[data-plot=trend]", "src")
    assert PERIOD in page.inner_text(".so-filters")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-company.png"), full_page=True)

    change_filter(page, 1, "华北")  # regions are offered by name (code north)
    assert page.get_attribute(".so-kpis", "data-scope") == "region:north"
    assert page.inner_text(".so-tile[data-metric=revenue] .so-value") == _expected_revenue(
        hostile_source, "region", "north"
    )
    assert page.get_attribute("img[data-plot=trend]", "src") != plot_before
    teams = page.locator(".so-filters select").nth(2).locator("option").all_inner_texts()
    assert len(teams) > 1 and all(t.startswith("华北") for t in teams[1:])  # drill: north's teams only, by name
    page.screenshot(path=str(ARTIFACTS / "dashboard-north.png"), full_page=True)
    assert (ARTIFACTS / "dashboard-north.png").stat().st_size > 10_000
    assert errors == []
    page.context.close()


def test_html_in_names_is_shown_as_text_and_never_runs(browser, server) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_dashboard(browser, server.url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert CUSTOMER_PAYLOAD in page.inner_text("body")  # the planted key account is among the open alerts
    change_filter(page, 1, "华北")
    team_select = page.locator(".so-filters select").nth(2)
    for team in team_select.locator("option").all_inner_texts()[1:]:
        change_filter(page, 2, team)
        if REP_PAYLOAD in page.inner_text("body"):
            break
    body = page.inner_text("body")
    assert REP_PAYLOAD in body  # the name is shown, as text
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("img[src='x']").count() == 0 and page.locator("script:text('__xss')").count() == 0
    page.context.close()


def _crumbs(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join(t.strip() for t in page.locator(".so-crumbs button:visible").all_inner_texts())


def _selected(page, index: int) -> str:  # type: ignore[no-untyped-def]
    return str(page.locator(".so-filters select").nth(index).evaluate("s => s.options[s.selectedIndex].text")).strip()


WITHIN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) return ['page', document.documentElement.scrollWidth];
  const boxes = '.so-filters, .so-crumbs, .so-dash .so-row, .so-dash .so-cell, .so-dash .so-scroll, .so-dash img, '
    + '.so-dash .so-tile, .so-dash h2, .so-dash p';
  return Array.from(document.querySelectorAll(boxes))
    .filter(el => el.getBoundingClientRect().right > width + 0.5)
    .map(el => [el.tagName + '.' + el.className, Math.round(el.getBoundingClientRect().right)]);
}"""
"""What sticks out beyond the screen's right edge: the page itself, or a block the page clips
(Voila's output area hides overflow, so a clipped block is cut off rather than scrollable)."""


def _no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    outside = page.evaluate(WITHIN_SCREEN)
    assert outside == [], outside
    return True


@pytest.mark.parametrize("width", [1440, 390])
def test_charts_breadcrumbs_and_a_phone_screen(browser, server, width: int) -> None:  # type: ignore[no-untyped-def]
    """Charts beside the tables, breadcrumbs that follow drilling down and up, a rep's open deals,
    and at 390 px no horizontal overflow (tables scroll inside their own container)."""
    page, _ = open_dashboard(browser, server.url, width=width, height=900)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for plot in ("trend", "bars", "bridge"):
        assert page.locator(f"img[data-plot={plot}]").count() == 1, plot
        box = page.locator(f"img[data-plot={plot}]").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
    assert _crumbs(page) == "全部"
    assert "north" not in page.inner_text(".so-filters") and "华北" in page.inner_text(".so-filters")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-company-{width}.png"), full_page=True)
    if width == 390:
        assert _no_sideways_scroll(page)

    change_filter(page, 1, "华北")
    assert _crumbs(page) == "全部 › 华北"
    team = page.locator(".so-filters select").nth(2).locator("option").nth(1).inner_text().strip()
    change_filter(page, 2, team)
    rep_name = page.locator(".so-filters select").nth(3).locator("option").nth(1).inner_text()
    change_filter(page, 3, rep_name)
    rep_name = rep_name.replace("\xa0", " ").strip()  # the select shows spaces as no-break spaces
    assert page.get_attribute(".so-kpis", "data-scope").startswith("rep:")
    assert _crumbs(page).startswith("全部 › 华北 › 华北") and _crumbs(page).endswith(rep_name)
    assert page.locator(".so-deals").count() == 1  # the deals behind the rep's numbers
    page.screenshot(path=str(ARTIFACTS / f"dashboard-rep-{width}.png"), full_page=True)
    if width == 390:
        assert _no_sideways_scroll(page)

    change_filter(page, 2, "全部")  # drill up: all of north's teams
    assert page.get_attribute(".so-kpis", "data-scope") == "region:north"
    assert _selected(page, 3) == "全部" and _crumbs(page) == "全部 › 华北"
    before = page.get_attribute(".so-kpis", "data-scope")
    page.locator(".so-crumbs button:visible").first.click()  # the breadcrumb 全部
    page.wait_for_function("b => document.querySelector('.so-kpis').dataset.scope !== b", arg=before, timeout=30_000)
    assert page.get_attribute(".so-kpis", "data-scope") == "company:company" and _crumbs(page) == "全部"
    assert [_selected(page, i) for i in (1, 2, 3)] == ["全部"] * 3
    assert errors == []
    page.context.close()
