"""The monthly review page, in the order a VP reads it: the one-sentence headline, KPI tiles with
target, target vs actual by region, the target → actual bridge, the trend against target with the
forecast, the leaderboard, the quarter's forecast, then the findings with their actions.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.metrics.formatting import MISSING_TEXT, is_missing_number
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.formats import quarter_forecast
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, tiles_html
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.money import money
from salesops_lib.report.monthly_review import charts
from salesops_lib.report.names import name_or

REPORT = "monthly_review"
DEAL_LISTS = {
    "stalled_deals": "funnel_diagnosis",
    "stalled_deals_unpriced": "funnel_diagnosis",
    "slipping_deals": "forecast",
    "key_account_decline": "forecast",
    "key_account_churn": "forecast",
    "overdue_chase": "collections_customers",
    "doubtful_debt": "collections_customers",
}
"""Finding kind → the report whose Excel download lists the deals, accounts or invoices behind it
(stalled deals, slipping deals, key accounts, overdue invoices)."""
HEADLINE_CSS = (
    ".so-headline{font-size:19px;line-height:1.5;font-weight:600;color:#1f2d3d;margin:10px 0 14px;"
    "padding:10px 14px;border-left:5px solid #1f5aa6;background:#f5f7fa}"
    ".so-note{color:#51606f;font-size:13px}"
)


def _w(key: str, lang: str) -> str:
    return t(key, lang, REPORT)


def _pct(value: Any, digits: int = 1) -> str:
    return MISSING_TEXT if value is None or is_missing_number(value) else f"{float(value):.{digits}%}"


def _month(period: str, lang: str) -> str:
    day = dt.date.fromisoformat(f"{period}-01")
    return f"{day.month}月" if lang == "zh" else f"{day:%B}"


def headline_text(result: MonthlyReviewResult, lang: str) -> str:
    """The page's one sentence, from :attr:`~MonthlyReviewResult.headline`: revenue against target,
    the bridge step that made most of the gap, the weakest region and the quarter's chance to
    hit target (each part only when the data give it).
    """
    facts = result.headline
    if "actual" not in facts:
        return ""
    month = _month(result.period, lang)
    if "attainment" in facts:
        text = _w("headline_revenue", lang).format(
            month=month,
            actual=money(facts["actual"], lang),
            target=money(facts["target"], lang),
            attainment=_pct(facts["attainment"]),
        )
        gap = facts["gap"]
        text += _w("headline_short" if gap < 0 else "headline_over", lang).format(gap=money(abs(gap), lang))
        if "driver" in facts:
            amount = facts["driver_amount"]
            text += _w("headline_driver", lang).format(
                driver=_w(f"driver_{facts['driver']}", lang),
                amount=("+" if amount >= 0 else "−") + money(abs(amount), lang),
            )
    else:
        text = _w("headline_revenue_only", lang).format(month=month, actual=money(facts["actual"], lang))
    if "worst_region" in facts:
        text += _w("headline_worst", lang).format(
            region=name_or("region", facts.get("worst_unit"), facts["worst_region"], lang),
            attainment=_pct(facts["worst_attainment"]),
        )
    if "p_hit" in facts:
        key = "headline_quarter" if "quarter_attainment" in facts else "headline_quarter_p"
        text += _w(key, lang).format(
            quarter=facts["quarter"], attainment=_pct(facts.get("quarter_attainment")), p_hit=_pct(facts["p_hit"], 0)
        )
    return text + _w("headline_end", lang)


def headline(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The one-sentence headline, then the KPI tiles (revenue with its target, status colour by
    attainment; rates' changes in percentage points).
    """
    sentence = headline_text(result, lang)
    lead = f'<p class="so-headline" data-headline="1">{e(sentence)}</p>' if sentence else ""
    return HtmlFragment(
        f"<style>{TILE_CSS}{HEADLINE_CSS}</style>{lead}<h2>{e(_w('tiles_title', lang))}</h2>"
        + tiles_html(_tiles_with_targets(result.tiles), lang)
    )


