"""Team efficiency: FTE pro-rating and selling FTE, flags, the rep-composition permutation test,
scorecard ties, payout edges, the driver/ramp estimator on hand-built data; the demo's planted
team, activity elasticities and ramp (and a quiet null variant); Maven won value and deals per
agent and manager against hand-written SQL, its zero-deal agents, and a placebo that shuffles
agents across managers."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses.multiplicity import FDR
from salesops_lib.analyses.team_efficiency import (
    TeamEfficiencyParams,
    TeamEfficiencyResult,
    active,
    composition,
    compute,
    flags,
    incentives,
    per_fte,
    scorecard,
)
from salesops_lib.analyses.team_efficiency import findings as statements
from salesops_lib.analyses.team_efficiency.compute import read, screened_units
from salesops_lib.analyses.team_efficiency.drivers import fit_drivers, reading
from salesops_lib.analyses.team_efficiency.panel import rep_months
from salesops_lib.analyses.team_efficiency.ramp import ramp_curve
from salesops_lib.config.scope import RunScope
from salesops_lib.errors import ConfigError
from salesops_lib.metrics import Grain, compute_metric
from salesops_lib.metrics.facts import rep_roster
from tests.builders import d, dataset_from_frames, reps_frame
from tests.conftest import NULL, PLANTED

# --------------------------------------------------------------------------- FTE pro-rating


def _orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [f"c{i}" for i in range(len(rows))],
            "rep_id": [r[0] for r in rows],
            "ordered_at": [d(r[1]) for r in rows],
            "amount": [r[2] for r in rows],
            "cost": [r[2] / 2 for r in rows],
        }
    )


@pytest.fixture(scope="module")
def hires_and_exits(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Team A: r1 hired 16 Jan 2024, r2 leaves 14 Feb 2024 (leap year); team B: r3 all along."""
    reps = reps_frame(
        [("r1", "A", "n"), ("r2", "A", "n"), ("r3", "B", "s")], hire={"r1": "2024-01-16"}, exit={"r2": "2024-02-14"}
    )
    orders = _orders(
        [
            ("r1", "2024-01-20", 100.0),
            ("r2", "2024-02-01", 50.0),
            ("r3", "2024-01-05", 150.0),
            ("r3", "2024-02-27", 150.0),
        ]
    )
    return dataset_from_frames(tmp_path_factory.mktemp("fte"), {"reps": reps, "orders": orders})


def test_fte_is_pro_rated_by_hire_and_exit_day(hires_and_exits) -> None:  # type: ignore[no-untyped-def]
    panel = rep_months(hires_and_exits, dt.date(2024, 1, 1), dt.date(2024, 2, 29)).set_index(["rep_id", "month"])
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert panel.loc[("r1", jan), "fte"] == pytest.approx(16 / 31)  # 16…31 January, hire day included
    assert panel.loc[("r1", feb), "fte"] == 1.0
    assert panel.loc[("r2", feb), "fte"] == pytest.approx(14 / 29)  # 1…14 February, exit day included
    assert not panel.loc[("r1", jan), "full"] and panel.loc[("r1", feb), "full"]  # the hire month is not full
    assert panel.loc[("r1", feb), "tenure"] == 1 and not panel.loc[("r2", feb), "full"]


