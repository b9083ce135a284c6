"""The customers the predictive LTV models see: everyone, or a fixed sample of a large base.

The BG/NBD and Gamma-Gamma fits need one row per customer in pandas; a million customers would
cost a kernel its memory for no better estimate. Above :data:`SAMPLE_ABOVE` customers with a
purchase, the engine picks about :data:`SAMPLE_SIZE` of them: customers are ranked by id and a
rank k is kept when ``(k × MULTIPLIER) mod MODULUS`` falls below the sampled share of
``MODULUS`` — a fixed scramble of the ranks (no random state, integer arithmetic every engine
does alike), so the same data give the same sample in every run and on every engine. Totals
computed on the sample are scaled by population ÷ sample. Small and default demos stay below the
threshold and are not sampled.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from salesops_lib.analyses.collections_customers.customers import bookings
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset

SAMPLE_ABOVE = 50_000
"""More customers with a purchase than this, and the models are fitted on a sample."""
SAMPLE_SIZE = 50_000
"""About this many customers in the sample."""
TOP_CANDIDATES = 2_000
"""Sampled, the top list also ranks the customers with most revenue over the last 12 months (this many)."""
MULTIPLIER = 2_654_435_761
"""Knuth's multiplicative-hash constant: scrambles the id ranks."""
MODULUS = 1_000_003
"""A prime: ``(k × MULTIPLIER) mod MODULUS`` spreads the ranks evenly."""


@dataclass(frozen=True)
class CustomerSample:
    """Who the models see.

    ``population``: customers with a purchase by ``as_of``; ``population_cutoff``: by the hold-out
    cutoff. ``ids``: the sampled ``customer_id`` values as a one-column engine table (column
    ``__sid``), None when everyone is used. ``candidates``: the same for the customers with most
    revenue over the last 12 months (the top list's candidates besides the sample), None when
    not sampled.
    """

    population: int
    population_cutoff: int
    ids: ir.Table | None = None
    candidates: ir.Table | None = None

    @property
    def sampled(self) -> bool:
        """True when the models see a sample rather than every customer."""
        return self.ids is not None


def customer_sample(data: Dataset, as_of: dt.date, cutoff: dt.date, *, region: str = "") -> CustomerSample:
    """The customers with a purchase by ``as_of`` (and by ``cutoff``), sampled above :data:`SAMPLE_ABOVE`."""
    ev = bookings(data, as_of, region=region)
    per = ev.group_by("customer_id").agg(first_at=ev.at.min())
    counts = per.aggregate(n=per.count(), n_cutoff=(per.first_at <= cutoff).sum()).execute().iloc[0]
    population, population_cutoff = int(counts["n"]), int(counts["n_cutoff"] or 0)
    if population <= SAMPLE_ABOVE:
        return CustomerSample(population, population_cutoff)
    keep = math.ceil(MODULUS * SAMPLE_SIZE / population)
    ranked = per.mutate(__k=ibis.row_number().over(order_by=per.customer_id))
    chosen = ranked.filter((ranked["__k"] * MULTIPLIER) % MODULUS < keep)
    year_ago = add_months(as_of, -12)
    recent = ev.filter(ev.at > year_ago)
    top = (
        recent.group_by("customer_id")
        .agg(__revenue=recent.amount.sum())
        .order_by([ibis.desc("__revenue"), "customer_id"])
        .limit(TOP_CANDIDATES)
    )
    return CustomerSample(
        population,
        population_cutoff,
        ids=chosen.select(__sid=chosen.customer_id),
        candidates=top.select(__sid=top.customer_id),
    )
