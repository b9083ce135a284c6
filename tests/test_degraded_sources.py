"""Reports degrade, never die: an orders-only export or a deals-only export gets every report its
core can feed, a rep roster derived from the facts when it has none, and pages (and the index)
that say which sections were left out and why."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.analyses.capabilities import unmet
from salesops_lib.catalog import CATALOG
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset, connect
from salesops_lib.data.roster import UNASSIGNED, with_derived_roster
from salesops_lib.report.notebook import ReportContext
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import run_review
from tests.builders import d, dataset_from_frames
from tests.conftest import PLANTED

PERIOD = "2025-06"
REVENUE_REPORTS = {
    "kpi_overview",
    "monthly_review",
    "team_efficiency",
    "target_split",
    "collections_customers",
    "forecast",
}
DEAL_REPORTS = {"funnel_diagnosis", "team_efficiency"}


def _subset(folder: Path, tables: tuple[str, ...]) -> Dataset:
    """A folder export holding only ``tables`` of the small demo (canonical names: no mapping)."""
    demo = connect(PLANTED)
    folder.mkdir(parents=True, exist_ok=True)
    for name in tables:
        demo.table(name).execute().to_parquet(folder / f"{name}.parquet", index=False)
    return connect(folder)


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _subset(tmp_path_factory.mktemp("orders_only"), ("orders", "customers"))


@pytest.fixture(scope="module")
def deals_only(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _subset(tmp_path_factory.mktemp("deals_only"), ("opportunities", "stage_history", "reps"))


def _runnable(data: Dataset) -> set[str]:
    return {name for name, report in CATALOG.items() if not report.spec.missing(data)}


def test_orders_only_feeds_every_revenue_report(orders_only: Dataset) -> None:
    runnable = _runnable(orders_only)
    assert runnable >= REVENUE_REPORTS
    assert "funnel_diagnosis" not in runnable
    assert "opportunities" in CATALOG["funnel_diagnosis"].spec.missing(orders_only)["funnel"]
    # with targets it would track them too; without, the reason names the table
    assert "targets" in CATALOG["target_tracking"].spec.missing(orders_only)


def test_deals_only_feeds_the_funnel_and_team_efficiency(deals_only: Dataset) -> None:
    runnable = _runnable(deals_only)
    assert runnable >= DEAL_REPORTS
    assert runnable >= {"kpi_overview", "forecast"}  # won deals are its revenue


def test_a_derived_roster_names_reps_by_id(orders_only: Dataset) -> None:
    data = with_derived_roster(orders_only)
    assert "reps" in data.derived and "orders" in data.derived["reps"]
    roster = data.table("reps").execute()
    orders = orders_only.table("orders").execute()
    assert set(roster["rep_id"]) == set(orders["rep_id"])
    assert (roster["name"] == roster["rep_id"]).all()
    assert set(roster["team"]) == set(roster["region"]) == {UNASSIGNED}
    assert not unmet(("reps",), orders_only)


@pytest.mark.parametrize("name", sorted(REVENUE_REPORTS - {"monthly_review"}))
def test_revenue_reports_compute_on_orders_only(orders_only: Dataset, name: str) -> None:
    spec = CATALOG[name].spec
    result = spec.run(orders_only, RunScope(source=orders_only.source, period=PERIOD, lang="en"))
    assert all(f.analysis == name for f in result.findings)


def test_the_page_says_what_it_left_out(orders_only: Dataset) -> None:
    report = CATALOG["forecast"]
    scope = RunScope(source=orders_only.source, period=PERIOD, lang="en")
    context = ReportContext(report.spec, "Forecast", scope, report.spec.params(), report.spec.prepare(orders_only))
    page = context.heading().html
    assert "Sections left out" in page and "Deals that slipped more than once" in page
    assert "needs opportunities, stage_history" in page
    assert "no rep roster" in page  # the derived roster is stated
    zh = ReportContext(report.spec, "预测", scope.model_copy(update={"lang": "zh"}), context.params, context.data)
    assert "因缺少数据而未展示的部分" in zh.heading().html


def test_complete_data_add_nothing_to_the_page() -> None:
    data = connect(PLANTED)
    report = CATALOG["forecast"]
    scope = RunScope(source=data.source, period=PERIOD, lang="en")
    context = ReportContext(report.spec, "Forecast", scope, report.spec.params(), report.spec.prepare(data))
    assert context.heading().html == "<h1>Forecast · 2025-06</h1>"
    assert not context.skipped_sections and context.coverage.quiet


@pytest.mark.slow  # two whole reviews on real kernels
@pytest.mark.parametrize(
    ("fixture", "published", "skipped"),
    [
        ("orders_only", REVENUE_REPORTS, {"funnel_diagnosis", "expense_roi", "target_tracking"}),
        ("deals_only", DEAL_REPORTS | {"kpi_overview", "forecast"}, {"expense_roi", "target_tracking"}),
    ],
)
def test_review_of_a_partial_export(
    request: pytest.FixtureRequest, tmp_path: Path, fixture: str, published: set[str], skipped: set[str]
) -> None:
    data: Dataset = request.getfixturevalue(fixture)
    run = run_review(ReviewConfig(source=data.source, period=PERIOD, lang="en", output_dir=str(tmp_path), jobs=2))
    status = {o.name: o.status for o in run.outcomes}
    assert {n for n, s in status.items() if s == "published"} >= published
    assert {n for n, s in status.items() if s == "skipped"} == skipped
    assert not [n for n, s in status.items() if s == "failed"]
    index = run.index.read_text(encoding="utf-8")
    assert "sections left out" in index
    if fixture == "orders_only":
        page = (run.path / "collections_customers.html").read_text(encoding="utf-8")
        assert "Sections left out" in page and "needs invoices, payments" in page
        assert "Aging</h2>" not in page and "Key accounts at risk</h2>" in page  # cut, the rest kept


def test_the_derived_roster_holds_deal_owners_not_lead_sdrs(tmp_path: Path) -> None:
    opportunities = pd.DataFrame(
        {
            "opp_id": ["D1", "D2"],
            "customer_id": ["C1", "C2"],
            "rep_id": ["AE1", "AE2"],
            "amount": [100.0, 200.0],
            "created_at": [d("2025-05-02"), d("2025-05-09")],
            "status": ["won", "open"],
            "closed_at": [d("2025-06-03"), None],
        }
    ).astype({"closed_at": "object"})
    leads = pd.DataFrame({"lead_id": ["L1", "L2"], "created_at": [d("2025-04-01")] * 2, "rep_id": ["SDR1", "SDR2"]})
    data = with_derived_roster(dataset_from_frames(tmp_path, {"opportunities": opportunities, "leads": leads}))
    assert sorted(data.table("reps").execute()["rep_id"]) == ["AE1", "AE2"]
    assert data.derived["reps"].startswith("derived from the rep ids in opportunities:")
    only_leads = with_derived_roster(dataset_from_frames(tmp_path / "leads", {"leads": leads}))
    assert sorted(only_leads.table("reps").execute()["rep_id"]) == ["SDR1", "SDR2"]  # nobody else to name


def test_left_out_sections_are_cut_from_the_page_up_to_the_next_heading() -> None:
    from salesops_lib.runner.html_export import _SectionCut

    cut = _SectionCut({"Risks"})
    assert cut.html("<h2>Outlook</h2><p>a</p><h2>Risks</h2><p>none</p><h3>Slips</h3>") == "<h2>Outlook</h2><p>a</p>"
    assert cut.skipping  # the next outputs (a figure) belong to the cut section
    assert cut.html("<p>more</p><h2>Method</h2><p>b</p>") == "<h2>Method</h2><p>b</p>"
    assert not cut.skipping
    assert _SectionCut(set()).html("<h2>Risks</h2>") == "<h2>Risks</h2>"
