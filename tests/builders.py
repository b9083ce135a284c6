"""Build small hand-made sources for unit tests: frames → Parquet folder → Dataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from salesops_lib.analyses.spec import AnalysisSpec
from salesops_lib.catalog import Report
from salesops_lib.config import StageOrder
from salesops_lib.config.scope import AnalysisParams, RunScope
from salesops_lib.data import Dataset, connect


def d(text: str) -> dt.date:
    """A date from ISO text (keeps tables readable)."""
    return dt.date.fromisoformat(text)


def dataset_from_frames(folder: Path, frames: Mapping[str, pd.DataFrame], stages: StageOrder | None = None) -> Dataset:
    """Write each frame as ``<table>.parquet`` in ``folder`` and open the folder as a source."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return connect(folder, stages=stages)


def reps_frame(
    rows: list[tuple[str, str, str]], hire: Mapping[str, str] | None = None, exit: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Reps from (rep_id, team, region) triples, with optional hire/exit dates by rep."""
    hire, exit = hire or {}, exit or {}
    return pd.DataFrame(
        {
            "rep_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "team": [r[1] for r in rows],
            "region": [r[2] for r in rows],
            "hire_date": [d(hire[r[0]]) if r[0] in hire else None for r in rows],
            "exit_date": [d(exit[r[0]]) if r[0] in exit else None for r in rows],
        }
    ).astype({"hire_date": "object", "exit_date": "object"})


def fixture_report(name: str, notebook: str | None = None) -> Report:
    """A catalog entry for the fixture notebook ``tests/notebooks/<notebook or name>.ipynb``
    (parameters: the run scope only; needs ``opportunities``)."""

    def no_compute(data: Dataset, scope: RunScope, params: AnalysisParams) -> None:
        raise AssertionError("fixture reports run their notebook, not an analysis")

    spec = AnalysisSpec(name, AnalysisParams, no_compute, ("opportunities",), ())  # type: ignore[type-var]
    notebook_path = Path(__file__).parent / "notebooks" / f"{notebook or name}.ipynb"
    return Report(spec, notebook_path, fixed_title=(name, name))
