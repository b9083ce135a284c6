"""Build the plan: roster, per-unit weights and bounds, the exact split and its monthly phasing.

From :class:`~salesops_lib.analyses.target_split.inputs.SplitInputs` and the parameters:

1. the **roster** of the plan year — reps employed in any of its months, plus planned new
   positions (``hires``) that start at zero tenure;
2. per unit: the **base** (bookings in the base window, annualised when the data cover only part
   of it), ramped **capacity** (FTE × ramp) in the plan year, **market potential** (regions);
   a rep's history is capacity-adjusted — its productivity in the base window × its capacity
   in the plan year — so that a rep hired mid-window is not punished nor one leaving rewarded;
   reps without a usable base get their peers' median productivity;
3. per level the **split weights** (history, potential, capacity, equal shares within the parent,
   or their blend), **bounds** (growth floor/cap over the base) and **locks**;
4. the exact top-down split and the monthly phasing (:mod:`.allocation`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.target_split import seasonality
from salesops_lib.analyses.target_split.allocation import NO_LOCK, Tree, allocate, phase
from salesops_lib.analyses.target_split.capacity import capacity, fte, month_starts
from salesops_lib.analyses.target_split.inputs import SplitInputs
from salesops_lib.analyses.target_split.params import COMPONENTS, TargetSplitParams
from salesops_lib.analyses.target_split.rounding import UNBOUNDED
from salesops_lib.core.periods import month_start
from salesops_lib.errors import ConfigError, MissingTableError

LEVELS = ("company", "region", "team", "rep")
COMPANY = "company"
MIN_BASE_CAPACITY = 1.0
"""A rep needs at least one ramped FTE-month in the base window for its own productivity to count."""


@dataclass(frozen=True)
class Plan:
    """A split: one row per unit and its months, plus what the split was based on."""

    plan_year: int
    #: the planned quarter (1–4), or 0 for the whole year
    plan_quarter: int
    #: the plan's months (month starts): the year's 12 or the quarter's 3
    plan_months: pd.DatetimeIndex
    #: first and last month of the base window, and how many of its months the data cover
    base_window: tuple[dt.date, dt.date]
    base_months_covered: int
    #: the company target in currency (as rounded to the step) and the step
    company_target: float
    step: float
    #: one row per unit in tree order (company, regions, teams, reps); see :func:`build_plan`
    units: pd.DataFrame
    #: level, unit_id, parent_id, month (first day), steps (int), amount — one row per unit × month
    monthly: pd.DataFrame
    #: level, method, components (used weights) and fallback (parents where a method fell back)
    methods: pd.DataFrame
    #: (level, unit_id) × history month: bookings and ramped capacity, for the audit
    history_revenue: pd.DataFrame
    history_capacity: pd.DataFrame

    @property
    def label(self) -> str:
        """The plan's label: "2026", or "2026Q3" for a quarterly plan."""
        return f"{self.plan_year}Q{self.plan_quarter}" if self.plan_quarter else str(self.plan_year)


def plan_year_of(params: TargetSplitParams, as_of: dt.date) -> int:
    """``params.plan_year``, or the year after the as-of date's year."""
    return params.plan_year or as_of.year + 1


def plan_months_of(params: TargetSplitParams, as_of: dt.date) -> pd.DatetimeIndex:
    """The planned months: the plan year's twelve, or its quarter's three."""
    year = plan_year_of(params, as_of)
    if params.plan_quarter:
        return month_starts(pd.Timestamp(year, 3 * params.plan_quarter - 2, 1), 3)
    return month_starts(pd.Timestamp(year, 1, 1), 12)


def build_plan(inputs: SplitInputs, params: TargetSplitParams) -> Plan:
    """Split the company target of the plan year over the roster, exactly, by month.

    Examples
    --------
    >>> params, as_of = TargetSplitParams(), RunScope(period="2025-06").as_of  # doctest: +SKIP
    >>> plan = build_plan(load_inputs(ds, as_of, plan_months_of(params, as_of)), params)  # doctest: +SKIP
    >>> plan.units.query("level == 'region'")[["unit_id", "target", "growth"]]  # doctest: +SKIP
    """
    year = plan_year_of(params, inputs.as_of)
    plan_months = plan_months_of(params, inputs.as_of)
    base_cols, covered = _base_window(inputs, params, plan_months)
    roster = _roster(inputs.reps, params, year, plan_months)
    units = _units(roster)

    # history of every rep (departed ones count for their team and region)
    hist_cap = capacity(inputs.reps, inputs.months, params.ramp_months)
    revenue = inputs.revenue.to_numpy(dtype=float)
    annualise = len(base_cols) / covered if covered else 0.0
    base_rev = revenue[:, base_cols].sum(axis=1) * annualise
    base_cap = hist_cap[:, base_cols].sum(axis=1)
    hist_units = _rollup_keys(inputs.reps)
    unit_revenue = _rollup(hist_units, revenue, units)
    unit_capacity = _rollup(hist_units, hist_cap, units)
    unit_base = _rollup(hist_units, base_rev[:, None], units)[:, 0]

    plan_cap = capacity(roster, plan_months, params.ramp_months)
    plan_fte = fte(roster, plan_months)
    roster_units = _rollup_keys(roster)
    units["fte"] = _rollup(roster_units, plan_fte.mean(axis=1, keepdims=True), units)[:, 0]
    units["capacity"] = _rollup(roster_units, plan_cap.sum(axis=1, keepdims=True), units)[:, 0]
    units["base"] = unit_base
    _rep_history(units, inputs, roster, base_rev, base_cap, plan_cap)
    units["potential"] = [
        float(inputs.potential.get(u, np.nan)) if lvl == "region" else np.nan
        for lvl, u in zip(units["level"], units["unit_id"], strict=True)
    ]
    if not params.company_target and cast("float", units.loc[0, "base"]) <= 0:
        raise ConfigError(
            "there are no bookings in the base window to grow from",
            where=f"base window ({params.base}) of the history to {inputs.as_of}",
            fix="set company_target, or choose another period or base",
        )

    methods = _weights(units, params)
    _bounds(units, params)
    _locks(units, params)
    total = params.company_target or float(cast("float", units.loc[0, "base"])) * (1 + params.growth)
    total_steps = round(total / params.step)
    tree = Tree(
        ids=tuple(units["unit_id"]),
        levels=tuple(units["level"]),
        parent=units["parent"].to_numpy(np.int64),
        weight=units["weight"].to_numpy(float),
        lower=units["lower_steps"].to_numpy(np.int64),
        upper=units["upper_steps"].to_numpy(np.int64),
        lock=units["lock_steps"].to_numpy(np.int64),
    )
    annual = allocate(tree, total_steps, step=params.step)
    profiles = _profiles(units, unit_revenue, unit_capacity, inputs, roster_units, plan_cap, plan_months)
    months = phase(tree, annual, profiles)

    _finish_units(units, annual, params.step, inputs.existing)
    units["per_fte"] = units["target"] / (units["capacity"] / plan_months.size).where(units["capacity"] > 0)
    n = plan_months.size
    monthly = pd.DataFrame(
        {
            "level": np.repeat(units["level"].to_numpy(), n),
            "unit_id": np.repeat(units["unit_id"].to_numpy(), n),
            "parent_id": np.repeat(units["parent_id"].to_numpy(), n),
            "month": np.tile(plan_months.to_numpy(), len(units)),
            "steps": months.reshape(-1),
        }
    )
    monthly["amount"] = monthly["steps"] * params.step
    index = pd.MultiIndex.from_frame(units[["level", "unit_id"]])
    return Plan(
        plan_year=year,
        plan_quarter=params.plan_quarter,
        plan_months=plan_months,
        base_window=(inputs.months[base_cols[0]].date(), inputs.months[base_cols[-1]].date()),
        base_months_covered=covered,
        company_target=total_steps * params.step,
        step=params.step,
        units=units.drop(columns=["parent", "lower_steps", "upper_steps", "lock_steps"]),
        monthly=monthly,
        methods=methods,
        history_revenue=pd.DataFrame(unit_revenue, index=index, columns=inputs.months),
        history_capacity=pd.DataFrame(unit_capacity, index=index, columns=inputs.months),
    )


# --------------------------------------------------------------------------- roster and units


def _base_window(
    inputs: SplitInputs, params: TargetSplitParams, plan_months: pd.DatetimeIndex
) -> tuple[list[int], int]:
    """Column positions of the base window in the history (only the plan quarter's calendar months
    for a quarterly plan), and how many of them the data cover.
    """
    months = inputs.months
    if params.base == "ttm":
        cols = list(range(months.size - 12, months.size))
    else:
        as_of = inputs.as_of
        year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
        cols = [i for i, m in enumerate(months) if m.year == year]
    cols = [i for i in cols if months[i].month in set(plan_months.month)]
    start = inputs.data_start
    covered = sum(1 for i in cols if start is not None and months[i] >= month_start(start))
    return cols, covered


def _roster(reps: pd.DataFrame, params: TargetSplitParams, year: int, plan_months: pd.DatetimeIndex) -> pd.DataFrame:
    """Reps employed in the plan year plus the planned new positions (``new_position`` True)."""
    active: pd.DataFrame = reps[fte(reps, plan_months).sum(axis=1) > 0].assign(new_position=False)
    regions = reps.drop_duplicates("team").set_index("team")["region"]
    rows: list[dict[str, Any]] = []
    for team, count, month in params.hire_list:
        if team not in regions.index:
            raise ConfigError(
                f"hires: unknown team {team!r}",
                where="parameter hires",
                examples=sorted(regions.index)[:5],
                fix="use a team id of the reps table",
            )
        if month > plan_months[-1].month:
            raise ConfigError(
                f"hires: {team} starts in month {month}, after the plan ends",
                where="parameter hires",
                fix="start new positions within the planned months",
            )
        taken = sum(1 for r in rows if r["team"] == team)
        for k in range(count):
            rows.append(
                {
                    "rep_id": f"{team}+{taken + k + 1}",
                    "name": None,
                    "team": team,
                    "region": regions[team],
                    "hire_date": dt.date(year, month, 1),
                    "exit_date": None,
                    "new_position": True,
                }
            )
    roster = pd.concat([active, pd.DataFrame(rows)], ignore_index=True) if rows else active
    if roster.empty:
        raise ConfigError(f"nobody is employed in {year}", where="reps", fix="check hire and exit dates, or plan_year")
    roster = roster.astype({"hire_date": "object", "exit_date": "object"})
    return roster.sort_values(["region", "team", "rep_id"]).reset_index(drop=True)


def _units(roster: pd.DataFrame) -> pd.DataFrame:
    """Company, regions, teams and reps of the roster, in tree order, with parent positions."""
    regions = sorted(roster["region"].unique())
    teams = roster.drop_duplicates("team")[["team", "region"]].sort_values(["region", "team"])
    frames = [
        pd.DataFrame(
            {"level": COMPANY, "unit_id": COMPANY, "parent_id": None, "region": None, "team": None}, index=[0]
        ),
        pd.DataFrame({"level": "region", "unit_id": regions, "parent_id": COMPANY, "region": regions, "team": None}),
        pd.DataFrame(
            {
                "level": "team",
                "unit_id": teams["team"],
                "parent_id": teams["region"],
                "region": teams["region"],
                "team": teams["team"],
            }
        ),
        pd.DataFrame(
            {
                "level": "rep",
                "unit_id": roster["rep_id"],
                "parent_id": roster["team"],
                "region": roster["region"],
                "team": roster["team"],
            }
        ),
    ]
    units = pd.concat(frames, ignore_index=True)
    units["name"] = [None] * (1 + len(regions) + len(teams)) + list(roster["name"])
    units["new_position"] = [False] * (1 + len(regions) + len(teams)) + list(roster["new_position"])
    position = {(lvl, u): i for i, (lvl, u) in enumerate(zip(units["level"], units["unit_id"], strict=True))}
    parent_level = {"region": COMPANY, "team": "region", "rep": "team"}
    units["parent"] = [-1] + [
        position[(parent_level[lvl], p)] for lvl, p in zip(units["level"][1:], units["parent_id"][1:], strict=True)
    ]
    return units


def _rollup_keys(reps: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "company": np.full(len(reps), COMPANY, dtype=object),
        "region": reps["region"].to_numpy(object),
        "team": reps["team"].to_numpy(object),
        "rep": reps["rep_id"].to_numpy(object),
    }


def _rollup(keys: dict[str, np.ndarray], values: np.ndarray, units: pd.DataFrame) -> np.ndarray:
    """Units × columns: the sum of the reps' ``values`` under each unit (0 where none)."""
    out = np.zeros((len(units), values.shape[1]))
    for level in LEVELS:
        rows = np.flatnonzero(units["level"].to_numpy() == level)
        sums = pd.DataFrame(values).groupby(keys[level]).sum()
        found = sums.reindex(units["unit_id"].to_numpy()[rows]).fillna(0.0).to_numpy()
        out[rows] = found
    return out


