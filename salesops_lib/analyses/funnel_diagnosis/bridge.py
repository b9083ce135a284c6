"""Won-revenue bridge between the baseline and the month, by funnel factor and unit.

Per unit, the month's won value is modelled by the funnel it ran that month:

    implied won value = leads × opportunities per lead × Π stage conversions × average won deal

(opportunities per lead = deals created ÷ leads created; stage conversions as in
:mod:`~salesops_lib.analyses.funnel_diagnosis.changes`; without a leads table the chain starts at the
deals created). The change of the implied value is split over the factors with the logarithmic
mean Divisia index (LMDI-I), which adds up exactly; what the actual won value moved beyond the
implied value is *timing* — deals created earlier closing now, a longer or shorter cycle. So:

    Δ won value = Σ units Σ factors contribution + Σ units timing      (exactly)

The baseline is the average month of the baseline months.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel_diagnosis.facts import StagePlan

VOLUME_LEADS = "volume:leads"
VOLUME_DEALS = "volume:deals"
LEAD_RATE = "rate:leads"
SIZE = "size"
TIMING = "timing"


def won_counts(deals: ir.Table, by: str, first: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Per month × ``by``: deals created (``created``), deals won (``won``) and won value (``value``)."""
    created = deals.filter(deals.created.notnull() & (deals.created >= first) & (deals.created <= as_of))
    created = created.mutate(month=created.created.truncate("M"))
    made: pd.DataFrame = created.group_by(["month", by]).agg(created=created.count()).execute()
    won = deals.filter(deals.won_at.notnull() & (deals.won_at >= first) & (deals.won_at <= as_of))
    won = won.mutate(month=won.won_at.truncate("M"))
    closed = won.group_by(["month", by]).agg(won=won.count(), value=won.amount.sum().fill_null(0)).execute()
    frame = made.merge(closed, on=["month", by], how="outer").fillna(0.0)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def cycle_medians(deals: ir.Table, by: str, months: list[pd.Timestamp]) -> pd.Series:
    """Median days from creation to win of the deals won in ``months``, per ``by`` and for the
    ``company`` (a row for each unit that won a dated deal then).
    """
    first = min(months).date()
    last = (max(months) + pd.offsets.MonthEnd(0)).date()
    won = deals.filter(deals.won_at.notnull() & deals.created.notnull() & deals.won_at.between(first, last))
    won = won.filter(won.won_at.truncate("M").isin([m.date() for m in months]))
    won = won.mutate(days=won.won_at.delta(won.created, unit="day").cast("float64"))
    units: pd.DataFrame = won.group_by(by).agg(days=won.days.median()).execute()
    company = won.aggregate(days=won.days.median()).execute()["days"]
    medians = units.set_index(by)["days"].astype("float64")
    return pd.concat([medians, pd.Series({"company": float(company.iloc[0])})]).dropna()


def _period(frame: pd.DataFrame, months: list[pd.Timestamp]) -> pd.DataFrame:
    return frame[frame["month"].isin(months)]


def factor_table(
    monthly: pd.DataFrame,
    won: pd.DataFrame,
    by: str,
    months: list[pd.Timestamp],
    plan: StagePlan,
    with_leads: bool,
    cycles: pd.Series | None = None,
) -> pd.DataFrame:
    """Per unit, the factor values of the average month over ``months`` (and the company row), with
    ``cycle_days`` from ``cycles`` (:func:`cycle_medians` of the same months; NaN without it).
    """
    scale = 1.0 / len(months)
    steps = _period(monthly, months)
    wins = _period(won, months)
    units = sorted(set(steps[by]) | set(wins[by]))
    counts = steps.groupby([by, "k"])[["n", "x"]].sum()
    totals = wins.groupby(by)[["created", "won", "value"]].sum()
    company_counts = steps.groupby("k")[["n", "x"]].sum()
    company_tot = wins[["created", "won", "value"]].sum()
    rows = []
    for unit in [*units, None]:
        tot = company_tot if unit is None else totals.reindex([unit]).fillna(0.0).iloc[0]
        row: dict[str, object] = {"unit": "company" if unit is None else unit}
        row[VOLUME_DEALS] = tot["created"] * scale
        if with_leads:
            leads = _lookup(company_counts if unit is None else counts, unit, -1)
            row[VOLUME_LEADS] = leads[0] * scale
            row[LEAD_RATE] = tot["created"] / leads[0] if leads[0] else np.nan
        for k, stage in enumerate(plan.open_stages):
            n, x = _lookup(company_counts if unit is None else counts, unit, k)
            row[f"rate:{stage}"] = x / n if n else np.nan
        row[SIZE] = tot["value"] / tot["won"] if tot["won"] else np.nan
        row["won_value"] = tot["value"] * scale
        key = "company" if unit is None else unit
        row["cycle_days"] = float(cycles[key]) if cycles is not None and key in cycles.index else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("unit")


