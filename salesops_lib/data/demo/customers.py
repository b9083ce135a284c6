"""Accounts: each position's book of customers (picked by deals in proportion to their weight,
once they exist), and the key accounts with framework agreements and weekly call-off orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from salesops_lib.data.demo.org import NO_EXIT, Allocation, Org
from salesops_lib.data.demo.sampling import choose, sort_order, stream
from salesops_lib.data.demo.spec import INDUSTRIES, REGIONS, SEGMENTS, DemoConfig
from salesops_lib.data.demo.timeline import Timeline
from salesops_lib.data.demo.vocab import company_names

SEGMENT_P = (0.15, 0.35, 0.50)
INDUSTRY_P = (0.28, 0.14, 0.10, 0.08, 0.12, 0.06, 0.10, 0.12)


@dataclass(frozen=True)
class KeyAccounts:
    """Key accounts: owner rep and monthly order value (plan, and actual with the planted churn)."""

    owner: np.ndarray
    plan: np.ndarray  #: key account × month
    actual: np.ndarray
    created: np.ndarray
    industry: np.ndarray
    names: pa.Array

    @property
    def n(self) -> int:
        """Number of key accounts."""
        return int(self.owner.size)

    def per_rep(self, values: np.ndarray, n_reps: int) -> np.ndarray:
        """Sum of a key account × month matrix per owner rep (rep × month)."""
        out = np.zeros((n_reps, values.shape[1]))
        np.add.at(out, self.owner, values)
        return out


@dataclass(frozen=True)
class Books:
    """The customers of one chunk, ordered by (position, created day), with pick weights."""

    first_id: int  #: global number of the first customer (ids continue across chunks)
    slot: np.ndarray
    created: np.ndarray
    weight: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    industry: np.ndarray
    names: pa.Array
    slot_offset: dict[int, int]
    keys: np.ndarray
    cumw: np.ndarray
    day_base: int

    def key(self, slot: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Sort key of (position, day)."""
        return slot.astype(np.int64) * 1_000_000 + (np.asarray(day, dtype=np.int64) - self.day_base)

    @property
    def n(self) -> int:
        """Number of customers in the books."""
        return int(self.slot.size)

    def pick(self, slot: np.ndarray, day: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Local index of a customer of ``slot`` created on or before ``day`` (by weight).

        A position's book always holds accounts created before the history starts, so there is
        always one to pick.
        """
        off = np.array([self.slot_offset[int(s)] for s in np.unique(slot)])
        starts = np.zeros(int(slot.max()) + 1, dtype=np.int64)
        starts[np.unique(slot)] = off
        lo = starts[slot]
        hi = np.searchsorted(self.keys, self.key(slot, day), side="right")
        hi = np.maximum(hi, lo + 1)
        base = np.where(lo > 0, self.cumw[np.maximum(lo - 1, 0)], 0.0)
        top = self.cumw[hi - 1]
        idx = np.searchsorted(self.cumw, base + u * (top - base), side="left")
        picked: np.ndarray = np.clip(idx, lo, hi - 1)
        return picked


def build_books(cfg: DemoConfig, tl: Timeline, org: Org, slots: np.ndarray, first_id: int, chunk: int) -> Books:
    """Customers for the positions ``slots`` (sorted); ids continue from ``first_id``."""
    rng = stream(cfg.seed, "customers", chunk)
    per = cfg.size.book_size
    slot = np.repeat(slots, per)
    n = slot.size
    older = rng.random(n) < 0.55
    created = np.where(
        older,
        tl.start_day - rng.integers(1, 6 * 365, n),
        tl.start_day + rng.integers(0, tl.as_of_day - tl.start_day + 1, n),
    )
    # the first 12 accounts of every book exist before the history starts
    created = created.reshape(-1, per)
    created[:, :12] = np.minimum(created[:, :12], tl.start_day - 30)
    created = created.ravel()
    order = sort_order(created, slot)
    slot, created = slot[order], created[order]
    weight = np.clip(rng.lognormal(0.0, 0.6, n), 0.25, 3.0)
    region = org.team_region[org.slot_team[slot]]
    segment = choose(rng, SEGMENT_P, n)
    industry = choose(rng, INDUSTRY_P, n)
    names = company_names(rng, region, industry, segment == 0, REGIONS, INDUSTRIES)
    starts = np.searchsorted(slot, slots)
    day_base = tl.start_day - 500_000
    return Books(
        first_id=first_id,
        slot=slot,
        created=created,
        weight=weight,
        region=region,
        segment=segment,
        industry=industry,
        names=names,
        slot_offset={int(s): int(o) for s, o in zip(slots, starts, strict=True)},
        keys=slot.astype(np.int64) * 1_000_000 + (created - day_base),
        cumw=np.cumsum(weight),
        day_base=day_base,
    )


def plan_key_accounts(cfg: DemoConfig, tl: Timeline, org: Org, alloc: Allocation, low_team: int) -> KeyAccounts:
    """Key accounts, largest first, each given to the tenured rep with the most spare capacity.

    A key account's monthly value follows the company's seasonal path times its own random-walk
    drift; its owner's total stays the rep's allocation (the rest is ordinary deal business).
    """
    m = cfg.model
    rng = stream(cfg.seed, "key-accounts")
    window = slice(0, tl.n_window_months)
    per_fte = alloc.plan[:, window].sum() / org.fte[:, window].sum()
    shape = tl.r_star / tl.r_star[window].mean()
    value = m.key_account_top * per_fte * m.key_account_decay ** np.arange(m.key_accounts)
    plan = value[:, None] * shape[None, :]
    candidates = np.flatnonzero(
        (org.hire < tl.start_day - 365)
        & (org.exit == NO_EXIT)
        & (org.rep_team != low_team)
        & (org.selling[:, window].min(axis=1) == 1)
    )
    capacity = 0.55 * alloc.plan[candidates][:, window].mean(axis=1)
    owner = np.empty(m.key_accounts, dtype=np.int64)
    for i in range(m.key_accounts):
        j = int(np.argmax(capacity))
        owner[i] = candidates[j]
        capacity[j] -= value[i]
    industry = choose(rng, INDUSTRY_P, m.key_accounts)
    names = company_names(rng, org.rep_region[owner], industry, np.ones(m.key_accounts, bool), REGIONS, INDUSTRIES)
    created = tl.start_day - rng.integers(2 * 365, 8 * 365, m.key_accounts)
    # each account drifts (a random walk of its log level, month by month): some grow, some shrink
    sd = m.key_account_drift
    steps = stream(cfg.seed, "key-account-drift").normal(-0.5 * sd * sd, sd, plan.shape)
    steps[:, tl.n_window_months :] = 0.0  # the expectation after as_of stays at the last level
    drift = np.exp(np.cumsum(steps, axis=1))
    actual = plan * drift
    return KeyAccounts(owner=owner, plan=plan, actual=actual, created=created, industry=industry, names=names)


def with_churn(ka: KeyAccounts, index: int, factors: tuple[float, ...], tl: Timeline) -> KeyAccounts:
    """Key accounts where account ``index`` declines by ``factors`` over the last months."""
    actual = ka.actual.copy()
    n = len(factors)
    last = tl.as_of_month
    actual[index, last - n + 1 : last + 1] *= np.asarray(factors)
    actual[index, last + 1 :] *= factors[-1]
    return KeyAccounts(
        owner=ka.owner, plan=ka.plan, actual=actual, created=ka.created, industry=ka.industry, names=ka.names
    )


SEGMENT_OF_KEY_ACCOUNT = SEGMENTS.index("enterprise")
