"""The planted effects of a demo file re-measured in plain SQL, sharing nothing with the analyses
(nor with the generator's own ``measure`` module): what "found" is compared with.

Each measure takes a read-only DuckDB connection to the demo file and the effect's manifest entry
(``where``/``when``, used only to know *where to look*) and returns the effect's size in the unit
the review's finding reports it (:data:`FINDING_NUMBER` says which number of the finding):

* ``change`` — a relative change (value ÷ baseline − 1);
* ``value`` — a level (a ratio, a rate, days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import duckdb

Measure = Callable[[duckdb.DuckDBPyConnection, dict[str, Any], dict[str, Any]], float | None]


def _month(day: dt.date, shift: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> float | None:
    row = con.execute(sql, params).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def conversion_drop(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Lead conversion of the region (region of the lead's rep): the month ÷ mean of the 6 before − 1."""
    month = dt.date.fromisoformat(when["month"])
    return _one(
        con,
        """
        WITH monthly AS (
            SELECT date_trunc('month', l.created_at)::DATE AS m,
                   avg(CASE WHEN EXISTS (SELECT 1 FROM opportunities o WHERE o.lead_id = l.lead_id) THEN 1 ELSE 0 END) AS rate
            FROM leads l JOIN reps r ON r.rep_id = l.rep_id
            WHERE r.region = ? AND l.created_at >= ? AND l.created_at < ?
            GROUP BY 1)
        SELECT max(rate) FILTER (WHERE m = ?) / avg(rate) FILTER (WHERE m < ?) - 1 FROM monthly
        """,
        [where["unit_id"], _month(month, -6), _month(month, 1), month, month],
    )


def low_efficiency_team(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Orders per FTE (employed days ÷ window days) of the team over the window ÷ the company's − 1."""
    start, end = dt.date.fromisoformat(when["from"]), dt.date.fromisoformat(when["to"])
    return _one(
        con,
        """
        WITH fte AS (
            SELECT rep_id, team,
                   greatest(date_diff('day', greatest(coalesce(hire_date, ?::DATE), ?::DATE),
                                      least(coalesce(exit_date, ?::DATE), ?::DATE)) + 1, 0)
                   / (date_diff('day', ?::DATE, ?::DATE) + 1) AS fte
            FROM reps),
        booked AS (
            SELECT rep_id, sum(amount) AS amount FROM orders WHERE ordered_at BETWEEN ? AND ? GROUP BY rep_id)
        SELECT (sum(coalesce(b.amount, 0)) FILTER (WHERE f.team = ?) / sum(f.fte) FILTER (WHERE f.team = ?))
             / (sum(coalesce(b.amount, 0)) / sum(f.fte)) - 1
        FROM fte f LEFT JOIN booked b USING (rep_id)
        """,
        [start, start, end, end, start, end, start, end, where["unit_id"], where["unit_id"]],
    )


def expo_low_roi(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Pipeline the campaign's leads sourced ÷ its cost."""
    return _one(
        con,
        """
        SELECT coalesce((SELECT sum(o.amount) FROM opportunities o JOIN leads l ON l.lead_id = o.lead_id
                         WHERE l.campaign_id = c.campaign_id), 0) / c.cost
        FROM campaigns c WHERE c.campaign_id = ?
        """,
        [where["campaign_id"]],
    )


def persistent_underperformance(
    con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]
) -> float | None:
    """Mean weekly attainment of the rep over the last three ISO weeks (target: the month's target
    spread evenly over its days)."""
    weeks = [dt.date.fromisoformat(w) for w in when["weeks"]]
    return _one(
        con,
        """
        WITH days AS (SELECT unnest(generate_series(?::DATE, ?::DATE + 20, INTERVAL 1 DAY))::DATE AS d),
        target AS (
            SELECT date_trunc('week', d)::DATE AS w,
                   sum(t.amount / date_diff('day', t.period, (t.period + INTERVAL 1 MONTH)::DATE)) AS target
            FROM days JOIN targets t ON t.level = 'rep' AND t.unit_id = ? AND t.period = date_trunc('month', d)
            GROUP BY 1),
        actual AS (
            SELECT date_trunc('week', ordered_at)::DATE AS w, sum(amount) AS actual
            FROM orders WHERE rep_id = ? AND ordered_at BETWEEN ? AND ?::DATE + 20 GROUP BY 1)
        SELECT avg(coalesce(a.actual, 0) / t.target) FROM target t LEFT JOIN actual a USING (w)
        """,
        [weeks[0], weeks[0], where["unit_id"], where["unit_id"], weeks[0], weeks[0]],
    )


def churn_risk(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """The account's orders in the last 6 months ÷ the 6 before − 1."""
    (l0, l1), (p0, p1) = when["last6"], when["prev6"]
    return _one(
        con,
        """
        SELECT sum(amount) FILTER (WHERE ordered_at BETWEEN ? AND ?) / sum(amount) FILTER (WHERE ordered_at BETWEEN ? AND ?) - 1
        FROM orders WHERE customer_id = ?
        """,
        [l0, l1, p0, p1, where["customer_id"]],
    )


def process_change(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Mean days in follow-up (entry to the next stage entry, completed stays) of the adopting
    regions' deals entering it from the change date to the as-of date − 60 days."""
    start = dt.date.fromisoformat(when["date"])
    as_of = con.execute("SELECT max(entered_at) FROM stage_history").fetchone()[0]  # type: ignore[index]
    regions = list(where["adopting"])
    return _one(
        con,
        f"""
        WITH entries AS (
            SELECT s.opp_id, s.stage, s.entered_at,
                   lead(s.entered_at) OVER (PARTITION BY s.opp_id ORDER BY s.entered_at, s.stage) AS next_at
            FROM stage_history s)
        SELECT avg(date_diff('day', e.entered_at, e.next_at))
        FROM entries e JOIN opportunities o USING (opp_id) JOIN reps r ON r.rep_id = o.rep_id
        WHERE e.stage = 'follow-up' AND e.next_at IS NOT NULL AND e.entered_at >= ? AND e.entered_at <= ?::DATE - 60
          AND r.region IN ({", ".join("?" for _ in regions)})
        """,
        [start, as_of, *regions],
    )


def collections_slip(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Share of the amount of the region's invoices due in the last 3 due-months paid by the end of
    the month they fell due (region of the order's rep)."""
    end = dt.date.fromisoformat(when["to"])
    return _one(
        con,
        """
        WITH due AS (
            SELECT i.invoice_id, i.amount, coalesce(i.due_at, i.issued_at) AS due,
                   last_day(coalesce(i.due_at, i.issued_at)) AS month_end
            FROM invoices i JOIN orders o USING (order_id) JOIN reps r ON r.rep_id = o.rep_id
            WHERE r.region = ? AND i.amount > 0 AND coalesce(i.due_at, i.issued_at) >= ? AND coalesce(i.due_at, i.issued_at) <= ?)
        SELECT sum(least(coalesce((SELECT sum(p.amount) FROM payments p
                                   WHERE p.invoice_id = d.invoice_id AND p.paid_at <= d.month_end), 0), d.amount))
               / sum(d.amount)
        FROM due d
        """,
        [where["unit_id"], _month(end, -2), end],
    )


def budget_overrun(con: duckdb.DuckDBPyConnection, where: dict[str, Any], when: dict[str, Any]) -> float | None:
    """Company spend of the category from 1 January to the as-of date ÷ its budget (the company
    lines, or the regions' when there are none; last month pro-rated by day) − 1."""
    start, end = dt.date.fromisoformat(when["from"]), dt.date.fromisoformat(when["to"])
    last = _month(end, 0)
    share = end.day / ((_month(end, 1) - last).days)
    return _one(
        con,
        """
        SELECT (SELECT sum(amount) FROM expenses WHERE category = ? AND spent_at BETWEEN ? AND ?)
             / (SELECT sum(CASE WHEN period = ? THEN amount * ? ELSE amount END) FROM budgets
                WHERE level = (SELECT min(level) FROM budgets WHERE level IN ('company', 'region'))
                  AND category = ? AND period BETWEEN ? AND ?) - 1
        """,
        [where["category"], start, end, last, share, where["category"], start, last],
    )


MEASURES: dict[str, Measure] = {
    "conversion_drop": conversion_drop,
    "low_efficiency_team": low_efficiency_team,
    "expo_low_roi": expo_low_roi,
    "persistent_underperformance": persistent_underperformance,
    "churn_risk": churn_risk,
    "process_change": process_change,
    "collections_slip": collections_slip,
    "budget_overrun": budget_overrun,
}
"""Planted effect kind → its plain-SQL measure."""

FINDING_NUMBER: dict[str, str] = {
    "conversion_drop": "change",
    "low_efficiency_team": "change",
    "expo_low_roi": "value",
    "persistent_underperformance": "value",
    "churn_risk": "change",
    "process_change": "value",
    "collections_slip": "value",
    "budget_overrun": "change",
}
"""Which number of the finding (``change`` = value ÷ baseline − 1, or ``value``) the measure is."""

DESIGNED: dict[str, tuple[float, float]] = {
    "conversion_drop": (-0.30, -0.05),
    "low_efficiency_team": (-0.45, -0.15),
    "expo_low_roi": (0.0, 0.6),
    "persistent_underperformance": (0.30, 0.78),
    "churn_risk": (-0.85, -0.40),
    "process_change": (8.0, 12.5),
    "collections_slip": (0.0, 0.50),
    "budget_overrun": (0.10, 0.30),
}
"""The range the SQL measure of each planted effect must fall in (planted variant): the effect is
really there, at the size users care about, whatever the seed."""


def measure(con: duckdb.DuckDBPyConnection, kind: str, effect: Any) -> float | None:
    """The plain-SQL size of the manifest's effect ``kind``."""
    return MEASURES[kind](con, effect.where, effect.when)
