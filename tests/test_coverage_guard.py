"""The data-coverage guard: a mid-month extract, a short history and an outlier deal are said at
the top of the page, and the findings they would distort are downgraded or marked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses.coverage import check_coverage
from salesops_lib.catalog import CATALOG, period_findings
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from salesops_lib.data.coverage import table_reach
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.money import money
from salesops_lib.report.notebook import ReportContext
from tests.builders import dataset_from_frames, reps_frame

PERIOD = "2025-06"
REPS = [("R1", "T1", "east"), ("R2", "T1", "east"), ("R3", "T2", "west"), ("R4", "T2", "west")]


def _orders(first: str, last: str, *, seed: int = 7) -> pd.DataFrame:
    """Weekday orders, four a day, steady amounts, from ``first`` to ``last``."""
    rng = np.random.default_rng(seed)
    days = [d.date() for d in pd.bdate_range(first, last) for _ in range(4)]
    n = len(days)
    return pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(n)],
            "customer_id": [f"C{i % 40:03d}" for i in range(n)],
            "rep_id": [REPS[i % len(REPS)][0] for i in range(n)],
            "ordered_at": days,
            "amount": rng.lognormal(8.0, 0.3, n).round(2),
            "cost": None,
        }
    ).astype({"cost": "float64"})


def _source(folder: Path, orders: pd.DataFrame) -> Dataset:
    customers = pd.DataFrame({"customer_id": sorted(orders["customer_id"].unique())})
    return dataset_from_frames(folder, {"orders": orders, "customers": customers, "reps": reps_frame(REPS)})


def _scope(data: Dataset, lang: str = "en") -> RunScope:
    return RunScope(source=data.source, period=PERIOD, lang=lang)


def _page(name: str, data: Dataset, lang: str = "en") -> str:
    spec = CATALOG[name].spec
    return ReportContext(spec, name, _scope(data, lang), spec.params(), spec.prepare(data)).heading().html


def test_a_mid_month_extract_downgrades_the_month_and_says_so(tmp_path: Path) -> None:
    data = _source(tmp_path, _orders("2022-01-03", "2025-06-13"))  # the extract stops on Friday 13 June
    spec = CATALOG["kpi_overview"].spec
    coverage = spec.coverage(data, _scope(data))
    assert [(r.table, r.last) for r in coverage.short_tables] == [("orders", dt.date(2025, 6, 13))]
    raw = spec.compute(data, _scope(data), spec.params())
    assert any(f.severity != "info" for f in raw.findings)  # the half month reads as a collapse
    guarded = spec.run(data, _scope(data))
    assert guarded.findings and all(f.severity == "info" for f in guarded.findings)
    assert all(f.facts["caveats"][0]["code"] == "partial_period" for f in guarded.findings)
    assert "2025-06-13" in finding_text(guarded.findings[0], "en")
    assert "before the period end 2025-06-30" in _page("kpi_overview", data)
    assert "早于期间结束日 2025-06-30" in _page("kpi_overview", data, "zh")


def test_a_complete_month_is_quiet(tmp_path: Path) -> None:
    data = _source(tmp_path, _orders("2022-01-03", "2025-06-30"))  # Monday 30 June
    assert CATALOG["forecast"].spec.coverage(data, _scope(data)).quiet
    page = _page("forecast", data)
    assert "class='so-banner'" not in page and "Outlier deals" not in page  # only the sections without deals are noted


def test_weekly_data_reach_the_month_end_within_their_rhythm(tmp_path: Path) -> None:
    orders = _orders("2024-01-01", "2025-06-30")
    weekly = orders[pd.to_datetime(orders["ordered_at"]).dt.day_of_week == 0]  # Mondays only; last 23 June
    weekly = weekly[weekly["ordered_at"] <= dt.date(2025, 6, 27)]
    reach = table_reach(_source(tmp_path, weekly), "orders", until=dt.date(2025, 6, 30))
    assert reach is not None and reach.last == dt.date(2025, 6, 23) and reach.reaches(dt.date(2025, 6, 30))


def test_short_history_downgrades_the_seasonal_forecast(tmp_path: Path) -> None:
    data = _source(tmp_path, _orders("2024-09-02", "2025-06-30"))  # ten months
    spec = CATALOG["forecast"].spec
    coverage = spec.coverage(data, _scope(data))
    assert [(s.method, s.needed, s.available) for s in coverage.short_history] == [("seasonality", 24, 10)]
    result = spec.run(data, _scope(data))
    assert result.findings and all(f.severity == "info" for f in result.findings)
    assert all("short_history" in [c["code"] for c in f.facts["caveats"]] for f in result.findings)
    # the forecast's own guard (analyses/forecast/strength.py) says why too; the coverage guard keeps it
    assert {c["code"] for f in result.findings for c in f.facts["caveats"]} <= {"short_history", "weak_forecast"}
    assert "needs 24 months of history, the data have 10" in _page("forecast", data)
    # the KPI overview has no method that needs a long history (a missing year-ago month has no change)
    assert not CATALOG["kpi_overview"].spec.coverage(data, _scope(data)).short_history


def test_an_outlier_deal_is_listed_with_its_influence(tmp_path: Path) -> None:
    orders = _orders("2022-01-03", "2025-06-30")
    june = pd.to_datetime(orders["ordered_at"]).dt.strftime("%Y-%m") == PERIOD
    rest = float(orders.loc[june, "amount"].sum())
    big = rest * 0.82 / 0.18  # 82 % of the month's revenue
    outlier = pd.DataFrame(
        [{"order_id": "BIG1", "customer_id": "C001", "rep_id": "R3", "ordered_at": dt.date(2025, 6, 18), "amount": big}]
    )
    data = _source(tmp_path, pd.concat([orders, outlier], ignore_index=True))
    coverage = check_coverage(CATALOG["kpi_overview"].spec, data, PERIOD)
    assert [o.deal_id for o in coverage.outliers] == ["BIG1"]
    assert coverage.outliers[0].share == pytest.approx(0.82, abs=1e-6)
    assert coverage.revenue == pytest.approx(rest + big) and coverage.revenue_without == pytest.approx(rest)
    page = _page("kpi_overview", data)
    assert "Outlier deals" in page and "BIG1" in page and "82.0%" in page
    assert money(rest + big, "en") in page and money(rest, "en") in page  # with and without, sized (K/M)
    findings = CATALOG["kpi_overview"].spec.run(data, _scope(data)).findings
    driven = [f for f in findings if any(c["code"] == "outlier" for c in f.facts.get("caveats", []))]
    assert driven, findings  # the revenue jump at company level says what drives it
    assert all(f.severity != "info" for f in driven)  # marked, not downgraded
    assert "driven by outlier deal(s) BIG1" in finding_text(driven[0], "en")


def test_no_analysis_raises_an_alarm_on_a_mid_month_extract(tmp_path: Path) -> None:
    data = _source(tmp_path, _orders("2022-01-03", "2025-06-13"))
    findings = period_findings(data, _scope(data))
    assert findings and {f.severity for f in findings} == {"info"}
    assert {c["code"] for f in findings for c in f.facts["caveats"]} >= {"partial_period"}
