"""Presentation of the expense ROI report: sections (HTML), plots and the findings' words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter

from salesops_lib.analyses.expenses import ExpenseRoiResult
from salesops_lib.analyses.expenses.budget import TOTAL, UNASSIGNED
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.formats import integer, missing, money, money_axis, number, paragraph, pct, signed_pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.theme import PALETTE, apply_theme

LABELS: dict[str, dict[str, str]] = {
    # sections
    "budget_title": {"zh": "预算执行（财年初至今）", "en": "Budget vs actual (fiscal year to date)"},
    "budget_plot_title": {"zh": "累计费用与累计预算", "en": "Cumulative spend and budget"},
    "units_title": {"zh": "各单位预算偏差（财年初至今）", "en": "Budget variance by unit (year to date)"},
    "campaign_title": {"zh": "市场活动投资回报", "en": "Campaign and event ROI"},
    "realloc_title": {"zh": "预算调整建议（总额不变）", "en": "Reallocation within the budget"},
    "response_title": {"zh": "投入与产出的关系", "en": "Spend and output"},
    "alignment_title": {"zh": "费用率与资源匹配", "en": "Expense ratio and resource alignment"},
    # tiles
    "tile_spent": {"zh": "财年初至今费用", "en": "Spend, year to date"},
    "tile_projected": {"zh": "全年预计费用", "en": "Projected year end"},
    "tile_campaign_roi": {"zh": "活动赢单回报率", "en": "Campaign ROI (won)"},
    "tile_pipeline_ratio": {"zh": "每元活动费用带来商机", "en": "Pipeline per unit of campaign cost"},
    "tile_expense_ratio": {"zh": "费用率（财年初至今）", "en": "Expense ratio (year to date)"},
    "vs_budget": {"zh": "对比预算", "en": "vs budget"},
    "vs_annual": {"zh": "对比全年预算", "en": "vs annual budget"},
    "campaigns_in_window": {"zh": "个已结束活动", "en": "mature campaigns"},
    # method lines
    "budget_method": {
        "zh": (
            "财年 {start} 至 {end}，截至 {as_of}；预算口径：{level}。偏差 = 实际 − 预算；全年预计 = 已花 × 全"
            "年预算 ÷ 至今预算（按至今节奏花完剩余预算）；超支标准：偏差率 ≥ {threshold:.0%} 且金额 ≥ {amount:,.0f}。"
            "退款（负数费用行）已冲减。"
        ),
        "en": (
            "Fiscal year {start} to {end}, as of {as_of}; budgets compared at {level} level. Variance = actual "
            "− budget; projected year end = spent × annual budget ÷ budget to date (the rest of the budget spent "
            "at this pace); an overrun is ≥ {threshold:.0%} and ≥ {amount:,.0f} over. Refunds (negative lines) "
            "are netted."
        ),
    },
    "campaign_method": {
        "zh": (
            "归因规则：{rule}。评估 {start} 至 {as_of} 开始的活动；低回报 = 结束满 {maturity} 天、费用不低于 "
            "{min_cost:,.0f}、且每元费用带来的商机不高于同类中位数的 {fraction:.0%}。回报率 = (赢单金额 − 费用"
            ") ÷ 费用；获客成本 = 费用 ÷ 新客户数；回收期 = 费用 ÷ 新客户获客后的月均毛利。"
        ),
        "en": (
            "Attribution: {rule}. Campaigns started {start} to {as_of}; low ROI = ended at least {maturity} days "
            "ago, cost at least {min_cost:,.0f}, and pipeline per unit of cost at most {fraction:.0%} of its "
            "type's median. ROI = (won revenue − cost) ÷ cost; CAC = cost ÷ new customers; payback = cost ÷ the "
            "new customers' monthly gross profit since acquisition."
        ),
    },
    "rule_first_touch": {
        "zh": "首次触达（商机所来自线索的活动，leads.campaign_id）",
        "en": "first touch (the campaign of the deal's own lead, leads.campaign_id)",
    },
    "rule_last_touch": {
        "zh": "末次触达（商机创建前该客户最近一条活动线索）",
        "en": "last touch (the account's latest campaign lead before the deal was created)",
    },
    "response_method": {
        "zh": (
            "模型：按{unit_word}、按{period_word}，{output_word} = Σ 系数 × log(1 + 累积投入 ÷ 常规水平) + 单"
            "位效应 + 季节 + 趋势；累积投入按几何衰减（{decay_word}）。样本 {n} 个（{units} 个单位 × {periods} "
            "期，{first} 至 {last}），R² = {r2:.2f}。普通最小二乘 95% 区间（HAC 稳健），岭回归为稳健性对照（区"
            "块自助法区间）。边际回报 = 当前投入水平下每多投 1 元带来的产出。"
        ),
        "en": (
            "Model per {unit_word} and {period_word}: {output_word} = Σ coefficient × log(1 + carried-over spend "
            "÷ usual level) + unit effects + season + trend; carry-over is geometric ({decay_word}). {n} observations "
            "({units} units × {periods} periods, {first} to {last}), R² = {r2:.2f}. OLS 95 % intervals (HAC-robust); "
            "ridge as a stability check (block-bootstrap intervals). Marginal return = output per one more unit "
            "of spend at the current level."
        ),
    },
    "decay_auto": {"zh": "衰减率按拟合选择", "en": "rate chosen by fit"},
    "decay_fixed": {"zh": "衰减率固定", "en": "fixed rate"},
    "unit_region": {"zh": "大区", "en": "region"},
    "unit_company": {"zh": "公司", "en": "company"},
    "period_month": {"zh": "月", "en": "month"},
    "period_week": {"zh": "周", "en": "week"},
    "output_revenue": {"zh": "销售额", "en": "revenue"},
    "output_pipeline": {"zh": "新增商机金额", "en": "pipeline created"},
    "alignment_method": {
        "zh": (
            "财年初至今：费用率 = 费用 ÷ 销售额；资源匹配 = 费用占比 − 目标占比（正数表示投入多于目标所占份额）"
            "。公司费用率 {ratio}。"
        ),
        "en": (
            "Fiscal year to date: expense ratio = expenses ÷ revenue; alignment gap = share of expenses − share "
            "of targets (positive: more resources than the target's share). Company expense ratio {ratio}."
        ),
    },
    "simulated_caveat": {
        "zh": "注意：数据为模拟数据，以下估计只说明模型能运行，不能作为任何渠道真实回报的证据。",
        "en": (
            "Note: the data are simulated; the estimates below show that the model runs and are no evidence of "
            "any channel's real return."
        ),
    },
    "warnings": {"zh": "模型提示", "en": "Model warnings"},
    "no_moves": {"zh": "没有低回报活动，无需调整活动预算。", "en": "No low-ROI campaign: no campaign budget to move."},
    "no_shift": {
        "zh": "模型未给出可靠的调整方向（没有边际回报显著为正且不随业绩被动增加的类别，或差异不足 5%）。",
        "en": (
            "The model gives no reliable direction (no category whose marginal return is clearly positive and "
            "whose spend does not follow output, or returns differ by less than 5 %)."
        ),
    },
    "shift_intro": {
        "zh": (
            "按模型在各类别间调整每{period_word}投入（单类最多 ±{share:.0%}）：产出预计变化 {gain:,.0f}（95% "
            "区间 {low:,.0f} 至 {high:,.0f}）。"
        ),
        "en": (
            "Shift of spend per {period_word} between categories by the model (each at most ±{share:.0%}): expected "
            "change of output {gain:,.0f} (95 % interval {low:,.0f} to {high:,.0f})."
        ),
    },
    "moves_intro": {
        "zh": "低回报活动的费用改投边际回报最高的活动类型：",
        "en": "The cost of low-ROI campaigns moved to the campaign type with the highest marginal return:",
    },
    "low_roi_list": {"zh": "低回报活动及回报最低的活动", "en": "Low-ROI and lowest-return campaigns"},
    "by_type": {"zh": "按活动类型", "en": "By campaign type"},
    "skipped": {"zh": "本节未计算：{reason}", "en": "Section not computed: {reason}"},
    "reason_missing_table": {"zh": "数据源缺少表 {detail}", "en": "the source lacks table {detail}"},
    "reason_no_budget_lines": {
        "zh": "本财年（自 {detail} 起）没有预算行",
        "en": "no budget line in the fiscal year starting {detail}",
    },
    "reason_no_campaigns": {
        "zh": "最近 {detail} 个月没有开始的活动",
        "en": "no campaign started in the last {detail} months",
    },
    "reason_too_little_data": {
        "zh": "数据太少，无法建模（{detail}）",
        "en": "too little data to fit the model ({detail})",
    },
    "reason_no_regions": {"zh": "费用行没有标注大区{detail}", "en": "no expense line carries a region{detail}"},
    "reason_model_failed": {"zh": "模型无法求解（{detail}）", "en": "the model could not be solved ({detail})"},
    "note_region_filter_not_applied": {
        "zh": "预算为公司级，未按大区筛选。",
        "en": "Budgets are company-level: the region filter does not apply to them.",
    },
    "note_several_budget_levels": {
        "zh": "预算行含多个层级，仅比较所选层级。",
        "en": "Budget lines exist at several levels; only the chosen level is compared.",
    },
    "note_no_order_costs": {
        "zh": "订单无成本，毛利、回收期不可得。",
        "en": "Orders carry no cost: gross profit and payback are not available.",
    },
    "note_no_leads": {"zh": "数据源无线索表，无法归因。", "en": "The source has no leads: nothing can be attributed."},
    "note_no_opportunities": {
        "zh": "数据源无商机表，无法计算商机与赢单。",
        "en": "The source has no opportunities: no pipeline or wins.",
    },
    # warnings of the response model
    "warn_simulated": {
        "zh": "模拟数据：估计不代表真实回报。",
        "en": "Simulated data: the estimates are not real returns.",
    },
    "warn_collinear": {
        "zh": "共线性：{detail} 的投入与其他类别高度相关（VIF > 10），单独效果无法分开。",
        "en": (
            "Collinear: the spend of {detail} moves with the others (VIF > 10); their separate effects cannot "
            "be told apart."
        ),
    },
    "warn_ill_conditioned": {
        "zh": "设计矩阵病态（条件数 {detail}），各类别效果难以区分。",
        "en": "Ill-conditioned design (condition number {detail}): the categories' effects are hard to separate.",
    },
    "warn_unstable": {
        "zh": "不稳定：{detail} 的普通回归与岭回归估计相差过大。",
        "en": "Unstable: OLS and ridge disagree for {detail}.",
    },
    "warn_few_observations": {
        "zh": "样本偏少（{detail} 个），区间较宽。",
        "en": "Few observations ({detail}); intervals are wide.",
    },
    "warn_zero_in_interval": {
        "zh": "{detail} 的 95% 区间包含 0：无法确认其有正向作用。",
        "en": "The 95 % interval of {detail} includes zero: no clear effect.",
    },
    "warn_spend_follows_output": {
        "zh": "{detail} 的投入在业绩好之后随之增加（预算跟着业绩走），因果方向可能相反，不作为调入对象。",
        "en": (
            "The spend of {detail} rises after strong periods (budgets follow results): the arrow may point backwards; "
            "not used as a recipient."
        ),
    },
    "warn_dropped": {
        "zh": "{detail} 投入期数太少，未纳入模型。",
        "en": "{detail}: too few periods with spend, left out of the model.",
    },
    "warn_negative_spend_clipped": {
        "zh": "部分期间退款大于支出，按 0 处理。",
        "en": "Some periods had more refunds than spend; counted as zero.",
    },
    "warn_level_fallback": {
        "zh": "费用未标注大区，按公司整体建模。",
        "en": "Expenses carry no region; modelled for the company as a whole.",
    },
    "warn_unmatched_spend": {
        "zh": "部分费用的大区没有对应的产出，未纳入模型。",
        "en": "Some spend is in regions without output; left out of the model.",
    },
    "warn_observational": {
        "zh": "观测数据：预算通常跟随计划与规模，估计是相关关系，不是因果证明；调整前请先做对照测试。",
        "en": (
            "Observational data: budgets follow plans and size, so these are associations, not proof of cause; "
            "test before moving money."
        ),
    },
    "warn_shape_assumed": {
        "zh": "边际递减的形状（对数）和衰减率是假设或拟合选择的，区间未包含这部分不确定性。",
        "en": (
            "The diminishing-returns shape (log) and the carry-over are assumed or chosen by fit; the intervals "
            "do not include that uncertainty."
        ),
    },
    # columns
    "category": {"zh": "费用类别", "en": "Category"},
    "unit": {"zh": "单位", "en": "Unit"},
    "annual_budget": {"zh": "全年预算", "en": "Annual budget"},
    "budget_ytd": {"zh": "至今预算", "en": "Budget to date"},
    "spent_ytd": {"zh": "至今实际", "en": "Spent to date"},
    "refunds_ytd": {"zh": "退款", "en": "Refunds"},
    "variance": {"zh": "偏差", "en": "Variance"},
    "variance_pct": {"zh": "偏差率", "en": "Variance %"},
    "burn": {"zh": "预算消耗", "en": "Burn"},
    "expected_burn": {"zh": "应消耗", "en": "Expected burn"},
    "projected": {"zh": "全年预计", "en": "Projected"},
    "projected_over_pct": {"zh": "预计超支率", "en": "Projected over %"},
    "months_over": {"zh": "超支月数", "en": "Months over"},
    "status": {"zh": "状态", "en": "Status"},
    "campaign": {"zh": "活动", "en": "Campaign"},
    "type": {"zh": "类型", "en": "Type"},
    "region": {"zh": "大区", "en": "Region"},
    "start_date": {"zh": "开始日期", "en": "Start"},
    "cost": {"zh": "费用", "en": "Cost"},
    "leads": {"zh": "线索", "en": "Leads"},
    "opportunities": {"zh": "商机", "en": "Opportunities"},
    "pipeline": {"zh": "商机金额", "en": "Pipeline"},
    "won_revenue": {"zh": "赢单金额", "en": "Won revenue"},
    "gross_profit": {"zh": "毛利", "en": "Gross profit"},
    "new_customers": {"zh": "新客户", "en": "New customers"},
    "cost_per_lead": {"zh": "单条线索成本", "en": "Cost per lead"},
    "cost_per_opportunity": {"zh": "单个商机成本", "en": "Cost per opportunity"},
    "cost_per_won": {"zh": "单个赢单成本", "en": "Cost per won deal"},
    "cac": {"zh": "获客成本", "en": "CAC"},
    "payback_months": {"zh": "回收期（月）", "en": "Payback (months)"},
    "pipeline_to_cost": {"zh": "每元商机", "en": "Pipeline per cost"},
    "peer_median_ratio": {"zh": "同类中位数", "en": "Type median"},
    "roi": {"zh": "回报率", "en": "ROI"},
    "campaigns": {"zh": "活动数", "en": "Campaigns"},
    "low_roi": {"zh": "低回报", "en": "Low ROI"},
    "typical_return": {"zh": "典型回报", "en": "Typical return"},
    "marginal_return": {"zh": "边际回报", "en": "Marginal return"},
    "elasticity": {"zh": "规模弹性", "en": "Elasticity"},
    "amount": {"zh": "金额", "en": "Amount"},
    "to_type": {"zh": "改投类型", "en": "To type"},
    "expected_pipeline": {"zh": "预计商机", "en": "Expected pipeline"},
    "pipeline_gain": {"zh": "预计增加商机", "en": "Pipeline gain"},
    "current": {"zh": "当前每期投入", "en": "Current per period"},
    "suggested": {"zh": "建议每期投入", "en": "Suggested per period"},
    "change": {"zh": "调整", "en": "Change"},
    "marginal_now": {"zh": "当前边际回报", "en": "Marginal return now"},
    "decay": {"zh": "衰减率", "en": "Carry-over"},
    "beta": {"zh": "系数", "en": "Coefficient"},
    "interval": {"zh": "95% 区间", "en": "95 % interval"},
    "ridge": {"zh": "岭回归系数", "en": "Ridge"},
    "vif": {"zh": "VIF", "en": "VIF"},
    "spend": {"zh": "期内投入", "en": "Spend"},
    "contribution_share": {"zh": "贡献占比", "en": "Share of contribution"},
    "roi_interval": {"zh": "回报率区间", "en": "ROI interval"},
    "current_spend": {"zh": "当前每期投入", "en": "Current spend per period"},
    "marginal_roi": {"zh": "边际回报", "en": "Marginal return"},
    "marginal_interval": {"zh": "边际回报区间", "en": "Marginal interval"},
    "expenses": {"zh": "费用", "en": "Expenses"},
    "revenue": {"zh": "销售额", "en": "Revenue"},
    "expense_ratio": {"zh": "费用率", "en": "Expense ratio"},
    "ratio_vs_company": {"zh": "对比公司", "en": "vs company"},
    "target": {"zh": "目标", "en": "Target"},
    "attainment": {"zh": "达成率", "en": "Attainment"},
    "expense_share": {"zh": "费用占比", "en": "Share of expenses"},
    "target_share": {"zh": "目标占比", "en": "Share of targets"},
    "alignment_gap": {"zh": "匹配差", "en": "Alignment gap"},
    # plot words
    "budget_line": {"zh": "累计预算", "en": "Cumulative budget"},
    "spent_line": {"zh": "累计实际", "en": "Cumulative spend"},
    "projected_line": {"zh": "按当前节奏预计", "en": "Projected at this pace"},
    "low_roi_line": {"zh": "低回报阈值", "en": "Low-ROI threshold"},
    "median_line": {"zh": "中位数", "en": "Median"},
    "x_cost": {"zh": "活动费用", "en": "Campaign cost"},
    "y_pipeline": {"zh": "带来的商机金额", "en": "Pipeline sourced"},
    "x_spend": {"zh": "每期投入", "en": "Spend per period"},
    "y_output": {"zh": "每期产出", "en": "Output per period"},
    "current_marker": {"zh": "当前投入", "en": "Current spend"},
    "flagged": {"zh": "低回报", "en": "Low ROI"},
}

WORDS: dict[str, tuple[str, str]] = {
    # expense categories (demo) and MMM channels
    "travel": ("差旅", "travel"), "entertainment": ("业务招待", "entertainment"), "events": ("会议活动", "events"),
    "promotion": ("推广", "promotion"), "tv": ("电视", "TV"), "ooh": ("户外", "out of home"),
    "print": ("平面", "print"), "search": ("搜索", "search"), "facebook": ("社交媒体(Facebook)", "Facebook"),
    TOTAL: ("合计", "total"),
    # campaign types
    "expo": ("展会", "expo"), "seminar": ("研讨会", "seminar"), "online": ("线上推广", "online"),
    # statuses
    "over": ("超支", "over"), "under": ("结余", "under"), "ok": ("正常", "ok"), "no_budget": ("无预算", "no budget"),
    "no_cost": ("无费用", "no cost"), "maturing": ("观察期", "maturing"),
    # levels
    "company": ("公司", "company"), "region": ("大区", "region"), "team": ("团队", "team"), "rep": ("销售", "rep"),
    UNASSIGNED: ("未归属", "unassigned"),
}


def _t(key: str, lang: str) -> str:
    return t(key, lang, labels=LABELS)


def word(code: object, lang: str) -> str:
    """A coded value (category, type, status, level) in ``lang``; unknown codes print as they are."""
    pair = WORDS.get(str(code))
    return str(code) if pair is None else (pair[0] if lang == "zh" else pair[1])


def _title(code: object, lang: str) -> str:
    text = word(code, lang)
    return text[:1].upper() + text[1:] if lang == "en" else text


# --------------------------------------------------------------------------- formatting

Formatter = Callable[[Any], str]
NOTE_CSS = "color:#51606f;font-size:13px"














def _points(v: Any) -> str:
    return "—" if missing(v) else f"{float(v) * 100:+.1f} pt"


def _intervals(frame: pd.DataFrame, low: str, high: str, fmt: Formatter = number) -> list[str]:
    return [f"{fmt(lo)} ~ {fmt(hi)}" for lo, hi in zip(frame[low], frame[high], strict=True)]


def _words(lang: str) -> Formatter:
    return lambda v: word(v, lang)


def _shown(frame: pd.DataFrame, columns: dict[str, Formatter], lang: str) -> pd.DataFrame:
    """``frame``'s ``columns`` formatted (name → formatter) under their ``lang`` labels."""
    return pd.DataFrame({_t(name, lang): [fmt(v) for v in frame[name]] for name, fmt in columns.items()})


