"""The forecast page's HTML: headline, units, risks, method, accuracy and calibration."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.metrics.formatting import formatted
from salesops_lib.report.findings_text import weak_reason_texts
from salesops_lib.report.forecast.words import coded, word
from salesops_lib.report.formats import money, money_cells, number, pct, signed_pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, attainment_tints, e, table_html, worst_first
from salesops_lib.report.layout import list_note, methods_note
from salesops_lib.report.money import Amount
from salesops_lib.report.names import name_or, namer, unit_name
from salesops_lib.report.notices import BANNER_CSS, banner_html


def _day(value: Any) -> str:
    """A date cell as its day (the first ten characters of its text), "—" when missing."""
    return "—" if pd.isna(value) else str(value)[:10]


def _change(value: Any) -> str:
    """A relative change as a signed whole percentage, "—" when missing."""
    return "—" if pd.isna(value) else formatted(value, "+.0%")


def summary_html(result: ForecastResult, lang: str = "zh") -> str:
    """The period's outlook in one sentence (how a result shows when a notebook cell ends with it)."""
    h = result.headline
    if pd.notna(h.get("attainment")):
        text = word("summary_attainment", lang).format(
            quarter=result.target_label,
            attainment=h["attainment"],
            low=h["lo80"] / h["target"],
            high=h["hi80"] / h["target"],
            p_hit=h["p_hit"],
        )
    else:
        text = word("summary_forecast", lang).format(
            quarter=result.target_label,
            forecast=Amount(h["forecast"], lang),
            low=Amount(h["lo80"], lang),
            high=Amount(h["hi80"], lang),
        )
    return f"<p class='salesops-forecast'>{html.escape(text)}</p>"


def headline(result: ForecastResult, lang: str) -> HtmlFragment:
    """The seed's sentence and the headline tiles."""
    h = result.headline
    tiles = [(word("forecast", lang), money(h["forecast"], lang))]
    if result.strength.weak:
        tiles.append((word("naive_forecast", lang), money(result.strength.naive_forecast, lang)))
    if np.isfinite(h["target"]) and h["target"] > 0:
        tiles += [
            (word("target", lang), money(h["target"], lang)),
            (word("attainment", lang), pct(h["attainment"], 0)),
            (word("interval80", lang), f"{pct(h['lo80'] / h['target'], 0)}–{pct(h['hi80'] / h['target'], 0)}"),
            (word("p_hit", lang), pct(h["p_hit"], 0)),
        ]
    else:
        tiles.append((word("interval80", lang), f"{money(h['lo80'], lang)}–{money(h['hi80'], lang)}"))
    tiles += [(word("booked", lang), money(h["booked"], lang)), (word("ts_part", lang), money(h["ts"], lang))]
    if np.isfinite(h.get("pipeline", np.nan)):
        tiles += [
            (word("pipeline_part", lang), money(h["pipeline"], lang)),
            (word("weight", lang), pct(h["blend_weight"], 0)),
        ]
    body = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div></div>"
        for k, v in tiles
    )
    sentence = summary_html(result, lang)
    return HtmlFragment(
        f"<style>{TILE_CSS}</style><h2>{e(word('headline_title', lang))} · {e(result.target_label)}</h2>"
        f"{weak_notice(result, lang)}{sentence}<div class='so-tiles'>{body}</div>"
    )


def weak_notice(result: ForecastResult, lang: str) -> str:
    """The banner of a weak forecast (why, what not to do with it, its naive benchmark); "" otherwise."""
    s = result.strength
    if not s.weak:
        return ""
    note = word("weak_note", lang).format(naive=money(s.naive_forecast, lang), naive_rule=word("naive_rule", lang))
    banner = banner_html(word("weak_title", lang), weak_reason_texts(s.reasons, s.figures(), lang), note)
    return f"<style>{BANNER_CSS}</style>{banner}"


def _units_html(rows: pd.DataFrame, lang: str) -> str:
    """The units' table, attainment tinted below 100 % and at or above it."""
    table = _units_table(rows, lang)
    tints = {word("attainment", lang): attainment_tints(rows["attainment"])} if rows["target"].notna().any() else {}
    return table_html(table, index=False, tints=tints)


