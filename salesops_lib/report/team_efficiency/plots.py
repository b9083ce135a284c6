"""The team-efficiency page's figures: team gaps, the spread of reps within teams, the monthly heat
map, driver effects, the ramp curve and the commission curve.
"""

from __future__ import annotations

from typing import cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from salesops_lib.analyses.team_efficiency import TeamEfficiencyResult
from salesops_lib.analyses.team_efficiency.incentives import commission
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.names import display
from salesops_lib.report.team_efficiency.words import activity, label
from salesops_lib.report.theme import PALETTE, apply_theme

RED, BLUE, GREY = PALETTE[3], PALETTE[0], "#9aa6b2"
JITTER, JITTER_SEED = 0.15, 0
"""Half-width of the strip plot's jitter (in category widths) and the seed of its own generator."""


def gap_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """Each team's gap with its interval; flagged teams in red, the flag threshold dashed, and in
    light grey the band a team of its size reaches by the luck of its rep mix (the permutation's 95 %).
    """
    teams = result.units[(result.units["level"] == "team") & np.isfinite(result.units["gap"])]
    if teams.empty:
        return HtmlFragment("")
    apply_theme()
    teams = teams.sort_values("gap")
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.28 * len(teams) + 1.2)))
    colors = [RED if f else (BLUE if ok else GREY) for f, ok in zip(teams["flagged"], teams["eligible"], strict=True)]
    y = np.arange(len(teams))
    ax.barh(y, teams["gap"], color=colors, height=0.6)
    err = np.vstack(
        [
            (teams["gap"] - teams["gap_low"]).clip(lower=0).fillna(0),
            (teams["gap_high"] - teams["gap"]).clip(lower=0).fillna(0),
        ]
    )
    if {"null_low", "null_high"} <= set(teams.columns):
        ax.hlines(
            y,
            teams["null_low"],
            teams["null_high"],
            color=GREY,
            linewidth=7,
            alpha=0.35,
            label=label("null_band", lang),
        )
    ax.errorbar(teams["gap"], y, xerr=err, fmt="none", ecolor="#333333", elinewidth=1, capsize=2)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.axvline(-result.threshold, color=RED, linestyle="--", linewidth=1, label=label("threshold_line", lang))
    ax.set_yticks(y, [display("team", u, lang) for u in teams["unit"]], fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(label("gap_chart", lang))
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def spread_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """Box plots of rep revenue per FTE by team, teams ordered by median, the reps as jittered
    points (the same image every run), the company as a line.
    """
    reps = result.reps[(result.reps["fte"] >= result.min_rep_fte) & np.isfinite(result.reps["revenue_per_fte"])]
    if reps.empty or reps["team"].isna().all():
        return HtmlFragment("")
    apply_theme()
    reps = reps.assign(team=[display("team", u, lang) for u in reps["team"]])
    order = reps.groupby("team")["revenue_per_fte"].median().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.28 * len(order) + 1.2)))
    sns.boxplot(
        data=reps, x="revenue_per_fte", y="team", order=order, color="#dce6f2", fliersize=0, ax=ax, linewidth=0.8
    )
    drawn = len(ax.collections)
    sns.stripplot(data=reps, x="revenue_per_fte", y="team", order=order, color=BLUE, size=3, ax=ax, jitter=False)
    _jitter(ax, drawn)
    company = result.company.get("revenue_per_fte", np.nan)
    if np.isfinite(company):
        ax.axvline(company, color=RED, linestyle="--", linewidth=1, label=label("company_line", lang))
        ax.legend(loc="lower right", fontsize=9)
    ax.xaxis.set_major_formatter(money_axis(lang))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(label("spread_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def _jitter(ax: Axes, first: int) -> None:
    """Spread the strip's points (collections from index ``first`` on, one per team) across their
    row by up to ±:data:`JITTER`, drawn from a generator of its own: seaborn's own jitter draws
    from numpy's global random state, so the image changed from run to run.
    """
    rng = np.random.default_rng(JITTER_SEED)
    for points in ax.collections[first:]:
        offsets = np.array(points.get_offsets(), dtype="float64")
        if len(offsets) > 1:  # like seaborn: a lone point stays on its row
            offsets[:, 1] += rng.uniform(-JITTER, JITTER, size=len(offsets))
            points.set_offsets(offsets)


def trend_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """Heat map: each team's monthly revenue per FTE vs the company, over the last 12 months."""
    teams = result.monthly[result.monthly["level"] == "team"]
    if teams.empty:
        return HtmlFragment("")
    apply_theme()
    grid = teams.pivot_table(index="unit", columns="month", values="gap")
    if grid.empty:  # no month with a company benchmark (no revenue in the window): nothing to compare
        return HtmlFragment("")
    grid = grid.loc[grid.mean(axis=1).sort_values().index]
    grid.index = pd.Index([display("team", u, lang) for u in grid.index])
    grid.columns = [c.strftime("%Y-%m") for c in cast("pd.DatetimeIndex", grid.columns)]  # the months
    fig, ax = plt.subplots(figsize=(9.0, max(2.5, 0.3 * len(grid) + 1.5)))
    sns.heatmap(
        grid,
        cmap="RdBu",
        center=0,
        vmin=-0.4,
        vmax=0.4,
        ax=ax,
        annot=len(grid) <= 15,
        fmt=".0%",
        annot_kws={"fontsize": 7},
        cbar_kws={"format": PercentFormatter(1.0, decimals=0), "shrink": min(1.0, 12 / len(grid))},
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="both", labelsize=8)
    ax.set_title(label("heatmap", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def drivers_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """Revenue change with 10 % more of each activity, with its interval."""
    if result.drivers.empty:
        return HtmlFragment("")
    apply_theme()
    d = result.drivers.iloc[::-1]
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(7.0, 0.6 * len(d) + 1.4))
    colors = [BLUE if v == "positive" else (RED if v == "negative" else GREY) for v in d["verdict"]]
    ax.errorbar(
        d["effect"],
        y,
        xerr=np.vstack([d["effect"] - d["effect_low"], d["effect_high"] - d["effect"]]),
        fmt="none",
        ecolor="#333333",
        capsize=3,
    )
    ax.scatter(d["effect"], y, color=colors, zorder=3, s=40)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, [activity(a, lang) for a in d["activity"]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_title(label("driver_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def ramp_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """Estimated productivity by tenure month with intervals, the fitted curve and the full level."""
    r = result.ramp
    if r is None:
        return HtmlFragment("")
    apply_theme()
    b = r.by_month
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    ax.errorbar(
        b["tenure_month"],
        b["productivity"],
        yerr=np.vstack([b["productivity"] - b["low"], b["high"] - b["productivity"]]),
        fmt="o",
        color=BLUE,
        capsize=3,
        label=label("estimate", lang),
    )
    grid = np.linspace(0, b["tenure_month"].max(), 200)
    ax.plot(grid, 1 - np.exp(-grid / r.tau), color=PALETTE[1], label=label("fitted", lang))
    ax.axhline(r.full_level, color=GREY, linestyle="--", linewidth=1, label=label("full_level", lang))
    ax.set_xlabel(label("tenure_month", lang))
    ax.set_ylabel(label("productivity", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.15)
    ax.set_title(label("ramp_chart", lang))
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def payout_chart(result: TeamEfficiencyResult, lang: str) -> Figure | HtmlFragment:
    """The plan's commission curve (commission ÷ target by attainment) with every rep placed on it."""
    paid = result.payouts[np.isfinite(result.payouts["attainment"])]
    if paid.empty:
        return HtmlFragment("")
    apply_theme()
    top = max(2.0, float(paid["attainment"].max()) * 1.05, result.plan.attainment_cap * 1.2)
    grid = np.linspace(0, top, 300)
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    ax.plot(grid, commission(grid, np.ones_like(grid), result.plan), color=PALETTE[1])
    ax.scatter(
        paid["attainment"],
        paid["commission"] / paid["target"],
        s=12,
        color=BLUE,
        alpha=0.6,
        label=label("reps_dots", lang),
        zorder=3,
    )
    for x in (1.0, result.plan.attainment_cap):
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel(label("attainment_axis", lang))
    ax.set_ylabel(label("payout_axis", lang))
    ax.set_title(label("payout_chart", lang))
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig
