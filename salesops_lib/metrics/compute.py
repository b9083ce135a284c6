"""Run a metric at a grain: the only place where metric results leave the engine."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.errors import MetricError
from salesops_lib.metrics.dictionary import METRICS, Metric, get_metric
from salesops_lib.metrics.facts import rep_roster
from salesops_lib.metrics.filters import Filter, checked_where, where_columns, where_sql
from salesops_lib.metrics.grain import COMPANY, Grain

REP_COLUMNS = ("name", "team", "region")
"""What rep-level rows carry beside the rep's id (``unit``): from the reps table; a rep missing
there is named by its id, with no team or region."""


def compute_metric(ds: Dataset, name: str, grain: Grain | None = None, *, where: Filter | None = None) -> pd.DataFrame:
    """One metric at ``grain`` as a small frame.

    Columns: ``period`` (first day: a week's Monday, a month's 1st …; NaT for ``all``), ``unit``,
    at the rep level the rep's ``name``, ``team`` and ``region``, the dimension if any,
    ``numerator``, ``denominator`` and ``value`` (NaN where the denominator is zero or missing).
    Rows are sorted by period, unit and dimension.

    Parameters
    ----------
    ds
        The source.
    name
        A metric of the dictionary (:data:`METRICS`).
    grain
        Period, level, dimension, window and filter (default: by month for the company).
    where
        A filter of the fact rows, ANDed with ``grain.where``: one SQL condition over the columns
        ``get_metric(name).filters`` lists (``"product = 'GTX Pro' AND amount > 1000"``), or
        ``{column: value or [values]}`` (``{"segment": ["smb", "mid-market"]}``). A column the
        metric does not have is a :class:`~salesops_lib.errors.MetricError` listing those it has.

    Examples
    --------
    >>> compute_metric(ds, "win_rate", Grain(period="week", level="rep"), where={"segment": "smb"})  # doctest: +SKIP
    """
    grain = with_filter(grain or Grain(), where)
    metric = get_metric(name)
    metric.check(ds, grain)
    if grain.where is not None:
        grain = grain.model_copy(update={"where": checked_where(grain.where, metric.name, metric.filters)})
    expr = metric.build(ds, grain)
    dims = [grain.dimension] if grain.dimension else []
    extra = list(REP_COLUMNS) if grain.level == "rep" else []
    frame: pd.DataFrame = expr.execute()
    if extra:
        frame = _with_rep_attributes(ds, frame)
    keys = ["period", "unit", *dims]
    frame = frame[["period", "unit", *extra, *dims, "numerator", "denominator"]].copy()
    frame["period"] = pd.to_datetime(frame["period"]) if grain.period != "all" else pd.NaT
    return _with_value(frame, metric).sort_values(keys, na_position="first").reset_index(drop=True)


def _with_value(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """``frame`` with ``value``: the numerator for a sum, else numerator ÷ denominator (NaN where
    the denominator is zero or missing).
    """
    num = frame["numerator"].astype("float64")
    if metric.kind == "sum":
        frame["value"] = num
    else:
        den = frame["denominator"].astype("float64")
        frame["value"] = np.where(den.fillna(0) != 0, num / den.where(den != 0), np.nan)
    return frame


def roll_up(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The company rows of an additive metric (``Metric.additive``) from its rows at a lower level
    (``compute_metric``'s frame without a dimension): per period, the units' numerators and
    denominators summed (NULL where every unit's is NULL, as the engine sums), as
    ``compute_metric`` at the company level gives them, without a second scan of the facts.

    Examples
    --------
    >>> regions = compute_metric(ds, "win_rate", Grain(period="month", level="region"))  # doctest: +SKIP
    >>> roll_up(regions, "win_rate")  # == compute_metric(ds, "win_rate", Grain(period="month"))  # doctest: +SKIP
    """
    metric = get_metric(name)
    if not metric.additive:
        raise MetricError(f"{name} cannot be rolled up from a lower level", fix="compute it at the company level")
    parts = frame[["period", "numerator", "denominator"]].astype({"numerator": "float64", "denominator": "float64"})
    sums = parts.groupby("period", dropna=False, sort=True).sum(min_count=1).reset_index()
    out = pd.DataFrame(
        {
            "period": sums["period"],
            "unit": COMPANY,
            "numerator": sums["numerator"],
            "denominator": sums["denominator"],
        }
    )
    return _with_value(out, metric).reset_index(drop=True)


def with_filter(grain: Grain, where: Filter | None) -> Grain:
    """``grain`` with ``where`` (SQL or ``{column: values}``) ANDed to its own filter."""
    if where is None:
        return grain
    text = where_sql(where)
    both = text if grain.where is None else f"({grain.where}) AND ({text})"
    return grain.model_copy(update={"where": both})


def _with_rep_attributes(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per rep ``unit``) with :data:`REP_COLUMNS` from the rep roster
    (:func:`~salesops_lib.metrics.facts.rep_roster`).

    Joined after the query, in pandas: the roster is small, and a metric's expression may end in
    a join of its own (expense ratio: spend ⟗ revenue) to which Ibis cannot attach another.
    A rep missing from the roster keeps its id as its name.
    """
    if ds.has("reps"):
        lookup = rep_roster(ds)[["rep_id", *REP_COLUMNS]].rename(columns={"rep_id": "unit"})
    else:
        lookup = pd.DataFrame(columns=["unit", *REP_COLUMNS])
    frame = frame.drop(columns=[c for c in REP_COLUMNS if c in frame.columns])
    out = frame.merge(lookup.astype({"unit": "object"}), on="unit", how="left")
    out["name"] = out["name"].where(out["name"].notna(), out["unit"].astype("string"))
    return out


def metric_summary(
    ds: Dataset, names: Iterable[str] | None = None, grain: Grain | None = None, *, where: Filter | None = None
) -> pd.DataFrame:
    """Several metrics side by side (one column per metric), skipping those the source cannot feed.

    Rows are ``period`` × ``unit`` (× the dimension), with the rep's name, team and region at the
    rep level. Without ``names``, a metric that cannot take the grain's dimension or filter is
    left out (an error when no metric can), as are those not defined at the grain's level or period;
    a metric named in ``names`` that cannot take the dimension or filter is an error.
    """
    grain = with_filter(grain or Grain(period="all"), where)
    explicit = names is not None
    wanted = [get_metric(n) for n in (names if names is not None else METRICS)]
    candidates = [m for m in wanted if m.available(ds) and m.fits(grain)]
    if not explicit:
        candidates = _fitting(candidates, grain)
    frames, attributes = [], []
    keys = ["period", "unit", *([grain.dimension] if grain.dimension else [])]
    for metric in candidates:
        result = compute_metric(ds, metric.name, grain)
        frames.append(result.set_index(keys)["value"].rename(metric.name))
        if grain.level == "rep":
            attributes.append(result[["unit", *REP_COLUMNS]])
    if not frames:
        return pd.DataFrame()
    summary = pd.concat(frames, axis=1).reset_index()
    if attributes:
        reps = pd.concat(attributes).drop_duplicates("unit")
        summary = summary.merge(reps, on="unit", how="left")
        summary = summary[["period", "unit", *REP_COLUMNS, *keys[2:], *(m.name for m in candidates)]]
    return summary


def _fitting(metrics: list[Metric], grain: Grain) -> list[Metric]:
    """The ``metrics`` that take the grain's dimension and filter; an error naming the dimension or
    the filter column (and the valid ones) when none does.
    """
    if grain.dimension is not None:
        fit = [m for m in metrics if grain.dimension in m.dimensions]
        if metrics and not fit:
            valid = sorted({d for m in metrics for d in m.dimensions})
            raise MetricError(
                f"no metric can be broken down by {grain.dimension!r}",
                column=grain.dimension,
                fix=f"dimensions: {', '.join(valid)}",
            )
        metrics = fit
    if grain.where is not None:
        every = tuple(dict.fromkeys(c for m in metrics for c in m.filters))
        columns = set(where_columns(checked_where(grain.where, "the metrics", every)))
        fit = [m for m in metrics if m.filters and columns <= set(m.filters)]
        if metrics and not fit:
            raise MetricError(
                f"no metric has every column the filter reads ({', '.join(sorted(columns))})",
                fix="filter on columns of one kind of fact (docs/metrics.md lists each metric's filter columns)",
            )
        metrics = fit
    return metrics
