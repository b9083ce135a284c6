"""Words for findings: zh/en templates filled from a finding's structured facts."""

from __future__ import annotations

from salesops_lib.analyses.findings import Finding
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.i18n import t

_TEMPLATES: dict[str, dict[str, str]] = {
    "kpi_move": {
        "zh": "{where}{metric}{basis}{direction}{change}（{value}，上期 {baseline}）。",
        "en": "{where}{metric} {direction} {change} {basis} ({value}, was {baseline}).",
    },
}
_BASIS = {"prev": {"zh": "环比", "en": "vs previous month"}, "yoy": {"zh": "同比", "en": "vs last year"}}
_ACTIONS = {
    "review_detail": {"zh": "请查看明细报告，确认原因。", "en": "Check the detail report for the cause."},
}


def finding_text(finding: Finding, lang: str) -> str:
    """One sentence (plus the recommended action) for ``finding`` in ``lang``."""
    lang = "zh" if lang == "zh" else "en"
    metric = METRICS.get(finding.metric)
    unit = metric.unit if metric else "ratio"
    change = finding.facts.get("change", finding.change or 0.0)
    where = "" if finding.level == "company" else f"{finding.unit} "
    if lang == "zh" and where:
        where = f"{finding.unit}："
    text = _TEMPLATES.get(finding.kind, _TEMPLATES["kpi_move"])[lang].format(
        where=where,
        metric=metric.label(lang) if metric else finding.metric,
        basis=_BASIS.get(finding.facts.get("basis", "prev"), _BASIS["prev"])[lang],
        direction=("上升" if change >= 0 else "下降") if lang == "zh" else ("rose" if change >= 0 else "fell"),
        change=f"{abs(change):.1%}",
        value=format_value(finding.value, unit),
        baseline=format_value(finding.baseline, unit),
    )
    action = _ACTIONS.get(finding.action, {}).get(lang, "")
    return f"{text} {action}".strip() if lang == "en" else text + action
