"""Parameters of the target split (company → region → team → rep, by month)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from salesops_lib.config.scope import AnalysisParams, RunScope
from salesops_lib.core.lists import parse_list
from salesops_lib.errors import ConfigError

Method = Literal["history", "potential", "capacity", "equal", "blend"]
SubMethod = Literal["history", "capacity", "equal", "blend"]
LEVELS = ("region", "team", "rep")
COMPONENTS = ("history", "potential", "capacity", "equal")
_LOCK = re.compile(r"^\s*(region|team|rep)\s*:\s*([^=]+?)\s*=\s*([0-9.eE+_,]+)\s*$")
_HIRE = re.compile(r"^\s*([^=]+?)\s*=\s*(\d+)\s*@\s*(?:(\d{4})-)?(\d{1,2})\s*$")


class TargetSplitParams(AnalysisParams):
    """Target split: the company's annual target decoded into region, team and rep targets by month.

    The split is always company-wide; the run scope's ``region`` only limits what the page shows.
    """

    #: year to plan (0 = the year after the reporting month's year)
    plan_year: int = Field(0, description="year to plan, 0 for the year after the reporting month")
    #: plan one quarter of that year instead of the whole year (1–4; 0 = the year); its base is the
    #: same calendar quarter inside the base window
    plan_quarter: int = Field(
        0, description="plan one quarter (1 to 4) of that year instead of the whole year, 0 for the year"
    )
    #: the company's annual target in currency (0 = base-window revenue × (1 + growth))
    company_target: float = Field(
        0.0, description="annual company target in currency, 0 for base revenue times (1 + growth)"
    )
    #: growth over the base window's revenue, used when company_target is 0
    growth: float = Field(0.10, description="growth over the base window when company_target is 0")
    #: history window: "ttm" = the 12 months ending with the reporting month; "last_year" = the last
    #: complete calendar year
    base: Literal["ttm", "last_year"] = Field(
        "ttm",
        description="history window - ttm (12 months to the reporting month) or last_year "
        "(last complete calendar year)",
    )
    #: how the company target is split across regions: history (share of the base window), potential
    #: (share of market potential), capacity (FTE × ramp), equal, or blend (weights in ``blend``)
    method_region: Method = Field(
        "blend", description="split across regions - history, potential, capacity, equal or blend"
    )
    #: how a region's target is split across its teams (market potential is by region only)
    method_team: SubMethod = Field(
        "blend", description="split across a region's teams - history, capacity, equal or blend"
    )
    #: how a team's target is split across its reps (history is capacity-adjusted for partial years)
    method_rep: SubMethod = Field(
        "blend", description="split across a team's reps - history (capacity-adjusted), capacity, equal or blend"
    )
    #: weights of the blend, e.g. "history:0.6,capacity:0.3,potential:0.1"; a component a level
    #: lacks (potential below regions, history of new units) is dropped and the rest re-weighted
    blend: str = Field("history:0.6,capacity:0.3,potential:0.1", description="blend weights as component:weight pairs")
    #: lowest growth over its base a unit with history may get (0.0 = nobody below the base window)
    growth_floor: float = Field(0.0, description="lowest growth over its base for a unit with history, e.g. 0.0")
    #: highest growth over its base (0.4 = at most +40 %)
    growth_cap: float = Field(0.4, description="highest growth over its base, e.g. 0.4 for +40 percent")
    #: levels where the floor and cap apply, comma-separated (region, team, rep)
    bounds_levels: str = Field("region,team", description="levels where floor and cap apply - region, team, rep")
    #: manual targets kept fixed while the rest re-balances, e.g. "region:east=12000000;team:north-02=3000000"
    locks: str = Field(
        "",
        description="fixed manual targets as level:unit and amount pairs separated by semicolons, "
        "e.g. region:east then the amount",
    )
    #: planned new positions (backfills and growth hires), e.g. "north-02=2@2026-04" (team=count@first month)
    hires: str = Field(
        "", description="planned new positions as team, count and first month (YYYY-MM) separated by semicolons"
    )
    #: months a new rep needs to reach 90 % productivity (ramp 1 − exp(−t/τ), τ = this ÷ ln 10)
    ramp_months: float = Field(6.0, description="months a new rep needs to reach 90 percent productivity")
    #: rounding step in currency (1 = whole units, 0.01 = cents, 100 = hundreds); every parent is the
    #: exact sum of its children in these steps
    step: float = Field(1.0, description="rounding step in currency - 1 whole units, 0.01 cents, 100 hundreds")
    #: a target above this quantile of the unit's own achieved yearly growth is flagged as a stretch
    stretch_quantile: float = Field(
        0.9, description="quantile of a unit's own achieved growth above which its target is a stretch"
    )
    #: Gini of target per ramped FTE across reps above which the load is flagged as uneven
    gini_alert: float = Field(
        0.25, description="Gini of target per ramped FTE across reps above which the load is flagged"
    )
    #: alternative parameters compared side by side, e.g. "method_rep=capacity;growth=0.15"
    whatif: str = Field(
        "", description="alternative parameters compared side by side as key and value pairs separated by semicolons"
    )
    #: folder for the Excel workbooks (one per region plus a company summary; "" = no export)
    excel_dir: str = Field(
        "", description="folder for one Excel workbook per region plus a company summary, empty for none"
    )

    @field_validator("growth_floor", "growth_cap")
    @classmethod
    def _growth(cls, value: float) -> float:
        if value < -1:
            raise ValueError("growth bounds are relative changes and cannot be below -1 (-100 %)")
        return value

    @field_validator("step")
    @classmethod
    def _step(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("step must be positive (1 = whole currency units, 0.01 = cents)")
        return value

    @field_validator("company_target", "ramp_months")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("stretch_quantile")
    @classmethod
    def _quantile(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("stretch_quantile must lie between 0 and 1")
        return value

    @field_validator("plan_quarter")
    @classmethod
    def _quarter(cls, value: int) -> int:
        if not 0 <= value <= 4:
            raise ValueError("plan_quarter must be 1–4, or 0 for the whole year")
        return value

    @field_validator("plan_year")
    @classmethod
    def _year(cls, value: int) -> int:
        if value and not 1900 < value < 2200:
            raise ValueError("plan_year must be a calendar year, or 0 for the year after the reporting month")
        return value

    @model_validator(mode="after")
    def _parse_texts(self) -> TargetSplitParams:
        if self.growth_cap < self.growth_floor:
            raise ValueError(f"growth_cap {self.growth_cap} is below growth_floor {self.growth_floor}")
        self.blend_weights, self.lock_list, self.hire_list, self.bound_levels  # noqa: B018 — validate now
        return self

    @property
    def blend_weights(self) -> dict[str, float]:
        """``blend`` as {component: weight} (weights ≥ 0, at least one positive)."""
        weights: dict[str, float] = {}
        for part in parse_list(self.blend):
            name, _, value = part.partition(":")
            name = name.strip()
            if name not in COMPONENTS:
                raise ValueError(f"blend: unknown component {name!r}; use {', '.join(COMPONENTS)}")
            try:
                weights[name] = float(value)
            except ValueError:
                raise ValueError(f"blend: {part!r} needs a number after the colon, e.g. history:0.6") from None
            if weights[name] < 0:
                raise ValueError(f"blend: weight of {name} is negative")
        if sum(weights.values()) <= 0:
            raise ValueError("blend needs at least one positive weight, e.g. history:0.6,capacity:0.4")
        return weights

    @property
    def lock_list(self) -> tuple[tuple[str, str, float], ...]:
        """``locks`` as (level, unit_id, amount) triples."""
        out = []
        for part in filter(None, (p.strip() for p in self.locks.split(";"))):
            match = _LOCK.match(part)
            if not match:
                raise ValueError(f"locks: cannot read {part!r}; write level:unit=amount, e.g. region:east=12000000")
            out.append((match.group(1), match.group(2), float(match.group(3).replace(",", "").replace("_", ""))))
        keys = [(level, unit) for level, unit, _ in out]
        if len(set(keys)) != len(keys):
            raise ValueError("locks: a unit is locked twice")
        return tuple(out)

    @property
    def hire_list(self) -> tuple[tuple[str, int, int], ...]:
        """``hires`` as (team, count, first month 1–12 of the plan year) triples."""
        out = []
        for part in filter(None, (p.strip() for p in self.hires.split(";"))):
            match = _HIRE.match(part)
            if not match or not 1 <= int(match.group(4)) <= 12:
                raise ValueError(f"hires: cannot read {part!r}; write team=count@YYYY-MM, e.g. north-02=2@2026-04")
            if match.group(3) and self.plan_year and int(match.group(3)) != self.plan_year:
                raise ValueError(f"hires: {part!r} starts outside the plan year {self.plan_year}")
            out.append((match.group(1), int(match.group(2)), int(match.group(4))))
        return tuple(out)

    @property
    def bound_levels(self) -> tuple[str, ...]:
        """``bounds_levels`` as a tuple of level names."""
        names = parse_list(self.bounds_levels)
        unknown = [n for n in names if n not in LEVELS]
        if unknown:
            raise ValueError(f"bounds_levels: unknown level {unknown[0]!r}; use {', '.join(LEVELS)}")
        return names

    def method(self, level: str) -> str:
        """The split method of ``level`` (region, team or rep)."""
        return str(getattr(self, f"method_{level}"))

    def whatif_params(self) -> TargetSplitParams | None:
        """The alternative parameter set of ``whatif`` (None when empty); unknown keys are errors."""
        overrides: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in self.whatif.split(";"))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ConfigError(f"whatif: cannot read {part!r}", fix="write key=value pairs separated by ;")
            overrides[key.strip()] = value.strip()
        if not overrides:
            return None
        if {"whatif", "excel_dir", *RunScope.model_fields} & set(overrides):
            raise ConfigError(
                f"whatif may change split settings only, not the run scope "
                f"({', '.join(RunScope.model_fields)}), whatif or excel_dir",
                fix="remove those keys from whatif",
            )
        if "locks" in overrides or "hires" in overrides:  # their own separators are ; too: use | in whatif
            for key in ("locks", "hires"):
                if key in overrides:
                    overrides[key] = overrides[key].replace("|", ";")
        values = {**self.model_dump(), **overrides, "whatif": "", "excel_dir": ""}
        return type(self).load(values, where="whatif")
