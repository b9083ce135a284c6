"""Target tracking: attainment at every level, pacing against the seasonal plan, early warnings.

Pure: ``compute(data, params) -> TargetTrackingResult``. As of ``params.as_of_date`` (the last
day of the reporting month unless given):

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
import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.tracking import persistence
from salesops_lib.analyses.tracking.calendar import (complete_weeks, daily_targets, employed_all_days,
                                                     quarter_bounds)
from salesops_lib.analyses.tracking.inputs import TrackingInputs, load_inputs
from salesops_lib.analyses.tracking.ledger import Level, levels
from salesops_lib.analyses.tracking.pacing import expected_by_day, pace_table
from salesops_lib.config.reports.target_tracking import TargetTrackingParams
from salesops_lib.data import Dataset

__all__ = ["TargetTrackingResult", "compute"]

ANALYSIS = "target_tracking"
MONTHS_OF_RULE = 12
"""Complete months read for the rule when it is monthly (at least ``alert_periods``)."""


@dataclass(frozen=True)
class TargetTrackingResult:
    """Attainment, pacing and warnings as of one day."""

    period: str
    lang: str
    as_of: dt.date
    region: str
    #: the rule: grain, periods, threshold, levels, recovery_end (end of the quarter in progress)
    rule: dict[str, object]
    #: one row per unit (level, unit_id, name, team, region) × horizon (month, quarter, year)
    pacing: pd.DataFrame
    #: level, unit_id, period (Monday), target, actual, attainment, evaluated — last complete weeks
    weekly: pd.DataFrame
    #: level, unit_id, period (month start), target, actual, attainment — January to the as-of month
    monthly: pd.DataFrame
    #: level, unit_id, period (quarter start), target (whole quarter), actual, attainment (to date)
    quarterly: pd.DataFrame
    #: level, unit_id, period (day), expected, actual, and both cumulated — the reporting month
    daily: pd.DataFrame
    #: the company's year: day, actual, expected (seasonal) and straight-line target, cumulated
    curve: pd.DataFrame
    #: units whose current run reaches the rule: who, since, how far behind, gap per remaining week
    alerts: pd.DataFrame
    #: units below the threshold in the latest period(s) but not (yet) long enough to alert
    watch: pd.DataFrame
    findings: tuple[Finding, ...]

    def _repr_html_(self) -> str:
        company = self.pacing[self.pacing["level"] == "company"]
        rows = "".join(f"<tr><td>{html.escape(r.horizon)}</td><td>{r.target:,.0f}</td><td>{r.actual:,.0f}</td>"
                       f"<td>{r.attainment:.1%}</td><td>{r.projected_attainment:.1%}</td></tr>"
                       for r in company.itertuples())
        head = ("<th>期间</th><th>目标</th><th>实际</th><th>进度达成</th><th>预计达成</th>" if self.lang == "zh"
                else "<th>horizon</th><th>target</th><th>actual</th><th>pace</th><th>projected</th>")
        return f"<table class='salesops-tracking'><tr>{head}</tr>{rows}</table>"


def compute(data: Dataset, params: TargetTrackingParams) -> TargetTrackingResult:
    """Track attainment as of ``params.as_of_date`` and raise the persistence warnings.

    Examples
    --------
    >>> result = compute(connect("demo"), TargetTrackingParams(period="2026-10"))  # doctest: +SKIP
    >>> result.alerts[["unit_id", "since", "periods", "shortfall"]]  # doctest: +SKIP
    """
    as_of = params.as_of_date
    weeks = complete_weeks(as_of, max(params.weeks_shown, params.alert_periods))
    rule_months = _complete_months(as_of, max(params.alert_periods, MONTHS_OF_RULE))
    horizon = quarter_bounds(as_of + dt.timedelta(days=1))
    first_day = min(weeks[0].date(), dt.date(as_of.year, 1, 1),
                    rule_months[0].date() if params.alert_grain == "month" else as_of)
    last_month = max(dt.date(as_of.year, 12, 1), horizon[1].replace(day=1))
    inputs = load_inputs(data, as_of, first_day, last_month)
    by_level = levels(inputs)

    year_days = pd.date_range(dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31), freq="D")
    pacing, monthly, quarterly, daily, weekly, runs = [], [], [], [], [], []
    for name, level in by_level.items():
        key = _keys(level)
        actual_m = level.rollup(inputs.monthly, inputs.reps, inputs.months)
        expected = expected_by_day(level.targets, inputs.months, year_days, inputs.weekday_profile)
        pacing.append(key.merge(pace_table(level.ids, level.targets, inputs.months, actual_m, expected,
                                           year_days, as_of), on="unit_id"))
        monthly.append(_monthly_rows(key, level, inputs, actual_m, as_of))
        quarterly.append(_quarter_rows(key, level, inputs, actual_m, as_of))
        daily.append(_daily_rows(key, level, inputs, expected, year_days, as_of))
        week_frame, week_target, week_actual, week_eval = _weekly(key, level, inputs, weeks)
        weekly.append(week_frame)
        if name in params.levels:
            if params.alert_grain == "week":
                periods, target, actual, evaluated = weeks, week_target, week_actual, week_eval
            else:
                periods = rule_months
                target, actual, evaluated = _monthly_rule_inputs(level, inputs, rule_months)
            runs.append(_runs(key, level, inputs, periods, target, actual, evaluated, params, horizon, as_of))

    pacing_frame = _only_region(pd.concat(pacing, ignore_index=True), params.region)
    alerts_all = pd.concat(runs, ignore_index=True) if runs else pd.DataFrame()
    alerts = _only_region(alerts_all[alerts_all["alert"]].drop(columns="alert"), params.region) \
        if len(alerts_all) else alerts_all
    watch = _only_region(alerts_all[~alerts_all["alert"] & (alerts_all["periods"] > 0)].drop(columns="alert"),
                         params.region) if len(alerts_all) else alerts_all
    result_findings = _findings(alerts, pacing_frame, params, as_of)
    return TargetTrackingResult(
        period=params.period, lang=params.lang, as_of=as_of, region=params.region,
        rule={"grain": params.alert_grain, "periods": params.alert_periods, "threshold": params.alert_threshold,
              "levels": params.levels, "recovery_end": horizon[1].isoformat()},
        pacing=pacing_frame,
        weekly=_only_region(pd.concat(weekly, ignore_index=True), params.region),
        monthly=_only_region(pd.concat(monthly, ignore_index=True), params.region),
        quarterly=_only_region(pd.concat(quarterly, ignore_index=True), params.region),
        daily=_only_region(pd.concat(daily, ignore_index=True), params.region),
        curve=_curve(by_level["company"], inputs, year_days, as_of),
        alerts=alerts.reset_index(drop=True), watch=watch.reset_index(drop=True), findings=result_findings,
    )


# --------------------------------------------------------------------------- tables


def _keys(level: Level) -> pd.DataFrame:
    return level.units.assign(level=level.name)[["level", "unit_id", "name", "team", "region"]]


def _complete_months(as_of: dt.date, count: int) -> pd.DatetimeIndex:
    last_complete = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    last_start = (last_complete.to_period("M").start_time - pd.DateOffset(months=1))
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


def _monthly_rows(key: pd.DataFrame, level: Level, inputs: TrackingInputs, actual: np.ndarray,
                  as_of: dt.date) -> pd.DataFrame:
    keep = (inputs.months.year == as_of.year) & (inputs.months <= pd.Timestamp(as_of))
    target, done = level.targets[:, keep], actual[:, keep]
    return _long(key, inputs.months[keep], target=target, actual=done, attainment=_ratio(done, target))


def _quarter_rows(key: pd.DataFrame, level: Level, inputs: TrackingInputs, actual: np.ndarray,
                  as_of: dt.date) -> pd.DataFrame:
    quarters = pd.date_range(dt.date(as_of.year, 1, 1), periods=4, freq="QS")
    months = pd.Index(inputs.months)
    target = np.zeros((len(key), 4))
    done = np.zeros((len(key), 4))
    for q, start in enumerate(quarters):
        inside = (months >= start) & (months < start + pd.DateOffset(months=3))
        target[:, q] = level.targets[:, inside].sum(axis=1)
        done[:, q] = actual[:, inside & (months <= pd.Timestamp(as_of))].sum(axis=1)
    started = quarters <= pd.Timestamp(as_of)
    return _long(key, quarters[started], target=target[:, started], actual=done[:, started],
                 attainment=_ratio(done[:, started], target[:, started]))


def _daily_rows(key: pd.DataFrame, level: Level, inputs: TrackingInputs, expected: np.ndarray,
                year_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    in_month = (year_days >= pd.Timestamp(as_of.replace(day=1))) & (year_days <= pd.Timestamp(as_of))
    days = year_days[in_month]
    actual = level.rollup(inputs.daily, inputs.reps, days)
    exp = expected[:, in_month]
    return _long(key, days, expected=exp, actual=actual, cum_expected=exp.cumsum(axis=1),
                 cum_actual=actual.cumsum(axis=1), attainment=_ratio(actual.cumsum(axis=1), exp.cumsum(axis=1)))


def _weekly(key: pd.DataFrame, level: Level, inputs: TrackingInputs, weeks: pd.DatetimeIndex
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


def _monthly_rule_inputs(level: Level, inputs: TrackingInputs, months: pd.DatetimeIndex
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    position = pd.Index(inputs.months).get_indexer(months)
    target = np.where(position >= 0, level.targets[:, np.maximum(position, 0)], 0.0)
    actual = level.rollup(inputs.monthly, inputs.reps, months)
    evaluated = target > 0
    if level.name == "rep":
        reps = level.units[["unit_id"]].merge(inputs.reps, left_on="unit_id", right_on="rep_id", how="left")
        evaluated &= employed_all_days(reps, months, months.days_in_month.to_numpy())
    return target, actual, evaluated


def _runs(key: pd.DataFrame, level: Level, inputs: TrackingInputs, periods: pd.DatetimeIndex, target: np.ndarray,
          actual: np.ndarray, evaluated: np.ndarray, params: TargetTrackingParams,
          horizon: tuple[dt.date, dt.date], as_of: dt.date) -> pd.DataFrame:
    """Every unit with a current run below the threshold (``alert`` when it reaches the rule)."""
    flags = persistence.below(actual, target, evaluated, params.alert_threshold)
    run = persistence.current_run(flags)
    rows = np.flatnonzero(run > 0)
    remaining_days = pd.date_range(as_of + dt.timedelta(days=1), horizon[1], freq="D")
    remaining_target = daily_targets(level.targets[rows], inputs.months, remaining_days).sum(axis=1)
    weeks_left = remaining_days.size / 7
    attainment = _ratio(actual, target)
    out = []
    for k, i in enumerate(rows):
        span = slice(periods.size - run[i], periods.size)
        shortfall = float((target[i, span] - actual[i, span]).sum())
        out.append({
            **key.iloc[i].to_dict(), "alert": bool(run[i] >= params.alert_periods), "grain": params.alert_grain,
            "since": periods[span][0], "periods": int(run[i]),
            "attainments": [round(float(a), 4) for a in attainment[i, span]],
            "latest_attainment": float(attainment[i, -1]),
            "run_attainment": float(actual[i, span].sum() / target[i, span].sum()),
            "run_target": float(target[i, span].sum()), "shortfall": shortfall,
            "horizon_end": pd.Timestamp(horizon[1]), "weeks_left": weeks_left,
            "remaining_target": float(remaining_target[k]),
            "required_per_week": (float(remaining_target[k]) + shortfall) / weeks_left if weeks_left else np.nan,
            "extra_per_week": shortfall / weeks_left if weeks_left else np.nan,
        })
    columns = [*key.columns, "alert", "grain", "since", "periods", "attainments", "latest_attainment",
               "run_attainment", "run_target", "shortfall", "horizon_end", "weeks_left", "remaining_target",
               "required_per_week", "extra_per_week"]
    return pd.DataFrame(out, columns=columns)


def _curve(company: Level, inputs: TrackingInputs, year_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    expected = expected_by_day(company.targets, inputs.months, year_days, inputs.weekday_profile)[0]
    year_target = float(company.targets[0, (inputs.months.year == as_of.year)].sum())
    actual = inputs.company_daily.set_index("period")["amount"].reindex(year_days).fillna(0.0).to_numpy()
    frame = pd.DataFrame({"day": year_days, "expected": expected.cumsum(),
                          "linear": year_target * np.arange(1, year_days.size + 1) / year_days.size,
                          "actual": actual.cumsum()})
    frame.loc[frame["day"] > pd.Timestamp(as_of), "actual"] = np.nan
    return frame


def _only_region(frame: pd.DataFrame, region: str) -> pd.DataFrame:
    if not region or frame.empty:
        return frame
    return frame[(frame["level"] == "company") | (frame["region"] == region)].reset_index(drop=True)


# --------------------------------------------------------------------------- findings


def _findings(alerts: pd.DataFrame, pacing: pd.DataFrame, params: TargetTrackingParams,
              as_of: dt.date) -> tuple[Finding, ...]:
    out: list[Finding] = []
    for row in alerts.itertuples():
        out.append(Finding(
            analysis=ANALYSIS, kind="persistent_underperformance",
            severity="medium" if row.level == "rep" else "high", level=row.level, unit=row.unit_id,
            metric="attainment", value=float(row.run_attainment), baseline=float(params.alert_threshold),
            period=params.period, at_stake=max(float(row.shortfall), 0.0),
            facts={"name": row.name or row.unit_id, "team": row.team or "", "region": row.region or "",
                   "parent": (row.team if row.level == "rep" else row.region if row.level == "team" else "") or "—",
                   "since": row.since.date().isoformat(), "periods": int(row.periods), "grain": row.grain,
                   "threshold": float(params.alert_threshold),
                   "attainments": " / ".join(f"{a:.0%}" for a in row.attainments),
                   "shortfall": float(row.shortfall), "extra_per_week": float(row.extra_per_week),
                   "required_per_week": float(row.required_per_week), "weeks_left": float(row.weeks_left),
                   "horizon_end": row.horizon_end.date().isoformat()},
            cause="below_threshold_run", action="coach_and_recover",
        ))
    quarter_open = as_of < quarter_bounds(as_of)[1]
    for row in pacing[pacing["level"].isin(["company", "region", "team"])].itertuples():
        if row.horizon == "month" or (row.horizon == "quarter" and not quarter_open):
            continue
        if not np.isfinite(row.projected_attainment) or row.projected_attainment >= params.pace_threshold:
            continue
        out.append(Finding(
            analysis=ANALYSIS, kind="off_pace" if row.horizon == "year" else "off_pace_quarter",
            severity="low" if row.level == "team" else "medium", level=row.level, unit=row.unit_id,
            metric="attainment", value=float(row.projected_attainment), baseline=float(params.pace_threshold),
            period=params.period, at_stake=max(float(row.gap), 0.0),
            facts={"horizon": row.horizon, "attainment": float(row.attainment), "projection": float(row.projection),
                   "target": float(row.target), "gap": float(row.gap), "actual": float(row.actual),
                   "expected": float(row.expected), "end": row.end.date().isoformat()},
            cause="behind_seasonal_plan", action="close_gap",
        ))
    return tuple(out)
