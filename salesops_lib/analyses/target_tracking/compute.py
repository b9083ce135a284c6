"""Target tracking: attainment at every level, pacing against the seasonal plan, early warnings.

Pure: ``compute(data, scope, params) -> TargetTrackingResult``. As of :func:`as_of_date` (the
last day of the reporting month unless ``params.as_of`` gives a day inside it):

* attainment by day (the reporting month), ISO week (the last ``weeks_shown`` complete weeks),
  month and quarter (the year to date) for the company, every region, team and rep;
* pacing of the month, quarter and year against the seasonal expectation, and the run-rate
  projection to their ends (:mod:`.pacing`);
* the persistence rule — ``alert_periods`` consecutive complete weeks (or months) strictly below
  ``alert_threshold`` — with who, since when, how far behind and the gap to close per remaining
  week of the quarter in progress (:mod:`.persistence`).

Weekly targets follow the documented definition (``docs/demo_data.md``): Σ over the ISO week's
days of the monthly target ÷ the days in that month; weekly actual = bookings Monday–Sunday.
A rep is evaluated in a period only if employed on all its days and given a target.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesops_lib.analyses import multiplicity
from salesops_lib.analyses.target_tracking import persistence, variability
from salesops_lib.analyses.target_tracking.calendar import (
    complete_weeks,
    daily_targets,
    employed_all_days,
    quarter_bounds,
)
from salesops_lib.analyses.target_tracking.findings import tracking_findings
from salesops_lib.analyses.target_tracking.inputs import TrackingInputs, load_inputs
from salesops_lib.analyses.target_tracking.ledger import Level, levels
from salesops_lib.analyses.target_tracking.pacing import expected_by_day, pace_table
from salesops_lib.analyses.target_tracking.params import TargetTrackingParams
from salesops_lib.analyses.target_tracking.result import TargetTrackingResult
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import month_start
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError

MONTHS_OF_RULE = 12
"""Complete months read for the rule when it is monthly (at least ``alert_periods``)."""


def as_of_date(scope: RunScope, params: TargetTrackingParams) -> dt.date:
    """The as-of date: ``params.as_of``, or the last day of the reporting month; a day outside
    ``scope.period`` is a :class:`ConfigError`.
    """
    first, last = scope.month
    if not params.as_of:
        return last
    day = dt.date.fromisoformat(params.as_of)  # the format is checked by the parameters
    if not first <= day <= last:
        raise ConfigError(
            f"invalid parameters: as_of {day} lies outside the reporting month {scope.period}",
            where="parameters",
            fix=f"give a day of {scope.period} as as_of, or leave it empty",
        )
    return day


def compute(data: Dataset, scope: RunScope, params: TargetTrackingParams) -> TargetTrackingResult:
    """Track attainment as of :func:`as_of_date` and raise the persistence warnings.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), TargetTrackingParams())  # doctest: +SKIP
    >>> result.alerts[["unit_id", "since", "periods", "shortfall"]]  # doctest: +SKIP
    """
    as_of = as_of_date(scope, params)
    rule_span = params.alert_periods + 2 * params.alert_history  # the history, and the backtest's before it
    weeks = complete_weeks(as_of, max(params.weeks_shown, rule_span))
    rule_months = _complete_months(as_of, max(rule_span, MONTHS_OF_RULE))
    horizon = quarter_bounds(as_of + dt.timedelta(days=1))
    first_day = min(
        weeks[0].date(), dt.date(as_of.year, 1, 1), rule_months[0].date() if params.alert_grain == "month" else as_of
    )
    last_month = max(dt.date(as_of.year, 12, 1), horizon[1].replace(day=1))
    inputs = load_inputs(data, as_of, first_day, last_month)
    by_level = levels(inputs)

    year_days = pd.date_range(dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31), freq="D")
    pacing, monthly, quarterly, daily, weekly, runs = [], [], [], [], [], []
    for name, level in by_level.items():
        key = _keys(level)
        actual_m = level.rollup(inputs.monthly, inputs.reps, inputs.months)
        expected = expected_by_day(level.targets, inputs.months, year_days, inputs.weekday_profile)
        pacing.append(
            key.merge(
                pace_table(level.ids, level.targets, inputs.months, actual_m, expected, year_days, as_of), on="unit_id"
            )
        )
        monthly.append(_monthly_rows(key, level, inputs, actual_m, as_of))
        quarterly.append(_quarter_rows(key, level, inputs, actual_m, as_of))
        daily.append(_daily_rows(key, level, inputs, expected, year_days, as_of))
        week_frame, week_target, week_actual, week_eval = _weekly(key, level, inputs, weeks)
        weekly.append(week_frame[week_frame["period"] >= weeks[-params.weeks_shown]])
        if name in params.levels:
            if params.alert_grain == "week":
                periods, target, actual, evaluated = weeks, week_target, week_actual, week_eval
            else:
                periods = rule_months
                target, actual, evaluated = _monthly_rule_inputs(level, inputs, rule_months)
            runs.append(_runs(key, level, inputs, periods, target, actual, evaluated, params, horizon, as_of))

    region = scope.region
    pacing_frame = _only_region(pd.concat(pacing, ignore_index=True), region)
    every = pd.concat(runs, ignore_index=True) if runs else pd.DataFrame(columns=["level", *RUN_COLUMNS])
    every["q_run"] = multiplicity.bh_adjust(every["p_run"].to_numpy(float))  # every unit screened, all levels
    every = _only_region(every, region)
    alerts = every[every["alert"]].drop(columns="alert")
    watch = every[~every["alert"] & (every["periods"] > 0)].drop(columns="alert")
    plain = watch[watch["fixed_rule"]]
    result_findings = tracking_findings(alerts, plain, pacing_frame, params, scope.period, as_of)
    return TargetTrackingResult(
        period=scope.period,
        as_of=as_of,
        region=region,
        rule={
            "grain": params.alert_grain,
            "periods": params.alert_periods,
            "threshold": params.alert_threshold,
            "levels": params.levels,
            "recovery_end": horizon[1].isoformat(),
            "mode": params.alert_mode,
            "z": params.alert_z,
            "history": params.alert_history,
        },
        rates=rule_rates(every),
        pacing=pacing_frame,
        weekly=_only_region(pd.concat(weekly, ignore_index=True), region),
        monthly=_only_region(pd.concat(monthly, ignore_index=True), region),
        quarterly=_only_region(pd.concat(quarterly, ignore_index=True), region),
        daily=_only_region(pd.concat(daily, ignore_index=True), region),
        curve=_curve(by_level["company"], inputs, year_days, as_of),
        alerts=alerts.reset_index(drop=True),
        watch=watch.reset_index(drop=True),
        findings=result_findings,
    )


# --------------------------------------------------------------------------- tables


def _keys(level: Level) -> pd.DataFrame:
    return level.units.assign(level=level.name)[["level", "unit_id", "name", "team", "region"]]


def _complete_months(as_of: dt.date, count: int) -> pd.DatetimeIndex:
    last_complete = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    last_start = month_start(last_complete) - pd.DateOffset(months=1)
    return pd.date_range(end=last_start, periods=count, freq="MS")


def _ratio(actual: np.ndarray, target: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(target > 0, actual / target, np.nan)


def _long(key: pd.DataFrame, periods: pd.DatetimeIndex, **matrices: np.ndarray) -> pd.DataFrame:
    frame = key.loc[key.index.repeat(periods.size)].reset_index(drop=True)
    frame["period"] = np.tile(periods.to_numpy(), len(key))
    for name, matrix in matrices.items():
        frame[name] = np.asarray(matrix).reshape(-1)
    return frame


def _monthly_rows(
    key: pd.DataFrame, level: Level, inputs: TrackingInputs, actual: np.ndarray, as_of: dt.date
) -> pd.DataFrame:
    keep = (inputs.months.year == as_of.year) & (inputs.months <= pd.Timestamp(as_of))
    target, done = level.targets[:, keep], actual[:, keep]
    return _long(key, inputs.months[keep], target=target, actual=done, attainment=_ratio(done, target))


def _quarter_rows(
    key: pd.DataFrame, level: Level, inputs: TrackingInputs, actual: np.ndarray, as_of: dt.date
) -> pd.DataFrame:
    quarters = pd.date_range(dt.date(as_of.year, 1, 1), periods=4, freq="QS")
    months = pd.Index(inputs.months)
    target = np.zeros((len(key), 4))
    done = np.zeros((len(key), 4))
    for q, start in enumerate(quarters):
        inside = (months >= start) & (months < start + pd.DateOffset(months=3))
        target[:, q] = level.targets[:, inside].sum(axis=1)
        done[:, q] = actual[:, inside & (months <= pd.Timestamp(as_of))].sum(axis=1)
    started = quarters <= pd.Timestamp(as_of)
    return _long(
        key,
        quarters[started],
        target=target[:, started],
        actual=done[:, started],
        attainment=_ratio(done[:, started], target[:, started]),
    )


def _daily_rows(
    key: pd.DataFrame,
    level: Level,
    inputs: TrackingInputs,
    expected: np.ndarray,
    year_days: pd.DatetimeIndex,
    as_of: dt.date,
) -> pd.DataFrame:
    in_month = (year_days >= pd.Timestamp(as_of.replace(day=1))) & (year_days <= pd.Timestamp(as_of))
    days = year_days[in_month]
    actual = level.rollup(inputs.daily, inputs.reps, days)
    exp = expected[:, in_month]
    return _long(
        key,
        days,
        expected=exp,
        actual=actual,
        cum_expected=exp.cumsum(axis=1),
        cum_actual=actual.cumsum(axis=1),
        attainment=_ratio(actual.cumsum(axis=1), exp.cumsum(axis=1)),
    )


def _weekly(
    key: pd.DataFrame, level: Level, inputs: TrackingInputs, weeks: pd.DatetimeIndex
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    days = pd.date_range(weeks[0], weeks[-1] + pd.Timedelta(days=6), freq="D")
    target = daily_targets(level.targets, inputs.months, days).reshape(len(key), weeks.size, 7).sum(axis=2)
    actual = level.rollup(inputs.weekly, inputs.reps, weeks)
    evaluated = target > 0
    if level.name == "rep":
        reps = key[["unit_id"]].merge(inputs.reps, left_on="unit_id", right_on="rep_id", how="left")
        evaluated &= employed_all_days(reps, weeks, np.full(weeks.size, 7))
    frame = _long(key, weeks, target=target, actual=actual, attainment=_ratio(actual, target), evaluated=evaluated)
    return frame, target, actual, evaluated


def _monthly_rule_inputs(
    level: Level, inputs: TrackingInputs, months: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    position = pd.Index(inputs.months).get_indexer(months)
    target = np.where(position >= 0, level.targets[:, np.maximum(position, 0)], 0.0)
    actual = level.rollup(inputs.monthly, inputs.reps, months)
    evaluated = target > 0
    if level.name == "rep":
        reps = level.units[["unit_id"]].merge(inputs.reps, left_on="unit_id", right_on="rep_id", how="left")
        evaluated &= employed_all_days(reps, months, months.days_in_month.to_numpy())
    return target, actual, evaluated


def _runs(
    key: pd.DataFrame,
    level: Level,
    inputs: TrackingInputs,
    periods: pd.DatetimeIndex,
    target: np.ndarray,
    actual: np.ndarray,
    evaluated: np.ndarray,
    params: TargetTrackingParams,
    horizon: tuple[dt.date, dt.date],
    as_of: dt.date,
) -> pd.DataFrame:
    """Every unit of the level: its own typical level and spread, its current runs under the fixed
    threshold and under the configured rule (``alert`` when that reaches ``alert_periods``), the
    p-value of its last ``alert_periods`` periods under its own variability, and the run's gap.
    """
    k = params.alert_periods
    attainment = np.where(evaluated & (target > 0), _ratio(actual, target), np.nan)
    judged = variability.judge(attainment, k, params.alert_history, params.alert_z)
    noise, z, p_run = judged.noise, judged.z, judged.p_run
    fixed_flags = persistence.below(actual, target, evaluated, params.alert_threshold)
    fixed_run = persistence.current_run(fixed_flags)
    own_run = persistence.current_run(fixed_flags & judged.outside)
    run = own_run if params.alert_mode == "own_variability" else fixed_run
    remaining_days = pd.date_range(as_of + dt.timedelta(days=1), horizon[1], freq="D")
    remaining_target = daily_targets(level.targets, inputs.months, remaining_days).sum(axis=1)
    weeks_left = remaining_days.size / 7
    shown = np.where(run >= k, run, fixed_run)  # the alert's run, else the plain run below the threshold
    columns = [*key.columns, *RUN_COLUMNS]
    if key.empty:
        return pd.DataFrame(columns=columns)
    n = periods.size
    spans = [slice(n - s, n) for s in shown]  # each unit's run: its last ``shown`` periods
    shortfall = np.array([float((target[i, span] - actual[i, span]).sum()) for i, span in enumerate(spans)])
    run_target = np.array([float(target[i, span].sum()) for i, span in enumerate(spans)])
    run_actual = np.array([float(actual[i, span].sum()) for i, span in enumerate(spans)])
    since = pd.DatetimeIndex([periods[n - s] if s else pd.NaT for s in shown])
    rows = pd.RangeIndex(len(key))
    out = key.reset_index(drop=True).assign(
        alert=run >= k,
        screened=np.isfinite(p_run),
        own_rule=own_run >= k,
        fixed_rule=fixed_run >= k,
        grain=params.alert_grain,
        since=since,
        periods=shown.astype(int),
        attainments=pd.Series(
            [[round(float(a), 4) for a in attainment[i, span]] for i, span in enumerate(spans)],
            index=rows,
            dtype=object,
        ),
        z=pd.Series(
            [[round(float(x), 2) for x in z[i, span]] for i, span in enumerate(spans)], index=rows, dtype=object
        ),
        typical=noise.typical.astype(float),
        spread=noise.spread.astype(float),
        history=noise.periods.astype(int),
        p_run=p_run.astype(float),
        latest_attainment=attainment[:, -1] if n else np.nan,
        run_attainment=[a / t if t > 0 else np.nan for a, t in zip(run_actual, run_target, strict=True)],
        run_target=run_target,
        shortfall=shortfall,
        horizon_end=pd.Timestamp(horizon[1]),
        weeks_left=weeks_left,
        remaining_target=remaining_target.astype(float),
        required_per_week=(remaining_target + shortfall) / weeks_left if weeks_left else np.nan,
        extra_per_week=shortfall / weeks_left if weeks_left else np.nan,
    )
    return out[columns]


RUN_COLUMNS = (
    "alert",
    "screened",
    "own_rule",
    "fixed_rule",
    "grain",
    "since",
    "periods",
    "attainments",
    "z",
    "typical",
    "spread",
    "history",
    "p_run",
    "latest_attainment",
    "run_attainment",
    "run_target",
    "shortfall",
    "horizon_end",
    "weeks_left",
    "remaining_target",
    "required_per_week",
    "extra_per_week",
)
"""Columns of a level's runs (after the unit's key)."""


def rule_rates(runs: pd.DataFrame) -> pd.DataFrame:
    """Per level: units screened and the share that fires under each rule — what switching shows."""
    rows = []
    for name, group in runs[runs["screened"]].groupby("level", sort=False):
        screened = len(group)
        rows.append(
            {
                "level": name,
                "screened": screened,
                "own_variability": int(group["own_rule"].sum()),
                "fixed": int(group["fixed_rule"].sum()),
                "own_variability_share": group["own_rule"].mean() if screened else np.nan,
                "fixed_share": group["fixed_rule"].mean() if screened else np.nan,
            }
        )
    columns = ["level", "screened", "own_variability", "fixed", "own_variability_share", "fixed_share"]
    return pd.DataFrame(rows, columns=columns)


def _curve(company: Level, inputs: TrackingInputs, year_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    expected = expected_by_day(company.targets, inputs.months, year_days, inputs.weekday_profile)[0]
    year_target = float(company.targets[0, (inputs.months.year == as_of.year)].sum())
    actual = inputs.company_daily.set_index("period")["amount"].reindex(year_days).fillna(0.0).to_numpy()
    frame = pd.DataFrame(
        {
            "day": year_days,
            "expected": expected.cumsum(),
            "linear": year_target * np.arange(1, year_days.size + 1) / year_days.size,
            "actual": actual.cumsum(),
        }
    )
    frame.loc[frame["day"] > pd.Timestamp(as_of), "actual"] = np.nan
    return frame


def _only_region(frame: pd.DataFrame, region: str) -> pd.DataFrame:
    if not region or frame.empty:
        return frame
    return frame[(frame["level"] == "company") | (frame["region"] == region)].reset_index(drop=True)
