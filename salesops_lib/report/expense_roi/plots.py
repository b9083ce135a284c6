"""The expense ROI page's figures: cumulative spend against budget, campaign cost against
pipeline, and the spend–output response curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter

from salesops_lib.analyses.expense_roi import ExpenseRoiResult
from salesops_lib.report.expense_roi.words import label, title_word
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.theme import PALETTE, apply_theme


def _grid(count: int, width: float, height: float) -> tuple[Figure, np.ndarray]:
    cols = 2 if count in (2, 4) else min(count, 3)
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    return fig, axes


def budget_plot(result: ExpenseRoiResult, lang: str) -> Figure | HtmlFragment:
    """Cumulative spend against cumulative budget per category over the fiscal year, with the projection."""
    if result.budget is None or result.budget.monthly.empty:
        return HtmlFragment("")
    apply_theme()
    monthly = result.budget.monthly
    categories = sorted(monthly["category"].unique())
    fig, axes = _grid(len(categories), 6.0, 3.0)
    for ax, category in zip(axes.flat, categories, strict=False):
        m = monthly[monthly["category"] == category].sort_values("month")
        month, budget, spent = pd.to_datetime(m["month"]), m["budget"].cumsum(), m["spent"].cumsum()
        done = m["spent"].notna()
        ax.plot(month, budget, color=PALETTE[7], linestyle="--", label=label("budget_line", lang))
        ax.plot(month[done], spent[done], color=PALETTE[0], marker="o", markersize=3, label=label("spent_line", lang))
        if done.any() and not done.all() and budget[done].iloc[-1]:
            pace = spent[done].iloc[-1] / budget[done].iloc[-1]
            ax.plot(month, budget * pace, color=PALETTE[3], linestyle=":", label=label("projected_line", lang))
        ax.set_title(title_word(category, lang), fontsize=11)
        ax.yaxis.set_major_formatter(money_axis(lang))
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(label("budget_plot_title", lang), fontsize=13)
    fig.tight_layout()
    plt.close(fig)
    return fig


def campaign_plot(result: ExpenseRoiResult, lang: str) -> Figure | HtmlFragment:
    """Cost against pipeline per campaign (log scales), by type; low-ROI campaigns circled and labelled."""
    if result.campaigns is None or result.campaigns.judged.empty:
        return HtmlFragment("")
    apply_theme()
    frame = result.campaigns.campaigns
    frame = frame[frame["cost"] > 0]
    positive = frame.loc[frame["pipeline"] > 0, "pipeline"]
    floor = max(float(positive.min()) / 2 if len(positive) else 1.0, 1.0)  # zero pipeline drawn at the floor
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    for i, (kind, group) in enumerate(frame.groupby("type", sort=True)):
        ax.scatter(
            group["cost"],
            group["pipeline"].clip(lower=floor),
            s=22,
            alpha=0.75,
            color=PALETTE[i % 6],
            label=title_word(kind, lang),
        )
    span = np.array([frame["cost"].min() * 0.8, frame["cost"].max() * 1.25])
    median = float(result.campaigns.judged["pipeline_to_cost"].median())
    ax.plot(span, span * median, color=PALETTE[7], linestyle="--", linewidth=1, label=label("median_line", lang))
    ax.plot(
        span,
        span * median * result.low_roi_rule.fraction,
        color=PALETTE[3],
        linestyle=":",
        linewidth=1,
        label=label("low_roi_line", lang),
    )
    row: Any  # a campaign's row: cost and pipeline are floats
    for row in frame[frame["low_roi"]].itertuples():
        y = max(row.pipeline, floor)
        ax.scatter([row.cost], [y], s=90, facecolors="none", edgecolors=PALETTE[3], linewidths=1.5)
        ax.annotate(
            str(row.campaign_id),
            (row.cost, y),
            textcoords="offset points",
            xytext=(6, -10),
            fontsize=9,
            color=PALETTE[3],
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(money_axis(lang))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(label("x_cost", lang))
    ax.set_ylabel(label("y_pipeline", lang))
    ax.set_title(label("campaign_title", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def response_plot(result: ExpenseRoiResult, lang: str) -> Figure | HtmlFragment:
    """Steady-state response per category with its 95 % band and the current spend."""
    m = result.response
    if m is None or m.curves.empty:
        return HtmlFragment("")
    apply_theme()
    current = m.estimates.set_index("category")["current_spend"]
    fig, axes = _grid(len(current), 4.2, 3.0)
    for ax, category in zip(axes.flat, current.index, strict=False):
        curve = m.curves[m.curves["category"] == category]
        ax.fill_between(curve["spend"], curve["low"], curve["high"], color=PALETTE[0], alpha=0.15)
        ax.plot(curve["spend"], curve["response"], color=PALETTE[0])
        ax.axvline(
            float(current[category]),
            color=PALETTE[1],
            linestyle=":",
            linewidth=1.2,
            label=label("current_marker", lang),
        )
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.set_title(title_word(category, lang), fontsize=11)
        ax.xaxis.set_major_formatter(money_axis(lang))
        ax.yaxis.set_major_formatter(money_axis(lang))
        ax.tick_params(labelsize=8)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.supxlabel(label("x_spend", lang), fontsize=10)
    fig.supylabel(label("y_output", lang), fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
