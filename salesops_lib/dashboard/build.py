"""Build dashboard cubes from the analyses: each registered analysis' ``compute`` with its default
parameters (the monthly review's), keeping the frames the panels show at every org level, the
metric layer's KPI tiles per org unit, and the findings worded in both languages.

Nothing here re-implements an analysis; this runs once per source and period (``salesops
dashboard`` or the notebook in JupyterLab), never in a viewer's callback.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.kpi_overview import history_start, matured_cohorts, tiles_from_trend
from salesops_lib.analyses.monthly_review import HEADLINE_METRICS
from salesops_lib.catalog import CATALOG
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import period_bounds, resolve_period
from salesops_lib.dashboard.cube import DashboardCube, available_periods, cube_root, save_cube
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric
from salesops_lib.metrics.facts import rep_roster
from salesops_lib.metrics.grain import Level
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.i18n import LANGUAGES
from salesops_lib.report.names import Names, run_names, use_names

if TYPE_CHECKING:
    from salesops_lib.analyses.funnel_diagnosis import FunnelResult
    from salesops_lib.analyses.team_efficiency import TeamEfficiencyResult

LEVELS: tuple[Level, ...] = ("company", "region", "team", "rep")
DEALS_PER_REP = 10
"""Open deals kept per rep (the largest): what the dashboard lists at rep scope."""


def recent_periods(latest: str, months: int) -> list[str]:
    """``months`` periods ending with ``latest`` (YYYY-MM), newest first."""
    first = pd.Period(latest, freq="M")
    return [str(first - i) for i in range(months)]


def build_cube(ds: Dataset, period: str, *, progress: Callable[[str], None] | None = None) -> DashboardCube:
    """Run the analyses for ``period`` and keep what the dashboard shows."""
    period = resolve_period(period)
    say = progress or (lambda _msg: None)
    results, skipped = {}, {}
    scope = RunScope(source=ds.source, period=period)
    for report in CATALOG.values():
        spec, name = report.spec, report.name
        if spec.summary or not spec.on_dashboard:
            continue
        missing = spec.missing(ds)
        if missing:
            skipped[name] = "; ".join(missing.values())
            continue
        started = time.perf_counter()
        try:
            results[name] = spec.run(ds, scope)
        except Exception as exc:  # one analysis failing must not take the dashboard down
            skipped[name] = f"{type(exc).__name__}: {exc}"
        say(f"{name} {time.perf_counter() - started:.1f}s")
    tracking, forecast = results.get("target_tracking"), results.get("forecast")
    efficiency, funnel = results.get("team_efficiency"), results.get("funnel_diagnosis")
    expenses = results.get("expense_roi")
    campaigns = expenses.campaigns.campaigns if expenses is not None and expenses.campaigns is not None else None
    alignment = expenses.alignment.table if expenses is not None and expenses.alignment is not None else None
    findings = tuple(f for r in results.values() for f in r.findings if f.period == period)
    return DashboardCube(
        period=period,
        source=ds.source,
        fingerprint=ds.fingerprint,
        built_at=dt.datetime.now().isoformat(timespec="seconds"),
        org=_org(ds, period),
        tiles=unit_tiles(ds, period),
        pacing=_frame(tracking.pacing if tracking else None),
        monthly=_frame(tracking.monthly if tracking else None),
        forecast=_frame(forecast.units if forecast else None),
        efficiency=_efficiency(efficiency),
        funnel=_funnel(funnel),
        deals=open_deals(ds, period),
        campaigns=_frame(campaigns),
        expense_units=_frame(alignment),
        findings=findings,
        finding_texts=_worded(findings, Names.of(ds, period_bounds(period)[1])),
        forecast_target=forecast.target_label if forecast else "",
        skipped=skipped,
    )


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if frame is None else frame.reset_index(drop=True)


def _org(ds: Dataset, period: str) -> pd.DataFrame:
    """The roster: the drill path, the data's team and region names, and who left by the period's end."""
    roster = rep_roster(ds)
    _start, end = period_bounds(period)
    departed = roster["exit_date"].notna() & (roster["exit_date"] <= pd.Timestamp(end))
    org = roster[["rep_id", "name", "team", "region"]].astype({"rep_id": str, "name": str, "team": str, "region": str})
    for column in ORG_NAMES:
        org[column] = _rep_column(ds, column).reindex(org["rep_id"]).to_numpy()
    return org.assign(departed=departed.to_numpy())


ORG_NAMES = ("team_name", "region_name")
"""The canonical reps' name columns the cube's org carries (missing values when the data has none)."""


def _rep_column(ds: Dataset, column: str) -> pd.Series:
    """``reps.column`` by rep id as text (the first value per rep), empty when the data has none."""
    if not ds.has_values("reps", column):
        return pd.Series(dtype=object)
    reps = ds.table("reps").select("rep_id", column).execute().dropna()
    reps = reps.astype(str).drop_duplicates("rep_id")
    return pd.Series(reps[column].to_numpy(dtype=object), index=reps["rep_id"].to_numpy())


def _worded(findings: tuple[Finding, ...], names: Names) -> dict[str, dict[str, str]]:
    """Each finding's sentence in both languages, its units, customers and campaigns named as the
    pages name them (``names`` installed for the wording, the process' own restored after).
    """
    before = run_names()
    use_names(names)
    try:
        return {f.id: {lang: finding_text(f, lang) for lang in LANGUAGES} for f in findings}
    finally:
        use_names(before)


def unit_tiles(ds: Dataset, period: str) -> pd.DataFrame:
    """The monthly review's headline tiles for every org unit: value, previous month, same month
    last year, the changes and (for revenue) the month's target, from the metric layer at each level;
    a cohort KPI at its latest matured cohort (``cohort``), as in the monthly review.
    """
    start, end = period_bounds(period)
    names = [n for n in HEADLINE_METRICS if METRICS[n].available(ds)]
    cohorts = matured_cohorts(ds, names, start, end)
    first = history_start(start, cohorts)
    parts, targets = [], []
    unit: Any  # a unit's name; pandas-stubs types a group key as a tuple
    for level in LEVELS:
        grain = Grain(period="month", level=level, start=first, end=end)
        series = [compute_metric(ds, n, grain).assign(metric=n) for n in names if level in METRICS[n].levels]
        if not series:
            continue
        long = pd.concat(series, ignore_index=True)
        long["unit"] = long["unit"].astype(str)
        trend = long.pivot_table(
            index=["unit", "period"], columns="metric", values="value", aggfunc="first", dropna=False
        )
        for unit, frame in trend.groupby(level="unit", sort=True):
            tiles = tiles_from_trend(frame.droplevel("unit")[[n for n in names if n in frame]], start, cohorts)
            parts.append(tiles.rename(columns={"unit": "unit_kind"}).assign(level=level, unit=unit))
        att = long[(long["metric"] == "attainment") & (long["period"] == pd.Timestamp(start))]
        if not att.empty:  # attainment's denominator is the month's target (as in the monthly review)
            targets.append(
                pd.DataFrame(
                    {
                        "level": level,
                        "unit": att["unit"],
                        "metric": "revenue",
                        "target": att["denominator"].astype("float64"),
                    }
                )
            )
    columns = [
        "level",
        "unit",
        "metric",
        "unit_kind",
        "higher_is_better",
        "value",
        "previous",
        "last_year",
        "change_prev",
        "change_yoy",
        "cohort",
        "target",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    if targets:
        frame = frame.merge(pd.concat(targets, ignore_index=True), on=["level", "unit", "metric"], how="left")
    else:
        frame["target"] = np.nan
    return frame[columns]


def _efficiency(result: TeamEfficiencyResult | None) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    columns = [
        "level",
        "unit",
        "name",
        "team",
        "region",
        "fte",
        "revenue",
        "revenue_per_fte",
        "win_rate",
        "benchmark",
        "gap",
        "flagged",
        "eligible",
    ]
    units = result.units.assign(name=result.units["unit"])
    if "team" not in units:
        units["team"] = np.where(units["level"] == "team", units["unit"], "")
    reps = result.reps.assign(unit=result.reps["rep_id"])
    both = pd.concat([units.reindex(columns=columns), reps.reindex(columns=columns)], ignore_index=True)
    for column in ("name", "team", "region", "unit", "level"):
        both[column] = both[column].fillna("").astype(str)
    return both


def _funnel(result: FunnelResult | None) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    company = result.funnel.assign(level="company", unit="company")[["level", "unit", "step", "k", "reached"]]
    segments = result.segments
    segments = segments[segments["dimension"].isin(["region", "team", "rep"])]
    segments = segments.rename(columns={"dimension": "level", "segment": "unit"})
    out = pd.concat([company, segments[["level", "unit", "step", "k", "reached"]], _won_rows(result, segments)])
    out = out.sort_values(["level", "unit", "k"], kind="stable").reset_index(drop=True)
    out["unit"] = out["unit"].astype(str)
    return out


def _won_rows(result: FunnelResult, segments: pd.DataFrame) -> pd.DataFrame:
    """Each unit's won step: the deals that advanced from its last open stage (the segment
    comparison stops at the last conversion, so it has no row for the won stage itself).
    """
    last = segments["k"].max() if len(segments) else None
    won = result.funnel[result.funnel["k"] == (last + 1 if last is not None else -2)]
    if won.empty or "advanced" not in segments:
        return pd.DataFrame(columns=["level", "unit", "step", "k", "reached"])
    rows = segments[segments["k"] == last]
    return pd.DataFrame(
        {
            "level": rows["level"],
            "unit": rows["unit"],
            "step": won["step"].iloc[0],
            "k": int(won["k"].iloc[0]),
            "reached": rows["advanced"].astype("float64"),
        }
    )


def open_deals(ds: Dataset, period: str, *, top: int = DEALS_PER_REP) -> pd.DataFrame:
    """Each rep's open deals at the period's end, the ``top`` largest by amount: deal, customer,
    amount, current stage, expected close and days in that stage (from the funnel's deal facts).
    """
    from salesops_lib.analyses.funnel_diagnosis.facts import deal_facts, entry, stage_plan

    columns = ["rep_id", "opp_id", "customer", "amount", "stage", "expected_close", "days_in_stage"]
    if not (ds.has("opportunities") and ds.has("stage_history")):
        return pd.DataFrame(columns=columns)
    _start, as_of = period_bounds(period)
    plan = stage_plan(ds.stages)
    facts = deal_facts(ds, plan, as_of, since=as_of)
    facts = facts.filter(facts.status == "open")
    frame: pd.DataFrame = facts.select(
        "opp_id", "rep", "amount", "furthest", "created", *[entry(k) for k in range(plan.n)]
    ).execute()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.sort_values(["rep", "amount"], ascending=[True, False], kind="stable").groupby("rep").head(top)
    entered = [
        frame[entry(k)].iloc[i] if pd.notna(frame[entry(k)].iloc[i]) else frame["created"].iloc[i]
        for i, k in enumerate(frame["furthest"])
    ]
    frame["days_in_stage"] = (pd.Timestamp(as_of) - pd.to_datetime(pd.Series(entered, index=frame.index))).dt.days
    frame["stage"] = [plan.open_stages[int(k)] for k in frame["furthest"]]
    opps = ds.table("opportunities")
    extra = ["opp_id", *[c for c in ("customer_id", "expected_close") if c in opps.columns]]
    details = opps.filter(opps.opp_id.isin(frame["opp_id"].tolist())).select(*extra).execute()
    frame = frame.merge(details.drop_duplicates("opp_id"), on="opp_id", how="left")
    frame["customer"] = frame.get("customer_id", pd.Series("", index=frame.index)).astype("string").fillna("")
    if ds.has("customers") and "customer_id" in frame:
        customers = ds.table("customers")
        names = customers.filter(customers.customer_id.isin(frame["customer_id"].dropna().tolist()))
        names = names.select("customer_id", "name").execute().drop_duplicates("customer_id")
        lookup = dict(zip(names["customer_id"].astype(str), names["name"].astype(str), strict=True))
        frame["customer"] = [lookup.get(str(c), str(c)) for c in frame["customer"]]
    close = frame["expected_close"] if "expected_close" in frame else pd.Series(pd.NaT, index=frame.index)
    frame["expected_close"] = pd.to_datetime(close).dt.strftime("%Y-%m-%d").fillna("")
    frame = frame.rename(columns={"rep": "rep_id"})
    frame["rep_id"] = frame["rep_id"].astype(str)
    return frame[columns].reset_index(drop=True)


def ensure_cubes(
    ds: Dataset, periods: list[str], *, refresh: bool = False, progress: Callable[[str], None] | None = None
) -> Path:
    """Build (once) and store the cubes of ``periods`` for ``ds``; returns the source's cube folder."""
    root = cube_root(ds.fingerprint)
    have = set(available_periods(root))
    for period in periods:
        if refresh or period not in have:
            if progress:
                progress(f"building dashboard data for {period}")
            save_cube(build_cube(ds, period, progress=progress), root)
    return root
