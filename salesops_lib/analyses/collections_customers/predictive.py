"""Predictive LTV: BG/NBD purchases × Gamma-Gamma value, checked on a hold-out window.

A purchase is a day with bookings (several orders on one day are one purchase). The engine
summarises each customer's history — first and last purchase day, purchases, value — and only
those per-customer rows reach the models of :mod:`.ltv_model` (time unit: weeks).

The check: fit on the history up to ``as_of − holdout_months``, predict every customer's
purchases (and value) in the hold-out window, and compare with what they actually did, by
decile of the prediction. The forecast: refit up to ``as_of`` and predict the next
``horizon_months``; predicted gross profit = predicted revenue × the customer's own gross margin
to date (the overall margin when it has no revenue). The headline is then corrected by the
hold-out's revenue bias (:mod:`.ltv_correction`), or suppressed when that bias is large and
cannot be measured reliably.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.collections_customers.customers import DIMENSIONS, UNKNOWN, bookings, with_attributes
from salesops_lib.analyses.collections_customers.ltv_correction import LtvCorrection, correct
from salesops_lib.analyses.collections_customers.ltv_model import BgNbd, GammaGamma, fit_bgnbd, fit_gamma_gamma
from salesops_lib.analyses.collections_customers.ltv_sample import customer_sample
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset

MIN_CUSTOMERS = 50
"""Fewer customers with a purchase history than this, and the models are not fitted."""
DECILES = 10


@dataclass(frozen=True)
class LtvPrediction:
    """The fitted models, their hold-out check and the forecast."""

    horizon_months: int
    #: hold-out check by decile of the prediction: ``decile`` (1 = lowest), ``customers``,
    #: ``predicted`` / ``actual`` purchases per customer, ``ratio`` (predicted ÷ actual), and the
    #: same for revenue (``predicted_revenue``, ``actual_revenue``, ``revenue_ratio``)
    calibration: pd.DataFrame
    #: ``cutoff``, ``end``, ``customers``, ``predicted``, ``actual``, ``ratio`` (purchases, total),
    #: ``predicted_revenue``, ``actual_revenue``, ``revenue_ratio``
    holdout: dict[str, float | str]
    purchase_model: BgNbd
    spend_model: GammaGamma
    #: predicted gross profit over the horizon per segment / industry / channel:
    #: ``customers``, ``predicted_gp``, ``per_customer``, ``share``
    by_dimension: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: customers with the highest predicted gross profit: ``customer_id``, ``name``, ``segment``,
    #: ``purchases``, ``p_alive``, ``predicted_purchases``, ``predicted_value``, ``predicted_gp``
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: predicted gross profit of all current customers over the horizon (the model's, uncorrected)
    total_gp: float = 0.0
    #: the headline corrected by the hold-out bias (raw, bias, calibrated or suppressed)
    correction: LtvCorrection | None = None
    #: customers the models were fitted on when they saw a sample (0: every customer; see
    #: :mod:`.ltv_sample`), of ``population`` customers with a purchase
    sample: int = 0
    population: int = 0


def purchase_histories(
    data: Dataset, cutoff: dt.date, *, region: str = "", attributes: bool = False, customers: ir.Table | None = None
) -> pd.DataFrame:
    """Per customer with a purchase by ``cutoff``: ``x`` (repeat purchases), ``t_x`` and ``T``
    (weeks from the first purchase to the last one and to the cutoff), ``monetary`` (mean value of
    the repeat purchases), ``revenue``, ``gross_profit`` — summarised in the engine. With
    ``customers`` (a table of ``__sid``), only those customers.
    """
    ev = _only(bookings(data, cutoff, region=region), customers)
    days = ev.group_by(["customer_id", "at"]).agg(value=ev.amount.sum(), profit=ev.profit.sum())
    days = days.mutate(__n=ibis.row_number().over(group_by=days.customer_id, order_by=days.at))
    per = days.group_by("customer_id").agg(
        first_at=days.at.min(),
        last_at=days.at.max(),
        purchases=days.count(),
        revenue=days.value.sum(),
        gross_profit=days.profit.sum(),
        first_value=days.value.sum(where=days["__n"] == 0),
    )
    if attributes:
        per = with_attributes(data, per)
    frame: pd.DataFrame = per.execute()
    first, last = pd.to_datetime(frame["first_at"]), pd.to_datetime(frame["last_at"])
    frame["x"] = frame["purchases"].astype(float) - 1
    frame["t_x"] = (last - first).dt.days / 7.0
    frame["T"] = (pd.Timestamp(cutoff) - first).dt.days / 7.0
    repeat_value = frame["revenue"] - frame["first_value"]
    frame["monetary"] = (repeat_value / frame["x"]).where(frame["x"] > 0)
    return frame.sort_values("customer_id").reset_index(drop=True)


def _only(events: ir.Table, customers: ir.Table | None) -> ir.Table:
    """``events`` of the ``customers`` (``__sid``) only; all of them when None."""
    if customers is None:
        return events
    return events.semi_join(customers, events.customer_id == customers["__sid"])


def window_purchases(
    data: Dataset, after: dt.date, until: dt.date, *, region: str = "", customers: ir.Table | None = None
) -> pd.DataFrame:
    """Per customer: purchase days and revenue in (``after``, ``until``] (of ``customers`` only, when given)."""
    ev = _only(bookings(data, until, region=region), customers)
    ev = ev.filter(ev.at > after)
    per = ev.group_by("customer_id").agg(actual=ev.at.nunique(), actual_revenue=ev.amount.sum())
    purchases: pd.DataFrame = per.execute()
    return purchases


def predict_ltv(
    data: Dataset, as_of: dt.date, *, holdout_months: int = 6, horizon_months: int = 12, region: str = "", top: int = 15
) -> LtvPrediction | None:
    """Fit, check on the hold-out window, and forecast; None when there are too few customers.

    Examples
    --------
    >>> prediction = predict_ltv(connect("demo"), dt.date(2026, 10, 31))  # doctest: +SKIP
    >>> prediction.calibration[["decile", "predicted", "actual", "ratio"]]  # doctest: +SKIP
    """
    cutoff = add_months(as_of, -holdout_months)
    sample = customer_sample(data, as_of, cutoff, region=region)
    calibration_set = purchase_histories(data, cutoff, region=region, customers=sample.ids)
    if len(calibration_set) < MIN_CUSTOMERS or (calibration_set["x"] > 0).sum() < 3:
        return None
    bg, gg = _fit(calibration_set)
    weeks = (as_of - cutoff).days / 7.0
    x, t_x, T = (calibration_set[c].to_numpy(float) for c in ("x", "t_x", "T"))
    predicted = bg.expected_purchases(weeks, x, t_x, T)
    value = _expected_value(gg, calibration_set)
    actual = window_purchases(data, cutoff, as_of, region=region, customers=sample.ids)
    check = calibration_set[["customer_id"]].assign(predicted=predicted, predicted_revenue=predicted * value)
    check = check.merge(actual, on="customer_id", how="left").fillna({"actual": 0, "actual_revenue": 0.0})
    calibration = calibration_table(check)
    scale = sample.population_cutoff / len(check) if sample.sampled else 1.0  # sample totals → population
    holdout: dict[str, float | str] = {
        "cutoff": cutoff.isoformat(),
        "end": as_of.isoformat(),
        "customers": float(len(check)) * scale,
        "predicted": float(check["predicted"].sum()) * scale,
        "actual": float(check["actual"].sum()) * scale,
        "predicted_revenue": float(check["predicted_revenue"].sum()) * scale,
        "actual_revenue": float(check["actual_revenue"].sum()) * scale,
    }
    # the sums were stored as floats just above
    holdout["ratio"] = _ratio(cast("float", holdout["predicted"]), cast("float", holdout["actual"]))
    holdout["revenue_ratio"] = _ratio(
        cast("float", holdout["predicted_revenue"]), cast("float", holdout["actual_revenue"])
    )

    current = purchase_histories(data, as_of, region=region, attributes=True, customers=sample.ids)
    bg, gg = _fit(current)
    horizon = ((pd.Timestamp(as_of) + pd.DateOffset(months=horizon_months)) - pd.Timestamp(as_of)).days / 7.0
    overall_margin = current["gross_profit"].sum() / current["revenue"].sum() if current["revenue"].sum() else 1.0
    current = _predicted(current, bg, gg, horizon, overall_margin)
    pool = current
    if sample.candidates is not None:  # the top list also ranks the largest customers outside the sample
        candidates = purchase_histories(data, as_of, region=region, attributes=True, customers=sample.candidates)
        candidates = _predicted(candidates, bg, gg, horizon, overall_margin)
        pool = pd.concat([current, candidates], ignore_index=True).drop_duplicates("customer_id")
    shown = pool.sort_values(["predicted_gp", "customer_id"], ascending=[False, True]).head(top)
    scale = sample.population / len(current) if sample.sampled else 1.0
    return LtvPrediction(
        horizon_months=horizon_months,
        calibration=calibration,
        holdout=holdout,
        purchase_model=bg,
        spend_model=gg,
        by_dimension={d: _by(current, d, scale) for d in DIMENSIONS},
        top=shown[
            [
                "customer_id",
                "name",
                "segment",
                "purchases",
                "p_alive",
                "predicted_purchases",
                "predicted_value",
                "predicted_gp",
            ]
        ].reset_index(drop=True),
        total_gp=float(current["predicted_gp"].sum()) * scale,
        correction=correct(float(current["predicted_gp"].sum()) * scale, check),
        sample=len(current) if sample.sampled else 0,
        population=sample.population,
    )


def _predicted(
    histories: pd.DataFrame, bg: BgNbd, gg: GammaGamma, horizon: float, overall_margin: float
) -> pd.DataFrame:
    """``histories`` with ``p_alive``, ``predicted_purchases``, ``predicted_value`` and ``predicted_gp``
    over ``horizon`` weeks (gross profit at the customer's own margin, else ``overall_margin``).
    """
    out = histories.copy()
    x, t_x, T = (out[c].to_numpy(float) for c in ("x", "t_x", "T"))
    out["p_alive"] = bg.p_alive(x, t_x, T)
    out["predicted_purchases"] = bg.expected_purchases(horizon, x, t_x, T)
    out["predicted_value"] = _expected_value(gg, out)
    margin = (out["gross_profit"] / out["revenue"]).where(out["revenue"] > 0, overall_margin)
    out["predicted_gp"] = out["predicted_purchases"] * out["predicted_value"] * margin.clip(0, 1)
    return out


def calibration_table(check: pd.DataFrame, deciles: int = DECILES) -> pd.DataFrame:
    """Predicted vs actual per decile of ``check["predicted"]`` (ties broken by order)."""
    rank = check["predicted"].rank(method="first")
    groups = pd.qcut(rank, min(deciles, len(check)), labels=False) + 1
    grouped = check.assign(decile=groups).groupby("decile")
    table = grouped.agg(
        customers=("predicted", "size"),
        predicted=("predicted", "mean"),
        actual=("actual", "mean"),
        predicted_revenue=("predicted_revenue", "mean"),
        actual_revenue=("actual_revenue", "mean"),
    )
    table["ratio"] = [_ratio(p, a) for p, a in zip(table["predicted"], table["actual"], strict=True)]
    table["revenue_ratio"] = [
        _ratio(p, a) for p, a in zip(table["predicted_revenue"], table["actual_revenue"], strict=True)
    ]
    return table.reset_index()[
        ["decile", "customers", "predicted", "actual", "ratio", "predicted_revenue", "actual_revenue", "revenue_ratio"]
    ]


def _fit(histories: pd.DataFrame) -> tuple[BgNbd, GammaGamma]:
    bg = fit_bgnbd(histories["x"].to_numpy(float), histories["t_x"].to_numpy(float), histories["T"].to_numpy(float))
    repeat = histories[(histories["x"] > 0) & (histories["monetary"] > 0)]
    gg = fit_gamma_gamma(repeat["x"].to_numpy(float), repeat["monetary"].to_numpy(float))
    return bg, gg


def _expected_value(gg: GammaGamma, histories: pd.DataFrame) -> np.ndarray:
    """Gamma-Gamma expected purchase value; customers without repeat purchases get the population mean,
    or — when the fitted q ≤ 1 leaves that undefined — their first purchase's value.
    """
    x = histories["x"].to_numpy(float)
    value = gg.expected_value(x, histories["monetary"].fillna(0.0).to_numpy(float))
    if not np.isfinite(gg.population_mean):
        value = np.where(x > 0, value, histories["first_value"].to_numpy(float))
    return value


def _by(current: pd.DataFrame, dimension: str, scale: float = 1.0) -> pd.DataFrame:
    """Predicted gross profit per value of ``dimension``; counts and sums × ``scale`` (a sample's
    population ÷ sample; 1 when every customer is there).
    """
    keys = current[dimension].fillna(UNKNOWN) if dimension in current else pd.Series(UNKNOWN, index=current.index)
    grouped = current.assign(**{dimension: keys}).groupby(dimension)
    out = grouped.agg(customers=("customer_id", "size"), predicted_gp=("predicted_gp", "sum"))
    if scale != 1.0:
        out = out.assign(
            customers=(out["customers"] * scale).round().astype("int64"), predicted_gp=out["predicted_gp"] * scale
        )
    out["per_customer"] = out["predicted_gp"] / out["customers"]
    total = out["predicted_gp"].sum()
    out["share"] = out["predicted_gp"] / total if total else np.nan
    return out.sort_values("predicted_gp", ascending=False).reset_index()


def _ratio(predicted: float, actual: float) -> float:
    return float(predicted / actual) if actual else float("nan")
