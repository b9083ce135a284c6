"""Plots of the funnel diagnosis page (one theme, zh/en labels)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.analyses.funnel_diagnosis.stages import LEADS
from salesops_lib.report.formats import money, money_axis, signed_money
from salesops_lib.report.formats import signed_pct as signed
from salesops_lib.report.funnel_diagnosis.words import factor_word, label, step_word, unit_word, word
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.theme import PALETTE, apply_theme


def funnel_plot(result: FunnelResult, lang: str) -> Figure:
    """Horizontal bars of the deals (and leads) reaching each step, with the step conversions."""
    apply_theme()
    frame = result.funnel
    labels = [word(s, lang) for s in frame["step"]]
    fig, ax = plt.subplots(figsize=(8.0, 0.55 * len(frame) + 1.2))
    y = np.arange(len(frame))[::-1]
    ax.barh(y, frame["reached"], color=[PALETTE[1] if s == LEADS else PALETTE[0] for s in frame["step"]])
    top = float(frame["reached"].max()) or 1.0
    for yi, reached, conv in zip(y, frame["reached"], frame["conversion"], strict=True):
        text = f"{reached:,.0f}" + (f"  ·  {label('conversion', lang)} {conv:.1%}" if np.isfinite(conv) else "")
        ax.text(reached + top * 0.01, yi, text, va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel(label("reached", lang))
    ax.set_title(label("funnel_title", lang))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    fig.tight_layout()
    plt.close(fig)
    return fig


def cohort_plot(result: FunnelResult, lang: str) -> Figure:
    """Cumulative share won by age, one line per cohort (darker = more recent), horizon marked."""
    apply_theme()
    fig, ax = plt.subplots(figsize=(8.0, 4.0))
    curves = result.curves
    cohorts = sorted(curves["cohort"].unique()) if not curves.empty else []
    cmap = plt.get_cmap("Blues")
    for i, cohort in enumerate(cohorts):
        part = curves[curves["cohort"] == cohort]
        shade = 0.3 + 0.7 * (i + 1) / len(cohorts)
        legend = pd.Timestamp(cohort).strftime("%Y-%m") if i in (0, len(cohorts) - 1) or i % 3 == 0 else None
        ax.plot(part["age_days"], part["won_share"], color=cmap(shade), linewidth=1.4, label=legend)
    ax.axvline(result.horizon_days, color=PALETTE[3], linestyle="--", linewidth=1)
    ax.text(
        result.horizon_days,
        ax.get_ylim()[1] * 0.05,
        f" {label('horizon', lang)} {result.horizon_days}",
        color=PALETTE[3],
        fontsize=9,
        va="bottom",
    )
    ax.set_xlabel(label("age_days", lang))
    ax.set_ylabel(label("won_share", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(label("cohorts_title", lang))
    if cohorts:
        ax.legend(title=label("cohort", lang), fontsize=8, title_fontsize=9, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def segment_plot(result: FunnelResult, lang: str) -> Figure | HtmlFragment:
    """Each unit's rate and interval at every step against the company (red: significantly lower)."""
    seg = result.segments[result.segments["dimension"] == result.unit] if not result.segments.empty else result.segments
    if seg.empty:
        return HtmlFragment("")
    apply_theme()
    steps = list(seg["step"].drop_duplicates())
    fig, axes = plt.subplots(
        1,
        max(len(steps), 1),
        figsize=(2.6 * max(len(steps), 1) + 1, 0.35 * seg["segment"].nunique() + 1.6),
        squeeze=False,
        sharey=True,
    )
    funnel = result.funnel.set_index("step")["conversion"]
    for ax, step in zip(axes.flat, steps, strict=False):
        part = seg[seg["step"] == step].sort_values("segment")
        y = np.arange(len(part))
        colors = [
            PALETTE[3] if s and d < 0 else PALETTE[2] if s else PALETTE[0]
            for s, d in zip(part["significant"], part["difference"], strict=True)
        ]
        below = (part["rate"] - part["rate_lo"]).clip(lower=0).fillna(0)
        above = (part["rate_hi"] - part["rate"]).clip(lower=0).fillna(0)
        ax.errorbar(part["rate"], y, xerr=[below, above], fmt="none", ecolor="#9aa6b2", elinewidth=1)
        ax.scatter(part["rate"], y, color=colors, zorder=3, s=18)
        if step in funnel.index:
            ax.axvline(funnel[step], color="#51606f", linestyle=":", linewidth=1)
        ax.set_yticks(y, [unit_word(u, result.unit, lang) for u in part["segment"]])
        ax.set_title(step_word(step, result.stages, lang), fontsize=10)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{label('segments_title', lang)} · {label(result.unit, lang)}", fontsize=12)
    fig.tight_layout()
    plt.close(fig)
    return fig


