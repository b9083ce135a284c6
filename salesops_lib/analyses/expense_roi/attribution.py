"""Which campaign gets a deal: the attribution rules, as engine expressions.

The canonical tables link a deal to marketing only through leads: ``opportunities.lead_id`` →
``leads.campaign_id``, and an account's leads through ``leads.customer_id``.

* ``first_touch`` (default): the campaign of the deal's own lead — the touch that opened the deal.
* ``last_touch``: the campaign of the latest campaign lead of the deal's account created on or
  before the deal's creation (ties: the larger lead id); deals without such a lead fall back to
  their own lead's campaign.

Each deal is credited to at most one campaign, so campaign totals add up to the attributed total.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from salesops_lib.data import Dataset

RULES = ("first_touch", "last_touch")
DEAL_COLUMNS = ("opp_id", "customer_id", "amount", "status", "created_at", "closed_at")


def credited_deals(data: Dataset, rule: str, campaign_ids: ir.Column | list[str], as_of: dt.date) -> ir.Table:
    """Deals created by ``as_of`` credited to one of ``campaign_ids`` (a list, or a column expression
    for a semi-join in the engine): the deal columns plus ``campaign_id``.

    Examples
    --------
    >>> deals = credited_deals(connect("demo"), "first_touch", ["CP00001"], dt.date(2025, 6, 30))  # doctest: +SKIP
    >>> deals.count().execute()  # doctest: +SKIP
    """
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}; known: {', '.join(RULES)}")
    opps = data.table("opportunities")
    opps = opps.filter(opps.created_at.isnull() | (opps.created_at <= as_of))
    leads = data.table("leads")
    leads = leads.filter(leads.campaign_id.isin(campaign_ids) & (leads.created_at <= as_of))
    own = leads.select(__lead=leads.lead_id, campaign_id=leads.campaign_id)
    first = opps.join(own, opps.lead_id == own["__lead"]).select(*DEAL_COLUMNS, "campaign_id")
    if rule == "first_touch":
        return first
    touches = leads.filter(leads.customer_id.notnull()).select(
        __customer=leads.customer_id, __at=leads.created_at, __lead=leads.lead_id, __campaign=leads.campaign_id
    )
    pairs = opps.filter(opps.customer_id.notnull()).join(
        touches, [opps.customer_id == touches["__customer"], touches["__at"] <= opps.created_at]
    )
    latest_first = [ibis.desc(pairs["__at"]), ibis.desc(pairs["__lead"])]
    order = ibis.row_number().over(group_by=pairs.opp_id, order_by=latest_first)
    ranked = pairs.mutate(__n=order)
    last = ranked.filter(ranked["__n"] == 0).select(*DEAL_COLUMNS, campaign_id=ranked["__campaign"])
    rest = first.filter(~first.opp_id.isin(last.opp_id))
    return last.union(rest)
