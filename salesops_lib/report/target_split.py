"""Presentation of the target split: overview, regions and teams, phasing, reps, audit, what-if,
Excel export (see :mod:`salesops_lib.report.target_workbooks`) and the findings' words."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from salesops_lib.analyses.targets import TargetSplitResult
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.formats import heading, labelled_table, money, money_axis, paragraph, pct, signed_pct
from salesops_lib.report.target_workbooks import write_workbooks
from salesops_lib.report.theme import PALETTE, apply_theme

WHATIF_REPS = 10
"""Reps listed in the what-if comparison (those whose target moves most)."""

LABELS: dict[str, dict[str, str]] = {
    "overview": {"zh": "目标分解概览", "en": "Target split overview"},
    "plan_year": {"zh": "计划期间", "en": "Plan period"},
    "plan_quarter_label": {"zh": "{year}年第{q}季度", "en": "{year} Q{q}"},
    "company_target": {"zh": "公司目标", "en": "Company target"},
    "base": {"zh": "基数", "en": "Base"},
    "growth": {"zh": "增长", "en": "Growth"},
    "reps_count": {"zh": "销售代表（含新增岗位）", "en": "Reps (incl. new positions)"},
    "overview_note": {
        "zh": "基数窗口 {start} 至 {end}（数据覆盖 {covered}/12 个月{annualised}）；取整步长 {step}：每一层级、每一月份的"
              "上级目标都恰好等于下级之和。增长上下限 {floor} 至 {cap}，适用于：{levels}。锁定 {locks} 个单位，新增岗位 {hires} 个。",
        "en": "Base window {start} to {end} (data cover {covered} of 12 months{annualised}); rounding step {step}: at "
              "every level and in every month each parent is exactly the sum of its children. Growth floor {floor}, "
              "cap {cap}, applied to: {levels}. {locks} units locked, {hires} new positions."},
    "annualised": {"zh": "，已年化", "en": ", annualised"},
    "none": {"zh": "无", "en": "none"},
    "methods": {"zh": "分解方法", "en": "Split methods"},
    "level": {"zh": "层级", "en": "Level"},
    "method": {"zh": "方法", "en": "Method"},
    "components": {"zh": "权重构成", "en": "Components"},
    "fallback": {"zh": "回退（按产能分解）的上级单位", "en": "Parents that fell back to capacity"},
    "company": {"zh": "公司", "en": "Company"},
    "region": {"zh": "大区", "en": "Region"},
    "team": {"zh": "团队", "en": "Team"},
    "rep": {"zh": "销售代表", "en": "Rep"},
    "history": {"zh": "历史占比", "en": "history"},
    "potential": {"zh": "市场潜力", "en": "potential"},
    "capacity": {"zh": "产能（FTE×爬坡）", "en": "capacity (FTE × ramp)"},
    "equal": {"zh": "平均", "en": "equal"},
    "blend": {"zh": "加权组合", "en": "blend"},
    "units": {"zh": "大区与团队目标", "en": "Region and team targets"},
    "units_note": {"zh": "增长 = 目标 ÷ 基数 − 1；销售代表的基数按产能调整（基数窗口生产率 × 计划期产能）。"
                         "人均目标 = 目标 ÷ 计划期按爬坡折算的平均 FTE。约束：下限/上限/锁定。",
                   "en": "Growth = target ÷ base − 1; a rep's base is capacity-adjusted (base-window productivity × "
                         "plan-period capacity). Target per FTE = target ÷ the plan period's average ramped FTE. "
                         "Bound: floor / cap / lock."},
    "unit": {"zh": "单位", "en": "Unit"},
    "target": {"zh": "目标", "en": "Target"},
    "share": {"zh": "占上级", "en": "Share of parent"},
    "w_history": {"zh": "历史占比", "en": "History share"},
    "w_capacity": {"zh": "产能占比", "en": "Capacity share"},
    "w_potential": {"zh": "潜力占比", "en": "Potential share"},
    "fte": {"zh": "FTE", "en": "FTE"},
    "per_fte": {"zh": "人均目标", "en": "Target per FTE"},
    "bound": {"zh": "约束", "en": "Bound"},
    "bound_floor": {"zh": "下限", "en": "floor"},
    "bound_cap": {"zh": "上限", "en": "cap"},
    "bound_lock": {"zh": "锁定", "en": "lock"},
    "existing": {"zh": "现有目标", "en": "Existing target"},
    "phasing": {"zh": "月度分解（年 → 季 → 月）", "en": "Phasing (year → quarter → month)"},
    "phasing_quarter": {"zh": "月度分解（季 → 月）", "en": "Phasing (quarter → month)"},
    "phasing_note": {"zh": "各单位按自身季节性（向上级收缩）× 每月产能分解，再与上级月度目标精确对齐。",
                     "en": "Each unit is phased by its own seasonality (shrunk towards its parent's) × its monthly "
                           "capacity, then reconciled exactly with its parent's months."},
    "phasing_chart": {"zh": "各大区月度目标", "en": "Monthly targets by region"},
    "month": {"zh": "月份", "en": "Month"},
    "year_total": {"zh": "全年", "en": "Year"},
    "quarter_n": {"zh": "第{n}季度", "en": "Q{n}"},
    "reps": {"zh": "销售代表目标", "en": "Rep targets"},
    "reps_summary": {"zh": "全部 {n} 名销售代表（展开）", "en": "All {n} reps (expand)"},
    "new_position": {"zh": "新增岗位", "en": "new position"},
    "name": {"zh": "姓名", "en": "Name"},
    "achievability": {"zh": "可实现性检查（SMART）", "en": "Achievability check (SMART)"},
    "achievability_note": {
        "zh": "隐含年增长（目标相对基数，按间隔 {gap} 个月年化）对比该单位自身历史的滚动 12 个月同比增长分布（销售代表按生产率）；"
              "高于 {q_high} 分位为偏高，低于 {q_low} 分位为偏低；观测不足 {min_points} 个时用同级单位的分布。",
        "en": "Implied yearly growth (target over base, annualised over the {gap}-month gap) against the unit's own "
              "rolling 12-month year-on-year growth (reps: productivity); above the {q_high} quantile = stretch, "
              "below the {q_low} quantile = soft; with fewer than {min_points} values, its level's pooled values."},
    "implied": {"zh": "隐含年增长", "en": "Implied growth"},
    "low": {"zh": "低分位", "en": "Low quantile"},
    "median": {"zh": "中位数", "en": "Median"},
    "high": {"zh": "高分位", "en": "High quantile"},
    "reference": {"zh": "参照", "en": "Reference"},
    "ref_own": {"zh": "自身", "en": "own"},
    "ref_peers": {"zh": "同级", "en": "peers"},
    "assessment": {"zh": "评估", "en": "Assessment"},
    "as_stretch": {"zh": "偏高", "en": "stretch"},
    "as_within": {"zh": "合理", "en": "within"},
    "as_soft": {"zh": "偏低", "en": "soft"},
    "as_unknown": {"zh": "历史不足", "en": "too little history"},
    "reps_assessed": {"zh": "销售代表：偏高 {stretch} 人，合理 {within} 人，偏低 {soft} 人，历史不足 {unknown} 人。",
                      "en": "Reps: {stretch} stretch, {within} within, {soft} soft, {unknown} with too little "
                            "history."},
    "achievability_chart": {"zh": "隐含年增长与历史区间", "en": "Implied growth vs the unit's record"},
    "record_range": {"zh": "历史区间（低–高分位）", "en": "record (low–high quantile)"},
    "fairness": {"zh": "公平性", "en": "Fairness"},
    "fairness_note": {"zh": "人均目标 = 目标 ÷ 计划期按爬坡折算的平均 FTE；大区另看每单位市场潜力的目标。基尼系数 0 = 完全均等。",
                      "en": "Target per FTE = target ÷ the plan period's average ramped FTE; regions also per unit "
                            "of market potential. Gini 0 = perfectly even."},
    "measure": {"zh": "度量", "en": "Measure"},
    "m_per_fte": {"zh": "人均目标", "en": "target per ramped FTE"},
    "m_per_potential": {"zh": "目标 ÷ 市场潜力", "en": "target ÷ market potential"},
    "count": {"zh": "单位数", "en": "Units"},
    "min": {"zh": "最小", "en": "Min"},
    "max": {"zh": "最大", "en": "Max"},
    "cv": {"zh": "变异系数", "en": "CV"},
    "gini": {"zh": "基尼系数", "en": "Gini"},
    "alignment": {"zh": "目标与资源匹配", "en": "Target vs resources"},
    "alignment_note": {"zh": "指数 = 目标占比 ÷ 人员（FTE）占比；超出 0.8–1.25 视为不匹配。预算为截至本月的 12 个月。",
                       "en": "Index = target share ÷ headcount (FTE) share; outside 0.8–1.25 is a mismatch. Budget: "
                             "the 12 months to the reporting month."},
    "target_share": {"zh": "目标占比", "en": "Target share"},
    "fte_share": {"zh": "FTE 占比", "en": "FTE share"},
    "budget_share": {"zh": "预算占比", "en": "Budget share"},
    "index": {"zh": "指数", "en": "Index"},
    "alignment_chart": {"zh": "目标占比与人员占比", "en": "Target share vs headcount share"},
    "whatif": {"zh": "情景对比", "en": "What-if comparison"},
    "whatif_note": {"zh": "当前参数对比：{settings}", "en": "Current parameters against: {settings}"},
    "whatif_reps": {"zh": "变化最大的 {n} 名销售代表（共 {total} 名）：", "en": "The {n} reps that move most (of {total}):"},
    "target_whatif": {"zh": "情景目标", "en": "What-if target"},
    "difference": {"zh": "差额", "en": "Difference"},
    "change": {"zh": "变化", "en": "Change"},
    "excel": {"zh": "Excel 导出", "en": "Excel export"},
    "excel_files": {"zh": "已写入 {n} 个工作簿：", "en": "{n} workbooks written:"},
}


def _t(key: str, lang: str) -> str:
    return t(key, lang, labels=LABELS)


def _unit_label(row: pd.Series | object, lang: str) -> str:
    level, unit, name = (getattr(row, "level"), getattr(row, "unit_id"), getattr(row, "name", None))
    if level == "company":
        return _t("company", lang)
    if level == "rep" and bool(getattr(row, "new_position", False)):
        return f"{_t('new_position', lang)} {unit}"
    if level != "rep" or not (isinstance(name, str) and name):
        return str(unit)
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def plan_label(result: TargetSplitResult) -> str:
    """The planned year, or year and quarter, in the page language."""
    plan = result.plan
    if not plan.plan_quarter:
        return str(plan.plan_year)
    return _t("plan_quarter_label", result.lang).format(year=plan.plan_year, q=plan.plan_quarter)


def _bound(code: object, lang: str) -> str:
    return _t(f"bound_{code}", lang) if code else ""


def _monthly_with_region(result: TargetSplitResult) -> pd.DataFrame:
    return result.monthly.merge(result.units[["level", "unit_id", "region"]], on=["level", "unit_id"])


def _in_scope(result: TargetSplitResult, frame: pd.DataFrame) -> pd.DataFrame:
    if not result.region:
        return frame
    return frame[(frame["level"] == "company") | (frame["region"] == result.region)]


# --------------------------------------------------------------------------- overview


def overview(result: TargetSplitResult) -> HtmlFragment:
    """Tiles (plan year, company target, base, growth, reps) and how the split was made."""
    lang, plan = result.lang, result.plan
    company = plan.units.iloc[0]
    reps = plan.units[plan.units["level"] == "rep"]
    tiles = [(_t("plan_year", lang), plan_label(result)), (_t("company_target", lang), money(company["target"])),
             (_t("base", lang), money(company["base"])), (_t("growth", lang), pct(company["growth"], signed=True)),
             (_t("reps_count", lang), f"{len(reps)}")]
    tiles_html = "".join(f"<div class='so-tile'><div class='so-label'>{e(k)}</div>"
                         f"<div class='so-value'>{e(v)}</div></div>" for k, v in tiles)
    params = result.settings
    note = _t("overview_note", lang).format(
        start=plan.base_window[0].strftime("%Y-%m"), end=plan.base_window[1].strftime("%Y-%m"),
        covered=plan.base_months_covered, annualised=_t("annualised", lang) if plan.base_months_covered < 12 else "",
        step=f"{plan.step:g}", floor=pct(params["growth_floor"], signed=True),
        cap=pct(params["growth_cap"], signed=True),
        levels=("、" if lang == "zh" else ", ").join(_t(x, lang) for x in params["bound_levels"]) or _t("none", lang),
        locks=params["locks"], hires=int(reps["new_position"].sum()),
    )
    methods = plan.methods.assign(
        level=lambda f: f["level"].map(lambda x: _t(x, lang)),
        method=lambda f: f["method"].map(lambda x: _t(x, lang)),
        components=lambda f: f["components"].map(lambda c: ("，" if lang == "zh" else ", ").join(
            f"{_t(p.split(':')[0], lang)} {float(p.split(':')[1]):.0%}" for p in c.split(",") if p)),
    )
    table = labelled_table(methods, {"level": ("level", str), "method": ("method", str),
                                     "components": ("components", str), "fallback": ("fallback", str)},
                           lambda k: _t(k, lang))
    return HtmlFragment(f"<style>{TILE_CSS}</style>" + heading(_t("overview", lang)) +
                        f"<div class='so-tiles'>{tiles_html}</div>" + paragraph(note) +
                        f"<h3>{e(_t('methods', lang))}</h3>" + table)


def units(result: TargetSplitResult) -> HtmlFragment:
    """Regions and teams: base, target, growth, share, method shares, FTE, target per FTE, bound."""
    lang = result.lang
    frame = _in_scope(result, result.units[result.units["level"].isin(["company", "region", "team"])]).copy()
    frame["unit"] = [_unit_label(r, lang) for r in frame.itertuples()]
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    columns = {"level_label": ("level", str), "unit": ("unit", str), "base": ("base", money),
               "target": ("target", money), "growth": ("growth", signed_pct), "share": ("share", pct),
               "w_history": ("w_history", pct), "w_capacity": ("w_capacity", pct)}
    if frame["w_potential"].notna().any():
        columns["w_potential"] = ("w_potential", pct)
    columns |= {"fte": ("fte", lambda v: f"{float(v):.1f}"), "per_fte": ("per_fte", money),
                "bound": ("bound", lambda c: _bound(c, lang))}
    if frame["existing"].notna().any():
        columns["existing"] = ("existing", money)
    return HtmlFragment(heading(_t("units", lang)) + paragraph(_t("units_note", lang)) +
                        labelled_table(frame, columns, lambda k: _t(k, lang)))


# --------------------------------------------------------------------------- phasing


def phasing_heading(result: TargetSplitResult) -> HtmlFragment:
    title = _t("phasing_quarter" if result.plan.plan_quarter else "phasing", result.lang)
    return HtmlFragment(heading(title) + paragraph(_t("phasing_note", result.lang)))


def phasing_chart(result: TargetSplitResult) -> Figure:
    """Stacked monthly targets of the regions (the stack is the company's month)."""
    apply_theme()
    lang = result.lang
    monthly = _in_scope(result, _monthly_with_region(result))
    regions = monthly[monthly["level"] == "region"].pivot(index="month", columns="unit_id", values="amount")
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    bottom = np.zeros(len(regions))
    labels = [m.strftime("%m") for m in regions.index]
    for k, column in enumerate(regions.columns):
        ax.bar(labels, regions[column].to_numpy(), bottom=bottom, label=column, color=PALETTE[k % len(PALETTE)])
        bottom += regions[column].to_numpy()
    ax.set_title(f"{_t('phasing_chart', lang)} · {plan_label(result)}")
    ax.set_xlabel(_t("month", lang))
    ax.yaxis.set_major_formatter(money_axis(lang))
    ax.legend(ncol=min(5, len(regions.columns)), fontsize=9, loc="upper left", frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def phasing_table(result: TargetSplitResult) -> HtmlFragment:
    """Months and quarters (rows) of the company and its regions (and the teams of the region in scope)."""
    lang = result.lang
    levels = ["company", "region", "team"] if result.region else ["company", "region"]
    monthly = _in_scope(result, _monthly_with_region(result))
    monthly = monthly[monthly["level"].isin(levels)]
    wide = monthly.pivot_table(index="month", columns=["level", "unit_id"], values="amount", aggfunc="sum", sort=False)
    rows = []
    for q in range(1, 5):
        months = [m for m in wide.index if (m.month - 1) // 3 + 1 == q]
        if not months:
            continue
        rows += [(m.strftime("%Y-%m"), wide.loc[m]) for m in months]
        rows.append((_t("quarter_n", lang).format(n=q), wide.loc[months].sum()))
    rows.append((_t("year_total", lang), wide.sum()))
    shown = pd.DataFrame({label: values.map(money) for label, values in rows}).T
    shown.columns = [_t("company", lang) if lvl == "company" else unit for lvl, unit in shown.columns]
    shown.index.name = _t("month", lang)
    return HtmlFragment(table_html(shown))


def reps(result: TargetSplitResult) -> HtmlFragment:
    """Every rep's target (collapsed), with base, growth, capacity and bound."""
    lang = result.lang
    frame = _in_scope(result, result.units[result.units["level"] == "rep"]).copy()
    frame["unit"] = [_unit_label(r, lang) for r in frame.itertuples()]
    assessed = result.achievability.set_index(["level", "unit_id"])["assessment"]
    frame["assessment"] = [assessed.get(("rep", u), "unknown") for u in frame["unit_id"]]
    columns = {"team": ("team", str), "unit": ("unit", str), "base": ("base", money), "target": ("target", money),
               "growth": ("growth", signed_pct), "fte": ("fte", lambda v: f"{float(v):.2f}"),
               "per_fte": ("per_fte", money), "assessment": ("assessment", lambda a: _t(f"as_{a}", lang)),
               "bound": ("bound", lambda c: _bound(c, lang))}
    table = labelled_table(frame, columns, lambda k: _t(k, lang))
    summary = _t("reps_summary", lang).format(n=len(frame))
    return HtmlFragment(heading(_t("reps", lang)) + f"<details><summary>{e(summary)}</summary>{table}</details>")


# --------------------------------------------------------------------------- audit


def achievability(result: TargetSplitResult) -> HtmlFragment:
    """Regions and teams against their own growth record; a count for reps."""
    from salesops_lib.analyses.targets.audit import MIN_POINTS, months_between

    lang, plan = result.lang, result.plan
    gap = months_between(plan.base_window[0], plan.plan_months[0])
    q = result.settings["stretch_quantile"]
    note = _t("achievability_note", lang).format(gap=gap, q_high=f"{q:.0%}", q_low=f"{1 - q:.0%}",
                                                 min_points=MIN_POINTS)
    frame = _in_scope(result, result.achievability)
    upper = frame[frame["level"].isin(["region", "team"])].copy()
    upper["level_label"] = upper["level"].map(lambda x: _t(x, lang))
    upper["reference"] = upper["reference"].where(upper["assessment"] != "unknown", "")
    columns = {"level_label": ("level", str), "unit_id": ("unit", str), "target": ("target", money),
               "implied_growth": ("implied", signed_pct), "low": ("low", signed_pct),
               "median": ("median", signed_pct), "high": ("high", signed_pct),
               "reference": ("reference", lambda r: _t(f"ref_{r}", lang) if r else "—"),
               "assessment": ("assessment", lambda a: _t(f"as_{a}", lang))}
    counts = frame[frame["level"] == "rep"]["assessment"].value_counts()
    rep_line = _t("reps_assessed", lang).format(
        **{k: int(counts.get(k, 0)) for k in ("stretch", "within", "soft", "unknown")})
    return HtmlFragment(heading(_t("achievability", lang)) + paragraph(note) +
                        labelled_table(upper, columns, lambda k: _t(k, lang)) + paragraph(rep_line))


def achievability_chart(result: TargetSplitResult) -> Figure | HtmlFragment:
    """Implied growth (dot) against each region's and team's record (low–high quantile bar)."""
    lang = result.lang
    frame = _in_scope(result, result.achievability)
    frame = frame[frame["level"].isin(["region", "team"]) & frame["high"].notna()]
    if frame.empty:
        return HtmlFragment("")
    apply_theme()
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.3 * len(frame) + 1.2)))
    y = np.arange(len(frame))[::-1]
    ax.hlines(y, frame["low"], frame["high"], color="#9aa6b2", linewidth=6, label=_t("record_range", lang))
    stretch = (frame["assessment"] == "stretch").to_numpy()
    ax.scatter(frame["implied_growth"][~stretch], y[~stretch], color=PALETTE[0], zorder=3, label=_t("implied", lang))
    ax.scatter(frame["implied_growth"][stretch], y[stretch], color=PALETTE[3], zorder=3, label=_t("as_stretch", lang))
    ax.set_yticks(y, frame["unit_id"])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(_t("achievability_chart", lang))
    ax.legend(fontsize=9, loc="lower right", frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def fairness(result: TargetSplitResult) -> HtmlFragment:
    """Spread of target per ramped FTE by level, and per market potential for regions."""
    lang = result.lang
    frame = result.fairness.copy()
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    frame["measure_label"] = frame["measure"].map(lambda m: _t(f"m_{m}", lang))
    value = {"per_fte": money, "per_potential": lambda v: f"{float(v):.3f}"}
    for column in ("min", "median", "max"):
        frame[column] = [value[m](v) for m, v in zip(frame["measure"], frame[column], strict=True)]
    columns = {"level_label": ("level", str), "measure_label": ("measure", str), "units": ("count", str),
               "min": ("min", str), "median": ("median", str), "max": ("max", str),
               "cv": ("cv", lambda v: f"{float(v):.2f}"), "gini": ("gini", lambda v: f"{float(v):.3f}")}
    return HtmlFragment(heading(_t("fairness", lang)) + paragraph(_t("fairness_note", lang)) +
                        labelled_table(frame, columns, lambda k: _t(k, lang)))


def alignment(result: TargetSplitResult) -> HtmlFragment:
    """Regions and teams: target share vs FTE share vs budget share."""
    lang = result.lang
    frame = _in_scope(result, result.alignment).copy()
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    columns = {"level_label": ("level", str), "unit_id": ("unit", str), "target_share": ("target_share", pct),
               "fte_share": ("fte_share", pct), "budget_share": ("budget_share", pct),
               "index": ("index", lambda v: f"{float(v):.2f}")}
    return HtmlFragment(heading(_t("alignment", lang)) + paragraph(_t("alignment_note", lang)) +
                        labelled_table(frame, columns, lambda k: _t(k, lang)))


def alignment_chart(result: TargetSplitResult) -> Figure:
    """Target share against FTE share (teams), with the even line and the 0.8–1.25 band."""
    apply_theme()
    lang = result.lang
    frame = _in_scope(result, result.alignment)
    teams = frame[frame["level"] == "team"]
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    top = float(max(teams["fte_share"].max(), teams["target_share"].max(), 0.01)) * 1.1
    grid = np.linspace(0, top, 10)
    ax.fill_between(grid, grid * 0.8, grid * 1.25, color="#d8dee6", alpha=0.6)
    ax.plot(grid, grid, color="#6b7b8c", linewidth=1)
    colours = [PALETTE[0] if ok else PALETTE[3] for ok in teams["aligned"]]
    ax.scatter(teams["fte_share"], teams["target_share"], color=colours, zorder=3)
    for row in teams[~teams["aligned"]].itertuples():
        ax.annotate(row.unit_id, (row.fte_share, row.target_share), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel(_t("fte_share", lang))
    ax.set_ylabel(_t("target_share", lang))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(_t("alignment_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- what-if and Excel


def whatif(result: TargetSplitResult) -> HtmlFragment:
    """Regions and teams under the current and the what-if parameters, and the reps that move most
    (nothing without ``whatif``)."""
    if result.whatif.empty:
        return HtmlFragment("")
    lang = result.lang
    frame = _in_scope(result, result.whatif).copy()
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    frame["unit"] = [_t("company", lang) if lvl == "company" else u
                     for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)]
    columns = {"level_label": ("level", str), "unit": ("unit", str), "target": ("target", money),
               "target_whatif": ("target_whatif", money), "difference": ("difference", money),
               "change": ("change", signed_pct)}
    upper = frame[frame["level"].isin(["company", "region", "team"])]
    reps = frame[frame["level"] == "rep"]
    movers = reps.reindex(reps["difference"].abs().sort_values(ascending=False).index).head(WHATIF_REPS)
    note = _t("whatif_note", lang).format(settings=result.whatif_settings)
    reps_note = _t("whatif_reps", lang).format(n=len(movers), total=len(reps))
    return HtmlFragment(heading(_t("whatif", lang)) + paragraph(note) +
                        labelled_table(upper, columns, lambda k: _t(k, lang)) +
                        (paragraph(reps_note) + labelled_table(movers, columns, lambda k: _t(k, lang))
                         if len(movers) else ""))


def export_excel(result: TargetSplitResult, folder: str) -> HtmlFragment:
    """Write the workbooks into ``folder`` ("" = no export) and list them."""
    if not folder:
        return HtmlFragment("")
    paths = write_workbooks(result, Path(folder))
    items = "".join(f"<li>{e(p)}</li>" for p in paths)
    return HtmlFragment(heading(_t("excel", result.lang)) +
                        paragraph(_t("excel_files", result.lang).format(n=len(paths))) + f"<ul>{items}</ul>")


# --------------------------------------------------------------------------- findings


_REFERENCE = {"own": ("其自身历史", "its own record"), "peers": ("同级单位历史", "its peers' record")}

FINDING_TEXT: dict[str, FindingText] = {
    "stretch_target": FindingText(
        zh="{where}{plan} 目标隐含年化增长 {implied:.1%}，高于{reference}滚动年增长的 {quantile:.0%} 分位（{high:.1%}，"
           "中位数 {median:.1%}）；超出可实现水平约 {at_stake}。",
        en="{where}the {plan} target implies {implied:.1%} growth a year, above the {quantile:.0%} quantile of "
           "{reference} ({high:.1%}; median {median:.1%}); about {at_stake} beyond what it has achieved.",
        words={"reference": _REFERENCE},
        actions={"review_target": ("请与负责人复核：增加编制、锁定其他金额或下调目标。",
                                   "Review it with the manager: add positions (hires), lock a different figure, "
                                   "or lower it.")},
    ),
    "stretch_reps": FindingText(
        zh="{count} 名销售代表的目标超出其历史生产率增长的 {quantile:.0%} 分位（如 {reps}），超出部分合计约 {at_stake}。",
        en="{count} reps have targets above the {quantile:.0%} quantile of their own productivity growth "
           "(e.g. {reps}); about {at_stake} beyond their record in total.",
        actions={"review_rep_targets": ("请团队经理逐一复核。", "Have the team managers review them one by one.")},
    ),
    "uneven_load": FindingText(
        zh="销售代表人均目标（按爬坡折算 FTE）的基尼系数为 {gini:.3f}，从 {min:,.0f} 到 {max:,.0f}（中位数 {median:,.0f}），分布不均。",
        en="Target per ramped FTE is uneven across reps: Gini {gini:.3f}, from {min:,.0f} to {max:,.0f} "
           "(median {median:,.0f}).",
        actions={"review_rep_targets": ("请复核差异是否有历史业绩支撑，或提高产能权重。",
                                        "Check that the differences rest on track records, or weight capacity more.")},
    ),
    "resource_misalignment": FindingText(
        zh="{where}目标占公司 {target_share:.1%}，人员（FTE）占 {fte_share:.1%}，人均目标{direction_code}（指数 {index:.2f}）。",
        en="{where}carries {target_share:.1%} of the target with {fte_share:.1%} of the headcount (FTE): "
           "{direction_code} per head (index {index:.2f}).",
        words={"direction_code": {"heavy": ("偏高", "heavier"), "light": ("偏低", "lighter")}},
        actions={"align_resources": ("请核对编制与预算是否与目标匹配。", "Check that headcount and budget match the target.")},
    ),
    "bounds_binding": FindingText(
        zh="{floors} 个单位的目标停在增长下限、{caps} 个停在上限（如 {units}）：其余单位为此重新平衡。",
        en="{floors} units sit at the growth floor and {caps} at the cap (e.g. {units}); the others re-balanced "
           "around them.",
    ),
}
