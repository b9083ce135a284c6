"""Funnel diagnosis: ``compute(data, scope, params) -> FunnelResult``.

The fact tables are built once in the engine and cached there — one row per deal and one per
lead as of the reporting month's last day, and one per deal × stage it entered (its stays) —
so every section is a small group-by over a plain table, and only aggregates reach pandas.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.bounded import BoundedList
from salesops_lib.analyses.funnel_diagnosis import bridge as bridges
from salesops_lib.analyses.funnel_diagnosis import changes, cohorts, process_change, segments, stages
from salesops_lib.analyses.funnel_diagnosis.facts import (
    DEAL_DIMENSIONS,
    LEAD_DIMENSIONS,
    NONE,
    StagePlan,
    deal_facts,
    lead_facts,
    lead_months,
    restored,
    rows_of,
    stage_plan,
    stored,
)
from salesops_lib.analyses.funnel_diagnosis.findings import conclude
from salesops_lib.analyses.funnel_diagnosis.params import FunnelDiagnosisParams
from salesops_lib.analyses.funnel_diagnosis.result import FunnelResult
from salesops_lib.analyses.funnel_diagnosis.stats import holm
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import add_months
from salesops_lib.core.quantiles import quantile_of_counts
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError

REQUIRED = ("opportunities", "stage_history", "reps")
MAX_DRILLS = 6
"""Changes explained segment by segment (the largest material drops first)."""
ORG = ("region", "team", "rep")
SEASON_YEARS = 3
"""Earlier years of the same calendar month behind a month's seasonal factor (at most)."""


def compute(data: Dataset, scope: RunScope, params: FunnelDiagnosisParams) -> FunnelResult:
    """Diagnose the funnel as of the last day of ``scope.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), FunnelDiagnosisParams())  # doctest: +SKIP
    >>> result.screen.query("significant")[["step", "unit", "change"]]  # doctest: +SKIP
    """
    data.require(*REQUIRED)
    plan = stage_plan(data.stages, params.stage_list)
    first, as_of = scope.month
    window_start = add_months(first, -(params.window_months - 1)) if params.window_months else None
    baseline = [add_months(first, -m) for m in params.baseline_months]
    unit = "team" if scope.region and params.segment == "region" else params.segment
    has_leads = data.has("leads")
    dimensions = [d for d in params.dimension_list if _available(d, data)]
    if unit not in dimensions and _available(unit, data):
        dimensions.insert(0, unit)
    change_stages, change_level = _change_stages(plan, params), _change_level(data, scope, params)  # fail early
    change_day = params.change_day
    starts = [baseline[0], _history_start(first, params), as_of - dt.timedelta(days=process_change.SEARCH_DAYS)]
    if change_day:
        starts.append(change_day - dt.timedelta(days=process_change.BEFORE_DAYS))
    since = None if window_start is None else min(window_start, *starts)

    lead_rows = lead_facts(data, as_of, since=since, region=scope.region) if has_leads else None
    lag_p90 = _lead_lag(_in_window(lead_rows, "created", window_start) if lead_rows is not None else None)
    with ExitStack() as stack:
        # the deals are cached once, without what follows from other columns (their stays are a
        # union over them, read where asked); the leads only as monthly counts: every lead
        # question is about whole months
        facts = deal_facts(data, plan, as_of, since=since, region=scope.region)
        deals = restored(stack.enter_context(stored(facts).cache()), data)
        leads = stack.enter_context(lead_months(lead_rows).cache()) if lead_rows is not None else None
        return _diagnose(
            deals,
            leads,
            stages.stays(deals, plan),
            plan,
            scope,
            params,
            unit=unit,
            dimensions=dimensions,
            window_start=window_start,
            baseline=baseline,
            as_of=as_of,
            change=(change_stages, change_level),
            lead_lag_p90=lag_p90,
        )


def _history_start(first: dt.date, params: FunnelDiagnosisParams) -> dt.date:
    """First month the month-vs-baseline screen reads: :data:`SEASON_YEARS` years of seasonal
    factors, each needing its own baseline months before it.
    """
    return add_months(first, -(SEASON_YEARS * 12 + max(params.baseline_months)))


def _available(dimension: str, data: Dataset) -> bool:
    return {"channel": data.has("leads"), "industry": data.has("customers")}.get(dimension, True)


def _in_window(table: ir.Table, column: str, start: dt.date | None) -> ir.Table:
    return table if start is None else table.filter(table[column] >= start)


