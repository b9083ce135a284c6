"""Presentation of target tracking: attainment tiles, the seasonal pacing curve, regions and
teams, weekly heat map, persistence alerts and the watch list, and the findings' words."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from salesops_lib.analyses.tracking import TargetTrackingResult
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.formats import heading, labelled_table, money, money_axis, paragraph, pct
from salesops_lib.report.theme import PALETTE, apply_theme

LABELS: dict[str, dict[str, str]] = {
    "overview": {"zh": "目标达成概览", "en": "Attainment overview"},
    "overview_note": {
        "zh": "截至 {as_of}。进度达成 = 实际 ÷ 截至当日的季节性计划（月度目标本身带季节性，月内按星期分布），而非直线；"
              "预计达成 = 按当前节奏推算到期末。",
        "en": "As of {as_of}. Pace = actual ÷ the seasonal plan to date (the monthly targets carry the seasonality; "
              "within a month, days weigh by weekday), not a straight line; projected = at this pace to the "
              "period end."},
    "month": {"zh": "本月", "en": "Month"},
    "quarter": {"zh": "本季", "en": "Quarter"},
    "year": {"zh": "本年", "en": "Year"},
    "pace_suffix": {"zh": "进度达成", "en": "pace"},
    "projected_year": {"zh": "预计全年达成", "en": "Projected year"},
    "alerts_count": {"zh": "持续未达标预警", "en": "Persistence alerts"},
    "curve": {"zh": "全年累计：实际 vs 季节性计划 vs 直线", "en": "Year to date: actual vs seasonal plan vs straight line"},
    "actual": {"zh": "实际", "en": "Actual"},
    "expected": {"zh": "季节性计划", "en": "Seasonal plan"},
    "linear": {"zh": "直线", "en": "Straight line"},
    "units": {"zh": "大区与团队", "en": "Regions and teams"},
    "level": {"zh": "层级", "en": "Level"},
    "unit": {"zh": "单位", "en": "Unit"},
    "company": {"zh": "公司", "en": "Company"},
    "region": {"zh": "大区", "en": "Region"},
    "team": {"zh": "团队", "en": "Team"},
    "rep": {"zh": "销售代表", "en": "Rep"},
    "month_att": {"zh": "本月达成", "en": "Month"},
    "quarter_att": {"zh": "本季进度达成", "en": "Quarter pace"},
    "year_att": {"zh": "本年进度达成", "en": "Year pace"},
    "year_target": {"zh": "全年目标", "en": "Year target"},
    "year_actual": {"zh": "本年实际", "en": "Year actual"},
    "projection": {"zh": "预计全年", "en": "Projected year"},
    "projected": {"zh": "预计达成", "en": "Projected"},
    "gap": {"zh": "预计差额", "en": "Projected gap"},
    "units_note": {"zh": "预计差额 = 全年目标 − 预计全年（负数表示预计超额完成）。",
                   "en": "Projected gap = year target − projected year (negative: ahead of target)."},
    "monthly": {"zh": "月度达成", "en": "Monthly attainment"},
    "weekly": {"zh": "周达成（ISO 周，周一至周日）", "en": "Weekly attainment (ISO weeks, Monday–Sunday)"},
    "weekly_note": {"zh": "周目标 = 该周每天的（月目标 ÷ 当月天数）之和；周实际 = 该周下单金额。", "en":
                    "Weekly target = Σ over the week's days of monthly target ÷ days in the month; actual = bookings "
                    "of the week."},
    "heatmap": {"zh": "各团队周达成率", "en": "Weekly attainment by team"},
    "week_of": {"zh": "周（周一）", "en": "Week (Monday)"},
    "alerts": {"zh": "持续未达标预警", "en": "Persistence alerts"},
    "rule": {"zh": "规则：连续 {periods} 个完整{grain}达成率低于 {threshold}（严格小于；恰为 {threshold} 不触发），适用层级：{levels}。"
                   "追赶期限为当前季度末（{horizon}）。",
             "en": "Rule: {periods} consecutive complete {grain}s strictly below {threshold} (exactly {threshold} does "
                   "not fire), at: {levels}. Recovery by the end of the quarter in progress ({horizon})."},
    "grain_week": {"zh": "周", "en": "week"},
    "grain_month": {"zh": "月", "en": "month"},
    "no_alerts": {"zh": "本期无单位触发预警。", "en": "No unit triggers the rule."},
    "name": {"zh": "姓名", "en": "Name"},
    "since": {"zh": "起始", "en": "Since"},
    "periods": {"zh": "连续期数", "en": "Periods"},
    "attainments": {"zh": "各期达成", "en": "Attainment by period"},
    "run_attainment": {"zh": "期间合计达成", "en": "Run attainment"},
    "shortfall": {"zh": "累计落后", "en": "Behind by"},
    "weeks_left": {"zh": "剩余周数", "en": "Weeks left"},
    "extra_per_week": {"zh": "每周需多完成", "en": "Extra per week"},
    "required_per_week": {"zh": "每周需完成", "en": "Needed per week"},
    "watch": {"zh": "关注名单（已低于阈值，尚未达到连续期数）", "en": "Watch list (below the threshold, not yet long enough)"},
    "watch_none": {"zh": "无。", "en": "None."},
}


def _t(key: str, lang: str) -> str:
    return t(key, lang, labels=LABELS)


def _who(row: object, lang: str) -> str:
    level, unit, name = getattr(row, "level"), getattr(row, "unit_id"), getattr(row, "name", None)
    if level == "company":
        return _t("company", lang)
    if not (isinstance(name, str) and name):
        return str(unit)
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def overview(result: TargetTrackingResult) -> HtmlFragment:
    """Company tiles: month, quarter and year pace, projected year, number of alerts."""
    lang = result.lang
    company = result.pacing[result.pacing["level"] == "company"].set_index("horizon")
    tiles = [(f"{_t(h, lang)}{'' if lang == 'zh' else ' '}{_t('pace_suffix', lang)}", pct(company.loc[h, "attainment"]),
              f"{money(company.loc[h, 'actual'])} / {money(company.loc[h, 'expected'])}")
             for h in ("month", "quarter", "year") if h in company.index]
    if "year" in company.index:
        tiles.append((_t("projected_year", lang), pct(company.loc["year", "projected_attainment"]),
                      money(company.loc["year", "projection"])))
    tiles.append((_t("alerts_count", lang), str(len(result.alerts)), ""))
    body = "".join(f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div>"
                   f"<div class='so-delta'>{e(d)}</div></div>" for k, v, d in tiles)
    return HtmlFragment(f"<style>{TILE_CSS}</style>" + heading(_t("overview", lang)) +
                        f"<div class='so-tiles'>{body}</div>" +
                        paragraph(_t("overview_note", lang).format(as_of=result.as_of.isoformat())))


def curve(result: TargetTrackingResult) -> Figure:
    """The company's cumulative bookings of the year against the seasonal plan and a straight line."""
    apply_theme()
    lang = result.lang
    frame = result.curve
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    ax.plot(frame["day"], frame["expected"], color=PALETTE[0], label=_t("expected", lang))
    ax.plot(frame["day"], frame["linear"], color="#9aa6b2", linestyle="--", label=_t("linear", lang))
    ax.plot(frame["day"], frame["actual"], color=PALETTE[1], linewidth=2.2, label=_t("actual", lang))
    ax.axvline(pd.Timestamp(result.as_of), color="#6b7b8c", linewidth=0.8)
    ax.yaxis.set_major_formatter(money_axis(lang))
    ax.set_title(_t("curve", lang))
    ax.legend(fontsize=9, frameon=False, loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def units(result: TargetTrackingResult) -> HtmlFragment:
    """Regions and teams: month attainment, quarter and year pace, projected year and gap."""
    lang = result.lang
    pacing = result.pacing[result.pacing["level"].isin(["company", "region", "team"])]
    wide = pacing.pivot_table(index=["level", "unit_id"], columns="horizon",
                              values=["attainment", "target", "actual", "projection", "projected_attainment", "gap"],
                              aggfunc="first", sort=False)
    frame = pd.DataFrame({
        "level": [lvl for lvl, _ in wide.index], "unit_id": [u for _, u in wide.index],
        "month_att": wide[("attainment", "month")].to_numpy(),
        "quarter_att": wide[("attainment", "quarter")].to_numpy(),
        "year_att": wide[("attainment", "year")].to_numpy(), "year_target": wide[("target", "year")].to_numpy(),
        "year_actual": wide[("actual", "year")].to_numpy(), "projection": wide[("projection", "year")].to_numpy(),
        "projected": wide[("projected_attainment", "year")].to_numpy(), "gap": wide[("gap", "year")].to_numpy(),
    })
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    frame["unit"] = [_t("company", lang) if lvl == "company" else u
                     for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)]
    columns = {"level_label": ("level", str), "unit": ("unit", str), "month_att": ("month_att", pct),
               "quarter_att": ("quarter_att", pct), "year_att": ("year_att", pct),
               "year_target": ("year_target", money),
               "year_actual": ("year_actual", money), "projection": ("projection", money),
               "projected": ("projected", pct), "gap": ("gap", money)}
    return HtmlFragment(heading(_t("units", lang)) + paragraph(_t("units_note", lang)) +
                        labelled_table(frame, columns, lambda k: _t(k, lang)))


def monthly(result: TargetTrackingResult) -> HtmlFragment:
    """Company and regions: attainment of each month of the year so far."""
    lang = result.lang
    frame = result.monthly[result.monthly["level"].isin(["company", "region"])]
    wide = frame.pivot_table(index=["level", "unit_id"], columns="period", values="attainment", aggfunc="first",
                             sort=False)
    shown = wide.apply(lambda col: col.map(pct))
    shown.columns = [c.strftime("%Y-%m") for c in shown.columns]
    shown.index = [_t("company", lang) if lvl == "company" else u for lvl, u in shown.index]
    shown.index.name = _t("unit", lang)
    return HtmlFragment(heading(_t("monthly", lang)) + table_html(shown))


def weekly_heading(result: TargetTrackingResult) -> HtmlFragment:
    return HtmlFragment(heading(_t("weekly", result.lang)) + paragraph(_t("weekly_note", result.lang)))


def weekly_heatmap(result: TargetTrackingResult) -> Figure | HtmlFragment:
    """Teams × the last complete ISO weeks: attainment, red below the alert threshold."""
    lang = result.lang
    frame = result.weekly[result.weekly["level"] == "team"]
    if frame.empty:
        return HtmlFragment("")
    apply_theme()
    grid = frame.pivot_table(index="unit_id", columns="period", values="attainment", aggfunc="first")
    grid.columns = [c.strftime("%m-%d") for c in grid.columns]
    fig, ax = plt.subplots(figsize=(min(12.0, 1.0 + 0.62 * grid.shape[1]), max(2.6, 0.3 * len(grid) + 1.3)))
    threshold = float(result.rule["threshold"])  # type: ignore[arg-type]
    sns.heatmap(grid, ax=ax, cmap="RdYlGn", center=1.0, vmin=max(0.0, 2 * threshold - 1.2), vmax=1.2,
                annot=grid.shape[0] <= 40, fmt=".0%", annot_kws={"fontsize": 7}, cbar=False, linewidths=0.4)
    ax.set_xlabel(_t("week_of", lang))
    ax.set_ylabel("")
    ax.set_title(_t("heatmap", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def alerts(result: TargetTrackingResult) -> HtmlFragment:
    """Units that trigger the persistence rule: who, since, how far behind, the gap per remaining week."""
    lang = result.lang
    rule = result.rule
    grain = _t(f"grain_{rule['grain']}", lang)
    levels = ("、" if lang == "zh" else ", ").join(_t(x, lang) for x in rule["levels"])  # type: ignore[attr-defined]
    note = _t("rule", lang).format(periods=rule["periods"], grain=grain,
                                   threshold=_percent(float(rule["threshold"])),  # type: ignore[arg-type]
                                   levels=levels, horizon=rule["recovery_end"])
    html = heading(_t("alerts", lang)) + paragraph(note)
    if result.alerts.empty:
        return HtmlFragment(html + paragraph(_t("no_alerts", lang)))
    return HtmlFragment(html + _run_table(result.alerts, lang, full=True))


def watch(result: TargetTrackingResult) -> HtmlFragment:
    """Units below the threshold in the latest period(s), short of the rule."""
    lang = result.lang
    html = f"<h3>{e(_t('watch', lang))}</h3>"
    if result.watch.empty:
        return HtmlFragment(html + paragraph(_t("watch_none", lang)))
    return HtmlFragment(html + _run_table(result.watch.sort_values("latest_attainment"), lang, full=False))


def _percent(value: float) -> str:
    """80 % as "80%", 79.5 % as "79.5%"."""
    return f"{value * 100:.10g}%"


def _run_table(frame: pd.DataFrame, lang: str, *, full: bool) -> str:
    frame = frame.copy()
    frame["who"] = [_who(r, lang) for r in frame.itertuples()]
    frame["level_label"] = frame["level"].map(lambda x: _t(x, lang))
    columns = {"level_label": ("level", str), "who": ("name", str), "team": ("team", lambda v: v or ""),
               "region": ("region", lambda v: v or ""), "since": ("since", lambda d: d.date().isoformat()),
               "periods": ("periods", str), "attainments": ("attainments", lambda a: " / ".join(pct(x) for x in a)),
               "run_attainment": ("run_attainment", pct), "shortfall": ("shortfall", money)}
    if full:
        columns |= {"weeks_left": ("weeks_left", lambda v: f"{float(v):.1f}"),
                    "extra_per_week": ("extra_per_week", money), "required_per_week": ("required_per_week", money)}
    return labelled_table(frame, columns, lambda k: _t(k, lang))


FINDING_TEXT: dict[str, FindingText] = {
    "persistent_underperformance": FindingText(
        zh="{name}（{unit}，{parent}）自 {since} 起连续 {periods} {grain}达成率低于 {threshold:.0%}（{attainments}），"
           "累计落后 {shortfall:,.0f}；到 {horizon_end} 还剩 {weeks_left:.1f} 周，每周需多完成 {extra_per_week:,.0f}"
           "（每周共需 {required_per_week:,.0f}）。",
        en="{name} ({unit}, {parent}) has been below {threshold:.0%} of target for {periods} {grain} running since "
           "{since} ({attainments}), {shortfall:,.0f} behind; with {weeks_left:.1f} weeks left to {horizon_end} that "
           "is {extra_per_week:,.0f} extra a week ({required_per_week:,.0f} a week in all).",
        words={"grain": {"week": ("周", "weeks"), "month": ("个月", "months")}},
        actions={"coach_and_recover": ("请经理本周内一对一复盘管道与拜访计划，制定追赶方案。",
                                       "Have the manager review pipeline and visit plan one-to-one this week and agree "
                                       "a recovery plan.")},
    ),
    "off_pace": FindingText(
        zh="{where}本年按季节性计划的进度达成为 {attainment:.1%}，按此节奏预计全年达成 {value}（目标 {target:,.0f}，预计差额 {gap:,.0f}）。",
        en="{where}year-to-date pace against the seasonal plan is {attainment:.1%}; at this pace the year ends at "
           "{value} of target ({target:,.0f}; gap {gap:,.0f}).",
        actions={"close_gap": ("请制定下半程的追赶计划（管道、重点客户、资源倾斜）。",
                               "Plan how to close the gap (pipeline, key accounts, resources).")},
    ),
    "off_pace_quarter": FindingText(
        zh="{where}本季按季节性计划的进度达成为 {attainment:.1%}，按此节奏预计季末达成 {value}（目标 {target:,.0f}，预计差额 {gap:,.0f}）。",
        en="{where}quarter-to-date pace against the seasonal plan is {attainment:.1%}; at this pace the quarter ends "
           "at {value} of target ({target:,.0f}; gap {gap:,.0f}).",
        actions={"close_gap": ("请在季末前加速推进在谈商机。", "Accelerate the late-stage deals before the quarter ends.")},
    ),
}