def _lookup(counts: pd.DataFrame, unit: object, k: int) -> tuple[float, float]:
    key: Any = k if unit is None else (unit, k)  # a label of the counts' index (a unit's, known at run time)
    if key in counts.index:
        got = counts.loc[key]
        return float(got["n"]), float(got["x"])
    return 0.0, 0.0


def factors(plan: StagePlan, with_leads: bool) -> list[str]:
    """Factor columns in chain order."""
    head = [VOLUME_LEADS, LEAD_RATE] if with_leads else [VOLUME_DEALS]
    return [*head, *(f"rate:{s}" for s in plan.open_stages), SIZE]


def implied(table: pd.DataFrame, names: list[str]) -> pd.Series:
    """The implied won value: the product of the factors."""
    return table[names].prod(axis=1, min_count=len(names))


def lmdi(before: pd.DataFrame, after: pd.DataFrame, plan: StagePlan, with_leads: bool) -> pd.DataFrame:
    """Unit × factor contributions to the change of won value, plus ``timing``; rows add up to
    each unit's change of won value, and the ``company`` row is the sum of the units.

    A factor a unit lacks in one period (no deal decided at a stage, no deal won) takes the
    company's value of that period; a unit with nothing in one period puts its whole implied
    change on volume.
    """
    names = factors(plan, with_leads)
    units = sorted((set(before.index) | set(after.index)) - {"company"})
    b = before.reindex([*units, "company"])
    a = after.reindex([*units, "company"])
    for frame in (b, a):
        volume = names[0]
        frame[volume] = frame[volume].fillna(0.0)
        frame["won_value"] = frame["won_value"].fillna(0.0)
        for name in names[1:]:
            frame[name] = frame[name].fillna(cast("float", frame.loc["company", name]))  # a factor: numeric
    v0, v1 = implied(b, names).fillna(0.0), implied(a, names).fillna(0.0)
    rows = []
    for unit in units:
        row = dict.fromkeys(names, 0.0)
        if v0[unit] > 0 and v1[unit] > 0:
            weight = (v1[unit] - v0[unit]) / (np.log(v1[unit]) - np.log(v0[unit])) if v1[unit] != v0[unit] else v1[unit]
            for name in names:
                row[name] = weight * np.log(a.loc[unit, name] / b.loc[unit, name])
        else:
            row[names[0]] = v1[unit] - v0[unit]
        row[TIMING] = (a.loc[unit, "won_value"] - v1[unit]) - (b.loc[unit, "won_value"] - v0[unit])
        row["won_value_baseline"] = b.loc[unit, "won_value"]
        row["won_value_latest"] = a.loc[unit, "won_value"]
        rows.append({"unit": unit, **row})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    total = table.drop(columns="unit").sum().to_dict()
    table = pd.concat([table, pd.DataFrame([{"unit": "company", **total}])], ignore_index=True)
    table["change"] = table["won_value_latest"] - table["won_value_baseline"]
    return table


def bridge_steps(contributions: pd.DataFrame, plan: StagePlan, with_leads: bool) -> pd.DataFrame:
    """The company bridge: baseline won value, one bar per factor (summed over units) and timing,
    then the month's won value.
    """
    company = contributions.set_index("unit").loc["company"]
    names = [*factors(plan, with_leads), TIMING]
    rows = [{"item": "baseline", "value": company["won_value_baseline"]}]
    rows += [{"item": name, "value": company[name]} for name in names]
    rows.append({"item": "latest", "value": company["won_value_latest"]})
    return pd.DataFrame(rows)
