"""Labels in Chinese and English. Every user-visible word of a page comes from here or from a
metric's own labels, so a zh page has no English left in it (a test checks)."""

from __future__ import annotations

from collections.abc import Mapping

LABELS: dict[str, dict[str, str]] = {
    "month": {"zh": "本月", "en": "This month"},
    "vs_prev": {"zh": "环比", "en": "vs previous month"},
    "vs_yoy": {"zh": "同比", "en": "vs same month last year"},
    "metric": {"zh": "指标", "en": "Metric"},
    "region": {"zh": "大区", "en": "Region"},
    "trend_title": {"zh": "近13个月趋势", "en": "Last 13 months"},
    "by_region_title": {"zh": "各大区本月表现", "en": "Regions this month"},
    "findings": {"zh": "主要发现", "en": "Findings"},
    "no_findings": {"zh": "本期无显著变化。", "en": "No notable changes this period."},
    "contents": {"zh": "目录", "en": "Contents"},
    "status": {"zh": "状态", "en": "Status"},
    "report": {"zh": "报告", "en": "Report"},
    "published": {"zh": "已发布", "en": "published"},
    "failed": {"zh": "失败", "en": "failed"},
    "skipped": {"zh": "已跳过", "en": "skipped"},
    "seconds": {"zh": "耗时（秒）", "en": "Seconds"},
    "audit_log": {"zh": "执行记录", "en": "executed notebook"},
    "data_quality": {"zh": "数据质量提示", "en": "Data quality warnings"},
    "monthly_review": {"zh": "月度经营回顾", "en": "Monthly review"},
    "periods": {"zh": "已发布期间", "en": "Published periods"},
    "source": {"zh": "数据源", "en": "Source"},
    "generated": {"zh": "生成时间", "en": "Generated"},
    "reason": {"zh": "原因", "en": "Reason"},
    "company": {"zh": "公司", "en": "Company"},
    "high": {"zh": "高", "en": "high"},
    "medium": {"zh": "中", "en": "medium"},
    "low": {"zh": "低", "en": "low"},
    "info": {"zh": "提示", "en": "info"},
}


def t(key: str, lang: str, labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The label ``key`` in ``lang`` (zh or en), from ``labels`` (a report's own) or the shared ones."""
    table = labels if labels is not None and key in labels else LABELS
    return table[key]["zh" if lang == "zh" else "en"]
