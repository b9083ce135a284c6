"""The forecast's computation: the target period's revenue from history (time series) and from
the open pipeline, blended by backtested weights; projected attainment per unit with calibrated
intervals and the probability of reaching target; early warnings (thin pipeline, slipping deals,
key accounts). Pure: no I/O beyond reading ``data``, no plotting, no words.

Units are the reps, teams and regions of the reps table (the company is the root; with
``scope.region`` that region is). Revenue is the ``revenue`` metric's fact (orders, or won
deals for a CRM without orders).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.churn import key_account_risk
from salesops_lib.analyses.forecast import attainment as att
from salesops_lib.analyses.forecast import findings as statements
from salesops_lib.analyses.forecast import history as hist
from salesops_lib.analyses.forecast import pipeline as pl
from salesops_lib.analyses.forecast import risks
from salesops_lib.analyses.forecast.accuracy import accuracy_table
from salesops_lib.analyses.forecast.conformal import (
    LEVELS,
    ErrorSample,
    band_limits,
    error_sample,
    left_out_inside,
    step_scale,
)
from salesops_lib.analyses.forecast.org import OrgForecasts, forecast_org, season_at, window_totals
from salesops_lib.analyses.forecast.params import ForecastParams
from salesops_lib.analyses.forecast.result import ForecastResult
from salesops_lib.analyses.forecast.series import mase_scale
from salesops_lib.analyses.forecast.strength import root_strength
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import month_start, months_between
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError, DataValidationError

HISTORY_SHOWN = 24


@dataclass(frozen=True)
class Uncertainty:
    """Per (level, unit), from the blend's backtest: log bias and the sample of errors around it
    that sizes the bands and P(hit).
    """

    biases: pd.Series
    samples: dict[tuple[str, str], ErrorSample]


def target_quarter(choice: str, as_of: dt.date) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """Label, first and last month of the target quarter for ``choice`` (see :class:`ForecastParams`).

    Examples
    --------
    >>> target_quarter("current", dt.date(2025, 6, 30))[0], target_quarter("current", dt.date(2025, 5, 31))[0]
    ('2025Q3', '2025Q2')
    """
    month = month_start(as_of)
    if choice in ("current", "next"):
        quarter = month.to_period("Q")
        if month.month % 3 == 0:
            quarter += 1
        if choice == "next":
            quarter += 1
    else:
        quarter = pd.Period(choice, freq="Q")
    first, last = quarter.start_time.normalize(), (quarter.end_time.to_period("M").start_time)
    if last <= month:
        raise ConfigError(
            f"target_period {quarter} is not after the reporting month {month:%Y-%m}",
            fix="use current, next or a later quarter",
        )
    return str(quarter), first, last


def compute(data: Dataset, scope: RunScope, params: ForecastParams) -> ForecastResult:
    """Forecast the target period of ``params`` as of the end of the reporting month ``scope.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), ForecastParams())  # doctest: +SKIP
    >>> result.headline["attainment"], result.headline["p_hit"]  # doctest: +SKIP
    """
    as_of = scope.as_of
    label, first, last = target_quarter(params.target_period, as_of)
    month = month_start(as_of)
    skip = max(0, months_between(month, first) - 1)
    ahead = months_between(month, last) - skip
    revenue = hist.monthly_revenue(data, as_of)
    tree = hist.org_tree(data, list(revenue.index), as_of, region=scope.region)
    if revenue.empty or tree.empty or float(revenue.to_numpy().sum()) == 0:
        raise DataValidationError(
            "no revenue to forecast from" + (f" in region {scope.region!r}" if scope.region else ""),
            where="orders / opportunities",
            fix="check the source and the reporting month (the history must end by it)",
        )
    revenue = revenue.reindex(tree["rep_id"], fill_value=0.0)
    root_level, root = ("region", scope.region) if scope.region else ("company", "company")
    horizon = max(params.horizon, skip + ahead)
    org = forecast_org(tree, revenue, horizon, origins=params.backtest_origins, root_level=root_level, root=root)
    windows = window_totals(org, ahead, skip=skip)
    index = org.hierarchy.index()
    targets = hist.monthly_targets(data, tree, org.months[0].date(), last.date())

    open_now = pd.Series(np.nan, index=index)
    usual = pd.Series(dtype=float)
    means = pl.won_means(data, as_of) if data.has("opportunities") else None
    if means is not None:
        windows, open_by_origin = _with_pipeline(data, org, tree, revenue, windows, ahead, skip, as_of)
        open_now = open_by_origin[open_by_origin["origin"] == windows["origin"].max()].set_index(["level", "unit"])[
            "open_pipeline"
        ]
        usual = risks.usual_coverage(open_by_origin, _window_targets(targets, windows, ahead, skip))
    else:
        windows["pipeline"] = np.nan
    windows, weight, uncertainty, calibration = _blend(windows, root_level)
    complete = windows[windows["actual"].notna()]
    hits = att.hit_backtest(complete, _window_targets(targets, windows, ahead, skip), ahead)
    units, booked, target = _project_units(org, tree, windows, targets, uncertainty, first, last, month)

    scales = pd.Series([mase_scale(org.history[i], 12) * ahead for i in range(len(index))], index=index)
    accuracy = accuracy_table(complete, scales)
    monthly, monthly_calibration = _monthly(org, targets, horizon)
    calibration = pd.concat([monthly_calibration, calibration], ignore_index=True)

    coverage = risks.coverage_table(
        open_now.reindex(index),
        (target - booked).reindex(index),
        usual.reindex(index),
        params.pipeline_coverage_threshold,
    )
    coverage = coverage[coverage["level"] != "rep"].reset_index(drop=True)
    slipping = (
        risks.slipping_deals(data, as_of, means=means)
        if data.has("opportunities")
        else risks.SlippingDeals(pd.DataFrame(columns=risks.SLIP_COLUMNS), 0, 0.0)
    )
    accounts = key_account_risk(data, as_of, top_n=params.key_accounts)
    if scope.region and not accounts.empty:
        accounts = accounts[accounts["owner"].isin(tree["rep_id"])].reset_index(drop=True)

    head = cast("dict[str, Any]", units[(units["level"] == root_level) & (units["unit"] == root)].iloc[0].to_dict())
    head["blend_weight"] = weight
    strength = root_strength(
        pd.Series(org.history[0], index=org.months), complete, accuracy, root_level, root, first, last
    )
    head.update(weak=strength.weak, weak_reasons=list(strength.reasons), naive_forecast=strength.naive_forecast)
    model = {
        "methods": org.methods[org.methods.index.get_level_values(0).isin(["company", "region"])].to_dict(),
        "seasonality": org.seasonality,
        "reconciliation": org.reconciliation,
        "blend_weight": weight,
        "backtest_origins": int(complete["origin"].nunique()),
        "window_months": ahead,
        "skip_months": skip,
        "pipeline": data.has("opportunities"),
    }
    annual = float(org.history[0, -12:].sum())
    findings = statements.build(
        period=scope.period,
        label=label,
        root_level=root_level,
        root=root,
        units=units,
        accuracy=accuracy,
        coverage=coverage,
        slipping=slipping.rows,
        slipping_total=slipping.total,
        slipping_value=slipping.value,
        accounts=accounts,
        annual_revenue=annual,
        owner_revenue=cast("dict[str, float]", revenue.iloc[:, -12:].sum(axis=1).to_dict()),  # rep id → revenue
        risk_probability=params.risk_probability,
        strength=strength,
    )
    return ForecastResult(
        period=scope.period,
        as_of=as_of,
        target_label=label,
        target_months=tuple(f"{m:%Y-%m}" for m in pd.date_range(first, last, freq="MS")),
        months_ahead=ahead,
        root_level=root_level,
        root=root,
        headline=head,
        monthly=monthly,
        units=units,
        model=model,
        scores=org.scores.reset_index(),
        accuracy=accuracy,
        calibration=calibration,
        backtest=windows.drop(columns=["error"]),
        hit_backtest=hits,
        coverage=coverage,
        slipping=slipping.rows,
        slipping_total=slipping.total,
        key_accounts=accounts,
        findings=tuple(findings),
        strength=strength,
    )


def _blend(windows: pd.DataFrame, root_level: str) -> tuple[pd.DataFrame, float, Uncertainty, pd.DataFrame]:
    """Blend the time-series and pipeline totals by the root's backtested weight; then each unit's
    bias and error sample, and the per-level check of the bands, from the blend's backtest errors.
    """
    weight = att.blend_weight(windows[(windows["level"] == root_level) & windows["actual"].notna()])
    windows = windows.assign(
        blend=np.where(
            windows["pipeline"].notna(), weight * windows["ts"] + (1 - weight) * windows["pipeline"], windows["ts"]
        )
    )
    windows["error"] = att.log_errors(windows, "blend")
    complete = windows[windows["actual"].notna()]
    biases = att.unit_biases(complete)
    uncertainty = Uncertainty(biases=biases, samples=att.unit_samples(complete))
    return windows, weight, uncertainty, att.band_check(complete, biases)


def _project_units(
    org: OrgForecasts,
    tree: pd.DataFrame,
    windows: pd.DataFrame,
    targets: pd.DataFrame,
    uncertainty: Uncertainty,
    first: pd.Timestamp,
    last: pd.Timestamp,
    month: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Every unit's period: booked to date + the blended remainder, bands, target, P(hit)."""
    index = org.hierarchy.index()
    in_period = np.asarray((org.months >= first) & (org.months <= month))
    booked = pd.Series(org.history[:, in_period].sum(axis=1), index=index)
    final = windows[windows["origin"] == windows["origin"].max()].set_index(["level", "unit"])
    target = hist.window_targets(targets, first, last).reindex(index)
    units = att.project(
        pd.DataFrame(
            {
                "booked": booked,
                "remaining": final["blend"],
                "target": target,
                "ts": final["ts"] + booked,
                "pipeline": final["pipeline"] + booked,
            }
        ).reset_index(),
        uncertainty.samples,
        uncertainty.biases,
    )
    names = dict(zip(tree["rep_id"], tree["name"], strict=True))
    units["name"] = [
        names.get(u, u) if lvl == "rep" else u for lvl, u in zip(units["level"], units["unit"], strict=True)
    ]
    units = units.merge(org.methods.rename("method").reset_index(), on=["level", "unit"], how="left")
    return units, booked, target


