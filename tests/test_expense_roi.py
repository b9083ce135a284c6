"""Expense ROI and budget control: hand-built cases with known answers (zero budget, zero-cost
campaign, refunds, cents), the response model on synthetic data, the demo's planted expo and
overrun (and nothing on the null variant), and the spend–output model on Robyn's simulated MMM data."""

from __future__ import annotations

import datetime as dt
import math
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses.expense_roi import SPEC, ExpenseRoiParams, compute
from salesops_lib.analyses.expense_roi.budget import TOTAL, BudgetThresholds, budget_control
from salesops_lib.analyses.expense_roi.campaigns import LowRoiRule, campaign_roi
from salesops_lib.analyses.expense_roi.findings import budget_findings, campaign_findings
from salesops_lib.analyses.expense_roi.money import fiscal_year, safe_ratio, to_cents
from salesops_lib.analyses.expense_roi.panel import SpendPanel
from salesops_lib.analyses.expense_roi.reallocation import budget_shift
from salesops_lib.analyses.expense_roi.response import adstock, fit_response
from salesops_lib.config.scope import RunScope
from salesops_lib.errors import ConfigError
from tests.builders import d, dataset_from_frames, reps_frame

ROOT = Path(__file__).resolve().parents[1]
ROBYN = ROOT.parent / "shared" / "datasets" / "robyn_simulated_mmm"
ROBYN_MAPPING = ROOT / "parameters" / "sources" / "robyn_mmm.yaml"
AS_OF = dt.date(2024, 6, 30)
REPS = reps_frame([("r1", "t1", "north"), ("r2", "t2", "south")])
PLANTED_KINDS = {"budget_overrun", "campaign_low_roi"}


def _expenses(rows: list[tuple[str, str, str, float]], campaign: list[str | None] | None = None) -> pd.DataFrame:
    """Expense lines from (spent_at, region, category, amount)."""
    return pd.DataFrame(
        {
            "expense_id": [f"e{i}" for i in range(len(rows))],
            "spent_at": [d(r[0]) for r in rows],
            "region": [r[1] for r in rows],
            "team": pd.Series([None] * len(rows), dtype="string"),
            "rep_id": pd.Series([None] * len(rows), dtype="string"),
            "category": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
            "campaign_id": pd.Series(campaign or [None] * len(rows), dtype="string"),
        }
    )


def _budgets(rows: list[tuple[str, str, str, float]], level: str = "region") -> pd.DataFrame:
    """Budget lines from (month first day, unit, category, amount)."""
    return pd.DataFrame(
        {
            "period": [d(r[0]) for r in rows],
            "level": level,
            "unit_id": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
        }
    )


def _monthly(first: int, last: int, unit: str, category: str, amount: float) -> list[tuple[str, str, str, float]]:
    return [(f"2024-{m:02d}-01", unit, category, amount) for m in range(first, last + 1)]


def _control(tmp_path: Path, expenses: pd.DataFrame, budgets: pd.DataFrame, **kwargs):  # type: ignore[no-untyped-def]
    ds = dataset_from_frames(tmp_path / "src", {"reps": REPS, "expenses": expenses, "budgets": budgets})
    return budget_control(ds, AS_OF, fiscal_year(AS_OF), **kwargs)


# --------------------------------------------------------------------------- money helpers


def test_money_helpers_never_divide_by_zero() -> None:
    assert math.isnan(safe_ratio(1.0, 0.0)) and math.isnan(safe_ratio(1.0, float("nan")))
    ratios = safe_ratio(pd.Series([1.0, 2.0, 3.0]), pd.Series([0.0, 4.0, np.nan]))
    assert math.isnan(ratios[0]) and ratios[1] == 0.5 and math.isnan(ratios[2])
    assert to_cents(0.1 + 0.2) == 0.3 and to_cents(pd.Series([1.234, np.nan])).tolist()[0] == 1.23
    assert fiscal_year(dt.date(2025, 3, 31), 4) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))


