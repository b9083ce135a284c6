"""Deals become opportunities with a stage history, and leads (converted or not) feed them.

Stage durations are drawn per deal and laid out backwards from the close day: negotiation,
proposal, follow-up, lead (so ``created_at`` is the entry into ``lead``). Lost deals stop at
the stage they were lost from. Deals that close after ``as_of`` but were created before it
are the open pipeline (their stage history is cut at ``as_of``).

Leads: 70 % of deals come from a lead created 0–6 days earlier (the conversion decision is
made at the lead: a lead whose opportunity would follow after ``as_of`` converts on ``as_of``,
so the latest month is fully measurable — no right-censoring); each converted
lead has about (1 − p)/p unconverted siblings of the same channel, rep and campaign, so the
channel's conversion rate is ``p`` (× the season of the lead's calendar month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.bookings import CloseEvents
from salesops_lib.data.demo.customers import Books
from salesops_lib.data.demo.org import Org
from salesops_lib.data.demo.sampling import choose, choose_rows, round_random, sort_order, stream
from salesops_lib.data.demo.scenario import Units
from salesops_lib.data.demo.spec import CHANNELS, DemoConfig
from salesops_lib.data.demo.spend import CHANNEL_CAMPAIGN, Campaigns
from salesops_lib.data.demo.timeline import Timeline
from salesops_lib.data.demo.vocab import LOST_REASON_P, PRODUCT_SHARE

OPEN, WON, LOST = 0, 1, 2
EXPO = CHANNELS.index("expo")


@dataclass(frozen=True)
class Pipeline:
    """A chunk's opportunities (by created day), stage history and leads (by created day)."""

    opp_rep: np.ndarray
    opp_customer: np.ndarray  #: local book index
    opp_product: np.ndarray
    opp_amount: np.ndarray
    opp_created: np.ndarray
    opp_status: np.ndarray
    opp_closed: np.ndarray  #: -1 while open
    opp_expected: np.ndarray  #: -1 unless open
    opp_reason: np.ndarray  #: -1 unless lost
    opp_lead: np.ndarray  #: local lead index or -1
    opp_proposal: np.ndarray  #: day the deal entered proposal (-1: not yet)
    opp_of_event: np.ndarray  #: close event → opportunity (-1: not kept)
    stage_opp: np.ndarray
    stage_code: np.ndarray
    stage_day: np.ndarray
    lead_day: np.ndarray
    lead_rep: np.ndarray
    lead_channel: np.ndarray
    lead_campaign: np.ndarray
    lead_customer: np.ndarray  #: local book index or -1
    campaign_pipeline: np.ndarray


