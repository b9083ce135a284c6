"""Target vs actual of the month by region, and the top and bottom reps (the leaderboard)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric

REGION_COLUMNS = ["unit", "name", "actual", "target", "attainment"]
LEADER_COLUMNS = ["rep_id", "name", "departed", "actual", "target", "attainment", "group"]


def region_board(
    data: Dataset, scope: RunScope, names: Mapping[str, str], attainment: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per region (the scope's one region when it has one): revenue, target and attainment of
    the month, worst attainment first; ``names`` gives a region its display name (else its id);
    ``attainment``: the month's attainment by region (:func:`month_attainment`) when the caller has it.
    """
    if not METRICS["attainment"].available(data):
        return pd.DataFrame(columns=REGION_COLUMNS)
    att = month_attainment(data, scope) if attainment is None else attainment
    if scope.region:
        att = att[att["unit"] == scope.region]
    frame = pd.DataFrame(
        {
            "unit": att["unit"].astype(str),
            "name": [names.get(str(u), str(u)) for u in att["unit"]],
            "actual": att["numerator"].astype(float),
            "target": att["denominator"].astype(float),
        }
    )
    frame["attainment"] = (frame["actual"] / frame["target"]).where(frame["target"] > 0)
    return frame.sort_values(["attainment", "unit"], na_position="last").reset_index(drop=True)


def month_attainment(data: Dataset, scope: RunScope) -> pd.DataFrame:
    """Attainment of the scope's month by region (one row per region, ``period`` NaT)."""
    start, end = scope.month
    return compute_metric(data, "attainment", Grain(period="all", level="region", start=start, end=end))


def leaderboard(data: Dataset, scope: RunScope, *, top: int) -> pd.DataFrame:
    """The ``top`` reps with the highest and the ``top`` with the lowest attainment of the month
    (``group`` ``top`` / ``bottom``; by revenue when the source has no targets), with their names
    and whether they have left (``departed``: an exit date on or before the month's end).
    """
    start, end = scope.month
    name = "attainment" if METRICS["attainment"].available(data) else "revenue"
    if not METRICS[name].available(data) or "rep" not in METRICS[name].levels:
        return pd.DataFrame(columns=LEADER_COLUMNS)
    frame = compute_metric(data, name, Grain(period="all", level="rep", start=start, end=end))
    frame = frame.rename(columns={"unit": "rep_id"})
    frame["rep_id"] = frame["rep_id"].astype(str)
    if name == "attainment":
        frame = frame[frame["denominator"] > 0].assign(actual=frame["numerator"], target=frame["denominator"])
        frame["attainment"] = frame["actual"] / frame["target"]
    else:
        frame = frame.assign(actual=frame["value"], target=float("nan"), attainment=float("nan"))
    frame = frame[["rep_id", "actual", "target", "attainment"]]
    roster = _roster(data, end)
    if scope.region and not roster.empty:
        frame = frame[frame["rep_id"].isin(roster.loc[roster["region"] == scope.region, "rep_id"])]
    frame = frame.merge(roster[["rep_id", "name", "departed"]], on="rep_id", how="left")
    frame["name"] = frame["name"].where(frame["name"].notna() & (frame["name"] != ""), frame["rep_id"])
    frame["departed"] = frame["departed"].fillna(False).astype(bool)
    key = "attainment" if name == "attainment" else "actual"
    ordered = frame.sort_values([key, "rep_id"], ascending=[False, True])
    best = ordered.head(top).assign(group="top")
    worst = ordered[~ordered["rep_id"].isin(best["rep_id"])].tail(top).iloc[::-1].assign(group="bottom")
    return pd.concat([best, worst]).reindex(columns=LEADER_COLUMNS).reset_index(drop=True)


def _roster(data: Dataset, end: object) -> pd.DataFrame:
    """rep_id, name, region and departed (exit date on or before ``end``) of the reps table."""
    if not data.has("reps"):
        return pd.DataFrame(columns=["rep_id", "name", "region", "departed"])
    reps = data.table("reps")
    columns = set(reps.columns)
    frame = reps.select(*[c for c in ("rep_id", "name", "region", "exit_date") if c in columns]).to_pandas()
    frame["rep_id"] = frame["rep_id"].astype(str)
    if "name" not in frame:
        frame["name"] = None
    if "region" not in frame:
        frame["region"] = None
    exits = pd.to_datetime(frame["exit_date"]) if "exit_date" in frame else pd.Series(pd.NaT, index=frame.index)
    frame["departed"] = exits.notna() & (exits <= pd.Timestamp(str(end)))
    return pd.DataFrame(frame.drop_duplicates("rep_id")[["rep_id", "name", "region", "departed"]])
