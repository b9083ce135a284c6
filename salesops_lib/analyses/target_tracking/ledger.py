"""Targets and actuals of every unit at every level, as units × periods matrices.

Targets at a level are the source's own lines when it has any at that level, otherwise the
rep lines rolled up (rep → team → region → company through the reps table) — the same rule as
the ``attainment`` metric. Actuals are always the reps' bookings rolled up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.analyses.target_tracking.inputs import TrackingInputs

LEVELS = ("company", "region", "team", "rep")
COMPANY = "company"


@dataclass(frozen=True)
class Level:
    """One org level: its units, their monthly targets and how reps map onto them."""

    name: str
    #: unit_id, name, team, region (one row per unit, sorted)
    units: pd.DataFrame
    #: units × ``inputs.months`` monthly targets
    targets: np.ndarray
    #: "own" (the level's target lines) or "rollup" (rep lines summed)
    source: str

    @property
    def ids(self) -> pd.Index:
        """The level's unit ids, in the order of the rows of ``units``."""
        ids: pd.Index = pd.Index(self.units["unit_id"])
        return ids

    def rollup(self, frame: pd.DataFrame, reps: pd.DataFrame, periods: pd.DatetimeIndex) -> np.ndarray:
        """Units × ``periods``: ``frame`` (rep_id, period, amount) summed per unit of this level."""
        if self.name == COMPANY:
            units = pd.Series(COMPANY, index=frame.index)
        else:
            units = frame["rep_id"].map(_unit_of_rep(reps, self.name))
        table = (
            frame.assign(unit=units)
            .dropna(subset=["unit"])
            .pivot_table(index="unit", columns="period", values="amount", aggfunc="sum")
        )
        return table.reindex(index=self.ids, columns=periods).fillna(0.0).to_numpy(float)


def levels(inputs: TrackingInputs) -> dict[str, Level]:
    """Every level's units and monthly targets."""
    reps = inputs.reps
    rep_targets = inputs.targets[inputs.targets["level"] == "rep"].rename(columns={"unit_id": "rep_id"})
    out = {}
    for name in LEVELS:
        units = _units(reps, inputs.targets, name)
        own = inputs.targets[inputs.targets["level"] == name]
        probe = Level(name, units, np.zeros((len(units), inputs.months.size)), "own")
        if len(own):
            matrix = (
                own.pivot_table(index="unit_id", columns="period", values="amount", aggfunc="sum")
                .reindex(index=probe.ids, columns=inputs.months)
                .fillna(0.0)
                .to_numpy(float)
            )
            out[name] = Level(name, units, matrix, "own")
        else:
            out[name] = Level(name, units, probe.rollup(rep_targets, reps, inputs.months), "rollup")
    return out


def _units(reps: pd.DataFrame, targets: pd.DataFrame, level: str) -> pd.DataFrame:
    if level == COMPANY:
        return pd.DataFrame({"unit_id": [COMPANY], "name": [None], "team": [None], "region": [None]})
    if level == "rep":
        frame = reps[["rep_id", "name", "team", "region"]].rename(columns={"rep_id": "unit_id"})
    elif level == "team":
        frame = reps.drop_duplicates("team")[["team", "region"]].assign(unit_id=lambda f: f["team"], name=None)
    else:
        frame = reps.drop_duplicates("region")[["region"]].assign(unit_id=lambda f: f["region"], name=None, team=None)
    extra = sorted(set(targets.loc[targets["level"] == level, "unit_id"]) - set(frame["unit_id"]))
    if extra:  # target lines for units the reps table does not know: tracked, without a parent
        frame = pd.concat([frame, pd.DataFrame({"unit_id": extra, "name": None, "team": None, "region": None})])
    return frame[["unit_id", "name", "team", "region"]].sort_values("unit_id").reset_index(drop=True)


def _unit_of_rep(reps: pd.DataFrame, level: str) -> pd.Series:
    if level == "rep":
        return pd.Series(reps["rep_id"].to_numpy(), index=reps["rep_id"])
    return reps.set_index("rep_id")[level]