def _section(title_key: str, lang: str, body: str = "") -> HtmlFragment:
    return HtmlFragment(f"<h2>{e(_t(title_key, lang))}</h2>{body}")




def _skipped(result: ExpenseRoiResult, section: str) -> str:
    if section not in result.skipped:
        return ""
    code, detail = result.skipped[section]
    reason = _t(f"reason_{code}", result.lang).format(detail=detail)
    return paragraph(_t("skipped", result.lang).format(reason=reason), NOTE_CSS)


def _notes(codes: tuple[str, ...], lang: str) -> str:
    return "".join(paragraph(_t(f"note_{c}", lang), NOTE_CSS) for c in codes)




def _grid(count: int, width: float, height: float) -> tuple[Figure, np.ndarray]:
    cols = 2 if count in (2, 4) else min(count, 3)
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    return fig, axes


# --------------------------------------------------------------------------- tiles


def summary(result: ExpenseRoiResult) -> HtmlFragment:
    """Headline tiles: spend vs budget, projection, campaign returns, expense ratio."""
    lang = result.lang
    tiles: list[tuple[str, str, str, bool | None]] = []
    if result.budget is not None:
        total = result.budget.company.set_index("category").loc[TOTAL]
        tiles.append((_t("tile_spent", lang), money(total["spent_ytd"]),
                      f"{_t('vs_budget', lang)} {signed_pct(total['variance_pct'])}", total["variance_pct"] > 0))
        tiles.append((_t("tile_projected", lang), money(total["projected"]),
                      f"{_t('vs_annual', lang)} {signed_pct(total['projected_over_pct'])}",
                      total["projected_over_pct"] > 0))
    if result.campaigns is not None:
        totals = result.campaigns.totals()
        count = f"{int(totals['campaigns'])} {_t('campaigns_in_window', lang)}"
        tiles.append((_t("tile_campaign_roi", lang), pct(totals["roi"]), count, None))
        tiles.append((_t("tile_pipeline_ratio", lang), number(totals["pipeline_to_cost"]), count, None))
    if result.alignment is not None:
        tiles.append((_t("tile_expense_ratio", lang), pct(result.alignment.company_ratio), "", None))
    parts = []
    for label, value, delta, bad in tiles:
        css = "" if bad is None else ("so-bad" if bad else "so-good")
        parts.append(f"<div class='so-tile'><div class='so-label'>{e(label)}</div>"
                     f"<div class='so-value'>{e(value)}</div>"
                     f"<div class='so-delta'><span class='{css}'>{e(delta)}</span></div></div>")
    caveat = paragraph(_t("simulated_caveat", lang), "color:#c8423b") if result.simulated else ""
    return HtmlFragment(f"<style>{TILE_CSS}</style>{caveat}<div class='so-tiles'>{''.join(parts)}</div>")


# --------------------------------------------------------------------------- budget


def budget_section(result: ExpenseRoiResult) -> HtmlFragment:
    """Budget vs actual by category for the fiscal year to date, with the method line."""
    lang, b = result.lang, result.budget
    if b is None:
        return _section("budget_title", lang, _skipped(result, "budget"))
    method = _t("budget_method", lang).format(
        start=b.fiscal_start, end=b.fiscal_end, as_of=b.as_of, level=word(b.level, lang),
        threshold=b.thresholds.overrun, amount=b.thresholds.min_amount)
    company = b.company.assign(months_over=b.company["months_over"].where(b.company["category"] != TOTAL))
    shown = _shown(company, {
        "category": _words(lang), "annual_budget": money, "budget_ytd": money, "spent_ytd": money,
        "refunds_ytd": money, "variance": money, "variance_pct": signed_pct, "burn": pct,
        "expected_burn": pct, "projected": money, "projected_over_pct": signed_pct,
        "months_over": integer, "status": _words(lang),
    }, lang)
    return _section("budget_title", lang, paragraph(method, NOTE_CSS) + _notes(b.notes, lang) + table_html(shown, index=False))


def budget_plot(result: ExpenseRoiResult) -> Figure | HtmlFragment:
    """Cumulative spend against cumulative budget per category over the fiscal year, with the projection."""
    if result.budget is None or result.budget.monthly.empty:
        return HtmlFragment("")
    apply_theme()
    lang, monthly = result.lang, result.budget.monthly
    categories = sorted(monthly["category"].unique())
    fig, axes = _grid(len(categories), 6.0, 3.0)
    for ax, category in zip(axes.flat, categories, strict=False):
        m = monthly[monthly["category"] == category].sort_values("month")
        month, budget, spent = pd.to_datetime(m["month"]), m["budget"].cumsum(), m["spent"].cumsum()
        done = m["spent"].notna()
        ax.plot(month, budget, color=PALETTE[7], linestyle="--", label=_t("budget_line", lang))
        ax.plot(month[done], spent[done], color=PALETTE[0], marker="o", markersize=3, label=_t("spent_line", lang))
        if done.any() and not done.all() and budget[done].iloc[-1]:
            pace = spent[done].iloc[-1] / budget[done].iloc[-1]
            ax.plot(month, budget * pace, color=PALETTE[3], linestyle=":", label=_t("projected_line", lang))
        ax.set_title(_title(category, lang), fontsize=11)
        ax.yaxis.set_major_formatter(money_axis(lang))
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(_t("budget_plot_title", lang), fontsize=13)
    fig.tight_layout()
    plt.close(fig)
    return fig


