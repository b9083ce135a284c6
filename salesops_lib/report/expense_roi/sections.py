"""The expense ROI page's sections (HTML): tiles, budget vs actual, units, campaigns,
reallocation, the spend–output model and the expense ratio; and the notebook summary.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from salesops_lib.analyses.expense_roi import ExpenseRoiResult
from salesops_lib.analyses.expense_roi.budget import TOTAL
from salesops_lib.analyses.findings import rank
from salesops_lib.report.expense_roi.words import Formatter, intervals, label, points, word, words
from salesops_lib.report.formats import in_column, integer, money, number, paragraph, pct, signed_pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.money import Amount

NOTE_CSS = "color:#51606f;font-size:13px"


def _shown(frame: pd.DataFrame, columns: dict[str, Formatter], lang: str) -> pd.DataFrame:
    """``frame``'s ``columns`` formatted (name → formatter) under their ``lang`` labels (money in one unit a column)."""
    shown = {}
    for name, fmt in columns.items():
        heading, cell = in_column(frame[name], label(name, lang), fmt, lang)
        shown[heading] = [cell(v) for v in frame[name]]
    return pd.DataFrame(shown, dtype=object)  # money cells keep their exact amount


def _section(title_key: str, lang: str, body: str = "") -> HtmlFragment:
    return HtmlFragment(f"<h2>{e(label(title_key, lang))}</h2>{body}")


def _skipped(result: ExpenseRoiResult, section: str, lang: str) -> str:
    if section not in result.skipped:
        return ""
    code, detail = result.skipped[section]
    reason = label(f"reason_{code}", lang).format(detail=detail)
    return paragraph(label("section_skipped", lang).format(reason=reason), NOTE_CSS)


def _notes(codes: tuple[str, ...], lang: str) -> str:
    return "".join(paragraph(label(f"note_{c}", lang), NOTE_CSS) for c in codes)


# --------------------------------------------------------------------------- tiles


