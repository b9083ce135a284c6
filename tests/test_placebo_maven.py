"""Placebo checks on the real Maven CRM export: with reps reassigned to teams at random, or deals
moved across months at random, the review raises no medium-or-high finding in at least 95 % of
the shuffles (seeded, so the count is reproducible)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.placebo import REAL_SETS, placebo_alerts, shuffle_months, shuffle_teams

pytestmark = pytest.mark.slow  # ten shuffles × the whole review's analyses, twice

SHUFFLES = 10
MAVEN = REAL_SETS[0]


@pytest.mark.parametrize("shuffle", [shuffle_teams, shuffle_months], ids=["teams", "months"])
def test_maven_placebo_raises_no_alert(tmp_path: Path, shuffle) -> None:  # type: ignore[no-untyped-def]
    worlds = placebo_alerts(MAVEN, shuffle, SHUFFLES, tmp_path)
    noisy = {seed: [(f.kind, f.unit, f.severity) for f in found] for seed, found in enumerate(worlds) if found}
    assert len(noisy) <= SHUFFLES // 20, noisy
