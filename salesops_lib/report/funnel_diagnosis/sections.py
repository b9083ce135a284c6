"""The funnel diagnosis page: its sections as HTML fragments (tiles, funnel, losses, durations,
cohorts, segments, the month's changes, the bridge and a process change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.analyses.funnel_diagnosis.bridge import LEAD_RATE, SIZE, TIMING
from salesops_lib.analyses.funnel_diagnosis.process_change import BEFORE_DAYS, SETTLE_DAYS
from salesops_lib.metrics.formatting import formatted
from salesops_lib.report.formats import Columns, labelled_table, money, money_column, pct
from salesops_lib.report.formats import signed_pct as signed
from salesops_lib.report.funnel_diagnosis.words import (
    compare_words,
    days,
    factor_word,
    has_label,
    label,
    num,
    p_text,
    points,
    signed_points,
    step_word,
    unit_word,
    word,
)
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.layout import list_note, methods_note
from salesops_lib.report.names import names_list

"""A table's columns: column → (label key, format of a cell, whose type is known only at run time)."""


def h2(key: str, lang: str) -> str:
    """A section heading: the label ``key`` in ``lang``."""
    return f"<h2>{e(label(key, lang))}</h2>"


def h3(text: str) -> str:
    """A sub-heading with the (escaped) ``text``."""
    return f"<h3>{e(text)}</h3>"


def note(text: str) -> str:
    """A muted explanatory paragraph with the (escaped) ``text``."""
    return f"<p class='so-note' style='color:#51606f;font-size:13px'>{e(text)}</p>"


def _interval(diff: Callable[[Any], str], lo: Any, hi: Any) -> str:
    """A confidence interval ``[lo, hi]`` worded by ``diff`` ("—" when it has no bounds)."""
    return f"[{diff(lo)}, {diff(hi)}]" if np.isfinite(lo) else "—"


def frame_table(frame: pd.DataFrame, columns: Columns, lang: str) -> str:
    """``frame``'s ``columns`` (column → (label key, format)) as a table with labelled headers."""
    return labelled_table(frame, columns, lambda key: label(key, lang), lang)


def summary_html(result: FunnelResult, lang: str = "zh") -> str:
    """The funnel as a compact table (how a result shows when a notebook cell ends with it)."""
    head = "".join(
        f"<th>{e(label(key, lang))}</th>" for key in ("stage", "reached", "advanced", "lost", "open", "conversion")
    )
    rows = "".join(
        f"<tr><td>{e(str(r.step))}</td><td>{formatted(r.reached, ',.0f')}</td><td>{formatted(r.advanced, ',.0f')}</td>"
        f"<td>{formatted(r.lost, ',.0f')}</td><td>{formatted(r.open, ',.0f')}</td>"
        f"<td>{'—' if pd.isna(r.conversion) else f'{r.conversion:.1%}'}</td></tr>"
        # a funnel row's values are known only at run time (a conversion may be NaN)
        for r in cast("Iterable[Any]", result.funnel.itertuples())
    )
    return f"<table class='salesops-funnel'><tr>{head}</tr>{rows}</table>"


# --------------------------------------------------------------------------- funnel


def tiles(result: FunnelResult, lang: str) -> HtmlFragment:
    """Headline tiles: lead/deal → won, win rate, cycle, the bottleneck stage, stalled value."""
    funnel = result.funnel.set_index("step")
    won = funnel.loc[result.stages[-1]]
    decided_won = result.funnel[result.funnel["k"] >= 0]
    lost_total = decided_won["lost"].sum()
    win_rate = won["reached"] / (won["reached"] + lost_total) if won["reached"] + lost_total else np.nan
    factors = result.bridge_factors
    cycle = cast("float", factors.loc["cycle_days", "latest"]) if "cycle_days" in factors.index else np.nan  # days
    stages_only = result.value_lost[result.value_lost["k"] >= 0]
    bottleneck = word(stages_only.iloc[0]["step"], lang) if len(stages_only) else "—"
    stalled = result.stalled if not result.stalled.empty else pd.DataFrame({"stalled": [0.0], "stalled_value": [0.0]})
    value = float(stalled["stalled_value"].sum())
    items = [
        ("tile_cumulative", pct(won["cumulative"])),
        ("tile_win_rate", pct(win_rate)),
        ("tile_cycle", days(cycle)),
        ("tile_bottleneck", bottleneck),
        ("tile_stalled", money(value, lang)) if value > 0 else ("tile_stalled_deals", num(stalled["stalled"].sum())),
    ]
    cells = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(label(k, lang))}</div><div class='so-value'>{e(v)}</div></div>"
        for k, v in items
    )
    return HtmlFragment(f"<style>{TILE_CSS}</style><div class='so-tiles'>{cells}</div>")


