"""Plots shared by reports: one theme (see :mod:`salesops_lib.report.theme`), zh/en labels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.formats import money_axis
from salesops_lib.report.money import MONEY_METRIC_UNITS
from salesops_lib.report.theme import apply_theme


def small_multiples(frame: pd.DataFrame, lang: str, *, columns: int = 3) -> Figure:
    """One line chart per metric column of ``frame`` (index: month), labelled in ``lang``."""
    apply_theme()
    names = [c for c in frame.columns if frame[c].notna().any()]
    rows = max(1, -(-len(names) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        metric = METRICS[name]
        series = frame[name].dropna()
        ax.plot(series.index, series.values, marker="o", markersize=3)
        ax.set_title(metric.label(lang), fontsize=11)
        ax.yaxis.set_major_formatter(
            money_axis(lang)
            if metric.unit in MONEY_METRIC_UNITS
            else FuncFormatter(lambda v, _pos, unit=metric.unit: format_value(v, unit))
        )
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig
