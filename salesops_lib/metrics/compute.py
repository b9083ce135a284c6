"""Run a metric at a grain: the only place where metric results leave the engine."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.metrics.dictionary import METRICS, get_metric
from salesops_lib.metrics.grain import Grain


def compute_metric(ds: Dataset, name: str, grain: Grain | None = None) -> pd.DataFrame:
    """One metric at ``grain`` as a small frame.

    Columns: ``period`` (first day, NaT for ``all``), ``unit``, the dimension if any,
    ``numerator``, ``denominator`` and ``value`` (NaN where the denominator is zero or missing).
    Rows are sorted by period and unit.

    Examples
    --------
    >>> compute_metric(ds, "win_rate", Grain(period="year", level="region"))  # doctest: +SKIP
    """
    grain = grain or Grain()
    metric = get_metric(name)
    metric.check(ds, grain)
    frame: pd.DataFrame = metric.build(ds, grain).execute()
    keys = ["period", "unit", *([grain.dimension] if grain.dimension else [])]
    frame = frame[[*keys, "numerator", "denominator"]].copy()
    frame["period"] = pd.to_datetime(frame["period"]) if grain.period != "all" else pd.NaT
    num = frame["numerator"].astype("float64")
    if metric.kind == "sum":
        frame["value"] = num
    else:
        den = frame["denominator"].astype("float64")
        frame["value"] = np.where(den.fillna(0) != 0, num / den.where(den != 0), np.nan)
    return frame.sort_values(keys, na_position="first").reset_index(drop=True)


def metric_summary(ds: Dataset, names: Iterable[str] | None = None, grain: Grain | None = None) -> pd.DataFrame:
    """Several metrics side by side (one column per metric), skipping those the source cannot feed."""
    grain = grain or Grain(period="all")
    wanted = list(names) if names is not None else list(METRICS)
    frames = []
    for name in wanted:
        metric = get_metric(name)
        if not metric.available(ds) or grain.level not in metric.levels:
            continue
        result = compute_metric(ds, name, grain)
        frames.append(result.set_index(["period", "unit"])["value"].rename(name))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, axis=1).reset_index()
