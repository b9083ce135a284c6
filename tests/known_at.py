"""A source as it was known on an earlier day: the tables truncated in plain pandas, for the
forecast's look-ahead test. Deliberately independent of the forecast's own code.

What a CRM export taken on ``day`` would have held, as far as the later export can tell:

* deals created after ``day`` are dropped, and so are open deals without a creation date (when
  they appeared is unknown); a deal closed after ``day`` is open again: ``status`` open, no
  ``closed_at`` nor ``lost_reason``, and no ``amount`` (a closed deal's amount is its outcome —
  the booked value, or 0 for Maven's lost deals — and the estimate it carried on ``day`` is not
  recorded); no open deal has an ``expected_close`` (the export holds only today's estimate,
  which for a deal still open today lies after today: it would tell ``day`` the deal's fate);
* stage entries, leads, orders, invoices, payments, activities and expenses dated after ``day``
  are dropped, and so are those of dropped deals and orders;
* reps (hires are planned), customers, products, targets, budgets, campaigns and market
  potential are kept as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import ibis
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.data.conform import ConformedTable

DATED = {
    "stage_history": "entered_at",
    "leads": "created_at",
    "orders": "ordered_at",
    "invoices": "issued_at",
    "payments": "paid_at",
    "activities": "at",
    "expenses": "spent_at",
}


def _opportunities(frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    created = pd.to_datetime(frame["created_at"])
    closed = pd.to_datetime(frame["closed_at"])
    open_then = (frame["status"] == "open") | closed.isna() | (closed > day)
    keep = (created <= day) | (created.isna() & ~open_then)
    frame = frame[keep].copy()
    reopened = frame["closed_at"].notna() & (pd.to_datetime(frame["closed_at"]) > day)
    frame.loc[reopened, "status"] = "open"
    for column in ("closed_at", "lost_reason", "amount"):
        frame.loc[reopened, column] = None
    frame.loc[frame["status"] == "open", "expected_close"] = None
    return frame


def _dated(frame: pd.DataFrame, column: str, day: pd.Timestamp) -> pd.DataFrame:
    when = pd.to_datetime(frame[column])
    return frame[when.isna() | (when <= day)]


def known_at(data: Dataset, day: dt.date) -> Dataset:
    """``data`` as an export taken on ``day`` would have held it (see the module docstring)."""
    cut = pd.Timestamp(day)
    frames = {name: data.table(name).execute() for name in data.tables}
    if "opportunities" in frames:
        frames["opportunities"] = _opportunities(frames["opportunities"], cut)
    for name, column in DATED.items():
        if name in frames:
            frames[name] = _dated(frames[name], column, cut)
    deals = set(frames["opportunities"]["opp_id"]) if "opportunities" in frames else set()
    for name in ("stage_history", "orders", "activities"):
        if name in frames and deals:
            f = frames[name]
            frames[name] = f[f["opp_id"].isna() | f["opp_id"].isin(deals)]
    if "invoices" in frames and "orders" in frames:
        f = frames["invoices"]
        frames["invoices"] = f[f["order_id"].isna() | f["order_id"].isin(frames["orders"]["order_id"])]
    if "payments" in frames and "invoices" in frames:
        f = frames["payments"]
        frames["payments"] = f[f["invoice_id"].isin(frames["invoices"]["invoice_id"])]
    con = ibis.duckdb.connect()
    tables = {}
    for name, frame in frames.items():
        expr = con.create_table(name, frame.reset_index(drop=True), schema=data.table(name).schema())
        tables[name] = ConformedTable(name, expr, expr, f"{name} known at {day}")
    return dataclasses.replace(data, source=f"{data.source} known at {day}", backend=con, tables=tables, fingerprint="")
