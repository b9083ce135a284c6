"""Placebo checks on the other real datasets (monthly souvenir sales, Robyn's weekly MMM, Kaggle's
order lines): with bookings moved across months at random, the review raises no medium-or-high
finding in at least 95 % of the shuffles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.placebo import REAL_SETS, RealSet, placebo_alerts, shuffle_months

pytestmark = pytest.mark.slow  # five shuffles × the review's analyses, per dataset

SHUFFLES = 5


@pytest.mark.parametrize("real", REAL_SETS[1:], ids=lambda r: r.name)
def test_month_placebo_raises_no_alert(tmp_path: Path, real: RealSet) -> None:
    if not (Path(__file__).resolve().parents[2] / "shared" / "datasets").is_dir():
        pytest.skip("../shared/datasets is not here")
    worlds = placebo_alerts(real, shuffle_months, SHUFFLES, tmp_path)
    noisy = {seed: [(f.kind, f.unit, f.severity) for f in found] for seed, found in enumerate(worlds) if found}
    assert len(noisy) <= SHUFFLES // 20, noisy
