"""What makes a package under ``analyses/`` an analysis: its :class:`AnalysisSpec`.

Each analysis package exports ``SPEC``; the catalog (:mod:`salesops_lib.catalog`) lists them.
Everything else learns about an analysis from its spec: the runner which tables it needs (and
so when to skip it), the notebook which parameters it takes, the tests which finding kinds it
may raise (each needs zh and en words in its report catalogue).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from salesops_lib.analyses.findings import Finding
from salesops_lib.config.scope import AnalysisParams, RunScope
from salesops_lib.data import Dataset


class HasFindings(Protocol):
    """A result: data only (frames, numbers, findings), no language and no HTML."""

    @property
    def findings(self) -> Sequence[Finding]:
        """The findings the analysis raised, in the order it raised them."""


P = TypeVar("P", bound=AnalysisParams)
R = TypeVar("R", bound=HasFindings)


@dataclass(frozen=True)
class AnalysisSpec(Generic[P, R]):
    """One analysis: its name (= report name, notebook and page name), parameters, computation,
    the canonical tables it cannot run without and the kinds of finding it raises.
    """

    name: str
    params: type[P]
    #: ``compute(data, scope, params) -> result``; pure: no I/O beyond reading ``data``
    compute: Callable[[Dataset, RunScope, P], R]
    #: canonical tables without which the analysis is skipped (with the reason)
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

    def run(self, data: Dataset, scope: RunScope, params: P | None = None, **extra: Any) -> R:
        """``compute`` with the default parameters unless ``params`` is given."""
        return self.compute(data, scope, params if params is not None else self.params(), **extra)

    def missing_tables(self, data: Dataset) -> tuple[str, ...]:
        """The required tables ``data`` does not have."""
        return tuple(table for table in self.requires if not data.has(table))
