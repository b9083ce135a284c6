"""The forecast's charts: the monthly outlook with its bands, and attainment by region."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.report.forecast.words import word
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment
from salesops_lib.report.names import display
from salesops_lib.report.theme import PALETTE, apply_theme


def _money_axis(ax: plt.Axes, lang: str) -> None:
    ax.yaxis.set_major_formatter(money_axis(lang))  # one unit per axis, stated on every tick


def outlook_chart(result: ForecastResult, lang: str) -> Figure:
    """Monthly actuals, the forecast with its 80 % and 95 % bands, the monthly target and the target period."""
    apply_theme()
    frame = result.monthly
    fig, ax = plt.subplots(figsize=(10, 4.2))
    months = pd.to_datetime(frame["month"])
    ahead = frame["forecast"].notna()
    ax.fill_between(
        months[ahead],
        frame.loc[ahead, "lo95"],
        frame.loc[ahead, "hi95"],
        color=PALETTE[0],
        alpha=0.12,
        label=word("interval95", lang),
    )
    ax.fill_between(
        months[ahead],
        frame.loc[ahead, "lo80"],
        frame.loc[ahead, "hi80"],
        color=PALETTE[0],
        alpha=0.25,
        label=word("interval80", lang),
    )
    ax.plot(
        months[~ahead],
        frame.loc[~ahead, "actual"],
        color=PALETTE[0],
        marker="o",
        markersize=3,
        label=word("actual", lang),
    )
    ax.plot(
        months[ahead],
        frame.loc[ahead, "forecast"],
        color=PALETTE[1],
        marker="o",
        markersize=3,
        linestyle="--",
        label=word("forecast", lang),
    )
    if frame["target"].notna().any():
        ax.plot(months, frame["target"], color=PALETTE[7], linestyle=":", label=word("target", lang))
    first = pd.Timestamp(result.target_months[0])
    last = pd.Timestamp(result.target_months[-1]) + pd.offsets.MonthEnd(0)
    # the x axis holds dates (matplotlib converts them); its stubs type x as a float
    ax.axvspan(
        first - pd.Timedelta(days=15),  # type: ignore[arg-type]
        last - pd.Timedelta(days=15),  # type: ignore[arg-type]
        color=PALETTE[2],
        alpha=0.08,
        label=f"{word('target_quarter', lang)} {result.target_label}",
    )
    _money_axis(ax, lang)
    ax.set_title(word("outlook_title", lang))
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    ax.set_xlabel("")
    fig.tight_layout()
    plt.close(fig)
    return fig


def regions_chart(result: ForecastResult, lang: str) -> Figure | HtmlFragment:
    """Projected attainment by region with the 80 % interval and the 100 % line."""
    frame = result.units[result.units["level"] == "region"].copy()
    if frame.empty or not frame["target"].gt(0).any():
        return HtmlFragment("")
    apply_theme()
    frame = frame.sort_values("attainment")
    low, high = frame["lo80"] / frame["target"], frame["hi80"] / frame["target"]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(frame) + 1.6))
    y = np.arange(len(frame))
    colors = [PALETTE[3] if p < 0.2 else PALETTE[0] for p in frame["p_hit"]]
    ax.barh(y, frame["attainment"], color=colors, alpha=0.8)
    ax.errorbar(
        frame["attainment"],
        y,
        xerr=[frame["attainment"] - low, high - frame["attainment"]],
        fmt="none",
        ecolor="#333333",
        capsize=3,
    )
    ax.axvline(1.0, color=PALETTE[7], linestyle="--")
    for yi, (att, p) in enumerate(zip(frame["attainment"], frame["p_hit"], strict=True)):
        ax.text(float(high.iloc[yi]) + 0.005, yi, f"{att:.0%} · P={p:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, [display("region", u, lang) for u in frame["unit"]])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    lo = min(0.8, float(low.min()) - 0.02)
    ax.set_xlim(lo, max(1.15, float(high.max()) + 0.12))
    ax.set_title(word("regions_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig
