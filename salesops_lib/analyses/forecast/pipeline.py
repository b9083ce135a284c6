"""Pipeline forecast: open deals × the probability, learned from the unit's own history, that a
deal in its stage and of its age is won within the window; plus the run-rate of business that
is not in the pipeline yet.

**Snapshots.** For a list of month-end origins the engine rebuilds the pipeline as it stood
(deals created on or before the origin and not closed by then; their stage = the last stage
entered by the origin; their age = days since creation) and records which deals were won in
the ``window`` months after the origin. Only aggregates per origin × rep × stage × age band
leave the engine.

**Win-in-window probability** ``q(stage, age band)`` = won value ÷ open value over the snapshots
whose window had ended before the forecast origin, shrunk toward the stage's rate (and that
toward the overall rate) with a prior of :data:`PRIOR_DEALS` deals. It folds in win rate, time to
close and the fate of ageing deals. When closed deals keep their ``expected_close`` (at least
:data:`MIN_SLIP_DEALS` of them), an open deal's timing comes instead from its own expected close
and the past slippage (closed − expected): ``P = p_win(stage, age) · P(expected + slip ≤ window end)``.

**Value** of a deal at an origin = the mean amount of its product's deals won by the origin,
else of all deals won by then.

**Run-rate** = the share ρ of window revenue that did not come from the opening pipeline
(learned on the same snapshots) × the rep's mean monthly revenue of the last 3 months × the
window's months × the seasonal ratio of the window to those 3 months (the root's seasonal
indices as they could be estimated at the origin: :func:`.org.known_seasons`).

**What is known when.** The backtest's forecast at an origin uses only what was known then, so
that it equals the forecast a run on the data as of that day would have made
(``tests/test_forecast_no_lookahead.py`` checks it on the demo and on Maven):

* *history*: a deal created after the origin does not exist; one closed after it is open (its
  ``status`` and ``closed_at`` are read against the origin); its stage is the last stage entered
  by then (``stage_history``); its age counts from ``created_at``. Outcomes (won in the window)
  are learned only from snapshots whose window had ended by the origin; the won means, the
  slippage (:func:`slip_distributions`) and ρ only from deals and revenue dated by the origin.
* *no history*: the canonical tables keep one value per deal of ``amount``, ``expected_close``,
  ``rep_id`` and ``product``. A closed deal's ``amount`` is its outcome (the booked value; 0 for
  Maven's lost deals) and an open deal's is today's estimate, so deals are valued at the won
  means above at every origin, today's included (valuing today's pipeline by amounts and the
  backtest's by means would calibrate one method on another). ``expected_close`` is today's
  estimate (for a deal still open, after today): it is used only at origins on or after the
  data's last event, i.e. for the forecast of today; so are deals without a creation date.
  Owner and product are taken as they are now (a reassigned deal moves between reps, not out of
  the total).
* *known in advance*: hires and exits (reps employed at the origin get a run-rate) and targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.data import Dataset

AGE_BANDS: tuple[tuple[int, str], ...] = ((30, "0-29"), (60, "30-59"), (90, "60-89"), (180, "90-179"))
OLDEST_BAND = "180+"
UNKNOWN = "(unknown)"
PRIOR_DEALS = 20.0
MIN_SLIP_DEALS = 30
LEARN_ORIGINS = 6
"""Snapshots (the most recent with a complete window) that the probabilities learn from."""
RUN_RATE_MONTHS = 3
CLOSE_STEP_DAYS = 15
_RANKS = 1000
"""Codes of stage entries (:func:`_with_stage`): more than any funnel's open stages."""
"""Open deals' expected close dates are grouped in steps of this many days after the origin."""
SNAPSHOT_COLUMNS = [
    "origin",
    "rep_id",
    "stage",
    "age_band",
    "close_step",
    "deals",
    "value",
    "won_value",
    "won_ever_value",
]


def month_end(day: pd.Timestamp) -> pd.Timestamp:
    """Midnight of the last day of ``day``'s month."""
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).normalize()


def window_end(origin: pd.Timestamp, months: int) -> pd.Timestamp:
    """Last day of the ``months`` calendar months after the month-end ``origin``."""
    return month_end(pd.Timestamp(origin) + pd.DateOffset(months=months))


def _last_event(data: Dataset) -> dt.date | None:
    o = data.table("opportunities")
    row = o.aggregate(a=o.created_at.max(), b=o.closed_at.max()).execute().iloc[0]
    dates = [pd.Timestamp(v) for v in row if not pd.isna(v)]
    return max(dates).date() if dates else None


WonMeans = tuple[pd.DataFrame, float]


