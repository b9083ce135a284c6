"""One seaborn theme for every plot, with the project's CJK font registered after it.

``sns.set_theme()`` resets matplotlib's font list, so the font goes in *after* the theme;
:func:`apply_theme` does both, and is what every notebook and dashboard calls.
"""

from __future__ import annotations

from typing import Any

import matplotlib

from salesops_lib.report.fonts import FAMILY, cjk_font_path

PALETTE = ["#1f5aa6", "#e07b39", "#3a9d5d", "#c8423b", "#7d5ba6", "#8c6d46", "#d16ba5", "#6b7b8c"]
"""Brand colours: blue for the company, then one per series; red is kept for alerts."""

READABLE: dict[str, Any] = {
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 13,
    "lines.linewidth": 2.4,
}
"""Sizes of a chart read on a phone: a figure of about 6.4 in shown 360 px wide still has
text of about 12 px (:func:`salesops_lib.report.plots.chart`)."""
STATUS_COLOURS = {"good": "#3a9d5d", "warn": "#e0a030", "bad": "#c8423b", "": "#1f5aa6"}
"""Colour of an attainment status (see :func:`salesops_lib.report.html.attainment_status`)."""

_applied = False


def apply_theme(*, force: bool = False) -> None:
    """Apply the workbench theme (idempotent): seaborn whitegrid, palette, CJK-capable fonts."""
    global _applied  # noqa: PLW0603 - the theme is applied once per process
    if _applied and not force:
        return
    import seaborn as sns

    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        rc={
            "figure.figsize": (8.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "normal",  # the CJK font ships one weight: no synthetic bold
            "axes.titlesize": 13,
            "axes.spines.top": False,
            "axes.spines.right": False,
        },
    )
    _register_font()
    _applied = True


def _register_font() -> None:
    from matplotlib import font_manager

    path = cjk_font_path()
    if str(path) not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font's minus sign renders; U+2212 may not


def apply_light_theme() -> None:
    """The same look for live dashboards without importing seaborn (and with it scipy.stats, about
    1.5 s per kernel): white grid, palette, top and right spines off, the project's font.
    """
    from cycler import cycler

    matplotlib.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.grid": True,
            "axes.facecolor": "white",
            "axes.edgecolor": "#cccccc",
            "grid.color": "#e3e3e3",
            "axes.axisbelow": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 13,
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "axes.labelcolor": "#333333",
        }
    )
    _register_font()