def _rep_history(
    units: pd.DataFrame,
    inputs: SplitInputs,
    roster: pd.DataFrame,
    base_rev: np.ndarray,
    base_cap: np.ndarray,
    plan_cap: np.ndarray,
) -> None:
    """A rep's base = productivity in the base window × capacity in the plan year; reps without a
    usable base (new, or under one ramped FTE-month) get the median productivity of their team's
    reps (else region's, else company's). ``has_history`` marks who had their own.
    """
    position = {r: i for i, r in enumerate(inputs.reps["rep_id"])}
    rows = np.flatnonzero(units["level"].to_numpy() == "rep")
    own = np.full(len(roster), np.nan)
    for k, rep in enumerate(roster["rep_id"]):
        i = position.get(rep)
        if i is not None and base_cap[i] >= MIN_BASE_CAPACITY:
            own[k] = base_rev[i] / base_cap[i]
    productivity = pd.Series(own)
    fallback = productivity.copy()
    for key in ("team", "region"):
        fallback = fallback.fillna(productivity.groupby(roster[key].to_numpy()).transform("median"))
    fallback = fallback.fillna(productivity.median()).fillna(0.0)
    yearly_cap = plan_cap.sum(axis=1)
    units["has_history"] = units["base"] > 0
    units.loc[rows, "has_history"] = np.isfinite(own)
    units.loc[rows, "base"] = np.where(np.isfinite(own), own * yearly_cap, np.nan)
    units.loc[rows, "history_weight"] = fallback.to_numpy() * yearly_cap
    others = np.setdiff1d(np.arange(len(units)), rows)
    units.loc[others, "history_weight"] = units.loc[others, "base"]


# --------------------------------------------------------------------------- weights, bounds, locks


def _weights(units: pd.DataFrame, params: TargetSplitParams) -> pd.DataFrame:
    """Set ``w_<component>`` (share within the parent) and ``weight`` (the method's share) per unit."""
    raw = {
        "history": units["history_weight"].fillna(0.0).clip(lower=0),
        "potential": units["potential"],
        "capacity": units["capacity"],
        "equal": pd.Series(1.0, index=units.index),
    }
    units["weight"] = 1.0
    weight = np.ones(len(units))
    shares_of = {name: np.full(len(units), np.nan) for name in COMPONENTS}
    values_of = {name: raw[name].to_numpy(float) for name in COMPONENTS}
    set_order: list[str] = []  # the w_ columns in the order a share was first set
    described = []
    for level in LEVELS[1:]:
        method = params.method(level)
        wanted = params.blend_weights if method == "blend" else {method: 1.0}
        if method == "potential" and units.loc[units["level"] == "region", "potential"].isna().all():
            raise MissingTableError(
                "method_region is potential, but the source has no market potential by region",
                where="market_potential",
                fix="map market_potential, or use another method_region",
            )
        fallbacks: list[str] = []
        for parent, rows in _children_by_parent(units, level):
            shares: dict[str, np.ndarray] = {}
            for name in COMPONENTS:
                values = values_of[name][rows]
                total = values.sum()
                if not np.isnan(values).any() and total > 0:
                    shares[name] = values / total
                    shares_of[name][rows] = shares[name]
                    if name not in set_order:
                        set_order.append(name)
            usable = {k: w for k, w in wanted.items() if k in shares and w > 0}
            if not usable:  # e.g. history for a parent whose units are all new: split by capacity
                usable = {"capacity": 1.0} if "capacity" in shares else {"equal": 1.0}
                fallbacks.append(str(parent))
            if method == "potential" and "potential" not in usable:
                raise ConfigError(
                    f"no market potential for the regions of {parent}",
                    where="market_potential",
                    fix="give every region a potential, or use another method_region",
                )
            total_weight = sum(usable.values())
            weight[rows] = sum(shares[k] * w / total_weight for k, w in usable.items())
        for name in set_order:
            units[f"w_{name}"] = shares_of[name]
        units["weight"] = weight
        used = _components_used(units, level, wanted)
        described.append({"level": level, "method": method, "components": used, "fallback": ", ".join(fallbacks)})
    for name in COMPONENTS:
        if f"w_{name}" not in units:
            units[f"w_{name}"] = np.nan
    return pd.DataFrame(described)


def _children_by_parent(units: pd.DataFrame, level: str) -> list[tuple[object, np.ndarray]]:
    """The units of ``level`` grouped by parent, parents in order of appearance: (parent, positions)."""
    at_level = np.flatnonzero(units["level"].to_numpy() == level)
    parents = units["parent_id"].to_numpy()[at_level]
    groups = pd.Series(np.arange(at_level.size)).groupby(parents, sort=False).indices
    return [(parent, at_level[members]) for parent, members in groups.items()]


def _components_used(units: pd.DataFrame, level: str, wanted: dict[str, float]) -> str:
    present = [k for k in wanted if f"w_{k}" in units and units.loc[units["level"] == level, f"w_{k}"].notna().any()]
    total = sum(wanted[k] for k in present) or 1.0
    return ",".join(f"{k}:{wanted[k] / total:.2f}" for k in present)


def _bounds(units: pd.DataFrame, params: TargetSplitParams) -> None:
    """Floors and caps in steps for units with a base at the bounded levels (others: 0 … unbounded)."""
    bounded = units["level"].isin(params.bound_levels) & units["has_history"] & (units["base"] > 0)
    base = units["base"].fillna(0.0) / params.step
    lower = np.ceil(base * (1 + params.growth_floor) - 1e-6)
    upper = np.floor(base * (1 + params.growth_cap) + 1e-6)
    units["lower_steps"] = np.where(bounded, np.maximum(lower, 0), 0).astype(np.int64)
    units["upper_steps"] = np.where(bounded, np.maximum(upper, units["lower_steps"]), UNBOUNDED).astype(np.int64)


def _locks(units: pd.DataFrame, params: TargetSplitParams) -> None:
    """Locked amounts in steps (``NO_LOCK`` for free units)."""
    units["lock_steps"] = NO_LOCK
    position = {(lvl, u): i for i, (lvl, u) in enumerate(zip(units["level"], units["unit_id"], strict=True))}
    for level, unit, amount in params.lock_list:
        if (level, unit) not in position:
            known = units.loc[units["level"] == level, "unit_id"].tolist()
            raise ConfigError(
                f"locks: no {level} {unit!r} in the plan year's roster",
                where="parameter locks",
                examples=known[:5],
                fix=f"use one of the {len(known)} {level} ids",
            )
        units.loc[position[(level, unit)], "lock_steps"] = round(amount / params.step)


# --------------------------------------------------------------------------- phasing


def _profiles(
    units: pd.DataFrame,
    revenue: np.ndarray,
    cap: np.ndarray,
    inputs: SplitInputs,
    roster_units: dict[str, np.ndarray],
    plan_cap: np.ndarray,
    plan_months: pd.DatetimeIndex,
) -> np.ndarray:
    """Units × plan months desired shape: seasonal index (own, shrunk to the parent's) × ramped
    capacity in each plan month (so vacancies, hires and exits shape the months too).
    """
    valid = np.ones(inputs.months.size, dtype=bool)
    if inputs.data_start is not None:
        valid = inputs.months >= month_start(inputs.data_start)
    trend = seasonality.company_trend(revenue[0], cap[0], inputs.months, valid)
    own = seasonality.own_index(revenue, cap, inputs.months, valid, trend)
    index = np.ones((len(units), 12))
    index[0] = seasonality.company_index(own)
    parents = units["parent"].to_numpy()
    new = units["new_position"].to_numpy(bool)
    for i in range(1, len(units)):  # tree order: the parent's index is ready
        parent = index[parents[i]]
        index[i] = parent if new[i] else seasonality.shrink(own, i, parent)
    month_cap = _rollup(roster_units, plan_cap, units)
    profiles: np.ndarray = index[:, plan_months.month.to_numpy() - 1] * month_cap
    return profiles


# --------------------------------------------------------------------------- result columns


def _finish_units(units: pd.DataFrame, annual: np.ndarray, step: float, existing: pd.Series) -> None:
    units["target_steps"] = annual
    units["target"] = annual * step
    units["lower"] = np.where(units["upper_steps"] < UNBOUNDED, units["lower_steps"] * step, np.nan)
    units["upper"] = np.where(units["upper_steps"] < UNBOUNDED, units["upper_steps"] * step, np.nan)
    units["locked"] = units["lock_steps"] != NO_LOCK
    with np.errstate(divide="ignore", invalid="ignore"):
        units["growth"] = np.where(units["base"] > 0, units["target"] / units["base"] - 1, np.nan)
    parent_target = units["target"].to_numpy()[np.maximum(units["parent"].to_numpy(), 0)]
    units["share"] = np.where(parent_target > 0, units["target"] / parent_target, np.nan)
    units.loc[0, "share"] = 1.0
    units["bound"] = np.select(
        [
            units["locked"],
            units["upper_steps"].lt(UNBOUNDED) & (annual >= units["upper_steps"]),
            units["upper_steps"].lt(UNBOUNDED) & (annual <= units["lower_steps"]),
        ],
        ["lock", "cap", "floor"],
        "",
    )
    known = existing.to_dict()  # (level, unit) → amount: a dict lookup per unit, not a MultiIndex one
    units["existing"] = [
        float(known.get((lvl, u), math.nan)) for lvl, u in zip(units["level"], units["unit_id"], strict=True)
    ]