def test_params_reject_bad_values() -> None:
    for bad in (
        {"adstock": "lots"},
        {"adstock": "0.95"},
        {"fiscal_year_start": 13},
        {"max_shift": 1.5},
        {"attribution": "linear"},
        {"overrun_threshold": -0.1},
    ):
        with pytest.raises(ConfigError):
            ExpenseRoiParams.load(bad)
    assert ExpenseRoiParams.load({"adstock": "0.4"}).adstock_decay == 0.4


# --------------------------------------------------------------------------- budget vs actual


def test_overrun_known_answer_projection_and_severity(tmp_path: Path) -> None:
    budgets = _budgets(_monthly(1, 12, "north", "entertainment", 1000.0) + _monthly(1, 12, "north", "travel", 500.0))
    spent = [(f"2024-{m:02d}-15", "north", "entertainment", 1200.0) for m in range(1, 7)]
    spent += [(f"2024-{m:02d}-15", "north", "travel", 500.0) for m in range(1, 7)]
    control = _control(tmp_path, _expenses(spent), budgets, thresholds=BudgetThresholds(0.10, 1000.0))
    row = control.company.set_index("category").loc["entertainment"]
    assert (row["budget_ytd"], row["spent_ytd"], row["variance"]) == (6000.0, 7200.0, 1200.0)
    assert row["variance_pct"] == pytest.approx(0.2) and row["months_over"] == 6
    assert row["projected"] == 14400.0 and row["projected_over"] == 2400.0
    assert row["burn"] == pytest.approx(0.6) and row["expected_burn"] == pytest.approx(0.5)
    assert control.company.set_index("category").loc["travel", "status"] == "ok"
    findings = budget_findings(control, "2024-06")
    assert [(f.kind, f.level, f.unit, f.facts["category"], f.severity) for f in findings] == [
        ("budget_overrun", "company", "entertainment", "entertainment", "high")
    ]
    assert findings[0].at_stake == 2400.0
    # below the money threshold: not a flag
    strict = _control(tmp_path, _expenses(spent), budgets, thresholds=BudgetThresholds(0.10, 5000.0))
    assert budget_findings(strict, "2024-06") == []


def test_unit_overrun_hidden_in_a_company_total_is_flagged_per_unit(tmp_path: Path) -> None:
    budgets = _budgets(_monthly(1, 12, "north", "events", 1000.0) + _monthly(1, 12, "south", "events", 1000.0))
    spent = [(f"2024-{m:02d}-10", "north", "events", 1300.0) for m in range(1, 7)]
    spent += [(f"2024-{m:02d}-10", "south", "events", 700.0) for m in range(1, 7)]
    control = _control(tmp_path, _expenses(spent), budgets, thresholds=BudgetThresholds(0.10, 100.0))
    assert control.company.set_index("category").loc["events", "variance"] == 0.0
    found = {(f.kind, f.level, f.unit) for f in budget_findings(control, "2024-06")}
    assert found == {("budget_overrun", "region", "north"), ("budget_underspend", "region", "south")}
    # the region filter makes the region the scope: its overrun is reported once, at region level
    north = _control(tmp_path, _expenses(spent), budgets, thresholds=BudgetThresholds(0.10, 100.0), region="north")
    assert north.scope == ("region", "north") and north.company.set_index("category").loc["events", "variance"] == 1800
    assert [(f.kind, f.level, f.unit) for f in budget_findings(north, "2024-06")] == [
        ("budget_overrun", "region", "north")
    ]


