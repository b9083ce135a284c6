"""The data-coverage guard: does the data carry what an analysis says about the period?

One check for every analysis (the spec's ``run`` and the report page both call it):

* **reach** — every dated table the analysis uses reaches the period end (a mid-month extract
  does not: its month looks like a collapse). Findings of such a run are downgraded to info
  with the reason.
* **history** — each method has the months it needs (``AnalysisSpec.history``, e.g. seasonality
  24); without them, the findings that rest on the method are downgraded to info.
* **outlier deals** — one deal above :data:`OUTLIER_SHARE` of the period's revenue (and at
  least twice the period's median deal), or a robust z-score above :data:`OUTLIER_Z` on the log
  amount against the last twelve months: listed with their share, with the period's revenue with
  and without them (their influence); findings about their rep, customer or the company say so.

The result is data (:class:`Coverage`); the report layer words it (banner, table, caveats).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import ibis
import ibis.expr.types as ir
import pandas as pd

from salesops_lib.analyses import capabilities
from salesops_lib.analyses.findings import Finding
from salesops_lib.core.periods import add_months, months_between
from salesops_lib.data import Dataset
from salesops_lib.data.coverage import EVENT_COLUMNS, TableReach, table_reach

if TYPE_CHECKING:
    from salesops_lib.analyses.spec import AnalysisSpec

OUTLIER_SHARE = 0.20
"""A deal above this share of the period's revenue (and well above its median deal) is an outlier."""
OUTLIER_Z = 5.0
"""A deal whose robust z-score of the log amount exceeds this is an outlier."""
_MAD_SCALE = 1.4826  # MAD of a normal distribution → its standard deviation


@dataclass(frozen=True)
class ShortHistory:
    """A method without the months of history it needs."""

    method: str
    needed: int
    available: int
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class OutlierDeal:
    """One deal that weighs unusually on the period."""

    deal_id: str
    at: dt.date
    rep_id: str
    customer_id: str
    amount: float
    #: its share of the period's revenue
    share: float
    #: robust z-score of its log amount against the last twelve months' deals
    z: float


@dataclass(frozen=True)
class Coverage:
    """What the data carry for one analysis and period (see the module docstring)."""

    period_end: dt.date
    #: dated tables the analysis uses that stop before the period end
    short_tables: tuple[TableReach, ...] = ()
    short_history: tuple[ShortHistory, ...] = ()
    outliers: tuple[OutlierDeal, ...] = ()
    #: the period's revenue with and without the outlier deals (None without revenue facts)
    revenue: float | None = None
    revenue_without: float | None = None

    @property
    def complete(self) -> bool:
        """True when every table reaches the period end and every method has its history."""
        return not self.short_tables and not self.short_history

    @property
    def quiet(self) -> bool:
        """True when there is nothing to say on the page."""
        return self.complete and not self.outliers


def check_coverage(
    spec: AnalysisSpec[Any, Any], data: Dataset, period: str, params: object = None, *, end: dt.date | None = None
) -> Coverage:
    """The coverage of ``data`` for ``spec`` in month ``period`` with the analysis' ``params``
    (the defaults when None; ``end``: the run's last day, the month's last day when None).

    Examples
    --------
    >>> from salesops_lib.catalog import CATALOG
    >>> from salesops_lib.data import connect
    >>> check_coverage(CATALOG["forecast"].spec, connect("demo:small:2025-06-30"), "2025-06").complete  # doctest: +SKIP
    True
    """
    from salesops_lib.core.periods import period_bounds

    start, month_end = period_bounds(period)
    end = end or month_end
    reaches = [r for r in (table_reach(data, name, until=end) for name in used_tables(spec, data)) if r is not None]
    short = tuple(r for r in reaches if not r.reaches(end))
    first = min((r.first for r in reaches), default=None)
    available = months_between(first, end) + 1 if first is not None else 0
    params = params if params is not None else spec.params()
    needs = [(need, need.needed(params)) for need in spec.history]
    history = tuple(ShortHistory(n.method, months, available, n.kinds) for n, months in needs if available < months)
    coverage = Coverage(end, short, history)
    deals = period_deals(data, start, end) if "revenue" in _needs(spec) else None
    if deals is None:
        return coverage
    revenue, outliers = outlier_deals(deals, start)
    without = revenue - sum(o.amount for o in outliers)
    return replace(coverage, outliers=outliers, revenue=revenue, revenue_without=without)


def used_tables(spec: AnalysisSpec[Any, Any], data: Dataset) -> list[str]:
    """The dated tables the spec's core and sections read from ``data``, in the spec's order
    (for a capability with alternatives, the first one the data have).
    """
    tables: list[str] = []
    for need in _needs(spec):
        cap = capabilities.capability(need)
        chosen = next((alt for alt in cap.any_of if data.has(*alt) and alt[0] not in data.derived), ())
        tables += [t for t in chosen if t in EVENT_COLUMNS and t not in tables]
    return tables


