"""The team-efficiency page's HTML: per-FTE tiles, units against the benchmark, the spread's
heading, the scorecard, drivers, ramp and the commission simulation.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.multiplicity import FDR
from salesops_lib.analyses.team_efficiency import TeamEfficiencyResult
from salesops_lib.core.periods import month_start, months_between
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_change, format_value, formatted
from salesops_lib.report.html import TILE_CSS, HtmlFragment, attainment_tints, e, table_html, worst_first
from salesops_lib.report.layout import methods_note
from salesops_lib.report.money import MONEY_METRIC_UNITS, metric_value, money, money_column
from salesops_lib.report.names import display, is_kind, unit_name
from salesops_lib.report.team_efficiency.words import (
    COMPONENT_UNITS,
    activity,
    benchmark,
    fmt,
    has_label,
    joined,
    label,
    quarter,
)

SCORECARD_TOP, SCORECARD_BOTTOM = 10, 5
INACTIVE_NAMES = 10
"""Inactive reps named in the overview's note (the rest are counted)."""


def _h2(key: str, lang: str) -> str:
    return f"<h2>{e(label(key, lang))}</h2>"


def _p(text: str) -> str:
    return f"<p class='so-note'>{e(text)}</p>"


def _tiles(items: list[tuple[str, str]]) -> str:
    parts = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(name)}</div><div class='so-value'>{e(value)}</div></div>"
        for name, value in items
    )
    return f"<style>{TILE_CSS}</style><div class='so-tiles'>{parts}</div>"


def _table(
    frame: pd.DataFrame, columns: dict[str, tuple[str, str]], lang: str, *, tints: dict[str, list[str]] | None = None
) -> str:
    """``columns``: frame column → (label key, format unit or the kind of code it shows by name);
    ``tints``: frame column → CSS class per row.
    """
    shown = {}
    headings = {}
    for col, (key, unit) in columns.items():
        if unit in MONEY_METRIC_UNITS:  # money: one unit for the column, stated in its header
            column = money_column(frame[col], lang)
            headings[col] = column.header(label(key, lang))
            shown[headings[col]] = [column(v) for v in frame[col]]
        elif is_kind(unit):  # a code shown by its name
            headings[col] = label(key, lang)
            shown[headings[col]] = [display(unit, v, lang) for v in frame[col]]
        else:
            headings[col] = label(key, lang)
            shown[headings[col]] = [fmt(v, unit) if unit else ("—" if pd.isna(v) else str(v)) for v in frame[col]]
    coloured = {headings[col]: css for col, css in (tints or {}).items() if col in headings}
    return table_html(pd.DataFrame(shown, dtype=object), index=False, tints=coloured)  # money cells keep exact amounts


# --------------------------------------------------------------------------- overview


def overview(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """Company per-FTE tiles over the window, headcount movements and the number of flagged teams."""
    c = result.company
    months = months_between(month_start(result.window[0]), month_start(result.window[1])) + 1
    suffix = label("window_suffix", lang)
    per_head = ("revenue_per_fte", "new_customers_per_fte", "gross_profit_per_fte")
    items = [
        (METRICS[m].label(lang) + suffix, metric_value(c.get(m), METRICS[m].unit, lang))
        for m in per_head
        if np.isfinite(c.get(m, np.nan))
    ]
    teams = result.units[result.units["level"] == "team"]
    items += [
        (label("fte", lang), fmt(c.get("fte"), "rate1")),
        *((label(key, lang), format_value(c.get(key, 0), "count")) for key in ("headcount", "hires", "exits")),
        (label("inactive_reps", lang), format_value(len(result.inactive), "count")),
        (label("flagged_units", lang), f"{int(teams['flagged'].sum())} / {len(teams)}"),
    ]
    definition = label("fte_definition", lang).format(grace=result.grace_days)
    note = label("overview_note", lang).format(
        start=result.window[0], end=result.window[1], months=months, fte_definition=definition
    )
    notes = "".join(_p(label(f"note_{code}", lang)) for code in result.notes if has_label(f"note_{code}"))
    if not result.inactive.empty:
        names = result.inactive["name"].astype(str).tolist()
        shown = joined(names[:INACTIVE_NAMES], lang) + ("…" if len(names) > INACTIVE_NAMES else "")
        notes += _p(label("inactive_note", lang).format(count=len(names), names=shown))
    return HtmlFragment(_h2("overview", lang) + _tiles(items) + _p(note) + notes)


# --------------------------------------------------------------------------- units vs benchmark


STATISTICS = {"band": ("null_band", ""), "p_text": ("p_value", ""), "q_text": ("q_value", "")}
"""The units' permutation-test columns, shown in the page's methods section."""


def units(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """Regions, then teams: window per-FTE figures, gap with interval, flag, likely cause, shortfall."""
    frame = result.units.copy()
    frame["interval"] = [
        f"{lo:+.1%}…{hi:+.1%}" if np.isfinite(lo) and np.isfinite(hi) else "—"
        for lo, hi in zip(frame["gap_low"], frame["gap_high"], strict=True)
    ]
    watch = frame["watch"] if "watch" in frame else pd.Series(False, index=frame.index)
    frame["flag"] = np.where(frame["flagged"], label("flag_yes", lang), np.where(watch, label("flag_watch", lang), ""))
    frame["band"] = [
        f"{lo:+.0%}…{hi:+.0%}" if np.isfinite(lo) and np.isfinite(hi) else "—"
        for lo, hi in zip(_column(frame, "null_low"), _column(frame, "null_high"), strict=True)
    ]
    frame["p_text"] = [formatted(v, ".3f") for v in _column(frame, "p_value")]
    frame["q_text"] = [formatted(v, ".3f") for v in _column(frame, "q_value")]
    causes = frame["cause"] if "cause" in frame else pd.Series("", index=frame.index)
    frame["cause_word"] = [
        label(f"cause_{c}", lang) if (f or w) and isinstance(c, str) else ""
        for f, w, c in zip(frame["flagged"], watch, causes, strict=True)
    ]
    columns = {
        "unit": ("unit", ""),
        "region": ("region", "region"),
        "fte": ("fte", "rate1"),
        "active_reps": ("active_reps", "count"),
        "headcount": ("headcount", "count"),
        "hires": ("hires", "count"),
        "exits": ("exits", "count"),
        "revenue_per_fte": ("revenue_per_fte_w", "currency"),
        "new_customers_per_fte": ("new_customers_per_fte_w", "count_per_fte"),
        "gross_profit_per_fte": ("gross_profit_per_fte_w", "currency"),
        "gap": ("gap", "change"),
        "interval": ("interval", ""),
        "flag": ("flag", ""),
        "cause_word": ("cause", ""),
        "shortfall": ("shortfall", "currency"),
    }
    if frame["gross_profit_per_fte"].isna().all():
        columns.pop("gross_profit_per_fte")
    note = label("units_note", lang).format(
        benchmark=benchmark(result, lang),
        threshold=formatted(result.threshold, ".0%"),
        confidence=formatted(result.confidence, ".0%"),
        min_fte=formatted(result.min_fte, "g"),
        draws=formatted(result.permutations, ","),
        fdr=formatted(FDR, "g"),
    )
    page = _h2("units", lang) + methods_note(_p(note) + _p(label("multiplicity_policy", lang)))
    for level in ("region", "team"):
        rows = frame[frame["level"] == level]
        if rows.empty:
            continue
        shown = {k: v for k, v in columns.items() if not (level == "region" and k == "region")}
        shown["unit"] = (level, level)
        rows = worst_first(rows, "gap")  # the largest shortfall first, red below the benchmark
        tints = {"gap": attainment_tints(rows["gap"], goal=0.0)}
        page += f"<h3>{e(label(level + 's', lang))}</h3>" + _table(rows, shown, lang, tints=tints)
        # the test behind each flag: the reader of the page needs the flag, the analyst the p-values
        tests = {"unit": (level, level), "gap": ("gap", "change"), **STATISTICS}
        page += methods_note(_table(rows, tests, lang))  # under "units · regions/teams" there
    return HtmlFragment(page)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]`` as floats (NaN when the column is absent, e.g. a result without units)."""
    values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
    return values.astype("float64")


# --------------------------------------------------------------------------- spread and trend


def spread_heading(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """Heading and note of the spread section."""
    return HtmlFragment(
        _h2("spread", lang) + _p(label("spread_note", lang).format(min_fte=formatted(result.min_rep_fte, "g")))
    )


# --------------------------------------------------------------------------- scorecard


def scorecard(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """The quarter's scorecard (top and bottom reps) and the stars of the last four quarters."""
    scored = result.scorecard
    page = _h2("scorecard", lang)
    if scored.empty:
        return HtmlFragment(page + _p(label("none", lang)))
    to_date = "" if result.quarter_complete else label("to_date", lang)
    page += _p(
        label("scorecard_note", lang).format(
            quarter=quarter(result.quarter, lang),
            to_date=to_date,
            reps=len(scored),
            stars=int(scored["star"].sum()),
            components=joined((label(c, lang) for c in result.components), lang),
        )
    )
    frame = scored.assign(star_mark=np.where(scored["star"], "★", ""))
    columns = {
        "rank": ("rank", "count"),
        "star_mark": ("star", ""),
        "rep_id": ("name", "rep"),
        "team": ("team", "team"),
        "score": ("score", "rate1"),
        **{c: (c, COMPONENT_UNITS[c]) for c in result.components},
    }
    if len(frame) > SCORECARD_TOP + SCORECARD_BOTTOM:
        page += f"<h3>{e(label('top_reps', lang).format(n=SCORECARD_TOP))}</h3>" + _table(
            frame.head(SCORECARD_TOP), columns, lang
        )
        page += f"<h3>{e(label('bottom_reps', lang).format(n=SCORECARD_BOTTOM))}</h3>" + _table(
            frame.tail(SCORECARD_BOTTOM), columns, lang
        )
    else:
        page += _table(frame, columns, lang)
    if not result.stars.empty:
        history = result.stars.assign(quarter=[quarter(q, lang) for q in result.stars["quarter"]])
        page += f"<h3>{e(label('stars_history', lang))}</h3>" + _table(
            history,
            {
                "quarter": ("quarter", ""),
                "rank": ("rank", "count"),
                "rep_id": ("name", "rep"),
                "team": ("team", "team"),
                "score": ("score", "rate1"),
            },
            lang,
        )
    return HtmlFragment(page)


# --------------------------------------------------------------------------- drivers and ramp


def drivers(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """The driver model in plain sentences and a table of elasticities."""
    page = _h2("drivers", lang)
    if result.fit is None or result.drivers.empty:
        return HtmlFragment(
            page + _p(label("note_no_activities" if "no_activities" in result.notes else "note_few_rep_months", lang))
        )
    page += _p(
        label("drivers_note", lang).format(n=formatted(result.fit.n_obs, ","), reps=formatted(result.fit.n_reps, ","))
    )
    conf = formatted(result.confidence, ".0%")
    sentences = [
        label(f"driver_{row.verdict}", lang).format(
            activity=activity(row.activity, lang),
            confidence=conf,
            effect=formatted(abs(row.effect), ".1%"),
            low=format_change(row.effect_low),
            high=format_change(row.effect_high),
        )
        for row in cast("Iterable[Any]", result.drivers.itertuples())  # rows: verdict, activity, figures
    ]
    page += "<ul>" + "".join(f"<li>{e(s)}</li>" for s in sentences) + "</ul>"
    d = result.drivers
    frame = d.assign(
        activity_word=[activity(a, lang) for a in d["activity"]],
        interval=[
            f"{formatted(lo, '.3f')} ~ {formatted(hi, '.3f')}" for lo, hi in zip(d["low"], d["high"], strict=True)
        ],
        elasticity_text=[formatted(v, ".3f") for v in d["elasticity"]],
    )
    page += _table(
        frame,
        {
            "activity_word": ("activity", ""),
            "elasticity_text": ("elasticity", ""),
            "interval": ("interval", ""),
            "effect": ("effect", "change"),
        },
        lang,
    )
    return HtmlFragment(page)


def ramp(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """Ramp summary: τ, time to full productivity."""
    page = _h2("ramp", lang)
    r = result.ramp
    if r is None:
        code = "no_hire_dates" if "no_hire_dates" in result.notes else "few_rep_months"
        return HtmlFragment(page + _p(label(f"note_{code}", lang)))
    return HtmlFragment(
        page
        + _p(
            label("ramp_note", lang).format(
                tau=formatted(r.tau, ".2f"),
                tau_low=formatted(r.tau_low, ".2f"),
                tau_high=formatted(r.tau_high, ".2f"),
                months=formatted(r.months_to_full, ".1f"),
                months_low=formatted(r.months_to_full_low, ".1f"),
                months_high=formatted(r.months_to_full_high, ".1f"),
                level=formatted(r.full_level, ".0%"),
            )
        )
    )


# --------------------------------------------------------------------------- incentives


def incentives(result: TeamEfficiencyResult, lang: str) -> HtmlFragment:
    """Plan, totals and the what-if table."""
    s, p = result.payout_summary, result.plan
    to_date = "" if result.quarter_complete else label("to_date", lang)
    note = label("plan_note", lang).format(
        quarter=quarter(result.quarter, lang),
        to_date=to_date,
        base=formatted(p.base_rate, ".1%"),
        accelerator=formatted(p.accelerator_rate, ".1%"),
        cap=formatted(p.attainment_cap, ".0%"),
        bonus=money(p.star_bonus, lang),
    )
    items = [
        (label("payout", lang), money(s.get("payout"), lang)),
        (label("cost_of_sales", lang), format_value(s.get("cost_of_sales"), "ratio")),
        (label("above_target", lang), formatted(s.get("above_target", 0), ",.0f")),
        (label("capped", lang), formatted(s.get("capped", 0), ",.0f")),
        (label("stars_count", lang), formatted(s.get("stars", 0), ",.0f")),
    ]
    w = result.whatif.copy()
    w["scenario_word"] = [
        label(f"sc_{sc}", lang).format(uplift=format_change(u))
        for sc, u in zip(w["scenario"], w["uplift"], strict=True)
    ]
    table = _table(
        w,
        {
            "scenario_word": ("scenario", ""),
            "revenue": ("revenue", "currency"),
            "payout": ("payout", "currency"),
            "cost_of_sales": ("cost_of_sales", "ratio"),
            "above_target": ("above_target", "count"),
            "capped": ("capped", "count"),
            "change": ("change", "change"),
        },
        lang,
    )
    whatif = f"<h3>{e(label('whatif', lang))}</h3>" + table
    return HtmlFragment(_h2("incentives", lang) + _p(note) + _tiles(items) + whatif)


# --------------------------------------------------------------------------- notebook display


def summary_html(result: TeamEfficiencyResult, lang: str = "zh") -> str:
    """Units with their revenue per FTE, gap and flag (how a result shows when a notebook cell ends with it)."""
    head = "".join(
        f"<th>{html.escape(label(key, lang))}</th>"
        for key in ("summary_unit", "summary_revenue_per_fte", "summary_gap", "summary_flagged")
    )
    rows = "".join(
        f"<tr><td>{html.escape(unit_name(r.level, r.unit, lang))}</td><td>{money(r.revenue_per_fte, lang)}</td><td>{formatted(r.gap, '+.1%')}</td>"
        f"<td>{'●' if r.flagged else ''}</td></tr>"
        for r in cast("Iterable[Any]", result.units.itertuples())  # rows: unit, figures, flag
        if np.isfinite(r.revenue_per_fte) and np.isfinite(r.gap)
    )
    return f"<table class='salesops-efficiency'><tr>{head}</tr>{rows}</table>"