def _tiles_with_targets(tiles: pd.DataFrame) -> pd.DataFrame:
    """The tiles; attainment itself gets its status colour."""
    tiles = tiles.copy()
    att = tiles["metric"] == "attainment"
    tiles.loc[att, "vs_target"] = tiles.loc[att, "value"]
    return tiles


def regions(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """Target vs actual by region (bars with attainment)."""
    return _section("regions_title", charts.region_chart(result, lang), lang)


def bridge(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The target → actual waterfall and how it is made."""
    chart = charts.bridge_chart(result, lang)
    note = f"<p class='so-note'>{e(_w('bridge_note', lang))}</p>" if chart else ""
    return _section("bridge_title", chart + note, lang)


def trend(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The last 12 months against target, with the forecast's band ahead."""
    return _section("trend12_title", charts.trend_chart(result, lang), lang)


def leaders(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The top and bottom reps."""
    chart = charts.leaders_chart(result, lang)
    note = (
        f"<p class='so-note'>{e(_w('leaders_note', lang))}</p>"
        if chart and result.leaders["attainment"].notna().any()
        else ""
    )
    return _section("leaders_title", chart + note, lang)


def quarter(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The quarter's forecast with its band, P(hit) and pipeline coverage."""
    q = result.quarter
    if not q:
        return HtmlFragment("")
    text = quarter_forecast(q["label"], q, lang)
    if not is_missing_number(q.get("coverage")):
        text += " " + _w("coverage_text", lang).format(
            coverage=_pct(q["coverage"], 0), usual=_pct(q["usual_coverage"], 0)
        )
    if q.get("weak"):
        text += " " + _w("weak_forecast", lang)
    return _section("quarter_title", charts.quarter_chart(result, lang) + f"<p>{e(text)}</p>", lang)


def _section(title: str, body: str, lang: str) -> HtmlFragment:
    return HtmlFragment(f"<h2>{e(_w(title, lang))}</h2>{body}" if body else "")


def findings_table(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The findings, one per subject: severity, sentence with action, money at stake, links to
    the detail page and (where the report lists them) the deals behind the finding.
    """
    rows = "".join(_finding_row(f, lang) for f in result.findings)
    left = " style='text-align:left'"
    head = "".join(
        f"<th{left if k == 'what' else ''}>{e(_w(k, lang))}</th>" for k in ("severity", "what", "at_stake", "detail")
    )
    body = (
        f"<div style='overflow-x:auto'><table class='so-table'><tr>{head}</tr>{rows}</table></div>"
        if rows
        else f"<p>{e(t('no_findings', lang))}</p>"
    )
    return HtmlFragment(f"<style>{TILE_CSS}</style><h2>{e(_w('top_findings', lang))}</h2>{body}")


def _finding_row(finding: Finding, lang: str) -> str:
    links = f"<a href='{e(finding.analysis)}.html'>{e(_title(finding.analysis, lang))}</a>"
    if finding.kind in DEAL_LISTS:
        links += f"<br><a href='{e(DEAL_LISTS[finding.kind])}.xlsx'>{e(_w('deal_list', lang))}</a>"
    return (
        f"<tr><td><span class='so-sev so-sev-{e(finding.severity)}'>{e(t(finding.severity, lang))}</span></td>"
        f"<td style='text-align:left'>{e(finding_text(finding, lang))}</td>"
        f"<td>{e(money(finding.at_stake, lang)) if finding.at_stake else '—'}</td>"
        f"<td>{links}</td></tr>"
    )


def _title(analysis: str, lang: str) -> str:
    pair = catalogue(analysis).title
    return (pair[0] if lang == "zh" else pair[1]) if pair else analysis


def summary_html(result: MonthlyReviewResult, lang: str = "zh") -> str:
    """The headline and a short list of the ranked findings (how a result shows when a notebook
    cell ends with it).
    """
    items = "".join(
        f"<li>{html.escape(f.severity)} · {html.escape(f.analysis)} · {html.escape(f.unit)}</li>"
        for f in result.findings
    )
    return f"<p>{html.escape(headline_text(result, lang))}</p><ul>{items}</ul>"