def test_window_fte_counts_employed_days_and_vacancies_as_zero(hires_and_exits) -> None:  # type: ignore[no-untyped-def]
    panel = rep_months(hires_and_exits, dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    teams = per_fte.window(panel, "team", start, end).set_index("unit")
    assert teams.loc["A", "fte"] == pytest.approx((16 + 29 + 31 + 14) / 60)  # r1 + r2 employed days ÷ 60
    assert teams.loc["A", "revenue_per_fte"] == pytest.approx(150 / 1.5)
    assert teams.loc["B", "revenue_per_fte"] == pytest.approx(300.0)
    assert teams.loc["A", "gross_profit_per_fte"] == pytest.approx(75 / 1.5)
    company = per_fte.window(panel, "company", start, end).iloc[0]
    assert company["revenue_per_fte"] == pytest.approx(450 / 2.5)
    # the monthly roll-up is exactly the metric dictionary at team level
    months = per_fte.monthly(panel, "team").set_index(["unit", "month"])
    direct = compute_metric(
        hires_and_exits, "revenue_per_fte", Grain(level="team", start=d("2024-01-01"), end=d("2024-02-29"))
    )
    for row in direct.itertuples():
        assert months.loc[(row.unit, row.period), "fte"] == pytest.approx(row.denominator)
        assert months.loc[(row.unit, row.period), "revenue"] == pytest.approx(row.numerator)
    heads = per_fte.headcount(rep_roster(hires_and_exits), "team", start, end).set_index("unit")
    assert heads.loc["A"].tolist() == [1, 1, 1]  # r1 at the end; r1 hired, r2 left within the window


# --------------------------------------------------------------------------- flags


def _unit_months(gaps: dict[str, tuple[float, list[float]]], base: float = 100.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly frames where each unit's revenue per FTE = base × (1 + gap) and the others pull the
    company to ``base``: unit → (fte, monthly gaps)."""
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    rows = [
        {"unit": u, "month": m, "fte": fte, "revenue": fte * base * (1 + g), "days": m.days_in_month}
        for u, (fte, gs) in gaps.items()
        for m, g in zip(months, gs, strict=True)
    ]
    monthly = pd.DataFrame(rows)
    monthly["revenue_per_fte"] = monthly["revenue"] / monthly["fte"]
    window = monthly.groupby("unit", as_index=False).agg(revenue=("revenue", "sum"), fte_months=("fte", "sum"))
    window["fte"] = window["fte_months"] / 6
    window["months"] = 6
    window["revenue_per_fte"] = window["revenue"] / window["fte"]
    window.insert(0, "level", "team")
    return window, monthly


def test_a_steadily_weak_team_is_flagged_but_a_small_teams_bad_months_are_not() -> None:
    noise = [0.03, -0.02, 0.01, -0.03, 0.02, -0.01]
    window, monthly = _unit_months(
        {
            "steady_low": (8.0, [-0.30 + n for n in noise]),
            "one_bad_month": (3.0, [-0.60, 0, 0, 0, 0, 0]),
            "two_bad_months": (3.0, [-0.75, -0.75, 0.05, 0.0, 0.0, 0.05]),
            "tiny_and_low": (1.0, [-0.40 + n for n in noise]),
            **{f"ok{i}": (40.0, [0.05 * np.sin(i + k) for k in range(6)]) for i in range(6)},
        }
    )
    out = flags.compare(window, monthly, kind="company", rule=flags.FlagRule(0.20, 0.95, 2.0)).set_index("unit")
    assert out.loc["steady_low", "flagged"] and out.loc["steady_low", "strong"]
    assert out.loc["steady_low", "gap_low"] < out.loc["steady_low", "gap"] < out.loc["steady_low", "gap_high"] < 0
    assert out.loc["steady_low", "shortfall"] == pytest.approx(
        out.loc["steady_low", "benchmark"] * 8.0 - out.loc["steady_low", "revenue"]
    )
    assert not out.loc["one_bad_month", "flagged"]  # −10 % over the window: not material
    assert out.loc["two_bad_months", "gap"] <= -0.20 and not out.loc["two_bad_months", "flagged"]  # too noisy
    assert not out.loc["tiny_and_low", "flagged"]  # below min_fte
    assert out["flagged"].sum() == 1


def test_no_flag_when_every_unit_is_at_the_benchmark_and_median_and_peer_benchmarks() -> None:
    window, monthly = _unit_months({f"t{i}": (5.0, [0.01 * ((i + k) % 3 - 1) for k in range(6)]) for i in range(5)})
    for kind in ("company", "median", "peer"):
        out = flags.compare(window, monthly, kind=kind, rule=flags.FlagRule())
        assert not out["flagged"].any() and out["gap"].abs().max() < 0.03
    window, monthly = _unit_months({"a": (5.0, [0.0] * 6), "b": (5.0, [-0.5] * 6), "c": (5.0, [0.5] * 6)})
    peer = flags.compare(window, monthly, kind="peer", rule=flags.FlagRule()).set_index("unit")
    assert peer.loc["a", "benchmark"] == pytest.approx(600.0)  # 6 months × (50 + 150) ÷ 2, without itself
    median = flags.compare(window, monthly, kind="median", rule=flags.FlagRule()).set_index("unit")
    assert median.loc["b", "benchmark"] == pytest.approx(600.0) and median.loc["b", "gap"] == pytest.approx(-0.5)
    assert median.loc["b", "flagged"] and median["flagged"].sum() == 1  # no variation at all: exactly −50 %


# --------------------------------------------------------------------------- selling FTE and rep composition


def test_selling_fte_keeps_employed_days_inside_the_span_and_zero_for_a_rep_who_never_sold() -> None:
    jan, feb, mar = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3))
    panel = pd.DataFrame(
        {
            "rep_id": ["new", "new", "new", "idle", "idle", "quit", "quit", "quit"],
            "month": [jan, feb, mar, jan, feb, jan, feb, mar],
            "fte": [16 / 31, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "days": [31.0, 29.0, 31.0, 31.0, 29.0, 31.0, 29.0, 31.0],
        }
    )
    reps = reps_frame([("new", "A", "n"), ("idle", "A", "n"), ("quit", "B", "s")], hire={"new": "2024-01-16"})
    spans = pd.DataFrame(
        {
            "rep_id": ["new", "quit"],
            "first_seen": pd.to_datetime(["2024-01-20", "2023-06-01"]),
            "last_seen": pd.to_datetime(["2024-03-28", "2024-01-10"]),
        }
    )
    out = active.selling_fte(panel, reps, spans, end=dt.date(2024, 3, 31), grace=5).set_index(["rep_id", "month"])
    assert out.loc[("new", jan), "fte"] == pytest.approx(16 / 31)  # hired the 16th, first deal within the grace
    assert out.loc[("new", mar), "fte"] == 1.0  # last trace within the grace of the data's end: selling to the end
    assert out.loc[("idle", jan), "fte"] == 0.0 and out.loc[("idle", jan), "employed_fte"] == 1.0
    assert out.loc[("quit", jan), "fte"] == pytest.approx(15 / 31)  # to the 10th + 5 days, no exit on the roster
    assert out.loc[("quit", feb), "fte"] == 0.0
    idle = active.inactive_reps(reps, out.reset_index(), jan, mar)
    assert idle["rep_id"].tolist() == ["idle"] and idle["employed_fte"].iloc[0] == pytest.approx(60 / 91)


def test_composition_test_is_seeded_and_sees_a_team_of_the_lowest_reps() -> None:
    rng = np.random.default_rng(5)
    level = np.exp(rng.normal(0, 0.3, 12))
    order = np.argsort(level)
    unit = np.empty(12, dtype=object)
    unit[order[:4]], unit[order[4:8]], unit[order[8:]] = "low", "mid", "high"
    reps = pd.DataFrame({"unit": unit, "revenue": level * 100, "fte": 1.0})
    first = composition.composition_test(reps, draws=4000, seed=1).set_index("unit")
    again = composition.composition_test(reps, draws=4000, seed=1).set_index("unit")
    pd.testing.assert_frame_equal(first, again)
    assert first.loc["low", "p_low"] < 0.01  # 1 in C(12, 4) = 495 draws puts the four lowest together
    assert first.loc["high", "p_low"] > 0.9 and first.loc["high", "p_high"] < 0.01
    assert first.loc["low", "null_low"] < 0 < first.loc["low", "null_high"]
    for kind in ("median", "peer"):
        other = composition.composition_test(
            reps, kind=kind, groups=pd.Series({"low": "g", "mid": "g", "high": "g"}), draws=500
        ).set_index("unit")
        assert other.loc["low", "p_low"] < 0.05 and other["p_low"].between(0, 1).all()


def _team_orders(teams: dict[str, list[float]], months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reps of ``teams`` (team → each rep's monthly revenue; 0 = the rep never sells) booking one
    order a week from January 2024, with ±20 % noise."""
    rng = np.random.default_rng(7)
    roster, rows = [], []
    for team, levels in teams.items():
        for i, level in enumerate(levels):
            rep = f"{team}-{i}"
            roster.append((rep, team, "r"))
            if level == 0:
                continue
            for day in pd.date_range("2024-01-03", periods=months * 52 // 12, freq="7D"):
                rows.append((rep, str(day.date()), float(level * 12 / 52 * rng.uniform(0.8, 1.2))))
    return reps_frame(roster), _orders(rows)


@pytest.fixture(scope="module")
def synthetic_teams(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Eight ordinary teams of five reps (skills spread ±35 %), ``idle`` — three ordinary reps and one
    who never sells — and ``low``: ten reps selling 60 % of the ordinary level."""
    rng = np.random.default_rng(11)
    teams = {f"t{k}": list(100 * np.exp(rng.normal(0, 0.3, 5))) for k in range(8)}
    teams["idle"] = [100.0, 95.0, 105.0, 0.0]
    teams["low"] = list(60 * np.exp(rng.normal(0, 0.3, 10)))
    reps, orders = _team_orders(teams)
    return dataset_from_frames(tmp_path_factory.mktemp("teams"), {"reps": reps, "orders": orders})


def test_a_team_low_only_by_a_rep_who_never_sells_is_not_flagged_but_a_low_team_of_ten_is(synthetic_teams) -> None:  # type: ignore[no-untyped-def]
    result = compute(synthetic_teams, RunScope(source="x", period="2024-12"), TeamEfficiencyParams())
    teams = result.units[result.units["level"] == "team"].set_index("unit")
    assert result.inactive["rep_id"].tolist() == ["idle-3"]  # listed, not a head
    assert teams.loc["idle", "fte"] == pytest.approx(3.0) and teams.loc["idle", "active_reps"] == 3
    assert abs(teams.loc["idle", "gap"]) < 0.15  # a head count would put it about 25 % lower
    assert not teams.loc["idle", "flagged"] and not teams.loc["idle", "watch"]
    assert teams.loc["low", "flagged"] and teams.loc["low", "q_value"] <= FDR and teams.loc["low", "gap"] < -0.3
    assert teams.index[teams["flagged"]].tolist() == ["low"]
    alerts = [f for f in result.findings if f.kind == "low_efficiency" and f.severity in ("medium", "high")]
    assert [f.unit for f in alerts] == ["low"] and alerts[0].facts["verdict"] == "alert"
    assert alerts[0].facts["q_value"] <= FDR and alerts[0].facts["active_reps"] == 10


def test_a_material_gap_that_does_not_survive_the_policy_is_a_low_watch_item() -> None:
    units = pd.DataFrame(
        {
            "level": "team",
            "unit": ["a", "b", "c"],
            "eligible": True,
            "months": 6,
            "gap": [-0.30, -0.25, 0.02],
            "flagged": [True, True, False],  # clear of the month-to-month noise
            "strong": [True, False, False],
        }
    )
    tests = pd.DataFrame({"level": "team", "unit": ["a", "b", "c"], "p_low": [0.001, 0.04, 0.6]})
    out = flags.screen(units, tests, flags.FlagRule()).set_index("unit")
    assert out["q_value"].tolist() == pytest.approx([0.003, 0.06, 0.6])
    assert out["flagged"].tolist() == [True, False, False] and out["watch"].tolist() == [False, True, False]
    assert not out["strong"].any()  # q = 0.003: an alert, but high needs q ≤ 0.001 (the policy's STRONG)
    strong = flags.screen(units, tests.assign(p_low=[0.0002, 0.04, 0.6]), flags.FlagRule()).set_index("unit")
    assert strong["strong"].tolist() == [True, False, False]


# --------------------------------------------------------------------------- scorecard


def test_scorecard_ranks_ties_together_and_stars_every_tied_rep() -> None:
    table = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "d", "e"],
            "name": list("abcde"),
            "team": "t",
            "region": "r",
            "fte": [1.0, 1.0, 1.0, 0.2, 1.0],
            "attainment": [1.2, 1.2, 0.8, 2.0, 1.0],
            "win_rate": [0.4, 0.4, 0.3, 0.9, np.nan],
        }
    )
    scored = scorecard.score(table, {"attainment": 0.5, "win_rate": 0.5, "visits": 0.3}, min_fte=0.5, stars=1)
    by_rep = scored.set_index("rep_id")
    assert "d" not in by_rep.index  # 0.2 FTE: not eligible
    assert by_rep.loc["a", "rank"] == by_rep.loc["b", "rank"] == 1
    assert by_rep.loc["a", "score"] == by_rep.loc["b", "score"]
    assert by_rep.loc["a", "star"] and by_rep.loc["b", "star"]  # a tie at the boundary: both are stars
    assert by_rep.loc["e", "rank"] == 3 and by_rep.loc["c", "rank"] == 4  # competition ranking: 1, 1, 3, 4
    assert by_rep.loc["e", "score"] == pytest.approx(by_rep.loc["e", "pct_attainment"])  # no win rate: reweighted
    assert scored.attrs["components"] == ["attainment", "win_rate"]  # visits has no data: dropped


def test_quarter_table_sums_months_and_stars_history() -> None:
    months = pd.date_range("2025-01-01", periods=6, freq="MS")
    panel = pd.DataFrame(
        [
            {
                "rep_id": r,
                "name": r,
                "team": "t",
                "region": "x",
                "month": m,
                "fte": 1.0,
                "days": m.days_in_month,
                "revenue": 100.0 * (i + 1),
                "target": 100.0,
                "won_deals": 1.0,
                "closed_deals": 2.0,
                "act_visit": 10.0 * (i + 1),
            }
            for i, r in enumerate(["a", "b", "c"])
            for m in months
        ]
    )
    q = scorecard.quarter_table(panel, months[3], months[5]).set_index("rep_id")
    assert q.loc["b", "attainment"] == pytest.approx(2.0) and q.loc["a", "visits"] == pytest.approx(10.0)
    assert q.loc["c", "revenue"] == 900.0 and q.loc["a", "win_rate"] == 0.5
    history = scorecard.star_history(panel, dt.date(2025, 6, 30), {"attainment": 1.0}, count=2, stars=1)
    assert history["quarter"].tolist() == ["2025Q1", "2025Q2"] and set(history["rep_id"]) == {"c"}


# --------------------------------------------------------------------------- payouts


PLAN = incentives.CommissionPlan(base_rate=0.03, accelerator_rate=0.06, attainment_cap=1.5, star_bonus=500.0)


def test_commission_edges_exactly_at_target_and_at_the_cap() -> None:
    target = 1000.0
    assert incentives.commission(1000.0, target, PLAN) == pytest.approx(30.0)  # 100 %: base only
    assert incentives.commission(999.99, target, PLAN) == pytest.approx(0.03 * 999.99)
    assert incentives.commission(1500.0, target, PLAN) == pytest.approx(30.0 + 0.06 * 500)  # exactly the cap
    assert incentives.commission(4000.0, target, PLAN) == incentives.commission(1500.0, target, PLAN)  # capped
    assert incentives.commission(1200.0, target, PLAN) == pytest.approx(30.0 + 12.0)
    assert incentives.commission(0.0, target, PLAN) == 0.0
    assert incentives.commission(800.0, np.nan, PLAN) == pytest.approx(24.0)  # no target: base rate on all
    assert incentives.commission(800.0, 0.0, PLAN) == pytest.approx(24.0)


def test_payouts_status_totals_and_what_if() -> None:
    table = pd.DataFrame(
        {
            "rep_id": ["at", "cap", "below", "none"],
            "revenue": [1000.0, 1500.0, 500.0, 100.0],
            "target": [1000.0, 1000.0, 1000.0, np.nan],
            "star": [True, False, False, False],
        }
    )
    paid = incentives.payouts(table, PLAN).set_index("rep_id")
    assert paid["status"].to_dict() == {"at": "met", "cap": "capped", "below": "below", "none": "no_target"}
    assert paid.loc["at", "payout"] == pytest.approx(30.0 + 500.0)
    summary = incentives.summary(paid.reset_index())
    assert summary["payout"] == pytest.approx(530 + 60 + 15 + 3)
    assert summary["cost_of_sales"] == pytest.approx(608 / 3100) and summary["capped"] == 1
    assert summary["above_target"] == 2
    whatif = incentives.what_if(table, PLAN, (0.1,)).set_index("scenario")
    assert whatif.loc["plan", "change"] == 0.0
    assert whatif.loc["no_accelerator", "payout"] == pytest.approx(608 - 30)  # the 30 from 1000…1500
    assert whatif.loc["no_star_bonus", "payout"] == pytest.approx(108)
    assert whatif.loc["no_cap", "payout"] == pytest.approx(608)  # nobody above the cap
    assert whatif.loc["uplift", "payout"] > whatif.loc["plan", "payout"]


def test_parameters_are_validated() -> None:
    for bad in (
        {"attainment_cap": 0.9},
        {"w_visits": -1},
        {"whatif_uplifts": "a,b"},
        {"confidence": 1.5},
        {"benchmark": "best"},
        {"window_months": 0},
    ):
        with pytest.raises(ConfigError):
            TeamEfficiencyParams.load(bad)
    zero = {k: 0.0 for k in TeamEfficiencyParams.model_fields if k.startswith("w_")}
    with pytest.raises(ConfigError):
        TeamEfficiencyParams.load(zero)
    TeamEfficiencyParams.load({"whatif_uplifts": " -0.1, ,0.2 ", "activities": "visit, call,visit"})  # valid


# --------------------------------------------------------------------------- the estimator on a known model


def test_driver_model_recovers_known_elasticities_and_ramp() -> None:
    rng = np.random.default_rng(3)
    months = pd.date_range("2022-01-01", periods=30, freq="MS")
    rows = []
    for r in range(80):
        team, hire_month = f"t{r % 8}", int(rng.integers(-40, 24))
        skill = rng.normal(0, 0.3)
        propensity = rng.normal(0, 0.2)
        for i, month in enumerate(months):
            tenure = i - hire_month
            if tenure < 1:
                continue
            visits = rng.poisson(20 * np.exp(propensity))
            calls = rng.poisson(35)
            ramp = 1 - np.exp(-tenure / 3.0)
            log_rev = 11 + skill + 0.02 * i + 0.05 * (r % 8) + 0.3 * np.log(visits) + 0.1 * np.log(calls) + np.log(ramp)
            rows.append(
                {
                    "rep_id": f"r{r}",
                    "team": team,
                    "month": month,
                    "fte": 1.0,
                    "full": True,
                    "tenure": tenure,
                    "revenue": np.exp(log_rev + rng.normal(0, 0.05)),
                    "act_visit": float(visits),
                    "act_call": float(calls),
                    "act_meeting": float(rng.poisson(4) + 1),
                }
            )
    panel = pd.DataFrame(rows)
    fit = fit_drivers(panel, ("visit", "call", "meeting"))
    assert fit is not None
    coef = fit.coefficients.set_index("term")
    assert coef.loc["log_visit", "low"] < 0.3 < coef.loc["log_visit", "high"]
    assert coef.loc["log_call", "low"] < 0.1 < coef.loc["log_call", "high"]
    assert abs(coef.loc["log_meeting", "estimate"]) < 0.03  # no effect in the model
    read = reading(fit).set_index("activity")
    assert read.loc["visit", "verdict"] == "positive" and read.loc["call", "verdict"] == "positive"
    assert read.loc["visit", "effect"] == pytest.approx(1.1 ** coef.loc["log_visit", "estimate"] - 1)
    ramp = ramp_curve(fit, full_level=0.9)
    assert ramp is not None and abs(ramp.tau - 3.0) < 0.3
    assert ramp.months_to_full == pytest.approx(ramp.tau * np.log(10))


def test_too_little_data_gives_no_fit() -> None:
    panel = pd.DataFrame(
        {
            "rep_id": ["a", "a"],
            "team": "t",
            "month": pd.date_range("2024-01-01", periods=2, freq="MS"),
            "fte": 1.0,
            "full": True,
            "tenure": [20, 21],
            "revenue": [1.0, 2.0],
            "act_visit": [1.0, 2.0],
        }
    )
    assert fit_drivers(panel, ("visit",)) is None


# --------------------------------------------------------------------------- windows without revenue


@pytest.fixture(scope="module")
def no_revenue(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Two teams booking orders worth 0 every month of the first half of 2024 (issue 18: real exports
    have such months), and nothing before."""
    reps = reps_frame([("r1", "A", "n"), ("r2", "A", "n"), ("r3", "B", "s"), ("r4", "B", "s")])
    orders = _orders([(rep, f"2024-{m:02d}-10", 0.0) for rep in ("r1", "r2", "r3", "r4") for m in range(1, 7)])
    return dataset_from_frames(tmp_path_factory.mktemp("no-revenue"), {"reps": reps, "orders": orders})


@pytest.mark.parametrize("period", ["2024-06", "2023-12"])
def test_a_window_without_revenue_computes_and_renders_without_flags(no_revenue, period: str) -> None:  # type: ignore[no-untyped-def]
    """2024-06: every month booked 0 (the trend heat map had no cell and divided by zero);
    2023-12: the window lies before the first booking (no unit has FTE in it)."""
    from salesops_lib.report import team_efficiency as view

    result = compute(no_revenue, RunScope(source="x", period=period), TeamEfficiencyParams())
    assert not result.units["flagged"].any() and not [f for f in result.findings if f.kind.startswith("low_")]
    assert not np.isinf(result.monthly["gap"]).any() and not np.isinf(result.units["gap"].astype(float)).any()
    for lang in ("zh", "en"):
        for section in view.SECTIONS:
            section(result, lang)


# --------------------------------------------------------------------------- demo: planted truth and null


def _result(source: str, region: str = "", **extra: object) -> TeamEfficiencyResult:
    from salesops_lib.data import connect

    return compute(
        connect(source), RunScope(source=source, period="2025-06", region=region), TeamEfficiencyParams(**extra)
    )


@pytest.fixture(scope="module")
def planted() -> TeamEfficiencyResult:
    return _result(PLANTED)


@pytest.fixture(scope="module")
def null() -> TeamEfficiencyResult:
    return _result(NULL)


def _truth(source: str, kind: str):  # type: ignore[no-untyped-def]
    from salesops_lib.data import connect
    from salesops_lib.data.demo import load_truth

    return load_truth(Path(connect(source).source)).effect(kind)


@pytest.mark.slow
def test_planted_low_efficiency_team_is_found_with_its_gap(planted: TeamEfficiencyResult) -> None:
    """The planted team (rate 0.70, 8 reps) is the one team found, with the manifest's gap. Rep
    composition alone puts a team of that size 22 % below the company 2.5 % of the time here, so its
    permutation p (about 0.01) does not survive Benjamini–Hochberg over the 15 regions and teams: it
    is a low watch item, not an alert. It is the team with the smallest p-value."""
    truth = _truth(PLANTED, "low_efficiency_team")
    teams = planted.units[planted.units["level"] == "team"].set_index("unit")
    unit = truth.where["unit_id"]
    assert teams.index[teams["flagged"] | teams["watch"]].tolist() == [unit]
    # the manifest measures per employed FTE; the analysis per *selling* FTE (idle reps on the
    # roster count 0), so the company benchmark is higher and the gap a little wider
    assert teams.loc[unit, "gap"] == pytest.approx(truth.magnitude["measured"]["gap"], abs=0.08)
    assert teams.loc[unit, "gap"] <= -0.20 and teams.loc[unit, "gap_high"] < 0
    assert teams.loc[unit, "benchmark"] >= truth.magnitude["measured"]["company_per_fte"] * (1 - 1e-6)
    assert teams["p_value"].idxmin() == unit and teams.loc[unit, "p_value"] < 0.05
    # at the edge of the band chance gives a team its size (rep mix and each rep's own month-to-month luck)
    assert teams.loc[unit, "null_low"] < 0 < teams.loc[unit, "null_high"]
    assert teams.loc[unit, "gap"] < teams.loc[unit, "null_low"] + 0.05
    finding = next(f for f in planted.findings if f.kind == "low_efficiency" and f.level == "team")
    assert finding.unit == unit  # (its region may be a watch item too: the team drags it down)
    assert finding.severity == ("medium" if teams.loc[unit, "survives"] else "low")  # only survivors alert
    assert finding.facts["change"] == pytest.approx(teams.loc[unit, "gap"]) and finding.at_stake > 0
    # the team does as many visits and calls per head as the others: the gap is not activity or tenure
    assert finding.cause == "other" and abs(teams.loc[unit, "activity_part"]) < 0.05


@pytest.mark.slow
def test_null_variant_flags_no_team_and_raises_nothing_high(null: TeamEfficiencyResult) -> None:
    assert not null.units["flagged"].any()
    assert not [f for f in null.findings if f.kind == "low_efficiency" or f.severity in ("high", "medium")]
    assert null.units.loc[null.units["level"] == "team", "gap"].min() > -0.15


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["planted", "null"])
def test_planted_activity_elasticities_are_inside_the_intervals(variant: str, request: pytest.FixtureRequest) -> None:
    result: TeamEfficiencyResult = request.getfixturevalue(variant)
    designed = _truth(PLANTED if variant == "planted" else NULL, "activity_effect").magnitude["designed"]
    drivers = result.drivers.set_index("activity")
    for activity, key in (("visit", "visit_elasticity"), ("call", "call_elasticity")):
        assert drivers.loc[activity, "low"] < designed[key] < drivers.loc[activity, "high"], activity
    assert drivers.loc["meeting", "verdict"] == "unclear"  # the generator gives meetings no effect
    assert any(f.kind == "activity_driver" and f.facts["activity"] == "visit" for f in result.findings)


def test_ramp_curve_recovers_the_generators_ramp(planted: TeamEfficiencyResult) -> None:
    designed = _truth(PLANTED, "ramp_curve").magnitude["designed"]
    ramp = planted.ramp
    assert ramp is not None
    assert ramp.tau_low < designed["tau_months"] < ramp.tau_high and abs(ramp.tau - designed["tau_months"]) < 0.3
    by_month = ramp.by_month.set_index("tenure_month")["productivity"]
    # the noisy demo (heavy-tailed deals, rep heterogeneity) leaves each month's dummy noisy at
    # small size: the fitted curve is held tight, the months on average
    errors = {int(m): abs(by_month[int(m)] - value) for m, value in designed["by_month"].items()}
    assert np.mean(list(errors.values())) < 0.1 and max(errors.values()) < 0.25, errors
    assert ramp.months_to_full == pytest.approx(designed["tau_months"] * np.log(10), abs=0.7)


def test_scorecard_and_payouts_on_the_demo(planted: TeamEfficiencyResult) -> None:
    card = planted.scorecard
    assert set(planted.components) == set(scorecard.COMPONENTS)  # the demo feeds every metric
    assert card["rank"].is_monotonic_increasing and card["score"].between(0, 100).all()
    assert card["star"].sum() >= 3 and planted.quarter == "2025Q2" and planted.quarter_complete
    assert set(planted.stars["quarter"]) == {"2024Q3", "2024Q4", "2025Q1", "2025Q2"}
    paid = planted.payouts
    assert planted.payout_summary["payout"] == pytest.approx(paid["payout"].sum())
    assert 0.02 < planted.payout_summary["cost_of_sales"] < 0.06
    assert (paid.loc[paid["star"], "star_bonus"] == 5000).all()


@pytest.mark.slow
def test_region_scope_and_presentation_in_both_languages(planted: TeamEfficiencyResult) -> None:
    from salesops_lib.report import team_efficiency as view
    from salesops_lib.report.display import html_of
    from salesops_lib.report.findings_text import finding_text

    north = _result(PLANTED, region="north")
    assert set(north.units["unit"]) == {"north", "north-01", "north-02"}
    assert (north.scorecard["region"] == "north").all() and (north.reps["region"] == "north").all()
    for lang in ("zh", "en"):
        for section in view.SECTIONS:
            section(planted, lang)
        for finding in planted.findings:
            text = finding_text(finding, lang)
            assert "{" not in text and "—" not in text, text
    zh = planted
    sections = [s(zh, "zh") for s in view.SECTIONS]
    page = "".join(s.html for s in sections if hasattr(s, "html"))
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S)))
    ids = set(zh.units["unit"]) | set(zh.reps["unit"])
    names = {"Benjamini", "Hochberg"}  # the method of the multiplicity policy goes by its authors' names
    latin = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]+", text) if w not in ids | names}
    assert not latin, latin  # a zh page carries no English label (unit ids are data)
    assert "人均销售额" in page and "区间" in page and "季度之星" in page
    assert "置换 p 值" in page and "随机区间" in page and "按实际销售时间计算" in page and "错误发现率" in page
    # a cell ending with the result shows its units table (in Chinese unless told otherwise)
    assert "<th>人均销售额</th>" in html_of(planted) and "north-02" in html_of(planted)
    assert "<th>revenue per FTE</th>" in view.sections.summary_html(planted, "en")


