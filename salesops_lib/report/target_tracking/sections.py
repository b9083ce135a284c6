"""The target tracking page's HTML: attainment tiles, regions and teams, monthly attainment, the
weekly heading, persistence alerts and the watch list.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any, cast

import pandas as pd

from salesops_lib.analyses.target_tracking import TargetTrackingResult
from salesops_lib.metrics.formatting import formatted
from salesops_lib.report.formats import Columns, heading, labelled_table, money, paragraph, pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, attainment_tints, e, table_html, worst_first
from salesops_lib.report.names import display, unit_name
from salesops_lib.report.target_tracking.words import label, percent, who

"""A table's columns: column → (label key, format of a cell, whose type is known only at run time)."""


def overview(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """Company tiles: month, quarter and year pace, projected year, number of alerts."""
    company = result.pacing[result.pacing["level"] == "company"].set_index("horizon")
    tiles = [
        (
            label(f"pace.{h}", lang),
            pct(company.loc[h, "attainment"]),
            f"{money(company.loc[h, 'actual'], lang)} / {money(company.loc[h, 'expected'], lang)}",
        )
        for h in ("month", "quarter", "year")
        if h in company.index
    ]
    if "year" in company.index:
        tiles.append(
            (
                label("projected_year", lang),
                pct(company.loc["year", "projected_attainment"]),
                money(company.loc["year", "projection"], lang),
            )
        )
    tiles.append((label("alerts_count", lang), str(len(result.alerts)), ""))
    body = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div>"
        f"<div class='so-delta'>{e(d)}</div></div>"
        for k, v, d in tiles
    )
    return HtmlFragment(
        f"<style>{TILE_CSS}</style>"
        + heading(label("overview", lang))
        + f"<div class='so-tiles'>{body}</div>"
        + paragraph(label("overview_note", lang).format(as_of=result.as_of.isoformat()))
    )


def units(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """Regions and teams: month attainment, quarter and year pace, projected year and gap."""
    pacing = result.pacing[result.pacing["level"].isin(["company", "region", "team"])]
    wide = pacing.pivot_table(
        index=["level", "unit_id"],
        columns="horizon",
        values=["attainment", "target", "actual", "projection", "projected_attainment", "gap"],
        aggfunc="first",
        sort=False,
    )
    frame = pd.DataFrame(
        {
            "level": [lvl for lvl, _ in wide.index],
            "unit_id": [u for _, u in wide.index],
            "month_att": wide[("attainment", "month")].to_numpy(),
            "quarter_att": wide[("attainment", "quarter")].to_numpy(),
            "year_att": wide[("attainment", "year")].to_numpy(),
            "year_target": wide[("target", "year")].to_numpy(),
            "year_actual": wide[("actual", "year")].to_numpy(),
            "projection": wide[("projection", "year")].to_numpy(),
            "projected": wide[("projected_attainment", "year")].to_numpy(),
            "gap": wide[("gap", "year")].to_numpy(),
        }
    )
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    frame["unit"] = [unit_name(lvl, u, lang) for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)]
    columns: Columns = {
        "level_label": ("level", str),
        "unit": ("unit", str),
        "month_att": ("month_att", pct),
        "quarter_att": ("quarter_att", pct),
        "year_att": ("year_att", pct),
        "year_target": ("year_target", money),
        "year_actual": ("year_actual", money),
        "projection": ("projection", money),
        "projected": ("projected", pct),
        "gap": ("gap", money),
    }
    frame = worst_first(frame, "month_att", within="level")  # company, then regions, then teams
    tints = {name: attainment_tints(frame[name]) for name in ("month_att", "quarter_att", "year_att", "projected")}
    return HtmlFragment(
        heading(label("units", lang))
        + paragraph(label("units_note", lang))
        + labelled_table(frame, columns, lambda k: label(k, lang), lang, tints=tints)
    )


