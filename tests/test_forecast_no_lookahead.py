"""No look-ahead in the pipeline backtest: the pipeline forecast the backtest makes at an earlier
origin X from today's data equals the one made at X from the data as it was known at X
(:func:`tests.known_at.known_at`), for every unit of the org tree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib.analyses.forecast import ForecastParams, compute
from salesops_lib.analyses.forecast import pipeline as pl
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset, connect
from tests.builders import d, dataset_from_frames, reps_frame
from tests.conftest import PLANTED
from tests.known_at import known_at


def _pipeline_at(data: Dataset, period: str, origin: dt.date) -> pd.Series:
    result = compute(data, RunScope(period=period), ForecastParams())
    rows = result.backtest[result.backtest["origin"] == pd.Timestamp(origin)]
    assert len(rows), f"no backtest origin {origin} in the run of {period}"
    return rows.set_index(["level", "unit"])["pipeline"].rename((result.months_ahead, result.model["skip_months"]))


def _assert_same_forecast(data: Dataset, period: str, origin: dt.date) -> None:
    today = _pipeline_at(data, period, origin)
    then = _pipeline_at(known_at(data, origin), f"{origin:%Y-%m}", origin)
    assert today.name == then.name  # the same window: months ahead, months skipped
    units = today.index.intersection(then.index)
    # reps the earlier tree lacks (revenue only later under an unknown id) had no pipeline then
    assert (today.drop(units) == 0).all() and (then.drop(units) == 0).all()
    assert today.notna().all() and float(today.loc[units].sum()) > 0
    pd.testing.assert_series_equal(today.loc[units], then.loc[units], check_names=False, rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    "origin",
    # on 2024-09-30 the seasonality mode the origin could choose differs from today's ("tested", not "forced")
    [dt.date(2024, 9, 30), pytest.param(dt.date(2025, 3, 31), marks=pytest.mark.slow)],
)
def test_demo_pipeline_backtest_uses_only_what_was_known(origin: dt.date) -> None:
    _assert_same_forecast(connect(PLANTED), "2025-06", origin)


@pytest.mark.slow
def test_maven_pipeline_backtest_uses_only_what_was_known(maven: Dataset) -> None:
    _assert_same_forecast(maven, "2017-12", dt.date(2017, 9, 30))


# --------------------------------------------------------------------------- hand-built


def _deals(rows: list[tuple[str, str, str | None, float, str, str | None, str]]) -> pd.DataFrame:
    """(opp_id, created, closed or None, amount, status, expected close or None, product)."""
    return pd.DataFrame(
        {
            "opp_id": [r[0] for r in rows],
            "rep_id": "a",
            "customer_id": "c",
            "product": [r[6] for r in rows],
            "amount": [r[3] for r in rows],
            "created_at": [d(r[1]) for r in rows],
            "status": [r[4] for r in rows],
            "closed_at": [d(r[2]) if r[2] else None for r in rows],
            "expected_close": [d(r[5]) if r[5] else None for r in rows],
        }
    )


def test_values_slips_and_expected_closes_are_those_known_at_the_origin(tmp_path: Path) -> None:
    rows = [
        # won in January after expected closes in December: 40 deals, 31 days late
        *[(f"w{i}", "2024-11-01", "2025-01-31", 100.0, "won", "2024-12-31", "p") for i in range(40)],
        # open on 31 January; won in March (a big deal), slipped 59 days
        *[(f"v{i}", "2025-01-10", "2025-03-31", 1000.0, "won", "2025-01-31", "p") for i in range(40)],
        ("open", "2025-01-15", None, 5000.0, "open", "2025-04-15", "p"),
    ]
    ds = dataset_from_frames(tmp_path / "src", {"reps": reps_frame([("a", "t", "r")]), "opportunities": _deals(rows)})
    january, march = pd.Timestamp("2025-01-31"), pd.Timestamp("2025-03-31")
    slips = pl.slip_distributions(ds, [pd.Timestamp("2024-12-31"), january, march])
    assert slips[pd.Timestamp("2024-12-31")] is None  # nothing won yet
    assert set(slips[january].tolist()) == {31.0} and len(slips[march]) == 80
    deals = (
        pl.open_deals(ds, [january, march], 1)
        .execute()
        .astype({"origin": "datetime64[ns]"})
        .set_index(["origin", "opp_id"])
        .sort_index()
    )
    at_january = deals.loc[january]
    # the March wins are open on 31 January, valued at January's won mean (100), not their 1000;
    # the open deal is valued the same way, not at today's 5000
    assert at_january["value"].eq(100.0).all() and len(at_january) == 41
    # today's expected closes count only at the last origin (the data's last event is 31 March)
    assert at_january["close_step"].isna().all()
    at_march = deals.loc[march]
    assert list(at_march.index) == ["open"] and at_march["value"].iloc[0] == pytest.approx(550.0)
    assert at_march["close_step"].iloc[0] == 1  # 15 days after the origin


def test_slipping_deals_are_bounded_in_the_engine_with_their_count_value_and_stage(tmp_path: Path) -> None:
    """Issue 22: the list reaches pandas as its first rows (largest first); the count and value
    cover every slipping deal; the stage is the last one entered by the as-of date, looked up in
    the engine (the later stage of the funnel on a tie)."""
    from salesops_lib.analyses.forecast.risks import slipping_deals

    rows = [
        *[(f"w{i}", "2024-10-01", "2024-12-15", 100.0, "won", "2024-12-01", "p") for i in range(5)],
        # open, expected to close in January: slipped in January, February and March
        *[(f"s{i}", "2024-11-01", None, 100.0 * (i + 1), "open", "2025-01-20", "p") for i in range(6)],
    ]
    stages = pd.DataFrame(
        {
            "opp_id": ["s5", "s5", "s5", "s4", "s4", "s4"],
            "stage": ["lead", "proposal", "follow-up", "lead", "proposal", "negotiation"],
            "entered_at": [
                d(x) for x in ("2024-11-01", "2024-12-01", "2024-12-01", "2024-11-01", "2024-12-01", "2025-04-02")
            ],
        }
    )
    frames = {"reps": reps_frame([("a", "t", "r")]), "opportunities": _deals(rows), "stage_history": stages}
    ds = dataset_from_frames(tmp_path / "src", frames)
    slipping = slipping_deals(ds, dt.date(2025, 3, 31), limit=3)
    assert slipping.total == 6 and slipping.value == pytest.approx(2100.0)
    assert slipping.rows["opp_id"].tolist() == ["s5", "s4", "s3"]
    assert slipping.rows["slips"].tolist() == [3, 3, 3]
    # s5 entered follow-up and proposal the same day (the later stage counts); s4 entered
    # negotiation after the as-of date; s3 has no stage history
    assert slipping.rows["stage"].tolist() == ["proposal", "proposal", "—"]
    # the pipeline's stage at each origin: the same rule, by the coded as-of lookup
    deals = pl.open_deals(ds, [pd.Timestamp("2024-11-30"), pd.Timestamp("2025-03-31")], 1).execute()
    stage = deals.assign(origin=pd.to_datetime(deals["origin"])).set_index(["origin", "opp_id"])["stage"]
    assert stage[(pd.Timestamp("2024-11-30"), "s5")] == "lead"
    assert stage[(pd.Timestamp("2025-03-31"), "s5")] == "proposal" == stage[(pd.Timestamp("2025-03-31"), "s4")]
    assert stage[(pd.Timestamp("2025-03-31"), "s3")] == pl.UNKNOWN
