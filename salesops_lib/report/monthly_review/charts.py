"""The monthly review's charts, in the workbench theme and readable at 390 px: target vs actual
by region, the target → actual bridge, the trend against target with the forecast's band, the
leaderboard and the quarter's forecast. Each returns the chart as page HTML ("" without data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.report.formats import money, money_axis
from salesops_lib.report.html import attainment_status
from salesops_lib.report.i18n import t
from salesops_lib.report.names import display, name_or
from salesops_lib.report.plots import chart, few_ticks, figure_html, readable
from salesops_lib.report.theme import PALETTE, STATUS_COLOURS

REPORT = "monthly_review"
TARGET_COLOUR = "#1f2d3d"
MUTED = "#8a96a3"


def _w(key: str, lang: str, **fields: Any) -> str:
    text = t(key, lang, REPORT)
    return text.format(**fields) if fields else text


def region_chart(result: MonthlyReviewResult, lang: str) -> str:
    """Horizontal bars of each region's revenue coloured by attainment status, its target as a
    tick and its attainment written at the bar's end (worst region at the top).
    """
    frame = result.regions
    if frame.empty or frame["target"].fillna(0).le(0).all():
        return ""
    frame = frame.iloc[::-1]  # barh draws bottom-up: the worst region ends on top
    with readable():
        fig, ax = chart(height=max(2.6, 0.62 * len(frame) + 1.2))
        y = np.arange(len(frame))
        colours = [STATUS_COLOURS[attainment_status(a)] for a in frame["attainment"]]
        ax.barh(y, frame["actual"], color=colours, height=0.62)
        ax.scatter(frame["target"], y, marker="|", s=900, linewidths=3, color=TARGET_COLOUR, zorder=3)
        right = float(np.nanmax([frame["actual"].max(), frame["target"].max()]))
        rows = zip(frame["actual"], frame["target"], frame["attainment"], strict=True)
        for yi, (actual, target, att) in enumerate(rows):
            text = "—" if pd.isna(att) else f"{att:.0%}"
            end = np.nanmax([actual, target, 0.0])
            ax.text(end + right * 0.03, yi, text, va="center", fontsize=14)
        ax.set_yticks(y, [name_or("region", u, n, lang) for u, n in zip(frame["unit"], frame["name"], strict=True)])
        ax.set_xlim(0, right * 1.22)
        ax.xaxis.set_major_formatter(money_axis(lang))
        few_ticks(ax, "x", 3)
        ax.grid(axis="y", visible=False)
        target = Line2D([], [], marker="|", markersize=16, markeredgewidth=3, linestyle="", color=TARGET_COLOUR)
        handles = [Patch(color=MUTED, label=_w("actual", lang)), target]
        target.set_label(_w("target", lang))
        ax.legend(handles=handles, loc="lower right", frameon=False, ncols=2, bbox_to_anchor=(1.0, 1.0))
        return figure_html(fig, _w("regions_chart", lang))


def bridge_chart(result: MonthlyReviewResult, lang: str) -> str:
    """The target → actual waterfall, one row per step (target, volume, mix, conversion, deal
    size, actual), each step's bar floating from where the previous ended, labelled with its amount.
    The axis starts near the lowest level reached (stated in the title), so small steps show.
    """
    frame = result.bridge
    if frame.empty:
        return ""
    steps = frame["step"].tolist()
    amounts = frame["amount"].astype(float).to_numpy()
    levels = np.concatenate([[amounts[0]], amounts[0] + np.cumsum(amounts[1:-1])])
    low = float(min(levels.min(), amounts[-1], amounts[0]))
    high = float(max(levels.max(), amounts[-1], amounts[0]))
    span = max(high - low, abs(high) * 0.02, 1.0)
    floor = max(0.0, low - span * 0.9)
    with readable():
        fig, ax = chart(height=0.6 * len(steps) + 1.4)
        y = np.arange(len(steps))[::-1]
        for i, amount in enumerate(amounts):
            if i in (0, len(steps) - 1):
                left, width, colour = floor, amount - floor, PALETTE[0] if i == 0 else TARGET_COLOUR
                text = money(amount, lang)
            else:
                end = levels[i]
                left, width = end - amount, amount
                colour = STATUS_COLOURS["good"] if amount >= 0 else STATUS_COLOURS["bad"]
                text = ("+" if amount >= 0 else "−") + money(abs(amount), lang)
            ax.barh(y[i], width, left=left, color=colour, height=0.62)
            right_end = float(left) + max(float(width), 0.0)
            ax.text(right_end + span * 0.04, y[i], text, va="center", fontsize=14)
        for i in range(len(steps) - 1):  # connectors between consecutive levels
            level = amounts[0] if i == 0 else levels[i]
            ax.plot([level, level], [y[i] - 0.31, y[i + 1] + 0.31], color=MUTED, linewidth=1)
        ax.set_yticks(y, [_w(f"step_{s}", lang) for s in steps])
        ax.set_xlim(floor, high + span * 0.55)
        ax.xaxis.set_major_formatter(money_axis(lang))
        few_ticks(ax, "x", 3)
        ax.grid(axis="y", visible=False)
        return figure_html(fig, _w("bridge_chart", lang))


def trend_chart(result: MonthlyReviewResult, lang: str) -> str:
    """Revenue of the last 12 months against target, then the forecast of the quarter with its
    80 % band (the forecast analysis' own figures).
    """
    frame = result.trend
    if frame.empty or frame["actual"].notna().sum() < 2:
        return ""
    frame = frame.assign(month=pd.to_datetime(frame["month"]))
    with readable():
        fig, ax = chart(height=4.0)
        past = frame[frame["actual"].notna()]
        ahead = frame[frame["forecast"].notna()]
        ax.plot(past["month"], past["actual"], color=PALETTE[0], marker="o", markersize=4, label=_w("actual", lang))
        if frame["target"].notna().any():
            ax.plot(
                frame["month"],
                frame["target"],
                color=TARGET_COLOUR,
                linestyle="--",
                linewidth=1.6,
                label=_w("target", lang),
            )
        if not ahead.empty:
            joined = pd.concat([past.tail(1).assign(forecast=past["actual"].iloc[-1]), ahead])
            ax.plot(joined["month"], joined["forecast"], color=PALETTE[1], linestyle=":", label=_w("forecast", lang))
            ax.fill_between(
                ahead["month"], ahead["lo80"], ahead["hi80"], color=PALETTE[1], alpha=0.2, label=_w("band80", lang)
            )
        ax.yaxis.set_major_formatter(money_axis(lang))
        few_ticks(ax, "y", 4)
        ticks = frame["month"].iloc[::3]
        ax.set_xticks(ticks, [f"{m:%y-%m}" for m in ticks])
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", frameon=False, ncols=2, fontsize=12, bbox_to_anchor=(0.0, 1.22))
        return figure_html(fig, _w("trend_chart", lang))


def _rep(rep_id: object, name: object, departed: bool, lang: str) -> str:
    """A rep by the run's name (marked when departed), else the result's name and departed flag."""
    shown = display("rep", rep_id, lang)
    if shown != str(rep_id):
        return shown
    return f"{name_or('rep', rep_id, name, lang)}{_w('departed_mark', lang) if departed else ''}"


def leaders_chart(result: MonthlyReviewResult, lang: str) -> str:
    """Top and bottom reps by attainment (by revenue without targets) as horizontal bars; a
    departed rep's name is marked.
    """
    frame = result.leaders
    if frame.empty:
        return ""
    by_attainment = frame["attainment"].notna().any()
    value = frame["attainment"] if by_attainment else frame["actual"]
    names = [_rep(r, n, d, lang) for r, n, d in zip(frame["rep_id"], frame["name"], frame["departed"], strict=True)]
    with readable():
        fig, ax = chart(height=0.5 * len(frame) + 1.2)
        y = np.arange(len(frame))[::-1]
        colours = [STATUS_COLOURS["good"] if g == "top" else STATUS_COLOURS["bad"] for g in frame["group"]]
        ax.barh(y, value, color=colours, height=0.62)
        top = float(np.nanmax(value)) if len(value) else 1.0
        for yi, v in zip(y, value, strict=True):
            text = f"{v:.0%}" if by_attainment else money(v, lang)
            ax.text(v + top * 0.02, yi, text, va="center", fontsize=13)
        if by_attainment:
            ax.axvline(1.0, color=TARGET_COLOUR, linestyle="--", linewidth=1.4)
            ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        else:
            ax.xaxis.set_major_formatter(money_axis(lang))
        ax.set_yticks(y, names)
        ax.set_xlim(0, top * 1.25)
        few_ticks(ax, "x", 3)
        ax.grid(axis="y", visible=False)
        return figure_html(fig, _w("leaders_chart", lang))


def quarter_chart(result: MonthlyReviewResult, lang: str) -> str:
    """The quarter's forecast as a bar with its 80 % band against the target line."""
    q = result.quarter
    if not q or pd.isna(q.get("forecast")):
        return ""
    with readable():
        fig, ax = chart(height=2.2)
        status = attainment_status(q.get("attainment"))
        ax.barh([0], [q["forecast"]], color=STATUS_COLOURS[status], height=0.5)
        if pd.notna(q.get("lo80")) and pd.notna(q.get("hi80")):
            ax.errorbar(
                [q["forecast"]],
                [0],
                xerr=[[q["forecast"] - q["lo80"]], [q["hi80"] - q["forecast"]]],
                color=TARGET_COLOUR,
                capsize=8,
                linewidth=2,
            )
        if pd.notna(q.get("target")):
            ax.axvline(q["target"], color=TARGET_COLOUR, linestyle="--", linewidth=1.6)
            ax.text(q["target"], 0.42, _w("target", lang), ha="center", fontsize=13)
        ax.set_yticks([0], [str(q["label"])])
        right = float(np.nanmax([q["forecast"], q.get("hi80", np.nan), q.get("target", np.nan)]))
        ax.set_xlim(0, right * 1.1)
        ax.set_ylim(-0.5, 0.7)
        ax.xaxis.set_major_formatter(money_axis(lang))
        few_ticks(ax, "x", 3)
        ax.grid(axis="y", visible=False)
        return figure_html(fig, _w("quarter_chart", lang))
