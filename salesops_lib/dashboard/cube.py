"""The dashboard cube: the analyses' results for one period, cut to what leadership views need,
stored once per source and period so every dashboard kernel loads it in milliseconds.

Nothing here re-implements an analysis: the cube calls each registered analysis' ``compute`` with
its default parameters (the same ones the monthly review uses) and keeps the frames the panels
show, at every org level, plus the metric layer's KPI tiles per org unit.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesops_lib.analyses import kpi_overview
from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.monthly_review import HEADLINE_METRICS
from salesops_lib.config.params import period_bounds, resolve_period
from salesops_lib.config.paths import cache_dir
from salesops_lib.config.registry import REPORTS
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError
from salesops_lib.metrics import METRICS, Grain, compute_metric
from salesops_lib.metrics.facts import rep_roster

FORMAT_VERSION = 1
"""Bumped whenever the stored layout changes; older cubes are rebuilt."""

LEVELS = ("company", "region", "team", "rep")

ANALYSES = ("target_tracking", "forecast", "team_efficiency", "funnel_diagnosis", "expense_roi",
            "collections_customers", "kpi_overview")
"""Registered analyses whose results the dashboard shows (their findings are the open alerts)."""

FRAMES = ("org", "tiles", "pacing", "monthly", "forecast", "efficiency", "funnel", "campaigns", "expense_units")


@dataclass(frozen=True)
class DashboardCube:
    """What the dashboard shows for one period, at every org level (small frames only)."""

    period: str
    source: str
    fingerprint: str
    built_at: str
    #: rep_id, name, team, region (the drill path)
    org: pd.DataFrame
    #: level, unit, metric, unit_kind, higher_is_better, value, previous, last_year, target
    tiles: pd.DataFrame
    #: target tracking's pacing: level, unit_id, horizon (month/quarter/year), target, actual, projection …
    pacing: pd.DataFrame
    #: target tracking's monthly actual and target per unit
    monthly: pd.DataFrame
    #: forecast's per-unit outlook for the target quarter (forecast, bands, chance to hit target)
    forecast: pd.DataFrame
    #: team efficiency per region, team and rep (revenue per FTE against the benchmark)
    efficiency: pd.DataFrame
    #: funnel step counts per level and unit (company plus the region/team/rep segments)
    funnel: pd.DataFrame
    #: campaign ROI rows (each with its region)
    campaigns: pd.DataFrame
    #: expense ratio per region (expense alignment)
    expense_units: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    forecast_target: str = ""
    #: analysis → why it is missing from this cube (a table the source lacks, an error)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.fingerprint}/{self.period}"


def cube_root(fingerprint: str) -> Path:
    """Folder of one source's cubes (one sub-folder per period)."""
    return cache_dir() / "dashboard" / fingerprint


def available_periods(root: Path) -> list[str]:
    """Periods with a complete cube under ``root``, newest first."""
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if (p / "meta.json").is_file() and _current(p)]
    return sorted(found, reverse=True)


def _current(folder: Path) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text())["format"] == FORMAT_VERSION
    except (OSError, ValueError, KeyError):
        return False


def recent_periods(latest: str, months: int) -> list[str]:
    """``months`` periods ending with ``latest`` (YYYY-MM), newest first."""
    first = pd.Period(latest, freq="M")
    return [str(first - i) for i in range(months)]


def build_cube(ds: Dataset, period: str, *, progress: Callable[[str], None] | None = None) -> DashboardCube:
    """Run the analyses for ``period`` and keep what the dashboard shows."""
    period = resolve_period(period)
    say = progress or (lambda _msg: None)
    results, skipped = {}, {}
    for name in ANALYSES:
        spec = REPORTS[name]
        missing = [t for t in spec.requires if not ds.has(t)]
        if missing:
            skipped[name] = f"missing table {missing[0]}"
            continue
        started = time.perf_counter()
        module = importlib.import_module(spec.module)
        params = spec.params(source=ds.source, period=period)
        try:
            results[name] = module.compute(ds, params)
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
        period=period, source=ds.source, fingerprint=ds.fingerprint,
        built_at=dt.datetime.now().isoformat(timespec="seconds"),
        org=_org(ds), tiles=unit_tiles(ds, period),
        pacing=_frame(tracking.pacing if tracking else None),
        monthly=_frame(tracking.monthly if tracking else None),
        forecast=_frame(forecast.units if forecast else None),
        efficiency=_efficiency(efficiency),
        funnel=_funnel(funnel),
        campaigns=_frame(campaigns),
        expense_units=_frame(alignment),
        findings=findings,
        forecast_target=forecast.target_label if forecast else "",
        skipped=skipped,
    )


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if frame is None else frame.reset_index(drop=True)


def _org(ds: Dataset) -> pd.DataFrame:
    roster = rep_roster(ds)[["rep_id", "name", "team", "region"]]
    return roster.astype({"rep_id": str, "name": str, "team": str, "region": str})


