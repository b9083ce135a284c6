"""Orders (won deals and key-account call-offs), invoices and payments.

Every won deal books one order on its close day; key accounts book weekly call-off orders
without an opportunity. Invoices follow 0–6 days later (12 % of large orders in two
instalments, the second 30 days later), due after the segment's payment terms. Payments
arrive around the due date: 55 % on time, 28 % up to 30 days late, 12 % up to 90, 4 % up to
240, 1 % never; 10 % are paid in two parts. A few orders get a credit note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.bookings import CallOffs
from salesops_lib.data.demo.customers import Books
from salesops_lib.data.demo.org import Org
from salesops_lib.data.demo.pipeline import WON, Pipeline
from salesops_lib.data.demo.sampling import choose, lognormal1, sort_order, stream
from salesops_lib.data.demo.scenario import Units
from salesops_lib.data.demo.spec import DemoConfig
from salesops_lib.data.demo.timeline import Timeline
from salesops_lib.data.demo.vocab import PRODUCTS

DELAY_CLASSES = ((-10, 0), (1, 30), (31, 90), (91, 240))
DELAY_P = (0.55, 0.28, 0.12, 0.04, 0.01)
KEY_ACCOUNT_COST = 0.62


@dataclass(frozen=True)
class Orders:
    """A chunk's orders by day; ``customer`` is a global customer number, ``opp`` local or -1."""

    day: np.ndarray
    rep: np.ndarray
    customer: np.ndarray
    opp: np.ndarray
    amount: np.ndarray
    cost: np.ndarray
    terms: np.ndarray


@dataclass(frozen=True)
class Receivables:
    """Invoices (``order`` is the local order index) and payments (``invoice`` local)."""

    inv_order: np.ndarray
    inv_issued: np.ndarray
    inv_due: np.ndarray
    inv_amount: np.ndarray
    pay_invoice: np.ndarray
    pay_day: np.ndarray
    pay_amount: np.ndarray


def build_orders(cfg: DemoConfig, pipe: Pipeline, books: Books, calloffs: CallOffs, chunk: int) -> Orders:
    """One order per won opportunity plus the key accounts' call-offs, ordered by day."""
    rng = stream(cfg.seed, "orders", chunk)
    won = np.flatnonzero(pipe.opp_status == WON)
    cost_ratio = np.asarray([p[4] for p in PRODUCTS])[pipe.opp_product[won]]
    deal_cost = np.round(pipe.opp_amount[won] * cost_ratio * lognormal1(rng, 0.05, won.size), 2)
    ka_cost = np.round(calloffs.amount * KEY_ACCOUNT_COST * lognormal1(rng, 0.05, calloffs.amount.size), 2)
    terms = np.asarray(cfg.model.payment_terms)
    day = np.concatenate([pipe.opp_closed[won], calloffs.day])
    order = sort_order(np.concatenate([won, np.full(calloffs.day.size, -1)]), day)
    cols = {
        "day": day,
        "rep": np.concatenate([pipe.opp_rep[won], calloffs.rep]),
        "customer": np.concatenate([books.first_id + pipe.opp_customer[won], calloffs.account + 1]),
        "opp": np.concatenate([won, np.full(calloffs.day.size, -1)]),
        "amount": np.concatenate([pipe.opp_amount[won], calloffs.amount]),
        "cost": np.concatenate([deal_cost, ka_cost]),
        "terms": np.concatenate([terms[books.segment[pipe.opp_customer[won]]], np.full(calloffs.day.size, terms[0])]),
    }
    return Orders(**{k: v[order] for k, v in cols.items()})


def build_receivables(cfg: DemoConfig, tl: Timeline, org: Org, units: Units, orders: Orders, chunk: int) -> Receivables:
    """Invoices and the payments received up to as_of (the planted region's payments slip)."""
    rng = stream(cfg.seed, "receivables", chunk)
    p = cfg.plant
    n = orders.day.size
    split = (orders.amount > 30_000) & (rng.random(n) < 0.12)
    parts = np.where(split, 2, 1)
    inv_order = np.repeat(np.arange(n), parts)
    second = np.zeros(inv_order.size, dtype=bool)
    second[np.cumsum(parts)[split] - 1] = True
    half = np.round(orders.amount * 0.5, 2)
    amount = np.where(
        split[inv_order],
        np.where(second, orders.amount[inv_order] - half[inv_order], half[inv_order]),
        orders.amount[inv_order],
    )
    issued = orders.day[inv_order] + rng.integers(0, 7, inv_order.size) + np.where(second, 30, 0)
    due = issued + orders.terms[inv_order]
    # payments
    m_inv = inv_order.size
    cls = choose(rng, DELAY_P, m_inv)
    lo = np.array([c[0] for c in DELAY_CLASSES] + [0])[cls]
    hi = np.array([c[1] for c in DELAY_CLASSES] + [0])[cls]
    delay = lo + (rng.random(m_inv) * (hi - lo + 1)).astype(np.int64)
    extra = p.collections_extra_days[0] + rng.random(m_inv) * (
        p.collections_extra_days[1] - p.collections_extra_days[0]
    )
    affected = rng.random(m_inv) < p.collections_share
    if cfg.planted:
        slip = (
            (org.rep_region[orders.rep[inv_order]] == units.collections_region)
            & affected
            & (due >= tl.as_of_day - p.collections_window_days)
        )
        delay = delay + np.where(slip, np.round(extra).astype(np.int64), 0)
    paid = np.maximum(issued, due + delay)
    never = cls == len(DELAY_CLASSES)
    two = (rng.random(m_inv) < 0.10) & ~never
    first_share = np.round(amount * rng.uniform(0.5, 0.8, m_inv), 2)
    later = paid + rng.integers(10, 41, m_inv)
    pay_invoice = np.concatenate([np.flatnonzero(~never), np.flatnonzero(two)])
    pay_day = np.concatenate([paid[~never], later[two]])
    pay_amount = np.concatenate([np.where(two, first_share, amount)[~never], (amount - first_share)[two]])
    # credit notes
    credit = np.flatnonzero(rng.random(n) < 0.004)
    c_issued = orders.day[credit] + rng.integers(20, 61, credit.size)
    c_amount = -np.round(orders.amount[credit] * rng.uniform(0.1, 0.3, credit.size), 2)
    inv_order = np.concatenate([inv_order, credit])
    issued = np.concatenate([issued, c_issued])
    due = np.concatenate([due, c_issued])
    amount = np.concatenate([amount, c_amount])
    keep = issued <= tl.as_of_day
    new_index = np.cumsum(keep) - 1
    ok = (pay_day <= tl.as_of_day) & keep[pay_invoice]
    inv_sorted = sort_order(inv_order[keep], issued[keep])
    rank = np.empty(inv_sorted.size, dtype=np.int64)
    rank[inv_sorted] = np.arange(inv_sorted.size)
    pay_inv = rank[new_index[pay_invoice[ok]]]
    pay_order = sort_order(pay_inv, pay_day[ok])
    return Receivables(
        inv_order=inv_order[keep][inv_sorted],
        inv_issued=issued[keep][inv_sorted],
        inv_due=due[keep][inv_sorted],
        inv_amount=np.round(amount[keep][inv_sorted], 2),
        pay_invoice=pay_inv[pay_order],
        pay_day=pay_day[ok][pay_order],
        pay_amount=np.round(pay_amount[ok][pay_order], 2),
    )
