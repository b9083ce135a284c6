"""Presentation of team efficiency: per-FTE tiles and comparisons, spread, scorecard, drivers,
ramp and the commission simulation (zh/en), plus the findings' words."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from salesops_lib.analyses.efficiency import TeamEfficiencyResult
from salesops_lib.analyses.efficiency.incentives import commission
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_change, format_value
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.theme import PALETTE, apply_theme

RED, BLUE, GREY = PALETTE[3], PALETTE[0], "#9aa6b2"
SCORECARD_TOP, SCORECARD_BOTTOM = 10, 5

LABELS: dict[str, dict[str, str]] = {
    "overview": {"zh": "人均效能概览", "en": "Productivity per FTE"},
    "overview_note": {"zh": "窗口 {start} 至 {end}（{months} 个月）；人力按入职/离职日逐日折算，空缺岗位不计。",
                      "en": "Window {start} to {end} ({months} months); FTE pro-rated by hire and exit day, "
                            "vacancies count zero."},
    "fte": {"zh": "折算人力（平均）", "en": "FTE (average)"},
    "headcount": {"zh": "期末人数", "en": "Headcount at end"},
    "hires": {"zh": "入职", "en": "Hires"},
    "exits": {"zh": "离职", "en": "Exits"},
    "flagged_units": {"zh": "低效团队", "en": "Teams flagged"},
    "window_suffix": {"zh": "（窗口）", "en": " (window)"},
    "units": {"zh": "团队与大区对比", "en": "Teams and regions vs the benchmark"},
    "units_note": {"zh": "差距 = 人均销售额 ÷ {benchmark} − 1。标记条件：差距 ≤ −{threshold}，且按月度波动与团队规模"
                         "（经验贝叶斯收缩）计算的 {confidence} 区间上限 < 0，平均折算人力 ≥ {min_fte}。",
                   "en": "Gap = revenue per FTE ÷ {benchmark} − 1. Flagged when the gap is ≤ −{threshold} and the "
                         "upper bound of its {confidence} interval — from month-to-month variation, shrunk for team "
                         "size (empirical Bayes) — is below zero, with at least {min_fte} FTE on average."},
    "unit": {"zh": "单元", "en": "Unit"},
    "region": {"zh": "大区", "en": "Region"},
    "team": {"zh": "团队", "en": "Team"},
    "rep": {"zh": "销售代表", "en": "Rep"},
    "regions": {"zh": "各大区", "en": "Regions"},
    "teams": {"zh": "各团队", "en": "Teams"},
    "revenue_per_fte_w": {"zh": "人均销售额（窗口）", "en": "Revenue per FTE (window)"},
    "new_customers_per_fte_w": {"zh": "人均新客户数（窗口）", "en": "New customers per FTE (window)"},
    "gross_profit_per_fte_w": {"zh": "人均毛利（窗口）", "en": "Gross profit per FTE (window)"},
    "gap": {"zh": "差距", "en": "Gap"},
    "interval": {"zh": "区间", "en": "Interval"},
    "flag": {"zh": "标记", "en": "Flag"},
    "flag_yes": {"zh": "低效", "en": "flagged"},
    "benchmark_value": {"zh": "基准", "en": "Benchmark"},
    "shortfall": {"zh": "少收金额", "en": "Shortfall"},
    "cause": {"zh": "主要原因", "en": "Likely cause"},
    "gap_chart": {"zh": "各团队人均销售额相对基准的差距（误差线为区间）",
                  "en": "Team revenue per FTE vs the benchmark (bars: interval)"},
    "threshold_line": {"zh": "标记阈值", "en": "flag threshold"},
    "spread": {"zh": "团队内部分布与月度走势", "en": "Spread within teams and month by month"},
    "spread_note": {"zh": "箱线图：各团队销售代表的人均销售额（窗口内折算人力 ≥ {min_fte}）；热力图：各团队每月人均销售额相对公司的差距。",
                    "en": "Box plots: revenue per FTE of each team's reps (window FTE ≥ {min_fte}); heat map: each "
                          "team's monthly revenue per FTE vs the company."},
    "spread_chart": {"zh": "销售代表人均销售额分布（窗口）", "en": "Rep revenue per FTE (window)"},
    "company_line": {"zh": "公司人均", "en": "company"},
    "heatmap": {"zh": "各团队月度人均销售额相对公司的差距", "en": "Monthly revenue per FTE vs the company, by team"},
    "scorecard": {"zh": "销售代表积分卡", "en": "Rep scorecard"},
    "scorecard_note": {"zh": "{quarter}{to_date}：每项指标换算为在 {reps} 名合格代表中的百分位（0–100），按权重加权为总分；"
                             "同分同名次；前 {stars} 名为季度之星。使用指标：{components}。",
                       "en": "{quarter}{to_date}: each metric becomes a percentile among {reps} eligible reps (0–100), "
                             "weighted into the score; equal scores share a rank; the top {stars} are the quarter's "
                             "stars. Metrics used: {components}."},
    "to_date": {"zh": "（截至本月）", "en": " (to date)"},
    "rank": {"zh": "名次", "en": "Rank"},
    "score": {"zh": "总分", "en": "Score"},
    "star": {"zh": "之星", "en": "Star"},
    "name": {"zh": "姓名", "en": "Name"},
    "top_reps": {"zh": "前 {n} 名", "en": "Top {n}"},
    "bottom_reps": {"zh": "后 {n} 名", "en": "Bottom {n}"},
    "stars_history": {"zh": "近四个季度之星", "en": "Stars of the last four quarters"},
    "quarter": {"zh": "季度", "en": "Quarter"},
    "visits": {"zh": "人均月拜访", "en": "Visits per FTE-month"},
    "calls": {"zh": "人均月电话", "en": "Calls per FTE-month"},
    "proposals": {"zh": "人均月方案", "en": "Proposals per FTE-month"},
    "proposal_rate": {"zh": "方案率", "en": "Proposal rate"},
    "attainment": {"zh": "目标达成率", "en": "Attainment"},
    "collection_rate": {"zh": "回款率", "en": "Collection rate"},
    "win_rate": {"zh": "赢单率", "en": "Win rate"},
    "revenue_per_fte": {"zh": "人均月销售额", "en": "Revenue per FTE-month"},
    "drivers": {"zh": "驱动因素：活动量与销售额", "en": "Drivers: activity and revenue"},
    "drivers_note": {"zh": "固定效应回归（{n} 个满月人月，{reps} 名代表）：对数人均销售额对对数人均活动量，控制代表本人、团队×月份和司龄；"
                           "标准误按代表聚类。",
                     "en": "Fixed-effects regression ({n} full rep-months, {reps} reps): log revenue per FTE on log "
                           "activity per FTE, holding the rep, the team's month and tenure fixed; standard errors "
                           "clustered by rep."},
    "driver_positive": {"zh": "人均{activity}每多 10%，销售额约多 {effect}（{confidence} 区间 {low} 至 {high}）。",
                        "en": "10% more {activity} per FTE goes with {effect} more revenue ({confidence} interval "
                              "{low} to {high})."},
    "driver_negative": {"zh": "人均{activity}每多 10%，销售额约少 {effect}（{confidence} 区间 {low} 至 {high}）。",
                        "en": "10% more {activity} per FTE goes with {effect} less revenue ({confidence} interval "
                              "{low} to {high})."},
    "driver_unclear": {"zh": "人均{activity}与销售额没有可测的关系（{confidence} 区间 {low} 至 {high}）。",
                       "en": "{activity} per FTE has no measurable link with revenue ({confidence} interval {low} to "
                             "{high})."},
    "driver_chart": {"zh": "活动量每多 10% 对应的销售额变化", "en": "Revenue change with 10% more of each activity"},
    "activity": {"zh": "活动", "en": "Activity"},
    "elasticity": {"zh": "弹性", "en": "Elasticity"},
    "effect": {"zh": "+10% 的影响", "en": "Effect of +10%"},
    "ramp": {"zh": "新人爬坡", "en": "New-hire ramp"},
    "ramp_note": {"zh": "基于公司自己的新人：入职后第 k 个月的产出相对同团队同月成熟代表（13 个月以上），拟合 1 − e^(−k/τ)："
                        "τ = {tau}（区间 {tau_low}–{tau_high}），约 {months} 个月（区间 {months_low}–{months_high}）达到 {level}。",
                  "en": "From the company's own hires: output in the k-th month after the hire month relative to "
                        "ramped "
                        "reps (13+ months) of the same team and month, fitted by 1 − e^(−k/τ): τ = {tau} "
                        "({tau_low}–{tau_high}); {level} is reached after about {months} months ({months_low}–"
                        "{months_high})."},
    "ramp_chart": {"zh": "按司龄月的相对产出", "en": "Productivity by month of tenure"},
    "tenure_month": {"zh": "入职后第几个月", "en": "Month after the hire month"},
    "productivity": {"zh": "相对成熟代表的产出", "en": "Output vs ramped reps"},
    "estimate": {"zh": "估计值", "en": "estimate"},
    "fitted": {"zh": "拟合曲线", "en": "fitted curve"},
    "full_level": {"zh": "满产线", "en": "full productivity"},
    "incentives": {"zh": "提成方案模拟", "en": "Commission plan simulation"},
    "plan_note": {"zh": "{quarter}{to_date}：目标内提成 {base}，超额部分 {accelerator}，达成率 {cap} 封顶，季度之星奖金 {bonus}。",
                  "en": "{quarter}{to_date}: {base} up to target, {accelerator} above it, capped at {cap} attainment, "
                        "{bonus} per quarterly star."},
    "payout": {"zh": "提成总额", "en": "Total payout"},
    "cost_of_sales": {"zh": "提成占销售额", "en": "Cost of sales"},
    "above_target": {"zh": "超额人数", "en": "Reps above target"},
    "capped": {"zh": "封顶人数", "en": "Reps at the cap"},
    "stars_count": {"zh": "之星", "en": "Stars"},
    "whatif": {"zh": "假设分析", "en": "What if"},
    "scenario": {"zh": "情景", "en": "Scenario"},
    "revenue": {"zh": "销售额", "en": "Revenue"},
    "change": {"zh": "较现方案", "en": "vs plan"},
    "sc_plan": {"zh": "现行方案", "en": "plan as set"},
    "sc_uplift": {"zh": "销售额 {uplift}", "en": "revenue {uplift}"},
    "sc_no_accelerator": {"zh": "取消加速", "en": "no accelerator"},
    "sc_no_cap": {"zh": "取消封顶", "en": "no cap"},
    "sc_no_star_bonus": {"zh": "取消之星奖金", "en": "no star bonus"},
    "payout_chart": {"zh": "提成曲线与各代表本季度位置", "en": "Payout curve and each rep this quarter"},
    "payout_axis": {"zh": "提成 ÷ 目标", "en": "Commission ÷ target"},
    "attainment_axis": {"zh": "目标达成率", "en": "Attainment"},
    "reps_dots": {"zh": "销售代表", "en": "reps"},
    "bm_company": {"zh": "公司平均", "en": "the company average"},
    "bm_median": {"zh": "中位单元", "en": "the median unit"},
    "bm_peer": {"zh": "同级其他单元", "en": "their peers"},
    "cause_low_activity": {"zh": "人均活动量偏低", "en": "fewer activities per head"},
    "cause_new_hires": {"zh": "新人占比高", "en": "new hires still ramping"},
    "cause_activity_and_tenure": {"zh": "活动量与新人共同造成", "en": "activity and new hires together"},
    "cause_other": {"zh": "单位活动产出低", "en": "lower output per activity"},
    "cause_unknown": {"zh": "无法拆解", "en": "not separable"},
    "none": {"zh": "无", "en": "none"},
    "note_no_activities": {"zh": "数据源没有活动记录：积分卡不含拜访/电话，驱动因素分析跳过。",
                           "en": "The source has no activity log: the scorecard has no visits or calls and the "
                                 "driver analysis is skipped."},
    "note_no_hire_dates": {"zh": "数据源没有入职日期：无法估计爬坡曲线，所有代表视为成熟代表。",
                           "en": "The source has no hire dates: no ramp curve, every rep counts as ramped."},
    "note_no_targets": {"zh": "数据源没有目标：积分卡不含达成率，提成按基础比例计算。",
                        "en": "The source has no targets: no attainment in the scorecard and commission at the base "
                              "rate only."},
    "note_no_costs": {"zh": "数据源没有订单成本：人均毛利不可用。", "en": "The source has no order costs: no gross profit per FTE."},
    "note_no_receivables": {"zh": "数据源没有发票/回款：积分卡不含回款率。",
                            "en": "The source has no invoices or payments: no collection rate in the scorecard."},
    "note_no_proposal_stage": {"zh": "阶段中没有方案阶段：积分卡不含方案指标。",
                               "en": "The stage order has no proposal stage: no proposal metrics in the scorecard."},
    "note_few_rep_months": {"zh": "满月人月太少，驱动因素与爬坡分析跳过。",
                            "en": "Too few full rep-months: drivers and ramp are skipped."},
}
ACTIVITY_WORDS: dict[str, tuple[str, str]] = {
    "visit": ("拜访", "visits"), "call": ("电话", "calls"), "meeting": ("会议", "meetings"),
    "proposal": ("方案", "proposals"), "email": ("邮件", "emails"), "demo": ("演示", "demos"),
}
COMPONENT_UNITS = {"visits": "rate1", "calls": "rate1", "proposals": "rate1", "proposal_rate": "ratio",
                   "attainment": "ratio", "collection_rate": "ratio", "win_rate": "ratio",
                   "revenue_per_fte": "currency"}


def _t(key: str, lang: str) -> str:
    return t(key, lang, LABELS)


def _activity(kind: str, lang: str) -> str:
    pair = ACTIVITY_WORDS.get(kind)
    return (pair[0] if lang == "zh" else pair[1]) if pair else kind


def _fmt(value: object, unit: str) -> str:
    if unit == "rate1":  # a count per FTE-month, an FTE or a score: one decimal
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return "—"
        return f"{number:,.1f}" if np.isfinite(number) else "—"
    if unit == "change":
        return format_change(value)  # type: ignore[arg-type]
    return format_value(value, unit)  # type: ignore[arg-type]


def _h2(key: str, lang: str) -> str:
    return f"<h2>{e(_t(key, lang))}</h2>"


def _p(text: str) -> str:
    return f"<p class='so-note'>{e(text)}</p>"


def _tiles(items: list[tuple[str, str]]) -> str:
    parts = "".join(f"<div class='so-tile'><div class='so-label'>{e(label)}</div>"
                    f"<div class='so-value'>{e(value)}</div></div>" for label, value in items)
    return f"<style>{TILE_CSS}</style><div class='so-tiles'>{parts}</div>"


def _table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], lang: str) -> str:
    """``columns``: frame column → (label key, format unit)."""
    shown = pd.DataFrame({_t(key, lang): [_fmt(v, unit) if unit else ("—" if pd.isna(v) else str(v))
                                          for v in frame[col]] for col, (key, unit) in columns.items()})
    return table_html(shown, index=False)


def _quarter(label: str, lang: str) -> str:
    """``2025Q2`` as 2025年第2季度 or 2025 Q2."""
    year, quarter = label.split("Q")
    return f"{year}年第{quarter}季度" if lang == "zh" else f"{year} Q{quarter}"


def _benchmark(result: TeamEfficiencyResult) -> str:
    return _t(f"bm_{result.benchmark}", result.lang)


# --------------------------------------------------------------------------- overview


def overview(result: TeamEfficiencyResult) -> HtmlFragment:
    """Company per-FTE tiles over the window, headcount movements and the number of flagged teams."""
    lang, c = result.lang, result.company
    months = len(pd.date_range(result.window[0] + "-01", result.window[1] + "-01", freq="MS"))
    suffix = _t("window_suffix", lang)
    per_head = ("revenue_per_fte", "new_customers_per_fte", "gross_profit_per_fte")
    items = [(METRICS[m].label(lang) + suffix, format_value(c.get(m), METRICS[m].unit))
             for m in per_head if np.isfinite(c.get(m, np.nan))]
    teams = result.units[result.units["level"] == "team"]
    items += [(_t("fte", lang), _fmt(c.get("fte"), "rate1")),
              *((_t(key, lang), format_value(c.get(key, 0), "count")) for key in ("headcount", "hires", "exits")),
              (_t("flagged_units", lang), f"{int(teams['flagged'].sum())} / {len(teams)}")]
    note = _t("overview_note", lang).format(start=result.window[0], end=result.window[1], months=months)
    notes = "".join(_p(_t(f"note_{code}", lang)) for code in result.notes if f"note_{code}" in LABELS)
    return HtmlFragment(_h2("overview", lang) + _tiles(items) + _p(note) + notes)


# --------------------------------------------------------------------------- units vs benchmark


def units(result: TeamEfficiencyResult) -> HtmlFragment:
    """Regions, then teams: window per-FTE figures, gap with interval, flag, likely cause, shortfall."""
    lang = result.lang
    frame = result.units.copy()
    frame["interval"] = [f"{lo:+.1%}…{hi:+.1%}" if np.isfinite(lo) and np.isfinite(hi) else "—"
                         for lo, hi in zip(frame["gap_low"], frame["gap_high"], strict=True)]
    frame["flag"] = np.where(frame["flagged"], _t("flag_yes", lang), "")
    causes = frame["cause"] if "cause" in frame else pd.Series("", index=frame.index)
    frame["cause_word"] = [_t(f"cause_{c}", lang) if f and isinstance(c, str) else ""
                           for f, c in zip(frame["flagged"], causes, strict=True)]
    columns = {"unit": ("unit", ""), "region": ("region", ""), "fte": ("fte", "rate1"),
               "headcount": ("headcount", "count"), "hires": ("hires", "count"), "exits": ("exits", "count"),
               "revenue_per_fte": ("revenue_per_fte_w", "currency"),
               "new_customers_per_fte": ("new_customers_per_fte_w", "count_per_fte"),
               "gross_profit_per_fte": ("gross_profit_per_fte_w", "currency"),
               "gap": ("gap", "change"), "interval": ("interval", ""), "flag": ("flag", ""),
               "cause_word": ("cause", ""), "shortfall": ("shortfall", "currency")}
    if frame["gross_profit_per_fte"].isna().all():
        columns.pop("gross_profit_per_fte")
    note = _t("units_note", lang).format(benchmark=_benchmark(result), threshold=f"{result.threshold:.0%}",
                                         confidence=f"{result.confidence:.0%}", min_fte=f"{result.min_fte:g}")
    html = _h2("units", lang) + _p(note)
    for level in ("region", "team"):
        rows = frame[frame["level"] == level]
        if rows.empty:
            continue
        shown = {k: v for k, v in columns.items() if not (level == "region" and k == "region")}
        shown["unit"] = (level, "")
        html += f"<h3>{e(_t(level + 's', lang))}</h3>" + _table(rows, shown, lang)
    return HtmlFragment(html)


def gap_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """Each team's gap with its interval; flagged teams in red, the flag threshold dashed."""
    teams = result.units[(result.units["level"] == "team") & np.isfinite(result.units["gap"])]
    if teams.empty:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    teams = teams.sort_values("gap")
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.28 * len(teams) + 1.2)))
    colors = [RED if f else (BLUE if ok else GREY) for f, ok in zip(teams["flagged"], teams["eligible"], strict=True)]
    y = np.arange(len(teams))
    ax.barh(y, teams["gap"], color=colors, height=0.6)
    err = np.vstack([(teams["gap"] - teams["gap_low"]).clip(lower=0).fillna(0),
                     (teams["gap_high"] - teams["gap"]).clip(lower=0).fillna(0)])
    ax.errorbar(teams["gap"], y, xerr=err, fmt="none", ecolor="#333333", elinewidth=1, capsize=2)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.axvline(-result.threshold, color=RED, linestyle="--", linewidth=1, label=_t("threshold_line", lang))
    ax.set_yticks(y, teams["unit"].astype(str), fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(_t("gap_chart", lang))
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- spread and trend


def spread_heading(result: TeamEfficiencyResult) -> HtmlFragment:
    """Heading and note of the spread section."""
    lang = result.lang
    return HtmlFragment(_h2("spread", lang) + _p(_t("spread_note", lang).format(min_fte=f"{result.min_rep_fte:g}")))


def spread_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """Box plots of rep revenue per FTE by team, teams ordered by median, the company as a line."""
    reps = result.reps[(result.reps["fte"] >= result.min_rep_fte) & np.isfinite(result.reps["revenue_per_fte"])]
    if reps.empty or reps["team"].isna().all():
        return HtmlFragment("")
    apply_theme()
    order = reps.groupby("team")["revenue_per_fte"].median().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(8.0, max(2.5, 0.28 * len(order) + 1.2)))
    sns.boxplot(data=reps, x="revenue_per_fte", y="team", order=order, color="#dce6f2", fliersize=0, ax=ax,
                linewidth=0.8)
    sns.stripplot(data=reps, x="revenue_per_fte", y="team", order=order, color=BLUE, size=3, ax=ax, jitter=0.15)
    company = result.company.get("revenue_per_fte", np.nan)
    if np.isfinite(company):
        ax.axvline(company, color=RED, linestyle="--", linewidth=1, label=_t("company_line", result.lang))
        ax.legend(loc="lower right", fontsize=9)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_value(v, "currency")))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(_t("spread_chart", result.lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def trend_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """Heat map: each team's monthly revenue per FTE vs the company, over the last 12 months."""
    teams = result.monthly[result.monthly["level"] == "team"]
    if teams.empty:
        return HtmlFragment("")
    apply_theme()
    grid = teams.pivot_table(index="unit", columns="month", values="gap")
    grid = grid.loc[grid.mean(axis=1).sort_values().index]
    grid.columns = [c.strftime("%Y-%m") for c in grid.columns]
    fig, ax = plt.subplots(figsize=(9.0, max(2.5, 0.3 * len(grid) + 1.5)))
    sns.heatmap(grid, cmap="RdBu", center=0, vmin=-0.4, vmax=0.4, ax=ax, annot=len(grid) <= 15, fmt=".0%",
                annot_kws={"fontsize": 7},
                cbar_kws={"format": PercentFormatter(1.0, decimals=0), "shrink": min(1.0, 12 / len(grid))})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="both", labelsize=8)
    ax.set_title(_t("heatmap", result.lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- scorecard


def scorecard(result: TeamEfficiencyResult) -> HtmlFragment:
    """The quarter's scorecard (top and bottom reps) and the stars of the last four quarters."""
    lang = result.lang
    scored = result.scorecard
    html = _h2("scorecard", lang)
    if scored.empty:
        return HtmlFragment(html + _p(_t("none", lang)))
    to_date = "" if result.quarter_complete else _t("to_date", lang)
    html += _p(_t("scorecard_note", lang).format(
        quarter=_quarter(result.quarter, lang), to_date=to_date, reps=len(scored), stars=int(scored["star"].sum()),
        components="、".join(_t(c, lang) for c in result.components) if lang == "zh"
        else ", ".join(_t(c, lang) for c in result.components)))
    frame = scored.assign(star_mark=np.where(scored["star"], "★", ""))
    columns = {"rank": ("rank", "count"), "star_mark": ("star", ""), "name": ("name", ""), "team": ("team", ""),
               "score": ("score", "rate1"), **{c: (c, COMPONENT_UNITS[c]) for c in result.components}}
    if len(frame) > SCORECARD_TOP + SCORECARD_BOTTOM:
        html += (f"<h3>{e(_t('top_reps', lang).format(n=SCORECARD_TOP))}</h3>"
                 + _table(frame.head(SCORECARD_TOP), columns, lang))
        html += (f"<h3>{e(_t('bottom_reps', lang).format(n=SCORECARD_BOTTOM))}</h3>"
                 + _table(frame.tail(SCORECARD_BOTTOM), columns, lang))
    else:
        html += _table(frame, columns, lang)
    if not result.stars.empty:
        history = result.stars.assign(quarter=result.stars["quarter"].map(lambda q: _quarter(q, lang)))
        html += f"<h3>{e(_t('stars_history', lang))}</h3>" + _table(
            history, {"quarter": ("quarter", ""), "rank": ("rank", "count"), "name": ("name", ""),
                           "team": ("team", ""), "score": ("score", "rate1")}, lang)
    return HtmlFragment(html)


# --------------------------------------------------------------------------- drivers and ramp


def drivers(result: TeamEfficiencyResult) -> HtmlFragment:
    """The driver model in plain sentences and a table of elasticities."""
    lang = result.lang
    html = _h2("drivers", lang)
    if result.fit is None or result.drivers.empty:
        return HtmlFragment(html + _p(_t("note_no_activities" if "no_activities" in result.notes
                                         else "note_few_rep_months", lang)))
    html += _p(_t("drivers_note", lang).format(n=f"{result.fit.n_obs:,}", reps=f"{result.fit.n_reps:,}"))
    conf = f"{result.confidence:.0%}"
    sentences = [
        _t(f"driver_{row.verdict}", lang).format(
            activity=_activity(row.activity, lang), confidence=conf, effect=f"{abs(row.effect):.1%}",
            low=format_change(row.effect_low), high=format_change(row.effect_high))
        for row in result.drivers.itertuples()
    ]
    html += "<ul>" + "".join(f"<li>{e(s)}</li>" for s in sentences) + "</ul>"
    d = result.drivers
    frame = d.assign(activity_word=[_activity(a, lang) for a in d["activity"]],
                     interval=[f"{lo:.3f} ~ {hi:.3f}" for lo, hi in zip(d["low"], d["high"], strict=True)],
                     elasticity_text=[f"{v:.3f}" for v in d["elasticity"]])
    html += _table(frame, {"activity_word": ("activity", ""), "elasticity_text": ("elasticity", ""),
                           "interval": ("interval", ""), "effect": ("effect", "change")}, lang)
    return HtmlFragment(html)


def drivers_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """Revenue change with 10 % more of each activity, with its interval."""
    if result.drivers.empty:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    d = result.drivers.iloc[::-1]
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(7.0, 0.6 * len(d) + 1.4))
    colors = [BLUE if v == "positive" else (RED if v == "negative" else GREY) for v in d["verdict"]]
    ax.errorbar(d["effect"], y, xerr=np.vstack([d["effect"] - d["effect_low"], d["effect_high"] - d["effect"]]),
                fmt="none", ecolor="#333333", capsize=3)
    ax.scatter(d["effect"], y, color=colors, zorder=3, s=40)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, [_activity(a, lang) for a in d["activity"]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_title(_t("driver_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def ramp(result: TeamEfficiencyResult) -> HtmlFragment:
    """Ramp summary: τ, time to full productivity."""
    lang = result.lang
    html = _h2("ramp", lang)
    r = result.ramp
    if r is None:
        code = "no_hire_dates" if "no_hire_dates" in result.notes else "few_rep_months"
        return HtmlFragment(html + _p(_t(f"note_{code}", lang)))
    return HtmlFragment(html + _p(_t("ramp_note", lang).format(
        tau=f"{r.tau:.2f}", tau_low=f"{r.tau_low:.2f}", tau_high=f"{r.tau_high:.2f}", months=f"{r.months_to_full:.1f}",
        months_low=f"{r.months_to_full_low:.1f}", months_high=f"{r.months_to_full_high:.1f}",
        level=f"{r.full_level:.0%}")))


def ramp_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """Estimated productivity by tenure month with intervals, the fitted curve and the full level."""
    r = result.ramp
    if r is None:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    b = r.by_month
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    ax.errorbar(b["tenure_month"], b["productivity"], yerr=np.vstack([b["productivity"] - b["low"],
                                                                       b["high"] - b["productivity"]]),
                fmt="o", color=BLUE, capsize=3, label=_t("estimate", lang))
    grid = np.linspace(0, b["tenure_month"].max(), 200)
    ax.plot(grid, 1 - np.exp(-grid / r.tau), color=PALETTE[1], label=_t("fitted", lang))
    ax.axhline(r.full_level, color=GREY, linestyle="--", linewidth=1, label=_t("full_level", lang))
    ax.set_xlabel(_t("tenure_month", lang))
    ax.set_ylabel(_t("productivity", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.15)
    ax.set_title(_t("ramp_chart", lang))
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- incentives


def incentives(result: TeamEfficiencyResult) -> HtmlFragment:
    """Plan, totals and the what-if table."""
    lang = result.lang
    s, p = result.payout_summary, result.plan
    to_date = "" if result.quarter_complete else _t("to_date", lang)
    note = _t("plan_note", lang).format(
        quarter=_quarter(result.quarter, lang), to_date=to_date, base=f"{p.base_rate:.1%}",
        accelerator=f"{p.accelerator_rate:.1%}", cap=f"{p.attainment_cap:.0%}",
        bonus=format_value(p.star_bonus, "currency"))
    items = [(_t("payout", lang), format_value(s.get("payout"), "currency")),
             (_t("cost_of_sales", lang), format_value(s.get("cost_of_sales"), "ratio")),
             (_t("above_target", lang), f"{s.get('above_target', 0):,.0f}"),
             (_t("capped", lang), f"{s.get('capped', 0):,.0f}"), (_t("stars_count", lang), f"{s.get('stars', 0):,.0f}")]
    w = result.whatif.copy()
    w["scenario_word"] = [_t(f"sc_{sc}", lang).format(uplift=format_change(u))
                          for sc, u in zip(w["scenario"], w["uplift"], strict=True)]
    table = _table(w, {"scenario_word": ("scenario", ""), "revenue": ("revenue", "currency"),
                       "payout": ("payout", "currency"), "cost_of_sales": ("cost_of_sales", "ratio"),
                       "above_target": ("above_target", "count"), "capped": ("capped", "count"),
                       "change": ("change", "change")}, lang)
    whatif = f"<h3>{e(_t('whatif', lang))}</h3>" + table
    return HtmlFragment(_h2("incentives", lang) + _p(note) + _tiles(items) + whatif)


def payout_chart(result: TeamEfficiencyResult) -> Figure | HtmlFragment:
    """The plan's commission curve (commission ÷ target by attainment) with every rep placed on it."""
    paid = result.payouts[np.isfinite(result.payouts["attainment"])]
    if paid.empty:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    top = max(2.0, float(paid["attainment"].max()) * 1.05, result.plan.attainment_cap * 1.2)
    grid = np.linspace(0, top, 300)
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    ax.plot(grid, commission(grid, np.ones_like(grid), result.plan), color=PALETTE[1])
    ax.scatter(paid["attainment"], paid["commission"] / paid["target"], s=12, color=BLUE, alpha=0.6,
               label=_t("reps_dots", lang), zorder=3)
    for x in (1.0, result.plan.attainment_cap):
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel(_t("attainment_axis", lang))
    ax.set_ylabel(_t("payout_axis", lang))
    ax.set_title(_t("payout_chart", lang))
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


SECTIONS: tuple[Callable[[TeamEfficiencyResult], object], ...] = (
    overview, units, gap_chart, spread_heading, spread_chart, trend_chart, scorecard, drivers, drivers_chart,
    ramp, ramp_chart, incentives, payout_chart,
)
"""Every display of the page, in order (the notebook calls them one per cell)."""

# --------------------------------------------------------------------------- findings' words

_BENCHMARK = {"benchmark": {"company": ("公司平均", "the company average"), "median": ("中位单元", "the median unit"),
                            "peer": ("同级其他单元", "their peers")}}
_LEVEL = {"level_name": {"team": ("团队 ", "Team "), "region": ("大区 ", "Region ")}}

FINDING_TEXT: dict[str, FindingText] = {
    "low_efficiency": FindingText(
        zh="{level_name}{where}近 {months} 个月人均销售额 {value}，比{benchmark}（{baseline}）低 {change}"
           "（{confidence:.0%} 区间 {gap_low:+.1%} ~ {gap_high:+.1%}，折算人力 {fte:.1f}），少收约 {at_stake}；主要原因：{cause}。",
        en="{level_name}{where}revenue per FTE over the last {months} months is {value}, {change} below {benchmark} "
           "({baseline}; {confidence:.0%} interval {gap_low:+.1%} to {gap_high:+.1%}, {fte:.1f} FTE), about "
           "{at_stake} short; likely cause: {cause}.",
        words={**_BENCHMARK, **_LEVEL, "cause": {
            "low_activity": ("人均拜访/电话等活动量偏低", "fewer activities per head"),
            "new_hires": ("新人占比高、仍在爬坡", "many new hires still ramping"),
            "activity_and_tenure": ("活动量偏低与新人爬坡共同造成", "fewer activities and new hires together"),
            "unknown": ("数据源缺少活动与入职数据，无法拆解", "the source has no activity or hire data to tell"),
            "other": ("活动量与新人占比都解释不了，差在单位活动的产出（区域、客户结构、定价或辅导）",
                      "neither activity nor tenure explains it; output per activity is lower (territory, deal mix, "
                      "pricing or coaching)")}},
        actions={
            "raise_activity": ("建议设定人均拜访与电话目标，按周跟踪。", "Set visit and call goals per head and track them weekly."),
            "support_new_hires": ("建议为新人配导师、调整爬坡期目标。", "Give new hires mentors and ramp-adjusted targets."),
            "review_team": ("建议复盘该团队的客户结构、拜访与人员配置。",
                            "Review the team's accounts, activity and staffing."),
            "review_territory_and_coaching": ("建议复盘该团队的区域与客户结构，并安排管理者随访辅导。",
                                              "Review the team's territory and account mix, and have its manager coach "
                                              "in the field."),
        },
    ),
    "low_efficiency_reps": FindingText(
        zh="{count} 名已度过爬坡期的销售代表人均销售额明显低于{benchmark}（差距 ≥ {threshold:.0%} 且统计上明确，如 {names}），"
           "合计少收约 {at_stake}。",
        en="{count} ramped reps produce clearly less revenue per FTE than {benchmark} (at least {threshold:.0%} below, "
           "beyond noise; e.g. {names}), together about {at_stake} short.",
        words=_BENCHMARK,
        actions={"coach_reps": ("建议逐一复盘其客户与拜访质量，制定辅导计划。",
                                "Review their accounts and visit quality one by one and set coaching plans.")},
    ),
    "activity_driver": FindingText(
        zh="活动驱动：人均{activity}每多 10%，销售额约多 {effect:.1%}（区间 {effect_low:.1%} ~ {effect_high:.1%}；"
           "控制代表本人、团队当月与司龄，{rep_months} 个人月）。",
        en="Activity drives revenue: 10% more {activity} per FTE goes with {effect:.1%} more revenue "
           "({effect_low:.1%} to {effect_high:.1%}; same rep, team-month and tenure; {rep_months} rep-months).",
        words={"activity": ACTIVITY_WORDS},
    ),
    "ramp_time": FindingText(
        zh="新人爬坡：入职后第 1 个月产出约为成熟代表的 {first_month:.0%}，约 {months:.1f} 个月"
           "（区间 {months_low:.1f}–{months_high:.1f}）达到 {level:.0%}。",
        en="New hires produce {first_month:.0%} of a ramped rep in their first month and reach {level:.0%} after "
           "about {months:.1f} months ({months_low:.1f}–{months_high:.1f}).",
        actions={"plan_onboarding": ("招聘节奏与新人目标应按此曲线设定。",
                                     "Plan hiring and set new-hire targets along this curve.")},
    ),
    "quarter_stars": FindingText(
        zh="{year}年第{q}季度{complete}之星：{names}。",
        en="Stars of {year} Q{q}{complete}: {names}.",
        words={"complete": {"complete": ("", ""), "to_date": ("（截至本月）", " (to date)")}},
    ),
    "incentive_cost": FindingText(
        zh="{year}年第{q}季度按现行提成方案需支付 {value}，占销售额 {cost_of_sales:.1%}；{above_target} 人超额，其中 {capped} 人封顶。",
        en="Under the commission plan {year} Q{q} costs {value}, {cost_of_sales:.1%} of revenue; {above_target} reps "
           "above target, {capped} at the cap.",
    ),
}
