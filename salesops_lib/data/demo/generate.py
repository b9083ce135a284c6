"""Orchestration: plan the organisation, then generate and write it chunk by chunk, then the
global tables, then measure the effects into the truth manifest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesops_lib.data.demo.activities import ACTIVITY_TYPES, Activities, build_activities
from salesops_lib.data.demo.bookings import book_chunk, workdays
from salesops_lib.data.demo.customers import (
    SEGMENT_OF_KEY_ACCOUNT,
    Books,
    KeyAccounts,
    build_books,
    plan_key_accounts,
    with_churn,
)
from salesops_lib.data.demo.manifest import build_truth
from salesops_lib.data.demo.org import NO_EXIT, Allocation, Org, allocate_revenue, build_org
from salesops_lib.data.demo.pipeline import Pipeline, build_pipeline
from salesops_lib.data.demo.plans import market_potential, target_lines
from salesops_lib.data.demo.revenue import Orders, Receivables, build_orders, build_receivables
from salesops_lib.data.demo.sampling import sort_order, stream
from salesops_lib.data.demo.scenario import pick_reps, pick_units
from salesops_lib.data.demo.spec import (
    CHANNELS,
    EXPENSE_CATEGORIES,
    INDUSTRIES,
    REGION_NAMES,
    REGIONS,
    SEGMENTS,
    STAGES,
    DemoConfig,
    resolve_config,
)
from salesops_lib.data.demo.spend import (
    CAMPAIGN_TYPES,
    Campaigns,
    Expenses,
    budgets,
    build_campaigns,
    campaign_costs,
    campaign_expenses,
    rep_expenses,
)
from salesops_lib.data.demo.timeline import Timeline, build_timeline
from salesops_lib.data.demo.truth import Truth, truth_path
from salesops_lib.data.demo.vocab import LOST_REASONS, PRODUCTS
from salesops_lib.data.demo.writer import DemoWriter, dates, ids, labels, money
from salesops_lib.errors import ConfigError

Progress = Callable[[str, float], None]
"""Progress callback: a short description and the fraction done (0…1)."""

LEVEL_NAMES = ("company", "region", "team", "rep")
STATUS_NAMES = ("open", "won", "lost")


def generate_demo(
    out: Path | str,
    *,
    size: str = "default",
    variant: str = "planted",
    seed: int = 42,
    as_of: object = None,
    progress: Progress | None = None,
) -> Truth:
    """Write a demo DuckDB file with every canonical table and return its truth manifest.

    The file is written to a temporary name and renamed into place, with the manifest beside it
    (``<out>.truth.json``) and inside it (table ``_truth``). Same arguments, same data.

    Parameters
    ----------
    out
        The DuckDB file to write (replaced if it exists).
    size
        ``small`` (tests, ~40 reps), ``default`` (~400 reps) or ``large`` (~10 M opportunities).
    variant
        ``planted`` (with the planted effects) or ``null`` (the same world without them).
    seed
        Seed of every random stream.
    as_of
        Last day of the history (date or ``YYYY-MM-DD``); default: the end of last month.
    progress
        Optional callback ``(description, fraction)``.

    Examples
    --------
    >>> truth = generate_demo("demo.duckdb", size="small", as_of="2025-06-30")  # doctest: +SKIP
    >>> truth.effect("conversion_drop").magnitude["measured"]["relative_change"]  # doctest: +SKIP
    -0.15
    """
    cfg = resolve_config(size, variant, seed, as_of)
    out = Path(out).expanduser()
    check_output(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    side = truth_path(tmp)
    try:
        truth = _generate(cfg, tmp, progress or (lambda _d, _f: None))
        side.write_text(truth.to_json(), encoding="utf-8")
        os.replace(side, truth_path(out))
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, side, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return truth


def check_output(out: Path) -> None:
    """Raise :class:`ConfigError` unless ``out`` can be written (an existing, writable folder)."""
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ConfigError("the output path is a folder", where=str(out), fix="give a file name, e.g. demo.duckdb")
    if not parent.is_dir():
        raise ConfigError(
            "the output folder does not exist", where=str(parent), fix="create it or choose another --out"
        )
    if not os.access(parent, os.W_OK):
        raise ConfigError("the output folder is not writable", where=str(parent), fix="choose a writable --out")


def _generate(cfg: DemoConfig, path: Path, progress: Progress) -> Truth:
    progress("planning the organisation", 0.0)
    tl = build_timeline(cfg)
    org = build_org(cfg, tl)
    units = pick_units(cfg, tl, org)
    lo, hi = cfg.model.team_factor_range
    base_factor = stream(cfg.seed, "team-factor").uniform(lo, hi, org.n_teams)
    base = allocate_revenue(cfg, tl, org, base_factor)
    # key accounts are planned on the variant-independent allocation: same owners in both variants
    ka = plan_key_accounts(cfg, tl, org, base, units.low_team)
    alloc = base
    if cfg.planted:
        team_factor = base_factor.copy()
        team_factor[units.low_team] = cfg.plant.low_team_factor
        alloc = allocate_revenue(cfg, tl, org, team_factor)
    reps_sel = pick_reps(cfg, tl, org, units, ka.owner, ka.actual)
    if cfg.planted:
        ka = with_churn(ka, reps_sel.churn_account, cfg.plant.churn_factors, tl)
    camps = build_campaigns(cfg, tl, units)

    writer = DemoWriter(path)
    try:
        counters = {
            "customer": ka.n,
            "lead": 0,
            "opp": 0,
            "order": 0,
            "invoice": 0,
            "payment": 0,
            "activity": 0,
            "expense": 0,
        }
        writer.append(
            "customers",
            {
                "customer_id": ids("C", np.arange(1, ka.n + 1)),
                "name": ka.names,
                "industry": labels(INDUSTRIES, ka.industry),
                "region": labels(REGIONS, org.rep_region[ka.owner]),
                "segment": labels(SEGMENTS, np.full(ka.n, SEGMENT_OF_KEY_ACCOUNT)),
                "created_at": dates(ka.created),
            },
        )
        teams = np.arange(org.n_teams)
        step = cfg.size.chunk_teams
        chunks = [teams[i : i + step] for i in range(0, teams.size, step)]
        campaign_pipeline = np.zeros(camps.n)
        for c, chunk_teams in enumerate(chunks):
            progress(f"chunk {c + 1}/{len(chunks)}", 0.05 + 0.8 * c / len(chunks))
            reps = np.flatnonzero(np.isin(org.rep_team, chunk_teams))
            slots = np.flatnonzero(np.isin(org.slot_team, chunk_teams))
            books = build_books(cfg, tl, org, slots, counters["customer"] + 1, c)
            work = workdays(tl, org, reps)
            events, calloffs = book_chunk(cfg, tl, org, alloc, ka, reps_sel, work, c)
            pipe = build_pipeline(cfg, tl, org, units, camps, books, events, c)
            orders = build_orders(cfg, pipe, books, calloffs, c)
            recv = build_receivables(cfg, tl, org, units, orders, c)
            acts = build_activities(cfg, tl, org, ka, books, pipe, work, c)
            spend = rep_expenses(cfg, tl, org, ka, work, c)
            campaign_pipeline += pipe.campaign_pipeline
            _write_chunk(writer, org, books, pipe, orders, recv, acts, spend, counters)
        progress("campaigns, budgets, targets", 0.86)
        cost = campaign_costs(cfg, camps, campaign_pipeline)
        _write_global(writer, cfg, tl, org, alloc, ka, camps, cost, counters)
        progress("measuring the effects", 0.92)
        truth = build_truth(cfg, tl, org, alloc, ka, units, reps_sel, camps, cost, writer.con, dict(writer.rows))
        truth = Truth.from_json(truth.to_json())  # JSON-native (string keys): equal to what load_truth returns
        writer.write_truth(truth.to_json())
    finally:
        writer.close()
    progress("done", 1.0)
    return truth


def _write_chunk(
    writer: DemoWriter,
    org: Org,
    books: Books,
    pipe: Pipeline,
    orders: Orders,
    recv: Receivables,
    acts: Activities,
    spend: Expenses,
    counters: dict[str, int],
) -> None:
    n_c = books.n
    writer.append(
        "customers",
        {
            "customer_id": ids("C", books.first_id + np.arange(n_c)),
            "name": books.names,
            "industry": labels(INDUSTRIES, books.industry),
            "region": labels(REGIONS, books.region),
            "segment": labels(SEGMENTS, books.segment),
            "created_at": dates(books.created),
        },
    )
    counters["customer"] += n_c
    lead0, opp0 = counters["lead"], counters["opp"]
    n_l, n_o = pipe.lead_day.size, pipe.opp_rep.size
    writer.append(
        "leads",
        {
            "lead_id": ids("L", lead0 + 1 + np.arange(n_l)),
            "created_at": dates(pipe.lead_day),
            "channel": labels(CHANNELS, pipe.lead_channel),
            "campaign_id": ids("CP", pipe.lead_campaign + 1, pipe.lead_campaign >= 0),
            "rep_id": org.rep_ids.take(pa.array(pipe.lead_rep)),
            "customer_id": ids("C", books.first_id + np.maximum(pipe.lead_customer, 0), pipe.lead_customer >= 0),
        },
    )
    writer.append(
        "opportunities",
        {
            "opp_id": ids("O", opp0 + 1 + np.arange(n_o)),
            "lead_id": ids("L", lead0 + 1 + np.maximum(pipe.opp_lead, 0), pipe.opp_lead >= 0),
            "customer_id": ids("C", books.first_id + pipe.opp_customer),
            "rep_id": org.rep_ids.take(pa.array(pipe.opp_rep)),
            "product": labels(tuple(p[0] for p in PRODUCTS), pipe.opp_product),
            "amount": money(pipe.opp_amount),
            "created_at": dates(pipe.opp_created),
            "status": labels(STATUS_NAMES, pipe.opp_status),
            "closed_at": dates(pipe.opp_closed, pipe.opp_closed >= 0),
            "expected_close": dates(pipe.opp_expected, pipe.opp_expected >= 0),
            "lost_reason": labels(LOST_REASONS, pipe.opp_reason),
        },
    )
    writer.append(
        "stage_history",
        {
            "opp_id": ids("O", opp0 + 1 + pipe.stage_opp),
            "stage": labels(STAGES, pipe.stage_code),
            "entered_at": dates(pipe.stage_day),
        },
    )
    order0, inv0, pay0 = counters["order"], counters["invoice"], counters["payment"]
    n_or = orders.day.size
    writer.append(
        "orders",
        {
            "order_id": ids("SO", order0 + 1 + np.arange(n_or)),
            "opp_id": ids("O", opp0 + 1 + np.maximum(orders.opp, 0), orders.opp >= 0),
            "customer_id": ids("C", orders.customer),
            "rep_id": org.rep_ids.take(pa.array(orders.rep)),
            "ordered_at": dates(orders.day),
            "amount": money(orders.amount),
            "cost": money(orders.cost),
        },
    )
    n_i, n_p = recv.inv_order.size, recv.pay_invoice.size
    writer.append(
        "invoices",
        {
            "invoice_id": ids("INV", inv0 + 1 + np.arange(n_i)),
            "order_id": ids("SO", order0 + 1 + recv.inv_order),
            "issued_at": dates(recv.inv_issued),
            "due_at": dates(recv.inv_due),
            "amount": money(recv.inv_amount),
        },
    )
    writer.append(
        "payments",
        {
            "payment_id": ids("PAY", pay0 + 1 + np.arange(n_p)),
            "invoice_id": ids("INV", inv0 + 1 + recv.pay_invoice),
            "paid_at": dates(recv.pay_day),
            "amount": money(recv.pay_amount),
        },
    )
    act0 = counters["activity"]
    n_a = acts.day.size
    writer.append(
        "activities",
        {
            "activity_id": ids("A", act0 + 1 + np.arange(n_a)),
            "rep_id": org.rep_ids.take(pa.array(acts.rep)),
            "customer_id": ids("C", acts.customer),
            "opp_id": ids("O", opp0 + 1 + np.maximum(acts.opp, 0), acts.opp >= 0),
            "at": dates(acts.day),
            "type": labels(ACTIVITY_TYPES, acts.kind),
        },
    )
    _write_expenses(writer, org, spend, counters)
    counters.update(
        lead=lead0 + n_l,
        opp=opp0 + n_o,
        order=order0 + n_or,
        invoice=inv0 + n_i,
        payment=pay0 + n_p,
        activity=act0 + n_a,
    )


def _write_expenses(writer: DemoWriter, org: Org, spend: Expenses, counters: dict[str, int]) -> None:
    order = sort_order(spend.rep, spend.day)
    e = Expenses(*(getattr(spend, f)[order] for f in Expenses.__dataclass_fields__))
    n = e.day.size
    start = counters["expense"]
    writer.append(
        "expenses",
        {
            "expense_id": ids("E", start + 1 + np.arange(n)),
            "spent_at": dates(e.day),
            "region": labels(REGIONS, e.region),
            "team": labels(org.team_ids, e.team),
            "rep_id": _nullable_reps(org, e.rep),
            "category": labels(EXPENSE_CATEGORIES, e.category),
            "amount": money(e.amount),
            "campaign_id": ids("CP", e.campaign + 1, e.campaign >= 0),
        },
    )
    counters["expense"] = start + n


def _nullable_reps(org: Org, rep: np.ndarray) -> pa.Array:
    taken = org.rep_ids.take(pa.array(np.maximum(rep, 0)))
    return pc.if_else(pa.array(rep >= 0), taken, pa.scalar(None, pa.string()))


def _write_global(
    writer: DemoWriter,
    cfg: DemoConfig,
    tl: Timeline,
    org: Org,
    alloc: Allocation,
    ka: KeyAccounts,
    camps: Campaigns,
    cost: np.ndarray,
    counters: dict[str, int],
) -> None:
    writer.append(
        "reps",
        {
            "rep_id": org.rep_ids,
            "name": org.rep_names,
            "team": labels(org.team_ids, org.rep_team),
            "region": labels(REGIONS, org.rep_region),
            "team_name": labels(org.team_names, org.rep_team),
            "region_name": labels(tuple(REGION_NAMES[r] for r in REGIONS), org.rep_region),
            "hire_date": dates(org.hire),
            "exit_date": dates(np.where(org.exit == NO_EXIT, 0, org.exit), org.exit != NO_EXIT),
        },
    )
    writer.append(
        "products",
        {
            "product_id": pa.array([p[0] for p in PRODUCTS]),
            "name": pa.array([p[1] for p in PRODUCTS]),
            "family": pa.array([p[2] for p in PRODUCTS]),
            "list_price": money(np.array([p[3] for p in PRODUCTS])),
        },
    )
    writer.append(
        "campaigns",
        {
            "campaign_id": ids("CP", np.arange(1, camps.n + 1)),
            "name": pa.array(camps.names),
            "type": labels(CAMPAIGN_TYPES, camps.kind),
            "start_date": dates(camps.start),
            "end_date": dates(camps.end),
            "region": labels(REGIONS, camps.region),
            "cost": money(cost),
        },
    )
    _write_expenses(writer, org, campaign_expenses(cfg, tl, org, alloc, camps, cost), counters)
    b = budgets(cfg, tl, org, alloc, ka, camps, cost)
    writer.append(
        "budgets",
        {
            "period": dates(b["period"]),
            "level": pa.array(["region"] * b["period"].size),
            "unit_id": labels(REGIONS, b["region"]),
            "category": labels(EXPENSE_CATEGORIES, b["category"]),
            "amount": money(b["amount"]),
        },
    )
    t = target_lines(tl, org, alloc)
    unit = np.where(t["level"] == 0, "company", "")
    unit_ids = pa.array(unit.astype(object))
    for level, vocab in ((1, REGIONS), (2, org.team_ids)):
        unit_ids = pc.if_else(
            pa.array(t["level"] == level), labels(tuple(vocab), np.where(t["level"] == level, t["unit"], 0)), unit_ids
        )
    unit_ids = pc.if_else(
        pa.array(t["level"] == 3), org.rep_ids.take(pa.array(np.where(t["level"] == 3, t["unit"], 0))), unit_ids
    )
    writer.append(
        "targets",
        {
            "period": dates(t["period"]),
            "level": labels(LEVEL_NAMES, t["level"]),
            "unit_id": unit_ids,
            "amount": money(t["amount"]),
        },
    )
    mp = market_potential(cfg, tl, org, alloc)
    writer.append(
        "market_potential",
        {
            "period": dates(mp["period"]),
            "region": labels(REGIONS, mp["region"]),
            "segment": labels(SEGMENTS, mp["segment"]),
            "potential": money(mp["potential"]),
        },
    )