def _diagnose(
    deals: ir.Table,
    leads: ir.Table | None,
    stay: ir.Table,
    plan: StagePlan,
    scope: RunScope,
    params: FunnelDiagnosisParams,
    *,
    unit: str,
    dimensions: list[str],
    window_start: dt.date | None,
    baseline: list[dt.date],
    as_of: dt.date,
    change: tuple[list[int], str],
    lead_lag_p90: float,
) -> FunnelResult:
    first = scope.month[0]
    alpha = params.alpha
    window = _in_window(deals, "created", window_start)
    window_leads = _in_window(leads, "created", window_start) if leads is not None else None
    undated = int(deals.filter(deals.created.isnull()).count().execute()) if window_start is None else 0

    # --- the funnel of the window's deals, and where it loses value
    counts = stages.outcome_counts(window, [])
    lead_totals = _lead_counts(window_leads, [])
    funnel = stages.funnel_table(counts, plan, alpha=alpha, leads=lead_totals)
    lost = stages.value_lost(funnel, counts, plan)
    avg_won = float(lost["avg_won"].iloc[0]) if len(lost) else np.nan

    # --- durations and stalled deals against each unit's norm
    norm_level = unit if unit in ORG else "region"
    durations = stages.durations(stay, [], window_start, as_of)
    unit_durations = stages.durations(stay, [norm_level], window_start, as_of)
    norms = _norms(unit_durations, durations, norm_level, params.min_segment_size)
    stalled = stages.stalled(stay, norms, norm_level, as_of) if not norms.empty else pd.DataFrame()
    stuck = stages.stalled_deals(stay, norms, norm_level, as_of) if not norms.empty else BoundedList(pd.DataFrame(), 0)
    reasons = stages.lost_reasons(window)

    # --- cohorts by creation month (right-censoring handled by the incidence estimator)
    cohort_start = window_start or None
    curves = cohorts.incidence_curves(deals, cohort_start, as_of, params.horizon_days)
    cohort_table = cohorts.cohort_table(deals, plan, cohort_start, as_of, params.horizon_days, curves)

    # --- segments against the rest, and the units' recoverable value
    by_dimension = {d: stages.outcome_counts(window, [d]) for d in dimensions}
    leads_by = {
        d: _lead_frame(window_leads, [d]) for d in dimensions if d in LEAD_DIMENSIONS and window_leads is not None
    }
    compared = segments.compare_segments(by_dimension, leads_by, plan, alpha=alpha, min_size=params.min_segment_size)
    bottlenecks = segments.recoverable(compared, funnel, unit, plan, avg_won)

    # --- the month against its baseline, screened by unit and explained by segment
    latest = pd.Timestamp(first)
    months = [pd.Timestamp(m) for m in baseline]
    lead_unit = leads if leads is not None and unit in LEAD_DIMENSIONS else None
    start = _history_start(first, params)
    monthly = changes.monthly_counts(stay, lead_unit, [unit], start, as_of)
    strata = (
        changes.lead_counts(lead_unit, [unit, "channel"], start, as_of)
        if lead_unit is not None and unit != "channel"
        else None
    )
    steps = {**({-1: stages.LEADS} if lead_unit is not None else {}), **dict(enumerate(plan.open_stages))}
    screen = changes.screen(
        monthly,
        unit,
        latest,
        params.baseline_months,
        min_change=params.min_change,
        steps=steps,
        strata=strata,
        seasonal=params.compare_to != "same-month-last-year",  # that baseline is seasonal already
    )
    drivers = _drivers(screen, stay, leads, unit, dimensions, first, as_of, baseline, params)
    decomposition = _decomposition(monthly, unit, latest, months, steps)

    # --- the won-value bridge
    won = bridges.won_counts(deals, unit, baseline[0], as_of)
    with_leads = lead_unit is not None
    before_cycles, cycles = bridges.cycle_medians(deals, unit, months), bridges.cycle_medians(deals, unit, [latest])
    before = bridges.factor_table(monthly, won, unit, months, plan, with_leads, before_cycles)
    after = bridges.factor_table(monthly, won, unit, [latest], plan, with_leads, cycles)
    contributions = bridges.lmdi(before, after, plan, with_leads)
    bridge = bridges.bridge_steps(contributions, plan, with_leads) if not contributions.empty else pd.DataFrame()
    factors = (
        pd.DataFrame({"baseline": before.loc["company"], "latest": after.loc["company"]})
        if len(before)
        else pd.DataFrame()
    )

    # --- a process change
    process = _process(stay, deals, plan, params, as_of, ks=change[0], level=change[1])

    result = {
        "period": scope.period,
        "as_of": as_of,
        "stages": plan.funnel,
        "has_leads": leads is not None,
        "unit": unit,
        "window_start": window_start,
        "baseline": tuple(baseline),
        "compare_to": params.compare_to,
        "horizon_days": params.horizon_days,
        "alpha": alpha,
        "min_segment_size": params.min_segment_size,
        "undated": undated,
        "lead_lag_p90": lead_lag_p90,
        "funnel": funnel,
        "value_lost": lost,
        "durations": durations,
        "unit_durations": unit_durations,
        "stalled": stalled,
        "stalled_deals": stuck.rows,
        "stalled_deals_total": stuck.total,
        "lost_reasons": reasons,
        "cohorts": cohort_table,
        "curves": curves,
        "segments": compared,
        "bottlenecks": bottlenecks,
        "screen": screen,
        "drivers": drivers,
        "decomposition": decomposition,
        "bridge": bridge,
        "bridge_units": contributions,
        "bridge_factors": factors,
        "process": process,
    }
    findings = conclude(result, plan, scope, params, avg_won=avg_won)
    return FunnelResult(**result, findings=tuple(findings))  # type: ignore[arg-type]


