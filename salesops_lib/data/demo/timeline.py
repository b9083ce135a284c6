"""The generator's calendar: days, months, ISO weeks, weekday and holiday weights, and the
noise-free company revenue path (trend × season × Spring Festival) that is the forecast truth.

Days are integers counted from 1970-01-01 ("epoch days"), which DuckDB and Arrow store as dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.spec import CNY_DATES, DemoConfig

EPOCH = dt.date(1970, 1, 1)
HORIZON_DAYS = 183
"""Deals are simulated this far beyond ``as_of`` so that the open pipeline at ``as_of`` exists."""


def to_day(value: dt.date) -> int:
    """Epoch day of a date."""
    return (value - EPOCH).days


def to_date(day: int) -> dt.date:
    """Date of an epoch day."""
    return EPOCH + dt.timedelta(days=int(day))


def month_index(value: dt.date) -> int:
    """Months since year 0 (for month arithmetic)."""
    return value.year * 12 + value.month - 1


def month_start(index: int) -> dt.date:
    """First day of the month ``index`` (see :func:`month_index`)."""
    return dt.date(index // 12, index % 12 + 1, 1)


def iso_week(day: np.ndarray | int) -> np.ndarray:
    """ISO week number since the Monday 1970-01-05 (weeks start on Monday)."""
    return (np.asarray(day) - 4) // 7


def cny_factor(days: np.ndarray, core: float, tail: float) -> np.ndarray:
    """Day multiplier of the Spring Festival dip: ``core`` from 7 days before to 7 days after
    New Year's day, ``tail`` for the week after, 1 elsewhere.
    """
    out = np.ones(days.shape, dtype=np.float64)
    for date in CNY_DATES.values():
        d0 = to_day(date)
        out[(days >= d0 - 7) & (days <= d0 + 7)] = core
        out[(days > d0 + 7) & (days <= d0 + 14)] = tail
    return out


def holiday_factor(dates_month: np.ndarray, dates_day: np.ndarray) -> np.ndarray:
    """Golden weeks: 1–7 October (国庆) and 1–3 May are slow."""
    out = np.ones(dates_month.shape, dtype=np.float64)
    out[(dates_month == 10) & (dates_day <= 7)] = 0.3
    out[(dates_month == 5) & (dates_day <= 3)] = 0.4
    return out


@dataclass(frozen=True)
class Timeline:
    """Every calendar array the generator indexes into (simulation days ``start … end``)."""

    start: dt.date
    as_of: dt.date
    end: dt.date
    days: np.ndarray  #: epoch day of each simulation day
    month_of_day: np.ndarray  #: index into the month arrays
    month_first: np.ndarray  #: epoch day of each month's first day
    month_days: np.ndarray  #: days in each month
    month_calendar: np.ndarray  #: calendar month 1..12 of each month
    month_year: np.ndarray  #: year of each month
    weekday: np.ndarray  #: 0 = Monday
    q: np.ndarray  #: business weight of the day (weekday × holidays × Spring Festival)
    cny: np.ndarray  #: Spring Festival multiplier of the day
    push: np.ndarray  #: month-end push multiplier of the day (orders only)
    period_of_day: np.ndarray  #: revenue period (ISO week, split at as_of) of each day
    period_first: np.ndarray  #: index of the first day of each period
    period_week: np.ndarray  #: ISO week of each period
    period_future: np.ndarray  #: True for periods after as_of
    r_star: np.ndarray  #: noise-free company revenue of each month (the forecast truth)
    n_window_months: int  #: months from ``start`` to the ``as_of`` month inclusive

    @property
    def start_day(self) -> int:
        """Epoch day of the first simulated day."""
        return int(self.days[0])

    @property
    def as_of_day(self) -> int:
        """Epoch day of ``as_of``."""
        return to_day(self.as_of)

    @property
    def n_days(self) -> int:
        """Number of days in the calendar: the history and the horizon after ``as_of``."""
        return int(self.days.size)

    @property
    def n_months(self) -> int:
        """Number of months in the calendar: the history and the horizon after ``as_of``."""
        return int(self.month_first.size)

    @property
    def as_of_month(self) -> int:
        """Index of the month that holds ``as_of``."""
        return self.n_window_months - 1

    def day_index(self, day: np.ndarray | int) -> np.ndarray:
        """Position of epoch day(s) in the simulation arrays."""
        return np.asarray(day) - self.start_day

    def month_of(self, day: np.ndarray) -> np.ndarray:
        """Month index of epoch days inside the simulation range."""
        months: np.ndarray = self.month_of_day[self.day_index(day)]
        return months

    def alert_weeks(self, n: int) -> np.ndarray:
        """ISO weeks of the last ``n`` complete weeks (Monday–Sunday) ending on or before ``as_of``."""
        last_sunday = self.as_of_day - ((self.as_of.weekday() + 1) % 7)
        last_week = int(iso_week(last_sunday))
        return np.arange(last_week - n + 1, last_week + 1)


def build_timeline(cfg: DemoConfig) -> Timeline:
    """The calendar of ``cfg``: history start to ``as_of`` plus a half-year simulation horizon."""
    m = cfg.model
    start, as_of = cfg.start, cfg.as_of
    # deals run half a year past as_of; plans (targets, budgets) run to the end of as_of's year
    end_month = max(month_index(as_of + dt.timedelta(days=HORIZON_DAYS)), as_of.year * 12 + 11)
    end = month_start(end_month + 1) - dt.timedelta(days=1)
    days = np.arange(to_day(start), to_day(end) + 1, dtype=np.int64)
    months = np.arange(month_index(start), end_month + 1)
    month_first = np.array([to_day(month_start(int(i))) for i in months], dtype=np.int64)
    month_days = np.diff(np.append(month_first, to_day(end) + 1))
    month_of_day = np.repeat(np.arange(months.size), month_days)
    as_dates = days.astype("datetime64[D]")
    cal_month = (as_dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
    cal_day = (as_dates - as_dates.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (days - 4) % 7
    cny = cny_factor(days, m.cny_core, m.cny_tail)
    q = np.asarray(m.weekday)[weekday] * holiday_factor(cal_month, cal_day) * cny
    days_left = (as_dates.astype("datetime64[M]") + 1).astype("datetime64[D]") - as_dates
    push = np.where(days_left.astype(np.int64) <= m.month_end_days, m.month_end_push, 1.0)
    # revenue periods: ISO weeks, split where the future begins
    key = iso_week(days) * 2 + (days > to_day(as_of))
    _, first, period_of_day = np.unique(key, return_index=True, return_inverse=True)
    period_week = iso_week(days[first])
    period_future = days[first] > to_day(as_of)
    # noise-free company revenue: trend × season × Spring Festival (mean multiplier of the month)
    month_cal = (months % 12) + 1
    cny_month = np.add.reduceat(cny, np.searchsorted(days, month_first)) / month_days
    n_slots = sum(cfg.size.teams_per_region) * cfg.size.slots_per_team
    base = m.revenue_per_rep_month * n_slots
    trend = (1 + m.growth) ** ((np.arange(months.size) + 0.5) / 12)
    r_star = base * trend * np.asarray(m.season)[month_cal - 1] * cny_month
    return Timeline(
        start=start,
        as_of=as_of,
        end=end,
        days=days,
        month_of_day=month_of_day,
        month_first=month_first,
        month_days=month_days,
        month_calendar=month_cal,
        month_year=months // 12,
        weekday=weekday,
        q=q,
        cny=cny,
        push=push,
        period_of_day=period_of_day,
        period_first=first,
        period_week=period_week,
        period_future=period_future,
        r_star=r_star,
        n_window_months=int(month_index(as_of) - month_index(start) + 1),
    )
