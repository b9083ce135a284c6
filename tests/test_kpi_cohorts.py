"""Cohort KPIs (lead conversion, campaign ROI, cost per lead, customer LTV) are shown for their
latest matured cohort, labelled with its month, and compared only with older cohorts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from salesops_lib.analyses import kpi_overview, monthly_review
from salesops_lib.analyses.kpi_overview.maturity import matured_cohort, maturity_days
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from salesops_lib.metrics import Grain, compute_metric
from tests.conftest import PLANTED

JUNE = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
Demo = tuple[Dataset, kpi_overview.KpiOverviewResult]


def test_matured_cohort_is_the_latest_month_whose_window_has_passed() -> None:
    assert matured_cohort(*JUNE, 0.0) == pd.Timestamp("2025-06-01")
    assert matured_cohort(*JUNE, 1.0) == pd.Timestamp("2025-05-01")
    assert matured_cohort(*JUNE, 30.0) == pd.Timestamp("2025-05-01")  # 31 May + 30 days = 30 June
    assert matured_cohort(*JUNE, 31.0) == pd.Timestamp("2025-04-01")
    assert matured_cohort(*JUNE, 365.0) == pd.Timestamp("2024-06-01")


@pytest.fixture(scope="module")
def demo() -> Demo:
    from salesops_lib.data import connect

    ds = connect(PLANTED)
    return ds, kpi_overview.compute(ds, RunScope(source=PLANTED, period="2025-06"), kpi_overview.KpiOverviewParams())


def test_cohort_tiles_show_a_matured_cohort_against_older_ones(demo: Demo) -> None:
    ds, result = demo
    tiles = result.tiles.set_index("metric")
    assert tiles.loc["revenue", "cohort"] == "" and tiles.loc["win_rate", "cohort"] == ""
    for name in ("lead_conversion_rate", "campaign_roi", "cost_per_lead"):
        cohort = pd.Timestamp(tiles.loc[name, "cohort"])
        assert cohort < pd.Timestamp("2025-06-01")
        end = pd.Timestamp(JUNE[1]) - pd.Timedelta(days=np.ceil(maturity_days(ds, name, JUNE[1])))
        assert cohort + pd.offsets.MonthEnd(0) <= end  # its maturity window has passed by the period end
        series = compute_metric(
            ds, name, Grain(period="month", level="company", start=dt.date(2024, 1, 1), end=JUNE[1])
        ).set_index("period")["value"]
        assert tiles.loc[name, "value"] == pytest.approx(series[cohort])
        assert tiles.loc[name, "previous"] == pytest.approx(series[cohort - pd.DateOffset(months=1)])
        assert tiles.loc[name, "last_year"] == pytest.approx(series[cohort - pd.DateOffset(months=12)])
    # campaign ROI of the month's own campaigns (nothing won yet) is far below the matured cohort's
    roi = compute_metric(ds, "campaign_roi", Grain(period="month", level="company", start=JUNE[0], end=JUNE[1]))
    assert float(roi["value"].iloc[0]) < 0 < tiles.loc["campaign_roi", "value"]
    assert abs(tiles.loc["campaign_roi", "change_prev"]) < 0.5


def test_lifetime_value_waits_a_year_and_is_not_compared_with_older_cohorts(demo: Demo) -> None:
    _, result = demo
    ltv = result.tiles.set_index("metric").loc["customer_ltv"]
    assert ltv["cohort"] == "2024-06" and ltv["value"] > 0
    assert np.isnan(ltv["change_prev"]) and np.isnan(ltv["change_yoy"])


def test_regions_and_page_use_the_cohort_month(demo: Demo) -> None:
    from salesops_lib.report.html import tiles_html
    from salesops_lib.report.kpi_overview import regions

    ds, result = demo
    cohort = pd.Timestamp(result.tiles.set_index("metric").loc["campaign_roi", "cohort"])
    grain = Grain(period="month", level="region", start=cohort.date(), end=(cohort + pd.offsets.MonthEnd(0)).date())
    expected = compute_metric(ds, "campaign_roi", grain).set_index("unit")["value"]
    shown = result.by_region.loc["campaign_roi"]
    assert shown.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    html = tiles_html(result.tiles, "en")
    assert f"Campaign ROI · {cohort:%Y-%m} cohort" in html and "latest matured cohort" in html
    assert f"{cohort:%Y-%m} 批次" in tiles_html(result.tiles, "zh")
    assert f"{cohort:%Y-%m} cohort" in regions(result, "en").html


def test_monthly_review_tiles_carry_the_matured_cohort(demo: Demo) -> None:
    ds, overview = demo
    review = monthly_review.compute(
        ds, RunScope(source=PLANTED, period="2025-06"), monthly_review.MonthlyReviewParams()
    )
    tiles = review.tiles.set_index("metric")
    assert tiles.loc["lead_conversion_rate", "cohort"] != "" and tiles.loc["customer_ltv", "cohort"] == "2024-06"
    ours = overview.tiles.set_index("metric")
    assert tiles.loc["lead_conversion_rate", "value"] == pytest.approx(ours.loc["lead_conversion_rate", "value"])


def test_maturity_quantile_from_counted_lags_is_the_engines_exact_quantile() -> None:
    import ibis

    from salesops_lib.core.quantiles import quantile_of_counts

    rng = np.random.default_rng(7)
    for size in (1, 2, 3, 10, 101, 2000):
        lags = rng.integers(0, 400, size)
        table = ibis.memtable({"lag": lags})
        for q in (0.0, 0.33, 0.5, 0.9, 1.0):
            exact = float(table.aggregate(q=table.lag.quantile(q)).execute()["q"].iloc[0])
            values, counts = np.unique(lags, return_counts=True)
            assert quantile_of_counts(pd.Series(values), pd.Series(counts), q) == exact


def test_kpi_overview_scans_an_additive_metric_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from salesops_lib.data import connect
    from salesops_lib.metrics import METRICS

    asked: list[str] = []

    def counted(ds: Dataset, name: str, grain: Grain | None = None, **kw: object) -> pd.DataFrame:
        asked.append(name)
        return compute_metric(ds, name, grain, **kw)  # type: ignore[arg-type]

    module = importlib.import_module("salesops_lib.analyses.kpi_overview.compute")
    monkeypatch.setattr(module, "compute_metric", counted)
    ds = connect(PLANTED)
    names = ("revenue", "win_rate", "lead_conversion_rate", "attainment")
    result = module.compute(
        ds, RunScope(source=PLANTED, period="2025-06"), kpi_overview.KpiOverviewParams(metrics=",".join(names))
    )
    assert sorted(result.by_region.index) == sorted(names)
    assert {n: asked.count(n) for n in names} == {n: 1 if METRICS[n].additive else 2 for n in names}