def monthly(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """Company and regions: attainment of each month of the year so far."""
    frame = result.monthly[result.monthly["level"].isin(["company", "region"])]
    wide = frame.pivot_table(
        index=["level", "unit_id"], columns="period", values="attainment", aggfunc="first", sort=False
    )
    shown = wide.apply(lambda col: col.map(pct))
    shown.columns = [c.strftime("%Y-%m") for c in shown.columns]
    shown.index = [unit_name(lvl, u, lang) for lvl, u in shown.index]
    shown.index.name = label("unit", lang)
    return HtmlFragment(heading(label("monthly", lang)) + table_html(shown))


def weekly_heading(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """The heading and definition above the weekly heat map."""
    return HtmlFragment(heading(label("weekly", lang)) + paragraph(label("weekly_note", lang)))


def alerts(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """Units that trigger the persistence rule: who, since, how far behind, the gap per remaining week."""
    rule = result.rule
    grain = label(f"grain_{rule['grain']}", lang)
    levels = label("list_sep", lang).join(label(x, lang) for x in rule["levels"])
    note = label("rule_own" if rule["mode"] == "own_variability" else "rule", lang).format(
        periods=rule["periods"],
        grain=grain,
        threshold=percent(float(rule["threshold"])),
        levels=levels,
        horizon=rule["recovery_end"],
        z=formatted(float(rule["z"]), "g"),
        history=rule["history"],
    )
    page = (
        heading(label("alerts", lang))
        + paragraph(note)
        + paragraph(label("multiplicity_policy", lang))
        + _rates_table(result, lang)
    )
    if result.alerts.empty:
        return HtmlFragment(page + paragraph(label("no_alerts", lang)))
    return HtmlFragment(page + _run_table(result.alerts, lang, full=True))


def watch(result: TargetTrackingResult, lang: str) -> HtmlFragment:
    """Units below the threshold in the latest period(s), short of the rule."""
    page = f"<h3>{e(label('watch', lang))}</h3>"
    if result.watch.empty:
        return HtmlFragment(page + paragraph(label("watch_none", lang)))
    return HtmlFragment(page + _run_table(result.watch.sort_values("latest_attainment"), lang, full=False))


def _rates_table(result: TargetTrackingResult, lang: str) -> str:
    """The share of units each rule would flag as of this period (shown before a rule is switched on)."""
    if result.rates.empty:
        return ""
    frame = result.rates.copy()
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    frame["own"] = [
        f"{n} / {pct(s)}" for n, s in zip(frame["own_variability"], frame["own_variability_share"], strict=True)
    ]
    frame["fix"] = [f"{n} / {pct(s)}" for n, s in zip(frame["fixed"], frame["fixed_share"], strict=True)]
    columns: Columns = {
        "level_label": ("level", str),
        "screened": ("screened", str),
        "own": ("rate_own", str),
        "fix": ("rate_fixed", str),
    }
    return (
        f"<h3>{e(label('rates', lang))}</h3>"
        + paragraph(label("rates_note", lang))
        + labelled_table(frame, columns, lambda k: label(k, lang), lang)
    )


def _run_table(frame: pd.DataFrame, lang: str, *, full: bool) -> str:
    frame = frame.copy()
    frame["who"] = [who(r, lang) for r in frame.itertuples()]
    frame["level_label"] = frame["level"].map(lambda x: label(x, lang))
    columns: Columns = {
        "level_label": ("level", str),
        "who": ("name", str),
        "team": ("team", lambda v: display("team", v, lang) if v else ""),
        "region": ("region", lambda v: display("region", v, lang) if v else ""),
        "since": ("since", lambda d: d.date().isoformat()),
        "periods": ("run_periods", str),
        "attainments": ("attainments", lambda a: " / ".join(pct(x) for x in a)),
        "run_attainment": ("run_attainment", pct),
        "typical": ("typical", pct),
        "spread": ("spread", pct),
        "p_run": ("p_run", lambda v: formatted(v, ".1%")),
        "shortfall": ("shortfall", money),
    }
    if full:
        columns |= {
            "weeks_left": ("weeks_left", lambda v: formatted(v, ".1f")),
            "extra_per_week": ("extra_per_week", money),
            "required_per_week": ("required_per_week", money),
        }
    return labelled_table(frame, columns, lambda k: label(k, lang), lang)


def summary_html(result: TargetTrackingResult, lang: str = "zh") -> str:
    """The company's pace per horizon (how a result shows when a notebook cell ends with it)."""
    company = result.pacing[result.pacing["level"] == "company"]
    rows = "".join(
        f"<tr><td>{html.escape(r.horizon)}</td><td>{money(r.target, lang)}</td><td>{money(r.actual, lang)}</td>"
        f"<td>{formatted(r.attainment, '.1%')}</td><td>{formatted(r.projected_attainment, '.1%')}</td></tr>"
        for r in cast("Iterable[Any]", company.itertuples())  # rows' field types are known only at run time
    )
    head = "".join(
        f"<th>{e(label(f'summary.{key}', lang))}</th>" for key in ("horizon", "target", "actual", "pace", "projected")
    )
    return f"<table class='salesops-tracking'><tr>{head}</tr>{rows}</table>"
