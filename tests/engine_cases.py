"""The metric × grain cases every engine must compute exactly as DuckDB does, and the whole
review every engine must publish.

Used by the warehouse tests (PostgreSQL: ``test_postgres_warehouse.py``) and the Spark tests
(``test_spark.py``): one list of grains, so a new case checks every engine.
"""

from __future__ import annotations

import time

import pytest

from salesops_lib.catalog import CATALOG
from salesops_lib.metrics import METRICS, Grain
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import ReviewRun, run_review

GRAINS = (
    Grain(period="all", level="company"),
    Grain(period="year", level="region"),
    Grain(period="quarter", level="team"),
    Grain(period="month", level="rep"),
)
"""Every period kind crossed with every org level, once."""
MAVEN_FILTER = "segment IN ('smb', 'mid-market') AND (amount > 1000 OR status = 'lost') AND region <> 'West' AND product LIKE 'GTX%'"
"""A filter (checked SQL in DuckDB's spelling, transpiled by Ibis) over the deal's, its customer's
and its rep's columns, in the Maven CRM's values."""
DEMO_FILTER = "segment IN ('smb', 'mid-market') AND (amount > 1000 OR status = 'lost') AND region <> 'north' AND product LIKE 'P0%'"
"""The same filter in the demo's values."""


def extra_cases(where: str) -> tuple[tuple[str, Grain], ...]:
    """Dimensions, ISO weeks (DATE_TRUNC('week') is Monday on every engine), a customer
    breakdown and the filter ``where``."""
    return (
        ("win_rate", Grain(period="quarter", level="company", dimension="product")),
        ("won_value", Grain(period="week", level="rep")),
        ("revenue", Grain(period="week", level="region", dimension="segment")),
        ("win_rate", Grain(period="month", level="team", where=where)),
        ("sales_cycle_days", Grain(period="week", level="company", dimension="industry", where=where)),
    )


def metric_cases(metrics: tuple[str, ...] | None = None, *, where: str = MAVEN_FILTER) -> list[tuple[str, Grain]]:
    """``metrics`` (default: every registered metric) × :data:`GRAINS`, then :func:`extra_cases`.

    A grain a metric does not offer moves to the nearest one it does (its finest level, the
    quarter for ``all``), so every metric is checked at four grains.
    """
    cases = []
    for name in metrics or tuple(METRICS):
        metric = METRICS[name]
        for grain in GRAINS:
            level = grain.level if grain.level in metric.levels else metric.levels[-1]
            period = grain.period if grain.period in metric.periods else "quarter"
            cases.append((name, grain.model_copy(update={"level": level, "period": period})))
    return [*dict.fromkeys(cases), *extra_cases(where)]


def case_id(metric: str, grain: Grain) -> str:
    """A readable test id: ``win_rate-quarter-team-product-where``."""
    return (
        f"{metric}-{grain.period}-{grain.level}"
        + (f"-{grain.dimension}" if grain.dimension else "")
        + ("-where" if grain.where else "")
    )


def publishes_every_report(config: ReviewConfig, record_property: pytest.RecordProperty) -> tuple[ReviewRun, float]:
    """Run the review of ``config``; assert every registered report published (each failure's
    error in the message) and return the run and its seconds (recorded as ``review_seconds``).
    """
    started = time.perf_counter()
    run = run_review(config)
    seconds = time.perf_counter() - started
    record_property("review_seconds", round(seconds, 1))
    failed = {o.name: f"{o.status}: {o.error[-1500:]}" for o in run.outcomes if o.status != "published"}
    assert not failed, "\n\n".join(f"{name} {error}" for name, error in failed.items())
    assert [o.name for o in run.outcomes] == list(CATALOG)
    return run, seconds
