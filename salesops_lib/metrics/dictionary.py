"""The metric dictionary: each KPI defined once, with labels, unit, direction and definition.

A metric's ``build`` function returns an Ibis expression with one row per
``period × unit [× dimension]`` and two columns, ``numerator`` and ``denominator``; the
value is their ratio (or the numerator alone for sums). Keeping both parts lets any caller
re-aggregate correctly (a region's win rate is not the mean of its reps' win rates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import ibis.expr.types as ir

from salesops_lib.data import Dataset
from salesops_lib.errors import MetricError
from salesops_lib.metrics.grain import Grain, Level, Period

Unit = Literal["ratio", "currency", "days", "count", "currency_per_fte", "count_per_fte"]
Builder = Callable[[Dataset, Grain], ir.Table]

ALL_LEVELS: tuple[Level, ...] = ("company", "region", "team", "rep")
ALL_PERIODS: tuple[Period, ...] = ("week", "month", "quarter", "year", "all")


@dataclass(frozen=True)
class Metric:
    """One KPI."""

    name: str
    label_zh: str
    label_en: str
    unit: Unit
    #: True when a higher value is better
    higher_is_better: bool
    #: exact definition in words: cohort or period basis, what is excluded
    definition: str
    #: canonical tables the metric reads
    tables: tuple[str, ...]
    build: Builder
    #: "ratio": numerator / denominator; "sum": the numerator alone
    kind: Literal["ratio", "sum"] = "ratio"
    levels: tuple[Level, ...] = ALL_LEVELS
    #: period grains the metric is defined at (a stock-flow ratio such as DSO needs calendar periods;
    #: its builder says so), so that a summary leaves it out at the others
    periods: tuple[Period, ...] = ALL_PERIODS
    #: columns of the fact table usable as ``Grain.dimension``
    dimensions: tuple[str, ...] = ()
    #: alternative table sets: the metric can also be built from these (e.g. revenue from won deals)
    fallback_tables: tuple[str, ...] = ()
    #: columns a ``Grain.where`` filter may read (the fact rows' own and borrowed ones); () = none
    filters: tuple[str, ...] = ()
    #: (table, column) pairs that must hold a value somewhere: a source that maps no order cost has
    #: no gross profit (it would equal revenue), though its orders table exists
    needs_values: tuple[tuple[str, str], ...] = ()
    #: True when the numerator and denominator are sums over fact rows that each fall in one unit
    #: (or in none): the company's are then the sums of the regions' (:func:`~.compute.roll_up`),
    #: so one query by region serves both levels
    additive: bool = False

    @property
    def cohort(self) -> bool:
        """True for cohort metrics: a recent cohort is still maturing, so its value is provisional."""
        return self.definition.startswith("Cohort")

    def label(self, lang: str = "en") -> str:
        """Label in ``lang`` ("zh" or "en")."""
        return self.label_zh if lang == "zh" else self.label_en

    def available(self, ds: Dataset) -> bool:
        """True when ``ds`` provides what the metric needs."""
        tables = ds.has(*self.tables) or bool(self.fallback_tables and ds.has(*self.fallback_tables))
        return tables and all(ds.has_values(table, column) for table, column in self.needs_values)

    def fits(self, grain: Grain) -> bool:
        """True when the metric is defined at the grain's level and period."""
        return grain.level in self.levels and grain.period in self.periods

    def check(self, ds: Dataset, grain: Grain) -> None:
        """Raise a clear error when the metric cannot be computed at ``grain`` from ``ds``."""
        if not self.available(ds):
            ds.require(*self.tables)
        if grain.level not in self.levels:
            raise MetricError(
                f"{self.name} is not defined at the {grain.level} level",
                fix=f"use one of: {', '.join(self.levels)}",
            )
        if grain.dimension is not None and grain.dimension not in self.dimensions:
            raise MetricError(
                f"{self.name} cannot be broken down by {grain.dimension!r}",
                column=grain.dimension,
                fix=f"dimensions for {self.name}: {', '.join(self.dimensions) or '(none)'}",
            )
        if grain.where is not None and not self.filters:
            raise MetricError(
                f"{self.name} cannot be filtered: its numerator and denominator come from different tables",
                fix=f"metrics that take a filter: {', '.join(m.name for m in METRICS.values() if m.filters)}",
            )


METRICS: dict[str, Metric] = {}
"""Every metric by name, in the order they were registered."""


def register(metric: Metric) -> Metric:
    """Add ``metric`` to :data:`METRICS` (names are unique)."""
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is defined twice")
    METRICS[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric:
    """The metric called ``name``; an unknown name is a clear error listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise MetricError(f"unknown metric {name!r}", fix=f"known metrics: {', '.join(METRICS)}") from None


def describe_markdown() -> str:
    """The metric dictionary as a Markdown reference (used for docs/metrics.md): per metric its
    definition, unit, tables, levels, periods, dimensions and the columns a filter may read.
    """
    lines = [
        "# Metric catalogue",
        "",
        "Generated from `salesops_lib/metrics/kpis.py` (`salesops_lib.metrics.dictionary.describe_markdown`).",
        "A metric is computed at a `Grain` (period × level × optional dimension, within a window, with an",
        "optional filter); see the README's *Metrics* section for the API and `salesops metrics`.",
        "Periods are named by their first day; a week is an ISO week, Monday to Sunday, named by its",
        "Monday (the command line labels it `2026-W05`). A filter is one SQL condition over the",
        "metric's filter columns (`segment`, `industry` come from the fact's customer, `team`, `region`",
        "from its rep, unless the facts carry their own).",
        "",
    ]
    for m in METRICS.values():
        rows = [
            ("label", f"{m.label_en} / {m.label_zh}"),
            ("unit", f"{m.unit}, {'higher' if m.higher_is_better else 'lower'} is better"),
            ("value", "numerator ÷ denominator" if m.kind == "ratio" else "the sum (numerator)"),
            ("needs", ", ".join(m.tables) + (f" (or {', '.join(m.fallback_tables)})" if m.fallback_tables else "")),
            ("levels", ", ".join(m.levels)),
            ("periods", ", ".join(m.periods)),
            ("dimensions", ", ".join(f"`{d}`" for d in m.dimensions) or "—"),
            ("filter columns", ", ".join(f"`{c}`" for c in m.filters) or "— (cannot be filtered)"),
        ]
        lines += [f"## `{m.name}`", "", m.definition, "", "| | |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in rows]
        lines.append("")
    return "\n".join(lines)
