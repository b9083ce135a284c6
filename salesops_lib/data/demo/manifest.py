"""Build the truth manifest: every effect with its designed magnitude and its measurement on
the written tables (:mod:`salesops_lib.data.demo.measure`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np

from salesops_lib.data.demo import measure
from salesops_lib.data.demo.customers import KeyAccounts
from salesops_lib.data.demo.org import NO_EXIT, Allocation, Org, ramp_curve
from salesops_lib.data.demo.pipeline import seasonal_ratio
from salesops_lib.data.demo.scenario import Reps, Units
from salesops_lib.data.demo.spec import CHANNEL_NAMES, CHANNELS, GENERATOR_VERSION, REGION_NAMES, REGIONS, DemoConfig
from salesops_lib.data.demo.spend import Campaigns
from salesops_lib.data.demo.timeline import Timeline, to_date
from salesops_lib.data.demo.truth import Effect, Truth

NOTES = (
    "Planted effects are applied only in the planted variant; the null variant draws the same world "
    "(same seed, same structure and noise) with every planted effect off, and its manifest lists the same "
    "effects with active=false and their measurements (which should show no effect).",
    "forecast_truth, activity_effect and ramp_curve are properties of the generator, not planted anomalies: "
    "they are active in both variants.",
    "Lead conversion is decided when the lead is created and the opportunity follows within 0-6 days (never "
    "after as_of), so the latest month is measurable; real CRM data would be right-censored there.",
    "Opportunities open at the history start keep their earlier history (created before the start); leads "
    "before the start are only those of such deals and their siblings.",
    "Key accounts order weekly under framework agreements: those orders have no opportunity (opp_id null), "
    "so revenue (orders) exceeds won value (opportunities) by the key-account share.",
    "Nothing is forced clean: in both variants ordinary reps fall below 80 % of their weekly target three weeks "
    "running as often as the noise makes them (negative-binomial order counts, heavy-tailed order sizes), other "
    "teams, accounts, campaigns and regions move by noise and season; only the planted effects are set.",
    "Team revenue is allocated by FTE × team factor; within a team by skill × ramp × activity, so the ramp "
    "and the activity effect are relative to peers of the same team and month.",
)


def _iso(day: int) -> str:
    return to_date(day).isoformat()


def build_truth(
    cfg: DemoConfig,
    tl: Timeline,
    org: Org,
    alloc: Allocation,
    ka: KeyAccounts,
    units: Units,
    reps: Reps,
    camps: Campaigns,
    cost: np.ndarray,
    con: duckdb.DuckDBPyConnection,
    rows: dict[str, int],
) -> Truth:
    """The manifest of a freshly written dataset (``con`` is its open connection)."""
    p, m = cfg.plant, cfg.model
    as_of = cfg.as_of
    active = cfg.planted
    effects: list[Effect] = []
    rep_id = org.rep_ids.to_pylist()

    region_x = REGIONS[units.conversion_region]
    channel = CHANNELS[units.conversion_channel]
    conv = measure.conversion(con, region_x, channel, as_of)
    ratio = seasonal_ratio(cfg, tl)
    conv["seasonal_ratio"] = round(ratio, 4)
    conv["seasonal_relative_change"] = (
        round((1 + conv["relative_change"]) / ratio - 1, 4) if conv["relative_change"] is not None else None
    )
    effects.append(
        Effect(
            id="conversion_drop",
            kind="conversion_drop",
            active=active,
            description=f"{REGION_NAMES[region_x]} lead conversion falls in the latest month because {channel} leads convert much worse",
            where={
                "level": "region",
                "unit_id": region_x,
                "region_name": REGION_NAMES[region_x],
                "channel": channel,
                "stage": "lead",
            },
            when={
                "month": measure.month_add(as_of, 0).isoformat(),
                "baseline_months": [measure.month_add(as_of, k).isoformat() for k in range(-6, 0)],
            },
            magnitude={
                "designed": {
                    "seasonal_relative_change": -p.conversion_drop if active else 0.0,
                    "relative_change": round((1 - p.conversion_drop) * ratio - 1, 4) if active else 0.0,
                },
                "measured": conv,
            },
            metric="lead_conversion_rate",
            direction="down" if active else "none",
            measure="leads created in the month (region of the lead's rep) that have an opportunity (opportunities.lead_id) "
            "÷ leads created in the month; relative_change = latest month's rate ÷ mean of the 6 previous monthly rates − 1; "
            "seasonal_relative_change = (1 + relative_change) ÷ seasonal_ratio − 1, where seasonal_ratio = the generator's "
            "lead-conversion season of the latest month ÷ its mean over the 6 months before",
        )
    )

    first6 = measure.month_add(as_of, -5)
    teams = measure.revenue_per_fte(con, first6, as_of)
    low = org.team_ids[units.low_team]
    gaps = {t: v["gap"] for t, v in teams.items() if t != "__company__"}
    effects.append(
        Effect(
            id="low_efficiency_team",
            kind="low_efficiency_team",
            active=active,
            description=f"team {low} produces about {1 - p.low_team_factor:.0%} less revenue per FTE than the company average",
            where={"level": "team", "unit_id": low, "region": REGIONS[int(org.team_region[units.low_team])]},
            when={"from": first6.isoformat(), "to": as_of.isoformat()},
            magnitude={
                "designed": {
                    "team_factor": p.low_team_factor if active else float(alloc.team_factor[units.low_team]),
                    "threshold": -0.20,
                },
                "measured": {
                    "gap": gaps[low],
                    "team_per_fte": teams[low]["per_fte"],
                    "company_per_fte": teams["__company__"]["per_fte"],
                    "other_teams_min_gap": min(g for t, g in gaps.items() if t != low and g is not None),
                    "teams_below_threshold": sorted(t for t, g in gaps.items() if g is not None and g <= -0.20),
                },
            },
            metric="revenue_per_fte",
            direction="down" if active else "none",
            measure="orders amount of the team's reps (current team) from the first day of the month 5 months before as_of "
            "to as_of ÷ FTE (employed days in the window ÷ days in the window, hire and exit inclusive); "
            "gap = team ÷ company (all revenue ÷ all FTE) − 1",
        )
    )

    expo_id = f"CP{camps.special + 1:05d}"
    effects.append(
        Effect(
            id="expo_low_roi",
            kind="expo_low_roi",
            active=active,
            description=f"expo {camps.names[camps.special]} cost ~100k and sourced ~20k of pipeline",
            where={
                "level": "campaign",
                "campaign_id": expo_id,
                "type": "expo",
                "region": REGIONS[units.expo_region],
                "team": org.team_ids[units.expo_team],
                "channel": "expo",
            },
            when={
                "start": _iso(units.expo_start),
                "end": _iso(units.expo_start + 2),
                "leads_until": _iso(units.expo_lead_end),
            },
            magnitude={
                "designed": {
                    "cost": p.expo_cost,
                    "pipeline": p.expo_pipeline if active else p.expo_cost * units.expo_ratio,
                },
                "measured": measure.campaign(con, expo_id, as_of),
            },
            metric="campaign_roi",
            direction="down" if active else "none",
            measure="pipeline = total amount of the opportunities whose lead has campaign_id = the expo; "
            "roi = (won amount of those opportunities − cost) ÷ cost",
        )
    )

    weeks = [to_date(int(w) * 7 + 4) for w in tl.alert_weeks(p.alert_weeks)]
    weekly = measure.weekly_attainment(con, weeks)
    fired = measure.alert_reps(weekly)
    for kind, rep, designed, text in (
        (
            "persistent_underperformance",
            reps.underperformer,
            {"band": list(p.underperformer_band), "weeks_below": 3, "threshold": measure.ALERT_THRESHOLD},
            "below 80 % of the weekly target in each of the last three complete ISO weeks",
        ),
        (
            "edge_no_alert",
            reps.edge,
            {"pattern": list(p.edge_pattern), "threshold": measure.ALERT_THRESHOLD},
            "at 79 % / 81 % / 79 % of the weekly target: a '< 80 % three weeks running' rule must not fire",
        ),
    ):
        rid = rep_id[rep]
        effects.append(
            Effect(
                id=kind,
                kind=kind,
                active=active,
                description=f"rep {rid} is {text}",
                where={
                    "level": "rep",
                    "unit_id": rid,
                    "team": org.team_ids[int(org.rep_team[rep])],
                    "region": REGIONS[int(org.rep_region[rep])],
                },
                when={"weeks": [w.isoformat() for w in weeks[-3:]], "window": [w.isoformat() for w in weeks]},
                magnitude={
                    "designed": designed if active else {},
                    "measured": {"weekly_attainment": weekly.get(rid), "reps_firing": fired},
                },
                metric="attainment",
                direction=("down" if kind.startswith("persistent") else "none") if active else "none",
                measure="weekly target = Σ over the ISO week's days (Mon–Sun) of the rep's monthly target ÷ days in that "
                "month; weekly actual = the rep's orders amount booked that week; attainment = actual ÷ target; "
                "weeks where the rep is not employed all seven days are not evaluated (null)",
            )
        )

    top = measure.account_change(con, as_of)
    churn_id = f"C{reps.churn_account + 1:07d}"
    mine = next((a for a in top if a["customer_id"] == churn_id), None)
    owner = int(ka.owner[reps.churn_account])
    effects.append(
        Effect(
            id="churn_risk",
            kind="churn_risk",
            active=active,
            description=f"key account {churn_id} ({ka.names[reps.churn_account].as_py()}) orders much less in the last 6 months",
            where={
                "level": "customer",
                "customer_id": churn_id,
                "owner_rep_id": rep_id[owner],
                "region": REGIONS[int(org.rep_region[owner])],
            },
            when={
                "last6": [measure.month_add(as_of, -5).isoformat(), as_of.isoformat()],
                "prev6": [
                    measure.month_add(as_of, -11).isoformat(),
                    (measure.month_add(as_of, -5) - dt.timedelta(1)).isoformat(),
                ],
            },
            magnitude={
                "designed": {"monthly_factors": list(p.churn_factors) if active else []},
                "measured": {
                    "account": mine,
                    "other_top20_min_change": min(
                        (a["change"] for a in top if a["customer_id"] != churn_id and a["change"] is not None),
                        default=None,
                    ),
                },
            },
            metric="revenue",
            direction="down" if active else "none",
            measure="orders amount of the account in the last 6 calendar months (ending with as_of's month) ÷ the 6 before − 1; "
            "rank by trailing-12-month orders amount",
        )
    )

    follow = measure.follow_up_days(con, to_date(units.change_day), as_of)
    adopting = [REGIONS[r] for r in units.adopting]
    effects.append(
        Effect(
            id="process_change",
            kind="process_change",
            active=active,
            description=f"from {_iso(units.change_day)} {', '.join(REGION_NAMES[r] for r in adopting)} cut follow-up time from ~15 to ~10 days",
            where={
                "level": "region",
                "adopting": adopting,
                "not_adopting": [r for r in REGIONS if r not in adopting],
                "stage": "follow-up",
            },
            when={"date": _iso(units.change_day)},
            magnitude={
                "designed": {
                    "before_days": m.stage_days[1],
                    "after_days": p.follow_up_after if active else m.stage_days[1],
                },
                "measured": follow,
            },
            metric="stage duration (days in follow-up)",
            direction="down" if active else "none",
            measure="days from entering follow-up to the deal's next stage entry (proposal or lost), completed stays only; "
            "before = entries in the 180 days before the date, after = entries from the date to as_of − 60 days",
        )
    )

    z = REGIONS[units.collections_region]
    cuts = [as_of - dt.timedelta(p.collections_window_days * k) for k in range(5)]
    overdue = {c.isoformat(): measure.overdue_share(con, c, p.collections_window_days) for c in cuts}
    effects.append(
        Effect(
            id="collections_slip",
            kind="collections_slip",
            active=active,
            description=f"{REGION_NAMES[z]} customers pay later in the last 3 months: overdue receivables rise",
            where={"level": "region", "unit_id": z, "region_name": REGION_NAMES[z]},
            when={"from": (as_of - dt.timedelta(p.collections_window_days)).isoformat(), "to": as_of.isoformat()},
            magnitude={
                "designed": {
                    "extra_delay_days": list(p.collections_extra_days) if active else [0, 0],
                    "share_of_invoices": p.collections_share if active else 0.0,
                },
                "measured": {"overdue_share_at": overdue, "collection_rate": measure.collection_rate(con, as_of)},
            },
            metric="collection_rate",
            direction="down" if active else "none",
            measure="overdue share at a date c = of the invoices (amount > 0) due in the 91 days up to c, the share of the "
            "amount unpaid at c (payments with paid_at ≤ c), region of the order's rep; compared with the other "
            "regions at as_of and with the region itself at as_of − 91·k days; collection_rate = the metric (invoices "
            "due in a month, share paid by that month's end) for the last 3 due-months vs the 12 before",
        )
    )

    effects.append(
        Effect(
            id="budget_overrun",
            kind="budget_overrun",
            active=active,
            description=f"{p.overrun_category} spending runs about {p.overrun:.0%} over budget this year",
            where={"level": "company", "category": p.overrun_category},
            when={"from": dt.date(as_of.year, 1, 1).isoformat(), "to": as_of.isoformat()},
            magnitude={
                "designed": {"over": p.overrun if active else 0.0, "others_within": 0.05},
                "measured": measure.budget_ratio(con, as_of),
            },
            metric="expense vs budget",
            direction="up" if active else "none",
            measure="company expenses (spent_at from 1 January to as_of) ÷ budgets (months January … as_of's month, the "
            "last one pro-rated by day) − 1, per category",
        )
    )

    effects.append(_forecast(cfg, tl, con))
    fit = measure.rep_month_fit(con, as_of)  # one regression for the elasticities and the ramp
    effects.append(
        Effect(
            id="activity_effect",
            kind="activity_effect",
            active=True,
            description="visits and calls drive revenue: elasticities 0.45 (visits) and 0.15 (calls)",
            where={"level": "rep"},
            when={},
            magnitude={
                "designed": {
                    "visit_elasticity": m.visit_elasticity,
                    "call_elasticity": m.call_elasticity,
                    "visits_per_fte_month": m.visits_norm,
                    "calls_per_fte_month": m.calls_norm,
                },
                "measured": measure.activity_regression(con, as_of, fit),
            },
            metric="revenue",
            direction="up",
            measure="E[revenue of a rep in a month] = team-month level × skill × ramp × FTE × (visits ÷ (20·FTE))^0.45 × "
            "(calls ÷ (35·FTE))^0.15; recover by regressing log revenue on log visits, log calls and tenure-month "
            "dummies with rep and team × month fixed effects (fully employed rep-months)",
        )
    )
    months = np.arange(1, 13)
    effects.append(
        Effect(
            id="ramp_curve",
            kind="ramp_curve",
            active=True,
            description="new hires ramp as 1 − exp(−t/2.61): 90 % of full productivity after 6 months",
            where={"level": "rep"},
            when={},
            magnitude={
                "designed": {
                    "formula": "1 - exp(-t / tau), t = months since hire (at mid-month)",
                    "tau_months": m.ramp_tau,
                    "by_month": {
                        int(k): round(float(v), 4) for k, v in zip(months, ramp_curve(months, m.ramp_tau), strict=True)
                    },
                    "bucket_means": {
                        "1-3": round(float(ramp_curve(np.arange(1, 4), m.ramp_tau).mean()), 4),
                        "4-6": round(float(ramp_curve(np.arange(4, 7), m.ramp_tau).mean()), 4),
                        "7-12": round(float(ramp_curve(np.arange(7, 13), m.ramp_tau).mean()), 4),
                    },
                },
                "measured": measure.ramp_ratios(con, as_of, fit),
            },
            metric="revenue",
            direction="up",
            measure="productivity in tenure month k (k full months after the hire month) relative to longer tenure: "
            "exp(coefficient of the tenure-month dummy) in the regression of activity_effect; compare with "
            "ramp(k) (k ≈ the mean months since hire in that month)",
        )
    )
    org_info: dict[str, Any] = {
        "regions": {r: REGION_NAMES[r] for r in REGIONS},
        "channels": {c: CHANNEL_NAMES[c] for c in CHANNELS},
        "teams": org.n_teams,
        "reps": org.n_reps,
        "reps_at_as_of": int(((org.hire <= tl.as_of_day) & (org.exit == NO_EXIT)).sum()),
        "key_accounts": {f"C{i + 1:07d}": rep_id[int(o)] for i, o in enumerate(ka.owner)},
    }
    return Truth(
        generator_version=GENERATOR_VERSION,
        size=cfg.size.name,
        variant=cfg.variant,
        seed=cfg.seed,
        as_of=as_of.isoformat(),
        start=cfg.start.isoformat(),
        effects=tuple(effects),
        org=org_info,
        tables=dict(sorted(rows.items())),
        notes=NOTES,
    )


def _forecast(cfg: DemoConfig, tl: Timeline, con: duckdb.DuckDBPyConnection) -> Effect:
    m = cfg.model
    label = [to_date(int(d)).isoformat() for d in tl.month_first]
    expected = {label[i]: round(float(tl.r_star[i]), 2) for i in range(tl.n_months)}
    window = tl.n_window_months
    next3 = list(range(window, window + 3))
    q_start = (cfg.as_of.month - 1) // 3 * 3 + 3  # months after January of as_of's year
    q_months = [
        i
        for i in range(tl.n_months)
        if (int(tl.month_year[i]) - cfg.as_of.year) * 12 + int(tl.month_calendar[i]) - 1 in range(q_start, q_start + 3)
    ]
    quarter_year = cfg.as_of.year + q_start // 12
    actual = measure.monthly_revenue(con)
    complete = (
        window if to_date(int(tl.month_first[window - 1] + tl.month_days[window - 1] - 1)) <= cfg.as_of else window - 1
    )
    last12 = [label[i] for i in range(complete - 12, complete)]
    act12 = sum(actual.get(k, 0.0) for k in last12)
    exp12 = sum(expected[k] for k in last12)
    return Effect(
        id="forecast_truth",
        kind="forecast_truth",
        active=True,
        description="company revenue = trend × season × Spring Festival × noise; the expected next quarter is known",
        where={"level": "company"},
        when={
            "history": [label[0], label[window - 1]],
            "next_3_months": [label[i] for i in next3],
            "next_quarter": f"{quarter_year}Q{(q_start % 12) // 3 + 1}",
        },
        magnitude={
            "designed": {
                "next_3_months": {label[i]: expected[label[i]] for i in next3},
                "next_3_months_total": round(sum(float(tl.r_star[i]) for i in next3), 2),
                "next_quarter": {label[i]: expected[label[i]] for i in q_months},
                "next_quarter_total": round(sum(float(tl.r_star[i]) for i in q_months), 2),
                "expected_monthly": {k: v for k, v in expected.items() if k <= label[min(tl.n_months - 1, window + 5)]},
                "model": {
                    "base_monthly": round(
                        float(m.revenue_per_rep_month * sum(cfg.size.teams_per_region) * cfg.size.slots_per_team), 2
                    ),
                    "growth_per_year": m.growth,
                    "season": list(m.season),
                    "spring_festival": {
                        "core_days": "New Year's day ± 7",
                        "core_factor": m.cny_core,
                        "tail_days": "days 8–14 after",
                        "tail_factor": m.cny_tail,
                    },
                    "month_noise_sd": m.month_noise,
                    "formula": "R(m) = base × (1+growth)^((i+0.5)/12) × season[month] × mean Spring-Festival day factor of the month × noise",
                },
            },
            "measured": {
                "last_12_months": [last12[0], last12[-1]],
                "last_12_months_actual": round(act12, 2),
                "last_12_months_expected": round(exp12, 2),
                "ratio": round(act12 / exp12, 4),
                "monthly_actual": actual,
            },
        },
        metric="revenue",
        direction="up",
        measure="company orders amount per calendar month; expected = the noise-free R(m); the check compares the "
        "last 12 complete months",
    )
