"""The target split's charts: regions' monthly targets, implied growth against the record, target
share against headcount share.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.names import display
from salesops_lib.report.target_split.frames import in_scope, monthly_with_region
from salesops_lib.report.target_split.words import label, plan_label
from salesops_lib.report.theme import PALETTE, apply_theme


def phasing_chart(result: TargetSplitResult, lang: str) -> Figure:
    """Stacked monthly targets of the regions (the stack is the company's month)."""
    apply_theme()
    monthly = in_scope(result, monthly_with_region(result))
    regions = monthly[monthly["level"] == "region"].pivot(index="month", columns="unit_id", values="amount")
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    bottom = np.zeros(len(regions))
    labels = [m.strftime("%m") for m in regions.index]
    for k, column in enumerate(regions.columns):
        ax.bar(
            labels,
            regions[column].to_numpy(),
            bottom=bottom,
            label=display("region", column, lang),
            color=PALETTE[k % len(PALETTE)],
        )
        bottom += regions[column].to_numpy()
    ax.set_title(f"{label('phasing_chart', lang)} · {plan_label(result, lang)}")
    ax.set_xlabel(label("month_label", lang))
    ax.yaxis.set_major_formatter(money_axis(lang))
    ax.legend(ncol=min(5, len(regions.columns)), fontsize=9, loc="upper left", frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def achievability_chart(result: TargetSplitResult, lang: str) -> Figure | HtmlFragment:
    """Implied growth (dot) against each region's and team's record (low–high quantile bar)."""
    frame = in_scope(result, result.achievability)
    frame = frame[frame["level"].isin(["region", "team"]) & frame["high"].notna()]
    if frame.empty:
        return HtmlFragment("")
    apply_theme()
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.3 * len(frame) + 1.2)))
    y = np.arange(len(frame))[::-1]
    ax.hlines(y, frame["low"], frame["high"], color="#9aa6b2", linewidth=6, label=label("record_range", lang))
    stretch = (frame["assessment"] == "stretch").to_numpy()
    ax.scatter(frame["implied_growth"][~stretch], y[~stretch], color=PALETTE[0], zorder=3, label=label("implied", lang))
    ax.scatter(
        frame["implied_growth"][stretch], y[stretch], color=PALETTE[3], zorder=3, label=label("as_stretch", lang)
    )
    ax.set_yticks(y, [display(lvl, u, lang) for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(label("achievability_chart", lang))
    ax.legend(fontsize=9, loc="lower right", frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def alignment_chart(result: TargetSplitResult, lang: str) -> Figure:
    """Target share against FTE share (teams), with the even line and the 0.8–1.25 band."""
    apply_theme()
    frame = in_scope(result, result.alignment)
    teams = frame[frame["level"] == "team"]
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    top = float(max(teams["fte_share"].max(), teams["target_share"].max(), 0.01)) * 1.1
    grid = np.linspace(0, top, 10)
    ax.fill_between(grid, grid * 0.8, grid * 1.25, color="#d8dee6", alpha=0.6)
    ax.plot(grid, grid, color="#6b7b8c", linewidth=1)
    colours = [PALETTE[0] if ok else PALETTE[3] for ok in teams["aligned"]]
    ax.scatter(teams["fte_share"], teams["target_share"], color=colours, zorder=3)
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in teams[~teams["aligned"]].itertuples():
        ax.annotate(
            display("team", row.unit_id, lang),
            (row.fte_share, row.target_share),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlabel(label("fte_share", lang))
    ax.set_ylabel(label("target_share", lang))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(label("alignment_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig
