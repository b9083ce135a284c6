"""The funnel's fact tables in the engine: one row per deal and one row per lead, as of a date.

Everything later is a small group-by over these expressions. :func:`deal_facts` pivots
``stage_history`` to one row per deal (first entry into each stage), so a deal that skipped a
recorded stage still counts as having passed it, and only what happened by ``as_of`` counts:
later stage entries are ignored and a deal closed after ``as_of`` is open on that date.
:func:`lead_months` sums the leads up to creation month × unit × channel: every lead question
the funnel asks is about whole months, and a source has tens of millions of leads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import ibis
import ibis.expr.types as ir

from salesops_lib.config import StageOrder
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError
from salesops_lib.metrics.engine import indicator

NONE = "(none)"
"""Segment value of deals without one (no lead → no channel, no account → no industry)."""

DEAL_DIMENSIONS = ("region", "team", "rep", "channel", "product", "industry")
LEAD_DIMENSIONS = ("region", "team", "rep", "channel")
"""Leads carry no product, and unconverted leads rarely an account: no industry for leads."""


@dataclass(frozen=True)
class StagePlan:
    """The funnel's stages: the open stages in order, then won (and lost, which ends a deal)."""

    open_stages: tuple[str, ...]
    won: str
    lost: str

    @property
    def n(self) -> int:
        """Number of open stages; the won stage has index ``n``."""
        return len(self.open_stages)

    @property
    def funnel(self) -> tuple[str, ...]:
        """Stages a deal passes when it is won: the open stages, then won."""
        return (*self.open_stages, self.won)


def stage_plan(stages: StageOrder, override: tuple[str, ...] = ()) -> StagePlan:
    """The source's stage order, or ``override`` as the open stages (won/lost stay the source's).

    Examples
    --------
    >>> stage_plan(StageOrder(), ("lead", "proposal")).funnel
    ('lead', 'proposal', 'won')
    """
    open_stages = override or stages.open_stages
    names = [*open_stages, stages.won, stages.lost]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"stage names must be distinct and differ from won/lost, got {names}",
            fix="list the open stages once, without the won and lost stages",
        )
    return StagePlan(tuple(open_stages), stages.won, stages.lost)


def entry(k: int) -> str:
    """Column of the first entry into open stage ``k``."""
    return f"e{k}"


def exit_(deals: ir.Table, k: int, n: int) -> ir.DateValue:
    """The day a deal of :func:`deal_facts` left open stage ``k`` of ``n`` (its next recorded
    stage, won or lost; null while it is still there).
    """
    return cast("ir.DateValue", ibis.coalesce(*(deals[entry(j)] for j in range(k + 1, n)), deals.won_at, deals.lost_at))


def _org(data: Dataset) -> ir.Table:
    reps = data.table("reps")
    return reps.group_by(__rep=reps.rep_id).agg(region=reps.region.min(), team=reps.team.min())


def _labelled(column: ir.Value) -> ir.StringValue:
    return column.cast("string").fill_null(ibis.literal(NONE))


def deal_facts(
    data: Dataset, plan: StagePlan, as_of: dt.date, *, since: dt.date | None = None, region: str = ""
) -> ir.Table:
    """One row per deal known by ``as_of``: segment dimensions, value and stage dates as of then.

    ``since`` leaves out deals closed before it (they cannot enter any window that starts then).

    Columns: ``opp_id``, ``created`` (creation date, else its first dated stage), the
    dimensions (``region team rep channel product industry``), ``amount``, ``lost_reason``,
    ``status`` (open/won/lost on ``as_of``), ``won_at``, ``lost_at``, ``furthest`` (index of the
    last open stage reached; ``plan.n`` when won) and ``e0…`` (entry into each open stage, from
    the stage history; :func:`exit_` is the day the deal left it).
    """
    opps = data.table("opportunities")
    history = data.table("stage_history")
    history = history.filter(history.entered_at <= as_of)
    names = (*plan.open_stages, plan.won, plan.lost)
    pivot = history.group_by(__opp=history.opp_id).agg(
        **{f"s{i}": history.entered_at.min(where=history.stage == name).cast("date") for i, name in enumerate(names)}
    )
    deals = opps.filter(opps.created_at.isnull() | (opps.created_at <= as_of))
    if since is not None:
        deals = deals.filter(deals.closed_at.isnull() | (deals.closed_at >= since))
        history = history.filter(history.entered_at >= since - dt.timedelta(days=3 * 365))
    t = deals.left_join(pivot, deals.opp_id == pivot["__opp"])
    org = _org(data)
    t = t.left_join(org, t.rep_id == org["__rep"])
    channel = ibis.literal(None, type="string")
    if data.has("leads"):
        leads = data.table("leads")
        lead_channel = leads.select(__lead=leads.lead_id, lead_channel=leads.channel)  # lead_id is the key
        t = t.left_join(lead_channel, t.lead_id == lead_channel["__lead"])
        channel = t.lead_channel
    industry = ibis.literal(None, type="string")
    if data.has("customers"):
        customers = data.table("customers")
        sector = customers.select(__cust=customers.customer_id, sector=customers.industry)  # customer_id is the key
        t = t.left_join(sector, t.customer_id == sector["__cust"])
        industry = t.sector

    n = plan.n
    closed = t.closed_at.notnull() & (t.closed_at <= as_of)
    won_at = ibis.coalesce(t[f"s{n}"], ibis.ifelse((t.status == "won") & closed, t.closed_at, ibis.null("date")))
    lost_at = ibis.coalesce(t[f"s{n + 1}"], ibis.ifelse((t.status == "lost") & closed, t.closed_at, ibis.null("date")))
    lost_at = ibis.ifelse(won_at.isnull(), lost_at, ibis.null("date"))
    entries = [t[f"s{k}"] for k in range(n)]
    furthest = ibis.cases(
        (won_at.notnull(), n),
        *((entries[k].notnull(), k) for k in range(n - 1, 0, -1)),
        else_=0,
    )
    facts = t.select(
        opp_id=t.opp_id,
        created=ibis.coalesce(t.created_at, *entries, won_at, lost_at),
        region=_labelled(t.region),
        team=_labelled(t.team),
        rep=_labelled(t.rep_id),
        channel=_labelled(channel),
        product=_labelled(t.product),
        industry=_labelled(industry),
        amount=t.amount.cast("float64"),
        lost_reason=t.lost_reason,
        status=_status(won_at, lost_at),
        won_at=won_at,
        lost_at=lost_at,
        furthest=furthest.cast("int64"),
        **{entry(k): entries[k] for k in range(n)},
    )
    if region:
        facts = facts.filter(facts.region == region)
    return facts


def _status(won_at: ir.Value, lost_at: ir.Value) -> ir.StringValue:
    return cast("ir.StringValue", ibis.cases((won_at.notnull(), "won"), (lost_at.notnull(), "lost"), else_="open"))


DERIVED = ("region", "team", "status")
"""Columns of :func:`deal_facts` that follow from others (the rep's org, the won and lost dates)."""


def stored(facts: ir.Table) -> ir.Table:
    """:func:`deal_facts` without its :data:`DERIVED` columns: what is worth caching (ten million
    deals cost a third less memory); :func:`restored` adds them back.
    """
    return facts.drop(*DERIVED)


def restored(deals: ir.Table, data: Dataset) -> ir.Table:
    """:func:`stored` deals with their :data:`DERIVED` columns again, in :func:`deal_facts`' order."""
    org = _org(data)
    t = deals.left_join(org, deals.rep == org["__rep"])
    derived = {"region": _labelled(t.region), "team": _labelled(t.team), "status": _status(t.won_at, t.lost_at)}
    order = ["opp_id", "created", "region", "team", *deals.columns[2:]]
    order.insert(order.index("won_at"), "status")
    return t.select(**{c: derived[c] if c in derived else t[c] for c in order})


def lead_facts(data: Dataset, as_of: dt.date, *, since: dt.date | None = None, region: str = "") -> ir.Table:
    """One row per lead created from ``since`` to ``as_of``: ``created``, ``region team rep channel``,
    ``converted`` (1 when some deal created by ``as_of`` carries its ``lead_id``) and ``lag``
    (days from the lead to its first deal).
    """
    leads = data.table("leads")
    leads = leads.filter(leads.created_at <= as_of)
    if since is not None:
        leads = leads.filter(leads.created_at >= since)
    opps = data.table("opportunities")
    opps = opps.filter(opps.lead_id.notnull() & (opps.created_at.isnull() | (opps.created_at <= as_of)))
    first = opps.group_by(__lead=opps.lead_id).agg(first_deal=opps.created_at.min(), deals=opps.count())
    t = leads.left_join(first, leads.lead_id == first["__lead"])
    org = _org(data)
    t = t.left_join(org, t.rep_id == org["__rep"])
    converted = t.deals.notnull()
    facts = t.select(
        created=t.created_at.cast("date"),
        region=_labelled(t.region),
        team=_labelled(t.team),
        rep=_labelled(t.rep_id),
        channel=_labelled(t.channel),
        converted=indicator(converted),
        lag=t.first_deal.delta(t.created_at, unit="day"),
    )
    if region:
        facts = facts.filter(facts.region == region)
    return facts


WEIGHT = "weight"
"""Column of :func:`lead_months` holding how many leads a row stands for."""


def lead_months(leads: ir.Table) -> ir.Table:
    """:func:`lead_facts` summed up per creation month × ``region team rep channel``: ``created``
    (the month's first day), ``weight`` (leads) and ``converted`` (of them, those with a deal).
    Counting its rows with :func:`rows_of` gives the leads' counts.
    """
    month = leads.mutate(created=leads.created.truncate("M"))
    return month.group_by(["created", "region", "team", "rep", "channel"]).agg(
        **{WEIGHT: month.count(), "converted": month.converted.sum()}
    )


def rows_of(table: ir.Table) -> ir.IntegerScalar:
    """How many facts ``table`` holds: its rows, or the sum of their ``weight`` (:func:`lead_months`)."""
    return cast("ir.IntegerScalar", table[WEIGHT].sum()) if WEIGHT in table.columns else table.count()