def won_means(data: Dataset, as_of: dt.date) -> WonMeans:
    """Mean won amount per product, and over all won deals, closed by ``as_of``."""
    o = data.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull() & (o.closed_at <= as_of) & (o.amount > 0))
    by_product = won.group_by(product=won.product.fill_null(UNKNOWN)).agg(product_mean=won.amount.mean()).execute()
    overall = won.aggregate(m=won.amount.mean()).execute()["m"].iloc[0]
    return by_product, float(overall) if not pd.isna(overall) else 0.0


def with_value(data: Dataset, deals: ir.Table, as_of: dt.date, means: WonMeans | None = None) -> ir.Table:
    """Add ``value``: the deal's amount, else the mean won amount of its product, else of all won
    deals (closed by ``as_of``; ``means`` from :func:`won_means` when already known).
    """
    by_product, overall = means if means is not None else won_means(data, as_of)
    product_means = ibis.memtable(by_product, schema={"product": "string", "product_mean": "float64"})
    joined = deals.left_join(product_means, deals.product.fill_null(UNKNOWN) == product_means.product).drop(
        "product_right"
    )
    value = ibis.cases(
        ((joined.amount > 0), joined.amount),
        (joined.product_mean.notnull(), joined.product_mean),
        else_=ibis.literal(overall),
    )
    return joined.mutate(value=value.cast("float64")).drop("product_mean")


def stage_rank(data: Dataset, stage: ir.StringValue) -> ir.IntegerValue:
    """Position of ``stage`` among the open stages of the funnel (-1 for any other stage)."""
    order = data.stages.open_stages
    rank = ibis.cases(*[(stage == name, i) for i, name in enumerate(order)], else_=-1)
    return cast("ir.IntegerValue", rank)  # every branch is an integer


def open_deals(
    data: Dataset,
    origins: Sequence[pd.Timestamp],
    months: int,
    *,
    skip: int = 0,
) -> ir.Table:
    """Deals open at each origin (one row per deal × origin): ``origin``, ``opp_id``, ``rep_id``,
    ``customer_id``, ``stage``, ``created_at``, ``expected_close``, ``age_band``,
    ``close_step``, ``value``, ``won_in_window`` (won in the ``months`` months that follow the
    first ``skip`` months after the origin), ``won_ever`` (lazy). Every attribute is as known at
    the origin (see the module docstring).
    """
    o = data.table("opportunities")
    last = _last_event(data)
    frame = pd.DataFrame(
        {
            "origin": [pd.Timestamp(x).date() for x in origins],
            "window_start": [window_end(x, skip).date() for x in origins],
            "window_end": [window_end(x, skip + months).date() for x in origins],
        }
    )
    grid = ibis.memtable(frame, schema={"origin": "date", "window_start": "date", "window_end": "date"})
    first, latest = min(frame["origin"]), max(frame["origin"])
    deals = o.filter(
        o.status.isin(["open", "won", "lost"])
        & (o.closed_at.notnull() | (o.status == "open"))
        & (o.created_at.isnull() | (o.created_at <= latest))
        & (o.closed_at.isnull() | (o.closed_at > first))
    )
    pairs = deals.cross_join(grid)
    # the data's latest state (deals without a creation date, expected closes) is known only at
    # origins on or after its last event
    now = ibis.literal(last is not None) & (pairs.origin >= (last or dt.date(1900, 1, 1)))
    created_known = pairs.created_at.notnull() & (pairs.created_at <= pairs.origin)
    pairs = pairs.filter(
        (created_known | (pairs.created_at.isnull() & now))
        & (pairs.closed_at.isnull() | (pairs.closed_at > pairs.origin))
    )
    pairs = _with_value_then(data, pairs, grid)
    age = pairs.origin.delta(pairs.created_at, unit="day")
    band = ibis.cases(*[(age < limit, label) for limit, label in AGE_BANDS], else_=ibis.literal(OLDEST_BAND))
    won = pairs.status == "won"
    close_in = pairs.expected_close.delta(pairs.origin, unit="day")
    pairs = pairs.mutate(
        close_step=ibis.cases(
            (pairs.expected_close.isnull() | ~now, ibis.null("int64")),
            else_=(close_in / CLOSE_STEP_DAYS).floor().cast("int64"),
        ),
        age_band=ibis.cases((pairs.created_at.isnull(), ibis.literal(UNKNOWN)), else_=band),
        won_in_window=won & (pairs.closed_at > pairs.window_start) & (pairs.closed_at <= pairs.window_end),
        won_ever=won,
    )
    return _with_stage(data, pairs)


def _with_value_then(data: Dataset, pairs: ir.Table, grid: ir.Table) -> ir.Table:
    """Add ``value`` of each deal × origin as known at the origin: the mean amount of its
    product's deals won by the origin, else of all deals won by then (0 before the first win).
    """
    o = data.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull() & (o.amount > 0))
    # sums per product and close day first: the origins then meet thousands of rows, not every win
    daily = won.group_by(product=won.product.fill_null(UNKNOWN), closed_at=won.closed_at).agg(
        total=won.amount.sum(), n=won.count()
    )
    daily = daily.cross_join(grid.select("origin"))
    daily = daily.filter(daily.closed_at <= daily.origin)
    by_product = daily.group_by(m_origin=daily.origin, m_product=daily.product).agg(
        product_mean=daily.total.sum() / daily.n.sum()
    )
    overall = daily.group_by(a_origin=daily.origin).agg(overall_mean=daily.total.sum() / daily.n.sum())
    joined = pairs.left_join(
        by_product,
        [pairs.origin == by_product.m_origin, pairs.product.fill_null(UNKNOWN) == by_product.m_product],
    ).drop("m_origin", "m_product")
    joined = joined.left_join(overall, joined.origin == overall.a_origin).drop("a_origin")
    value = joined.product_mean.fill_null(joined.overall_mean).fill_null(0.0)
    return joined.mutate(value=value.cast("float64")).drop("product_mean", "overall_mean")


def _with_stage(data: Dataset, pairs: ir.Table) -> ir.Table:
    """Add each deal's stage at its origin: the last open stage entered by then (the later stage
    of the funnel on a tie).

    An as-of join, planned as one hash join and one aggregate: every entry is coded as its
    ordering key (entry time + its rank in seconds, see below) × :data:`_RANKS` + its rank, and
    the largest code entered by the origin names the stage; no window over the entries.
    """
    if not data.has("stage_history"):
        return pairs.mutate(stage=ibis.literal(UNKNOWN))
    order = data.stages.open_stages
    sh = data.table("stage_history")
    sh = sh.filter(sh.stage.isin(list(order)) & sh.entered_at.notnull())
    # mypy resolves ibis' cast() overloads to a StringValue whatever the target: this is an integer
    rank = cast("ir.IntegerValue", stage_rank(data, sh.stage).cast("int64"))
    key = sh.entered_at.cast("timestamp") + rank * ibis.interval(seconds=1)
    entries = sh.select(s_opp=sh.opp_id, s_key=key, s_code=key.epoch_seconds().cast("int64") * _RANKS + rank)
    keys = pairs.select(k_opp=pairs.opp_id, k_origin=pairs.origin).distinct()
    keys = keys.mutate(k_at=keys.k_origin.cast("timestamp") + ibis.interval(hours=23))
    candidates = keys.join(entries, [keys.k_opp == entries.s_opp, entries.s_key <= keys.k_at])
    best = candidates.group_by(["k_opp", "k_origin"]).agg(k_code=candidates.s_code.max())
    joined = pairs.left_join(best, [pairs.opp_id == best.k_opp, pairs.origin == best.k_origin])
    code = joined.k_code % _RANKS
    stage = ibis.cases(*[(code == i, name) for i, name in enumerate(order)], else_=ibis.literal(UNKNOWN))
    return joined.mutate(stage=stage).drop("k_opp", "k_origin", "k_code")


def snapshots(
    data: Dataset,
    origins: Sequence[pd.Timestamp],
    months: int,
    *,
    skip: int = 0,
) -> pd.DataFrame:
    """Open pipeline per origin × rep × stage × age band (× expected close step): deals, value,
    value won in the window and value won at any time after the origin, each deal as known at
    the origin.
    """
    if not len(origins):
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    deals = open_deals(data, origins, months, skip=skip)
    agg: pd.DataFrame = (
        deals.group_by(["origin", "rep_id", "stage", "age_band", "close_step"])
        .agg(
            deals=deals.count(),
            value=deals.value.sum(),
            won_value=deals.value.sum(where=deals.won_in_window).fill_null(0),
            won_ever_value=deals.value.sum(where=deals.won_ever).fill_null(0),
        )
        .execute()
    )
    agg["origin"] = pd.to_datetime(agg["origin"])
    return agg[SNAPSHOT_COLUMNS]


