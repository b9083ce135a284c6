"""The forecast's short-history and low-signal guard: when the forecast is weak (boundaries of
history, backtest windows and signal), its naive benchmark, the findings it may still raise, and
the page's notice — on hand-built cases, on the Maven export (seven months of bookings) and on
the small demo (three years: not weak)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.forecast import ForecastParams, ForecastResult, compute
from salesops_lib.analyses.forecast import findings as statements
from salesops_lib.analyses.forecast.strength import (
    MIN_BACKTEST_WINDOWS,
    MIN_HISTORY_MONTHS,
    assess,
    history_months,
    naive_benchmark,
    root_strength,
)
from salesops_lib.config.scope import RunScope
from salesops_lib.report import forecast as view
from salesops_lib.report.findings_text import finding_text

# --------------------------------------------------------------------------- when is it weak


def test_two_yearly_cycles_of_history_are_needed() -> None:
    assert MIN_HISTORY_MONTHS == 24
    assert assess(23, 10, 0.5, 1.0).reasons == ("short_history",)
    assert not assess(24, 10, 0.5, 1.0).weak


def test_enough_backtest_windows_are_needed() -> None:
    n = MIN_BACKTEST_WINDOWS
    assert assess(36, n - 1, 0.5, 1.0).reasons == ("few_backtests",)
    assert not assess(36, n, 0.5, 1.0).weak
    assert assess(7, 1, None, 1.0).reasons == ("short_history", "few_backtests")


def test_a_blend_no_better_than_the_naive_is_low_signal_once_the_windows_can_tell() -> None:
    n = MIN_BACKTEST_WINDOWS
    assert assess(36, n, 1.0, 1.0).reasons == ("low_signal",)
    assert not assess(36, n, 0.99, 1.0).weak
    assert assess(36, n - 1, 1.5, 1.0).reasons == ("few_backtests",)  # too few windows to judge the signal
    assert not assess(36, n, float("nan"), 1.0).weak and assess(36, n, float("nan"), 1.0).vs_snaive is None


def test_history_starts_at_the_first_month_with_revenue() -> None:
    months = pd.date_range("2023-01-01", periods=30, freq="MS")
    assert history_months(pd.Series([0.0] * 7 + [1.0] * 23, index=months)) == 23
    assert history_months(pd.Series(0.0, index=months)) == 0


# --------------------------------------------------------------------------- naive benchmark


def _series(first: str, last: str) -> pd.Series:
    months = pd.date_range(first, last, freq="MS")
    return pd.Series(np.arange(1.0, len(months) + 1), index=months)


def test_naive_is_booked_to_date_plus_the_same_months_a_year_earlier() -> None:
    y = _series("2024-01-01", "2025-05-01")  # Jan 2024 = 1 … May 2025 = 17
    q2 = naive_benchmark(y, pd.Timestamp("2025-04-01"), pd.Timestamp("2025-06-01"))
    assert q2 == 16 + 17 + 6  # April and May booked, June 2024
    q3 = naive_benchmark(y, pd.Timestamp("2025-07-01"), pd.Timestamp("2025-09-01"))
    assert q3 == 7 + 8 + 9  # July–September 2024
    # a quarter more than a year ahead takes the latest year before the reporting month
    far = naive_benchmark(y, pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-01"))
    assert far == 7 + 8 + 9


def test_naive_without_a_year_earlier_runs_at_the_recent_mean() -> None:
    y = _series("2024-01-01", "2024-07-01")  # seven months: 1 … 7
    assert naive_benchmark(y, pd.Timestamp("2024-07-01"), pd.Timestamp("2024-09-01")) == 7 + 2 * 6
    assert naive_benchmark(y, pd.Timestamp("2024-10-01"), pd.Timestamp("2024-12-01")) == 3 * 6
    # leading zeros (a region that started later) are not a year of history
    padded = pd.concat([pd.Series(0.0, index=pd.date_range("2023-01-01", "2023-12-01", freq="MS")), y])
    assert naive_benchmark(padded, pd.Timestamp("2024-10-01"), pd.Timestamp("2024-12-01")) == 3 * 6


def test_root_strength_reads_the_root_windows_and_its_blend_accuracy() -> None:
    y = _series("2023-01-01", "2025-06-01")
    complete = pd.DataFrame(
        {
            "origin": list(range(9)) * 2,
            "level": ["company"] * 9 + ["region"] * 9,
            "unit": ["company"] * 9 + ["north"] * 9,
        }
    )
    accuracy = pd.DataFrame(
        {"level": ["company", "company", "region"], "method": ["blend", "ts", "blend"], "vs_snaive": [1.1, 0.5, 0.4]}
    )
    s = root_strength(
        y, complete, accuracy, "company", "company", pd.Timestamp("2025-07-01"), pd.Timestamp("2025-09-01")
    )
    assert (s.history_months, s.windows, s.vs_snaive, s.reasons) == (30, 9, 1.1, ("low_signal",))
    assert s.naive_forecast == 19 + 20 + 21


# --------------------------------------------------------------------------- findings


def _build(strength: Any, *, target: float = 100.0) -> list[Finding]:
    units = pd.DataFrame(
        [
            ("company", "company", 90.0, target, 0.004),
            ("region", "a", 15.0, 20.0, 1e-4),
            ("region", "b", 19.0, 20.0, 0.06),
        ],
        columns=["level", "unit", "forecast", "target", "p_hit"],
    )
    units["attainment"] = units["forecast"] / units["target"]
    units["lo80"], units["hi80"], units["booked"], units["remaining"] = (
        0.9 * units["forecast"],
        units["forecast"],
        0,
        90,
    )
    coverage = pd.DataFrame(
        [("region", "a", True, 5.0, 20.0, 0.25, 1.0)],
        columns=["level", "unit", "thin", "open_pipeline", "remaining_target", "coverage", "usual_coverage"],
    )
    slipping = pd.DataFrame({"value": [20.0], "reason": ["age"]})
    accounts = pd.DataFrame(
        [("C1", "r1", 50.0, "decline", -0.8, True, "Acme", 10.0, 60.0)],
        columns=[
            "customer_id",
            "owner",
            "value_at_risk",
            "reason",
            "change",
            "significant",
            "name",
            "last_window",
            "previous_window",
        ],
    )
    return statements.build(
        period="2025-06",
        label="2025Q3",
        root_level="company",
        root="company",
        units=units,
        accuracy=pd.DataFrame(columns=["level", "method"]),
        coverage=coverage,
        slipping=slipping,
        accounts=accounts,
        annual_revenue=100.0,
        owner_revenue={},
        risk_probability=0.2,
        strength=strength,
    )


def test_a_weak_forecast_raises_no_confident_finding_of_its_own() -> None:
    strong = {(f.kind, f.unit): f.severity for f in _build(assess(36, 10, 0.5, 80.0))}
    assert strong[("outlook", "company")] == "medium" and strong[("unit_at_risk", "a")] == "medium"
    assert strong[("thin_pipeline", "a")] == "medium" and strong[("slipping_deals", "company")] == "medium"

    found = _build(assess(7, 1, None, 80.0))
    severity = {(f.kind, f.unit): f.severity for f in found}
    assert severity[("outlook", "company")] == "low" and severity[("unit_at_risk", "a")] == "low"
    assert severity[("thin_pipeline", "a")] == "low"
    # deals slipping against the target and a key account that fell do not rest on the forecast
    assert severity[("slipping_deals", "company")] == "medium" and severity[("key_account_decline", "C1")] == "high"
    capped = [f for f in found if f.kind in statements.RESTS_ON_FORECAST]
    assert all(f.facts["caveats"][-1]["code"] == "weak_forecast" for f in capped)
    assert "预测依据不足：销售额历史仅 7 个月（不足两个完整年度周期，需 24 个月）" in finding_text(capped[0], "zh")
    assert "(weak forecast: 7 months of revenue history" in finding_text(capped[0], "en")
    # without a target the slipping share is of the forecast's remainder: it rests on the forecast
    untargeted = {(f.kind, f.unit): f.severity for f in _build(assess(7, 1, None, 80.0), target=np.nan)}
    assert untargeted[("slipping_deals", "company")] == "low"


# --------------------------------------------------------------------------- Maven (real data)


@pytest.fixture(scope="module")
def maven_q4(maven) -> ForecastResult:  # type: ignore[no-untyped-def]
    result: ForecastResult = compute(maven, RunScope(period="2017-09"), ForecastParams())
    return result


@pytest.mark.slow
def test_maven_seven_months_is_weak_beside_its_naive_benchmark(maven, maven_q4: ForecastResult) -> None:  # type: ignore[no-untyped-def]
    s, h = maven_q4.strength, maven_q4.headline
    assert s.weak and s.reasons[0] == "short_history" and "few_backtests" in s.reasons
    assert s.history_months == 7 and s.windows < MIN_BACKTEST_WINDOWS  # March–September 2017 booked
    assert h["weak"] is True and h["weak_reasons"] == list(s.reasons)
    # no year earlier: the mean of July–September 2017 × 3 months (nothing of Q4 booked yet)
    o = maven.table("opportunities")
    won = o.filter((o.status == "won") & (o.closed_at >= dt.date(2017, 7, 1)) & (o.closed_at <= dt.date(2017, 9, 30)))
    assert h["naive_forecast"] == pytest.approx(float(won.amount.sum().execute()))
    assert not [f for f in maven_q4.findings if f.severity in ("medium", "high")]
    assert any(c["code"] == "weak_forecast" for f in maven_q4.findings for c in f.facts.get("caveats", []))


@pytest.mark.slow
def test_maven_page_says_the_forecast_is_weak(maven_q4: ForecastResult) -> None:
    naive = maven_q4.strength.naive_forecast  # 2,982,255: 298万 / 2.98M to three significant digits
    zh_naive, en_naive = f"{naive / 1e4:,.0f}万", f"{naive / 1e6:.2f}M"
    zh = view.headline(maven_q4, "zh").html
    assert "预测依据不足" in zh and "销售额历史仅 7 个月（不足两个完整年度周期" in zh and "完整回测窗口仅" in zh
    assert "朴素基准" in zh and zh_naive in zh
    en = view.headline(maven_q4, "en").html
    assert "Weak forecast" in en and "7 months of revenue history (under two yearly cycles" in en
    assert "Naive benchmark" in en and en_naive in en
    assert en.index("class='so-banner'") < en.index("class='so-tiles'")  # the notice comes before the numbers


@pytest.mark.slow
def test_the_coverage_guard_keeps_the_weak_caveat(maven, maven_folder) -> None:  # type: ignore[no-untyped-def]
    from salesops_lib.catalog import CATALOG

    result = CATALOG["forecast"].spec.run(maven, RunScope(source=str(maven_folder), period="2017-09"))
    outlook = next(f for f in result.findings if f.kind == "outlook_no_target")
    assert [c["code"] for c in outlook.facts["caveats"]] == ["weak_forecast", "short_history"]


# --------------------------------------------------------------------------- demo (three years)


def test_demo_with_three_years_is_not_weak() -> None:
    from salesops_lib.data import connect

    source = "demo:small:2025-06-30"
    result = compute(connect(source), RunScope(source=source, period="2025-06"), ForecastParams())
    s = result.strength
    assert not s.weak and s.history_months >= MIN_HISTORY_MONTHS and s.windows >= MIN_BACKTEST_WINDOWS
    assert result.headline["weak"] is False and np.isfinite(result.headline["naive_forecast"])
    page = view.headline(result, "en").html
    assert "class='so-banner'" not in page and "Naive benchmark" not in page
    assert not any("weak_forecast" in str(f.facts.get("caveats")) for f in result.findings)