# --------------------------------------------------------------------------- Maven: against hand-written SQL


@pytest.mark.parametrize("window_months", [12, 6])
def test_maven_won_value_and_deals_per_agent_and_manager_match_sql(  # type: ignore[no-untyped-def]
    maven, maven_folder: Path, window_months: int
) -> None:
    result = compute(
        maven, RunScope(source=str(maven_folder), period="2017-12"), TeamEfficiencyParams(window_months=window_months)
    )
    first = (pd.Timestamp("2017-12-01") - pd.DateOffset(months=window_months - 1)).date()
    pipeline, teams = maven_folder / "sales_pipeline.csv", maven_folder / "sales_teams.csv"
    won = f"""SELECT p.sales_agent, t.manager, p.close_value FROM read_csv('{pipeline}', header=true) p
              JOIN read_csv('{teams}', header=true) t USING (sales_agent)
              WHERE p.deal_stage = 'Won' AND p.close_date BETWEEN DATE '{first}' AND DATE '2017-12-31'"""
    con = duckdb.connect()
    for level, column, frame in (("agent", "sales_agent", result.reps), ("manager", "manager", result.units)):
        sql = con.execute(f"SELECT {column}, sum(close_value)::DOUBLE, count(*) FROM ({won}) GROUP BY 1").df()
        sql.columns = ["unit", "won_value", "won_deals"]
        ours = frame[frame["level"] == ("rep" if level == "agent" else "team")].set_index("unit")
        expected = sql.set_index("unit")
        assert set(expected.index) <= set(ours.index)
        for unit, row in expected.iterrows():
            assert ours.loc[unit, "won_value"] == row["won_value"], (level, unit)
            assert ours.loc[unit, "won_deals"] == row["won_deals"], (level, unit)
        silent = ours.index.difference(expected.index)  # agents without won deals in the window
        assert ours.loc[silent, "won_value"].fillna(0).eq(0).all()
    assert {"no_activities", "no_hire_dates", "no_targets"} <= set(result.notes)
    assert result.fit is None and result.ramp is None and set(result.components) == {"win_rate", "revenue_per_fte"}
    from salesops_lib.report.findings_text import finding_text

    for finding in result.findings:  # without activities or hire dates a gap cannot be split into causes
        assert finding.kind != "low_efficiency" or finding.cause == "unknown"
        assert "—" not in finding_text(finding, "en") and "—" not in finding_text(finding, "zh")


