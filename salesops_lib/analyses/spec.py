"""What makes a package under ``analyses/`` an analysis: its :class:`AnalysisSpec`.

Each analysis package exports ``SPEC``; the catalog (:mod:`salesops_lib.catalog`) lists them.
Everything else learns about an analysis from its spec: the runner which tables it needs (and
so when to skip it), the notebook which parameters it takes, the tests which finding kinds it
may raise (each needs zh and en words in its report catalogue).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

from salesops_lib.analyses import capabilities
from salesops_lib.analyses.coverage import Coverage, check_coverage, guard_findings, outlier_units
from salesops_lib.analyses.findings import Finding
from salesops_lib.config.scope import AnalysisParams, RunScope
from salesops_lib.data import Dataset
from salesops_lib.data.shared_results import shared_value


class HasFindings(Protocol):
    """A result: data only (frames, numbers, findings), no language and no HTML."""

    @property
    def findings(self) -> Sequence[Finding]:
        """The findings the analysis raised, in the order it raised them."""


P = TypeVar("P", bound=AnalysisParams)
R = TypeVar("R", bound=HasFindings)


@dataclass(frozen=True)
class Section:
    """A part of a page that needs more than the analysis' core: it is left out, and the page
    says so, when the source cannot feed it.
    """

    #: the section's title: a key of the report's labels (or the glossary)
    label: str
    #: capabilities or canonical tables (see :mod:`salesops_lib.analyses.capabilities`)
    needs: tuple[str, ...]


@dataclass(frozen=True)
class HistoryNeed:
    """A method that needs ``months`` of history before the period end; without them the
    findings of ``kinds`` (every kind when empty) are downgraded to info.
    """

    #: the method: a key of the glossary (``method_<name>``)
    method: str
    #: months it needs up to the period end: a number, or computed from the analysis' parameters
    months: int | Callable[[Any], int]
    kinds: tuple[str, ...] = ()

    def needed(self, params: object) -> int:
        """The months needed with ``params``."""
        return self.months if isinstance(self.months, int) else self.months(params)


@dataclass(frozen=True)
class AnalysisSpec(Generic[P, R]):
    """One analysis: its name (= report name, notebook and page name), parameters, computation,
    the capabilities it cannot run without (its core), the sections that need more, the
    history its methods need and the kinds of finding it raises.
    """

    name: str
    params: type[P]
    #: ``compute(data, scope, params) -> result``; pure: no I/O beyond reading ``data``
    compute: Callable[[Dataset, RunScope, P], R]
    #: capabilities or canonical tables without which the analysis is skipped (with the reason):
    #: ``revenue`` (orders or won deals), ``deals``, ``funnel``, ``reps`` (derived when absent), …
    requires: tuple[str, ...]
    #: every ``Finding.kind`` the analysis can raise (each has zh and en words)
    finding_kinds: tuple[str, ...]
    #: the executive summary: runs last, on the findings of every other analysis
    summary: bool = False
    #: its findings are this month's alerts on the leadership dashboard (a plan for the next
    #: year, like the target split, is not)
    on_dashboard: bool = True
    #: checks that need the scope and the parameters together (e.g. a day inside the month);
    #: run when a report's parameters are loaded, before any work; raises ``ConfigError``
    check: Callable[[RunScope, P], object] | None = None
    #: sections that need more than ``requires``: left out (and said so) when not fed
    sections: tuple[Section, ...] = ()
    #: months of history its methods need (e.g. seasonality: 24)
    history: tuple[HistoryNeed, ...] = ()

    def run(
        self,
        data: Dataset,
        scope: RunScope,
        params: P | None = None,
        *,
        coverage: Coverage | None = None,
        **extra: Any,
    ) -> R:
        """``compute`` with the default parameters unless ``params`` is given, on the data as
        :meth:`prepare` completes it, its findings as the data's coverage allows
        (:func:`~salesops_lib.analyses.coverage.guard_findings`; ``coverage``: already measured
        by the caller, e.g. for the page's banner, so it is not measured twice).
        """
        params = params if params is not None else self.params()
        if extra or not data.fingerprint:
            return self._run(data, scope, params, coverage=coverage, **extra)
        # a review's summary asks again for what a report of the run computed (the forecast)
        key = ("analysis", self.name, data.fingerprint, scope.model_dump_json(), params.model_dump_json())
        return shared_value(key, lambda: self._run(data, scope, params, coverage=coverage))

    def _run(self, data: Dataset, scope: RunScope, params: P, *, coverage: Coverage | None, **extra: Any) -> R:
        data = self.prepare(data)
        result = self.compute(data, scope, params, **extra)
        if self.summary or not result.findings:
            return result
        coverage = coverage if coverage is not None else self.coverage(data, scope, params)
        if coverage.quiet:
            return result
        units = outlier_units(coverage, data)
        return replace(result, findings=guard_findings(result.findings, coverage, units))  # type: ignore[type-var]

    def coverage(self, data: Dataset, scope: RunScope, params: P | None = None) -> Coverage:
        """What ``data`` carry for this analysis in the scope's period (up to the parameters'
        ``as_of`` day when they have one).
        """
        params = params if params is not None else self.params()
        return check_coverage(self, data, scope.period, params, end=_as_of(params) or scope.as_of)

    def missing(self, data: Dataset) -> dict[str, str]:
        """The required capabilities ``data`` does not meet, each with the reason (empty: it runs)."""
        return capabilities.unmet(self.requires, data)

    def prepare(self, data: Dataset) -> Dataset:
        """``data`` completed for this analysis (a rep roster derived from the facts when it needs
        reps and the source has none).
        """
        return capabilities.prepared(self.requires, data)

    def skipped_sections(self, data: Dataset) -> dict[str, tuple[str, ...]]:
        """The sections ``data`` cannot feed (label → the canonical tables they lack), in the
        spec's order; a table :meth:`prepare` derived counts as missing.
        """
        own = replace(data, tables={k: v for k, v in data.tables.items() if k not in data.derived})
        skipped: dict[str, tuple[str, ...]] = {}
        for section in self.sections:
            needs = [capabilities.capability(n) for n in section.needs]
            lacking = [t for cap in needs if not cap.met(own) for t in cap.missing_tables(own)]
            if lacking:
                skipped[section.label] = tuple(dict.fromkeys(lacking))
        return skipped


def _as_of(params: object) -> dt.date | None:
    """The day inside the month a run stops at (an ``as_of`` parameter), if any."""
    text = getattr(params, "as_of", "")
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None