def funnel_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """The funnel table with its counting rule."""
    window = (
        label("window_all", lang)
        if result.window_start is None
        else label("window_from", lang, start=result.window_start.isoformat(), end=result.as_of.isoformat())
    )
    text = label("funnel_note", lang, window=window, leads=label("funnel_leads_note", lang) if result.has_leads else "")
    if result.undated:
        text += " " + label("undated_note", lang, n=formatted(result.undated, ","))
    frame = result.funnel.copy()
    frame["label"] = [
        step_word(s, result.stages, lang) if k < len(result.stages) - 1 else word(s, lang)
        for s, k in zip(frame["step"], frame["k"], strict=True)
    ]
    frame["interval"] = [
        f"{pct(lo)} – {pct(hi)}" if np.isfinite(lo) else "—"
        for lo, hi in zip(frame["conversion_lo"], frame["conversion_hi"], strict=True)
    ]
    table = frame_table(
        frame,
        {
            "label": ("step", str),
            "reached": ("reached", num),
            "advanced": ("advanced", num),
            "lost": ("lost", num),
            "open": ("open", num),
            "conversion": ("conversion", pct),
            "interval": ("interval", str),
            "cumulative": ("cumulative", pct),
        },
        lang,
    )
    return HtmlFragment(h2("funnel_title", lang) + note(text) + table)


# --------------------------------------------------------------------------- losses


def losses_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """Expected value lost per step, loss reasons by stage and the units' recoverable value."""
    lost = result.value_lost.copy()
    lost["label"] = [step_word(s, result.stages, lang) for s in lost["step"]]
    parts = [
        h2("losses_title", lang),
        note(label("losses_note", lang)),
        frame_table(
            lost,
            {
                "label": ("step", str),
                "lost": ("lost_deals", num),
                "lost_amount": ("lost_amount", money),
                "expected_value_lost": ("expected_lost", money),
                "share": ("share", pct),
            },
            lang,
        ),
    ]
    if not result.lost_reasons.empty:
        reasons = result.lost_reasons.copy()
        stages = list(result.stages)
        reasons["stage"] = [word(stages[k], lang) for k in reasons["k"]]
        reasons["reason"] = [word(r, lang) for r in reasons["lost_reason"]]
        pivot = reasons.pivot_table(index="reason", columns="stage", values="share_of_stage", aggfunc="sum")
        pivot = pivot.reindex(columns=[word(s, lang) for s in stages if word(s, lang) in pivot.columns])
        pivot = pivot.map(lambda v: pct(v, 0) if np.isfinite(v) else "—")
        pivot.index.name = label("loss_reason", lang)
        pivot.columns.name = None
        parts += [h3(label("reasons_title", lang)), table_html(pivot)]
    if not result.bottlenecks.empty:
        top = result.bottlenecks.head(10).copy()
        top["label"] = [step_word(s, result.stages, lang) for s in top["step"]]
        top["unit_label"] = [unit_word(u, result.unit, lang) for u in top["segment"]]
        parts += [
            h3(label("weak_title", lang)),
            frame_table(
                top,
                {
                    "unit_label": ("unit", str),
                    "label": ("step", str),
                    "rate": ("rate", pct),
                    "shrunk": ("shrunk", pct),
                    "rest_rate": ("rest_rate", pct),
                    "decided": ("decided", num),
                    "recoverable_value": ("recoverable", money),
                    "significant": ("significant", lambda v: label("yes" if v else "no", lang)),
                },
                lang,
            ),
        ]
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- durations


STUCK_SHOWN = 10
"""Stalled deals on the page; the Excel download has the first LIST_ROWS of them (all, on most sources)."""
STUCK_COLUMNS: Columns = {
    "opp_id": ("deal", str),
    "unit_label": ("unit", str),
    "rep_label": ("rep", str),
    "stage": ("stage", str),
    "amount": ("amount", money),
    "entered": ("entered", lambda v: str(v)[:10]),
    "age_days": ("days_in_stage", num),
    "norm_days": ("norm_days", days),
}


