"""Team efficiency: orchestration of the parts into a :class:`.TeamEfficiencyResult`.

``compute(data, scope, params)`` is pure: :func:`read` takes what it needs from the source through
the engine (:mod:`.panel`, :mod:`.active`), :func:`analyse` works on those aggregates only (so a
placebo test can reshuffle reps across teams without reading the source again). No words: the page
(``salesops_lib.report.team_efficiency``) words it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.team_efficiency import (
    active,
    composition,
    explain,
    flags,
    incentives,
    per_fte,
    scorecard,
)
from salesops_lib.analyses.team_efficiency import findings as statements
from salesops_lib.analyses.team_efficiency.drivers import PanelFit, fit_drivers, reading
from salesops_lib.analyses.team_efficiency.panel import rep_months
from salesops_lib.analyses.team_efficiency.params import TeamEfficiencyParams
from salesops_lib.analyses.team_efficiency.ramp import RampCurve, ramp_curve
from salesops_lib.analyses.team_efficiency.result import TeamEfficiencyResult
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import add_months, month_start
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import rep_roster

TREND_MONTHS = 12
STAR_QUARTERS = 4


def _month(scope: RunScope, offset: int = 0) -> pd.Timestamp:
    """The first day of the month ``offset`` months from the scope's period."""
    return month_start(add_months(scope.month[0], offset))


@dataclass(frozen=True)
class Inputs:
    """What the analysis reads from the source: the rep × month panel (``fte`` = selling FTE, see
    :mod:`.active`), the roster and the codes of what the source cannot feed.
    """

    panel: pd.DataFrame
    reps: pd.DataFrame
    notes: tuple[str, ...]


def compute(data: Dataset, scope: RunScope, params: TeamEfficiencyParams) -> TeamEfficiencyResult:
    """Compute the team-efficiency analysis for ``scope.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), TeamEfficiencyParams())  # doctest: +SKIP
    >>> result.units.query("flagged")[["unit", "gap", "gap_low", "gap_high", "q_value"]]  # doctest: +SKIP
    """
    return analyse(read(data, scope, params), scope, params)


def read(data: Dataset, scope: RunScope, params: TeamEfficiencyParams) -> Inputs:
    """The rep × month panel with selling FTE, the roster and the source notes for ``scope``."""
    end_day = scope.as_of
    window_start = _month(scope, 1 - params.window_months)
    history_start = _month(scope, 1 - params.history_months)
    first = min(history_start, window_start, _month(scope, 1 - TREND_MONTHS), _month(scope, -3 * STAR_QUARTERS))
    panel = rep_months(
        data, first.date(), end_day, activity_types=params.activity_types, proposal_stage=params.proposal_stage
    )
    reps = rep_roster(data)
    spans = active.selling_spans(data, end_day)
    panel = active.selling_fte(panel, reps, spans, end=end_day, grace=params.active_grace_days)
    return Inputs(panel, reps, tuple(_notes(data, panel, params)))


