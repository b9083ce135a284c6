"""Target split on hand-built data (known answers, negative cases), the demo (planted and null),
the Maven CRM export (a 2018 target from 2017 history), parameters and the Excel workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from salesops_lib.analyses import target_split
from salesops_lib.analyses.target_split import TargetSplitError, TargetSplitParams, TargetSplitResult
from salesops_lib.analyses.target_split.plan import Plan
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError
from tests.builders import dataset_from_frames, reps_frame

LEVEL_PARENT = {"region": "company", "team": "region", "rep": "team"}


def _orders(rows: list[tuple[str, dt.date, float]]) -> pd.DataFrame:
    """Orders of customer ``c1`` from (rep, date, amount) rows, at no cost."""
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": "c1",
            "rep_id": [r[0] for r in rows],
            "ordered_at": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
            "cost": 0.0,
        }
    )


def assert_exact(plan: Plan) -> None:
    """Every parent equals the sum of its children, in the year and in every month; nothing negative."""
    units, monthly = plan.units, plan.monthly
    assert (units["target_steps"] >= 0).all() and (monthly["steps"] >= 0).all()
    by_unit = monthly.groupby(["level", "unit_id"])["steps"].sum()
    own = units.set_index(["level", "unit_id"])["target_steps"]
    assert (by_unit.reindex(own.index) == own).all()
    for level, parent_level in LEVEL_PARENT.items():
        kids = units[units["level"] == level].groupby("parent_id")["target_steps"].sum()
        parents = units[units["level"] == parent_level].set_index("unit_id")["target_steps"]
        assert (kids.reindex(parents.index, fill_value=0) == parents).all(), level
        kid_months = monthly[monthly["level"] == level].groupby(["parent_id", "month"])["steps"].sum()
        parent_months = monthly[monthly["level"] == parent_level].set_index(["unit_id", "month"])["steps"]
        assert (kid_months.reindex(parent_months.index, fill_value=0) == parent_months).all(), level


# --------------------------------------------------------------------------- hand-built data

MONTHLY = {"r1": 100.0, "r2": 300.0, "r3": 600.0}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """north (t1: r1, r2) and south (t2: r3); 24 months of flat bookings, r3 doubles every December."""
    rows = []
    for month in pd.date_range("2023-01-01", "2024-12-01", freq="MS"):
        for rep, amount in MONTHLY.items():
            booked = amount * 2 if rep == "r3" and month.month == 12 else amount
            rows.append((rep, (month + pd.Timedelta(days=9)).date(), booked))
    orders = _orders(rows)
    reps = reps_frame([("r1", "t1", "north"), ("r2", "t1", "north"), ("r3", "t2", "south")])
    opps = pd.DataFrame({"opp_id": ["x"], "rep_id": ["r1"], "status": ["open"], "created_at": [dt.date(2024, 1, 1)]})
    return dataset_from_frames(
        tmp_path_factory.mktemp("split") / "src", {"reps": reps, "orders": orders, "opportunities": opps}
    )


def _split(ds: Dataset, **values: object) -> TargetSplitResult:
    params = TargetSplitParams.load({"bounds_levels": "", **values})
    return target_split.compute(ds, RunScope(source=ds.source, period="2024-12"), params)  # type: ignore[arg-type]


def _targets(result: TargetSplitResult) -> dict[str, float]:
    return dict(zip(result.units["unit_id"], result.units["target"], strict=True))


def test_history_split_is_proportional_to_the_base_and_exact(small: Dataset) -> None:
    result = _split(small, company_target=25200, method_region="history", method_team="history", method_rep="history")
    got = _targets(result)
    assert result.plan.plan_year == 2025 and result.plan.base_window == (dt.date(2024, 1, 1), dt.date(2024, 12, 1))
    assert result.units.iloc[0]["base"] == 12600  # 12 × 1,000 + r3's December extra 600
    assert got["north"] == 9600 and got["south"] == 15600  # 4,800 : 7,800 of the base, doubled
    assert got["r1"] == 2400 and got["r2"] == 7200 and got["r3"] == 15600
    assert_exact(result.plan)


def test_default_company_target_is_base_times_growth(small: Dataset) -> None:
    result = _split(small, growth=0.1, method_region="history")
    assert result.units.iloc[0]["target"] == round(12600 * 1.1)


def test_phasing_follows_each_units_own_seasonality(small: Dataset) -> None:
    result = _split(small, company_target=26000, method_region="history", method_team="history", method_rep="history")
    months = result.monthly.pivot_table(index="unit_id", columns="month", values="amount")
    north, south = months.loc["north"].to_numpy(), months.loc["south"].to_numpy()
    assert np.ptp(north) <= 0.01 * north.mean() + 1  # flat history → flat months
    assert south[11] > 1.4 * south[:11].mean()  # r3's December shows in south's December
    assert months.loc["r3"].to_numpy()[11] == south[11]


def test_locks_stay_and_the_rest_rebalances(small: Dataset) -> None:
    result = _split(small, company_target=26000, method_region="history", locks="region:south=20000;rep:r1=1000")
    got = _targets(result)
    assert got["south"] == 20000 and got["north"] == 6000 and got["r1"] == 1000 and got["r2"] == 5000
    assert set(result.units.loc[result.units["locked"], "unit_id"]) == {"south", "r1"}
    assert_exact(result.plan)


def test_new_positions_start_at_zero_and_ramp(small: Dataset) -> None:
    result = _split(small, company_target=26000, method_rep="capacity", hires="t1=1@2025-07")
    new = result.units[result.units["new_position"]]
    assert new["unit_id"].tolist() == ["t1+1"]
    months = result.monthly[result.monthly["unit_id"] == "t1+1"].sort_values("month")["amount"].to_numpy()
    assert (months[:6] == 0).all() and (np.diff(months[6:]) > -2).all() and months[6:].sum() > 0
    r1 = result.units.set_index("unit_id").loc["r1", "target"]
    assert new["target"].iloc[0] < 0.5 * r1  # half a year, ramping
    assert_exact(result.plan)


def test_step_rounds_every_amount_to_whole_steps(small: Dataset) -> None:
    result = _split(small, company_target=26000, step=100)
    assert (result.units["target_steps"] * 100 == result.units["target"]).all()
    assert (result.monthly["amount"] % 100 == 0).all()
    assert_exact(result.plan)


def test_cents_never_go_astray(small: Dataset) -> None:
    result = _split(small, company_target=12345.67, step=0.01)
    assert result.units.iloc[0]["target_steps"] == 1234567
    assert_exact(result.plan)


def test_floors_and_caps_bind_or_fail_clearly(small: Dataset) -> None:
    bound = _split(
        small, company_target=15600, method_region="equal", bounds_levels="region", growth_floor=0.0, growth_cap=0.4
    )
    got = _targets(bound)
    assert got["north"] == round(4800 * 1.4) and got["south"] == 15600 - round(4800 * 1.4)
    assert bound.units.set_index("unit_id").loc["north", "bound"] == "cap"
    with pytest.raises(TargetSplitError, match="cannot be split"):
        _split(small, company_target=26000, bounds_levels="region", growth_cap=0.2)
    with pytest.raises(TargetSplitError, match="locked"):
        _split(small, company_target=26000, bounds_levels="rep", growth_cap=0.1, locks="team:t1=20000")


def test_unknown_units_and_bad_texts_are_config_errors(small: Dataset) -> None:
    with pytest.raises(ConfigError, match="no team 'nope'"):
        _split(small, locks="team:nope=100")
    with pytest.raises(ConfigError, match="unknown team"):
        _split(small, hires="nope=1@2025-03")
    for bad in (
        {"locks": "east 100"},
        {"blend": "history:x"},
        {"blend": "magic:1"},
        {"hires": "t1=2@13"},
        {"bounds_levels": "planet"},
        {"growth_cap": -0.5, "growth_floor": 0.0},
        {"step": 0},
    ):
        with pytest.raises(ConfigError):
            TargetSplitParams.load(dict(bad))
    with pytest.raises(ConfigError, match="whatif"):
        TargetSplitParams.load({"whatif": "source=demo"}).whatif_params()
    with pytest.raises(ConfigError, match="Extra inputs"):
        TargetSplitParams.load({"whatif": "colour=red"}).whatif_params()


def test_potential_method_needs_market_potential(small: Dataset) -> None:
    from salesops_lib.errors import MissingTableError

    with pytest.raises(MissingTableError, match="market potential"):
        _split(small, method_region="potential")
    blended = _split(small, company_target=26000)  # the blend drops potential and re-weights
    assert blended.plan.methods.set_index("level").loc["region", "components"] == "history:0.67,capacity:0.33"


def test_whatif_compares_two_parameter_sets(small: Dataset) -> None:
    result = _split(small, company_target=26000, method_rep="history", whatif="method_rep=equal;company_target=30000")
    compare = result.whatif.set_index("unit_id")
    assert compare.loc["company", "target"] == 26000 and compare.loc["company", "target_whatif"] == 30000
    assert compare.loc["r1", "target_whatif"] == compare.loc["r2", "target_whatif"]
    assert (compare["difference"] == compare["target_whatif"] - compare["target"]).all()


def test_alignment_and_fairness_describe_the_split(small: Dataset) -> None:
    result = _split(small, company_target=25200, method_region="history", method_rep="equal")
    aligned = result.alignment.set_index("unit_id")
    assert aligned.loc["south", "fte_share"] == pytest.approx(1 / 3)
    assert aligned.loc["south", "index"] == pytest.approx((15600 / 25200) / (1 / 3))
    assert not aligned.loc["south", "aligned"]
    fair = result.fairness.set_index(["level", "measure"])
    assert fair.loc[("rep", "per_fte"), "gini"] > 0.2
    kinds = {f.kind for f in result.findings}
    assert {"resource_misalignment", "uneven_load"} <= kinds


def test_gini() -> None:
    from salesops_lib.analyses.target_split.audit import gini

    assert gini(np.array([5.0, 5.0, 5.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert np.isnan(gini(np.array([1.0])))


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_planted() -> TargetSplitResult:
    from salesops_lib.data import connect

    scope = RunScope(source="demo:small:2025-06-30", period="2025-06")
    params = TargetSplitParams.load({"step": 100, "hires": "north-02=2@2026-04", "whatif": "method_rep=capacity"})
    return target_split.compute(connect(scope.source), scope, params)  # type: ignore[arg-type]


def test_demo_split_is_exact_and_complete(demo_planted: TargetSplitResult) -> None:
    plan = demo_planted.plan
    assert_exact(plan)
    assert plan.plan_year == 2026 and (plan.units["target"] % 100 == 0).all()
    regions = set(plan.units.loc[plan.units["level"] == "region", "unit_id"])
    assert regions == {"east", "north", "south", "southwest", "central"}
    company = plan.units.iloc[0]
    assert company["target"] == pytest.approx(company["base"] * 1.1, abs=100)
    regions = plan.units[plan.units["level"] == "region"]
    assert regions["growth"].between(-1e-9, 0.4 + 1e-9).all()  # default floor/cap on regions and teams
    assert plan.units["w_potential"].notna().sum() == 5  # market potential feeds the regions' blend
    assert len(plan.units[plan.units["new_position"]]) == 2
    assert not demo_planted.whatif.empty and demo_planted.whatif["target_whatif"].notna().all()


def _null_split(**values: object) -> TargetSplitResult:
    from salesops_lib.data import connect

    scope = RunScope(source="demo:small:null:2025-06-30", period="2025-06")
    return target_split.compute(connect(scope.source), scope, TargetSplitParams.load(values))  # type: ignore[arg-type]


def test_demo_null_raises_no_high_finding() -> None:
    result = _null_split()
    assert_exact(result.plan)
    assert not [f for f in result.findings if f.severity == "high"]
    assert all(f.analysis == "target_split" for f in result.findings)


def test_stretch_is_one_finding_per_plan_listing_the_stretched_units() -> None:
    # was: one medium finding per stretched region or team (~1-5 per null run, issue 19)
    result = _null_split()
    stretch = [f for f in result.findings if f.kind == "stretch_target"]
    assessed = result.achievability
    units = assessed[assessed["level"].isin(["region", "team"]) & (assessed["assessment"] == "stretch")]
    assert len(units) >= 1  # the pinned null world has stretched units: the summary must carry them
    assert len(stretch) == 1 and (stretch[0].level, stretch[0].unit) == ("company", "company")
    facts = stretch[0].facts
    assert facts["count"] == len(units) and set(facts["units"].split(", ")) == set(units["unit_id"])
    assert facts["units_excess"] == pytest.approx(units["excess"].sum())
    # a +10 % plan is within the company's own record of yearly growth: not an alert
    assert facts["whole_code"] == "within" and stretch[0].severity == "low"
    assert facts["implied"] < facts["high"]


def test_a_plan_beyond_the_companys_record_is_medium() -> None:
    result = _null_split(growth=1.0, growth_cap=2.0)
    [stretch] = [f for f in result.findings if f.kind == "stretch_target"]
    assert stretch.severity == "medium" and stretch.facts["whole_code"] == "stretch"
    assert stretch.facts["implied"] > stretch.facts["high"]
    assert stretch.at_stake == pytest.approx(stretch.facts["company_excess"])
    assert stretch.at_stake >= 0.05 * stretch.value


def test_excel_workbooks_add_up(demo_planted: TargetSplitResult, tmp_path: Path) -> None:
    from salesops_lib.report.target_split import write_workbooks

    paths = write_workbooks(demo_planted, "zh", tmp_path)
    assert paths[0].name == "2026_targets_company.xlsx" and len(paths) == 6
    sheet = load_workbook(tmp_path / "2026_targets_north.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, region, teams = rows[0], rows[1], rows[2:]
    for col in range(4, len(header)):
        assert region[col] == sum(team[col] for team in teams)
    reps = list(load_workbook(tmp_path / "2026_targets_north.xlsx").worksheets[1].iter_rows(values_only=True))[1:]
    assert sum(r[-1] for r in reps) == region[-1]


# --------------------------------------------------------------------------- Maven CRM


def test_maven_2018_target_splits_exactly_over_offices_managers_and_agents(maven: Dataset) -> None:
    params = TargetSplitParams.load({"company_target": 13_000_000, "base": "last_year", "plan_year": 2018})
    scope = RunScope(source=maven.source, period="2017-12")
    result = target_split.compute(maven, scope, params)  # type: ignore[arg-type]
    plan = result.plan
    assert_exact(plan)
    assert plan.plan_year == 2018 and plan.base_window == (dt.date(2017, 1, 1), dt.date(2017, 12, 1))
    counts = plan.units["level"].value_counts()
    assert counts["company"] == 1 and counts["region"] == 3 and counts["team"] == 6 and counts["rep"] == 35
    assert plan.units.iloc[0]["target"] == 13_000_000
    assert plan.base_months_covered == 10  # won deals close from March 2017: the base is annualised


def test_a_quarter_is_planned_from_the_same_quarter_of_the_base(small: Dataset) -> None:
    result = _split(
        small, plan_quarter=4, growth=0.0, method_region="history", method_team="history", method_rep="history"
    )
    plan = result.plan
    assert plan.label == "2025Q4" and [m.month for m in plan.plan_months] == [10, 11, 12]
    assert plan.base_window == (dt.date(2024, 10, 1), dt.date(2024, 12, 1))
    assert plan.units.iloc[0]["target"] == 3 * 1000 + 600  # Q4 2024 with r3's December
    assert set(plan.monthly["month"].dt.month) == {10, 11, 12}
    assert_exact(plan)


def test_pages_and_findings_render_in_both_languages(demo_planted: TargetSplitResult, tmp_path: Path) -> None:
    import string

    import matplotlib

    matplotlib.use("Agg")
    from salesops_lib.report import target_split as view
    from salesops_lib.report.findings_text import finding_fields, finding_text, templates

    result = demo_planted
    for lang in ("zh", "en"):
        for show in (
            view.overview,
            view.units,
            view.phasing_heading,
            view.phasing_chart,
            view.phasing_table,
            view.reps,
            view.achievability,
            view.achievability_chart,
            view.fairness,
            view.alignment,
            view.alignment_chart,
            view.whatif,
        ):
            assert show(result, lang) is not None
        assert view.export_excel(result, lang, "").html == ""
        for finding in result.findings:
            template = templates("target_split")[finding.kind]
            fields = {name for _, name, _, _ in string.Formatter().parse(getattr(template, lang)) if name}
            assert fields <= set(finding_fields(finding, lang)) | set(template.words), (finding.kind, lang)
            text = finding_text(finding, lang)
            assert "{" not in text and "nan" not in text


# --------------------------------------------------------------------------- zero is a value


@pytest.mark.parametrize("before", ["zero_orders", "old_booking"])
def test_months_of_zero_bookings_are_zeros_not_missing_history(
    tmp_path_factory: pytest.TempPathFactory, before: str
) -> None:
    """Bookings of 100 a month from September 2024 only; before that the source has orders worth 0
    (``zero_orders``) or one booking in 2020, before the 36 months read (``old_booking``). Either way
    January–August are months of zero sales: the base is 400, not 400 annualised to 1,200."""
    rows = [("r1", dt.date(2024, m, 10), 100.0) for m in range(9, 13)]
    if before == "zero_orders":
        rows += [("r1", dt.date(2024, m, 10), 0.0) for m in range(1, 9)]
    else:
        rows += [("r1", dt.date(2020, 3, 10), 50.0)]
    orders = _orders(rows)
    reps = reps_frame([("r1", "t1", "north")])
    ds = dataset_from_frames(tmp_path_factory.mktemp("zeros") / "src", {"reps": reps, "orders": orders})
    result = _split(ds, growth=0.0)
    assert result.plan.base_months_covered == 12
    assert result.units.iloc[0]["base"] == 400 and result.units.iloc[0]["target"] == 400


def test_the_page_download_holds_every_rep_by_month_and_the_workbooks_are_working_sheets(
    demo_planted: TargetSplitResult, tmp_path: Path
) -> None:
    """Issue 21: a rep × month grid in the page's download; frozen header and a filter in the workbooks."""
    from salesops_lib.report.target_split import sheets, write_workbooks

    (grid,) = sheets(demo_planted, "zh")
    reps = demo_planted.plan.units[demo_planted.plan.units["level"] == "rep"]
    assert grid.title == "销售代表月度目标" and len(grid.rows) == len(reps)
    assert grid.columns[4] == "2026-01" and len(grid.columns) == 4 + 12 + 1
    for row in grid.rows:
        assert abs(sum(row[4:-1]) - row[-1]) < 1e-6  # each rep's months add up to the year
    write_workbooks(demo_planted, "zh", tmp_path)
    sheet = load_workbook(tmp_path / "2026_targets_north.xlsx").worksheets[1]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")


def test_peer_quantiles_are_computed_once_per_level(
    demo_planted: TargetSplitResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: ten thousand reps without their own history shared one pooled reference, yet the
    audit took its quantiles again for each (7,000 sorts of 100,000 values): now once per level,
    with the same assessments."""
    from salesops_lib.analyses.target_split import audit

    plan = demo_planted.plan
    growth = audit.achieved_growth(plan, None)
    expected = audit.achievability(plan, 0.9, None, growth)
    calls: list[int] = []
    quantile = np.quantile

    def counted(values: np.ndarray, q: object) -> np.ndarray:
        calls.append(len(values))
        return quantile(values, q)

    monkeypatch.setattr(audit.np, "quantile", counted)
    again = audit.achievability(plan, 0.9, None, growth)
    pd.testing.assert_frame_equal(again, expected)
    known = again["assessment"] != "unknown"
    own = int((known & (again["reference"] == "own")).sum())
    peers = again.loc[known & (again["reference"] == "peers"), "level"]
    assert len(calls) == own + peers.nunique() and peers.size > peers.nunique()