def win_probabilities(snaps: pd.DataFrame, *, column: str = "won_value") -> pd.DataFrame:
    """``q`` per (stage, age band): value won ÷ value open, shrunk toward the stage and overall rates."""
    if snaps.empty or snaps["value"].sum() <= 0:
        return pd.DataFrame(columns=["stage", "age_band", "q"])
    mean_value = snaps["value"].sum() / max(snaps["deals"].sum(), 1)
    prior = PRIOR_DEALS * mean_value
    overall = snaps[column].sum() / snaps["value"].sum()
    by_stage = snaps.groupby("stage")[[column, "value"]].sum()
    stage_q = (by_stage[column] + prior * overall) / (by_stage["value"] + prior)
    cells = snaps.groupby(["stage", "age_band"], as_index=False)[[column, "value"]].sum()
    base = cells["stage"].map(stage_q).fillna(overall)
    cells["q"] = ((cells[column] + prior * base) / (cells["value"] + prior)).clip(0, 1)
    return cells[["stage", "age_band", "q"]]


def _lookup(table: pd.DataFrame, stage: pd.Series, band: pd.Series, fallback: float) -> np.ndarray:
    """``q`` of each (stage, band); the stage's mean for an unseen band, ``fallback`` for an unseen stage."""
    if table.empty:
        return np.full(len(stage), fallback)
    keys = pd.DataFrame({"stage": stage.to_numpy(), "age_band": band.to_numpy()})
    q = keys.merge(table, on=["stage", "age_band"], how="left")["q"]
    stage_mean = keys["stage"].map(table.groupby("stage")["q"].mean())
    return q.fillna(stage_mean).fillna(fallback).to_numpy(dtype=float)


def slip_distributions(data: Dataset, origins: Sequence[pd.Timestamp]) -> dict[pd.Timestamp, np.ndarray | None]:
    """Per origin: days from expected to actual close of the deals won by the origin that kept an
    expected close (sorted), or None when fewer than :data:`MIN_SLIP_DEALS` did.
    """
    o = data.table("opportunities")
    won = o.filter((o.status == "won") & o.closed_at.notnull() & o.expected_close.notnull())
    counts = (
        won.group_by(closed_at=won.closed_at, slip=won.closed_at.delta(won.expected_close, unit="day"))
        .agg(n=won.count())
        .execute()
    )
    closed = pd.to_datetime(counts["closed_at"])
    out: dict[pd.Timestamp, np.ndarray | None] = {}
    for origin in origins:
        known = counts[(closed <= pd.Timestamp(origin)).to_numpy()]
        enough = known["n"].sum() >= MIN_SLIP_DEALS
        slips = np.repeat(known["slip"].to_numpy(dtype=float), known["n"].to_numpy())
        out[pd.Timestamp(origin)] = np.sort(slips) if enough else None
    return out


def timing_probability(
    slips: np.ndarray, close_step: pd.Series, origin: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp
) -> np.ndarray:
    """P(expected close + slip falls in (start, end]) for deals whose expected close lies
    ``close_step`` steps of :data:`CLOSE_STEP_DAYS` after ``origin`` (middle of the step).
    """
    expected = (close_step.to_numpy(dtype=float) + 0.5) * CLOSE_STEP_DAYS
    upper = (end - origin).days - expected
    lower = (start - origin).days - expected
    n = len(slips)
    return (np.searchsorted(slips, upper, side="right") - np.searchsorted(slips, lower, side="right")) / n


def learning_set(snaps: pd.DataFrame, origin: pd.Timestamp, months: int, skip: int = 0) -> pd.DataFrame:
    """Snapshots whose window had ended by ``origin`` (the most recent :data:`LEARN_ORIGINS`)."""
    origins = [o for o in sorted(snaps["origin"].unique()) if window_end(o, skip + months) <= origin]
    return snaps[snaps["origin"].isin(origins[-LEARN_ORIGINS:])]


def expected_from_pipeline(
    snaps: pd.DataFrame,
    origin: pd.Timestamp,
    months: int,
    skip: int = 0,
    slips: np.ndarray | None = None,
    cells: pd.DataFrame | None = None,
) -> pd.Series:
    """Expected value won in the window after ``origin``, per rep, from the pipeline at ``origin``.

    With a slip distribution, deals that carry an expected close are timed by it instead:
    ``p_win(stage, age) × P(expected + slip in the window)``, ``p_win`` learned from the value
    won at any time (deals are dated only at origins on or after the data's last event, where
    "won at any time" is "won by the origin"). ``cells``: :func:`learning_cells` of ``snaps``
    when already computed.
    """
    learn = learning_set(learning_cells(snaps) if cells is None else cells, origin, months, skip)
    table = win_probabilities(learn)
    overall = float(learn["won_value"].sum() / learn["value"].sum()) if learn["value"].sum() > 0 else 0.0
    now = snaps[snaps["origin"] == origin]
    if now.empty:
        return pd.Series(dtype=float)
    q = _lookup(table, now["stage"], now["age_band"], overall)
    dated = now["close_step"].notna().to_numpy()
    if slips is not None and dated.any():
        ever = win_probabilities(learn, column="won_ever_value")
        ever_overall = float(learn["won_ever_value"].sum() / learn["value"].sum()) if learn["value"].sum() > 0 else 0.0
        p_win = _lookup(ever, now["stage"], now["age_band"], ever_overall)
        timing = timing_probability(
            slips, now["close_step"][dated], origin, window_end(origin, skip), window_end(origin, skip + months)
        )
        q = q.copy()
        q[dated] = p_win[dated] * timing
    expected: pd.Series = (now["value"] * q).groupby(now["rep_id"]).sum()
    return expected


def not_in_pipeline_share(
    snaps: pd.DataFrame,
    revenue: pd.DataFrame,
    origin: pd.Timestamp,
    months: int,
    skip: int = 0,
    origins: Sequence[pd.Timestamp] | None = None,
) -> float:
    """ρ: share of window revenue that did not come from the opening pipeline, over the learning
    origins (``origins``: every snapshot origin, also those without an open deal; 0 when unknown).
    """
    every = sorted(pd.to_datetime(origins)) if origins is not None else sorted(snaps["origin"].unique())
    learn = [o for o in every if window_end(o, skip + months) <= origin][-LEARN_ORIGINS:]
    total, from_pipeline = 0.0, 0.0
    for o in learn:
        start, end = window_end(o, skip), window_end(o, skip + months)
        cols = [c for c in _month_columns(revenue) if start < c <= end]
        total += float(revenue[cols].to_numpy().sum())
        from_pipeline += float(snaps.loc[snaps["origin"] == o, "won_value"].sum())
    return float(np.clip(1 - from_pipeline / total, 0, 1)) if total > 0 else 0.0


def _month_columns(revenue: pd.DataFrame) -> pd.DatetimeIndex:
    """The columns of a reps × months revenue frame: the months, as timestamps."""
    return cast("pd.DatetimeIndex", revenue.columns)


def run_rate(
    revenue: pd.DataFrame, origin: pd.Timestamp, months: int, season: np.ndarray | None, skip: int = 0
) -> pd.Series:
    """Per rep: mean monthly revenue of the last :data:`RUN_RATE_MONTHS` months to ``origin`` ×
    ``months`` × the seasonal ratio (``season`` = index per calendar month 1..12, or None).
    """
    cols = [c for c in _month_columns(revenue) if c <= origin][-RUN_RATE_MONTHS:]
    if not cols:
        return pd.Series(0.0, index=revenue.index)
    base = revenue[cols].mean(axis=1) * months
    if season is None:
        return base
    recent = np.mean([season[c.month - 1] for c in cols])
    ahead = [(pd.Timestamp(origin) + pd.DateOffset(months=i)).month for i in range(skip + 1, skip + months + 1)]
    return base * (float(np.mean([season[m - 1] for m in ahead])) / recent if recent > 0 else 1.0)


def learning_cells(snaps: pd.DataFrame) -> pd.DataFrame:
    """Snapshots summed over reps (origin × stage × age band): all the probabilities need."""
    columns = ["deals", "value", "won_value", "won_ever_value"]
    return snaps.groupby(["origin", "stage", "age_band"], as_index=False)[columns].sum()


def pipeline_forecast(
    snaps: pd.DataFrame,
    revenue: pd.DataFrame,
    origin: pd.Timestamp,
    months: int,
    season: np.ndarray | None,
    active: pd.Series,
    *,
    skip: int = 0,
    slips: np.ndarray | None = None,
    origins: Sequence[pd.Timestamp] | None = None,
    cells: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per rep: ``pipeline`` (expected from open deals), ``run_rate`` (not yet in the pipeline)
    and their sum ``forecast`` for the ``months`` after ``origin``; reps not employed at the
    origin get no run-rate.
    """
    cells = learning_cells(snaps) if cells is None else cells
    pipe = expected_from_pipeline(snaps, origin, months, skip, slips, cells)
    share = not_in_pipeline_share(cells, revenue, origin, months, skip, origins)
    rate = run_rate(revenue, origin, months, season, skip) * share
    rate = rate.where(active.reindex(rate.index, fill_value=False), 0.0)
    frame = pd.DataFrame({"pipeline": pipe, "run_rate": rate}).fillna(0.0)
    frame["forecast"] = frame["pipeline"] + frame["run_rate"]
    return frame