def unit_tiles(ds: Dataset, period: str) -> pd.DataFrame:
    """The monthly review's headline tiles for every org unit: value, previous month, same month
    last year, the changes and (for revenue) the month's target, from the metric layer at each level."""
    start, end = period_bounds(period)
    first = _months_back(start, 12)
    names = [n for n in HEADLINE_METRICS if METRICS[n].available(ds)]
    parts, targets = [], []
    for level in LEVELS:
        grain = Grain(period="month", level=level, start=first, end=end)
        series = [compute_metric(ds, n, grain).assign(metric=n) for n in names if level in METRICS[n].levels]
        if not series:
            continue
        long = pd.concat(series, ignore_index=True)
        long["unit"] = long["unit"].astype(str)
        trend = long.pivot_table(index=["unit", "period"], columns="metric", values="value", aggfunc="first",
                                 dropna=False)
        for unit, frame in trend.groupby(level="unit", sort=True):
            tiles = kpi_overview.tiles_from_trend(frame.droplevel("unit")[[n for n in names if n in frame]], start, "en")
            parts.append(tiles.rename(columns={"unit": "unit_kind"}).assign(level=level, unit=unit))
        if "attainment" in names:
            att = compute_metric(ds, "attainment", Grain(period="month", level=level, start=start, end=end))
            targets.append(pd.DataFrame({"level": level, "unit": att["unit"].astype(str), "metric": "revenue",
                                         "target": att["denominator"].astype("float64")}))
    columns = ["level", "unit", "metric", "unit_kind", "higher_is_better", "value", "previous", "last_year",
               "change_prev", "change_yoy", "target"]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    if targets:
        frame = frame.merge(pd.concat(targets, ignore_index=True), on=["level", "unit", "metric"], how="left")
    else:
        frame["target"] = np.nan
    return frame[columns]


def _months_back(day: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def _efficiency(result: object | None) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    columns = ["level", "unit", "name", "team", "region", "fte", "revenue", "revenue_per_fte", "win_rate",
               "benchmark", "gap", "flagged", "eligible"]
    units = result.units.assign(name=result.units["unit"])
    if "team" not in units:
        units["team"] = np.where(units["level"] == "team", units["unit"], "")
    reps = result.reps.assign(unit=result.reps["rep_id"])
    both = pd.concat([units.reindex(columns=columns), reps.reindex(columns=columns)], ignore_index=True)
    for column in ("name", "team", "region", "unit", "level"):
        both[column] = both[column].fillna("").astype(str)
    return both


def _funnel(result: object | None) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    company = result.funnel.assign(level="company", unit="company")[["level", "unit", "step", "k", "reached"]]
    segments = result.segments
    segments = segments[segments["dimension"].isin(["region", "team", "rep"])]
    segments = segments.rename(columns={"dimension": "level", "segment": "unit"})[["level", "unit", "step", "k", "reached"]]
    out = pd.concat([company, segments], ignore_index=True)
    out["unit"] = out["unit"].astype(str)
    return out


# ---------------------------------------------------------------- storage


def save_cube(cube: DashboardCube, root: Path) -> Path:
    """Write ``cube`` under ``root/<period>`` atomically (a reader never sees half a cube)."""
    target = root / cube.period
    staging = root / f".{cube.period}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in FRAMES:
        _to_parquet(getattr(cube, name), staging / f"{name}.parquet")
    meta = {
        "format": FORMAT_VERSION, "period": cube.period, "source": cube.source, "fingerprint": cube.fingerprint,
        "built_at": cube.built_at, "forecast_target": cube.forecast_target, "skipped": cube.skipped,
        "findings": [_finding_record(f) for f in cube.findings],
    }
    (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=_json_default))
    old = root / f".{cube.period}.{os.getpid()}.old"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def load_cube(folder: Path) -> DashboardCube:
    """Read a cube written by :func:`save_cube`."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"no dashboard data in {folder}: {exc}", where=str(folder),
                          fix="run `salesops dashboard` (it builds the data), or `--refresh` to rebuild it") from exc
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in FRAMES}
    findings = tuple(Finding(**record) for record in meta["findings"])
    return DashboardCube(period=meta["period"], source=meta["source"], fingerprint=meta["fingerprint"],
                         built_at=meta["built_at"], findings=findings, forecast_target=meta["forecast_target"],
                         skipped=meta["skipped"], **frames)


def ensure_cubes(ds: Dataset, periods: list[str], *, refresh: bool = False,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Build (once) and store the cubes of ``periods`` for ``ds``; returns the source's cube folder."""
    root = cube_root(ds.fingerprint)
    have = set(available_periods(root))
    for period in periods:
        if refresh or period not in have:
            if progress:
                progress(f"building dashboard data for {period}")
            save_cube(build_cube(ds, period, progress=progress), root)
    return root


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    frame.to_parquet(path, index=False)


def _finding_record(finding: Finding) -> dict:
    return {k: v for k, v in finding.to_dict().items() if k not in ("id", "change")}


def _json_default(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return str(value)
