"""The target split page: overview, regions and teams, phasing table, reps, audit (achievability,
fairness, alignment), what-if and the Excel export's list of files.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.analyses.target_split.audit import MIN_POINTS
from salesops_lib.core.periods import months_between
from salesops_lib.metrics.formatting import formatted
from salesops_lib.report.formats import (
    Columns,
    heading,
    labelled_table,
    money,
    money_column,
    paragraph,
    pct,
    signed_pct,
)
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.names import namer, unit_name
from salesops_lib.report.target_split.frames import in_scope, monthly_with_region
from salesops_lib.report.target_split.words import bound_word, label, plan_label, unit_label
from salesops_lib.report.target_split.workbook import write_workbooks

if TYPE_CHECKING:
    pass

    #: a table's columns for :func:`labelled_table`: name → (label key, formatter)

WHATIF_REPS = 10
"""Reps listed in the what-if comparison (those whose target moves most)."""


# --------------------------------------------------------------------------- overview


def overview(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Tiles (plan year, company target, base, growth, reps) and how the split was made."""
    plan = result.plan
    company = plan.units.iloc[0]
    reps = plan.units[plan.units["level"] == "rep"]
    tiles = [
        (label("plan_year", lang), plan_label(result, lang)),
        (label("company_target", lang), money(company["target"], lang)),
        (label("base", lang), money(company["base"], lang)),
        (label("growth", lang), pct(company["growth"], signed=True)),
        (label("reps_count", lang), f"{len(reps)}"),
    ]
    tiles_html = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div></div>"
        for k, v in tiles
    )
    params = result.settings
    note = label("overview_note", lang).format(
        start=plan.base_window[0].strftime("%Y-%m"),
        end=plan.base_window[1].strftime("%Y-%m"),
        covered=plan.base_months_covered,
        annualised=label("annualised", lang) if plan.base_months_covered < 12 else "",
        step=formatted(plan.step, "g"),
        floor=pct(params["growth_floor"], signed=True),
        cap=pct(params["growth_cap"], signed=True),
        levels=("、" if lang == "zh" else ", ").join(label(x, lang) for x in params["bound_levels"])
        or label("none", lang),
        locks=params["locks"],
        hires=int(reps["new_position"].sum()),
    )
    methods = plan.methods.assign(
        level=lambda f: f["level"].map(lambda x: label(x, lang)),
        method=lambda f: f["method"].map(lambda x: label(x, lang)),
        components=lambda f: f["components"].map(
            lambda c: ("，" if lang == "zh" else ", ").join(
                f"{label(p.split(':')[0], lang)} {float(p.split(':')[1]):.0%}" for p in c.split(",") if p
            )
        ),
    )
    table = labelled_table(
        methods,
        {
            "level": ("level", str),
            "method": ("method", str),
            "components": ("components", str),
            "fallback": ("fallback", str),
        },
        lambda k: label(k, lang),
    )
    return HtmlFragment(
        f"<style>{TILE_CSS}</style>"
        + heading(label("overview", lang))
        + f"<div class='so-tiles'>{tiles_html}</div>"
        + paragraph(note)
        + f"<h3>{e(label('methods', lang))}</h3>"
        + table
    )


