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
from dataclasses import dataclass
from typing import cast

import ibis
import ibis.expr.types as ir
import pandas as pd

from salesops_lib.analyses.bounded import LIST_ROWS, first_rows
from salesops_lib.analyses.forecast.pipeline import WonMeans, stage_rank, with_value
from salesops_lib.data import Dataset

SLIP_COLUMNS = ["opp_id", "rep_id", "customer_id", "stage", "value", "expected_close", "age_days", "slips", "reason"]
NO_STAGE = "—"
"""The stage of a slipping deal without a stage entered by the as-of date."""
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


@dataclass(frozen=True)
class SlippingDeals:
    """The slipping deals, largest first: the first :data:`~salesops_lib.analyses.bounded.LIST_ROWS`
    (``rows``, :data:`SLIP_COLUMNS`), how many there are and their value.
    """

    rows: pd.DataFrame
    total: int
    value: float


def slipping_deals(
    data: Dataset,
    as_of: dt.date,
    *,
    minimum_slips: int = 2,
    means: WonMeans | None = None,
    limit: int = LIST_ROWS,
) -> SlippingDeals:
    """Deals open on ``as_of`` that slipped ``minimum_slips`` times or more, largest first (the
    first ``limit``, read from the engine in that order; the count and value of every such deal).
    """
    o = data.table("opportunities")
    open_now = o.filter(
        o.created_at.notnull()
        & (o.created_at <= as_of)
        & (o.closed_at.isnull() | (o.closed_at > as_of))
        & o.status.isin(["open", "won", "lost"])
    )
    has_dates = len(o.filter(o.expected_close.notnull()).select("opp_id").limit(1).execute()) > 0
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
            return SlippingDeals(pd.DataFrame(columns=SLIP_COLUMNS), 0, 0.0)
        age = cast("ir.DateScalar", ibis.literal(as_of)).delta(open_now.created_at, unit="day")  # a date literal
        rows = open_now.filter(age > ibis.literal(2 * usual)).mutate(  # ibis types comparisons as Value with Value
            slips=(age / usual).floor().cast("int64"), reason=ibis.literal("age")
        )
    rows = with_value(data, rows.filter(rows.slips >= minimum_slips), as_of, means)
    summary = rows.aggregate(n=rows.count(), value=rows.value.sum()).execute().iloc[0]
    total = int(summary["n"])
    listed = rows.select(
        "opp_id",
        "rep_id",
        "customer_id",
        "value",
        "expected_close",
        "slips",
        "reason",
        age_days=cast("ir.DateScalar", ibis.literal(as_of)).delta(rows.created_at, unit="day"),
    )
    listed = _with_stage(data, listed, as_of)
    first = first_rows(listed, [ibis.desc("value"), ibis.desc("slips"), "opp_id"], limit)
    value = 0.0 if pd.isna(summary["value"]) else float(summary["value"])
    return SlippingDeals(first.rows[SLIP_COLUMNS], total, value)


def _usual_days_to_win(data: Dataset, as_of: dt.date) -> float | None:
    o = data.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull() & o.created_at.notnull() & (o.closed_at <= as_of))
    days = won.closed_at.delta(won.created_at, unit="day")
    value = won.aggregate(p=days.quantile(0.75)).execute()["p"].iloc[0]
    return None if pd.isna(value) or value <= 0 else float(value)


def _with_stage(data: Dataset, deals: ir.Table, as_of: dt.date) -> ir.Table:
    """Add ``stage``: each deal's last stage entered by ``as_of`` (the later stage of the funnel on
    a tie; :data:`NO_STAGE` without one), looked up in the engine for these deals only.
    """
    if not data.has("stage_history"):
        return deals.mutate(stage=ibis.literal(NO_STAGE))
    sh = data.table("stage_history")
    ids = deals.select(s_opp=deals.opp_id)
    mine = sh.filter(sh.entered_at <= as_of)
    mine = mine.semi_join(ids, mine.opp_id == ids.s_opp)
    order = [ibis.desc(mine.entered_at), ibis.desc(stage_rank(data, mine.stage))]
    ranked = mine.mutate(k=ibis.row_number().over(group_by=mine.opp_id, order_by=order))
    latest = ranked.filter(ranked.k == 0).select(l_opp=ranked.opp_id, stage=ranked.stage)
    joined = deals.left_join(latest, deals.opp_id == latest.l_opp).drop("l_opp")
    return joined.mutate(stage=joined.stage.fill_null(NO_STAGE))


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
