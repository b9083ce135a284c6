"""The metric dictionary: each KPI once, computed in the engine at any grain."""

from __future__ import annotations

from salesops_lib.metrics import kpis as _kpis  # noqa: F401  (registers the KPIs)
from salesops_lib.metrics.compute import compute_metric, metric_summary, roll_up
from salesops_lib.metrics.dictionary import METRICS, Metric, get_metric
from salesops_lib.metrics.grain import Grain

__all__ = ["METRICS", "Grain", "Metric", "compute_metric", "get_metric", "metric_summary", "roll_up"]