def units_section(result: ExpenseRoiResult) -> HtmlFragment:
    """Unit × category variance % (year to date); flagged overruns ▲ and underspends ▼."""
    if result.budget is None or result.budget.units.empty:
        return HtmlFragment("")
    lang, units = result.lang, result.budget.units
    marks = {"over": " ▲", "under": " ▼"}
    text = [f"{signed_pct(share)}{marks.get(status, '') if flag else ''}"
            for share, flag, status in zip(units["variance_pct"], units["flag"], units["status"], strict=True)]
    pivot = units.assign(text=text).pivot(index="unit", columns="category", values="text").fillna("—")
    pivot.columns = [word(c, lang) for c in pivot.columns]
    pivot.index = pd.Index([word(u, lang) for u in pivot.index], name=_t("unit", lang))
    return _section("units_title", lang, table_html(pivot))


# --------------------------------------------------------------------------- campaigns


def campaign_section(result: ExpenseRoiResult) -> HtmlFragment:
    """Attribution rule, returns by type and the low-ROI / lowest-return campaigns."""
    lang, c = result.lang, result.campaigns
    if c is None:
        return _section("campaign_title", lang, _skipped(result, "campaigns"))
    rule = result.low_roi_rule
    method = _t("campaign_method", lang).format(
        rule=_t(f"rule_{c.attribution}", lang), start=c.window_start, as_of=c.as_of,
        maturity=rule.maturity_days, min_cost=rule.min_cost, fraction=rule.fraction)
    types = _shown(c.types, {
        "type": _words(lang), "campaigns": integer, "cost": money, "leads": integer, "pipeline": money,
        "won_revenue": money, "new_customers": integer, "cost_per_lead": money, "cac": money, "roi": pct,
        "typical_return": number, "elasticity": number, "marginal_return": number, "low_roi": integer,
    }, lang)
    worst = pd.concat([c.low_roi, c.judged.nsmallest(8, "pipeline_to_cost")]).drop_duplicates("campaign_id")
    worst = worst.assign(campaign=worst["name"].fillna(worst["campaign_id"]))
    listing = _shown(worst, {
        "campaign": str, "type": _words(lang), "region": _words(lang),
        "start_date": lambda v: str(pd.Timestamp(v).date()), "cost": money, "leads": integer,
        "opportunities": integer, "pipeline": money, "pipeline_to_cost": number, "peer_median_ratio": number,
        "won_revenue": money, "roi": pct, "cost_per_lead": money, "cost_per_won": money, "cac": money,
        "payback_months": lambda v: number(v, 1), "low_roi": lambda v: _t("flagged", lang) if v else "",
    }, lang)
    body = (paragraph(method, NOTE_CSS) + _notes(c.notes, lang)
            + f"<h3>{e(_t('by_type', lang))}</h3>" + table_html(types, index=False)
            + f"<h3>{e(_t('low_roi_list', lang))}</h3>" + table_html(listing, index=False))
    return _section("campaign_title", lang, body)


