"""The monthly review page: KPI tiles with targets, and the ranked findings table."""

from __future__ import annotations

import html

from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, tiles_html
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.money import money

REPORT = "monthly_review"


def headline(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """KPI tiles; revenue shows its target and attainment."""
    html = f"<h2>{e(t('headline', lang, REPORT))}</h2>" + tiles_html(result.tiles, lang)
    revenue = result.tiles[result.tiles["metric"] == "revenue"]
    if not revenue.empty and revenue["target"].notna().iloc[0]:
        row = revenue.iloc[0]
        html += (
            f"<p class='so-target'>{e(METRICS['revenue'].label(lang))}: {e(money(row['value'], lang))}"
            f" / {e(t('target', lang, REPORT))} {e(money(row['target'], lang))}"
            f" = {e(format_value(row['vs_target'], 'ratio'))} {e(t('vs_target', lang, REPORT))}</p>"
        )
    return HtmlFragment(html)


def findings_table(result: MonthlyReviewResult, lang: str) -> HtmlFragment:
    """The ranked findings: severity, sentence with action, money at stake, link to the detail page."""
    rows = "".join(
        f"<tr><td><span class='so-sev so-sev-{e(f.severity)}'>{e(t(f.severity, lang, REPORT))}</span></td>"
        f"<td style='text-align:left'>{e(finding_text(f, lang))}</td>"
        f"<td>{e(money(f.at_stake, lang)) if f.at_stake else '—'}</td>"
        f"<td><a href='{e(f.analysis)}.html'>{e(_title(f.analysis, lang))}</a></td></tr>"
        for f in result.findings
    )
    left = " style='text-align:left'"
    head = "".join(
        f"<th{left if k == 'what' else ''}>{e(t(k, lang, REPORT))}</th>"
        for k in ("severity", "what", "at_stake", "detail")
    )
    body = f"<table class='so-table'><tr>{head}</tr>{rows}</table>" if rows else f"<p>{e(t('no_findings', lang))}</p>"
    return HtmlFragment(f"<style>{TILE_CSS}</style><h2>{e(t('top_findings', lang, REPORT))}</h2>{body}")


def _title(analysis: str, lang: str) -> str:
    pair = catalogue(analysis).title
    return (pair[0] if lang == "zh" else pair[1]) if pair else analysis


def summary_html(result: MonthlyReviewResult, lang: str = "zh") -> str:
    """A short list of the ranked findings (how a result shows when a notebook cell ends with it)."""
    items = "".join(
        f"<li>{html.escape(f.severity)} · {html.escape(f.analysis)} · {html.escape(f.unit)}</li>"
        for f in result.findings
    )
    return f"<p>{len(result.tiles)} KPIs, {len(result.findings)} findings</p><ul>{items}</ul>"