def units(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Regions and teams: base, target, growth, share, method shares, FTE, target per FTE, bound."""
    frame = in_scope(result, result.units[result.units["level"].isin(["company", "region", "team"])]).copy()
    frame["unit"] = [unit_label(r, lang) for r in frame.itertuples()]
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    columns: Columns = {
        "level_label": ("level", str),
        "unit": ("unit", str),
        "base": ("base", money),
        "target": ("target", money),
        "growth": ("growth", signed_pct),
        "share": ("share", pct),
        "w_history": ("w_history", pct),
        "w_capacity": ("w_capacity", pct),
    }
    if frame["w_potential"].notna().any():
        columns["w_potential"] = ("w_potential", pct)
    columns |= {
        "fte": ("fte", lambda v: formatted(v, ".1f")),
        "per_fte": ("per_fte", money),
        "bound": ("bound", lambda c: bound_word(c, lang)),
    }
    if frame["existing"].notna().any():
        columns["existing"] = ("existing", money)
    return HtmlFragment(
        heading(label("units", lang))
        + paragraph(label("units_note", lang))
        + labelled_table(frame, columns, lambda k: label(k, lang), lang)
    )


# --------------------------------------------------------------------------- phasing


def phasing_heading(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """The phasing section's heading (the year's or the quarter's) and its note."""
    title = label("phasing_quarter" if result.plan.plan_quarter else "phasing", lang)
    return HtmlFragment(heading(title) + paragraph(label("phasing_note", lang)))


def phasing_table(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Months and quarters (rows) of the company and its regions (and the teams of the region in scope)."""
    levels = ["company", "region", "team"] if result.region else ["company", "region"]
    monthly = in_scope(result, monthly_with_region(result))
    monthly = monthly[monthly["level"].isin(levels)]
    wide = monthly.pivot_table(index="month", columns=["level", "unit_id"], values="amount", aggfunc="sum", sort=False)
    rows = []
    for q in range(1, 5):
        months = [m for m in wide.index if (m.month - 1) // 3 + 1 == q]
        if not months:
            continue
        rows += [(m.strftime("%Y-%m"), wide.loc[m]) for m in months]
        rows.append((label("quarter_n", lang).format(n=q), wide.loc[months].sum()))
    rows.append((label("year_total", lang), wide.sum()))
    column = money_column(wide.to_numpy().ravel(), lang)  # one unit for the whole grid
    shown = pd.DataFrame({row: column.cells(values) for row, values in rows}).T
    level_units = cast("pd.MultiIndex", shown.columns)  # (level, unit_id) pairs of the pivot
    shown.columns = [column.header(unit_name(lvl, unit, lang)) for lvl, unit in level_units]
    shown.index.name = label("month_label", lang)
    return HtmlFragment(table_html(shown))


def reps(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Every rep's target (collapsed), with base, growth, capacity and bound."""
    frame = in_scope(result, result.units[result.units["level"] == "rep"]).copy()
    frame["unit"] = [unit_label(r, lang) for r in frame.itertuples()]
    assessed = result.achievability.set_index(["level", "unit_id"])["assessment"]
    frame["assessment"] = [assessed.get(("rep", u), "unknown") for u in frame["unit_id"]]
    columns: Columns = {
        "team": ("team", namer("team", lang)),
        "unit": ("unit", str),
        "base": ("base", money),
        "target": ("target", money),
        "growth": ("growth", signed_pct),
        "fte": ("fte", lambda v: formatted(v, ".2f")),
        "per_fte": ("per_fte", money),
        "assessment": ("assessment", lambda a: label(f"as_{a}", lang)),
        "bound": ("bound", lambda c: bound_word(c, lang)),
    }
    table = labelled_table(frame, columns, lambda k: label(k, lang), lang)
    summary = label("reps_summary", lang).format(n=len(frame))
    return HtmlFragment(heading(label("reps", lang)) + f"<details><summary>{e(summary)}</summary>{table}</details>")


# --------------------------------------------------------------------------- audit


def achievability(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Regions and teams against their own growth record; a count for reps."""
    plan = result.plan
    gap = months_between(plan.base_window[0], plan.plan_months[0])
    q = result.settings["stretch_quantile"]
    note = label("achievability_note", lang).format(
        gap=gap, q_high=formatted(q, ".0%"), q_low=formatted(1 - q, ".0%"), min_points=MIN_POINTS
    )
    frame = in_scope(result, result.achievability)
    upper = frame[frame["level"].isin(["region", "team"])].copy()
    upper["level_label"] = upper["level"].map(lambda x: label(x, lang))
    upper["unit"] = [unit_name(lvl, u, lang) for lvl, u in zip(upper["level"], upper["unit_id"], strict=True)]
    upper["reference"] = upper["reference"].where(upper["assessment"] != "unknown", "")
    columns: Columns = {
        "level_label": ("level", str),
        "unit": ("unit", str),
        "target": ("target", money),
        "implied_growth": ("implied", signed_pct),
        "low": ("low_quantile", signed_pct),
        "median": ("median", signed_pct),
        "high": ("high_quantile", signed_pct),
        "reference": ("reference", lambda r: label(f"ref_{r}", lang) if r else "—"),
        "assessment": ("assessment", lambda a: label(f"as_{a}", lang)),
    }
    counts = frame[frame["level"] == "rep"]["assessment"].value_counts()
    rep_line = label("reps_assessed", lang).format(
        **{k: int(counts.get(k, 0)) for k in ("stretch", "within", "soft", "unknown")}
    )
    return HtmlFragment(
        heading(label("achievability", lang))
        + paragraph(note)
        + labelled_table(upper, columns, lambda k: label(k, lang), lang)
        + paragraph(rep_line)
    )


def fairness(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Spread of target per ramped FTE by level, and per market potential for regions."""
    frame = result.fairness.copy()
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    frame["measure_label"] = frame["measure"].map(lambda m: label(f"m_{m}", lang))
    value = {
        "per_fte": lambda v: money(v, lang),
        "per_potential": lambda v: formatted(v, ".3f"),
    }  # rows differ: sized per cell
    for column in ("min", "median", "max"):
        frame[column] = [value[m](v) for m, v in zip(frame["measure"], frame[column], strict=True)]
    columns: Columns = {
        "level_label": ("level", str),
        "measure_label": ("measure", str),
        "units": ("count", str),
        "min": ("min", str),
        "median": ("median", str),
        "max": ("max", str),
        "cv": ("cv", lambda v: formatted(v, ".2f")),
        "gini": ("gini", lambda v: formatted(v, ".3f")),
    }
    return HtmlFragment(
        heading(label("fairness", lang))
        + paragraph(label("fairness_note", lang))
        + labelled_table(frame, columns, lambda k: label(k, lang), lang)
    )


def alignment(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Regions and teams: target share vs FTE share vs budget share."""
    frame = in_scope(result, result.alignment).copy()
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    frame["unit"] = [unit_name(lvl, u, lang) for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)]
    columns: Columns = {
        "level_label": ("level", str),
        "unit": ("unit", str),
        "target_share": ("target_share", pct),
        "fte_share": ("fte_share", pct),
        "budget_share": ("budget_share", pct),
        "index": ("index", lambda v: formatted(v, ".2f")),
    }
    return HtmlFragment(
        heading(label("alignment", lang))
        + paragraph(label("alignment_note", lang))
        + labelled_table(frame, columns, lambda k: label(k, lang), lang)
    )


# --------------------------------------------------------------------------- what-if and Excel


def whatif(result: TargetSplitResult, lang: str) -> HtmlFragment:
    """Regions and teams under the current and the what-if parameters, and the reps that move most
    (nothing without ``whatif``).
    """
    if result.whatif.empty:
        return HtmlFragment("")
    frame = in_scope(result, result.whatif).copy()
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    frame["unit"] = [unit_name(lvl, u, lang) for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)]
    columns: Columns = {
        "level_label": ("level", str),
        "unit": ("unit", str),
        "target": ("target", money),
        "target_whatif": ("target_whatif", money),
        "difference": ("difference", money),
        "change": ("change", signed_pct),
    }
    upper = frame[frame["level"].isin(["company", "region", "team"])]
    reps = frame[frame["level"] == "rep"]
    movers = reps.reindex(reps["difference"].abs().sort_values(ascending=False).index).head(WHATIF_REPS)
    note = label("whatif_note", lang).format(settings=result.whatif_settings)
    reps_note = label("whatif_reps", lang).format(n=len(movers), total=len(reps))
    return HtmlFragment(
        heading(label("whatif", lang))
        + paragraph(note)
        + labelled_table(upper, columns, lambda k: label(k, lang), lang)
        + (
            paragraph(reps_note) + labelled_table(movers, columns, lambda k: label(k, lang), lang)
            if len(movers)
            else ""
        )
    )


def export_excel(result: TargetSplitResult, lang: str, folder: str) -> HtmlFragment:
    """Write the workbooks (headed in ``lang``) into ``folder`` ("" = no export) and list them."""
    if not folder:
        return HtmlFragment("")
    paths = write_workbooks(result, lang, Path(folder))
    items = "".join(f"<li>{e(p)}</li>" for p in paths)
    return HtmlFragment(
        heading(label("excel", lang)) + paragraph(label("excel_files", lang).format(n=len(paths))) + f"<ul>{items}</ul>"
    )


# --------------------------------------------------------------------------- notebook display


def summary_html(result: TargetSplitResult, lang: str = "zh") -> str:
    """The company's and the regions' base, target and growth (how a result shows when a notebook
    cell ends with it).
    """
    rows = "".join(
        f"<tr><td>{html.escape(unit_name(r.level, r.unit_id, lang))}</td><td>{money(r.base, lang)}</td><td>{money(r.target, lang)}</td>"
        f"<td>{formatted(r.growth, '+.1%')}</td></tr>"
        for r in result.units[result.units["level"].isin(["company", "region"])].itertuples()
    )
    head = "".join(f"<th>{e(label(key, lang))}</th>" for key in ("unit", "base", "target", "growth"))
    return f"<table class='salesops-targets'><tr>{head}</tr>{rows}</table>"
