"""Presentation of the forecast: headline, outlook chart, units, risks, accuracy and calibration."""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.formats import money, number, pct, signed_pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.theme import PALETTE, apply_theme

LABELS: dict[str, dict[str, str]] = {
    "headline_title": {"zh": "目标期间预测", "en": "Period outlook"},
    "forecast": {"zh": "预测", "en": "Forecast"},
    "target": {"zh": "目标", "en": "Target"},
    "attainment": {"zh": "预计达成率", "en": "Projected attainment"},
    "interval80": {"zh": "80% 区间", "en": "80 % interval"},
    "interval95": {"zh": "95% 区间", "en": "95 % interval"},
    "p_hit": {"zh": "达成 100% 的概率", "en": "Chance of hitting 100 %"},
    "booked": {"zh": "已完成", "en": "Booked to date"},
    "ts_part": {"zh": "时间序列预测", "en": "Time-series forecast"},
    "pipeline_part": {"zh": "商机管道预测", "en": "Pipeline forecast"},
    "weight": {"zh": "时间序列权重", "en": "Weight of the time series"},
    "outlook_title": {"zh": "月度销售额：实际与预测", "en": "Monthly revenue: actual and forecast"},
    "actual": {"zh": "实际", "en": "Actual"},
    "millions": {"zh": "百万", "en": "millions"},
    "target_quarter": {"zh": "目标期间", "en": "Target period"},
    "units_title": {"zh": "各单元预计达成", "en": "Projected attainment by unit"},
    "unit": {"zh": "单元", "en": "Unit"},
    "level": {"zh": "层级", "en": "Level"},
    "method": {"zh": "方法", "en": "Method"},
    "regions_chart": {"zh": "各大区预计达成率（80% 区间）", "en": "Projected attainment by region (80 % interval)"},
    "teams_at_risk": {"zh": "达成概率最低的团队", "en": "Teams least likely to hit target"},
    "risks_title": {"zh": "风险预警", "en": "Risk warnings"},
    "coverage_title": {"zh": "商机覆盖率（在手商机 ÷ 剩余目标）", "en": "Pipeline coverage (open pipeline ÷ remaining target)"},
    "open_pipeline": {"zh": "在手商机", "en": "Open pipeline"},
    "remaining_target": {"zh": "剩余目标", "en": "Remaining target"},
    "coverage": {"zh": "覆盖率", "en": "Coverage"},
    "usual_coverage": {"zh": "通常覆盖率", "en": "Usual coverage"},
    "thin": {"zh": "偏低", "en": "Thin"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "slipping_title": {"zh": "多次推迟的商机", "en": "Deals that slipped more than once"},
    "deal": {"zh": "商机", "en": "Deal"},
    "rep": {"zh": "销售", "en": "Rep"},
    "customer": {"zh": "客户", "en": "Customer"},
    "stage": {"zh": "阶段", "en": "Stage"},
    "value": {"zh": "金额", "en": "Value"},
    "expected_close": {"zh": "预计成交日", "en": "Expected close"},
    "age_days": {"zh": "已开启天数", "en": "Days open"},
    "slips": {"zh": "推迟次数", "en": "Slips"},
    "accounts_title": {"zh": "订货下降的重点客户", "en": "Key accounts with declining orders"},
    "account": {"zh": "客户", "en": "Account"},
    "owner": {"zh": "负责人", "en": "Owner"},
    "value_12m": {"zh": "近 12 个月", "en": "Last 12 months"},
    "previous_window": {"zh": "前 6 个月", "en": "6 months before"},
    "last_window": {"zh": "近 6 个月", "en": "Last 6 months"},
    "change": {"zh": "变化", "en": "Change"},
    "value_at_risk": {"zh": "年化风险金额", "en": "Yearly value at risk"},
    "none": {"zh": "无", "en": "None"},
    "accuracy_title": {"zh": "历史预测准确度（滚动起点回测）", "en": "Accuracy history (rolling-origin backtest)"},
    "units_n": {"zh": "单元数", "en": "Units"},
    "origins": {"zh": "回测起点", "en": "Origins"},
    "mape": {"zh": "MAPE 平均绝对百分比误差", "en": "MAPE"},
    "mase": {"zh": "MASE 平均绝对标度误差", "en": "MASE"},
    "bias": {"zh": "偏差", "en": "Bias"},
    "accuracy": {"zh": "准确度", "en": "Accuracy"},
    "vs_snaive": {"zh": "误差 ÷ 季节性朴素", "en": "Error ÷ seasonal naive"},
    "calibration_title": {"zh": "预测区间校准（回测覆盖率）", "en": "Interval calibration (backtest coverage)"},
    "band": {"zh": "区间", "en": "Band"},
    "coverage_raw": {"zh": "校准前覆盖率", "en": "Coverage before"},
    "factor": {"zh": "校准系数", "en": "Factor"},
    "coverage_calibrated": {"zh": "校准后覆盖率", "en": "Coverage after"},
    "errors": {"zh": "误差个数", "en": "Errors"},
    "method_title": {"zh": "预测方法", "en": "How the forecast was made"},
    "scores_title": {"zh": "各模型回测误差（MASE，越低越好）", "en": "Backtest error of each model (MASE, lower is better)"},
    "chosen": {"zh": "选用", "en": "Chosen"},
    "level_month": {"zh": "月度（根节点）", "en": "Monthly (root)"},
    "level_company": {"zh": "公司", "en": "Company"},
    "level_region": {"zh": "大区", "en": "Region"},
    "level_team": {"zh": "团队", "en": "Team"},
    "level_rep": {"zh": "销售", "en": "Rep"},
    "m_blend": {"zh": "混合预测", "en": "Blend"},
    "m_ts": {"zh": "时间序列", "en": "Time series"},
    "m_pipeline": {"zh": "商机管道", "en": "Pipeline"},
    "m_snaive": {"zh": "季节性朴素", "en": "Seasonal naive"},
    "m_ses": {"zh": "简单指数平滑", "en": "SES"},
    "m_damped": {"zh": "阻尼趋势指数平滑", "en": "Damped-trend ETS"},
    "m_theta": {"zh": "Theta 法", "en": "Theta"},
    "m_arima": {"zh": "ARIMA 模型", "en": "ARIMA"},
    "m_comb": {"zh": "组合（四模型均值）", "en": "Combination (mean of four)"},
    "m_comb3": {"zh": "组合（三模型均值）", "en": "Combination (mean of three)"},
    "how_seasonality_tested": {"zh": "季节性：按自相关检验判定", "en": "Seasonality: decided by the autocorrelation test"},
    "how_seasonality_forced": {"zh": "季节性：经回测比较，始终做季节分解",
                               "en": "Seasonality: always decomposed (it backtested better)"},
    "how_reconcile_wls_var": {
        "zh": "层级一致：公司、大区用模型搜索，团队和销售用简单指数平滑，再按加权最小二乘（各节点一步误差方差，MinT 对角）调和，使销售→团队→大区→公司逐级相加一致",
        "en": "Coherence: company and regions by model search, teams and reps by SES, reconciled by weighted least "
              "squares (each node's one-step error variance, MinT diagonal) so reps add up to teams, regions and the company"},
    "how_reconcile_bottom_up": {"zh": "层级一致：自下而上汇总", "en": "Coherence: bottom-up sums"},
    "how_blend": {"zh": "时间序列与商机管道按回测误差加权：时间序列权重 {w:.0%}（{n} 个回测起点）",
                  "en": "Time series and pipeline blended by backtested weights: {w:.0%} time series ({n} origins)"},
    "how_no_pipeline": {"zh": "数据源无商机表：仅用时间序列", "en": "No opportunities in the source: time series only"},
}


def _t(key: str, lang: str) -> str:
    return t(key, lang, labels=LABELS)


def _label(prefix: str, code: str, lang: str) -> str:
    key = f"{prefix}_{code}"
    return _t(key, lang) if key in LABELS else str(code)


def headline(result: ForecastResult) -> HtmlFragment:
    """The seed's sentence and the headline tiles."""
    h, lang = result.headline, result.lang
    tiles = [(_t("forecast", lang), money(h["forecast"]))]
    if np.isfinite(h["target"]) and h["target"] > 0:
        tiles += [(_t("target", lang), money(h["target"])), (_t("attainment", lang), pct(h["attainment"], 0)),
                  (_t("interval80", lang), f"{pct(h['lo80'] / h['target'], 0)}–{pct(h['hi80'] / h['target'], 0)}"),
                  (_t("p_hit", lang), pct(h["p_hit"], 0))]
    else:
        tiles.append((_t("interval80", lang), f"{money(h['lo80'])}–{money(h['hi80'])}"))
    tiles += [(_t("booked", lang), money(h["booked"])), (_t("ts_part", lang), money(h["ts"]))]
    if np.isfinite(h.get("pipeline", np.nan)):
        tiles += [(_t("pipeline_part", lang), money(h["pipeline"])), (_t("weight", lang), pct(h["blend_weight"], 0))]
    body = "".join(f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div></div>"
                   for k, v in tiles)
    sentence = result._repr_html_()
    return HtmlFragment(f"<style>{TILE_CSS}</style><h2>{e(_t('headline_title', lang))} · {e(result.target_label)}</h2>"
                        f"{sentence}<div class='so-tiles'>{body}</div>")


def _millions(ax: plt.Axes, lang: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1e6:,.1f}"))
    ax.set_ylabel(_t("millions", lang))


def outlook_chart(result: ForecastResult) -> Figure:
    """Monthly actuals, the forecast with its 80 % and 95 % bands, the monthly target and the target period."""
    apply_theme()
    lang, frame = result.lang, result.monthly
    fig, ax = plt.subplots(figsize=(10, 4.2))
    months = pd.to_datetime(frame["month"])
    ahead = frame["forecast"].notna()
    ax.fill_between(months[ahead], frame.loc[ahead, "lo95"], frame.loc[ahead, "hi95"], color=PALETTE[0], alpha=0.12,
                    label=_t("interval95", lang))
    ax.fill_between(months[ahead], frame.loc[ahead, "lo80"], frame.loc[ahead, "hi80"], color=PALETTE[0], alpha=0.25,
                    label=_t("interval80", lang))
    ax.plot(months[~ahead], frame.loc[~ahead, "actual"], color=PALETTE[0], marker="o", markersize=3,
            label=_t("actual", lang))
    ax.plot(months[ahead], frame.loc[ahead, "forecast"], color=PALETTE[1], marker="o", markersize=3, linestyle="--",
            label=_t("forecast", lang))
    if frame["target"].notna().any():
        ax.plot(months, frame["target"], color=PALETTE[7], linestyle=":", label=_t("target", lang))
    first = pd.Timestamp(result.target_months[0])
    last = pd.Timestamp(result.target_months[-1]) + pd.offsets.MonthEnd(0)
    ax.axvspan(first - pd.Timedelta(days=15), last - pd.Timedelta(days=15), color=PALETTE[2], alpha=0.08,
               label=f"{_t('target_quarter', lang)} {result.target_label}")
    _millions(ax, lang)
    ax.set_title(_t("outlook_title", lang))
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    ax.set_xlabel("")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _units_table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    has_target = rows["target"].notna().any()
    table = pd.DataFrame({
        _t("unit", lang): [_t("level_company", lang) if lvl == "company" else name
                           for lvl, name in zip(rows["level"], rows["name"], strict=True)],
        _t("forecast", lang): rows["forecast"].map(money),
        _t("interval80", lang): [f"{money(lo)}–{money(hi)}" for lo, hi in zip(rows["lo80"], rows["hi80"], strict=True)],
    })
    if has_target:
        table[_t("target", lang)] = rows["target"].map(money)
        table[_t("attainment", lang)] = rows["attainment"].map(lambda v: pct(v, 0))
        table[_t("p_hit", lang)] = rows["p_hit"].map(lambda v: pct(v, 0))
    table[_t("method", lang)] = [_label("m", m, lang) for m in rows["method"]]
    return table


def units(result: ForecastResult) -> HtmlFragment:
    """Regions, and the teams least likely to hit their target."""
    lang, frame = result.lang, result.units
    parts = [f"<h2>{e(_t('units_title', lang))}</h2>"]
    top = frame[frame["level"].isin(["company", "region"])]
    parts.append(table_html(_units_table(top, lang), index=False))
    teams = frame[frame["level"] == "team"]
    if not teams.empty:
        order = teams.sort_values("p_hit" if teams["p_hit"].notna().any() else "forecast").head(8)
        parts.append(f"<h3>{e(_t('teams_at_risk', lang))}</h3>" + table_html(_units_table(order, lang), index=False))
    return HtmlFragment("".join(parts))


def regions_chart(result: ForecastResult) -> Figure | HtmlFragment:
    """Projected attainment by region with the 80 % interval and the 100 % line."""
    frame = result.units[result.units["level"] == "region"].copy()
    if frame.empty or not frame["target"].gt(0).any():
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    frame = frame.sort_values("attainment")
    low, high = frame["lo80"] / frame["target"], frame["hi80"] / frame["target"]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(frame) + 1.6))
    y = np.arange(len(frame))
    colors = [PALETTE[3] if p < 0.2 else PALETTE[0] for p in frame["p_hit"]]
    ax.barh(y, frame["attainment"], color=colors, alpha=0.8)
    ax.errorbar(frame["attainment"], y, xerr=[frame["attainment"] - low, high - frame["attainment"]], fmt="none",
                ecolor="#333333", capsize=3)
    ax.axvline(1.0, color=PALETTE[7], linestyle="--")
    for yi, (att, p) in enumerate(zip(frame["attainment"], frame["p_hit"], strict=True)):
        ax.text(float(high.iloc[yi]) + 0.005, yi, f"{att:.0%} · P={p:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, frame["name"])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    lo = min(0.8, float(low.min()) - 0.02)
    ax.set_xlim(lo, max(1.15, float(high.max()) + 0.12))
    ax.set_title(_t("regions_chart", lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


def risks(result: ForecastResult) -> HtmlFragment:
    """Pipeline coverage, slipping deals and declining key accounts."""
    lang = result.lang
    parts = [f"<h2>{e(_t('risks_title', lang))}</h2>"]
    cov = result.coverage[result.coverage["level"].isin(["company", "region"])]
    parts.append(f"<h3>{e(_t('coverage_title', lang))}</h3>")
    if cov.empty:
        parts.append(f"<p>{e(_t('none', lang))}</p>")
    else:
        parts.append(table_html(pd.DataFrame({
            _t("unit", lang): cov["unit"].map(lambda u: _t("level_company", lang) if u == "company" else u),
            _t("open_pipeline", lang): cov["open_pipeline"].map(money),
            _t("remaining_target", lang): cov["remaining_target"].map(money),
            _t("coverage", lang): cov["coverage"].map(lambda v: pct(v, 0)),
            _t("usual_coverage", lang): cov["usual_coverage"].map(lambda v: pct(v, 0)),
            _t("thin", lang): cov["thin"].map(lambda v: _t("yes" if v else "no", lang)),
        }), index=False))
    parts.append(f"<h3>{e(_t('slipping_title', lang))}</h3>")
    slip = result.slipping.head(10)
    if slip.empty:
        parts.append(f"<p>{e(_t('none', lang))}</p>")
    else:
        parts.append(table_html(pd.DataFrame({
            _t("deal", lang): slip["opp_id"], _t("rep", lang): slip["rep_id"], _t("customer", lang): slip["customer_id"],
            _t("stage", lang): slip["stage"], _t("value", lang): slip["value"].map(money),
            _t("expected_close", lang): slip["expected_close"].map(lambda d: "—" if pd.isna(d) else str(d)[:10]),
            _t("age_days", lang): slip["age_days"], _t("slips", lang): slip["slips"],
        }), index=False))
    parts.append(f"<h3>{e(_t('accounts_title', lang))}</h3>")
    acc = result.key_accounts
    if acc.empty:
        parts.append(f"<p>{e(_t('none', lang))}</p>")
    else:
        parts.append(table_html(pd.DataFrame({
            _t("account", lang): acc["name"], _t("owner", lang): acc["owner"],
            _t("value_12m", lang): acc["value_12m"].map(money),
            _t("previous_window", lang): acc["previous_window"].map(money),
            _t("last_window", lang): acc["last_window"].map(money),
            _t("change", lang): acc["change"].map(lambda v: "—" if pd.isna(v) else f"{v:+.0%}"),
            _t("value_at_risk", lang): acc["value_at_risk"].map(money),
        }), index=False))
    return HtmlFragment("".join(parts))


def method(result: ForecastResult) -> HtmlFragment:
    """How the forecast was made, and each candidate model's backtest error at the top levels."""
    lang, model = result.lang, result.model
    items = [_t(f"how_seasonality_{model['seasonality']}", lang), _t(f"how_reconcile_{model['reconciliation']}", lang)]
    if model["pipeline"]:
        items.append(_t("how_blend", lang).format(w=model["blend_weight"], n=model["backtest_origins"]))
    else:
        items.append(_t("how_no_pipeline", lang))
    scores = result.scores.copy()
    methods = [c for c in scores.columns if c not in ("level", "unit")]
    shown = pd.DataFrame({_t("unit", lang): [
        _t("level_company", lang) if u == "company" else u for u in scores["unit"]]})
    for m in methods:
        shown[_label("m", m, lang)] = scores[m].map(number)
    chosen = result.units.set_index(["level", "unit"])["method"]
    shown[_t("chosen", lang)] = [_label("m", chosen.get((lvl, u), ""), lang)
                                 for lvl, u in zip(scores["level"], scores["unit"], strict=True)]
    listing = "".join(f"<li>{e(i)}</li>" for i in items)
    return HtmlFragment(f"<h2>{e(_t('method_title', lang))}</h2><ul>{listing}</ul>"
                        f"<h3>{e(_t('scores_title', lang))}</h3>" + table_html(shown, index=False))


def accuracy(result: ForecastResult) -> HtmlFragment:
    """Backtest accuracy of the period forecast per level and method."""
    lang, frame = result.lang, result.accuracy
    if frame.empty:
        return HtmlFragment("")
    shown = pd.DataFrame({
        _t("level", lang): [_label("level", x, lang) for x in frame["level"]],
        _t("method", lang): [_label("m", x, lang) for x in frame["method"]],
        _t("units_n", lang): frame["units"], _t("origins", lang): frame["origins"],
        _t("mape", lang): frame["mape"].map(lambda v: pct(v, 1)), _t("mase", lang): frame["mase"].map(number),
        _t("bias", lang): frame["bias"].map(signed_pct),
        _t("accuracy", lang): frame["accuracy"].map(lambda v: pct(v, 1)),
        _t("vs_snaive", lang): frame["vs_snaive"].map(number),
    })
    return HtmlFragment(f"<h2>{e(_t('accuracy_title', lang))}</h2>" + table_html(shown, index=False))


def calibration(result: ForecastResult) -> HtmlFragment:
    """Empirical coverage of the 80 % and 95 % bands in the backtest, before and after correction."""
    lang, frame = result.lang, result.calibration
    if frame.empty:
        return HtmlFragment("")
    shown = pd.DataFrame({
        _t("level", lang): [_label("level", x, lang) for x in frame["level"]],
        _t("band", lang): frame["band"].map(lambda v: f"{v:.0%}"),
        _t("coverage_raw", lang): frame["coverage_raw"].map(lambda v: pct(v, 0)),
        _t("factor", lang): frame["factor"].map(number),
        _t("coverage_calibrated", lang): frame["coverage_calibrated"].map(lambda v: pct(v, 0)),
        _t("errors", lang): frame["errors"],
    })
    return HtmlFragment(f"<h2>{e(_t('calibration_title', lang))}</h2>" + table_html(shown, index=False))


_SCOPES = {"month": ("月度公司预测", "the monthly root forecast"), "company": ("公司季度预测", "the company's period total"),
           "region": ("大区季度预测", "the regions' period totals"), "team": ("团队季度预测", "the teams' period totals"),
           "rep": ("销售个人季度预测", "the reps' period totals")}

FINDING_TEXT: dict[str, FindingText] = {
    "outlook": FindingText(
        zh="{where}{quarter} 预计达成目标的 {attainment:.0%}（80% 区间 {low:.0%}–{high:.0%}），达成 100% 的概率为 {p_hit:.0%}；"
           "预测 {value}，目标 {baseline}。",
        en="{where}{quarter} expected at {attainment:.0%} of target (80 % interval {low:.0%}–{high:.0%}), "
           "{p_hit:.0%} chance of hitting it; forecast {value} vs target {baseline}.",
        actions={"close_gap": ("缺口 {at_stake}：优先推进后期阶段商机，逐一确认本期可成交的商机。",
                               "Gap {at_stake}: push late-stage deals and confirm which deals can still close this period."),
                 "keep_pace": ("保持当前节奏，并关注下方风险预警。", "Keep the pace and watch the risk warnings below.")},
    ),
    "outlook_no_target": FindingText(
        zh="{where}{quarter} 预计销售额 {value}（80% 区间 {low:,.0f}–{high:,.0f}）；数据源无目标，无法计算达成率。",
        en="{where}{quarter} expected at {value} (80 % interval {low:,.0f}–{high:,.0f}); the source has no targets.",
    ),
    "unit_at_risk": FindingText(
        zh="{where}{quarter} 预计达成 {attainment:.0%}，达成目标的概率仅 {p_hit:.0%}（预测 {value}，目标 {baseline}）。",
        en="{where}{quarter} expected at {attainment:.0%} of target, only {p_hit:.0%} chance of hitting it "
           "(forecast {value} vs {baseline}).",
        actions={"recovery_plan": ("缺口 {at_stake}：请制定补救计划（加速后期商机、补充新商机）。",
                                   "Gap {at_stake}: agree a recovery plan (accelerate late-stage deals, add new pipeline).")},
    ),
    "thin_pipeline": FindingText(
        zh="{where}在手商机 {value} 仅覆盖剩余目标 {baseline} 的 {coverage:.0%}（通常为 {usual:.0%}）。",
        en="{where}open pipeline {value} covers only {coverage:.0%} of the remaining target {baseline} "
           "(usually {usual:.0%}).",
        actions={"build_pipeline": ("请尽快补充合格商机。", "Build qualified pipeline now.")},
    ),
    "slipping_deals": FindingText(
        zh="{deals} 个在途商机{reason}（金额 {value}，占剩余目标的 {share:.0%}）。",
        en="{deals} open deals slipped more than once: {reason} ({value}, {share:.0%} of the remaining target).",
        words={"reason": {"expected_close": ("的预计成交日期已多次错过", "their expected close passed more than once"),
                          "age": ("已开启超过通常成交周期的两倍", "open more than twice the usual time to win")}},
        actions={"review_slipping": ("请逐一复核：与客户确认成交时间，或关闭商机。",
                                     "Review them one by one: re-date them with the customer or close them.")},
    ),
    "key_account_decline": FindingText(
        zh="重点客户 {account}（负责人 {owner}）{cause_text}，年化风险金额 {at_stake}（近 6 个月 {value}，此前 6 个月 {baseline}）。",
        en="Key account {account} (owner {owner}) {cause_text}; yearly value at risk {at_stake} "
           "(last 6 months {value} vs {baseline}).",
        words={"cause_text": {"decline": ("订货明显下降", "orders fell sharply"),
                              "silence": ("已超过通常间隔三倍未下单", "has not ordered for three times its usual gap")}},
        actions={"account_plan": ("请负责人本月内拜访并制定挽回计划。", "Have the owner visit this month and agree a retention plan.")},
    ),
    "interval_recalibrated": FindingText(
        zh="回测中{scope}的 {band:.0%} 预测区间实际覆盖率为 {raw:.0%}，已按回测误差校准（系数 {factor:.2f}，校准后 {calibrated:.0%}）。",
        en="In the backtest the {band:.0%} band of {scope} covered {raw:.0%} of outcomes; it was recalibrated from the "
           "backtest errors (factor {factor:.2f}, {calibrated:.0%} after).",
        words={"scope": {k: v for k, v in _SCOPES.items()}},
    ),
    "accuracy": FindingText(
        zh="过去 {origins} 个回测起点，期间预测准确度为 {accuracy:.0%}，误差为季节性朴素预测的 {vs_snaive:.0%}。",
        en="Over {origins} backtest origins the period forecast was {accuracy:.0%} accurate, with {vs_snaive:.0%} of "
           "the seasonal-naive error.",
    ),
}
