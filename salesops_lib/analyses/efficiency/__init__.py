"""Team efficiency: revenue, new customers and gross profit per FTE by region, team and rep;
low-efficiency flags with uncertainty; a process-and-result scorecard with quarterly stars;
activity drivers (fixed-effects regression); the new-hire ramp; and a commission-plan simulation.

One concern per module: :mod:`.panel` (the rep × month aggregates from the engine),
:mod:`.per_fte`, :mod:`.flags`, :mod:`.scorecard`, :mod:`.drivers`, :mod:`.ramp`,
:mod:`.explain`, :mod:`.incentives`, :mod:`.findings`; :mod:`.compute` puts them together.
"""

from salesops_lib.analyses.efficiency.compute import TeamEfficiencyResult, compute
from salesops_lib.analyses.efficiency.findings import ANALYSIS

__all__ = ["ANALYSIS", "TeamEfficiencyResult", "compute"]
