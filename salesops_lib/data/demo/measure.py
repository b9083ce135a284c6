"""Measure each effect on the written tables with plain SQL, by the definitions the manifest
states. The generator records these measurements; tests re-measure independently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

ALERT_THRESHOLD = 0.80


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def month_add(day: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` after ``day``'s month."""
    i = day.year * 12 + day.month - 1 + months
    return dt.date(i // 12, i % 12 + 1, 1)


def conversion(con: duckdb.DuckDBPyConnection, region: str, channel: str, as_of: dt.date) -> dict[str, Any]:
    """Lead→opportunity conversion by region (and channel): latest month vs. the 6 before.

    A lead converts when some opportunity carries its ``lead_id``; the lead's region is its rep's.
    Rates are per calendar month of ``leads.created_at``; the baseline is the mean of the six
    monthly rates before the latest month.
    """
    latest = month_add(as_of, 0)
    first = month_add(as_of, -6)
    rows = _rows(
        con,
        """
        WITH conv AS (SELECT DISTINCT lead_id FROM opportunities WHERE lead_id IS NOT NULL)
        SELECT date_trunc('month', l.created_at)::DATE AS month, r.region, l.channel,
               count(*) AS leads, count(c.lead_id) AS converted
        FROM leads l JOIN reps r ON r.rep_id = l.rep_id LEFT JOIN conv c ON c.lead_id = l.lead_id
        WHERE l.created_at >= ? AND l.created_at <= ?
        GROUP BY ALL""",
        [first, as_of],
    )

    def rates(filter_region: str | None, filter_channel: str | None) -> list[float]:
        out = []
        for k in range(-6, 1):
            mth = month_add(as_of, k)
            sel = [
                r
                for r in rows
                if r[0] == mth
                and (filter_region is None or r[1] == filter_region)
                and (filter_channel is None or r[2] == filter_channel)
            ]
            leads, conv = sum(r[3] for r in sel), sum(r[4] for r in sel)
            out.append(conv / leads if leads else float("nan"))
        return out

    def change(series: list[float]) -> float:
        base = float(np.mean(series[:6]))
        return series[6] / base - 1 if base else float("nan")

    regions = sorted({r[1] for r in rows})
    channels = sorted({r[2] for r in rows if r[2] is not None})
    region_rates = rates(region, None)
    return {
        "latest_month": latest.isoformat(),
        "rate_latest": _r(region_rates[6]),
        "rate_baseline": _r(float(np.mean(region_rates[:6]))),
        "baseline_monthly_sd": _r(float(np.std(region_rates[:6], ddof=1))),
        "relative_change": _r(change(region_rates)),
        "channel_relative_change": {c: _r(change(rates(region, c))) for c in channels},
        "other_regions_relative_change": {g: _r(change(rates(g, None))) for g in regions if g != region},
    }


def revenue_per_fte(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> dict[str, dict[str, Any]]:
    """Revenue (orders amount) ÷ FTE per team over ``first``…``last``; FTE = employed days in the
    window ÷ days in the window, from hire and exit dates (both inclusive).
    """
    rows = _rows(
        con,
        """
        WITH fte AS (
            SELECT team, region, sum(greatest(0, date_diff('day', greatest(coalesce(hire_date, $1), $1),
                                                          least(coalesce(exit_date, $2), $2)) + 1))
                         / (date_diff('day', $1, $2) + 1) AS fte
            FROM reps GROUP BY ALL),
        rev AS (SELECT r.team, sum(o.amount) AS revenue FROM orders o JOIN reps r ON r.rep_id = o.rep_id
                WHERE o.ordered_at BETWEEN $1 AND $2 GROUP BY ALL)
        SELECT f.team, f.region, f.fte, coalesce(v.revenue, 0) FROM fte f LEFT JOIN rev v ON v.team = f.team
        ORDER BY f.team""",
        [first, last],
    )
    total_rev = sum(r[3] for r in rows)
    total_fte = sum(r[2] for r in rows)
    avg = total_rev / total_fte
    return {
        r[0]: {
            "region": r[1],
            "fte": round(r[2], 3),
            "revenue": round(r[3], 2),
            "per_fte": round(r[3] / r[2], 2) if r[2] else None,
            "gap": _r(r[3] / r[2] / avg - 1) if r[2] else None,
        }
        for r in rows
    } | {"__company__": {"per_fte": round(avg, 2)}}


def campaign(con: duckdb.DuckDBPyConnection, campaign_id: str, as_of: dt.date) -> dict[str, Any]:
    """A campaign's cost, sourced leads, opportunities (pipeline = their amount) and won value,
    and the pipeline ÷ cost and won-value ROI of the other campaigns started 90–365 days before
    as_of (first-touch: ``leads.campaign_id``).
    """
    rows = _rows(
        con,
        """
        WITH src AS (
            SELECT c.campaign_id, c.type, c.start_date, c.cost, count(DISTINCT l.lead_id) AS leads,
                   count(o.opp_id) AS opps, coalesce(sum(o.amount), 0) AS pipeline,
                   coalesce(sum(o.amount) FILTER (WHERE o.status = 'won'), 0) AS won
            FROM campaigns c LEFT JOIN leads l ON l.campaign_id = c.campaign_id
            LEFT JOIN opportunities o ON o.lead_id = l.lead_id
            GROUP BY ALL)
        SELECT * FROM src""",
    )
    mine = next(r for r in rows if r[0] == campaign_id)
    others = [
        r for r in rows if r[0] != campaign_id and (as_of - dt.timedelta(365)) <= r[2] <= (as_of - dt.timedelta(90))
    ]
    ratio = np.array([r[6] / r[3] for r in others])
    roi = np.array([(r[7] - r[3]) / r[3] for r in others])
    return {
        "cost": round(mine[3], 2),
        "leads": mine[4],
        "opportunities": mine[5],
        "pipeline": round(mine[6], 2),
        "won_value": round(mine[7], 2),
        "pipeline_to_cost": _r(mine[6] / mine[3]),
        "roi": _r((mine[7] - mine[3]) / mine[3]),
        "others_pipeline_to_cost": {
            "min": _r(ratio.min()),
            "median": _r(float(np.median(ratio))),
            "max": _r(ratio.max()),
        }
        if ratio.size
        else {},
        "others_roi": {"min": _r(roi.min()), "median": _r(float(np.median(roi))), "max": _r(roi.max())}
        if roi.size
        else {},
    }


def weekly_attainment(con: duckdb.DuckDBPyConnection, week_starts: list[dt.date]) -> dict[str, list[float | None]]:
    """Weekly attainment per rep for the given ISO weeks (Monday dates).

    Weekly target = Σ over the week's days of (the rep's monthly target ÷ days in that month);
    weekly actual = the rep's orders booked Monday–Sunday. ``None`` where the rep is not employed
    on all seven days or has no target.
    """
    rows = _rows(
        con,
        """
        WITH weeks AS (SELECT unnest($1::DATE[]) AS week),
        days AS (SELECT week, (week + to_days(i::INT))::DATE AS day FROM weeks, range(7) t(i)),
        tgt AS (SELECT unit_id AS rep_id, period, amount FROM targets WHERE level = 'rep'),
        wt AS (
            SELECT r.rep_id, d.week,
                   sum(t.amount / day(last_day(d.day))) AS target,
                   bool_and(d.day >= coalesce(r.hire_date, d.day) AND d.day <= coalesce(r.exit_date, d.day)) AS full
            FROM days d CROSS JOIN reps r
            LEFT JOIN tgt t ON t.rep_id = r.rep_id AND t.period = date_trunc('month', d.day)
            GROUP BY ALL),
        act AS (SELECT rep_id, date_trunc('week', ordered_at)::DATE AS week, sum(amount) AS actual
                FROM orders WHERE ordered_at >= $2 AND ordered_at <= $3 GROUP BY ALL)
        SELECT wt.rep_id, wt.week, wt.target, wt.full, coalesce(act.actual, 0)
        FROM wt LEFT JOIN act ON act.rep_id = wt.rep_id AND act.week = wt.week
        ORDER BY wt.rep_id, wt.week""",
        [week_starts, week_starts[0], week_starts[-1] + dt.timedelta(6)],
    )
    out: dict[str, list[float | None]] = {}
    for rep, _, target, full, actual in rows:
        value = actual / target if full and target else None
        out.setdefault(rep, []).append(None if value is None else round(value, 6))
    return out


def alert_reps(weekly: dict[str, list[float | None]], runs: int = 3) -> list[str]:
    """Reps below the threshold ``runs`` consecutive (fully employed) weeks."""
    fired = []
    for rep, values in weekly.items():
        run = 0
        for v in values:
            run = run + 1 if v is not None and v < ALERT_THRESHOLD else 0
            if run >= runs:
                fired.append(rep)
                break
    return fired


def account_change(con: duckdb.DuckDBPyConnection, as_of: dt.date, top: int = 20) -> list[dict[str, Any]]:
    """Top accounts by trailing-12-month order value with the change of the last 6 months vs the 6
    before (calendar months ending with as_of's month).
    """
    last6, prev6 = month_add(as_of, -5), month_add(as_of, -11)
    rows = _rows(
        con,
        """
        SELECT customer_id, sum(amount) AS t12m,
               sum(amount) FILTER (WHERE ordered_at >= $1) AS last6,
               sum(amount) FILTER (WHERE ordered_at < $1) AS prev6
        FROM orders WHERE ordered_at >= $2 AND ordered_at <= $3
        GROUP BY ALL ORDER BY t12m DESC, customer_id LIMIT $4""",
        [last6, prev6, as_of, top],
    )
    return [
        {
            "customer_id": r[0],
            "rank": i + 1,
            "t12m": round(r[1], 2),
            "last6": round(r[2] or 0, 2),
            "prev6": round(r[3] or 0, 2),
            "change": _r((r[2] or 0) / r[3] - 1) if r[3] else None,
        }
        for i, r in enumerate(rows)
    ]


def follow_up_days(con: duckdb.DuckDBPyConnection, change: dt.date, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Mean days in ``follow-up`` (entry to the next stage entry: proposal or lost) by region,
    for entries in the 180 days before ``change`` and from ``change`` to 60 days before as_of
    (completed stays only).
    """
    rows = _rows(
        con,
        """
        WITH deals AS (
            SELECT DISTINCT opp_id FROM stage_history
            WHERE stage = 'follow-up' AND entered_at >= $1 - INTERVAL 180 DAY AND entered_at <= $2 - INTERVAL 60 DAY),
        s AS (
            SELECT opp_id, stage, entered_at,
                   lead(entered_at) OVER (PARTITION BY opp_id ORDER BY entered_at,
                       CASE stage WHEN 'lead' THEN 0 WHEN 'follow-up' THEN 1 WHEN 'proposal' THEN 2
                                  WHEN 'negotiation' THEN 3 ELSE 4 END) AS next_at
            FROM stage_history SEMI JOIN deals USING (opp_id))
        SELECT r.region, s.entered_at < $1 AS before, avg(date_diff('day', s.entered_at, s.next_at)) AS days,
               count(*) AS n
        FROM s JOIN opportunities o ON o.opp_id = s.opp_id JOIN reps r ON r.rep_id = o.rep_id
        WHERE s.stage = 'follow-up' AND s.next_at IS NOT NULL
          AND s.entered_at >= $1 - INTERVAL 180 DAY AND s.entered_at <= $2 - INTERVAL 60 DAY
        GROUP BY ALL ORDER BY ALL""",
        [change, as_of],
    )
    out: dict[str, dict[str, Any]] = {}
    for region, before, days, n in rows:
        out.setdefault(region, {})["before" if before else "after"] = round(days, 3)
        out[region]["n_before" if before else "n_after"] = n
    return out


def overdue_share(con: duckdb.DuckDBPyConnection, cut: dt.date, window_days: int = 91) -> dict[str, float]:
    """Per region (of the order's rep): of the invoices (amount > 0) due in the ``window_days``
    up to ``cut``, the share of the amount still unpaid at ``cut``.
    """
    rows = _rows(
        con,
        """
        WITH paid AS (SELECT invoice_id, sum(amount) AS paid FROM payments WHERE paid_at <= $1 GROUP BY ALL)
        SELECT r.region, sum(i.amount - least(i.amount, coalesce(p.paid, 0))) / sum(i.amount)
        FROM invoices i JOIN orders o ON o.order_id = i.order_id JOIN reps r ON r.rep_id = o.rep_id
        LEFT JOIN paid p ON p.invoice_id = i.invoice_id
        WHERE i.amount > 0 AND coalesce(i.due_at, i.issued_at) > $1 - to_days($2::INT)
          AND coalesce(i.due_at, i.issued_at) <= $1
        GROUP BY ALL ORDER BY ALL""",
        [cut, window_days],
    )
    return {r[0]: round(r[1], 4) for r in rows}


def collection_rate(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict[str, float | None]]:
    """The ``collection_rate`` metric per region: of the invoices (amount > 0) due in a month, the
    share of the amount paid by the end of that month (payments capped at the invoice); for the
    last 3 due-months up to as_of's month vs the 12 before.
    """
    rows = _rows(
        con,
        """
        WITH inv AS (SELECT i.invoice_id, i.amount, date_trunc('month', coalesce(i.due_at, i.issued_at))::DATE AS month,
                            r.region
                     FROM invoices i JOIN orders o ON o.order_id = i.order_id JOIN reps r ON r.rep_id = o.rep_id
                     WHERE i.amount > 0 AND coalesce(i.due_at, i.issued_at) BETWEEN $1 AND $2),
        paid AS (SELECT p.invoice_id, sum(p.amount) AS paid FROM payments p JOIN inv USING (invoice_id)
                 WHERE p.paid_at < inv.month + INTERVAL 1 MONTH GROUP BY ALL)
        SELECT region, month >= $3 AS recent, sum(least(coalesce(paid, 0), amount)) / sum(amount)
        FROM inv LEFT JOIN paid USING (invoice_id) GROUP BY ALL ORDER BY ALL""",
        [month_add(as_of, -14), as_of, month_add(as_of, -2)],
    )
    out: dict[str, dict[str, float | None]] = {}
    for region, recent, rate in rows:
        out.setdefault(region, {})["last_3_months" if recent else "previous_12_months"] = _r(rate)
    return out


def budget_ratio(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, dict[str, float | None]]:
    """Company year-to-date spend ÷ budget − 1 per category: spend from 1 January to as_of;
    budgets of the months before as_of's month plus as_of's month pro-rated by day
    (as_of's day ÷ days in the month).
    """
    jan = dt.date(as_of.year, 1, 1)
    month = month_add(as_of, 0)
    share = as_of.day / (month_add(as_of, 1) - month).days
    spent = dict(
        _rows(
            con, "SELECT category, sum(amount) FROM expenses WHERE spent_at BETWEEN ? AND ? GROUP BY ALL", [jan, as_of]
        )
    )
    budget = dict(
        _rows(
            con,
            """SELECT category, sum(CASE WHEN period = ? THEN amount * ? ELSE amount END)
                                FROM budgets WHERE period BETWEEN ? AND ? GROUP BY ALL""",
            [month, share, jan, month],
        )
    )
    return {
        c: {
            "spent": round(spent.get(c, 0.0), 2),
            "budget": round(b, 2),
            "over": _r(spent.get(c, 0.0) / b - 1) if b else None,
        }
        for c, b in sorted(budget.items())
    }


def monthly_revenue(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Company revenue (orders amount) by calendar month."""
    rows = _rows(con, "SELECT date_trunc('month', ordered_at)::DATE, sum(amount) FROM orders GROUP BY ALL ORDER BY 1")
    return {r[0].isoformat(): round(r[1], 2) for r in rows}


def twoway_ols(y: np.ndarray, x: np.ndarray, g1: np.ndarray, g2: np.ndarray, iters: int = 500) -> np.ndarray:
    """OLS coefficients of ``y`` on ``x`` with two sets of fixed effects (groups ``g1`` and ``g2``),
    by alternating projections.
    """
    data = np.column_stack([y, x]).astype(np.float64)
    groups = [np.unique(g, return_inverse=True)[1] for g in (g1, g2)]
    counts = [np.bincount(g) for g in groups]
    for _ in range(iters):
        before = data.copy()
        for g, c in zip(groups, counts, strict=True):
            means = np.stack([np.bincount(g, data[:, k]) / c for k in range(data.shape[1])], axis=1)
            data -= means[g]
        if np.abs(data - before).max() < 1e-10:
            break
    coef, *_ = np.linalg.lstsq(data[:, 1:], data[:, 0], rcond=None)
    return coef


_REP_MONTHS = """
    WITH months AS (SELECT DISTINCT date_trunc('month', ordered_at)::DATE AS month FROM orders
                    WHERE ordered_at < date_trunc('month', $1::DATE)),
    rm AS (SELECT r.rep_id, r.team, m.month, date_diff('month', date_trunc('month', r.hire_date), m.month) AS tenure
           FROM reps r, months m
           WHERE coalesce(r.hire_date, DATE '1900-01-01') < m.month
             AND coalesce(r.exit_date, DATE '9999-12-31') >= last_day(m.month)),
    rev AS (SELECT rep_id, date_trunc('month', ordered_at)::DATE AS month, sum(amount) AS revenue
            FROM orders GROUP BY ALL),
    act AS (SELECT rep_id, date_trunc('month', "at")::DATE AS month,
                   count(*) FILTER (WHERE type = 'visit') AS visits, count(*) FILTER (WHERE type = 'call') AS calls
            FROM activities GROUP BY ALL)
    SELECT rm.rep_id, rm.team || '|' || rm.month, rm.tenure, ln(rev.revenue), ln(act.visits), ln(act.calls)
    FROM rm JOIN rev USING (rep_id, month) JOIN act USING (rep_id, month)
    WHERE rev.revenue > 0 AND act.visits > 0 AND act.calls > 0"""


@dataclass(frozen=True)
class RepMonthFit:
    """The rep-month regression behind :func:`activity_regression` and :func:`ramp_ratios`."""

    coef: np.ndarray  #: visits, calls, then tenure months 1…12
    tenure: np.ndarray  #: tenure month of every rep-month
    rows: int


def rep_month_fit(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> RepMonthFit | None:
    """OLS of log(rep-month revenue) on log(visits), log(calls) and tenure-month dummies (1…12)
    with rep and team × month fixed effects, on fully employed rep-months before as_of's month;
    ``None`` with fewer than 50 rep-months.
    """
    rows = _rows(con, _REP_MONTHS, [as_of])
    if len(rows) < 50:
        return None
    tenure = np.array([r[2] for r in rows])
    dummies = (tenure[:, None] == np.arange(1, 13)[None, :]).astype(np.float64)
    y = np.array([r[3] for r in rows])
    x = np.column_stack([np.array([r[4] for r in rows]), np.array([r[5] for r in rows]), dummies])
    coef = twoway_ols(y, x, np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    return RepMonthFit(coef=coef, tenure=tenure, rows=len(rows))


def activity_regression(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, fit: RepMonthFit | None = None
) -> dict[str, float | None]:
    """Elasticities of revenue on visits and calls (:func:`rep_month_fit`, or the given ``fit``)."""
    fit = fit or rep_month_fit(con, as_of)
    if fit is None:
        return {}
    return {"visit_elasticity": _r(fit.coef[0]), "call_elasticity": _r(fit.coef[1]), "rep_months": fit.rows}


def ramp_ratios(con: duckdb.DuckDBPyConnection, as_of: dt.date, fit: RepMonthFit | None = None) -> dict[str, Any]:
    """Productivity by tenure month (1…12 full months after the hire month) relative to reps with
    longer tenure: exp of the tenure-dummy coefficients of :func:`rep_month_fit` (or ``fit``).
    """
    fit = fit or rep_month_fit(con, as_of)
    if fit is None or not (fit.tenure <= 12).any():
        return {}
    counts = (fit.tenure[:, None] == np.arange(1, 13)[None, :]).sum(axis=0)
    return {
        "by_month": {
            int(k): _r(float(np.exp(c))) for k, c, n in zip(range(1, 13), fit.coef[2:], counts, strict=False) if n > 0
        },
        "rep_months_by_month": {int(k): int(n) for k, n in zip(range(1, 13), counts, strict=True) if n > 0},
    }