def summary(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """Headline tiles: spend vs budget, projection, campaign returns, expense ratio."""
    tiles: list[tuple[str, str, str, bool | None]] = []
    if result.budget is not None:
        total: Any = result.budget.company.set_index("category").loc[TOTAL]  # the one total row
        tiles.append(
            (
                label("tile_spent", lang),
                money(total["spent_ytd"], lang),
                f"{label('vs_budget', lang)} {signed_pct(total['variance_pct'])}",
                total["variance_pct"] > 0,
            )
        )
        tiles.append(
            (
                label("tile_projected", lang),
                money(total["projected"], lang),
                f"{label('vs_annual', lang)} {signed_pct(total['projected_over_pct'])}",
                total["projected_over_pct"] > 0,
            )
        )
    if result.campaigns is not None:
        totals = result.campaigns.totals()
        count = f"{int(totals['campaigns'])} {label('campaigns_in_window', lang)}"
        tiles.append((label("tile_campaign_roi", lang), pct(totals["roi"]), count, None))
        tiles.append((label("tile_pipeline_ratio", lang), number(totals["pipeline_to_cost"]), count, None))
    if result.alignment is not None:
        tiles.append((label("tile_expense_ratio", lang), pct(result.alignment.company_ratio), "", None))
    parts = []
    for text, value, delta, bad in tiles:
        css = "" if bad is None else ("so-bad" if bad else "so-good")
        parts.append(
            f"<div class='so-tile'><div class='so-label'>{e(text)}</div>"
            f"<div class='so-value'>{e(value)}</div>"
            f"<div class='so-delta'><span class='{css}'>{e(delta)}</span></div></div>"
        )
    caveat = paragraph(label("simulated_caveat", lang), "color:#c8423b") if result.simulated else ""
    return HtmlFragment(f"<style>{TILE_CSS}</style>{caveat}<div class='so-tiles'>{''.join(parts)}</div>")


# --------------------------------------------------------------------------- budget


def budget_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """Budget vs actual by category for the fiscal year to date, with the method line."""
    b = result.budget
    if b is None:
        return _section("budget_title", lang, _skipped(result, "budget", lang))
    method = label("budget_method", lang).format(
        start=b.fiscal_start,
        end=b.fiscal_end,
        as_of=b.as_of,
        level=word(b.level, lang),
        threshold=b.thresholds.overrun,
        amount=Amount(b.thresholds.min_amount, lang),
    )
    company = b.company.assign(months_over=b.company["months_over"].where(b.company["category"] != TOTAL))
    shown = _shown(
        company,
        {
            "category": words(lang),
            "annual_budget": money,
            "budget_ytd": money,
            "spent_ytd": money,
            "refunds_ytd": money,
            "variance": money,
            "variance_pct": signed_pct,
            "burn": pct,
            "expected_burn": pct,
            "projected": money,
            "projected_over_pct": signed_pct,
            "months_over": integer,
            "status": words(lang),
        },
        lang,
    )
    return _section(
        "budget_title", lang, paragraph(method, NOTE_CSS) + _notes(b.notes, lang) + table_html(shown, index=False)
    )


def units_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """Unit × category variance % (year to date); flagged overruns ▲ and underspends ▼."""
    if result.budget is None or result.budget.units.empty:
        return HtmlFragment("")
    units = result.budget.units
    marks = {"over": " ▲", "under": " ▼"}
    text = [
        f"{signed_pct(share)}{marks.get(status, '') if flag else ''}"
        for share, flag, status in zip(units["variance_pct"], units["flag"], units["status"], strict=True)
    ]
    pivot = units.assign(text=text).pivot(index="unit", columns="category", values="text").fillna("—")
    pivot.columns = [word(c, lang) for c in pivot.columns]
    pivot.index = pd.Index([word(u, lang) for u in pivot.index], name=label("unit", lang))
    return _section("units_title", lang, table_html(pivot))


# --------------------------------------------------------------------------- campaigns


def campaign_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """Attribution rule, returns by type and the low-ROI / lowest-return campaigns."""
    c = result.campaigns
    if c is None:
        return _section("campaign_title", lang, _skipped(result, "campaigns", lang))
    rule = result.low_roi_rule
    method = label("campaign_method", lang).format(
        rule=label(f"rule_{c.attribution}", lang),
        start=c.window_start,
        as_of=c.as_of,
        maturity=rule.maturity_days,
        min_cost=Amount(rule.min_cost, lang),
        fraction=rule.fraction,
    )
    types = _shown(
        c.types,
        {
            "type": words(lang),
            "campaigns": integer,
            "cost": money,
            "leads": integer,
            "pipeline": money,
            "won_revenue": money,
            "new_customers": integer,
            "cost_per_lead": money,
            "cac": money,
            "roi": pct,
            "typical_return": number,
            "elasticity": number,
            "marginal_return": number,
            "low_roi": integer,
        },
        lang,
    )
    worst = pd.concat([c.low_roi, c.judged.nsmallest(8, "pipeline_to_cost")]).drop_duplicates("campaign_id")
    worst = worst.assign(campaign=worst["name"].fillna(worst["campaign_id"]))
    flagged = label("flagged", lang)
    listing = _shown(
        worst,
        {
            "campaign": str,
            "type": words(lang),
            "region": words(lang),
            "start_date": lambda v: str(pd.Timestamp(v).date()),
            "cost": money,
            "leads": integer,
            "opportunities": integer,
            "pipeline": money,
            "pipeline_to_cost": number,
            "peer_median_ratio": number,
            "won_revenue": money,
            "roi": pct,
            "cost_per_lead": money,
            "cost_per_won": money,
            "cac": money,
            "payback_months": lambda v: number(v, 1),
            "low_roi": lambda v: flagged if v else "",
        },
        lang,
    )
    body = (
        paragraph(method, NOTE_CSS)
        + _notes(c.notes, lang)
        + f"<h3>{e(label('by_type', lang))}</h3>"
        + table_html(types, index=False)
        + f"<h3>{e(label('low_roi_list', lang))}</h3>"
        + table_html(listing, index=False)
    )
    return _section("campaign_title", lang, body)


# --------------------------------------------------------------------------- reallocation


def reallocation_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """The campaign moves and the model-based shift between categories, both budget-neutral."""
    parts = []
    if result.campaigns is not None:
        if result.moves.empty:
            parts.append(paragraph(label("no_moves", lang)))
        else:
            frame = result.moves.rename(
                columns={"name": "campaign", "from_type": "type", "to_marginal_return": "marginal_return"}
            )
            moves = _shown(
                frame,
                {
                    "campaign": str,
                    "type": words(lang),
                    "amount": money,
                    "to_type": words(lang),
                    "marginal_return": number,
                    "expected_pipeline": money,
                    "pipeline_gain": money,
                },
                lang,
            )
            parts.append(paragraph(label("moves_intro", lang)) + table_html(moves, index=False))
    shift, model = result.shift, result.response
    if shift is not None and model is not None:
        if shift.moved > 0:
            intro = label("shift_intro", lang).format(
                period_word=label(f"period_{model.period}", lang),
                share=result.max_shift,
                gain=Amount(shift.gain, lang),
                low=Amount(shift.gain_low, lang),
                high=Amount(shift.gain_high, lang),
            )
            table = _shown(
                shift.table,
                {
                    "category": words(lang),
                    "current": money,
                    "suggested": money,
                    "change": money,
                    "marginal_now": number,
                },
                lang,
            )
            parts.append(
                paragraph(intro)
                + table_html(table, index=False)
                + paragraph(label("warn_observational", lang), NOTE_CSS)
            )
        else:
            parts.append(paragraph(label("no_shift", lang)))
    return _section("realloc_title", lang, "".join(parts)) if parts else HtmlFragment("")


# --------------------------------------------------------------------------- response


def response_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """The spend–output model: method, estimates with intervals, and its warnings."""
    m = result.response
    if m is None:
        return _section("response_title", lang, _skipped(result, "response", lang))
    method = label("response_method", lang).format(
        unit_word=label(f"unit_{m.level}", lang),
        period_word=label(f"period_{m.period}", lang),
        output_word=label(f"output_{m.output}", lang),
        decay_word=label("decay_auto" if m.decay_chosen else "decay_fixed", lang),
        n=int(m.fit["n"]),
        units=m.units,
        periods=m.periods,
        first=m.first,
        last=m.last,
        r2=m.fit["r2"],
    )
    est = m.estimates
    est = est.assign(
        interval=intervals(est, "beta_low", "beta_high", lambda v: money(v, lang)),
        ridge=[
            f"{money(b, lang)} ({i})"
            for b, i in zip(
                est["ridge_beta"], intervals(est, "ridge_low", "ridge_high", lambda v: money(v, lang)), strict=True
            )
        ],
        roi_interval=intervals(est, "roi_low", "roi_high"),
        marginal_interval=intervals(est, "marginal_low", "marginal_high"),
    )
    table = _shown(
        est,
        {
            "category": words(lang),
            "decay": lambda v: number(v, 1),
            "beta": money,
            "interval": str,
            "ridge": str,
            "vif": lambda v: number(v, 1),
            "spend": money,
            "contribution_share": pct,
            "roi": number,
            "roi_interval": str,
            "current_spend": money,
            "marginal_roi": number,
            "marginal_interval": str,
        },
        lang,
    )
    warnings = "".join(f"<li>{e(_warning(code, detail, lang))}</li>" for code, detail in m.warnings)
    caveat = paragraph(label("simulated_caveat", lang), "color:#c8423b") if result.simulated else ""
    body = (
        caveat
        + paragraph(method, NOTE_CSS)
        + table_html(table, index=False)
        + f"<h3>{e(label('warnings', lang))}</h3><ul>{warnings}</ul>"
    )
    return _section("response_title", lang, body)


def _warning(code: str, detail: str, lang: str) -> str:
    """A model warning in words; category lists in the detail are translated."""
    if detail and not detail.replace(".", "").isdigit():
        detail = ", ".join(word(part.strip(), lang) for part in detail.split(","))
    return label(f"warn_{code}", lang).format(detail=detail)


# --------------------------------------------------------------------------- alignment


def alignment_section(result: ExpenseRoiResult, lang: str) -> HtmlFragment:
    """Expense ratio per region against the company and against the region's share of targets."""
    a = result.alignment
    if a is None:
        return _section("alignment_title", lang, _skipped(result, "alignment", lang))
    method = label("alignment_method", lang).format(ratio=pct(a.company_ratio))
    table = _shown(
        a.table,
        {
            "unit": words(lang),
            "expenses": money,
            "revenue": money,
            "expense_ratio": pct,
            "ratio_vs_company": signed_pct,
            "target": money,
            "attainment": pct,
            "expense_share": pct,
            "target_share": pct,
            "alignment_gap": points,
        },
        lang,
    )
    return _section("alignment_title", lang, paragraph(method, NOTE_CSS) + table_html(table, index=False))


# --------------------------------------------------------------------------- notebook


def summary_html(result: ExpenseRoiResult, lang: str = "zh") -> str:
    """The ranked findings and the skipped sections (how a result shows when a notebook cell ends with it)."""
    rows = "".join(
        f"<tr><td>{html.escape(f.kind)}</td><td>{html.escape(f.severity)}</td><td>{html.escape(f.unit)}</td>"
        f"<td>{money(f.at_stake, lang)}</td></tr>"
        for f in rank(result.findings)
    )
    head = "".join(
        f"<th>{html.escape(label(f'summary.{key}', lang))}</th>" for key in ("kind", "severity", "unit", "at_stake")
    )
    skipped = "".join(
        f"<li>{html.escape(section)}: {html.escape(code)} {html.escape(detail)}</li>"
        for section, (code, detail) in result.skipped.items()
    )
    table = f"<table class='salesops-findings'><tr>{head}</tr>{rows}</table>"
    return table + (f"<ul>{skipped}</ul>" if skipped else "")
