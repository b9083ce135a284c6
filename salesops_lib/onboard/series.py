"""Recognise a *period series* export: one row per week or month, no record id, a date or month
column that is unique per row and regularly spaced, a revenue (sales) column and maybe spend
columns per channel (a marketing-mix dataset, an ERP month-end extract).

Such a file holds no records to map: the draft books one synthetic order per period (its amount
the period's revenue) and one expense per period and spend column (its category the channel).
The words that name revenue, spend and context columns live in ``synonyms.yaml`` (``series:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import pairwise
from statistics import median
from typing import Literal

from salesops_lib.onboard.match import norm, synonyms
from salesops_lib.onboard.profile import ColumnProfile, SourceFile, parse_date

Step = Literal["weekly", "monthly"]
#: share of the gaps between consecutive periods that must be one step
REGULAR_SHARE = 0.8
#: fewest periods for a series
MIN_PERIODS = 4
_ID_TOKENS = {"id", "no", "nr", "number", "code", "key", "编号", "单号", "号码", "工号", "代码"}
_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\x00-\x7f]+")


@dataclass(frozen=True)
class Words:
    """``synonyms.yaml`` ``series:``, normalised."""

    revenue: tuple[str, ...]
    not_revenue: tuple[str, ...]
    spend: tuple[str, ...]
    spend_suffixes: tuple[str, ...]
    context: tuple[str, ...]
    context_suffixes: tuple[str, ...]


@cache
def words() -> Words:
    """The period-series words (read once)."""
    raw = synonyms()["series"]
    return Words(
        revenue=tuple(norm(str(w)) for w in raw["revenue"]),
        not_revenue=tuple(norm(str(w)) for w in raw["not_revenue"]),
        spend=tuple(norm(str(w)) for w in raw["spend"]),
        spend_suffixes=tuple(str(s) for s in raw["spend_suffixes"]),
        context=tuple(norm(str(w)) for w in raw["context"]),
        context_suffixes=tuple(str(s) for s in raw["context_suffixes"]),
    )


@dataclass(frozen=True)
class PeriodSeries:
    """A file that is one row per period: its date column, step, revenue, spend and context."""

    source: SourceFile
    date: ColumnProfile
    step: Step
    #: the revenue column, and the other columns named like revenue (alternatives)
    revenue: str
    other_revenue: tuple[str, ...]
    #: (spend column, channel name)
    spend: tuple[tuple[str, str], ...]
    #: columns left unmapped: impressions, clicks, competitor sales, events, a row number …
    context: tuple[str, ...]
    #: the raw text of the first period (a one-row dimension is built from that row)
    first: str
    #: every period is dated on its month's first day (or has no day at all)
    month_start: bool

    @property
    def periods(self) -> int:
        """How many periods (rows)."""
        return self.source.rows


def _tokens(header: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    return [t.lower() for t in _TOKEN.findall(spaced)]


def _id_like(name: str) -> bool:
    return any(t in _ID_TOKENS for t in _tokens(name)) or any(w in name for w in ("编号", "单号", "工号", "号码"))


def has_id_column(source: SourceFile) -> bool:
    """A unique column whose header reads like an id (``order_id``, ``OrderID``, ``编号``, ``Invoice No``)."""
    return any(c.unique and c.kind != "date" and _id_like(c.name) for c in source.columns)


def _is_context(name: str) -> bool:
    w = words()
    return name.endswith(w.context_suffixes) or any(word in norm(name) for word in w.context)


def revenue_score(name: str) -> int:
    """3: the header is a revenue word (``Sales``, ``销售额``); 2: it contains one; 0: neither, or
    it is a context column (``competitor_sales_B``) or a plan (``Target Sales``, ``销售目标``).
    """
    key = norm(name)
    if _is_context(name) or any(word in key for word in words().not_revenue):
        return 0
    if key in words().revenue:
        return 3
    return 2 if any((len(word) >= 4 or not word.isascii()) and word in key for word in words().revenue) else 0


def channel(name: str) -> str | None:
    """The channel a spend column is for (``tv_S`` → ``tv``, ``电视投放`` → ``电视``), or None."""
    w = words()
    if name.endswith(w.context_suffixes):
        return None
    for suffix in w.spend_suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)].strip("_ .-").lower()
    key = rest = norm(name)
    for word in sorted(w.spend, key=len, reverse=True):
        rest = rest.replace(word, "")
    if rest == key:
        return None
    return rest or key


def _step(dates: list[datetime]) -> Step | None:
    gaps = [(b - a).days for a, b in pairwise(dates)]
    if not gaps:
        return None
    mid = median(gaps)
    if 6 <= mid <= 8:
        return "weekly" if sum(6 <= g <= 8 for g in gaps) >= REGULAR_SHARE * len(gaps) else None
    if 28 <= mid <= 31:
        return "monthly" if sum(28 <= g <= 31 for g in gaps) >= REGULAR_SHARE * len(gaps) else None
    return None


def period_series(source: SourceFile) -> PeriodSeries | None:
    """``source`` as a period series, or None when it is not one (an id column, no date or month
    column unique per row, irregular spacing, or no column named like revenue).
    """
    if source.rows < MIN_PERIODS or has_id_column(source):
        return None
    for date in source.columns:
        if date.kind != "date" or not date.date_format or date.distinct < 0.95 * source.rows:
            continue
        parsed = {v: d for v in date.all_values if (d := parse_date(v, date.date_format)) is not None}
        ordered = sorted(parsed.values())
        step = _step(ordered)
        if step is None:
            continue
        numbers = [c for c in source.columns if c.kind == "number" and c is not date]
        ranked = sorted(
            (c for c in numbers if revenue_score(c.name)), key=lambda c: (-revenue_score(c.name), -c.filled)
        )
        if not ranked:
            return None
        spend = tuple((c.name, ch) for c in numbers if c not in ranked and (ch := channel(c.name)))
        taken = {date.name, *(c.name for c in ranked), *(s for s, _ in spend)}
        first = min(parsed, key=lambda v: parsed[v])
        return PeriodSeries(
            source=source,
            date=date,
            step=step,
            revenue=ranked[0].name,
            other_revenue=tuple(c.name for c in ranked[1:]),
            spend=spend,
            context=tuple(c.name for c in source.columns if c.name not in taken),
            first=first,
            month_start="%d" not in date.date_format or all(d.day == 1 for d in ordered),
        )
    return None


def numbers_only(source: SourceFile) -> bool:
    """Only numbers and dates, no id column: a statistical series or cross-section, no CRM table."""
    return not has_id_column(source) and all(c.kind in ("number", "date", "empty") for c in source.columns)
