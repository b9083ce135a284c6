"""Forecast: the time-series engine, interval calibration, reconciliation and the pipeline on
hand-built data (with the awkward cases: empty pipeline, one month of history, zeros), then the
demo's planted truth (and the null variant), 20 M3 series and the Maven CRM export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_lib.analyses.forecast import ForecastParams, compute, target_quarter
from salesops_lib.analyses.forecast import attainment as att
from salesops_lib.analyses.forecast import findings as statements
from salesops_lib.analyses.forecast import pipeline as pl
from salesops_lib.analyses.forecast.accuracy import accuracy_table, hubspot_accuracy
from salesops_lib.analyses.forecast.attainment import _p_hit
from salesops_lib.analyses.forecast.conformal import error_sample
from salesops_lib.analyses.forecast.reconcile import Hierarchy, is_coherent, reconcile
from salesops_lib.analyses.forecast.series import forecast_many, forecast_series
from salesops_lib.analyses.forecast.smoothing import fit_arima011, seasonal_profile
from salesops_lib.config.scope import RunScope
from salesops_lib.errors import ConfigError
from tests.builders import d, dataset_from_frames, reps_frame

M3 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "m3_competition"


# --------------------------------------------------------------------------- engine


@pytest.mark.parametrize("values", [[], [5.0], [3.0, 4.0], [1, 2, 3, 4, 5], [0.0] * 9, [3, 0, 2, 0, 5, 0, 1, 2, 0, 4]])
def test_short_or_sparse_series_never_fail(values: list[float]) -> None:
    result = forecast_series(np.array(values, dtype=float), 3)
    assert result.mean.shape == (3,)
    assert np.all(np.isfinite(result.mean)) and np.all(result.mean >= 0)
    if len(values) == 1:
        assert result.mean.tolist() == [5.0, 5.0, 5.0]


def test_seasonal_series_is_decomposed_and_forecast_closely() -> None:
    months = np.arange(60)
    season = np.array([0.9, 0.85, 1.0, 1.0, 1.05, 1.1, 0.9, 0.85, 1.0, 0.95, 1.1, 1.3])
    y = 100 * 1.01**months * season[months % 12]
    truth = 100 * 1.01 ** np.arange(60, 66) * season[np.arange(60, 66) % 12]
    assert not np.allclose(seasonal_profile(y, 12), 1.0)
    result = forecast_series(y, 6)
    assert np.max(np.abs(result.mean / truth - 1)) < 0.03


def test_weekly_series() -> None:
    weeks = np.arange(156)
    y = 50 + 0.1 * weeks + 8 * np.sin(2 * np.pi * weeks / 52) + np.random.default_rng(1).normal(0, 1, 156)
    result = forecast_series(y, 8, period=52)
    truth = 50 + 0.1 * np.arange(156, 164) + 8 * np.sin(2 * np.pi * np.arange(156, 164) / 52)
    assert np.mean(np.abs(result.mean - truth)) < 4


def test_arima_css_matches_statsmodels() -> None:
    from statsmodels.tsa.arima.model import ARIMA

    y = np.log(100 + np.cumsum(np.random.default_rng(0).normal(0.5, 1, 48)))
    ours = fit_arima011(y[None, :], 3).forecast[0]
    theirs = np.asarray(ARIMA(y, order=(0, 1, 1), trend="t").fit().forecast(3))
    assert np.allclose(ours, theirs, rtol=0, atol=0.01)


@pytest.mark.skipif(not M3.is_dir(), reason="M3 data not available")
def test_m3_sanity_on_20_series() -> None:
    long = pd.read_csv(M3 / "m3_monthly_long.csv")
    ids = sorted(long["series_id"].unique())[:20]
    long = long[long["series_id"].isin(ids)].sort_values(["series_id", "step"])
    train = [g.loc[g["split"] == "train", "value"].to_numpy(float) for _, g in long.groupby("series_id")]
    test = np.array([g.loc[g["split"] == "test", "value"].to_numpy(float)[:18] for _, g in long.groupby("series_id")])
    out = forecast_many(train, 18)
    smape = {m: float(np.mean(200 * np.abs(test - f) / (np.abs(test) + np.abs(f)))) for m, f in out.items()}
    assert all(np.isfinite(v) for v in smape.values())
    assert smape["comb"] < smape["snaive"]
    assert smape["comb"] <= 1.05 * min(smape[m] for m in ("ses", "damped", "theta", "arima"))


# --------------------------------------------------------------------------- intervals, accuracy


def test_p_hit_follows_the_booked_revenue_and_the_units_own_errors() -> None:
    sample = error_sample(np.random.default_rng(0).normal(0, 0.05, (12, 1)))
    assert _p_hit(100, 100, 10, sample) == 1.0  # booked already
    assert _p_hit(100, 50, 0, sample) == 0.0  # nothing left to come
    assert _p_hit(100, 50, 50, sample) == pytest.approx(0.5)
    wide = error_sample(np.random.default_rng(0).normal(0, 0.20, (12, 1)))
    assert 0.5 > _p_hit(100, 50, 45, wide) > _p_hit(100, 50, 45, sample) > 0.0
    assert np.isnan(_p_hit(np.nan, 50, 45, sample))


def _backtest(errors: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"level": "region", "unit": unit, "origin": i, "error": e}
        for unit, values in errors.items()
        for i, e in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_backtest_bias_shifts_the_centre_and_not_the_band() -> None:
    noise = np.random.default_rng(4).normal(0, 0.02, 9)
    windows = _backtest({"a": list(0.05 + noise), "b": list(0.03 + noise)})
    biases = att.unit_biases(windows)
    assert biases[("region", "a")] == pytest.approx((9 * (0.05 + noise.mean()) + 3 * (0.04 + noise.mean())) / 12)
    final = pd.DataFrame({"level": ["region"] * 2, "unit": ["a", "b"], "booked": [0.0, 0.0], "remaining": [100.0] * 2})
    final["target"] = 104.0
    samples = att.unit_samples(windows)
    raw = att.project(final, samples)
    shifted = att.project(final, samples, biases)
    assert shifted["forecast"].iloc[0] == pytest.approx(100 * np.exp(biases[("region", "a")]))
    assert (shifted["p_hit"] > raw["p_hit"]).all()  # a blend that ran low is raised
    # symmetric in the log around the corrected centre, as wide as without the shift
    centre = np.log(shifted["forecast"])
    assert np.allclose(np.log(shifted["hi80"]) - centre, centre - np.log(shifted["lo80"]))
    assert np.allclose(np.log(shifted["hi80"] / shifted["lo80"]), np.log(raw["hi80"] / raw["lo80"]))
    assert (shifted["windows"] == 9).all() and not shifted["widened"].any()


def _units(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["level", "unit", "forecast", "target", "p_hit"])
    frame["attainment"] = frame["forecast"] / frame["target"]
    frame["lo80"], frame["hi80"], frame["booked"], frame["remaining"] = 0.9 * frame["forecast"], frame["forecast"], 0, 0
    return frame


def _risk_findings(units: pd.DataFrame) -> dict[str, str]:
    empty = pd.DataFrame()
    coverage = pd.DataFrame(columns=["level", "unit", "thin"])
    found = statements.build(
        period="2025-06",
        label="2025Q3",
        root_level="company",
        root="company",
        units=units,
        accuracy=pd.DataFrame(columns=["level", "method"]),
        coverage=coverage,
        slipping=empty,
        accounts=empty,
        annual_revenue=1.0,
        owner_revenue={},
        risk_probability=0.2,
    )
    return {f.unit: f.severity for f in found if f.kind in ("outlook", "unit_at_risk")}


def test_near_misses_on_a_plan_on_track_are_watch_items_not_alerts() -> None:
    # regions 5-8 % below target with P(hit) 3-15 %: what chance alone gives across 5 regions
    units = _units(
        [
            ("company", "company", 96.0, 100.0, 0.15),
            ("region", "a", 18.5, 20.0, 0.03),
            ("region", "b", 19.0, 20.0, 0.06),
            ("region", "c", 20.5, 20.0, 0.7),
            ("region", "d", 20.0, 20.0, 0.5),
            ("region", "e", 18.0, 20.0, 0.15),
            ("team", "a-1", 8.0, 10.0, 0.01),
        ]
    )
    assert _risk_findings(units) == {"company": "low", "a": "low", "b": "low", "e": "low", "a-1": "low"}


def test_a_sure_miss_stays_an_alert() -> None:
    units = _units(
        [
            ("company", "company", 90.0, 100.0, 0.004),
            ("region", "a", 15.0, 20.0, 1e-4),
            ("region", "b", 19.0, 20.0, 0.06),
            ("region", "c", 20.5, 20.0, 0.7),
        ]
    )
    found = _risk_findings(units)
    assert found == {"company": "medium", "a": "medium", "b": "low"}


def test_accuracy_metrics() -> None:
    assert hubspot_accuracy(np.array([100.0, 100.0, 0.0]), np.array([90.0, 250.0, 5.0]))[:2].tolist() == [0.9, 0.0]
    windows = pd.DataFrame(
        {
            "level": "company",
            "unit": "company",
            "origin": [1, 2],
            "actual": [100.0, 200.0],
            "blend": [110.0, 180.0],
            "snaive": [80.0, 160.0],
        }
    )
    row = accuracy_table(windows, pd.Series({("company", "company"): 10.0})).iloc[0]
    assert row["mape"] == pytest.approx(0.1) and row["bias"] == pytest.approx(-10 / 300)
    assert row["mase"] == pytest.approx(1.5) and row["vs_snaive"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- reconciliation


def _tree(n: int) -> pd.DataFrame:
    teams = [f"t{i % 4}" for i in range(n)]
    return pd.DataFrame(
        {
            "rep_id": [f"r{i:02d}" for i in range(n)],
            "team": teams,
            "region": ["n" if t in ("t0", "t1") else "s" for t in teams],
        }
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(4, 30), st.integers(0, 10_000))
def test_reconciled_children_sum_to_parents(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    h = Hierarchy.from_tree(_tree(n))
    base = rng.uniform(0, 100, (len(h.nodes), 3))
    variance = rng.uniform(0.1, 50, len(h.nodes))
    idle = rng.random(n) < 0.2
    for method in ("wls_var", "bottom_up"):
        out = reconcile(h, base, variance, method, fixed_zero=idle)
        assert is_coherent(h, out)
        assert np.allclose(out[len(h.nodes) - n :][idle], 0)


def test_reconciliation_keeps_accurate_aggregates() -> None:
    h = Hierarchy.from_tree(_tree(8))
    base = np.full((len(h.nodes), 1), 1.0)
    base[0] = 100.0  # an accurate company forecast; noisy reps that add up to 8
    variance = np.where(h.nodes["level"] == "company", 1.0, 1e4)
    assert reconcile(h, base, variance)[0, 0] > 95
    assert not is_coherent(h, base)


# --------------------------------------------------------------------------- hand-built sources


def _orders(months: list[str], amount: float = 100.0, reps: tuple[str, ...] = ("a", "b", "c")) -> pd.DataFrame:
    rows = [(f"o{m}{r}", r, d(f"{m}-10"), amount) for m in months for r in reps]
    return pd.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "opp_id": None,
            "customer_id": [f"c-{r[1]}" for r in rows],
            "rep_id": [r[1] for r in rows],
            "ordered_at": [r[2] for r in rows],
            "amount": [r[3] for r in rows],
            "cost": 0.0,
        }
    ).astype({"opp_id": "object"})


def _opportunities(rows: list[tuple[str, str, str, str | None, float, str | None]]) -> pd.DataFrame:
    """(opp_id, rep_id, created, closed or None, amount, status)."""
    return pd.DataFrame(
        {
            "opp_id": [r[0] for r in rows],
            "lead_id": None,
            "customer_id": "c-a",
            "rep_id": [r[1] for r in rows],
            "product": "p",
            "amount": [r[4] for r in rows],
            "created_at": [d(r[2]) for r in rows],
            "status": [r[5] for r in rows],
            "closed_at": [d(r[3]) if r[3] else None for r in rows],
            "expected_close": None,
            "lost_reason": None,
        }
    ).astype({"closed_at": "object", "expected_close": "object", "lead_id": "object"})


def _reps() -> pd.DataFrame:
    return reps_frame([("a", "t1", "north"), ("b", "t1", "north"), ("c", "t2", "south")])


def _monthly(n: int, last: str = "2025-06") -> list[str]:
    return [f"{m:%Y-%m}" for m in pd.date_range(end=pd.Timestamp(f"{last}-01"), periods=n, freq="MS")]


def test_single_month_history_and_empty_pipeline(tmp_path: Path) -> None:
    empty = _opportunities([("x", "a", "2025-06-01", "2025-06-05", 1.0, "lost")])
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": _reps(), "orders": _orders(["2025-06"]), "opportunities": empty}
    )
    result = compute(ds, RunScope(source=str(tmp_path / "src"), period="2025-06"), ForecastParams())
    h = result.headline
    assert result.target_label == "2025Q3" and np.isfinite(h["forecast"]) and h["forecast"] > 0
    assert h["lo80"] <= h["forecast"] <= h["hi80"]
    assert h["pipeline"] >= 0 and np.isnan(h["target"])
    assert result.findings[0].kind == "outlook_no_target"


def test_hierarchy_forecasts_add_up(tmp_path: Path) -> None:
    months = _monthly(30)
    deals = [
        (f"d{i}", "abc"[i % 3], f"{m}-02", f"{m}-20", 50.0, "won" if i % 2 else "lost") for i, m in enumerate(months)
    ]
    deals.append(("open1", "a", "2025-06-15", None, 80.0, "open"))
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": _reps(), "orders": _orders(months), "opportunities": _opportunities(deals)}
    )
    result = compute(ds, RunScope(source=str(tmp_path / "src"), period="2025-06"), ForecastParams())
    total = result.units.set_index(["level", "unit"])["forecast"]
    assert total[("company", "company")] == pytest.approx(total.xs("region").sum(), rel=1e-9)
    assert total[("region", "north")] == pytest.approx(total[("team", "t1")], rel=1e-9)
    assert total[("team", "t1")] == pytest.approx(total[("rep", "a")] + total[("rep", "b")], rel=1e-9)
    assert total[("company", "company")] == pytest.approx(900, rel=0.1)  # 3 reps × 100 × 3 months
    # deals open and close within a month, so no month-end pipeline: the pipeline forecast is its run-rate
    assert result.headline["pipeline"] == pytest.approx(900, rel=0.15)


def test_win_probability_of_a_stage_and_age(tmp_path: Path) -> None:
    # at each month-end 2024-01..06 four deals sit in "proposal"; one of each two is won next month
    rows, history = [], []
    for k, m in enumerate(pd.date_range("2024-01-01", periods=6, freq="MS")):
        for j in range(4):
            opp = f"o{k}{j}"
            closed = (m + pd.DateOffset(months=1, days=5)).strftime("%Y-%m-%d")
            rows.append((opp, "a", m.strftime("%Y-%m-%d"), closed, 100.0, "won" if j % 2 else "lost"))
            history.append((opp, "proposal", d(m.strftime("%Y-%m-%d"))))
    stage_history = pd.DataFrame(history, columns=["opp_id", "stage", "entered_at"])
    ds = dataset_from_frames(
        tmp_path / "src", {"reps": _reps(), "opportunities": _opportunities(rows), "stage_history": stage_history}
    )
    origins = [pl.month_end(m) for m in pd.date_range("2024-01-01", periods=6, freq="MS")]
    snaps = pl.snapshots(ds, origins, 1)
    q = pl.win_probabilities(snaps)
    assert set(q["stage"]) == {"proposal"} and q["q"].iloc[0] == pytest.approx(0.5)


def test_expected_close_slippage_times_the_deals(tmp_path: Path) -> None:
    # 40 won deals closed 30 days after their expected close: an open deal expected tomorrow
    # will most likely close next month, not in a window that ends in 10 days
    slips = np.full(40, 30.0)
    origin = pd.Timestamp("2025-06-30")
    p = pl.timing_probability(slips, pd.Series([0, 0]), origin, origin, origin + pd.Timedelta(days=10))
    assert p.tolist() == [0.0, 0.0]
    p = pl.timing_probability(slips, pd.Series([0]), origin, origin, origin + pd.Timedelta(days=60))
    assert p.tolist() == [1.0]


def test_target_period_choice() -> None:
    assert target_quarter("current", dt.date(2025, 6, 30))[0] == "2025Q3"
    assert target_quarter("current", dt.date(2025, 5, 31))[0] == "2025Q2"
    assert target_quarter("next", dt.date(2025, 5, 31))[0] == "2025Q3"
    assert target_quarter("2026Q1", dt.date(2025, 6, 30))[0] == "2026Q1"
    with pytest.raises(ConfigError):
        target_quarter("2025Q2", dt.date(2025, 6, 30))
    with pytest.raises(ConfigError):
        ForecastParams.load({"target_period": "Q3"})


# --------------------------------------------------------------------------- demo planted truth


@pytest.fixture(scope="session")
def demo_results() -> dict[str, object]:
    from salesops_lib.data import connect

    out: dict[str, object] = {}
    for variant, source in (("planted", "demo:small:2025-06-30"), ("null", "demo:small:null:2025-06-30")):
        ds = connect(source)
        out[variant] = (ds, compute(ds, RunScope(source=source, period="2025-06"), ForecastParams()))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["planted", "null"])
def test_demo_next_quarter_matches_the_generator(demo_results: dict[str, object], variant: str) -> None:
    from salesops_lib.data.demo import load_truth

    ds, result = demo_results[variant]  # type: ignore[misc]
    truth = load_truth(Path(ds.source)).effect("forecast_truth")
    assert result.target_label == truth.when["next_quarter"]
    expected = truth.magnitude["designed"]["next_quarter_total"]
    h = result.headline
    assert abs(h["forecast"] / expected - 1) < 0.05
    assert h["lo80"] <= expected <= h["hi80"]
    assert 0 < h["p_hit"] < 1 and result.model["reconciliation"] == "wls_var"


def test_demo_planted_churn_account_is_a_risk(demo_results: dict[str, object]) -> None:
    from salesops_lib.data.demo import load_truth

    ds, result = demo_results["planted"]  # type: ignore[misc]
    where = load_truth(Path(ds.source)).effect("churn_risk").where
    assert result.key_accounts["customer_id"].iloc[0] == where["customer_id"]
    churn = [f for f in result.findings if f.kind == "key_account_decline" and f.severity != "low"]
    assert [f.unit for f in churn] == [where["customer_id"]] and churn[0].severity == "high"
    # other accounts that fell (a one-off big order last year) are at most watch items
    assert all(f.severity == "low" for f in result.findings if f.kind == "key_account_decline" and f not in churn)


def test_demo_null_raises_no_alarm(demo_results: dict[str, object]) -> None:
    _ds, result = demo_results["null"]  # type: ignore[misc]
    assert not [
        f for f in result.findings if f.severity == "high" or (f.kind == "key_account_decline" and f.severity != "low")
    ]
    assert not result.key_accounts["significant"].any()


def test_demo_backtest_and_calibration_are_reported(demo_results: dict[str, object]) -> None:
    _ds, result = demo_results["planted"]  # type: ignore[misc]
    levels = set(result.accuracy["level"])
    assert levels == {"company", "region", "team", "rep"}
    company = result.accuracy[result.accuracy["level"] == "company"].set_index("method")
    assert company.loc["blend", "vs_snaive"] < 1  # better than the seasonal naive forecast
    assert {0.8, 0.95} <= set(result.calibration["band"])
    check = result.calibration.set_index(["level", "band"])["coverage"]
    assert check.between(0, 1).all()
    # the bands held the outcomes they were not built from about as often as they say
    assert 0.6 <= check[("region", 0.8)] <= 0.95 and check[("region", 0.95)] >= 0.8


# --------------------------------------------------------------------------- Maven (real data)


@pytest.mark.slow
def test_maven_q4_2017_from_september(maven) -> None:  # type: ignore[no-untyped-def]
    result = compute(maven, RunScope(period="2017-09"), ForecastParams())
    o = maven.table("opportunities")
    won = o.filter((o.status == "won") & (o.closed_at >= dt.date(2017, 10, 1)) & (o.closed_at <= dt.date(2017, 12, 31)))
    actual = float(won.amount.sum().execute())
    h = result.headline
    blend_error, ts_error = h["forecast"] / actual - 1, h["ts"] / actual - 1
    print(
        f"\nMaven Q4 2017 won value: actual {actual:,.0f}; blend {h['forecast']:,.0f} ({blend_error:+.1%}); "
        f"time series only {h['ts']:,.0f} ({ts_error:+.1%}); pipeline {h['pipeline']:,.0f}; "
        f"weight {h['blend_weight']:.2f}; 80 % band {h['lo80']:,.0f}–{h['hi80']:,.0f}"
    )
    assert result.target_label == "2017Q4" and np.isnan(h["target"])
    assert abs(blend_error) < 0.35 and abs(ts_error) < 0.35
    assert len(result.slipping) > 0 and result.slipping["reason"].eq("age").all()


def test_hit_backtest_states_p_hit_without_the_window_or_its_overlapping_neighbours() -> None:
    origins = pd.date_range("2024-01-31", periods=12, freq="ME")
    errors = np.random.default_rng(5).normal(0, 0.03, 12)
    windows = pd.DataFrame({"origin": origins, "level": "region", "unit": "a", "blend": 100.0, "error": errors}).assign(
        actual=lambda f: 100.0 * np.exp(f["error"])
    )
    targets = windows[["origin", "level", "unit"]].assign(target=101.0)
    first = att.hit_backtest(windows, targets, window_months=3)
    assert first["p_hit"].between(0, 1).all() and len(first) == 12
    # window 5's P(hit) rests on windows ≥ 3 months away: its own outcome and the overlapping
    # windows 3, 4, 6 and 7 do not move it; a window far away does
    near = windows.copy()
    near.loc[[3, 4, 5, 6, 7], "error"] = [0.2, -0.3, 0.5, 0.4, 0.1]
    assert att.hit_backtest(near, targets, 3).loc[5, "p_hit"] == pytest.approx(first.loc[5, "p_hit"])
    far = windows.copy()
    far.loc[0, "error"] = 0.5
    assert att.hit_backtest(far, targets, 3).loc[5, "p_hit"] != pytest.approx(first.loc[5, "p_hit"])


def test_the_excel_download_lists_every_slipping_deal_and_key_account(demo_results: dict[str, object]) -> None:
    """Issue 21: the page shows the ten largest slipping deals; the download holds them all."""
    from salesops_lib.report.forecast import sheets

    _, result = demo_results["planted"]  # type: ignore[misc]
    made = {sheet.title: sheet for sheet in sheets(result, "en")}
    assert len(made) == (not result.slipping.empty) + (not result.key_accounts.empty) > 0
    for title, frame in (
        ("Deals that slipped more than once", result.slipping),
        ("Key accounts with declining orders", result.key_accounts),
    ):
        assert len(made[title].rows) == len(frame) if not frame.empty else title not in made


def test_a_large_hierarchy_sums_with_a_sparse_matrix_and_reconciles_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten thousand reps: a dense summing matrix would take 0.9 GB; above DENSE_CELLS it is sparse,
    with the same reconciled forecasts."""
    from scipy import sparse

    from salesops_lib.analyses.forecast import reconcile as rc

    rng = np.random.default_rng(7)
    dense = Hierarchy.from_tree(_tree(12))
    monkeypatch.setattr(rc, "DENSE_CELLS", 10)
    thin = Hierarchy.from_tree(_tree(12))
    assert sparse.issparse(thin.summing) and not sparse.issparse(dense.summing)
    assert np.array_equal(thin.summing.toarray(), dense.summing)
    base = rng.uniform(0, 100, (len(dense.nodes), 4))
    variance = rng.uniform(0.1, 50, len(dense.nodes))
    idle = np.arange(12) % 5 == 0
    for method in ("wls_var", "bottom_up"):
        expected = reconcile(dense, base, variance, method, fixed_zero=idle)
        got = reconcile(thin, base, variance, method, fixed_zero=idle)
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-9) and is_coherent(thin, got)
    assert np.allclose(thin.aggregate(base[-12:]), dense.aggregate(base[-12:]))
