"""Presentation of the monthly review: KPI tiles with targets, and the ranked findings table."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.config.registry import REPORTS
from salesops_lib.config.reports.monthly_review import MonthlyReviewParams
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.findings_text import FindingText, finding_text
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, tiles_html
from salesops_lib.report.i18n import t

LABELS = {
    "headline": {"zh": "本月要点", "en": "This month at a glance"},
    "top_findings": {"zh": "重点发现与建议", "en": "Top findings and actions"},
    "severity": {"zh": "级别", "en": "Severity"},
    "what": {"zh": "发现与建议", "en": "Finding and recommended action"},
    "at_stake": {"zh": "涉及金额", "en": "At stake"},
    "detail": {"zh": "明细", "en": "Detail"},
    "open": {"zh": "查看", "en": "open"},
    "target": {"zh": "目标", "en": "target"},
    "vs_target": {"zh": "达成", "en": "of target"},
    "coverage": {"zh": "各报告发现数量", "en": "Findings per report"},
}
FINDING_TEXT: dict[str, FindingText] = {}


def headline(result: MonthlyReviewResult) -> HtmlFragment:
    """KPI tiles; revenue shows its target and attainment."""
    lang = result.lang
    html = f"<h2>{e(t('headline', lang, LABELS))}</h2>" + tiles_html(result.tiles, lang)
    revenue = result.tiles[result.tiles["metric"] == "revenue"]
    if not revenue.empty and revenue["target"].notna().iloc[0]:
        row = revenue.iloc[0]
        html += (f"<p class='so-target'>{e(METRICS['revenue'].label(lang))}: {e(format_value(row['value'], 'currency'))}"
                 f" / {e(t('target', lang, LABELS))} {e(format_value(row['target'], 'currency'))}"
                 f" = {e(format_value(row['vs_target'], 'ratio'))} {e(t('vs_target', lang, LABELS))}</p>")
    return HtmlFragment(html)


def findings_table(result: MonthlyReviewResult) -> HtmlFragment:
    """The ranked findings: severity, sentence with action, money at stake, link to the detail page."""
    lang = result.lang
    rows = "".join(
        f"<tr><td><span class='so-sev so-sev-{e(f.severity)}'>{e(t(f.severity, lang, LABELS))}</span></td>"
        f"<td style='text-align:left'>{e(finding_text(f, lang))}</td>"
        f"<td>{e(format_value(f.at_stake, 'currency')) if f.at_stake else '—'}</td>"
        f"<td><a href='{e(f.analysis)}.html'>{e(_title(f.analysis, lang))}</a></td></tr>"
        for f in result.findings
    )
    left = " style='text-align:left'"
    head = "".join(f"<th{left if k == 'what' else ''}>{e(t(k, lang, LABELS))}</th>"
                   for k in ("severity", "what", "at_stake", "detail"))
    body = (f"<table class='so-table'><tr>{head}</tr>{rows}</table>" if rows
            else f"<p>{e(t('no_findings', lang))}</p>")
    return HtmlFragment(f"<style>{TILE_CSS}</style><h2>{e(t('top_findings', lang, LABELS))}</h2>{body}")


def load_findings(path: str | Path) -> list[Finding]:
    """Findings from a ``findings.json`` (as written by the runner)."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Finding(**{k: v for k, v in r.items() if k not in ("id", "change", "link")}) for r in records]


def collect_findings(data: Dataset, params: MonthlyReviewParams) -> list[Finding]:
    """Every registered analysis' findings for the period, computed here (outside the runner)."""
    common = {k: getattr(params, k) for k in ("source", "mapping", "period", "lang", "region")}
    found: list[Finding] = []
    for spec in REPORTS.values():
        if not spec.module or spec.name == "monthly_review" or not data.has(*spec.requires):
            continue
        module = importlib.import_module(spec.module)
        result = module.compute(data, spec.params.load(common))
        found += list(result.findings)
    return found


def findings_for(data: Dataset, params: MonthlyReviewParams) -> list[Finding]:
    """The runner's findings file when given, else the analyses computed here."""
    if params.findings_file and Path(params.findings_file).exists():
        return load_findings(params.findings_file)
    return collect_findings(data, params)


def _title(analysis: str, lang: str) -> str:
    spec = REPORTS.get(analysis)
    return spec.title(lang) if spec else analysis
