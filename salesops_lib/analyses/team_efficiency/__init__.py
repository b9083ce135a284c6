"""Team efficiency (report ``team_efficiency``): revenue, new customers and gross profit per FTE by
region, team and rep; low-efficiency flags with uncertainty; a process-and-result scorecard with
quarterly stars; activity drivers (fixed-effects regression); the new-hire ramp; and a
commission-plan simulation.

:mod:`.params`, :mod:`.result`, :mod:`.compute` (puts the parts together) and :mod:`.findings`;
one concern per maths module: :mod:`.panel` (the rep × month aggregates from the engine),
:mod:`.per_fte`, :mod:`.flags`, :mod:`.scorecard`, :mod:`.drivers`, :mod:`.ramp`, :mod:`.explain`,
:mod:`.incentives`. ``SPEC`` ties them together.
"""

from salesops_lib.analyses.spec import AnalysisSpec, HistoryNeed, Section
from salesops_lib.analyses.team_efficiency.compute import compute
from salesops_lib.analyses.team_efficiency.findings import ANALYSIS, KINDS
from salesops_lib.analyses.team_efficiency.params import TeamEfficiencyParams
from salesops_lib.analyses.team_efficiency.result import TeamEfficiencyResult

SPEC = AnalysisSpec(
    "team_efficiency",
    TeamEfficiencyParams,
    compute,
    requires=("revenue", "reps"),
    finding_kinds=KINDS,
    sections=(Section("units", ("org",)),),
    history=(HistoryNeed("baseline", lambda p: p.window_months),),
)

__all__ = ["ANALYSIS", "KINDS", "SPEC", "TeamEfficiencyParams", "TeamEfficiencyResult", "compute"]
