"""Transitional: specs of the analyses not yet moved to their own package shape.

Each adapter imports the old module when it runs and calls the old ``compute(data, params)``
with the run scope folded into the old parameter model. An analysis leaves this module (its
block is deleted) when its package exports its own ``SPEC``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from salesops_lib.analyses.spec import AnalysisSpec
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset


def _spec(name: str, compute: Callable[[], Callable[[Dataset, Any], Any]], params: type,
          requires: tuple[str, ...], *, on_dashboard: bool = True) -> AnalysisSpec[Any, Any]:
    def run(data: Dataset, scope: RunScope, values: Any) -> Any:
        return compute()(data, values.model_copy(update=scope.model_dump()))
    return AnalysisSpec(name, params, run, requires, (), on_dashboard=on_dashboard)


# team_efficiency
from salesops_lib.config.reports.team_efficiency import TeamEfficiencyParams  # noqa: E402


def _team_efficiency() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.efficiency import compute
    return compute


TEAM_EFFICIENCY = _spec("team_efficiency", _team_efficiency, TeamEfficiencyParams, ("opportunities", "reps"))

# expense_roi
from salesops_lib.config.reports.expense_roi import ExpenseRoiParams  # noqa: E402


def _expense_roi() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.expenses import compute
    return compute


EXPENSE_ROI = _spec("expense_roi", _expense_roi, ExpenseRoiParams, ("expenses",))

# target_split
from salesops_lib.config.reports.target_split import TargetSplitParams  # noqa: E402


def _target_split() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.targets import compute
    return compute


TARGET_SPLIT = _spec("target_split", _target_split, TargetSplitParams, ("reps", "opportunities"), on_dashboard=False)

# target_tracking
from salesops_lib.config.reports.target_tracking import TargetTrackingParams  # noqa: E402


def _target_tracking() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.tracking import compute
    return compute


TARGET_TRACKING = _spec("target_tracking", _target_tracking, TargetTrackingParams, ("reps", "targets", "opportunities"))

# funnel_diagnosis
from salesops_lib.config.reports.funnel_diagnosis import FunnelDiagnosisParams  # noqa: E402


def _funnel_diagnosis() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.funnel import compute
    return compute


FUNNEL_DIAGNOSIS = _spec("funnel_diagnosis", _funnel_diagnosis, FunnelDiagnosisParams,
                         ("opportunities", "stage_history", "reps"))

# collections_customers
from salesops_lib.config.reports.collections_customers import CollectionsCustomersParams  # noqa: E402


def _collections_customers() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.collections_customers import compute
    return compute


COLLECTIONS_CUSTOMERS = _spec("collections_customers", _collections_customers, CollectionsCustomersParams,
                              ("reps", "opportunities"))

# forecast
from salesops_lib.config.reports.forecast import ForecastParams  # noqa: E402


def _forecast() -> Callable[[Dataset, Any], Any]:
    from salesops_lib.analyses.forecast import compute
    return compute


FORECAST = _spec("forecast", _forecast, ForecastParams, ("reps", "opportunities"))