def stuck_deals(result: FunnelResult, lang: str) -> pd.DataFrame:
    """The stalled open deals one by one, largest first, with ``stage``, ``unit_label`` and
    ``rep_label`` in words (the page shows the first :data:`STUCK_SHOWN`, the Excel download those
    the result holds: the first LIST_ROWS of ``stalled_deals_total``).
    """
    deals = result.stalled_deals.copy()
    if deals.empty:
        return deals
    level = next(
        c for c in deals.columns if c not in {"opp_id", "k", "rep", "amount", "entered", "age_days", "norm_days"}
    )
    deals["stage"] = [word(result.stages[k], lang) for k in deals["k"]]
    deals["unit_label"] = [unit_word(u, level, lang) for u in deals[level]]
    deals["rep_label"] = [unit_word(u, "rep", lang) for u in deals["rep"]]
    return deals


def stalled_units(result: FunnelResult, lang: str) -> pd.DataFrame:
    """The units × stages with stalled open deals, most stalled value first, with ``stage`` and
    ``unit_label`` in words.
    """
    stages = list(result.stages)
    stalled = result.stalled.copy()
    level = next(
        c
        for c in stalled.columns
        if c not in {"k", "open_deals", "open_value", "stalled", "stalled_value", "norm_days", "stalled_share"}
    )
    stalled = stalled[stalled["stalled"] > 0].sort_values("stalled_value", ascending=False)
    stalled["stage"] = [word(stages[k], lang) for k in stalled["k"]]
    stalled["unit_label"] = [unit_word(u, level, lang) for u in stalled[level]]
    return stalled


def durations_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """Median and 80th-percentile days per stage and unit, and the stalled open deals."""
    stages = list(result.stages)
    frame = result.durations.copy()
    frame["stage"] = [word(stages[k], lang) for k in frame["k"]]
    parts = [
        h2("durations_title", lang),
        note(label("durations_note", lang)),
        frame_table(
            frame,
            {
                "stage": ("stage", str),
                "stays": ("stays", num),
                "median_days": ("median_days", days),
                "p80_days": ("p80_days", days),
                "mean_days": ("mean_days", days),
            },
            lang,
        ),
    ]
    units = result.unit_durations
    if not units.empty:
        level = next(c for c in units.columns if c not in {"k", "stays", "median_days", "p80_days", "mean_days"})
        units = units.assign(
            stage=[word(stages[k], lang) for k in units["k"]],
            cell=[
                f"{days(m)}（{days(p)}）" if lang == "zh" else f"{days(m)} ({days(p)})"
                for m, p in zip(units["median_days"], units["p80_days"], strict=True)
            ],
        )
        pivot = units.pivot_table(index=level, columns="stage", values="cell", aggfunc="first")
        pivot = pivot.reindex(columns=[word(s, lang) for s in stages if word(s, lang) in pivot.columns])
        pivot.index = [unit_word(u, level, lang) for u in pivot.index]
        pivot.index.name = label(level, lang)
        pivot.columns.name = None
        parts += [h3(label("unit_durations_title", lang)), table_html(pivot)]
    if not result.stalled.empty:
        every = stalled_units(result, lang)
        stalled = every.head(12)
        parts += [
            h3(label("stalled_title", lang)),
            frame_table(
                stalled,
                {
                    "unit_label": ("unit", str),
                    "stage": ("stage", str),
                    "open_deals": ("open_deals", num),
                    "stalled": ("stalled", num),
                    "stalled_share": ("share", pct),
                    "norm_days": ("norm_days", days),
                    "stalled_value": ("stalled_value", money),
                },
                lang,
            ),
            list_note(len(stalled), len(every), lang),
        ]
    stuck = stuck_deals(result, lang)
    if not stuck.empty:
        shown = stuck.head(STUCK_SHOWN)
        parts += [
            h3(label("stuck_title", lang)),
            frame_table(shown, STUCK_COLUMNS, lang),
            list_note(len(shown), max(result.stalled_deals_total, len(stuck)), lang, kept=len(stuck)),
        ]
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- cohorts