# --------------------------------------------------------------------------- Maven: zero-deal agents and a placebo


def test_maven_agents_without_deals_are_inactive_and_no_team_alert_is_composition_noise(  # type: ignore[no-untyped-def]
    maven, maven_folder: Path
) -> None:
    """Issue 19: the two "low efficiency" managers (−33 %, −38 % once idle agents count 0) are within
    what a random mix of agents gives (p ≈ 0.02–0.03, q ≈ 0.13): watch items, not alerts."""
    result = compute(maven, RunScope(source=str(maven_folder), period="2017-12"), TeamEfficiencyParams())
    con = duckdb.connect()
    idle = con.execute(
        f"""SELECT sales_agent FROM read_csv('{maven_folder / "sales_teams.csv"}', header=true)
            WHERE sales_agent NOT IN (SELECT sales_agent FROM read_csv('{maven_folder / "sales_pipeline.csv"}',
                                                                       header=true) WHERE sales_agent IS NOT NULL)"""
    ).df()["sales_agent"]
    assert len(idle) == 5 and sorted(result.inactive["rep_id"]) == sorted(idle)
    teams = result.units[result.units["level"] == "team"].set_index("unit")
    assert teams["active_reps"].sum() == 30 and (teams["fte"] == teams["active_reps"]).all()
    for finding in result.findings:
        if finding.kind == "low_efficiency" and finding.severity in ("medium", "high"):
            assert finding.facts["q_value"] <= FDR, finding.unit  # never an alert the permutation calls noise
    assert not [f for f in result.findings if f.kind == "low_efficiency" and f.severity in ("medium", "high")]
    watched = {f.unit for f in result.findings if f.kind == "low_efficiency"}
    assert watched == {"Cara Losch", "Dustin Brinkmann"} and not teams["survives"].any()