def period_deals(data: Dataset, start: dt.date, end: dt.date) -> ir.Table | None:
    """Deals booked from twelve months before ``start`` to ``end``, one row per order or won deal
    (``deal_id``, ``at``, ``rep_id``, ``customer_id``, ``amount``), as an engine expression; None
    without revenue facts.
    """
    table: ir.Table
    if data.has("orders"):
        o = data.table("orders")
        table = o.select(
            deal_id=o.order_id, at=o.ordered_at, rep_id=o.rep_id, customer_id=o.customer_id, amount=o.amount
        )
    elif data.has("opportunities"):
        o = data.table("opportunities")
        won = o.filter((o.status == "won") & o.closed_at.notnull())
        table = won.select(
            deal_id=won.opp_id, at=won.closed_at, rep_id=won.rep_id, customer_id=won.customer_id, amount=won.amount
        )
    else:
        return None
    day = table.at.cast("date")
    window = table.filter((day >= ibis.literal(add_months(start, -12))) & (day <= ibis.literal(end)))
    return window.group_by("deal_id").agg(
        at=window.at.cast("date").max(),
        rep_id=window.rep_id.cast("string").min(),
        customer_id=window.customer_id.cast("string").min(),
        amount=window.amount.cast("float64").sum(),
    )


def outlier_deals(deals: ir.Table, start: dt.date) -> tuple[float, tuple[OutlierDeal, ...]]:
    """The period's revenue (from ``start``) and its outlier deals among ``deals`` (see
    :func:`period_deals`). The medians and the flags are computed in the engine: only the
    flagged deals come back.
    """
    revenue = float(deals.filter(deals.at >= ibis.literal(start)).amount.sum().fill_null(0.0).execute())
    positive = deals.filter(deals.amount > 0)
    logs = positive.amount.ln()
    in_period = positive.at >= ibis.literal(start)
    stats = positive.aggregate(
        median_log=logs.median(),
        total=positive.amount.sum(where=in_period),
        # not median(where=…): Ibis writes that for Spark as percentile(IF(c, x, NULL), IF(c, 0.5, NULL)),
        # which Spark refuses (the percentage must be a constant); a median skips NULLs everywhere
        median_deal=cast("ir.FloatingColumn", ibis.ifelse(in_period, positive.amount, ibis.null("float64"))).median(),
    ).execute()
    total = float(stats["total"].iloc[0] or 0.0)
    if total <= 0 or pd.isna(stats["median_log"].iloc[0]):
        return revenue, ()
    median, median_deal = float(stats["median_log"].iloc[0]), float(stats["median_deal"].iloc[0])
    mad = float(positive.aggregate(mad=(logs - median).abs().median()).execute()["mad"].iloc[0]) * _MAD_SCALE
    inside = positive.filter(in_period)
    share = inside.amount / total
    flag = (share > OUTLIER_SHARE) & (inside.amount >= 2 * median_deal)
    z = ((inside.amount.ln() - median) / mad) if mad > 0 else (inside.amount * 0.0)
    if mad > 0:
        flag = flag | (z > ibis.literal(OUTLIER_Z))
    flagged = inside.mutate(share=share, z=z).filter(flag).order_by(ibis.desc("amount"))
    rows = flagged.execute().to_dict("records")
    return revenue, tuple(
        OutlierDeal(
            str(row["deal_id"]),
            pd.Timestamp(str(row["at"])).date(),
            _text(row["rep_id"]),
            _text(row["customer_id"]),
            float(row["amount"]),
            float(row["share"]),
            float(row["z"]),
        )
        for row in rows
    )


def guard_findings(findings: Sequence[Finding], coverage: Coverage, units: Iterable[str] = ()) -> tuple[Finding, ...]:
    """``findings`` as the coverage allows: downgraded to info with the reason when the data stop
    before the period end or a method lacks history; marked when an outlier deal drives them
    (a finding about an outlier's rep or customer, one of ``units`` holding them, or the company).
    """
    return tuple(_guard(f, coverage, set(units)) for f in findings)


def outlier_units(coverage: Coverage, data: Dataset) -> set[str]:
    """The reps, customers, teams and regions of the outlier deals."""
    units = {u for o in coverage.outliers for u in (o.rep_id, o.customer_id) if u}
    reps = {o.rep_id for o in coverage.outliers if o.rep_id}
    if reps and data.has("reps") and "reps" not in data.derived:
        r = data.table("reps")
        rows = r.filter(r.rep_id.isin(sorted(reps))).select("team", "region").to_pandas()
        units |= {str(v) for v in rows.to_numpy().ravel() if isinstance(v, str) and v}
    return units


def _guard(finding: Finding, coverage: Coverage, units: set[str]) -> Finding:
    caveats: list[dict[str, Any]] = []
    for reach in coverage.short_tables:
        caveats.append(
            {
                "code": "partial_period",
                "table": reach.table,
                "data_end": str(reach.last),
                "end": str(coverage.period_end),
            }
        )
    for short in coverage.short_history:
        if not short.kinds or finding.kind in short.kinds:
            caveats.append(
                {"code": "short_history", "method": short.method, "months": short.available, "needed": short.needed}
            )
    downgrade = bool(caveats)
    if coverage.outliers and (finding.unit in units or finding.level == "company"):
        share = sum(o.share for o in coverage.outliers)
        deals = ", ".join(o.deal_id for o in coverage.outliers[:3])
        caveats.append({"code": "outlier", "deals": deals, "share": share})
    if not caveats:
        return finding
    return replace(
        finding,
        severity="info" if downgrade else finding.severity,
        facts={**finding.facts, "caveats": [*(finding.facts.get("caveats") or []), *caveats]},
    )


def _needs(spec: AnalysisSpec[Any, Any]) -> tuple[str, ...]:
    return (*spec.requires, *(n for s in spec.sections for n in s.needs))


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
