"""Placebo worlds from real data: the same rows with one structure destroyed at random, so any
alert the review raises on them is noise.

* :func:`shuffle_teams` — reps are reassigned to teams (and their regions) at random, team sizes
  kept: a team or region flag can only be composition noise;
* :func:`shuffle_months` — every deal (with its stage entries, orders, invoices, payments,
  activities and lead) moves by a random whole number of months that keeps it inside the data's
  date range: a month-vs-baseline screen can only see noise.

A placebo world is written as a folder of canonical Parquet tables and opened like any source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from salesops_lib.analyses.findings import Finding
from salesops_lib.catalog import CATALOG
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset, connect

ROOT = Path(__file__).resolve().parents[1]
Frames = dict[str, pd.DataFrame]
Shuffle = Callable[[Frames, np.random.Generator], Frames]

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "opportunities": ("created_at", "closed_at", "expected_close"),
    "stage_history": ("entered_at",),
    "orders": ("ordered_at",),
    "invoices": ("issued_at", "due_at"),
    "payments": ("paid_at",),
    "activities": ("at",),
    "leads": ("created_at",),
}
"""Dated fact tables and their date columns (what :func:`shuffle_months` moves)."""


MOVES: tuple[tuple[str, str, str], ...] = (
    ("opportunities", "opp_id", "opp"),
    ("stage_history", "opp_id", "opp"),
    ("orders", "opp_id", "opp"),
    ("activities", "opp_id", "opp"),
    ("leads", "lead_id", "lead"),
    ("invoices", "order_id", "order"),
    ("payments", "invoice_id", "invoice"),
)
"""Tables :func:`shuffle_months` moves, in order: (table, key to its parent, the parent's offsets)."""
PARENTS = {"orders": ("order_id", "order"), "invoices": ("invoice_id", "invoice")}
"""Moved tables other tables hang on: their id column and the name of their offsets."""


def materialise(data: Dataset) -> Frames:
    """The source's own canonical tables as frames (derived ones are derived again on reopening)."""
    return {name: table.expr.execute() for name, table in data.tables.items() if name not in data.derived}


def reopen(folder: Path, frames: Frames, like: Dataset) -> Dataset:
    """``frames`` written as canonical Parquet tables in ``folder`` and opened with ``like``'s stages."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return connect(folder, stages=like.stages)


def shuffle_teams(frames: Frames, rng: np.random.Generator) -> Frames:
    """Reps reassigned to teams at random (each team keeps its size and region)."""
    reps = frames["reps"].copy()
    order = rng.permutation(len(reps))
    reps[["team", "region"]] = reps[["team", "region"]].to_numpy()[order]
    return {**frames, "reps": reps}


def _months(values: pd.Series) -> np.ndarray:
    day = pd.to_datetime(values)
    return (day.dt.year * 12 + day.dt.month - 1).to_numpy(dtype=float)


def _shift(values: pd.Series, months: np.ndarray) -> pd.Series:
    """Each date moved by its whole number of months (the day clamped to the month's length)."""
    day = pd.to_datetime(values)
    known = day.notna().to_numpy()
    index = (day.dt.year * 12 + day.dt.month - 1).to_numpy(dtype=float) + months
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if known.any():
        year, month = np.divmod(index[known].astype(int), 12)
        first = pd.to_datetime(pd.DataFrame({"year": year, "month": month + 1, "day": 1}))
        last = (first + pd.offsets.MonthEnd(0)).dt.day.to_numpy()
        moved = first + pd.to_timedelta(np.minimum(day.dt.day.to_numpy()[known], last) - 1, unit="D")
        out[known] = moved.to_numpy()
    return out.dt.date.astype("object").where(known, None)


def shuffle_months(frames: Frames, rng: np.random.Generator) -> Frames:
    """Every deal and what hangs on it moved by a random number of months inside the date range."""
    dated = {name: frames[name] for name in DATE_COLUMNS if name in frames}
    every = [_months(frame[col]) for name, frame in dated.items() for col in DATE_COLUMNS[name] if col in frame]
    low = min(np.nanmin(m) for m in every if np.isfinite(m).any())
    high = max(np.nanmax(m) for m in every if np.isfinite(m).any())

    def draw(first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """A uniform offset per row keeping [first, last] inside [low, high] (0 when unknown)."""
        first = np.where(np.isfinite(first), first, low)
        last = np.where(np.isfinite(last), last, high)
        lo, hi = low - first, high - last
        return np.where(hi >= lo, np.floor(lo + rng.random(len(first)) * (hi - lo + 1)), 0.0)

    out = dict(frames)
    offsets: dict[str, pd.Series] = {}
    if "opportunities" in frames:
        opps = frames["opportunities"]
        spans = [_months(opps[c]) for c in DATE_COLUMNS["opportunities"] if c in opps]
        if "stage_history" in frames:
            stages = frames["stage_history"].assign(m=_months(frames["stage_history"]["entered_at"]))
            by_opp = stages.groupby("opp_id")["m"].agg(["min", "max"]).reindex(opps["opp_id"])
            spans += [by_opp["min"].to_numpy(), by_opp["max"].to_numpy()]
        stacked = np.vstack(spans)
        finite = np.isfinite(stacked).any(axis=0)
        first = np.where(finite, np.nanmin(np.where(np.isfinite(stacked), stacked, np.inf), axis=0), np.nan)
        last = np.where(finite, np.nanmax(np.where(np.isfinite(stacked), stacked, -np.inf), axis=0), np.nan)
        offsets["opp"] = pd.Series(draw(first, last), index=opps["opp_id"].to_numpy())

    def moved(name: str, keys: pd.Series | None, source: str) -> np.ndarray:
        """The offset of each row of ``name``: its parent's (``keys`` into ``offsets[source]``), or its own."""
        frame = frames[name]
        months = np.vstack([_months(frame[c]) for c in DATE_COLUMNS[name] if c in frame])
        own = draw(np.nanmin(months, axis=0), np.nanmax(months, axis=0))
        if keys is None or source not in offsets:
            return own
        mapped = keys.map(offsets[source]).to_numpy(dtype=float)
        return np.where(np.isfinite(mapped), mapped, own)

    for name, key, source in MOVES:
        if name not in frames:
            continue
        if name == "leads" and "opp" in offsets:  # a lead moves with the deal it became
            lead_shift = frames["opportunities"].set_index("lead_id")["opp_id"].map(offsets["opp"])
            lead_shift = lead_shift[lead_shift.index.notna()]
            offsets["lead"] = lead_shift[~lead_shift.index.duplicated()]
        shift = moved(name, frames[name].get(key, None), source)
        frame = frames[name].copy()
        for col in DATE_COLUMNS[name]:
            if col in frame:
                frame[col] = _shift(frame[col], shift)
        out[name] = frame
        if name in PARENTS:  # its rows carry their offset to the tables that hang on them
            id_column, label = PARENTS[name]
            offsets[label] = pd.Series(shift, index=frame[id_column].to_numpy())
    return out


def alerts(data: Dataset, period: str, report_params: Mapping[str, Mapping[str, Any]] | None = None) -> list[Finding]:
    """The medium-or-high findings every analysis raises on ``data`` for ``period`` (with the
    review configuration's ``report_params`` where it has them)."""
    scope = RunScope(source=str(data.source), period=period, lang="en")
    found: list[Finding] = []
    for report in CATALOG.values():
        if report.spec.summary or report.spec.missing(data):
            continue
        params = report.spec.params.load(dict((report_params or {}).get(report.name, {})), where="placebo")
        found += [f for f in report.spec.run(data, scope, params).findings if f.severity in ("medium", "high")]
    return found


@dataclass(frozen=True)
class RealSet:
    """A real dataset of ``../shared/datasets`` as its review configuration opens it."""

    name: str
    config: str

    def load(self) -> tuple[Dataset, str, dict[str, Any]]:
        """The dataset, the review's period and its report parameters."""
        settings = yaml.safe_load((ROOT / self.config).read_text(encoding="utf-8"))
        source = (ROOT / settings["source"]).resolve()
        if self.name == "maven_crm" and not source.is_dir():
            source = ROOT / "examples" / "maven_crm"
        return connect(source, ROOT / settings["mapping"]), str(settings["period"]), settings.get("report_params", {})


REAL_SETS = (
    RealSet("maven_crm", "parameters/maven_review.yaml"),
    RealSet("souvenirs_monthly", "parameters/souvenirs_review.yaml"),
    RealSet("robyn_mmm", "parameters/robyn_review.yaml"),
    RealSet("kaggle_sample_sales", "parameters/kaggle_review.yaml"),
)
"""Every real dataset the review runs on (their configurations in ``parameters/``)."""


def placebo_alerts(real: RealSet, shuffle: Shuffle, shuffles: int, folder: Path) -> list[list[Finding]]:
    """The alerts of ``shuffles`` placebo worlds of ``real`` (seeded 0, 1, …), one list per world."""
    data, period, params = real.load()
    frames = materialise(data)
    out = []
    for seed in range(shuffles):
        world = reopen(folder / f"{real.name}-{seed}", shuffle(frames, np.random.default_rng(seed)), data)
        out.append(alerts(world, period, params))
    return out