def test_zero_budget_gives_no_budget_status_not_a_division_error(tmp_path: Path) -> None:
    budgets = _budgets(_monthly(1, 12, "north", "travel", 0.0) + _monthly(1, 12, "north", "events", 100.0))
    spent = [("2024-03-03", "north", "travel", 25_000.0)]
    control = _control(tmp_path, _expenses(spent), budgets)
    row = control.company.set_index("category").loc["travel"]
    assert row["status"] == "no_budget" and math.isnan(row["variance_pct"]) and math.isnan(row["projected"])
    assert row["variance"] == 25_000.0
    events = control.company.set_index("category").loc["events"]
    assert events["spent_ytd"] == 0.0 and events["variance_pct"] == -1.0
    kinds = {(f.kind, f.facts["category"]) for f in budget_findings(control, "2024-06")}
    assert ("unbudgeted_spend", "travel") in kinds


def test_refunds_net_and_amounts_are_rounded_to_cents(tmp_path: Path) -> None:
    budgets = _budgets([("2024-06-01", "north", "travel", 0.3), ("2024-06-01", "south", "travel", 100.0)])
    spent = [
        ("2024-06-02", "north", "travel", 0.1),
        ("2024-06-03", "north", "travel", 0.2),
        ("2024-06-04", "south", "travel", 150.0),
        ("2024-06-05", "south", "travel", -50.0),
        ("2024-06-06", "south", "travel", 0.005),
    ]
    control = _control(tmp_path, _expenses(spent), budgets)
    units = control.units.set_index("unit")
    assert units.loc["north", "spent_ytd"] == 0.3 and units.loc["north", "variance"] == 0.0
    assert units.loc["north", "variance_pct"] == 0.0
    assert units.loc["south", "spent_ytd"] in (100.0, 100.01)
    assert units.loc["south", "refunds_ytd"] == -50.0
    for column in ("spent_ytd", "variance", "budget_ytd"):
        values = control.company[column].to_numpy()
        assert np.array_equal(values, np.round(values, 2))
    total = control.company.set_index("category").loc[TOTAL]
    assert total["spent_ytd"] == to_cents(units["spent_ytd"].sum())


def test_no_budget_line_in_the_year_means_no_control(tmp_path: Path) -> None:
    budgets = _budgets([("2022-01-01", "north", "travel", 10.0)])
    assert _control(tmp_path, _expenses([("2024-01-02", "north", "travel", 5.0)]), budgets) is None


# --------------------------------------------------------------------------- campaigns


def _campaign_source(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Five seminars: four return 10× their cost in pipeline, s5 (cost 50k) brings 1k; s0 costs nothing."""
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["s0", "s1", "s2", "s3", "s4", "s5"],
            "name": ["free", "a", "b", "c", "e", "flop"],
            "type": "seminar",
            "start_date": [d("2024-02-01")] * 6,
            "end_date": [d("2024-02-01")] * 6,
            "region": "north",
            "cost": [0.0, 10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_000.0],
        }
    )
    leads, opps, orders = [], [], []
    pipeline = {"s0": 5_000.0, "s1": 100_000.0, "s2": 200_000.0, "s3": 300_000.0, "s4": 400_000.0, "s5": 1_000.0}
    for i, (cid, amount) in enumerate(pipeline.items()):
        leads.append((f"l{i}", d("2024-02-01"), "seminar", cid, "r1", f"c{i}"))
        leads.append((f"l{i}x", d("2024-02-02"), "seminar", cid, "r1", None))  # unconverted
        won = cid in ("s1", "s2")
        opps.append(
            (
                f"o{i}",
                f"l{i}",
                f"c{i}",
                "r1",
                amount,
                d("2024-02-05"),
                "won" if won else "open",
                d("2024-03-01") if won else None,
            )
        )
        if won:
            orders.append((f"ord{i}", f"o{i}", f"c{i}", "r1", d("2024-03-01"), amount, amount * 0.6))
    # a later campaign lead of c2's account, before its deal: last touch credits the deal to s4
    leads.append(("l2y", d("2024-02-03"), "seminar", "s4", "r1", "c2"))
    # c1 had bought before: not a new customer of s1
    orders.append(("old", None, "c1", "r1", d("2023-05-01"), 10.0, 5.0))
    lead_columns = ["lead_id", "created_at", "channel", "campaign_id", "rep_id", "customer_id"]
    opp_columns = ["opp_id", "lead_id", "customer_id", "rep_id", "amount", "created_at", "status", "closed_at"]
    order_columns = ["order_id", "opp_id", "customer_id", "rep_id", "ordered_at", "amount", "cost"]
    frames = {
        "reps": REPS,
        "campaigns": campaigns,
        "customers": pd.DataFrame({"customer_id": [f"c{i}" for i in range(6)]}),
        "leads": pd.DataFrame(leads, columns=lead_columns),
        "opportunities": pd.DataFrame(opps, columns=opp_columns).astype({"closed_at": "object"}),
        "orders": pd.DataFrame(orders, columns=order_columns),
    }
    return dataset_from_frames(tmp_path / "src", frames)


def test_campaign_returns_known_answer_zero_cost_and_low_roi(tmp_path: Path) -> None:
    ds = _campaign_source(tmp_path)
    roi = campaign_roi(ds, AS_OF, dt.date(2023, 7, 1), rule=LowRoiRule(fraction=0.25, min_cost=20_000.0))
    rows = roi.campaigns.set_index("campaign_id")
    s2 = rows.loc["s2"]
    assert (s2["leads"], s2["opportunities"], s2["pipeline"], s2["won_deals"]) == (2, 1, 200_000.0, 1)
    assert s2["cost_per_lead"] == 10_000.0 and s2["cost_per_opportunity"] == 20_000.0
    assert s2["roi"] == pytest.approx(9.0) and s2["gross_profit"] == pytest.approx(80_000.0)
    assert s2["new_customers"] == 1 and s2["cac"] == 20_000.0
    # payback: cost ÷ monthly gross profit since acquisition (1 March .. 30 June = 122 days)
    assert s2["payback_months"] == pytest.approx(20_000.0 / (80_000.0 / (122 / (365.25 / 12))))
    assert rows.loc["s1", "new_customers"] == 0 and math.isnan(rows.loc["s1", "cac"])  # c1 bought before
    free = rows.loc["s0"]
    assert free["status"] == "no_cost" and not free["low_roi"]
    assert free["cost_per_lead"] == 0.0  # costs per unit are zero; returns per unit of cost are undefined
    for column in ("pipeline_to_cost", "roi", "gp_roi", "payback_months"):
        assert math.isnan(free[column])
    assert roi.low_roi["campaign_id"].tolist() == ["s5"]
    assert rows.loc["s5", "peer_median_ratio"] == pytest.approx(10.0)
    findings = campaign_findings(roi, "2024-06")
    assert [(f.kind, f.unit, f.severity) for f in findings] == [("campaign_low_roi", "s5", "high")]
    assert findings[0].at_stake == pytest.approx(50_000.0 - 1_000.0 / 10.0)


def test_cheap_or_immature_campaigns_are_not_judged(tmp_path: Path) -> None:
    ds = _campaign_source(tmp_path)
    cheap = campaign_roi(ds, AS_OF, dt.date(2023, 7, 1), rule=LowRoiRule(min_cost=60_000.0))
    assert cheap.low_roi.empty
    early = campaign_roi(ds, dt.date(2024, 2, 20), dt.date(2023, 7, 1), rule=LowRoiRule(maturity_days=30))
    assert early.low_roi.empty and set(early.campaigns["status"]) == {"maturing", "no_cost"}


def test_last_touch_credits_the_accounts_latest_campaign_lead(tmp_path: Path) -> None:
    ds = _campaign_source(tmp_path)
    first = campaign_roi(ds, AS_OF, dt.date(2023, 7, 1), attribution="first_touch").campaigns.set_index("campaign_id")
    last = campaign_roi(ds, AS_OF, dt.date(2023, 7, 1), attribution="last_touch").campaigns.set_index("campaign_id")
    assert first["pipeline"].sum() == last["pipeline"].sum()  # every deal credited once under both rules
    assert (first.loc["s2", "pipeline"], first.loc["s4", "pipeline"]) == (200_000.0, 400_000.0)
    assert (last.loc["s2", "pipeline"], last.loc["s4", "pipeline"]) == (0.0, 600_000.0)
    assert last.loc["s4", "leads"] == 3  # leads stay with the campaign that sourced them


# --------------------------------------------------------------------------- response model


def _synthetic_panel(
    betas: dict[str, float], decay: float, periods: int = 156, seed: int = 3, copy: str | None = None
) -> SpendPanel:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-06", periods=periods, freq="W-MON")
    frame = pd.DataFrame({"unit": "company", "period": dates})
    output = np.full(periods, 1000.0)
    for name, beta in betas.items():
        spend = rng.gamma(2.0, 50.0, periods) * (rng.random(periods) < 0.8)
        if copy and name != copy and copy in frame:
            spend = frame[copy].to_numpy() * 1.01 + rng.normal(0, 0.5, periods).clip(0)
        frame[name] = spend
        stocked = adstock(spend, decay)
        output += beta * np.log1p(stocked / stocked[stocked > 0].mean())
    frame["output"] = output + rng.normal(0, 5.0, periods)
    return SpendPanel(period="week", level="company", output="revenue", frame=frame, categories=tuple(betas))


def test_adstock_carries_spend_over() -> None:
    assert adstock(np.array([100.0, 0.0, 0.0, 10.0]), 0.5).tolist() == [100.0, 50.0, 25.0, 22.5]
    assert adstock(np.array([1.0, 2.0]), 0.0).tolist() == [1.0, 2.0]


def test_response_recovers_known_coefficients_and_shift_is_budget_neutral() -> None:
    model = fit_response(_synthetic_panel({"tv": 300.0, "search": 60.0}, decay=0.3))
    assert model is not None and model.separable
    est = model.estimates.set_index("category")
    for name, beta in {"tv": 300.0, "search": 60.0}.items():
        assert est.loc[name, "beta_low"] <= beta <= est.loc[name, "beta_high"]
        assert est.loc[name, "decay"] == pytest.approx(0.3, abs=0.15)
    assert est.loc["tv", "marginal_roi"] > est.loc["search", "marginal_roi"]
    shift = budget_shift(model, 0.2)
    change = shift.table.set_index("category")["change"]
    assert change.sum() == pytest.approx(0.0, abs=1e-9) and np.array_equal(change, np.round(change, 2))
    assert change["tv"] > 0 > change["search"]
    assert shift.gain > 0 and shift.gain_low <= shift.gain <= shift.gain_high
    current = shift.table.set_index("category")["current"]
    assert (change.abs() <= 0.2 * current + 0.01).all()


def test_response_warns_when_categories_move_together() -> None:
    model = fit_response(_synthetic_panel({"tv": 300.0, "radio": 100.0}, decay=0.0, copy="tv"), decay=0.0)
    assert model is not None and not model.separable
    codes = {code for code, _ in model.warnings}
    assert "collinear" in codes and "observational" in codes
    assert not model.decay_chosen


def test_response_needs_enough_rows() -> None:
    assert fit_response(_synthetic_panel({"tv": 300.0}, decay=0.0, periods=8)) is None


# --------------------------------------------------------------------------- demo: planted and null


@pytest.fixture(scope="session")
def demo_results():  # type: ignore[no-untyped-def]
    from salesops_lib.data import connect
    from salesops_lib.data.demo import load_truth

    out = {}
    for variant, source in (("planted", "demo:small:2025-06-30"), ("null", "demo:small:null:2025-06-30")):
        data = connect(source)
        out[variant] = (
            compute(data, RunScope(source=source, period="2025-06"), ExpenseRoiParams()),
            load_truth(Path(data.source)),
        )
    return out


@pytest.mark.slow
def test_demo_planted_expo_and_overrun_are_flagged_exactly(demo_results) -> None:  # type: ignore[no-untyped-def]
    result, truth = demo_results["planted"]
    expo, overrun = truth.effect("expo_low_roi"), truth.effect("budget_overrun")
    flagged = [f for f in result.findings if f.kind in PLANTED_KINDS]
    assert {(f.kind, f.level, f.unit, f.facts.get("category")) for f in flagged} == {
        ("campaign_low_roi", "campaign", expo.where["campaign_id"], None),
        ("budget_overrun", "company", overrun.where["category"], overrun.where["category"]),
    }
    low = next(f for f in flagged if f.kind == "campaign_low_roi")
    measured = expo.magnitude["measured"]
    for fact in ("cost", "pipeline", "roi"):
        assert low.facts[fact] == pytest.approx(measured[fact])
    assert low.severity == "high"
    over = next(f for f in flagged if f.kind == "budget_overrun")
    planted = overrun.magnitude["measured"][overrun.where["category"]]["over"]
    assert over.facts["over"] == pytest.approx(planted, abs=1e-3)
    others = result.budget.company[~result.budget.company["category"].isin([overrun.where["category"], TOTAL])]
    assert (others["variance_pct"].abs() < 0.05).all()
    move = next(f for f in result.findings if f.kind == "campaign_reallocation")
    assert move.facts["amount"] == pytest.approx(measured["cost"]) and move.facts["to_type"] != "expo"


def test_demo_null_variant_flags_nothing(demo_results) -> None:  # type: ignore[no-untyped-def]
    result, _ = demo_results["null"]
    assert not [f for f in result.findings if f.kind in PLANTED_KINDS or f.severity == "high"]
    assert result.moves.empty
    assert not result.budget.company["flag"].any() and not result.campaigns.campaigns["low_roi"].any()


def test_every_finding_has_words_in_both_languages(demo_results) -> None:  # type: ignore[no-untyped-def]
    from salesops_lib.report.findings_text import finding_text
    from salesops_lib.report.i18n import catalogue

    words = catalogue("expense_roi")
    assert all(len(pair) == 2 and all(pair) for pair in words.labels.values())
    assert set(SPEC.finding_kinds) == set(words.findings)
    result, _ = demo_results["planted"]
    assert {f.kind for f in result.findings} <= set(SPEC.finding_kinds)
    for f in result.findings:
        assert f.analysis == "expense_roi"
        zh, en = finding_text(f, "zh"), finding_text(f, "en")
        assert "—" not in zh + en and "{" not in zh + en
        if f.kind == "budget_overrun":
            assert "业务招待" in zh and "entertainment" in en


def test_pages_render_every_section_in_both_languages(demo_results) -> None:  # type: ignore[no-untyped-def]
    from salesops_lib.report import expense_roi as view
    from salesops_lib.report.i18n import t

    result, _ = demo_results["planted"]
    for lang in ("zh", "en"):
        html = "".join(
            part(result, lang).html
            for part in (
                view.summary,
                view.budget_section,
                view.units_section,
                view.campaign_section,
                view.reallocation_section,
                view.response_section,
                view.alignment_section,
            )
        )
        for key in ("budget_title", "campaign_title", "response_title", "alignment_title", "realloc_title"):
            assert t(key, lang, "expense_roi") in html
        assert html_escape(t("rule_first_touch", lang, "expense_roi")) in html  # the attribution rule is on the page
        for plot in (view.budget_plot, view.campaign_plot, view.response_plot):
            assert hasattr(plot(result, lang), "savefig")


def test_findings_word_coded_facts_like_the_page() -> None:
    """The findings' `words:` tables repeat the page's coded values (labels ``word.<code>``, then
    the shared vocabulary's expense categories and campaign types)."""
    from salesops_lib.report.findings_text import templates
    from salesops_lib.report.i18n import catalogue
    from salesops_lib.report.names import vocabulary

    page = {**vocabulary()["expense_category"], **vocabulary()["campaign_type"]}
    page |= {
        key.removeprefix("word."): pair
        for key, pair in catalogue("expense_roi").labels.items()
        if key.startswith("word.")
    }
    for kind, text in templates("expense_roi").items():
        for fact, table in text.words.items():
            if fact != "model_period":
                assert table == page, (kind, fact)


# --------------------------------------------------------------------------- real data: Robyn MMM


@pytest.fixture(scope="session")
def robyn():  # type: ignore[no-untyped-def]
    if not ROBYN.is_dir():
        pytest.skip("../shared/datasets/robyn_simulated_mmm is not available")
    from salesops_lib.data import connect

    return connect(ROBYN, ROBYN_MAPPING)


def test_robyn_mapping_shapes_the_mmm_export(robyn) -> None:  # type: ignore[no-untyped-def]
    e = robyn.table("expenses")
    spend = e.group_by("category").agg(total=e.amount.sum(), weeks=e.count()).execute().set_index("category")
    assert set(spend.index) == {"tv", "ooh", "print", "search", "facebook"} and (spend["weeks"] == 208).all()
    # totals from SOURCE.txt: tv 3.09M, ooh 8.99M, print 0.78M, search 1.23M, facebook 0.45M
    assert spend.loc["tv", "total"] == pytest.approx(3.09e6, rel=0.01)
    assert spend.loc["ooh", "total"] == pytest.approx(8.99e6, rel=0.01)
    o = robyn.table("orders")
    assert int(o.count().execute()) == 208 and float(o.amount.sum().execute()) == pytest.approx(379.0e6, rel=0.01)


def test_robyn_spend_output_estimates_carry_the_simulated_caveat(robyn) -> None:  # type: ignore[no-untyped-def]
    params = ExpenseRoiParams.load(
        {"response_period": "week", "response_level": "company", "source_is_simulated": True}
    )
    result = compute(robyn, RunScope(period="2019-11"), params)
    assert set(result.skipped) == {"budget", "campaigns", "alignment"}  # no budgets, campaigns or regions
    model = result.response
    assert model is not None and (model.units, model.periods, model.period) == (1, 208, "week")
    est = model.estimates.set_index("category")
    assert set(est.index) == {"tv", "ooh", "print", "search", "facebook"}
    assert np.isfinite(est[["beta", "beta_low", "beta_high", "roi", "marginal_roi", "ridge_beta"]]).all().all()
    assert (est["beta_low"] <= est["beta"]).all() and (est["beta"] <= est["beta_high"]).all()
    assert est.loc["tv", "beta_low"] > 0  # TV's relation is clear in this simulation
    codes = [code for code, _ in model.warnings]
    assert codes[0] == "simulated" and "observational" in codes
    assert not [f for f in result.findings if f.severity in ("high", "medium")]


def test_campaign_returns_come_back_one_row_per_campaign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leads, outcomes, gross profit and new customers are aggregated per campaign in the engine:
    no query returns a row per new customer."""
    from ibis.expr.types import core

    from salesops_lib.data import connect

    ds = connect("demo:small:2025-06-30")
    sizes: list[int] = []
    original = core.Expr.execute

    def counting(self: core.Expr, *args: object, **kwargs: object) -> object:
        out = original(self, *args, **kwargs)
        sizes.append(len(out) if hasattr(out, "__len__") else 1)
        return out

    monkeypatch.setattr(core.Expr, "execute", counting)
    roi = campaign_roi(ds, dt.date(2025, 6, 30), dt.date(2024, 7, 1))
    campaigns = len(roi.campaigns)
    assert campaigns > 0 and int(roi.campaigns["new_customers"].sum()) > campaigns
    assert max(sizes) <= campaigns
