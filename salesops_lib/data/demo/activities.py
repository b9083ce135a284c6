"""Sales activities: visits, calls and meetings per rep-month (the counts that drive revenue,
see :mod:`salesops_lib.data.demo.org`), and one proposal per deal that reached ``proposal``.

Activities fall on the rep's working days; most are tied to one of the rep's deals that was
open that day (and its account), the rest to an account of the rep's book; key-account owners
spend a quarter of their visits at their key accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.bookings import Workdays
from salesops_lib.data.demo.customers import Books, KeyAccounts
from salesops_lib.data.demo.org import Org
from salesops_lib.data.demo.pipeline import OPEN, Pipeline
from salesops_lib.data.demo.sampling import sample_in_ranges, sort_order, stream
from salesops_lib.data.demo.spec import DemoConfig
from salesops_lib.data.demo.timeline import Timeline

ACTIVITY_TYPES: tuple[str, ...] = ("visit", "call", "meeting", "proposal")
LINK_P = (0.6, 0.4, 0.8)


@dataclass(frozen=True)
class Activities:
    """A chunk's activities by day; ``customer`` global number, ``opp`` local index or -1."""

    day: np.ndarray
    rep: np.ndarray
    kind: np.ndarray
    customer: np.ndarray
    opp: np.ndarray


def build_activities(
    cfg: DemoConfig, tl: Timeline, org: Org, ka: KeyAccounts, books: Books, pipe: Pipeline, work: Workdays, chunk: int
) -> Activities:
    """Visits, calls, meetings and proposals of the chunk's reps up to as_of."""
    rng = stream(cfg.seed, "activities", chunk)
    reps = work.reps
    months = tl.n_window_months
    counts = np.stack([org.visits[reps, :months], org.calls[reps, :months], org.meetings[reps, :months]])
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    kind, rest = np.divmod(cell, reps.size * months)
    row, month = np.divmod(rest, months)
    first = work.month_index[:months]
    last = np.minimum(np.append(work.month_index[1:], tl.n_days)[:months], tl.day_index(tl.as_of_day) + 1)
    day = tl.days[sample_in_ranges(rng.random(cell.size), row, first[month], last[month], work.qa)]
    rep = reps[row]

    # tie to one of the rep's deals open that day
    by_rep = sort_order(pipe.opp_created, pipe.opp_rep)
    keys = pipe.opp_rep[by_rep] * 1_000_000 + (pipe.opp_created[by_rep] - tl.start_day + 500_000)
    rep_first = np.searchsorted(pipe.opp_rep[by_rep], rep, side="left")
    j = np.searchsorted(keys, rep * 1_000_000 + (day - tl.start_day + 500_000), side="right") - 1
    j -= rng.integers(0, 6, cell.size)
    ok = j >= rep_first
    jj = np.where(ok, j, 0)
    if by_rep.size:
        cand = by_rep[np.minimum(jj, by_rep.size - 1)]
        closed = pipe.opp_closed[cand]
        open_then = (pipe.opp_status[cand] == OPEN) | (closed >= day)
        ok &= open_then & (pipe.opp_rep[cand] == rep)
    else:
        cand = np.zeros(cell.size, dtype=np.int64)
        ok[:] = False
    want = rng.random(cell.size) < np.asarray(LINK_P)[kind]
    linked = ok & want
    opp = np.where(linked, cand, -1)
    book = books.first_id + books.pick(org.rep_slot[rep], day, rng.random(cell.size))
    customer = np.where(linked, books.first_id + pipe.opp_customer[np.maximum(opp, 0)], book)
    # key-account owners visit their accounts
    owner_of = {int(o): np.flatnonzero(ka.owner == o) for o in np.unique(ka.owner)}
    at_ka = (kind == 0) & np.isin(rep, ka.owner) & (rng.random(cell.size) < 0.25)
    if at_ka.any():
        pick = rng.random(int(at_ka.sum()))
        accounts = np.array(
            [owner_of[int(r)][int(u * owner_of[int(r)].size)] for r, u in zip(rep[at_ka], pick, strict=True)]
        )
        customer[at_ka] = accounts + 1
        opp[at_ka] = -1

    proposals = np.flatnonzero((pipe.opp_proposal >= tl.start_day) & np.isin(pipe.opp_rep, reps))
    day = np.concatenate([day, pipe.opp_proposal[proposals]])
    out = {
        "day": day,
        "rep": np.concatenate([rep, pipe.opp_rep[proposals]]),
        "kind": np.concatenate([kind, np.full(proposals.size, 3)]),
        "customer": np.concatenate([customer, books.first_id + pipe.opp_customer[proposals]]),
        "opp": np.concatenate([opp, proposals]),
    }
    order = sort_order(out["rep"], day)
    return Activities(**{k: v[order] for k, v in out.items()})
