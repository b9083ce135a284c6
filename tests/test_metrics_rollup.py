"""An additive metric's company rows are the sums of its regions' (``roll_up``), so a page that
needs both levels scans the facts once; a metric that is not additive refuses to be rolled up.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesops_lib.data import Dataset, connect
from salesops_lib.errors import MetricError
from salesops_lib.metrics import METRICS, Grain, compute_metric, roll_up
from tests.conftest import PLANTED

ADDITIVE = [m.name for m in METRICS.values() if m.additive]


@pytest.fixture(scope="module")
def planted() -> Dataset:
    return connect(PLANTED)


def test_the_additive_metrics_are_those_whose_parts_are_sums_over_facts() -> None:
    assert set(ADDITIVE) >= {"revenue", "win_rate", "lead_conversion_rate", "campaign_roi", "customer_ltv"}
    assert not {"attainment", "dso", "expense_ratio", "revenue_per_fte"} & set(ADDITIVE)


@pytest.mark.parametrize("period", ["month", "all"])
@pytest.mark.parametrize("name", ADDITIVE)
def test_rolled_up_regions_equal_the_company(planted: Dataset, name: str, period: str) -> None:
    if not METRICS[name].available(planted):
        pytest.skip(f"the demo cannot feed {name}")
    window = {"start": dt.date(2024, 1, 1), "end": dt.date(2025, 6, 30)}
    company = compute_metric(planted, name, Grain(period=period, level="company", **window))  # type: ignore[arg-type]
    regions = compute_metric(planted, name, Grain(period=period, level="region", **window))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(roll_up(regions, name), company, check_exact=False, rtol=1e-9)


def test_a_metric_that_is_not_additive_is_not_rolled_up(planted: Dataset) -> None:
    regions = compute_metric(planted, "attainment", Grain(period="month", level="region"))
    with pytest.raises(MetricError, match="cannot be rolled up"):
        roll_up(regions, "attainment")