def cohorts_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """The cohort table with its censoring rule."""
    h = result.horizon_days
    if result.cohorts.empty:
        return HtmlFragment(h2("cohorts_title", lang))
    frame = result.cohorts.copy()
    frame["month"] = frame["cohort"].dt.strftime("%Y-%m")
    frame["basis_label"] = [label(b, lang) for b in frame["basis"]]
    columns: Columns = {
        "month": ("cohort", str),
        "deals": ("deals", num),
        "won": ("won", num),
        "lost": ("lost", num),
        "open_share": ("open_share", pct),
        "win_rate_to_date": ("win_rate_to_date", pct),
        "won_by_horizon": ("won_by_h", pct),
        "basis_label": ("basis", str),
    }
    shown = pd.DataFrame(
        {
            (label(key, lang, h=h) if col == "won_by_horizon" else label(key, lang)): frame[col].map(fmt)
            for col, (key, fmt) in columns.items()
        }
    )
    return HtmlFragment(
        h2("cohorts_title", lang)
        + methods_note(note(label("cohorts_note", lang, h=h)))
        + table_html(shown, index=False)
    )


# --------------------------------------------------------------------------- segments


def segments_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """Significant segments per dimension and step, with the small ones counted."""
    seg = result.segments
    parts = [h2("segments_title", lang), methods_note(note(label("segments_note", lang, n=result.min_segment_size)))]
    if seg.empty:
        return HtmlFragment("".join(parts))
    for dimension, group in seg.groupby("dimension", sort=False):
        significant = group[group["significant"]].sort_values(["k", "difference"])
        small = int(group.loc[group["k"] == group["k"].min(), "small"].sum())
        parts.append(h3(label(str(dimension), lang)))
        chi2 = group.drop_duplicates("step")
        items = ("；" if lang == "zh" else "; ").join(
            f"{step_word(step, result.stages, lang)} {p_text(p)}"
            for step, p in zip(chi2["step"], chi2["chi2_p"], strict=True)
        )
        parts.append(methods_note(note(label("chi2", lang, items=items))))
        if significant.empty:
            parts.append(note(label("no_significant", lang)))
        else:
            shown = significant.head(15).copy()
            shown["label"] = [step_word(s, result.stages, lang) for s in shown["step"]]
            shown["segment_label"] = [unit_word(u, str(dimension), lang) for u in shown["segment"]]
            shown["interval"] = [
                f"{pct(lo)} – {pct(hi)}" for lo, hi in zip(shown["rate_lo"], shown["rate_hi"], strict=True)
            ]
            parts.append(
                frame_table(
                    shown,
                    {
                        "segment_label": ("segment", str),
                        "label": ("step", str),
                        "decided": ("decided", num),
                        "rate": ("rate", pct),
                        "interval": ("interval", str),
                        "shrunk": ("shrunk", pct),
                        "rest_rate": ("rest_rate", pct),
                        "p_adjusted": ("p_adjusted", p_text),
                    },
                    lang,
                )
            )
        if small:
            parts.append(note(label("small_segments", lang, n=small)))
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- changes


def _season_words(screen: pd.DataFrame, compare_to: str, lang: str) -> str:
    """How the expected rate was made seasonal: from how many earlier years, or why not at all."""
    if compare_to == "same-month-last-year":
        return label("season_same_month", lang)
    company = screen[screen["unit"] == "company"]
    years = int(company["seasonal_years"].min()) if len(company) else 0
    return label("season_note", lang, years=years) if years else label("season_none", lang)


