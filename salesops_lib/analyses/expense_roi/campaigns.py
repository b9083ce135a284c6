"""Campaign and event ROI: what each campaign brought back for its cost, and which ones did not.

Per campaign that started in the window (``campaign_months`` up to ``as_of``), with the deals
credited to it by the attribution rule (see :mod:`.attribution`):

* leads it sourced (``leads.campaign_id``), credited opportunities, pipeline (their amount),
  won deals and won revenue (closed by ``as_of``), gross profit of the won deals' orders
  (amount − cost; NaN when the source has no order costs);
* cost per lead / opportunity / won deal, pipeline ÷ cost, ROI = (won revenue − cost) ÷ cost,
  gross-profit ROI = (gross profit − cost) ÷ cost;
* new customers: accounts whose first booking came no earlier than the credited won deal's
  close (an account is new for one campaign only: its earliest such deal); CAC = cost ÷ new
  customers; payback = cost ÷ the new customers' monthly gross profit since acquisition
  (months to earn the cost back at the pace so far).

A campaign of zero cost has no ratio (NaN, status ``no_cost``) and is never flagged; ratios with
a zero denominator are NaN. A campaign is **low-ROI** when it is mature (ended at least
``maturity_days`` before ``as_of``), cost at least ``min_cost`` (enough money to matter),
and brought pipeline ÷ cost of at most ``fraction`` × its type's median (peers: mature campaigns
of the type with a cost; all types pooled when a type has fewer than three). It is ``high`` when
its log pipeline ÷ cost is also ≥ 3 robust standard deviations below the peers' median (MAD,
or the mean absolute deviation when most peers are alike), else ``medium`` (see :mod:`.findings`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import statsmodels.api as sm

from salesops_lib.analyses.expense_roi.attribution import credited_deals
from salesops_lib.analyses.expense_roi.money import safe_ratio, to_cents
from salesops_lib.data import Dataset
from salesops_lib.metrics.engine import indicator
from salesops_lib.metrics.facts import revenue_events

MIN_PEERS = 3
MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533
DAYS_PER_MONTH = 365.25 / 12
MIN_ELASTICITY_CAMPAIGNS = 8
MIN_LOG_COST_SD = 0.10
MAX_ELASTICITY_CI_WIDTH = 1.0

CAMPAIGN_COLUMNS = [
    "campaign_id",
    "name",
    "type",
    "region",
    "start_date",
    "end_date",
    "cost",
    "booked",
    "leads",
    "opportunities",
    "pipeline",
    "won_deals",
    "won_revenue",
    "gross_profit",
    "new_customers",
    "monthly_gp_new",
    "cost_per_lead",
    "cost_per_opportunity",
    "cost_per_won",
    "cac",
    "payback_months",
    "pipeline_to_cost",
    "roi",
    "gp_roi",
    "mature",
    "status",
    "peer_median_ratio",
    "peer_median_cost",
    "robust_z",
    "low_roi",
]


@dataclass(frozen=True)
class LowRoiRule:
    """When a campaign is low-ROI (see the module docstring)."""

    fraction: float = 0.25
    min_cost: float = 20_000.0
    maturity_days: int = 30


@dataclass(frozen=True)
class CampaignRoi:
    """Campaign returns in the window, by campaign and by type."""

    attribution: str
    window_start: dt.date
    as_of: dt.date
    #: one row per campaign (see CAMPAIGN_COLUMNS), most cost first
    campaigns: pd.DataFrame
    #: one row per campaign type: totals, medians, elasticity and marginal return
    types: pd.DataFrame
    #: codes of caveats: "no_leads", "no_opportunities", "no_order_costs"
    notes: tuple[str, ...] = ()

    @property
    def judged(self) -> pd.DataFrame:
        """The mature campaigns with a cost (those the ROI figures and flags are about)."""
        return self.campaigns[self.campaigns["status"] == "ok"]

    def totals(self) -> dict[str, float]:
        """Cost, pipeline and won revenue of the judged campaigns, their ROI and pipeline per cost."""
        judged = self.judged
        cost, pipeline, won = (float(judged[c].sum()) for c in ("cost", "pipeline", "won_revenue"))
        return {
            "campaigns": float(len(judged)),
            "cost": cost,
            "pipeline": pipeline,
            "won_revenue": won,
            "roi": float(safe_ratio(won - cost, cost)),
            "pipeline_to_cost": float(safe_ratio(pipeline, cost)),
        }

    @property
    def low_roi(self) -> pd.DataFrame:
        """The campaigns flagged low-ROI, most excess cost first."""
        flagged = self.campaigns[self.campaigns["low_roi"]]
        return flagged.sort_values("cost", ascending=False)


def campaign_roi(
    data: Dataset,
    as_of: dt.date,
    window_start: dt.date,
    *,
    attribution: str = "first_touch",
    region: str = "",
    rule: LowRoiRule | None = None,
) -> CampaignRoi:
    """Returns of the campaigns that started from ``window_start`` to ``as_of``.

    ``region`` limits the campaigns judged (peers stay company-wide, so a region is compared
    with the company's typical campaign of the same type).

    Examples
    --------
    >>> roi = campaign_roi(connect("demo"), dt.date(2025, 6, 30), dt.date(2024, 7, 1))  # doctest: +SKIP
    >>> roi.low_roi[["campaign_id", "cost", "pipeline", "pipeline_to_cost"]]  # doctest: +SKIP
    """
    rule = rule or LowRoiRule()
    c = data.table("campaigns")
    window = c.filter((c.start_date >= window_start) & (c.start_date <= as_of))
    frame = window.select("campaign_id", "name", "type", "region", "start_date", "end_date", "cost").execute()
    frame["type"] = frame["type"].fillna("—")
    ids = window.campaign_id
    notes: list[str] = []
    frame = frame.merge(_booked(data, ids), on="campaign_id", how="left")
    if data.has("leads"):
        frame = frame.merge(_leads(data, ids, as_of), on="campaign_id", how="left")
    else:
        notes.append("no_leads")
    if data.has("leads", "opportunities"):
        outcome, has_costs = _outcomes(data, ids, as_of, attribution)
        frame = frame.merge(outcome, on="campaign_id", how="left")
        if not has_costs:
            notes.append("no_order_costs")
    else:
        notes.append("no_opportunities")
    frame = _derive(frame, as_of, rule)
    frame, types = _judge(frame, rule, region)
    frame = frame.sort_values(["cost", "campaign_id"], ascending=[False, True]).reset_index(drop=True)
    return CampaignRoi(
        attribution=attribution,
        window_start=window_start,
        as_of=as_of,
        campaigns=frame,
        types=types,
        notes=tuple(notes),
    )


def _booked(data: Dataset, ids: ir.Column) -> pd.DataFrame:
    if not data.has("expenses"):
        return pd.DataFrame({"campaign_id": pd.Series(dtype=str), "booked": pd.Series(dtype=float)})
    e = data.table("expenses")
    e = e.filter(e.campaign_id.isin(ids))
    booked: pd.DataFrame = e.group_by("campaign_id").agg(booked=e.amount.sum()).execute()
    return booked


def _leads(data: Dataset, ids: ir.Column, as_of: dt.date) -> pd.DataFrame:
    leads = data.table("leads")
    leads = leads.filter(leads.campaign_id.isin(ids) & (leads.created_at <= as_of))
    counts: pd.DataFrame = leads.group_by("campaign_id").agg(leads=leads.count()).execute()
    return counts


def _outcomes(data: Dataset, ids: ir.Column, as_of: dt.date, attribution: str) -> tuple[pd.DataFrame, bool]:
    """Pipeline, wins, gross profit and new customers per campaign (aggregated in the engine; the
    credited deals are cached there as a temporary table, as three queries read them).
    """
    deals = credited_deals(data, attribution, ids, as_of).cache()
    won = (deals.status == "won") & deals.closed_at.notnull() & (deals.closed_at <= as_of)
    per = (
        deals.group_by("campaign_id")
        .agg(
            opportunities=deals.count(),
            pipeline=deals.amount.sum().fill_null(0.0),
            won_deals=cast("ir.NumericColumn", indicator(won)).sum(),  # indicator of a column is a column
            won_revenue=deals.amount.sum(where=won).fill_null(0.0),
        )
        .execute()
    )
    wins = deals.filter(won)
    has_costs = False
    if data.has("orders"):
        orders = data.table("orders")
        orders = orders.filter(orders.opp_id.notnull() & (orders.ordered_at <= as_of))
        credit = wins.select(__opp=wins.opp_id, campaign_id=wins.campaign_id)
        booked = orders.join(credit, orders.opp_id == credit["__opp"])
        gp = (
            booked.group_by("campaign_id")
            .agg(gross_profit=(booked.amount - booked.cost).sum(), costed=booked.cost.count())
            .execute()
        )
        has_costs = bool(gp["costed"].sum() > 0)
        gp["gross_profit"] = gp["gross_profit"].where(gp["costed"] > 0)
        per = per.merge(gp[["campaign_id", "gross_profit"]], on="campaign_id", how="left")
    per = per.merge(_new_customers(data, wins, as_of), on="campaign_id", how="left")
    return per, has_costs


def _new_customers(data: Dataset, wins: ir.Table, as_of: dt.date) -> pd.DataFrame:
    """New customers per campaign and their monthly gross profit since acquisition (one row per
    campaign: each customer's gross profit ÷ months since acquisition is summed in the engine).
    """
    events = revenue_events(data)
    events = events.filter(events.customer_id.isin(wins.customer_id) & (events.at <= as_of))
    first = events.group_by(__customer=events.customer_id).agg(first_at=events.at.min())
    candidates = wins.filter(wins.customer_id.notnull()).join(first, wins.customer_id == first["__customer"])
    candidates = candidates.filter(candidates.first_at >= candidates.closed_at)
    order = ibis.row_number().over(group_by=candidates.customer_id, order_by=[candidates.closed_at, candidates.opp_id])
    ranked = candidates.mutate(__n=order)
    new = ranked.filter(ranked["__n"] == 0).select(
        __cust=ranked.customer_id, campaign_id=ranked.campaign_id, acquired_at=ranked.closed_at
    )
    after = events.join(new, [events.customer_id == new["__cust"], events.at >= new.acquired_at])
    per = after.group_by(["__cust", "campaign_id", "acquired_at"]).agg(
        gp=(after.amount - after.cost).sum(), costed=after.cost.count()
    )
    # months since acquisition (at least one); a customer with no order cost has no gross profit
    days = cast("ir.DateScalar", ibis.literal(as_of)).delta(per.acquired_at.cast("date"), unit="day") + 1
    months = ibis.greatest(cast("ir.FloatingValue", days.cast("float64")) / DAYS_PER_MONTH, 1.0)
    monthly = cast("ir.FloatingColumn", ibis.ifelse(per.costed > 0, per.gp / months, ibis.null("float64")))
    # monthly_gp_new is NULL when none of the campaign's new customers has order costs
    out: pd.DataFrame = (
        per.group_by("campaign_id").agg(new_customers=per.count(), monthly_gp_new=monthly.sum()).execute()
    )
    return out.astype({"new_customers": "int64", "monthly_gp_new": "float64"})


def _derive(frame: pd.DataFrame, as_of: dt.date, rule: LowRoiRule) -> pd.DataFrame:
    out = frame.copy()
    for column in ("leads", "opportunities", "won_deals", "new_customers"):
        out[column] = out[column].fillna(0).astype("int64") if column in out else 0
    for column in ("pipeline", "won_revenue", "booked"):
        out[column] = to_cents(out[column].fillna(0.0)) if column in out else 0.0
    for column in ("gross_profit", "monthly_gp_new"):
        out[column] = to_cents(out[column]) if column in out else np.nan
    out["cost"] = to_cents(out["cost"].fillna(0.0))
    cost = out["cost"]
    out["cost_per_lead"] = to_cents(safe_ratio(cost, out["leads"]))
    out["cost_per_opportunity"] = to_cents(safe_ratio(cost, out["opportunities"]))
    out["cost_per_won"] = to_cents(safe_ratio(cost, out["won_deals"]))
    out["cac"] = to_cents(safe_ratio(cost, out["new_customers"]))
    out["payback_months"] = safe_ratio(cost, out["monthly_gp_new"].where(out["monthly_gp_new"] > 0))
    out["pipeline_to_cost"] = safe_ratio(out["pipeline"], cost)
    out["roi"] = safe_ratio(out["won_revenue"] - cost, cost)
    out["gp_roi"] = safe_ratio(out["gross_profit"] - cost, cost)
    ended = pd.to_datetime(out["end_date"].fillna(out["start_date"]))
    out["mature"] = ended + pd.Timedelta(days=rule.maturity_days) <= pd.Timestamp(as_of)
    out["status"] = np.select([cost == 0, ~out["mature"]], ["no_cost", "maturing"], default="ok")
    return out


def _judge(frame: pd.DataFrame, rule: LowRoiRule, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Peer medians per type, the low-ROI flag and robust z of every campaign; the type table."""
    out = frame.copy()
    judged = out["mature"] & (out["cost"] > 0)
    counts = out.loc[judged, "type"].value_counts()
    key = out["type"].where(out["type"].map(counts).fillna(0) >= MIN_PEERS, "*")
    stats = {k: _peer_stats(out[judged & ((out["type"] == k) if k != "*" else True)]) for k in key.unique()}
    group_of = key
    out["peer_median_ratio"] = group_of.map(lambda g: stats[g]["median_ratio"])
    out["peer_median_cost"] = group_of.map(lambda g: stats[g]["median_cost"])
    log_ratio = np.log(out["pipeline_to_cost"].where(out["pipeline_to_cost"] > 0))
    centre = group_of.map(lambda g: stats[g]["median_log"])
    spread = group_of.map(lambda g: stats[g]["spread"])
    z = (log_ratio - centre) / spread.where(spread > 0)
    out["robust_z"] = z.where(out["pipeline_to_cost"] > 0, -np.inf).where(judged)
    enough_peers = group_of.map(lambda g: stats[g]["n"] >= MIN_PEERS)
    low = (
        judged
        & enough_peers
        & (out["cost"] >= rule.min_cost)
        & (out["pipeline_to_cost"] <= rule.fraction * out["peer_median_ratio"])
    )
    if region:
        low &= out["region"] == region
    out["low_roi"] = low.fillna(False).astype(bool)
    return out[CAMPAIGN_COLUMNS], _types(out)


def _peer_stats(members: pd.DataFrame) -> dict[str, float]:
    ratio = members["pipeline_to_cost"]
    logs = np.log(ratio[ratio > 0])
    deviation = np.abs(logs - np.median(logs)) if len(logs) else np.array([np.nan])
    mad = float(np.median(deviation)) * MAD_SCALE
    # most peers alike (MAD 0): the mean absolute deviation, scaled to a normal sd, instead
    spread = mad if mad > 0 else float(np.mean(deviation)) * MEAN_AD_SCALE
    return {
        "n": len(members),
        "median_ratio": float(ratio.median()) if len(ratio) else np.nan,
        "median_cost": float(members["cost"].median()) if len(members) else np.nan,
        "median_log": float(np.median(logs)) if len(logs) else np.nan,
        "spread": spread,
    }


def _types(frame: pd.DataFrame) -> pd.DataFrame:
    """Per type: totals, median pipeline ÷ cost, typical and marginal return.

    The typical return is Σ pipeline ÷ Σ cost of the type's mature, costed campaigns not flagged
    low-ROI. The marginal return of one more unit of money is elasticity × typical return, with
    one elasticity for all types: the slope of log pipeline on log cost with type effects, when
    the data identify it (≥ 8 campaigns, costs that vary within types, a 95 % interval narrower
    than 1); otherwise constant returns (elasticity 1) are assumed and ``elasticity_identified``
    is False. One common elasticity keeps the types comparable: the ranking is that of the
    typical returns.
    """
    typical = frame[frame["mature"] & (frame["cost"] > 0) & ~frame["low_roi"]]
    slope, low, high, identified = _elasticity(typical)
    rows = []
    for kind, group in frame.groupby("type", sort=True):
        mine = typical[typical["type"] == kind]
        ret = safe_ratio(mine["pipeline"].sum(), mine["cost"].sum())
        cost = group["cost"].sum()
        rows.append(
            {
                "type": kind,
                "campaigns": len(group),
                "judged": int((group["mature"] & (group["cost"] > 0)).sum()),
                "low_roi": int(group["low_roi"].sum()),
                "cost": to_cents(cost),
                "leads": int(group["leads"].sum()),
                "pipeline": to_cents(group["pipeline"].sum()),
                "won_revenue": to_cents(group["won_revenue"].sum()),
                "new_customers": int(group["new_customers"].sum()),
                "cost_per_lead": to_cents(safe_ratio(cost, group["leads"].sum())),
                "cac": to_cents(safe_ratio(cost, group["new_customers"].sum())),
                "roi": safe_ratio(group["won_revenue"].sum() - cost, cost),
                "median_ratio": float(group.loc[group["mature"] & (group["cost"] > 0), "pipeline_to_cost"].median()),
                "typical_return": ret,
                "elasticity": slope,
                "elasticity_low": low,
                "elasticity_high": high,
                "elasticity_identified": identified,
                "marginal_return": ret * (slope if identified and slope > 0 else 1.0),
            }
        )
    return pd.DataFrame(rows)


def _elasticity(typical: pd.DataFrame) -> tuple[float, float, float, bool]:
    usable = typical[(typical["pipeline"] > 0) & (typical["cost"] > 0)]
    if len(usable) < MIN_ELASTICITY_CAMPAIGNS:
        return np.nan, np.nan, np.nan, False
    log_cost = np.log(usable["cost"].to_numpy(dtype=float))
    within = log_cost - usable.assign(x=log_cost).groupby("type")["x"].transform("mean").to_numpy()
    if within.std() < MIN_LOG_COST_SD:
        return np.nan, np.nan, np.nan, False
    effects = pd.get_dummies(usable["type"], drop_first=True, dtype=float).to_numpy()
    design = np.column_stack([np.ones(len(usable)), effects, log_cost])
    fit = sm.OLS(np.log(usable["pipeline"].to_numpy(dtype=float)), design).fit(cov_type="HC3")
    low, high = fit.conf_int()[-1]
    return float(fit.params[-1]), float(low), float(high), bool(high - low <= MAX_ELASTICITY_CI_WIDTH)
