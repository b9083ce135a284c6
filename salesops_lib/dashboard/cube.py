"""The dashboard cube: the analyses' results for one period, cut to what leadership views need,
stored once per source and period so every dashboard kernel loads it in milliseconds.

This module is the cube's shape and storage only (light imports: a dashboard kernel loads cubes,
it never builds them); :mod:`salesops_lib.dashboard.build` makes them from the analyses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.config.paths import cache_dir
from salesops_lib.core.atomic import swap_folder
from salesops_lib.errors import ConfigError
from salesops_lib.report.names import Names

FORMAT_VERSION = 4
"""Bumped whenever the stored layout changes; older cubes are rebuilt."""

FRAMES = (
    "org",
    "tiles",
    "pacing",
    "monthly",
    "forecast",
    "efficiency",
    "funnel",
    "campaigns",
    "expense_units",
    "deals",
)


@dataclass(frozen=True)
class DashboardCube:
    """What the dashboard shows for one period, at every org level (small frames only)."""

    period: str
    source: str
    fingerprint: str
    built_at: str
    #: rep_id, name, team, region (the drill path), team_name, region_name (missing when the data
    #: has none), departed (left by the period's end)
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
    #: each rep's largest open deals at the period's end: rep_id, opp_id, customer, amount, stage,
    #: expected_close, days_in_stage
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: tuple[Finding, ...] = ()
    #: finding id → {"zh": sentence, "en": sentence}, worded when the cube was built
    finding_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    forecast_target: str = ""
    #: analysis → why it is missing from this cube (a table the source lacks, an error)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identifies the cube among every source's and period's: ``<fingerprint>/<period>``."""
        return f"{self.fingerprint}/{self.period}"

    @cached_property
    def names(self) -> Names:
        """The names of the cube's org (reps, teams, regions; departed reps marked): what
        :func:`~salesops_lib.dashboard.labels.display_name` shows, the same as the pages'.
        """
        departed: list[str] = []
        if {"rep_id", "departed"} <= set(self.org.columns):
            departed = self.org.loc[self.org["departed"].astype(bool), "rep_id"].astype(str).tolist()
        return Names.of_frames({"reps": self.org}, departed=departed)


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
        "format": FORMAT_VERSION,
        "period": cube.period,
        "source": cube.source,
        "fingerprint": cube.fingerprint,
        "built_at": cube.built_at,
        "forecast_target": cube.forecast_target,
        "skipped": cube.skipped,
        "findings": [_finding_record(f) for f in cube.findings],
        "finding_texts": cube.finding_texts,
    }
    (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=_json_default))
    swap_folder(staging, target, root / f".{cube.period}.{os.getpid()}.old")
    return target


def load_cube(folder: Path) -> DashboardCube:
    """Read a cube written by :func:`save_cube`."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"no dashboard data in {folder}: {exc}",
            where=str(folder),
            fix="run `salesops dashboard` (it builds the data), or `--refresh` to rebuild it",
        ) from exc
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in FRAMES}
    findings = tuple(Finding.from_dict(record) for record in meta["findings"])
    return DashboardCube(
        period=meta["period"],
        source=meta["source"],
        fingerprint=meta["fingerprint"],
        built_at=meta["built_at"],
        findings=findings,
        forecast_target=meta["forecast_target"],
        finding_texts=meta.get("finding_texts", {}),
        skipped=meta["skipped"],
        **frames,
    )


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    frame.to_parquet(path, index=False)


def _finding_record(finding: Finding) -> dict[str, Any]:
    return finding.to_dict()


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
