"""The collections and customer-value charts: collections trend, aging by region, cohort
retention and the predictive model's hold-out check.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from salesops_lib.analyses.collections_customers import CollectionsCustomersResult
from salesops_lib.analyses.collections_customers.receivables import BUCKETS
from salesops_lib.metrics import METRICS
from salesops_lib.report.collections_customers.words import bucket_label, label
from salesops_lib.report.formats import money_axis
from salesops_lib.report.html import HtmlFragment, e
from salesops_lib.report.names import display
from salesops_lib.report.theme import PALETTE, apply_theme


def collections_trend(result: CollectionsCustomersResult, lang: str) -> Figure | HtmlFragment:
    """Collection rate and overdue share by region; DSO and CEI of the company (or region in scope)."""
    if result.receivables is None:
        return HtmlFragment("")
    apply_theme()
    trend = result.receivables.trend
    slipping = set(result.receivables.slip.loc[result.receivables.slip["slipping"], "unit"])
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.4), squeeze=False)
    panels = [
        ("collection_rate", METRICS["collection_rate"].label(lang), True),
        ("overdue_share", label("overdue_share", lang), True),
        ("dso", METRICS["dso"].label(lang), False),
        ("cei", label("cei", lang), False),
    ]
    for ax, (column, title, by_region) in zip(axes.flat, panels, strict=True):
        units = sorted(u for u in trend["unit"].unique() if u != "company") if by_region else []
        units = units or ["company"]
        for i, unit in enumerate(units):
            series = trend[trend["unit"] == unit].set_index("period")[column].dropna()
            alert = unit in slipping
            colour = "#c8423b" if alert else (PALETTE[0] if unit == "company" else PALETTE[1:][i % 7])
            name = (
                (display("region", result.region, lang) if result.region else label("company", lang))
                if unit == "company"
                else display("region", unit, lang)
            )
            ax.plot(
                series.index,
                series.to_numpy(),
                marker="o",
                markersize=3,
                color=colour,
                linewidth=2.4 if alert else 1.3,
                label=name,
                alpha=1.0 if alert or unit == "company" else 0.75,
            )
        ax.set_title(title, fontsize=11)
        if column in ("collection_rate", "overdue_share"):
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.set_xlabel("")
        if by_region and len(units) > 1:
            ax.legend(fontsize=8, ncol=3, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def aging_chart(result: CollectionsCustomersResult, lang: str) -> Figure | HtmlFragment:
    """Open receivables by region, stacked by aging bucket."""
    if result.receivables is None or result.receivables.aging["region"].empty:
        return HtmlFragment("")
    apply_theme()
    frame = result.receivables.aging["region"].set_index("unit")[list(BUCKETS)]
    frame.index = [display("region", u, lang) for u in frame.index]
    colours = ["#9bb7d9", "#f2c48d", "#e89a5c", "#d8664a", "#a8322c"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    left = np.zeros(len(frame))
    for bucket, colour in zip(BUCKETS, colours, strict=True):
        ax.barh(frame.index, frame[bucket], left=left, color=colour, label=bucket_label(bucket, lang))
        left += frame[bucket].to_numpy()
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(money_axis(lang))
    ax.set_xlabel(label("amount_axis", lang))
    ax.set_title(label("aging_title", lang), fontsize=11)
    ax.legend(fontsize=8, ncol=5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    plt.close(fig)
    return fig


def cohort_heatmap(result: CollectionsCustomersResult, lang: str) -> Figure | HtmlFragment:
    """Retention by acquisition cohort × quarter since acquisition (k ≥ 1)."""
    cohorts = result.customers.cohorts
    cohorts = cohorts[cohorts["k"] >= 1] if not cohorts.empty else cohorts
    if cohorts.empty:
        return HtmlFragment(f"<p>{e(label('no_history', lang))}</p>")
    apply_theme()
    import seaborn as sns

    grid = cohorts.pivot(index="cohort", columns="k", values="retention")
    sizes = result.customers.cohorts.groupby("cohort")["customers"].first()
    grid.index = [f"{c.year}Q{(c.month - 1) // 3 + 1} ({int(sizes.get(c, 0))})" for c in grid.index]
    fig, ax = plt.subplots(figsize=(min(12, 2 + 0.9 * grid.shape[1]), 0.45 * len(grid) + 1.6))
    sns.heatmap(
        grid,
        annot=True,
        fmt=".0%",
        cmap="Blues",
        cbar=False,
        ax=ax,
        annot_kws={"fontsize": 8},
        vmin=0.0,
        vmax=max(0.5, float(np.nanmax(grid.to_numpy()))),
        linewidths=0.5,
        linecolor="white",
    )
    ax.grid(False)
    ax.set_xlabel(label("quarter_k", lang))
    ax.set_ylabel(label("cohort_axis", lang).format(cohort=label("cohort", lang), size=label("cohort_size", lang)))
    fig.tight_layout()
    plt.close(fig)
    return fig


def calibration_plot(result: CollectionsCustomersResult, lang: str) -> Figure | HtmlFragment:
    """Predicted vs actual purchases per customer in the hold-out window, by decile of the prediction."""
    prediction = result.customers.prediction
    if prediction is None:
        return HtmlFragment("")
    apply_theme()
    table = prediction.calibration
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = table["decile"].to_numpy()
    ax.bar(x - 0.2, table["predicted"], width=0.4, color=PALETTE[0], label=label("predicted", lang))
    ax.bar(x + 0.2, table["actual"], width=0.4, color=PALETTE[1], label=label("actual", lang))
    ax.set_xticks(x)
    ax.set_xlabel(label("decile", lang))
    ax.set_ylabel(label("purchases_axis", lang))
    ax.set_title(label("calibration_title", lang), fontsize=11)
    ax.legend(fontsize=9, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig
