"""Months, quarters and ISO weeks: the one home of period arithmetic.

A *period* is a month written ``YYYY-MM``. Month starts are ``pandas.Timestamp`` at midnight of
the first day, so they index frames and compare with dates in the engine's output.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import re

import pandas as pd

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")  # fullmatch: `$` would accept a trailing newline
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK = re.compile(r"(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])")


def resolve_period(text: str, *, today: dt.date | None = None) -> str:
    """``YYYY-MM`` as given, or the previous calendar month for ``last-month``.

    Examples
    --------
    >>> resolve_period("2026-10"), resolve_period("last-month", today=dt.date(2026, 1, 15))
    ('2026-10', '2025-12')
    """
    if text == "last-month":
        today = today or dt.date.today()
        previous = today.replace(day=1) - dt.timedelta(days=1)
        return f"{previous.year:04d}-{previous.month:02d}"
    if not _PERIOD.fullmatch(text):
        raise ValueError(f"period must be YYYY-MM or last-month, got {text!r}")
    return text


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month ``YYYY-MM``.

    Examples
    --------
    >>> period_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def month_start(day: dt.date | pd.Timestamp | str) -> pd.Timestamp:
    """The first day of the month holding ``day`` (a date, a timestamp or ``YYYY-MM``).

    Examples
    --------
    >>> month_start(dt.date(2026, 10, 17)), month_start("2026-10")
    (Timestamp('2026-10-01 00:00:00'), Timestamp('2026-10-01 00:00:00'))
    """
    stamp = pd.Timestamp(day + "-01" if isinstance(day, str) and len(day) == 7 else day)
    return stamp.to_period("M").start_time


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (earlier when negative), clipped to the
    month's last day.

    Examples
    --------
    >>> add_months(dt.date(2026, 3, 31), -1), add_months(dt.date(2026, 1, 15), 12)
    (datetime.date(2026, 2, 28), datetime.date(2027, 1, 15))
    """
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def months_between(first: dt.date | pd.Timestamp, last: dt.date | pd.Timestamp) -> int:
    """Whole calendar months from the month of ``first`` to the month of ``last``.

    Examples
    --------
    >>> months_between(dt.date(2025, 11, 30), dt.date(2026, 2, 1))
    3
    """
    return (last.year - first.year) * 12 + last.month - first.month


def quarter_label(day: dt.date | pd.Timestamp) -> str:
    """``2025Q2`` for any day of that quarter.

    Examples
    --------
    >>> quarter_label(dt.date(2025, 5, 31))
    '2025Q2'
    """
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def week_label(day: dt.date | pd.Timestamp) -> str:
    """The ISO week holding ``day``, as ``2026-W05`` (weeks run Monday to Sunday; the year is the
    ISO year, so 2025-12-29 is in ``2026-W01``).

    Examples
    --------
    >>> week_label(dt.date(2026, 1, 26)), week_label(dt.date(2025, 12, 29))
    ('2026-W05', '2026-W01')
    """
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def window_day(text: str, *, end: bool = False) -> dt.date:
    """A bound of a date window written as a day, a month or an ISO week.

    ``YYYY-MM-DD`` is that day; ``YYYY-MM`` and ``YYYY-Www`` are the first day of the month or week
    (its Monday) as a start, their last day (the month's last day, the Sunday) as an ``end``.

    Raises
    ------
    ValueError
        When ``text`` is none of these.

    Examples
    --------
    >>> window_day("2025-06"), window_day("2025-06", end=True), window_day("2026-W05", end=True)
    (datetime.date(2025, 6, 1), datetime.date(2025, 6, 30), datetime.date(2026, 2, 1))
    """
    text = text.strip()
    if _PERIOD.fullmatch(text):
        first, last = period_bounds(text)
        return last if end else first
    week = _WEEK.fullmatch(text)
    if week:
        try:
            return dt.date.fromisocalendar(int(week[1]), int(week[2]), 7 if end else 1)
        except ValueError:
            raise ValueError(f"{text!r} is not a week of {week[1]}") from None
    if _DAY.fullmatch(text):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD, a month YYYY-MM or a week YYYY-Www")
