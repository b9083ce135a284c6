"""Funnel diagnosis: where deals are lost, why the month changed, what a process change did.

One concern per module: ``facts`` (the deal and lead tables in the engine), ``stages``
(funnel, durations, stalled deals, losses), ``cohorts`` (creation-month cohorts with
right-censoring), ``segments`` (segment against the rest), ``changes`` (the month against its
baseline, mix vs rate), ``bridge`` (won-value bridge), ``process_change`` (before/after and
difference-in-differences), ``conclusions`` (findings), ``diagnosis`` (``compute``).
"""

from salesops_lib.analyses.funnel.diagnosis import compute
from salesops_lib.analyses.funnel.result import FunnelResult

__all__ = ["FunnelResult", "compute"]