def changes_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """The screen of units × steps, then the split of each flagged drop and the company's change."""
    lag = "—" if not np.isfinite(result.lead_lag_p90) else formatted(result.lead_lag_p90, ".0f")
    compare = compare_words(result.compare_to, lang)
    space = " " if lang != "zh" else ""
    text = label("changes_note", lang, basis=compare)
    if result.has_leads:
        text += space + label("changes_leads_note", lang, lag=lag)
    screen = result.screen[result.screen["stratum"] == ""]
    parts = [
        h2("changes_title", lang),
        methods_note(note(text + space + _season_words(screen, result.compare_to, lang))),
    ]
    parts.append(methods_note(note(label("multiplicity_policy", lang))))
    if screen.empty:
        return HtmlFragment("".join(parts))
    screen = screen.assign(
        label=[step_word(s, result.stages, lang) for s in screen["step"]],
        cell=[f"{signed(c)}{'*' if s else ''}" for c, s in zip(screen["change"], screen["survives"], strict=True)],
    )
    pivot = screen.pivot_table(index="label", columns="unit", values="cell", aggfunc="first")
    pivot = pivot.reindex(index=list(dict.fromkeys(screen["label"])))
    order = ["company", *sorted(u for u in pivot.columns if u != "company")]
    pivot = pivot.reindex(columns=order)
    pivot.columns = [unit_word(u, result.unit, lang) for u in pivot.columns]
    pivot.index.name = label("step", lang)
    parts += [h3(label("screen_title", lang)), table_html(pivot)]
    drops = [f for f in result.findings if f.kind == "conversion_drop"]
    if not drops:
        parts.append(note(label("no_drop", lang)))
    drivers = result.drivers
    for finding in drops:
        if finding.unit == "company" or drivers.empty:
            continue
        mine = drivers[(drivers["unit"] == finding.unit) & (drivers["step"] == finding.facts["step"])]
        mine = mine[~mine["small"]].sort_values("effect").head(8)
        if mine.empty:
            continue
        mine = mine.assign(
            dim_label=[label(d, lang) for d in mine["dimension"]],
            segment_label=[unit_word(s, d, lang) for s, d in zip(mine["segment"], mine["dimension"], strict=True)],
        )
        parts += [
            h3(
                label(
                    "drivers_title",
                    lang,
                    unit=unit_word(finding.unit, finding.level, lang),
                    step=step_word(finding.facts["step"], result.stages, lang),
                )
            ),
            methods_note(note(label("drivers_note", lang))),
            frame_table(
                mine,
                {
                    "dim_label": ("dimension", str),
                    "segment_label": ("segment", str),
                    "rate_baseline": ("baseline", pct),
                    "rate_latest": ("latest", pct),
                    "mix": ("mix", points),
                    "rate": ("rate_effect", points),
                    "effect": ("effect", points),
                    "share_of_change": ("share_of_change", lambda v: pct(v, 0)),
                    "p_adjusted": ("p_adjusted", p_text),
                },
                lang,
            ),
        ]
    for finding in drops:
        if finding.unit != "company" or result.decomposition.empty:
            continue
        part = result.decomposition[result.decomposition["step"] == finding.facts["step"]].sort_values("effect")
        part = part.assign(segment_label=[unit_word(s, result.unit, lang) for s in part["segment"]])
        parts += [
            h3(
                label(
                    "decomposition_title",
                    lang,
                    step=step_word(finding.facts["step"], result.stages, lang),
                    dimension=label(result.unit, lang),
                )
            ),
            frame_table(
                part,
                {
                    "segment_label": ("unit", str),
                    "rate_baseline": ("baseline", pct),
                    "rate_latest": ("latest", pct),
                    "mix": ("mix", points),
                    "rate": ("rate_effect", points),
                    "effect": ("effect", points),
                    "share_of_change": ("share_of_change", lambda v: pct(v, 0)),
                },
                lang,
            ),
        ]
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- bridge


def bridge_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """The bridge's unit × factor table and the company's factor values."""
    parts = [h2("bridge_title", lang), note(label("bridge_note", lang))]
    units = result.bridge_units
    if units.empty:
        return HtmlFragment("".join(parts))
    factors = [c for c in units.columns if c.startswith(("volume:", "rate:")) or c in (SIZE, TIMING)]
    shown = pd.DataFrame({label("unit", lang): [unit_word(u, result.unit, lang) for u in units["unit"]]})
    # one unit for the whole bridge, so baseline + factors = latest reads across a row
    column = money_column(units[["won_value_baseline", *factors, "won_value_latest"]].to_numpy().ravel(), lang)
    shown[column.header(label("baseline_value", lang))] = column.cells(units["won_value_baseline"])
    for name in factors:
        shown[column.header(factor_word(name, result, lang))] = column.cells(units[name])
    shown[column.header(label("latest_value", lang))] = column.cells(units["won_value_latest"])
    parts += [h3(label("bridge_units_title", lang)), table_html(shown, index=False)]
    values = result.bridge_factors
    if not values.empty:
        rows = []
        for name in values.index:
            if name in ("won_value",) or name.startswith("rate:") or name in (LEAD_RATE,):
                fmt = (
                    (lambda v: money(v, lang))
                    if name == "won_value"
                    else (lambda v: formatted(v, ".3f") if np.isfinite(v) else "—")
                    if name == LEAD_RATE
                    else pct
                )
            elif name == "cycle_days":
                fmt = days
            else:
                fmt = (lambda v: money(v, lang)) if name == SIZE else num
            name_text = label(name, lang) if has_label(name) else factor_word(name, result, lang)
            rows.append(
                {
                    label("factor", lang): name_text,
                    label("baseline_value", lang): fmt(values.loc[name, "baseline"]),
                    label("latest_value", lang): fmt(values.loc[name, "latest"]),
                }
            )
        parts += [h3(label("bridge_factors_title", lang)), table_html(pd.DataFrame(rows, dtype=object), index=False)]
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- process change