def _units_table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    has_target = rows["target"].notna().any()
    table = pd.DataFrame(
        {
            word("unit", lang): [
                word("level_company", lang) if lvl == "company" else name_or(lvl, unit, name, lang)
                for lvl, unit, name in zip(rows["level"], rows["unit"], rows["name"], strict=True)
            ],
            **money_cells(rows["forecast"], word("forecast", lang), lang),
            word("interval80", lang): [
                f"{money(lo, lang)}–{money(hi, lang)}" for lo, hi in zip(rows["lo80"], rows["hi80"], strict=True)
            ],
        }
    )
    if has_target:
        table = table.assign(**money_cells(rows["target"], word("target", lang), lang))
        table[word("attainment", lang)] = rows["attainment"].map(lambda v: pct(v, 0))
        table[word("p_hit", lang)] = rows["p_hit"].map(lambda v: pct(v, 0))
    table[word("method", lang)] = [coded("m", m, lang) for m in rows["method"]]
    return table


def units(result: ForecastResult, lang: str) -> HtmlFragment:
    """Regions, and the teams least likely to hit their target."""
    frame = result.units
    parts = [f"<h2>{e(word('units_title', lang))}</h2>"]
    top = frame[frame["level"].isin(["company", "region"])]
    if top["p_hit"].notna().any():  # the company, then the regions least likely to hit first
        top = worst_first(top, "p_hit", within="level")
    parts.append(_units_html(top, lang))
    note = f"{word('risk_screen_note', lang)} {word('multiplicity_policy', lang)}"
    parts.append(methods_note(f"<p class='so-note' style='color:#51606f;font-size:13px'>{e(note)}</p>"))
    teams = frame[frame["level"] == "team"]
    if not teams.empty:
        order = teams.sort_values("p_hit" if teams["p_hit"].notna().any() else "forecast").head(8)
        parts.append(f"<h3>{e(word('teams_at_risk', lang))}</h3>" + _units_html(order, lang))
    return HtmlFragment("".join(parts))


def risks(result: ForecastResult, lang: str) -> HtmlFragment:
    """Pipeline coverage, slipping deals and declining key accounts."""
    parts = [f"<h2>{e(word('risks_title', lang))}</h2>"]
    cov = result.coverage[result.coverage["level"].isin(["company", "region"])]
    parts.append(f"<h3>{e(word('coverage_title', lang))}</h3>")
    if cov.empty:
        parts.append(f"<p>{e(word('none', lang))}</p>")
    else:
        parts.append(
            table_html(
                pd.DataFrame(
                    {
                        word("unit", lang): [
                            word("level_company", lang) if u == "company" else unit_name(lvl, u, lang)
                            for lvl, u in zip(cov["level"], cov["unit"], strict=True)
                        ],
                        **money_cells(cov["open_pipeline"], word("open_pipeline", lang), lang),
                        **money_cells(cov["remaining_target"], word("remaining_target", lang), lang),
                        word("coverage", lang): cov["coverage"].map(lambda v: pct(v, 0)),
                        word("usual_coverage", lang): cov["usual_coverage"].map(lambda v: pct(v, 0)),
                        word("thin", lang): cov["thin"].map(lambda v: word("yes" if v else "no", lang)),
                    }
                ),
                index=False,
            )
        )
    parts.append(f"<h3>{e(word('slipping_title', lang))}</h3>")
    slip = result.slipping.head(10)
    if slip.empty:
        parts.append(f"<p>{e(word('none', lang))}</p>")
    else:
        parts.append(
            table_html(
                pd.DataFrame(
                    {
                        word("deal", lang): slip["opp_id"],
                        word("rep", lang): slip["rep_id"].map(namer("rep", lang)),
                        word("customer", lang): slip["customer_id"].map(namer("customer", lang)),
                        word("stage", lang): slip["stage"].map(namer("stage", lang)),
                        **money_cells(slip["value"], word("value", lang), lang),
                        word("expected_close", lang): slip["expected_close"].map(_day),
                        word("age_days", lang): slip["age_days"],
                        word("slips", lang): slip["slips"],
                    }
                ),
                index=False,
            )
        )
        parts.append(list_note(len(slip), result.slipping_total, lang, kept=len(result.slipping)))
    parts.append(f"<h3>{e(word('accounts_title', lang))}</h3>")
    acc = result.key_accounts
    if acc.empty:
        parts.append(f"<p>{e(word('none', lang))}</p>")
    else:
        parts.append(
            table_html(
                pd.DataFrame(
                    {
                        word("account", lang): acc["name"],
                        word("owner", lang): acc["owner"].map(namer("rep", lang)),
                        **money_cells(acc["value_12m"], word("value_12m", lang), lang),
                        **money_cells(acc["previous_window"], word("previous_window", lang), lang),
                        **money_cells(acc["last_window"], word("last_window", lang), lang),
                        word("change", lang): acc["change"].map(_change),
                        **money_cells(acc["value_at_risk"], word("value_at_risk", lang), lang),
                    }
                ),
                index=False,
            )
        )
    return HtmlFragment("".join(parts))


def method(result: ForecastResult, lang: str) -> HtmlFragment:
    """How the forecast was made, and each candidate model's backtest error at the top levels."""
    model = result.model
    items = [
        word(f"how_seasonality_{model['seasonality']}", lang),
        word(f"how_reconcile_{model['reconciliation']}", lang),
    ]
    if model["pipeline"]:
        items.append(word("how_blend", lang).format(w=model["blend_weight"], n=model["backtest_origins"]))
    else:
        items.append(word("how_no_pipeline", lang))
    scores = result.scores.copy()
    methods = [c for c in scores.columns if c not in ("level", "unit")]
    shown = pd.DataFrame(
        {
            word("unit", lang): [
                word("level_company", lang) if u == "company" else unit_name(lvl, u, lang)
                for lvl, u in zip(scores["level"], scores["unit"], strict=True)
            ]
        }
    )
    for m in methods:
        shown[coded("m", m, lang)] = scores[m].map(number)
    chosen = result.units.set_index(["level", "unit"])["method"]
    shown[word("chosen", lang)] = [
        coded("m", chosen.get((lvl, u), ""), lang) for lvl, u in zip(scores["level"], scores["unit"], strict=True)
    ]
    listing = "".join(f"<li>{e(i)}</li>" for i in items)
    return HtmlFragment(
        f"<h2>{e(word('method_title', lang))}</h2><ul>{listing}</ul>"
        f"<h3>{e(word('scores_title', lang))}</h3>" + table_html(shown, index=False)
    )


def accuracy(result: ForecastResult, lang: str) -> HtmlFragment:
    """Backtest accuracy of the period forecast per level and method."""
    frame = result.accuracy
    if frame.empty:
        return HtmlFragment("")
    shown = pd.DataFrame(
        {
            word("level", lang): [coded("level", x, lang) for x in frame["level"]],
            word("method", lang): [coded("m", x, lang) for x in frame["method"]],
            word("units_n", lang): frame["units"],
            word("origins", lang): frame["origins"],
            word("mape", lang): frame["mape"].map(lambda v: pct(v, 1)),
            word("mase", lang): frame["mase"].map(number),
            word("bias", lang): frame["bias"].map(signed_pct),
            word("accuracy", lang): frame["accuracy"].map(lambda v: pct(v, 1)),
            word("vs_snaive", lang): frame["vs_snaive"].map(number),
        }
    )
    return HtmlFragment(f"<h2>{e(word('accuracy_title', lang))}</h2>" + table_html(shown, index=False))


def calibration(result: ForecastResult, lang: str) -> HtmlFragment:
    """How often the 80 % and 95 % bands held a backtest outcome they were not built from."""
    frame = result.calibration
    if frame.empty:
        return HtmlFragment("")
    shown = pd.DataFrame(
        {
            word("level", lang): [coded("level", x, lang) for x in frame["level"]],
            word("band", lang): frame["band"].map(lambda v: formatted(v, ".0%")),
            word("band_coverage", lang): frame["coverage"].map(lambda v: pct(v, 0)),
            word("band_windows", lang): frame["windows"],
            word("band_widened", lang): frame["widened"],
            word("errors", lang): frame["errors"],
        }
    )
    return HtmlFragment(f"<h2>{e(word('calibration_title', lang))}</h2>" + table_html(shown, index=False))