def _with_pipeline(
    data: Dataset,
    org: OrgForecasts,
    tree: pd.DataFrame,
    revenue: pd.DataFrame,
    windows: pd.DataFrame,
    ahead: int,
    skip: int,
    as_of: dt.date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add each origin's pipeline forecast to ``windows``, from what was known at the origin
    (snapshots, slips and seasonal indices as of then); also the open pipeline per origin × node.
    """
    origins = sorted(pd.to_datetime(windows["origin"].unique()))
    # no snapshot before the first month with revenue: before any deal was won, the pipeline's
    # timing says nothing (Maven's deals engaged from Oct 2016 all close from March 2017 on)
    start = max(month_start(origins[0] - pd.DateOffset(months=skip + ahead + pl.LEARN_ORIGINS)), org.months[0])
    snap_origins = [pl.month_end(m) for m in pd.date_range(start, pd.Timestamp(as_of), freq="MS")]
    snaps = pl.snapshots(data, snap_origins, ahead, skip=skip)
    slips = pl.slip_distributions(data, origins)
    cells = pl.learning_cells(snaps)
    bottom = list(org.hierarchy.bottom["unit"])
    reps = tree.set_index("rep_id").loc[bottom].reset_index()
    index = org.hierarchy.index()
    parts, opens = [], []
    for origin in origins:
        active = pd.Series(hist.employed_at(reps, origin), index=bottom)
        per_rep = pl.pipeline_forecast(
            snaps,
            revenue,
            origin,
            ahead,
            season_at(org, origin),
            active,
            skip=skip,
            slips=slips[origin],
            origins=snap_origins,
            cells=cells,
        )
        values = per_rep["forecast"].reindex(bottom, fill_value=0.0).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "origin": origin,
                    "level": index.get_level_values(0),
                    "unit": index.get_level_values(1),
                    "pipeline": org.hierarchy.aggregate(values),
                }
            )
        )
        now = snaps[snaps["origin"] == origin].groupby("rep_id")["value"].sum().reindex(bottom, fill_value=0.0)
        opens.append(
            pd.DataFrame(
                {
                    "origin": origin,
                    "level": index.get_level_values(0),
                    "unit": index.get_level_values(1),
                    "open_pipeline": org.hierarchy.aggregate(now.to_numpy()),
                }
            )
        )
    pipeline = pd.concat(parts, ignore_index=True)
    windows = windows.merge(pipeline, on=["origin", "level", "unit"], how="left")
    return windows, pd.concat(opens, ignore_index=True)


def _window_targets(targets: pd.DataFrame, windows: pd.DataFrame, ahead: int, skip: int) -> pd.DataFrame:
    """Target of each origin's window per (level, unit)."""
    if targets.empty:
        return pd.DataFrame(columns=["origin", "level", "unit", "target"])
    parts = []
    for origin in sorted(pd.to_datetime(windows["origin"].unique())):
        first = month_start(origin) + pd.DateOffset(months=skip + 1)
        last = first + pd.DateOffset(months=ahead - 1)
        parts.append(hist.window_targets(targets, first, last).rename("target").reset_index().assign(origin=origin))
    return pd.concat(parts, ignore_index=True)


def _monthly(org: OrgForecasts, targets: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The root's monthly history and forecast with empirical bands from its own monthly backtest."""
    T = org.history.shape[1]
    y = org.history[0]
    errors = np.full((len(org.lengths) - 1, horizon), np.nan)
    for k, L in enumerate(org.lengths[:-1]):
        seen = y[L : min(L + horizon, T)]
        forecast = org.reconciled[k, 0, : len(seen)]
        with np.errstate(divide="ignore", invalid="ignore"):
            errors[k, : len(seen)] = np.where((seen > 0) & (forecast > 0), np.log(seen / forecast), np.nan)
    scale = step_scale(horizon)
    sample = error_sample(errors, scale)
    mean = org.reconciled[-1, 0]
    band = band_limits(mean, sample, scale, LEVELS)
    future = pd.date_range(org.months[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    shown = org.months[-HISTORY_SHOWN:]
    frame = pd.DataFrame(
        {
            "month": list(shown) + list(future),
            "actual": list(y[-len(shown) :]) + [np.nan] * horizon,
            "forecast": [np.nan] * len(shown) + list(mean),
        }
    )
    for level, (lo, hi) in band.items():
        tag = f"{round(level * 100)}"
        frame[f"lo{tag}"] = [np.nan] * len(shown) + list(lo)
        frame[f"hi{tag}"] = [np.nan] * len(shown) + list(hi)
    root = org.hierarchy.nodes.iloc[0]
    if not targets.empty:
        mine = targets[(targets["level"] == root["level"]) & (targets["unit"] == root["unit"])]
        frame = frame.merge(mine[["month", "target"]], on="month", how="left")
    else:
        frame["target"] = np.nan
    return frame, _monthly_check(errors, scale)


def _monthly_check(errors: np.ndarray, scale: np.ndarray) -> pd.DataFrame:
    """Share of the monthly backtest errors inside the bands built without their origin."""
    rows = []
    windows = int(np.isfinite(errors).any(axis=1).sum())
    widened = int(error_sample(errors, scale).widened)
    for band in LEVELS:
        inside = left_out_inside(errors, scale, band)
        rows.append(
            {
                "level": "month",
                "band": band,
                "coverage": float(inside.mean()) if len(inside) else np.nan,
                "windows": windows,
                "widened": widened,
                "errors": len(inside),
            }
        )
    return pd.DataFrame(rows, columns=att.CHECK_COLUMNS)