def build_pipeline(
    cfg: DemoConfig,
    tl: Timeline,
    org: Org,
    units: Units,
    camps: Campaigns,
    books: Books,
    events: CloseEvents,
    chunk: int,
) -> Pipeline:
    """Opportunities, stage history and leads of one chunk's close events."""
    m = cfg.model
    rng = stream(cfg.seed, "pipeline", chunk)
    n = events.rep.size
    rep, close = events.rep, events.close
    region = org.rep_region[rep]

    last = np.where(events.won, 3, choose(rng, m.lost_stage_p, n))
    shape = np.asarray(m.stage_shape)
    raw = rng.gamma(shape, np.asarray(m.stage_days) / shape, (n, 4))
    dur = np.maximum(1, np.round(raw)).astype(np.int64)
    entry = np.full((n, 4), -1, dtype=np.int64)
    for k in (3, 2, 1, 0):
        inside = k <= last
        leave = close if k == 3 else np.where(k == last, close, entry[:, k + 1])
        d = dur[:, k]
        if k == 1 and cfg.planted:
            adopted = np.isin(region, units.adopting) & (leave - d >= units.change_day)
            faster = np.maximum(1, np.round(raw[:, 1] * cfg.plant.follow_up_after / m.stage_days[1])).astype(np.int64)
            d = np.where(adopted, faster, d)
        entry[:, k] = np.where(inside, leave - d, -1)
    # a new hire's first deals are compressed into their tenure
    hire = org.hire[rep]
    late = np.flatnonzero(entry[:, 0] < hire)
    if late.size:
        c, e = close[late], entry[late]
        factor = (c - hire[late]) / np.maximum(c - e[:, 0], 1)
        squeezed = c[:, None] - np.floor((c[:, None] - e) * factor[:, None]).astype(np.int64)
        entry[late] = np.where(e >= 0, squeezed, e)
    created = entry[:, 0]
    # the lead comes 0–6 days before the opportunity; a lead created by as_of whose opportunity
    # would follow after as_of converts on as_of (the conversion is decided at the lead)
    has = rng.random(n) < m.lead_share_of_deals
    lag = np.minimum(choose(rng, m.lead_lag_p, n), np.maximum(created - hire, 0))
    lead_day = created - lag
    clamp = events.future & (created > tl.as_of_day) & has & (lead_day <= tl.as_of_day)
    entry[clamp, 0] = tl.as_of_day
    created = entry[:, 0]
    keep = ~events.future | (created <= tl.as_of_day)

    idx = np.flatnonzero(keep)
    k_rep, k_close, k_created, k_entry, k_last = rep[idx], close[idx], created[idx], entry[idx], last[idx]
    status = np.where(events.future[idx], OPEN, np.where(events.won[idx], WON, LOST))
    amount = events.amount[idx]
    nk = idx.size
    customer = books.pick(org.rep_slot[k_rep], k_created, rng.random(nk))
    product = choose(rng, PRODUCT_SHARE, nk)
    reason = np.where(status == LOST, choose_rows(rng.random(nk), np.asarray(LOST_REASON_P), k_last), -1)
    expected = np.where(
        status == OPEN, np.maximum(k_close + np.round(rng.normal(0, 10, nk)).astype(np.int64), tl.as_of_day + 1), -1
    )

    leads = _leads(cfg, tl, org, units, camps, rng, k_rep, lead_day[idx], has[idx], amount, status, chunk)
    has_lead, lead_of, dropped = leads["has"], leads["lead_of_opp"], leads["dropped"]
    alive = ~dropped
    # final opportunities, ordered by created day
    order = np.flatnonzero(alive)[sort_order(k_close[alive], k_created[alive])]
    new_index = np.full(nk, -1, dtype=np.int64)
    new_index[order] = np.arange(order.size)
    opp_of_event = np.full(n, -1, dtype=np.int64)
    opp_of_event[idx] = new_index

    # stage history: entered open stages up to as_of, then the terminal stage
    entered = (np.arange(4)[None, :] <= k_last[:, None]) & (k_entry >= 0) & (k_entry <= tl.as_of_day)
    entered &= alive[:, None]
    o_rows, s_rows = np.nonzero(entered)
    term = np.flatnonzero(alive & (status != OPEN))
    stage_opp = np.concatenate([new_index[o_rows], new_index[term]])
    stage_code = np.concatenate([s_rows, np.where(status[term] == WON, 4, 5)])
    stage_day = np.concatenate([k_entry[o_rows, s_rows], k_close[term]])
    s_order = sort_order(stage_code, stage_day, stage_opp)

    lead_order = leads["order"]
    lead_index = np.full(lead_order.size, -1, dtype=np.int64)
    lead_index[lead_order] = np.arange(lead_order.size)
    opp_lead = np.where(has_lead & alive, lead_index[np.maximum(lead_of, 0)], -1)
    lead_customer = leads["customer_of"]  # opp position or -1
    lead_cust = np.where(lead_customer >= 0, customer[np.maximum(lead_customer, 0)], -1)
    proposal = np.where((k_last >= 2) & (k_entry[:, 2] >= 0) & (k_entry[:, 2] <= tl.as_of_day), k_entry[:, 2], -1)
    pipeline = np.bincount(
        leads["campaign_of_opp"][alive & (leads["campaign_of_opp"] >= 0)],
        amount[alive & (leads["campaign_of_opp"] >= 0)],
        minlength=camps.n,
    )
    return Pipeline(
        opp_rep=k_rep[order],
        opp_customer=customer[order],
        opp_product=product[order],
        opp_amount=amount[order],
        opp_created=k_created[order],
        opp_status=status[order],
        opp_closed=np.where(status == OPEN, -1, k_close)[order],
        opp_expected=expected[order],
        opp_reason=reason[order],
        opp_lead=opp_lead[order],
        opp_proposal=proposal[order],
        opp_of_event=opp_of_event,
        stage_opp=stage_opp[s_order],
        stage_code=stage_code[s_order],
        stage_day=stage_day[s_order],
        lead_day=leads["day"][lead_order],
        lead_rep=leads["rep"][lead_order],
        lead_channel=leads["channel"][lead_order],
        lead_campaign=leads["campaign"][lead_order],
        lead_customer=lead_cust[lead_order],
        campaign_pipeline=pipeline,
    )


