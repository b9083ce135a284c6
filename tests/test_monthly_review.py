"""The monthly review's analysis (issue 21): the target → actual bridge adds up exactly, the
headline sentence is made from the figures, findings are one per subject at their source (the
index's ``findings.json`` and the review agree), rates' changes print in points, and a page
without findings does not claim the period has no notable change.

Demo data are pinned (``demo:small:<as_of>``): nothing depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses import monthly_review
from salesops_lib.analyses.findings import Finding, distinct
from salesops_lib.analyses.monthly_review.bridge import FACTORS, Drivers, bridge, month_bridge, revenue
from salesops_lib.analyses.monthly_review.compute import headline_facts
from salesops_lib.config.scope import RunScope
from salesops_lib.data import connect
from salesops_lib.metrics import Grain, compute_metric
from salesops_lib.report.html import tiles_html
from salesops_lib.report.monthly_review import headline_text
from tests.conftest import NULL, PLANTED, SMALL_DEMO_AS_OF

PERIOD = SMALL_DEMO_AS_OF[:7]


def _drivers(rng: np.random.Generator, regions: list[str], *, zeros: bool = False) -> Drivers:
    closed = rng.integers(0 if zeros else 1, 400, len(regions)).astype(float)
    rate = rng.uniform(0.0 if zeros else 0.1, 0.6, len(regions))
    size = rng.uniform(5e3, 3e4, len(regions))
    idx = pd.Index(regions)
    return Drivers(pd.Series(closed, idx), pd.Series(rate, idx), pd.Series(size, idx))


@pytest.mark.parametrize("seed", range(8))
def test_bridge_parts_add_up_exactly_to_actual_minus_target(seed: int) -> None:
    rng = np.random.default_rng(seed)
    regions = [f"r{i}" for i in range(int(rng.integers(1, 7)))]
    plan, real = _drivers(rng, regions), _drivers(rng, regions, zeros=seed % 2 == 1)
    parts = bridge(plan, real)
    assert list(parts.index) == list(FACTORS)
    assert float(parts.sum()) == pytest.approx(revenue(real) - revenue(plan), rel=1e-12, abs=1e-6)


def test_bridge_gives_the_whole_gap_to_the_one_factor_that_moved() -> None:
    idx = pd.Index(["a", "b"])
    plan = Drivers(pd.Series([100.0, 50.0], idx), pd.Series([0.4, 0.3], idx), pd.Series([10.0, 20.0], idx))
    bigger = Drivers(plan.closed, plan.win_rate, plan.deal_size * 1.1)
    parts = bridge(plan, bigger)
    assert parts["deal_size"] == pytest.approx(revenue(bigger) - revenue(plan))
    assert parts.drop("deal_size").abs().max() == pytest.approx(0.0, abs=1e-9)
    doubled = Drivers(plan.closed * 2, plan.win_rate, plan.deal_size)  # same mix, twice the volume
    parts = bridge(plan, doubled)
    assert parts["volume"] == pytest.approx(revenue(plan)) and abs(parts["mix"]) < 1e-9


@pytest.mark.parametrize("source", [PLANTED, NULL])
@pytest.mark.parametrize("month", ["2025-06", "2025-03", "2024-11"])
def test_month_bridge_runs_from_the_months_target_to_its_revenue(source: str, month: str) -> None:
    data = connect(source)
    start = dt.date.fromisoformat(f"{month}-01")
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    frame = month_bridge(data, start, end).set_index("step")["amount"]
    assert list(frame.index) == ["target", *FACTORS, "actual"]
    att = compute_metric(data, "attainment", Grain(period="all", level="company", start=start, end=end))
    assert frame["target"] == pytest.approx(float(att["denominator"].iloc[0]), rel=1e-9)
    assert frame["actual"] == pytest.approx(float(att["numerator"].iloc[0]), rel=1e-9)
    assert float(frame[list(FACTORS)].sum()) == pytest.approx(frame["actual"] - frame["target"], abs=1e-3)


def _finding(analysis: str, kind: str, severity: str, level: str, unit: str, stake: float = 0.0) -> Finding:
    return Finding(analysis, kind, severity, level, unit, "revenue", 1.0, 2.0, PERIOD, at_stake=stake)  # type: ignore[arg-type]


def test_one_finding_per_customer_across_analyses() -> None:
    churn = _finding("collections_customers", "key_account_churn", "high", "customer", "C1", 9.0)
    decline = _finding("forecast", "key_account_decline", "high", "customer", "C1", 9.0)
    other = _finding("forecast", "key_account_decline", "low", "customer", "C2", 5.0)
    region = _finding("funnel_diagnosis", "conversion_drop", "medium", "region", "north", 1.0)
    assert distinct([churn, decline, other, region]) == [churn, region, other]
    assert distinct([decline, churn]) == [decline]  # a tie keeps the first handed over


def test_findings_json_and_the_review_list_the_same_findings(tmp_path: Path) -> None:
    """The dedupe is at the source: ``findings.json`` (what the index shows and the review reads)
    lists a key account once, and the review ranks exactly that list."""
    from salesops_lib.runner.execute import ReportOutcome
    from salesops_lib.runner.publish import write_findings

    churn = _finding("collections_customers", "key_account_churn", "high", "customer", "C1", 9.0)
    decline = _finding("forecast", "key_account_decline", "high", "customer", "C1", 9.0)
    region = _finding("funnel_diagnosis", "conversion_drop", "medium", "region", "north", 1.0)
    outcomes = [
        ReportOutcome(name, "published", html_file=f"{name}.html", payload={"findings": [f.to_dict()]})
        for name, f in (("collections_customers", churn), ("funnel_diagnosis", region), ("forecast", decline))
    ]
    index = write_findings(tmp_path, outcomes)
    records = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert [r["unit"] for r in records] == ["C1", "north"]
    assert [f.id for f in index] == [r["id"] for r in records]
    assert distinct([Finding.from_dict(r) for r in records]) == index


def _result(**headline: Any) -> monthly_review.MonthlyReviewResult:
    empty = pd.DataFrame()
    return monthly_review.MonthlyReviewResult(PERIOD, empty, (), empty, headline=headline)


def test_headline_sentence_from_the_figures() -> None:
    facts = {
        "actual": 12_008_203.0,
        "target": 13_482_600.0,
        "attainment": 12_008_203.0 / 13_482_600.0,
        "gap": 12_008_203.0 - 13_482_600.0,
        "driver": "volume",
        "driver_amount": -1_181_527.0,
        "worst_region": "华北",
        "worst_attainment": 0.7929,
        "quarter": "2025Q3",
        "p_hit": 0.661,
        "quarter_attainment": 1.0376,
    }
    zh = headline_text(_result(**facts), "zh")
    assert zh == (
        "6月销售额 1,201万，目标 1,348万，达成 89.1%，差 147万，主要来自成交数量（−118万）；"
        "华北达成最低（79.3%）；2025Q3 预测达成 103.8%，达标概率 66%。"
    )
    en = headline_text(_result(**facts), "en")
    assert en.startswith("June revenue 12.0M, 89.1% of the 13.5M target (1.47M short), mostly from deal volume")
    assert en.endswith("66% chance to hit it.")
    # without target and forecast: revenue only, still one sentence
    assert headline_text(_result(actual=5e6), "zh") == "6月销售额 500万。"
    assert headline_text(_result(), "zh") == ""


def test_headline_names_the_worst_region_by_the_runs_name() -> None:
    """The analysis carries the region's id; the page shows the name the run's data give it."""
    from salesops_lib.report.names import Names, run_names, use_names

    facts = {"actual": 5e6, "worst_region": "north", "worst_unit": "north", "worst_attainment": 0.8}
    before = run_names()
    use_names(Names({"region": {"north": "华北大区"}}))
    try:
        assert "华北大区达成最低（80.0%）" in headline_text(_result(**facts), "zh")
    finally:
        use_names(before)
    use_names(Names())
    try:  # no name in the data: the id as the analysis gave it
        assert "north达成最低" in headline_text(_result(**facts), "zh")
    finally:
        use_names(before)


def test_headline_driver_follows_the_gap() -> None:
    tiles = pd.DataFrame([{"metric": "revenue", "value": 110.0, "target": 100.0}])
    steps = pd.DataFrame({"step": ["target", *FACTORS, "actual"], "amount": [100.0, -5.0, 1.0, 12.0, 2.0, 110.0]})
    facts = headline_facts(tiles, pd.DataFrame(columns=["name", "attainment"]), steps, {})
    assert facts["gap"] == pytest.approx(10.0) and facts["driver"] == "conversion"
    assert "worst_region" not in facts and "p_hit" not in facts


@pytest.fixture(scope="module")
def review() -> monthly_review.MonthlyReviewResult:
    scope = RunScope(source=PLANTED, period=PERIOD, lang="zh")
    return monthly_review.SPEC.run(connect(PLANTED), scope)


def test_review_result_feeds_every_chart(review: monthly_review.MonthlyReviewResult) -> None:
    assert len(review.regions) > 1 and review.regions["attainment"].is_monotonic_increasing
    bridge_steps = review.bridge.set_index("step")["amount"]
    revenue_tile = review.tiles.set_index("metric").loc["revenue"]
    assert bridge_steps["actual"] == pytest.approx(revenue_tile["value"])
    assert bridge_steps["target"] == pytest.approx(revenue_tile["target"])
    past = review.trend[review.trend["actual"].notna()]
    assert len(past) == 12 and past["month"].max() == pd.Timestamp(f"{PERIOD}-01")
    assert review.trend["hi80"].notna().sum() == 3  # the forecast's quarter, with its own band
    assert set(review.leaders["group"]) == {"top", "bottom"} and review.leaders["name"].notna().all()
    assert 0 <= review.quarter["p_hit"] <= 1 and review.quarter["coverage"] > 0
    sentence = headline_text(review, "zh")
    assert sentence.startswith("6月销售额") and "达标概率" in sentence and sentence.endswith("。")
    # lifetime value is a matured cohort's, labelled with its month, never compared with this month's
    ltv = review.tiles.set_index("metric").loc["customer_ltv"]
    assert ltv["cohort"] and ltv["cohort"] < PERIOD and pd.isna(ltv["change_yoy"])


def test_rate_changes_print_in_points() -> None:
    tiles = pd.DataFrame(
        [
            {"metric": "win_rate", "unit": "ratio", "higher_is_better": True, "value": 0.374, "previous": 0.352,
             "last_year": 0.379, "change_prev": 0.0625, "change_yoy": -0.013, "cohort": ""},
            {"metric": "revenue", "unit": "currency", "higher_is_better": True, "value": 120.0, "previous": 100.0,
             "last_year": 100.0, "change_prev": 0.2, "change_yoy": 0.2, "cohort": "", "target": 150.0, "vs_target": 0.8},
        ]
    )  # fmt: skip
    zh = tiles_html(tiles, "zh")
    assert "+2.2个百分点" in zh and "-0.5个百分点" in zh and "+6.2%" not in zh
    assert "+20.0%" in zh and "so-status-bad" in zh
    assert "+2.2 pp" in tiles_html(tiles, "en")


def test_kpi_page_without_findings_speaks_only_of_its_test() -> None:
    from salesops_lib.catalog import get_report
    from salesops_lib.report.notebook import ReportContext

    scope = RunScope(source=PLANTED, period=PERIOD, lang="zh")
    spec = get_report("kpi_overview").spec
    page = ReportContext(spec=spec, title="t", scope=scope, params=spec.params(), data=None).findings([]).html  # type: ignore[arg-type]
    assert "本期无显著变化" not in page and "KPI 变化检验" in page and "月度经营回顾" in page
    other = get_report("team_efficiency").spec
    page = ReportContext(spec=other, title="t", scope=scope, params=other.params(), data=None).findings([]).html  # type: ignore[arg-type]
    assert "本期无显著变化" not in page and "月度经营回顾" in page


def test_review_findings_link_the_list_behind_them() -> None:
    from salesops_lib.report.monthly_review import findings_table

    churn = _finding("collections_customers", "key_account_churn", "high", "customer", "C1", 9.0)
    region = _finding("funnel_diagnosis", "conversion_drop", "medium", "region", "north", 1.0)
    result = monthly_review.MonthlyReviewResult(PERIOD, pd.DataFrame(), (churn, region), pd.DataFrame())
    page = findings_table(result, "zh").html
    assert "href='collections_customers.html'" in page and "href='forecast.xlsx'" in page  # the key-account list
    assert page.count(".xlsx") == 1  # a conversion drop has no list behind it


def test_board_and_bridge_share_the_months_attainment_and_scan_deals_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from salesops_lib.analyses.monthly_review.board import month_attainment, region_board

    data, scope = connect(PLANTED), RunScope(source=PLANTED, period=PERIOD)
    by_region = month_attainment(data, scope)
    asked: list[str] = []

    def counted(ds: Any, name: str, grain: Grain | None = None, **kw: Any) -> pd.DataFrame:
        asked.append(name)
        return compute_metric(ds, name, grain, **kw)

    for module in ("board", "bridge"):
        monkeypatch.setattr(
            importlib.import_module(f"salesops_lib.analyses.monthly_review.{module}"), "compute_metric", counted
        )
    board = region_board(data, scope, {}, by_region)
    steps = month_bridge(data, *scope.month, by_region).set_index("step")["amount"]
    assert sorted(asked) == ["revenue", "win_rate"]  # the reference months' revenue; deals by region and month
    assert board["actual"].sum() == pytest.approx(steps["actual"], rel=1e-9)