@pytest.mark.slow
def test_maven_placebo_shuffling_agents_across_managers_raises_no_alert(maven, maven_folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19 acceptance: reassign agents to managers at random (team sizes kept, 40 seeded
    shuffles); the team and region screen must be clean (no medium+ low_efficiency) in ≥ 95 % of them.

    The screen controls the false discovery rate at 5 %, so on shuffled data it alerts in about 5 %
    of shuffles by design (measured with 1,000 permutations: 6 alerts in 120 shuffles, 2 of them in
    a run of 20): 40 shuffles make the ≥ 95 % target measurable, 20 with at most 1 alert would not.
    """
    scope, params = RunScope(source=str(maven_folder), period="2017-12"), TeamEfficiencyParams(permutations=500)
    inputs = read(maven, scope, params)
    start, last = pd.Timestamp("2017-07-01"), pd.Timestamp("2017-12-01")
    rng = np.random.default_rng(19)
    roster = inputs.reps
    region_of = roster.drop_duplicates("team").set_index("team")["region"]
    shuffles, alerts = 40, 0
    for _ in range(shuffles):
        team = pd.Series(rng.permutation(roster["team"].to_numpy()), index=roster["rep_id"])
        reps = roster.assign(team=roster["rep_id"].map(team), region=roster["rep_id"].map(team).map(region_of))
        panel = inputs.panel.assign(
            team=inputs.panel["rep_id"].map(team), region=inputs.panel["rep_id"].map(team).map(region_of)
        )
        units = screened_units(panel, reps, params, start, last)
        found = statements.low_efficiency(units, period="2017-12", benchmark="company", window="", confidence=0.95)
        alerts += any(f.severity in ("medium", "high") for f in found)
    assert alerts <= 0.05 * shuffles


def test_panel_counts_activity_types_as_columns_in_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Activity types are columns counted in the engine: one row per rep-month, not per type."""
    import ibis.expr.operations as ops
    from ibis.expr.types import core

    from salesops_lib.data import connect

    ds = connect(PLANTED)
    reads: list[tuple[set[str], int]] = []
    original = core.Expr.execute

    def recording(self: core.Expr, *args: object, **kwargs: object) -> object:
        out = original(self, *args, **kwargs)
        tables = {t.name for t in self.op().find(ops.DatabaseTable)}
        reads.append((tables, len(out) if hasattr(out, "__len__") else 1))
        return out

    monkeypatch.setattr(core.Expr, "execute", recording)
    panel = rep_months(
        ds, dt.date(2024, 7, 1), dt.date(2025, 6, 30), activity_types=("visit", "call"), proposal_stage="proposal"
    )
    assert panel["act_visit"].sum() > 0 and panel["proposals"].sum() > 0
    activities = [rows for tables, rows in reads if any(t.endswith("activities") for t in tables)]
    assert len(activities) == 1 and activities[0] <= len(panel)
