"""Plots shared by reports: one theme (see :mod:`salesops_lib.report.theme`), zh/en labels."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import e
from salesops_lib.report.money import MONEY_METRIC_UNITS
from salesops_lib.report.theme import READABLE, apply_theme

CHART_WIDTH = 6.4
"""Width (inches) of a chart that must read on a phone: with :data:`~.theme.READABLE` sizes."""


@contextmanager
def readable() -> Iterator[None]:
    """The workbench theme with the phone-readable sizes (:data:`~.theme.READABLE`) in force."""
    apply_theme()
    with plt.rc_context(READABLE):  # type: ignore[arg-type]  # rc keys are checked by matplotlib at run time
        yield


def chart(height: float = 3.8, width: float = CHART_WIDTH) -> tuple[Figure, Axes]:
    """A one-axes figure for a page chart: call inside :func:`readable`, end with :func:`figure_html`."""
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def few_ticks(ax: Axes, axis: str = "y", ticks: int = 4) -> None:
    """At most about ``ticks`` ticks on ``axis`` (``x`` or ``y``)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(ticks))


def figure_html(fig: Figure, alt: str, *, dpi: int = 144) -> str:
    """``fig`` as an inline PNG that shrinks to the screen's width (never wider than drawn), then
    closed; ``alt`` describes it (screen readers, the PDF's text).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    width = round(fig.get_figwidth() * 100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure class='so-chart' style='margin:8px 0 18px;max-width:100%'>"
        f"<img src='data:image/png;base64,{data}' alt='{e(alt)}' "
        f"style='width:{width}px;max-width:100%;height:auto;display:block'></figure>"
    )


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