def analyse(inputs: Inputs, scope: RunScope, params: TeamEfficiencyParams) -> TeamEfficiencyResult:
    """The analysis of :func:`read`'s aggregates (no access to the source)."""
    panel, reps, notes = inputs.panel, inputs.reps, list(inputs.notes)
    end_day = scope.as_of
    last = _month(scope)
    window_start = _month(scope, 1 - params.window_months)
    history_start = _month(scope, 1 - params.history_months)
    team_region = reps.drop_duplicates("team").set_index("team")["region"]

    fit = fit_drivers(panel[panel["month"] >= history_start], params.activity_types, confidence=params.confidence)
    ramp = ramp_curve(fit, full_level=params.full_productivity) if fit is not None else None
    if fit is None and not {"no_activities", "no_hire_dates"} <= set(notes):
        notes.append("few_rep_months")

    units = screened_units(panel, reps, params, window_start, last)
    units = _with_causes(units, panel, fit, ramp, window_start, last)
    ramped = _ramped(reps, window_start, ramp)
    rep_rule = flags.FlagRule(params.gap_threshold, params.confidence, params.min_rep_fte)
    rep_rows = _level(
        panel,
        reps,
        "rep",
        params.benchmark,
        rep_rule,
        window_start,
        last,
        reps.set_index("rep_id")["team"],
        eligible=ramped,
    )
    rep_rows["ramping"] = ~rep_rows["unit"].map(ramped).fillna(True).astype(bool)
    rep_rows = rep_rows.merge(reps[["rep_id", "name", "team", "region"]], left_on="unit", right_on="rep_id", how="left")
    inactive = active.inactive_reps(reps, panel, window_start, last)
    company = _first_row(per_fte.window(panel, "company", window_start, last))
    company.update(_first_row(per_fte.headcount(reps, "company", window_start, last)))
    monthly = _monthly(panel, _month(scope, 1 - TREND_MONTHS), last)

    if scope.region:  # the benchmark stays the company's; the region's units, reps and scorecard are shown
        units = units[(units["unit"] == scope.region) | units["unit"].map(team_region).eq(scope.region)]
        rep_rows = rep_rows[rep_rows["region"] == scope.region]
        inactive = inactive[inactive["region"] == scope.region].reset_index(drop=True)
        monthly = monthly[monthly["unit"].isin(["company", *units["unit"]])]
        panel = panel[panel["region"] == scope.region]
    card = _scorecard_and_pay(panel, params, end_day)

    window = (window_start.strftime("%Y-%m"), last.strftime("%Y-%m"))
    window_text = f"{window[0]}…{window[1]}"
    found = [
        *statements.low_efficiency(
            units, period=scope.period, benchmark=params.benchmark, window=window_text, confidence=params.confidence
        ),
        *statements.low_efficiency_reps(
            rep_rows,
            period=scope.period,
            benchmark=params.benchmark,
            window=window_text,
            threshold=params.gap_threshold,
        ),
        *statements.activity_driver(fit, period=scope.period),
        *statements.ramp_time(ramp, period=scope.period),
        *statements.stars(
            card["scorecard"], period=scope.period, quarter=card["quarter"], complete=card["quarter_complete"]
        ),
        *statements.incentive_cost(card["payout_summary"], period=scope.period, quarter=card["quarter"]),
    ]
    return TeamEfficiencyResult(
        period=scope.period,
        region=scope.region,
        benchmark=params.benchmark,
        threshold=params.gap_threshold,
        confidence=params.confidence,
        min_fte=params.min_fte,
        min_rep_fte=params.min_rep_fte,
        window=window,
        company={k: _plain(v) for k, v in company.items()},
        units=units.reset_index(drop=True),
        reps=rep_rows.reset_index(drop=True),
        monthly=monthly,
        spread=per_fte.spread(rep_rows, min_fte=params.min_rep_fte),
        drivers=reading(fit) if fit is not None else pd.DataFrame(),
        fit=fit,
        ramp=ramp,
        findings=tuple(found),
        inactive=inactive,
        permutations=params.permutations,
        grace_days=params.active_grace_days,
        notes=tuple(dict.fromkeys(notes)),
        **card,
    )


def screened_units(
    panel: pd.DataFrame, reps: pd.DataFrame, params: TeamEfficiencyParams, start: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """Regions and teams over the months ``start``…``last`` against the benchmark, with the
    month-to-month rule, the rep-composition test and the multiplicity policy (:func:`.flags.screen`).
    """
    team_region = reps.drop_duplicates("team").set_index("team")["region"]
    rule = flags.FlagRule(params.gap_threshold, params.confidence, params.min_fte)
    regions = _level(panel, reps, "region", params.benchmark, rule, start, last, None)
    teams = _level(panel, reps, "team", params.benchmark, rule, start, last, team_region)
    tests = pd.concat(
        [
            _composition(panel, regions, "region", params, start, last, None),
            _composition(panel, teams, "team", params, start, last, team_region),
        ],
        ignore_index=True,
    )
    return flags.screen(pd.concat([regions, teams], ignore_index=True), tests, rule)


def _scorecard_and_pay(panel: pd.DataFrame, params: TeamEfficiencyParams, end: dt.date) -> dict[str, Any]:
    """The quarter's scorecard, the stars of the last quarters and the commission plan's payouts."""
    quarter, q_first, q_last = scorecard.quarters(end, 1)[0]
    table = scorecard.quarter_table(panel, q_first, q_last)
    scored = scorecard.score(table, params.weights, min_fte=params.min_rep_fte, stars=params.stars)
    plan = incentives.CommissionPlan(
        params.base_rate, params.accelerator_rate, params.attainment_cap, params.star_bonus
    )
    with_stars = table.merge(scored[["rep_id", "star"]], on="rep_id", how="left")
    paid = incentives.payouts(with_stars, plan)
    return {
        "quarter": quarter,
        "quarter_complete": bool(q_last == q_first + pd.DateOffset(months=2)),
        "scorecard": scored,
        "components": tuple(scored.attrs.get("components", ())),
        "stars": scorecard.star_history(
            panel, end, params.weights, count=STAR_QUARTERS, min_fte=params.min_rep_fte, stars=params.stars
        ),
        "plan": plan,
        "payouts": paid,
        "payout_summary": incentives.summary(paid),
        "whatif": incentives.what_if(with_stars, plan, params.uplifts),
    }


def _first_row(frame: pd.DataFrame) -> dict[str, Any]:
    """The first row of ``frame`` as a dict keyed by column name (NaN everywhere when it has no row)."""
    row = frame.iloc[0] if len(frame) else pd.Series(np.nan, index=frame.columns, dtype="float64")
    return cast("dict[str, Any]", row.to_dict())


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _level(
    panel: pd.DataFrame,
    reps: pd.DataFrame,
    level: str,
    benchmark: str,
    rule: flags.FlagRule,
    start: pd.Timestamp,
    end: pd.Timestamp,
    groups: pd.Series | None,
    eligible: pd.Series | None = None,
) -> pd.DataFrame:
    """Window summary, headcount and flags of every unit at ``level``."""
    window = per_fte.window(panel, level, start, end)
    window = window[window["fte"] > 0]
    months = per_fte.monthly(panel, level)
    months = months[months["month"].between(start, end) & months["unit"].isin(window["unit"])]
    compared = flags.compare(window, months, kind=benchmark, rule=rule, groups=groups, eligible=eligible)
    if level != "rep":
        compared = compared.merge(per_fte.headcount(reps, level, start, end), on="unit", how="left")
        parent = reps.drop_duplicates("team").set_index("team")["region"]
        compared["region"] = compared["unit"] if level == "region" else compared["unit"].map(parent)
    return compared


def _composition(
    panel: pd.DataFrame,
    units: pd.DataFrame,
    level: str,
    params: TeamEfficiencyParams,
    start: pd.Timestamp,
    end: pd.Timestamp,
    groups: pd.Series | None,
) -> pd.DataFrame:
    """The rep-composition permutation test of every unit at ``level`` (see :mod:`.composition`)."""
    reps = per_fte.window(panel, "rep", start, end)
    unit_of = panel.drop_duplicates("rep_id", keep="last").set_index("rep_id")[per_fte.unit_column(level)]
    reps = reps.assign(unit_rep=reps["unit"], unit=reps["unit"].map(unit_of))
    reps = reps[(reps["fte"] > 0) | (reps["revenue"].fillna(0) != 0)]
    tested = composition.composition_test(
        reps,
        noise=reps["unit_rep"].map(_revenue_noise(panel, start, end)) if "unit_rep" in reps else None,
        kind=params.benchmark,
        eligible=units.set_index("unit")["eligible"] if not units.empty else None,
        groups=groups,
        draws=params.permutations,
        seed=params.seed,
    )
    return tested.assign(level=level)


def _revenue_noise(panel: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Per rep: the log-sd of its window revenue as a draw — its monthly revenue per FTE's
    coefficient of variation ÷ √months (the peers' median for reps with fewer than 3 months).
    """
    inside = panel[panel["month"].between(start, end) & (panel["fte"] > 0)]
    rate = inside["revenue"].fillna(0.0) / inside["fte"]
    stats = rate.groupby(inside["rep_id"]).agg(["mean", "std", "count"])
    cv = (stats["std"] / stats["mean"].where(stats["mean"] > 0)) / np.sqrt(stats["count"])
    cv = cv.where(stats["count"] >= 3)
    typical = float(cv.median()) if cv.notna().any() else 0.0
    return pd.Series(np.sqrt(np.log1p(cv.fillna(typical).clip(upper=2.0) ** 2)), index=cv.index)


def _ramped(reps: pd.DataFrame, window_start: pd.Timestamp, ramp: RampCurve | None) -> pd.Series:
    """Reps ramped at the window's start (hired at least the time to full productivity before)."""
    months = 6.0 if ramp is None or not np.isfinite(ramp.months_to_full) else float(np.ceil(ramp.months_to_full))
    cutoff = window_start - pd.DateOffset(months=int(months))
    ok = reps["hire_date"].isna() | (reps["hire_date"] <= cutoff)
    return pd.Series(ok.to_numpy(), index=reps["rep_id"])


def _with_causes(
    units: pd.DataFrame,
    panel: pd.DataFrame,
    fit: PanelFit | None,
    ramp: RampCurve | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    parts = [
        explain.decompose(panel, units[units["level"] == level], level, fit, ramp, start, end).assign(level=level)
        for level in ("region", "team")
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return units
    return units.merge(pd.concat(parts, ignore_index=True), on=["level", "unit"], how="left")


def _monthly(panel: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    frames = [per_fte.monthly(panel, level) for level in ("company", "region", "team")]
    months = pd.concat(frames, ignore_index=True)
    months = months[months["month"].between(start, end)].copy()
    company = months[months["level"] == "company"].set_index("month")["revenue_per_fte"]
    benchmark = months["month"].map(company)
    months["gap"] = months["revenue_per_fte"] / benchmark.where(benchmark > 0) - 1  # NaN in a month without revenue
    return months.reset_index(drop=True)


def _notes(data: Dataset, panel: pd.DataFrame, params: TeamEfficiencyParams) -> list[str]:
    notes = []
    if not data.has("activities"):
        notes.append("no_activities")
    if panel["tenure"].isna().all():
        notes.append("no_hire_dates")
    if not data.has("targets"):
        notes.append("no_targets")
    if panel["gross_profit"].isna().all():
        notes.append("no_costs")
    if not data.has("invoices", "payments"):
        notes.append("no_receivables")
    if params.proposal_stage and params.proposal_stage not in data.stages.all:
        notes.append("no_proposal_stage")
    return notes