def change_plot(result: FunnelResult, lang: str) -> Figure | HtmlFragment:
    """Heat map of the relative changes against the expected rate (units × steps); cells that
    survive the review's false-discovery-rate control are marked.
    """
    screen = result.screen
    screen = screen[screen["stratum"] == ""] if "stratum" in screen else screen
    if screen.empty:
        return HtmlFragment("")
    apply_theme()
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(8.0, 0.5 * max(screen["step"].nunique(), 1) + 1.6))
    screen = screen.assign(label=[step_word(s, result.stages, lang) for s in screen["step"]])
    values = screen.pivot_table(index="label", columns="unit", values="change", aggfunc="first")
    marks = screen.pivot_table(index="label", columns="unit", values="survives", aggfunc="first")
    rows = list(dict.fromkeys(screen["label"]))
    cols = ["company", *sorted(u for u in values.columns if u != "company")]
    values, marks = values.reindex(index=rows, columns=cols), marks.reindex(index=rows, columns=cols)
    annot = values.map(signed) + marks.map(lambda s: "*" if s is True or s == 1 else "")
    limit = max(0.05, float(np.nanmax(np.abs(values.to_numpy(float)))) if values.notna().any().any() else 0.05)
    sns.heatmap(
        values,
        annot=annot,
        fmt="",
        cmap="RdBu",
        center=0,
        vmin=-limit,
        vmax=limit,
        cbar=False,
        ax=ax,
        linewidths=0.5,
        annot_kws={"fontsize": 9},
    )
    ax.set_xticklabels([unit_word(u, result.unit, lang) for u in cols], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(label("screen_title", lang), fontsize=11)
    fig.tight_layout()
    plt.close(fig)
    return fig


def bridge_plot(result: FunnelResult, lang: str) -> Figure | HtmlFragment:
    """Waterfall from the baseline's won value through each factor and timing to the month's."""
    bridge = result.bridge
    if bridge.empty:
        return HtmlFragment("")
    apply_theme()
    fig, ax = plt.subplots(figsize=(9.0, 4.2))
    labels, bottoms, heights, colors = [], [], [], []
    level = 0.0
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in bridge.itertuples():
        if row.item in ("baseline", "latest"):
            labels.append(label(f"{row.item}_value", lang))
            bottoms.append(0.0)
            heights.append(row.value)
            colors.append(PALETTE[0])
            level = row.value
        else:
            labels.append(factor_word(row.item, result, lang))
            bottoms.append(level if row.value >= 0 else level + row.value)
            heights.append(abs(row.value))
            colors.append(PALETTE[2] if row.value >= 0 else PALETTE[3])
            level += row.value
    x = np.arange(len(labels))
    ax.bar(x, heights, bottom=bottoms, color=colors)
    for xi, row in enumerate(bridge.itertuples()):  # xi: the bar's position in x
        top = bottoms[xi] + heights[xi]
        text = money(row.value, lang) if row.item in ("baseline", "latest") else signed_money(row.value, lang)
        ax.text(xi, top, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=9)
    ax.yaxis.set_major_formatter(money_axis(lang))
    lo = min([*bottoms[1:-1], min(bottoms[0] + heights[0], bottoms[-1] + heights[-1])]) if len(bottoms) > 2 else 0
    ax.set_ylim(max(0.0, lo * 0.9), max(b + h for b, h in zip(bottoms, heights, strict=True)) * 1.06)
    ax.set_title(
        f"{label('bridge_title', lang)}（{label('won_value', lang)}）"
        if lang == "zh"
        else f"{label('bridge_title', lang)} ({label('won_value', lang).lower()})"
    )
    fig.tight_layout()
    plt.close(fig)
    return fig


def process_plot(result: FunnelResult, lang: str) -> Figure | HtmlFragment:
    """Weekly mean days in the stage, adopting vs control units, with the change date (nothing when
    no change was measured).
    """
    process = result.process
    weekly = process.weekly
    if weekly.empty or process.date is None:
        return HtmlFragment("")
    apply_theme()
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    for group, color in (("adopting", PALETTE[3]), ("control", PALETTE[0])):
        part = weekly[weekly["group"] == group]
        ax.plot(
            part["week"],
            part["mean_days"],
            color=color,
            marker="o",
            markersize=2.5,
            linewidth=1.2,
            label=f"{label(group, lang)}（{', '.join(process.adopting) if group == 'adopting' else ', '.join(process.control)}）"
            if lang == "zh"
            else f"{label(group, lang)} ({', '.join(process.adopting) if group == 'adopting' else ', '.join(process.control)})",
        )
    # the x axis holds dates (matplotlib converts them); its stubs type x as a float
    ax.axvline(pd.Timestamp(process.date), color="#51606f", linestyle="--", linewidth=1)  # type: ignore[arg-type]
    ax.text(
        pd.Timestamp(process.date),  # type: ignore[arg-type]
        ax.get_ylim()[1],
        f" {label('change_date', lang)} {process.date.isoformat()}",
        fontsize=9,
        va="top",
    )
    ax.set_ylabel(label("days_metric", lang, stage=word(process.stage, lang)))
    ax.set_xlabel(label("week", lang))
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(label("process_title", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig
