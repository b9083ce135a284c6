"""Early risk warnings: thin pipeline for the remaining target, deals that keep slipping, key
accounts whose orders decline.

* **Pipeline coverage** = open pipeline value (each deal valued as the pipeline forecast values
  it: the mean won amount of its product, the same at every origin) ÷ the target still to book
  in the period. A unit's *usual* coverage is the median, over the backtest origins, of its open
  pipeline then ÷ its target of the same window; coverage below ``threshold`` × usual is thin (a
  fixed 3× rule would misfire where cycles are shorter than the period).
* **Slipping deals**: the CRM keeps only the current expected close, so a slip is counted each
  time the deal passes a month-end after its expected close without closing: an expected close
  in May still open on 30 June has slipped twice. Sources without expected close dates count an
  open deal as slipped when it is older than twice the usual (75th percentile) time to win.
  "Slipped more than once" = two slips or more.
* **Key accounts** come from :func:`salesops_lib.analyses.churn.key_account_risk` (shared with the
  customer-value report).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import ibis
import ibis.expr.types as ir
import pandas as pd

from salesops_lib.analyses.forecast.pipeline import WonMeans, with_value
from salesops_lib.data import Dataset

SLIP_COLUMNS = ["opp_id", "rep_id", "customer_id", "stage", "value", "expected_close", "age_days", "slips", "reason"]
COVERAGE_COLUMNS = ["level", "unit", "open_pipeline", "remaining_target", "coverage", "usual_coverage", "ratio", "thin"]


def coverage_table(open_value: pd.Series, remaining: pd.Series, usual: pd.Series, threshold: float) -> pd.DataFrame:
    """Per (level, unit): open pipeline, remaining target, coverage, usual coverage, thin flag.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("region", "n"), ("region", "s")], names=["level", "unit"])
    >>> t = coverage_table(
    ...     pd.Series([50.0, 100.0], idx), pd.Series([100.0, 100.0], idx), pd.Series([1.0, 1.0], idx), 0.75
    ... )
    >>> t["thin"].tolist()
    [True, False]
    """
    frame = pd.DataFrame({"open_pipeline": open_value, "remaining_target": remaining, "usual_coverage": usual})
    frame = frame.dropna(subset=["remaining_target"])
    gap = frame["remaining_target"].where(frame["remaining_target"] > 0)
    frame["coverage"] = frame["open_pipeline"].fillna(0) / gap
    frame["ratio"] = frame["coverage"] / frame["usual_coverage"].where(frame["usual_coverage"] > 0)
    frame["thin"] = (frame["ratio"] < threshold).fillna(False)
    frame = frame.reset_index()
    frame.columns = ["level", "unit", *frame.columns[2:]]
    return frame[COVERAGE_COLUMNS]


def slipping_deals(
    data: Dataset, as_of: dt.date, *, minimum_slips: int = 2, means: WonMeans | None = None
) -> pd.DataFrame:
    """Deals open on ``as_of`` that slipped ``minimum_slips`` times or more, largest first."""
    o = data.table("opportunities")
    open_now = o.filter(
        o.created_at.notnull()
        & (o.created_at <= as_of)
        & (o.closed_at.isnull() | (o.closed_at > as_of))
        & o.status.isin(["open", "won", "lost"])
    )
    has_dates = int(o.filter(o.expected_close.notnull()).count().execute()) > 0
    month_end = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
    if has_dates:
        late = open_now.filter(open_now.expected_close.notnull() & (open_now.expected_close < as_of))
        slips = (
            ibis.literal(month_end.year * 12 + month_end.month)
            - (late.expected_close.year() * 12 + late.expected_close.month())
            + 1
        )
        rows = late.mutate(slips=slips.cast("int64"), reason=ibis.literal("expected_close"))
    else:
        usual = _usual_days_to_win(data, as_of)
        if usual is None:
            return pd.DataFrame(columns=SLIP_COLUMNS)
        age = cast("ir.DateScalar", ibis.literal(as_of)).delta(open_now.created_at, unit="day")  # a date literal
        rows = open_now.filter(age > ibis.literal(2 * usual)).mutate(  # ibis types comparisons as Value with Value
            slips=(age / usual).floor().cast("int64"), reason=ibis.literal("age")
        )
    rows = with_value(data, rows.filter(rows.slips >= minimum_slips), as_of, means)
    frame: pd.DataFrame = rows.select(
        "opp_id",
        "rep_id",
        "customer_id",
        "value",
        "expected_close",
        "slips",
        "reason",
        age_days=cast("ir.DateScalar", ibis.literal(as_of)).delta(rows.created_at, unit="day"),
    ).execute()
    frame["stage"] = _stages(data, frame["opp_id"].tolist(), as_of)
    return frame.sort_values(["value", "slips"], ascending=False, na_position="last")[SLIP_COLUMNS].reset_index(
        drop=True
    )


def _usual_days_to_win(data: Dataset, as_of: dt.date) -> float | None:
    o = data.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull() & o.created_at.notnull() & (o.closed_at <= as_of))
    days = won.closed_at.delta(won.created_at, unit="day")
    value = won.aggregate(p=days.quantile(0.75)).execute()["p"].iloc[0]
    return None if pd.isna(value) or value <= 0 else float(value)


def _stages(data: Dataset, opp_ids: list[str], as_of: dt.date) -> list[str]:
    if not opp_ids or not data.has("stage_history"):
        return ["—"] * len(opp_ids)
    sh = data.table("stage_history")
    entries = sh.filter(sh.opp_id.isin(opp_ids) & (sh.entered_at <= as_of)).select("opp_id", "stage", "entered_at")
    frame = entries.execute().sort_values("entered_at")
    last = frame.groupby("opp_id")["stage"].last()
    return [last.get(i, "—") for i in opp_ids]


def usual_coverage(open_by_origin: pd.DataFrame, targets_by_origin: pd.DataFrame) -> pd.Series:
    """Median over origins of open pipeline ÷ target of the window, per (level, unit).

    Both frames: ``origin``, ``level``, ``unit`` and ``open_pipeline`` / ``target``.
    """
    if open_by_origin.empty or targets_by_origin.empty:
        return pd.Series(dtype=float)
    joined = open_by_origin.merge(targets_by_origin, on=["origin", "level", "unit"])
    joined = joined[joined["target"] > 0]
    ratio = joined["open_pipeline"] / joined["target"]
    return ratio.groupby([joined["level"], joined["unit"]]).median()