def _month_bounds(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = day.astype("datetime64[D]")
    first = d.astype("datetime64[M]").astype("datetime64[D]")
    last = (d.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    return first.astype(np.int64), last.astype(np.int64)


def _leads(
    cfg: DemoConfig,
    tl: Timeline,
    org: Org,
    units: Units,
    camps: Campaigns,
    rng: np.random.Generator,
    rep: np.ndarray,
    day: np.ndarray,
    has: np.ndarray,
    amount: np.ndarray,
    status: np.ndarray,
    chunk: int,
) -> dict[str, np.ndarray]:
    """Converted leads of the deals (created on ``day`` where ``has``), their unconverted
    siblings, and the planted funnel effects.
    """
    m, p = cfg.model, cfg.plant
    n = rep.size
    region = org.rep_region[rep]
    conv = np.asarray(m.channel_conversion)
    weight = np.asarray(m.channel_lead_share) * conv
    with_expo = weight.copy()
    with_expo[EXPO] /= max(camps.expo_coverage(), 1e-6)
    without = weight.copy()
    without[EXPO] = 0.0
    expo_open = camps.at(2, region, day) >= 0
    u = rng.random(n)
    channel = choose_rows(u, np.stack([without, with_expo]), expo_open.astype(np.int64))
    campaign = np.full(n, -1, dtype=np.int64)
    for name, kind in CHANNEL_CAMPAIGN.items():
        sel = channel == CHANNELS.index(name)
        campaign[sel] = camps.at(kind, region[sel], day[sel])

    # the extra expo: its leads go to one team
    special = np.zeros(n, dtype=bool)
    ex = stream(cfg.seed, "expo", chunk)
    window = has & (org.rep_team[rep] == units.expo_team) & (day >= units.expo_start) & (day <= units.expo_lead_end)
    sib_special = 0
    if window.any():
        total = float(amount[window].sum())
        share = min(0.6, cfg.plant.expo_cost * units.expo_ratio / total) if total > 0 else 0.0
        expected_leads = round(share * window.sum() / conv[EXPO])
        draw = ex.random(n)
        if cfg.planted:
            pool = np.flatnonzero(window & (status != WON))
            if pool.size:
                pick = pool[np.argmin(np.abs(amount[pool] - p.expo_pipeline) + draw[pool] * 1e-6)]
                special[pick] = True
                sib_special = max(expected_leads - 1, 0)
        else:
            special = window & (draw < share)
        channel[special] = EXPO
        campaign[special] = camps.special

    # unconverted siblings of every converted lead (stochastic rounding keeps the rate stable);
    # conversion follows the season of the lead's calendar month
    calendar = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    rate = np.minimum(conv[channel] * np.asarray(m.conversion_season)[calendar], 0.95)
    lam = (1 - rate) / rate
    n_sib = np.where(has, round_random(rng, lam), 0)
    if cfg.planted:
        n_sib[special] = 0
        n_sib[np.flatnonzero(special)[:1]] = sib_special
    parent = np.repeat(np.arange(n), n_sib)
    m_first, m_last = _month_bounds(day[parent])
    lo = np.maximum(m_first, org.hire[rep[parent]])
    hi = np.minimum(np.minimum(m_last, org.exit_or(tl.as_of_day)[rep[parent]]), tl.as_of_day)
    c = campaign[parent]
    lo = np.where(c >= 0, np.maximum(lo, camps.lead_first[np.maximum(c, 0)]), lo)
    hi = np.where(c >= 0, np.minimum(hi, camps.lead_last[np.maximum(c, 0)]), hi)
    # a day within ±3 days of the converted lead, inside the allowed range (no pile-up at its edges)
    near_lo = np.maximum(lo, day[parent] - 3)
    near_hi = np.maximum(np.minimum(hi, day[parent] + 3), near_lo)
    sib_day = near_lo + (rng.random(parent.size) * (near_hi - near_lo + 1)).astype(np.int64)
    from_special = special[parent]
    if from_special.any():
        span = min(units.expo_lead_end, tl.as_of_day) - units.expo_start + 1
        spread = units.expo_start + (ex.random(int(from_special.sum())) * span).astype(np.int64)
        who = rep[parent[from_special]]
        sib_day[from_special] = np.clip(spread, org.hire[who], org.exit_or(tl.as_of_day)[who])

    dropped = np.zeros(n, dtype=bool)
    if cfg.planted:
        dropped = _conversion_drop(
            cfg,
            tl,
            units,
            rng_drop=stream(cfg.seed, "conversion-drop", chunk),
            region=region,
            parent_region=region[parent],
            day=day,
            sib_day=sib_day,
            has=has,
            channel=channel,
            status=status,
        )
    conv_idx = np.flatnonzero(has)
    all_day = np.concatenate([day[conv_idx], sib_day])
    all_rep = np.concatenate([rep[conv_idx], rep[parent]])
    all_channel = np.concatenate([channel[conv_idx], channel[parent]])
    all_campaign = np.concatenate([campaign[conv_idx], campaign[parent]])
    customer_of = np.concatenate([np.where(dropped[conv_idx], -1, conv_idx), np.full(parent.size, -1)])
    lead_of = np.full(n, -1, dtype=np.int64)
    lead_of[conv_idx] = np.arange(conv_idx.size)
    return {
        "has": has & ~dropped,
        "lead_of_opp": lead_of,
        "dropped": dropped,
        "day": all_day,
        "rep": all_rep,
        "channel": all_channel,
        "campaign": all_campaign,
        "customer_of": customer_of,
        "order": sort_order(all_rep, all_day),
        "campaign_of_opp": np.where(has, campaign, -1),
    }


def seasonal_ratio(cfg: DemoConfig, tl: Timeline) -> float:
    """Lead conversion's seasonal factor of the ``as_of`` month ÷ the mean of the 6 months before."""
    season = np.asarray(cfg.model.conversion_season)
    calendar = tl.month_calendar[tl.as_of_month - 6 : tl.as_of_month + 1] - 1
    return float(season[calendar[-1]] / season[calendar[:-1]].mean())


def _conversion_drop(
    cfg: DemoConfig,
    tl: Timeline,
    units: Units,
    *,
    rng_drop: np.random.Generator,
    region: np.ndarray,
    parent_region: np.ndarray,
    day: np.ndarray,
    sib_day: np.ndarray,
    has: np.ndarray,
    channel: np.ndarray,
    status: np.ndarray,
) -> np.ndarray:
    """Planted: in the latest month, enough of one channel's converted leads in one region lose
    their opportunity that the region's conversion is ``1 − drop`` × its seasonal expectation
    (the 6-month average × :func:`seasonal_ratio`).
    """
    p = cfg.plant
    x = units.conversion_region
    month_first = tl.month_first
    latest = tl.as_of_month

    def month_of(d: np.ndarray) -> np.ndarray:
        return np.searchsorted(month_first, d, side="right") - 1

    conv_month = np.where(has & (region == x), month_of(day), -99)
    sib_month = np.where(parent_region == x, month_of(sib_day), -99)
    converted = np.bincount(conv_month[conv_month >= 0], minlength=tl.n_months)
    leads = converted + np.bincount(sib_month[sib_month >= 0], minlength=tl.n_months)
    prev = slice(latest - 6, latest)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = converted[prev] / leads[prev]
    if leads[latest] == 0 or not np.isfinite(rates).all():
        return np.zeros(region.size, dtype=bool)
    target = (1 - p.conversion_drop) * rates.mean() * seasonal_ratio(cfg, tl)
    n_drop = round(converted[latest] - target * leads[latest])
    pool = np.flatnonzero((conv_month == latest) & (channel == units.conversion_channel) & (status != WON))
    dropped = np.zeros(region.size, dtype=bool)
    if n_drop > 0 and pool.size:
        dropped[rng_drop.choice(pool, min(n_drop, pool.size), replace=False)] = True
    return dropped