def _lead_counts(leads: ir.Table | None, by: list[str]) -> pd.DataFrame | None:
    return None if leads is None else _lead_frame(leads, by)


def _lead_frame(leads: ir.Table, by: list[str]) -> pd.DataFrame:
    """Leads and converted leads by ``by`` (the totals when ``by`` is empty)."""
    table = (
        leads.group_by(by).agg(leads=rows_of(leads), converted=leads.converted.sum().cast("float64"))
        if by
        else leads.aggregate(leads=rows_of(leads), converted=leads.converted.sum().cast("float64"))
    )
    frame: pd.DataFrame = table.execute()
    frame[["leads", "converted"]] = frame[["leads", "converted"]].astype(float).fillna(0.0)
    return frame


def _lead_lag(leads: ir.Table | None) -> float:
    """90th percentile of the converted leads' days to their first deal, from the engine's count
    of leads per day of lag (a few hundred rows, where tens of millions of leads would be sorted).
    """
    if leads is None:
        return float("nan")
    converted = leads.filter(leads.lag.notnull())
    counts = converted.group_by(days=converted.lag).agg(n=converted.count()).execute()
    return quantile_of_counts(counts["days"].to_numpy(float), counts["n"].to_numpy(float), 0.9)


def _norms(by_unit: pd.DataFrame, overall: pd.DataFrame, level: str, min_size: int) -> pd.DataFrame:
    """Each unit's 80th percentile of completed stays per stage; the company's when the unit has
    fewer than ``min_size`` stays.
    """
    if by_unit.empty:
        return pd.DataFrame()
    company = overall.set_index("k")["p80_days"]
    norms = by_unit[["k", level, "stays", "p80_days"]].copy()
    small = norms["stays"] < min_size
    norms["norm_days"] = np.where(small, norms["k"].map(company), norms["p80_days"])
    return norms


def _drivers(
    screen: pd.DataFrame,
    stay: ir.Table,
    leads: ir.Table | None,
    unit: str,
    dimensions: list[str],
    first: dt.date,
    as_of: dt.date,
    baseline: list[dt.date],
    params: FunnelDiagnosisParams,
) -> pd.DataFrame:
    """Mix/rate split of each material or significant drop of a unit, over every other dimension."""
    flagged = screen[
        (screen["unit"] != changes.COMPANY)
        & (screen["stratum"] == "")
        & (screen["change"] < 0)
        & (screen["material"] | screen["significant"])
    ]
    flagged = flagged.sort_values("change").head(MAX_DRILLS)
    periods = [(m, (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date()) for m in baseline]
    parts = []
    allowed: tuple[str, ...]
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in flagged.itertuples():
        if row.k == -1:
            if leads is None:
                continue
            table, date, flag, allowed = leads, "created", "converted", LEAD_DIMENSIONS
        else:
            table, date, flag, allowed = stay.filter(stay.k == row.k), "left", "advanced", DEAL_DIMENSIONS
        inside = table.filter(table[unit] == row.unit)
        for dimension in dimensions:
            if dimension not in allowed or _nests(unit, dimension):
                continue
            counts = changes.period_counts(inside, date, flag, dimension, first, as_of, periods)
            split = changes.shift_share(counts, dispersion=float(row.dispersion))
            split.insert(0, "dimension", dimension)
            split.insert(0, "unit", row.unit)
            split.insert(0, "k", row.k)
            split.insert(0, "step", row.step)
            parts.append(split)
    if not parts:
        return pd.DataFrame()
    drivers = pd.concat(parts, ignore_index=True)
    drivers["small"] = (drivers[["n_baseline", "n_latest"]].min(axis=1) < params.min_segment_size) & (
        drivers["segment"] != NONE
    )
    drivers["p_adjusted"] = np.nan
    for _, index in drivers.groupby(["step", "unit"]).groups.items():
        drivers.loc[index, "p_adjusted"] = holm(drivers.loc[index, "p_value"])
    drivers["significant"] = drivers["p_adjusted"] < params.alpha
    return drivers


def _nests(unit: str, dimension: str) -> bool:
    """True when every ``unit`` lies inside one segment of ``dimension`` (a team inside its region),
    so splitting the unit by it explains nothing.
    """
    if unit == dimension:
        return True
    return unit in ORG and dimension in ORG and ORG.index(dimension) < ORG.index(unit)


def _decomposition(
    monthly: pd.DataFrame, unit: str, latest: pd.Timestamp, months: list[pd.Timestamp], steps: dict[int, str]
) -> pd.DataFrame:
    """Per step: the company's change of the pooled rate split over units (mix + rate)."""
    parts = []
    window = monthly[monthly["month"].isin([latest, *months])]
    for k, step in steps.items():
        part = window[window["k"] == k]
        if part.empty:
            continue
        frame = part.assign(latest=part["month"] == latest).rename(columns={unit: "segment"})
        split = changes.shift_share(frame[["segment", "latest", "n", "x"]])
        split.insert(0, "k", k)
        split.insert(0, "step", step)
        parts.append(split)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _change_stages(plan: StagePlan, params: FunnelDiagnosisParams) -> list[int]:
    """Indices of the open stages a process change is looked for in (all unless one is named)."""
    if not params.change_stage:
        return list(range(plan.n))
    if params.change_stage not in plan.open_stages:
        raise ConfigError(
            f"change_stage {params.change_stage!r} is not an open stage",
            where="parameter change_stage",
            fix=f"use one of: {', '.join(plan.open_stages)}",
        )
    return [plan.open_stages.index(params.change_stage)]


def _change_level(data: Dataset, scope: RunScope, params: FunnelDiagnosisParams) -> str:
    """The org level of the adopting units (region, or team within one region, unless ids say otherwise)."""
    default = "team" if scope.region else "region"
    if not params.adopting_list:
        return default
    reps = data.table("reps").select("region", "team", "rep_id").distinct().execute()
    units = {"region": set(reps["region"]), "team": set(reps["team"]), "rep": set(reps["rep_id"])}
    return process_change.resolve_level(units, params.adopting_list)


def _process(
    stay: ir.Table,
    deals: ir.Table,
    plan: StagePlan,
    params: FunnelDiagnosisParams,
    as_of: dt.date,
    *,
    ks: list[int],
    level: str,
) -> process_change.ProcessChange:
    """Measure the given change, or search the data for one and measure it on unseen data."""
    if params.change_day:
        adopting = params.adopting_list or tuple(deals.select(level).distinct().execute()[level])
        if params.change_day >= as_of - dt.timedelta(days=process_change.SETTLE_DAYS):
            return process_change.ProcessChange(
                method="too_recent", level=level, date=params.change_day, adopting=tuple(sorted(adopting))
            )
        return process_change.measure(
            stay, plan, level=level, date=params.change_day, adopting=adopting, ks=ks, as_of=as_of, alpha=params.alpha
        )
    table, found = process_change.search(stay, plan, level=level, ks=ks, as_of=as_of, alpha=params.alpha)
    if found is None:
        shifted = not table.empty and bool(table["significant"].any())
        return process_change.ProcessChange(method="company_wide" if shifted else "none", level=level, search=table)
    k, date, adopting = found
    return process_change.measure(
        stay,
        plan,
        level=level,
        date=date,
        adopting=adopting,
        ks=[k],
        as_of=as_of,
        alpha=params.alpha,
        method="detected",
        parity=1,
        search=table,
    )