def process_section(result: FunnelResult, lang: str) -> HtmlFragment:
    """How the change was found or given, the estimates and the unit × period cells."""
    process = result.process
    parts = [h2("process_title", lang)]
    fields = {
        "date": process.date.isoformat() if process.date else "—",
        "adopting": names_list(", ".join(process.adopting), process.level, lang) or "—",
        "control": names_list(", ".join(process.control), process.level, lang) or "—",
        "level": label(process.level, lang) if has_label(process.level) else process.level,
        "stage": word(process.stage, lang) if process.stage else "—",
        "before": BEFORE_DAYS,
        "settle": SETTLE_DAYS,
    }
    if process.method == "none":
        return HtmlFragment("".join(parts) + note(label("process_none", lang)))
    if process.method == "company_wide":
        search = process.search[process.search["significant"]].copy()
        search["stage_label"] = [word(v, lang) for v in search["stage"]]
        search["week_label"] = search["week"].dt.strftime("%Y-%m-%d")
        return HtmlFragment(
            "".join(parts)
            + note(label("process_company_wide", lang))
            + frame_table(
                search,
                {
                    "unit": ("unit", lambda u: unit_word(u, process.level, lang)),
                    "stage_label": ("stage", str),
                    "week_label": ("break_week", str),
                    "before_days": ("before", days),
                    "after_days": ("after", days),
                    "t": ("t_stat", lambda v: formatted(v, "+.1f")),
                },
                lang,
            )
        )
    if process.method == "too_recent":
        return HtmlFragment("".join(parts) + note(label("process_too_recent", lang, **fields)))
    if process.method == "detected":
        parts.append(methods_note(note(label("process_detected", lang, **fields))))
    parts.append(note(label("process_given", lang, **fields)))
    est = process.estimates
    if est.empty:
        return HtmlFragment("".join(parts))
    rows = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in est.itertuples():
        in_days = row.metric == "days"
        fmt = days if in_days else pct
        diff = (lambda v: formatted(v, "+.1f") if np.isfinite(v) else "—") if in_days else signed_points
        rows.append(
            {
                label("metric", lang): label(
                    "days_metric" if in_days else "conversion_metric", lang, stage=word(row.stage, lang)
                ),
                label("adopting_before", lang): fmt(row.adopting_before),
                label("adopting_after", lang): fmt(row.adopting_after),
                label("control_before", lang): fmt(row.control_before),
                label("control_after", lang): fmt(row.control_after),
                label("before_after", lang): (
                    f"{diff(row.before_after)} {_interval(diff, row.before_after_lo, row.before_after_hi)}"
                ),
                label("did", lang): f"{diff(row.did)} {_interval(diff, row.did_lo, row.did_hi)}",
                label("p_value", lang): p_text(row.p_value),
            }
        )
    parts.append(table_html(pd.DataFrame(rows), index=False))
    cells = process.cells.copy()
    if not cells.empty:
        cells["group"] = [label("adopting" if a else "control", lang) for a in cells["adopting"]]
        cells["period"] = [label("after" if a else "before", lang) for a in cells["after"]]
        parts.append(
            frame_table(
                cells,
                {
                    "unit": ("unit", lambda u: unit_word(u, process.level, lang)),
                    "group": ("adopting", str),
                    "period": ("period", str),
                    "n": ("stays", num),
                    "mean_days": ("mean_days", days),
                    "conversion": ("conversion", pct),
                },
                lang,
            )
        )
    return HtmlFragment("".join(parts))
