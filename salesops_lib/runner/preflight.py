"""Checks a run makes before any report starts: the period has data, the region exists.

A review of a month the data never reach, or of a region the source does not know, would
publish pages of dashes and "no findings"; both are refused up front with what the source
does have.
"""

from __future__ import annotations

from salesops_lib.core.periods import period_bounds
from salesops_lib.data import Dataset
from salesops_lib.data.coverage import event_span
from salesops_lib.errors import ConfigError
from salesops_lib.runner.config import ReviewConfig


def check_run(dataset: Dataset, config: ReviewConfig) -> None:
    """Raise :class:`ConfigError` when ``config``'s period or region has no data in ``dataset``."""
    check_period(dataset, config.period)
    if config.region:
        check_region(dataset, config.region)


def check_period(dataset: Dataset, period: str) -> None:
    """The period must overlap the source's event days."""
    span = event_span(dataset)
    start, end = period_bounds(period)
    if span.covers(start, end):
        return
    if span.first is None or span.last is None:
        raise ConfigError(
            f"no data for period {period}: the source has no dated sales events",
            where=dataset.source,
            fix="check the mapping of opportunities / orders and their dates",
        )
    raise ConfigError(
        f"no data for period {period}: the source's events run from {span.first} to {span.last}",
        where=dataset.source,
        fix=f"choose a period between {span.first:%Y-%m} and {span.last:%Y-%m}",
    )


def check_region(dataset: Dataset, region: str) -> None:
    """``region`` must be a region of the reps table."""
    if not dataset.has("reps"):
        return
    reps = dataset.table("reps")
    regions = sorted(str(r) for r in reps.select("region").distinct().to_pandas()["region"].dropna())
    if region not in regions:
        shown = ", ".join(regions[:20]) + (" …" if len(regions) > 20 else "")
        raise ConfigError(
            f"unknown region {region!r}",
            where=f"{dataset.source}: reps",
            column="region",
            fix=f"use one of: {shown}" if regions else "the reps table has no regions",
        )