def campaign_plot(result: ExpenseRoiResult) -> Figure | HtmlFragment:
    """Cost against pipeline per campaign (log scales), by type; low-ROI campaigns circled and labelled."""
    if result.campaigns is None or result.campaigns.judged.empty:
        return HtmlFragment("")
    apply_theme()
    lang, frame = result.lang, result.campaigns.campaigns
    frame = frame[frame["cost"] > 0]
    positive = frame.loc[frame["pipeline"] > 0, "pipeline"]
    floor = max(float(positive.min()) / 2 if len(positive) else 1.0, 1.0)  # zero pipeline drawn at the floor
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    for i, (kind, group) in enumerate(frame.groupby("type", sort=True)):
        ax.scatter(group["cost"], group["pipeline"].clip(lower=floor), s=22, alpha=0.75, color=PALETTE[i % 6],
                   label=_title(kind, lang))
    span = np.array([frame["cost"].min() * 0.8, frame["cost"].max() * 1.25])
    median = float(result.campaigns.judged["pipeline_to_cost"].median())
    ax.plot(span, span * median, color=PALETTE[7], linestyle="--", linewidth=1, label=_t("median_line", lang))
    ax.plot(span, span * median * result.low_roi_rule.fraction, color=PALETTE[3], linestyle=":", linewidth=1,
            label=_t("low_roi_line", lang))
    for row in frame[frame["low_roi"]].itertuples():
        y = max(row.pipeline, floor)
        ax.scatter([row.cost], [y], s=90, facecolors="none", edgecolors=PALETTE[3], linewidths=1.5)
        ax.annotate(str(row.campaign_id), (row.cost, y), textcoords="offset points", xytext=(6, -10), fontsize=9,
                    color=PALETTE[3])
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(money_axis(lang))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(_t("x_cost", lang))
    ax.set_ylabel(_t("y_pipeline", lang))
    ax.set_title(_t("campaign_title", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- reallocation


def reallocation_section(result: ExpenseRoiResult) -> HtmlFragment:
    """The campaign moves and the model-based shift between categories, both budget-neutral."""
    lang, parts = result.lang, []
    if result.campaigns is not None:
        if result.moves.empty:
            parts.append(paragraph(_t("no_moves", lang)))
        else:
            frame = result.moves.rename(columns={"name": "campaign", "from_type": "type",
                                                 "to_marginal_return": "marginal_return"})
            moves = _shown(frame, {"campaign": str, "type": _words(lang), "amount": money, "to_type": _words(lang),
                                   "marginal_return": number, "expected_pipeline": money,
                                   "pipeline_gain": money}, lang)
            parts.append(paragraph(_t("moves_intro", lang)) + table_html(moves, index=False))
    shift, model = result.shift, result.response
    if shift is not None and model is not None:
        if shift.moved > 0:
            intro = _t("shift_intro", lang).format(
                period_word=_t(f"period_{model.period}", lang), share=result.max_shift, gain=shift.gain,
                low=shift.gain_low, high=shift.gain_high)
            table = _shown(shift.table, {"category": _words(lang), "current": money, "suggested": money,
                                         "change": money, "marginal_now": number}, lang)
            parts.append(paragraph(intro) + table_html(table, index=False) + paragraph(_t("warn_observational", lang), NOTE_CSS))
        else:
            parts.append(paragraph(_t("no_shift", lang)))
    return _section("realloc_title", lang, "".join(parts)) if parts else HtmlFragment("")


# --------------------------------------------------------------------------- response


def response_section(result: ExpenseRoiResult) -> HtmlFragment:
    """The spend–output model: method, estimates with intervals, and its warnings."""
    lang, m = result.lang, result.response
    if m is None:
        return _section("response_title", lang, _skipped(result, "response"))
    method = _t("response_method", lang).format(
        unit_word=_t(f"unit_{m.level}", lang), period_word=_t(f"period_{m.period}", lang),
        output_word=_t(f"output_{m.output}", lang),
        decay_word=_t("decay_auto" if m.decay_chosen else "decay_fixed", lang), n=int(m.fit["n"]), units=m.units,
        periods=m.periods, first=m.first, last=m.last, r2=m.fit["r2"])
    est = m.estimates
    est = est.assign(
        interval=_intervals(est, "beta_low", "beta_high", money),
        ridge=[f"{money(b)} ({i})" for b, i in zip(est["ridge_beta"],
                                                     _intervals(est, "ridge_low", "ridge_high", money), strict=True)],
        roi_interval=_intervals(est, "roi_low", "roi_high"),
        marginal_interval=_intervals(est, "marginal_low", "marginal_high"),
    )
    table = _shown(est, {
        "category": _words(lang), "decay": lambda v: number(v, 1), "beta": money, "interval": str, "ridge": str,
        "vif": lambda v: number(v, 1), "spend": money, "contribution_share": pct, "roi": number, "roi_interval": str,
        "current_spend": money, "marginal_roi": number, "marginal_interval": str,
    }, lang)
    warnings = "".join(f"<li>{e(_warning(code, detail, lang))}</li>" for code, detail in m.warnings)
    caveat = paragraph(_t("simulated_caveat", lang), "color:#c8423b") if result.simulated else ""
    body = (caveat + paragraph(method, NOTE_CSS) + table_html(table, index=False)
            + f"<h3>{e(_t('warnings', lang))}</h3><ul>{warnings}</ul>")
    return _section("response_title", lang, body)


def _warning(code: str, detail: str, lang: str) -> str:
    """A model warning in words; category lists in the detail are translated."""
    if detail and not detail.replace(".", "").isdigit():
        detail = ", ".join(word(part.strip(), lang) for part in detail.split(","))
    return _t(f"warn_{code}", lang).format(detail=detail)


def response_plot(result: ExpenseRoiResult) -> Figure | HtmlFragment:
    """Steady-state response per category with its 95 % band and the current spend."""
    m = result.response
    if m is None or m.curves.empty:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    current = m.estimates.set_index("category")["current_spend"]
    fig, axes = _grid(len(current), 4.2, 3.0)
    for ax, category in zip(axes.flat, current.index, strict=False):
        curve = m.curves[m.curves["category"] == category]
        ax.fill_between(curve["spend"], curve["low"], curve["high"], color=PALETTE[0], alpha=0.15)
        ax.plot(curve["spend"], curve["response"], color=PALETTE[0])
        ax.axvline(float(current[category]), color=PALETTE[1], linestyle=":", linewidth=1.2,
                   label=_t("current_marker", lang))
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.set_title(_title(category, lang), fontsize=11)
        ax.xaxis.set_major_formatter(money_axis(lang))
        ax.yaxis.set_major_formatter(money_axis(lang))
        ax.tick_params(labelsize=8)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.supxlabel(_t("x_spend", lang), fontsize=10)
    fig.supylabel(_t("y_output", lang), fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- alignment


def alignment_section(result: ExpenseRoiResult) -> HtmlFragment:
    """Expense ratio per region against the company and against the region's share of targets."""
    lang, a = result.lang, result.alignment
    if a is None:
        return _section("alignment_title", lang, _skipped(result, "alignment"))
    method = _t("alignment_method", lang).format(ratio=pct(a.company_ratio))
    table = _shown(a.table, {
        "unit": _words(lang), "expenses": money, "revenue": money, "expense_ratio": pct,
        "ratio_vs_company": signed_pct, "target": money, "attainment": pct, "expense_share": pct,
        "target_share": pct, "alignment_gap": _points,
    }, lang)
    return _section("alignment_title", lang, paragraph(method, NOTE_CSS) + table_html(table, index=False))


# --------------------------------------------------------------------------- findings' words

_PERIOD_WORDS = {"month": ("月", "month"), "week": ("周", "week")}

FINDING_TEXT: dict[str, FindingText] = {
    "budget_overrun": FindingText(
        zh="{where}{category}费用财年初至今超预算 {over:.1%}（实际 {spent:,.0f}，预算 {budget_amount:,.0f}），"
           "{months} 个月中 {months_over} 个月超支；按此节奏全年将超支 {projected_over:,.0f}。",
        en="{where}Spending on {category} is {over:.1%} over budget year to date ({spent:,.0f} vs "
           "{budget_amount:,.0f}), over in {months_over} of {months} months; at this pace the year ends "
           "{projected_over:,.0f} over budget.",
        words={"category": WORDS},
        actions={"contain_overrun": (
            "请冻结或事前审批该类新增支出；若需求真实，请正式调整预算。",
            "Freeze or pre-approve new spending in this category; if the need is real, re-budget it.")},
    ),
    "budget_underspend": FindingText(
        zh="{where}{category}费用财年初至今比预算低 {gap:.1%}（实际 {spent:,.0f}，预算 {budget_amount:,.0f}）。",
        en="{where}Spending on {category} is {gap:.1%} under budget year to date ({spent:,.0f} vs "
           "{budget_amount:,.0f}).",
        words={"category": WORDS},
        actions={"release_budget": ("可释放未用预算，转投回报更高的项目。",
                                    "Release the unused budget to where it returns more.")},
    ),
    "unbudgeted_spend": FindingText(
        zh="{where}{category}没有预算，但财年初至今已花 {spent:,.0f}。",
        en="{where}Spending on {category} has no budget, yet {spent:,.0f} was spent year to date.",
        words={"category": WORDS},
        actions={"budget_the_spend": ("请补录预算，或核对费用归类是否正确。",
                                      "Add a budget line, or check that the spend is booked to the right category.")},
    ),
    "campaign_low_roi": FindingText(
        zh="活动「{campaign}」（{campaign_type}，{region}，{start} 开始）花费 {cost:,.0f}，只带来 {pipeline:,.0f} "
           "的商机（{leads} 条线索、{opportunities} 个商机）：每元费用 {ratio:.2f} 元商机，同类中位数 "
           "{peer_ratio:.1f} 元；赢单回报率 {roi:.0%}。",
        en="Campaign “{campaign}” ({campaign_type}, {region}, started {start}) cost {cost:,.0f} and brought only "
           "{pipeline:,.0f} of pipeline ({leads} leads, {opportunities} opportunities): {ratio:.2f} per unit of "
           "cost against a median of {peer_ratio:.1f} for its type; ROI on won deals {roi:.0%}.",
        words={"campaign_type": WORDS},
        actions={"stop_or_redesign": (
            "请复盘该活动：不要按原方式再办，如需再办先小规模试点。",
            "Review it: do not repeat it as it was; pilot a smaller version first if needed.")},
    ),
    "campaign_reallocation": FindingText(
        zh="建议把低回报活动的 {amount:,.0f} 预算改投{to_type}（每元边际商机 {to_return:.1f} 元），"
           "预计多带来约 {pipeline_gain:,.0f} 的商机。",
        en="Move the {amount:,.0f} of low-ROI campaign budget to {to_type} campaigns (marginal pipeline "
           "{to_return:.1f} per unit of cost): about {pipeline_gain:,.0f} more pipeline expected.",
        words={"to_type": WORDS, "from_type": WORDS},
        actions={"move_campaign_budget": ("请在下一期活动计划中落实。", "Apply it in the next campaign plan.")},
    ),
    "spend_shift": FindingText(
        zh="投入产出模型显示：每{model_period}从{from_category}调出 {amount:,.0f} 投向{to_category}"
           "（边际回报 {to_return:.1f} 对 {from_return:.1f}），产出预计每{model_period}增加 {gain:,.0f}"
           "（95% 区间 {gain_low:,.0f} 至 {gain_high:,.0f}）；这是观测数据上的估计，不是因果证明。",
        en="The spend–output model suggests moving {amount:,.0f} per {model_period} from {from_category} to "
           "{to_category} (marginal return {to_return:.1f} vs {from_return:.1f}): about {gain:,.0f} more output "
           "per {model_period} (95 % interval {gain_low:,.0f} to {gain_high:,.0f}). An estimate on observational "
           "data, not proof of cause.",
        words={"from_category": WORDS, "to_category": WORDS, "model_period": _PERIOD_WORDS},
        actions={"test_before_moving": (
            "请先在部分区域或时段做对照测试，再调整预算。",
            "Test it in some regions or periods against a control before moving the budget.")},
    ),
    "expense_ratio_high": FindingText(
        zh="{where}费用率 {value}，比公司 {baseline} 高 {ratio_vs_company:.0%}；费用占比 {expense_share:.1%}，"
           "高于其目标占比 {target_share:.1%}。",
        en="{where}Expense ratio {value} is {ratio_vs_company:.0%} above the company's {baseline}; it takes "
           "{expense_share:.1%} of the spend for {target_share:.1%} of the target.",
        actions={"review_spend_mix": ("请核查该区域的费用结构与投入产出。",
                                      "Review the region's spend mix against its output.")},
    ),
}
