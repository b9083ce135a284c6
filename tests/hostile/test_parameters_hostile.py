"""Parameters with a trailing newline or other stray characters are refused, not kept."""

from __future__ import annotations

import pytest

from salesops_lib.analyses.forecast import ForecastParams
from salesops_lib.analyses.funnel_diagnosis import FunnelDiagnosisParams
from salesops_lib.errors import ConfigError


@pytest.mark.parametrize("value", ["2024Q1\n", "2024Q1\r\n", " 2024Q1", "2024Q5"])
def test_forecast_target_period_is_exact(value: str) -> None:
    with pytest.raises(ConfigError, match="target_period"):
        ForecastParams.load({"target_period": value})


@pytest.mark.parametrize("value", ["previous-month\n", "previous-3-months\n", "same-month-last-year "])
def test_funnel_comparison_is_exact(value: str) -> None:
    with pytest.raises(ConfigError, match="compare_to"):
        FunnelDiagnosisParams.load({"compare_to": value})


def test_valid_comparisons_still_parse() -> None:
    assert FunnelDiagnosisParams(compare_to="previous-3-months").baseline_months == (3, 2, 1)
    assert ForecastParams(target_period="2024Q1").target_period == "2024Q1"
