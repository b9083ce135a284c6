"""Target tracking's figures: the year's cumulative curve and the teams' weekly heat map."""

from __future__ import annotations

from typing import cast

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from salesops_lib.analyses.target_tracking import TargetTrackingResult
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.names import display
from salesops_lib.report.target_tracking.words import label
from salesops_lib.report.theme import PALETTE, apply_theme

HEATMAP_TEAMS = 40
"""Teams the heat map shows at most (with more, those with the lowest attainment over its weeks)."""


def curve(result: TargetTrackingResult, lang: str) -> Figure:
    """The company's cumulative bookings of the year against the seasonal plan and a straight line."""
    apply_theme()
    frame = result.curve
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    ax.plot(frame["day"], frame["expected"], color=PALETTE[0], label=label("expected", lang))
    ax.plot(frame["day"], frame["linear"], color="#9aa6b2", linestyle="--", label=label("linear", lang))
    ax.plot(frame["day"], frame["actual"], color=PALETTE[1], linewidth=2.2, label=label("actual", lang))
    # the x axis holds dates (matplotlib converts them); its stubs type x as a float
    ax.axvline(pd.Timestamp(result.as_of), color="#6b7b8c", linewidth=0.8)  # type: ignore[arg-type]
    ax.yaxis.set_major_formatter(money_axis(lang))
    ax.set_title(label("curve", lang))
    ax.legend(fontsize=9, frameon=False, loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def weekly_heatmap(result: TargetTrackingResult, lang: str) -> Figure | HtmlFragment:
    """Teams × the last complete ISO weeks: attainment, red below the alert threshold (at most
    :data:`HEATMAP_TEAMS` teams: beyond, those with the lowest mean attainment over the weeks).
    """
    frame = result.weekly[result.weekly["level"] == "team"]
    if frame.empty:
        return HtmlFragment("")
    apply_theme()
    grid = frame.pivot_table(index="unit_id", columns="period", values="attainment", aggfunc="first")
    teams = len(grid)
    if teams > HEATMAP_TEAMS:  # hundreds of teams: a readable map of those furthest behind
        lowest = grid.mean(axis=1).sort_values(kind="stable").index[:HEATMAP_TEAMS]
        grid = grid.loc[grid.index.isin(lowest)]
    grid.columns = [c.strftime("%m-%d") for c in cast("pd.DatetimeIndex", grid.columns)]  # the weeks' Mondays
    grid.index = [display("team", u, lang) for u in grid.index]
    fig, ax = plt.subplots(figsize=(min(12.0, 1.0 + 0.62 * grid.shape[1]), max(2.6, 0.3 * len(grid) + 1.3)))
    threshold = float(result.rule["threshold"])
    sns.heatmap(
        grid,
        ax=ax,
        cmap="RdYlGn",
        center=1.0,
        vmin=max(0.0, 2 * threshold - 1.2),
        vmax=1.2,
        annot=grid.shape[0] <= 40,
        fmt=".0%",
        annot_kws={"fontsize": 7},
        cbar=False,
        linewidths=0.4,
    )
    ax.set_xlabel(label("week_of", lang))
    ax.set_ylabel("")
    title = label("heatmap", lang)
    if len(grid) < teams:
        title = label("heatmap_lowest", lang).format(shown=len(grid), total=f"{teams:,}")
    ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
