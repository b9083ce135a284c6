"""Invariants of the metric layer on random data (Hypothesis): parts add up, rates stay in [0, 1]."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_lib.metrics import Grain, compute_metric
from tests.builders import dataset_from_frames, reps_frame

REPS = reps_frame([("r1", "t1", "north"), ("r2", "t1", "north"), ("r3", "t2", "north"), ("r4", "t3", "south")])

deal = st.tuples(
    st.sampled_from(["r1", "r2", "r3", "r4"]),
    st.sampled_from(["won", "lost", "open"]),
    st.integers(0, 700),  # created, days after 2023-01-01
    st.integers(0, 200),  # cycle days
    st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(st.lists(deal, min_size=1, max_size=60))
def test_children_add_up_to_parents_and_rates_are_bounded(deals: list[tuple[str, str, int, int, float | None]]) -> None:
    start = dt.date(2023, 1, 1)
    frame = pd.DataFrame(
        {
            "opp_id": [f"o{i}" for i in range(len(deals))],
            "rep_id": [x[0] for x in deals],
            "status": [x[1] for x in deals],
            "created_at": [start + dt.timedelta(days=x[2]) for x in deals],
            "closed_at": [start + dt.timedelta(days=x[2] + x[3]) if x[1] != "open" else None for x in deals],
            "amount": [x[4] for x in deals],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        ds = dataset_from_frames(Path(tmp), {"reps": REPS, "opportunities": frame})
        for name in ("win_rate", "won_value", "avg_deal_size", "sales_cycle_days"):
            parts = {
                level: compute_metric(ds, name, Grain(period="quarter", level=level))  # type: ignore[arg-type]
                for level in ("rep", "team", "region", "company")
            }
            company = parts["company"].groupby("period")[["numerator", "denominator"]].sum(min_count=1)
            for level in ("rep", "team", "region"):
                summed = parts[level].groupby("period")[["numerator", "denominator"]].sum(min_count=1)
                pd.testing.assert_frame_equal(summed, company, check_exact=False, rtol=1e-9)
            if name == "win_rate":
                values = parts["rep"]["value"].dropna()
                assert ((values >= 0) & (values <= 1)).all()
        closed = frame[frame["status"] != "open"]
        win = compute_metric(ds, "win_rate", Grain(period="all"))
        expected = (closed["status"] == "won").mean() if len(closed) else np.nan
        assert (win.empty and not len(closed)) or np.isclose(win["value"].iloc[0], expected)
