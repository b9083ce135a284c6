"""What tracking reads: reps, monthly target lines, and bookings aggregated in the engine by
rep × week, rep × month and rep × day (the reporting month only), plus the company's weekday
profile. Only these aggregates reach pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import pandas as pd

from salesops_lib.analyses.target_tracking.calendar import month_index
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import rep_roster, revenue_events

PROFILE_DAYS = 182
"""Days of company bookings before the as-of date that set the weekday profile of pacing."""


@dataclass(frozen=True)
class TrackingInputs:
    """Small frames for tracking as of ``as_of``."""

    as_of: dt.date
    #: rep_id, name, team, region, hire_date, exit_date
    reps: pd.DataFrame
    #: months covered by ``targets`` (month starts)
    months: pd.DatetimeIndex
    #: level, unit_id, period (month start), amount
    targets: pd.DataFrame
    #: rep_id, period (Monday), amount — complete weeks of the window
    weekly: pd.DataFrame
    #: rep_id, period (month start), amount
    monthly: pd.DataFrame
    #: rep_id, period (day), amount — the reporting month up to as_of
    daily: pd.DataFrame
    #: period (day), amount — the company's bookings from 1 January of as_of's year
    company_daily: pd.DataFrame
    #: share of a week's bookings on Monday … Sunday (sums to 1)
    weekday_profile: pd.Series


def load_inputs(data: Dataset, as_of: dt.date, first_day: dt.date, last_month: dt.date) -> TrackingInputs:
    """Read targets for the months ``first_day`` … ``last_month`` and bookings from ``first_day`` to ``as_of``."""
    reps = rep_roster(data)
    months = month_index(first_day, last_month)
    t = data.table("targets")
    t = t.filter((t.period >= months[0].date()) & (t.period <= months[-1].date()))
    targets = t.group_by("level", "unit_id", "period").agg(amount=t.amount.sum()).execute()
    targets["period"] = pd.to_datetime(targets["period"]).dt.to_period("M").dt.start_time
    events = revenue_events(data)
    events = events.filter(events.rep_id.notnull() & (events.at <= as_of))
    month_start = dt.date(as_of.year, as_of.month, 1)
    return TrackingInputs(
        as_of=as_of,
        reps=reps,
        months=months,
        targets=targets,
        weekly=_by_rep(events, first_day, "W"),
        monthly=_by_rep(events, months[0].date(), "M"),
        daily=_by_rep(events, month_start, "D"),
        company_daily=_company_daily(events, dt.date(as_of.year, 1, 1)),
        weekday_profile=_weekday_profile(events, as_of),
    )


def _by_rep(events: ibis.Table, start: dt.date, unit: str) -> pd.DataFrame:
    inside = events.filter(events.at >= start)
    period = inside.at if unit == "D" else inside.at.truncate(unit)
    frame: pd.DataFrame = inside.group_by(rep_id=inside.rep_id, period=period).agg(amount=inside.amount.sum()).execute()
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _company_daily(events: ibis.Table, start: dt.date) -> pd.DataFrame:
    inside = events.filter(events.at >= start)
    frame: pd.DataFrame = inside.group_by(period=inside.at).agg(amount=inside.amount.sum()).execute()
    frame["period"] = pd.to_datetime(frame["period"])
    return frame.sort_values("period").reset_index(drop=True)


def _weekday_profile(events: ibis.Table, as_of: dt.date) -> pd.Series:
    recent = events.filter(events.at > as_of - dt.timedelta(days=PROFILE_DAYS))
    by_day: pd.DataFrame = (
        recent.group_by(weekday=recent.at.day_of_week.index()).agg(amount=recent.amount.sum()).execute()
    )
    profile: pd.Series = by_day.set_index("weekday")["amount"].reindex(range(7)).fillna(0.0).clip(lower=0)
    if profile.sum() <= 0:
        profile[:] = 1.0
    return profile / profile.sum()
