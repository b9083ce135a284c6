"""Presentation of collections and customer value: sections (HTML fragments), plots and finding words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from salesops_lib.analyses.collections_customers import CollectionsCustomersResult
from salesops_lib.analyses.collections_customers.analysis import OUTLOOK_DAYS
from salesops_lib.analyses.collections_customers.receivables import BUCKETS, DOUBTFUL_DAYS
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_change, format_value
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.theme import PALETTE, apply_theme

LABELS: dict[str, dict[str, str]] = {
    # section titles
    "receivables_title": {"zh": "应收与回款", "en": "Receivables and collections"},
    "trend_title": {"zh": "回款趋势（近13个月）", "en": "Collections over the last 13 months"},
    "slip_title": {"zh": "回款放缓检测（按大区）", "en": "Collections slip test by region"},
    "aging_title": {"zh": "账龄分析", "en": "Aging"},
    "chase_title": {"zh": "优先催收清单", "en": "Overdue invoices to chase first"},
    "credits_title": {"zh": "贷方余额与坏账风险", "en": "Credit balances and doubtful debt"},
    "churn_title": {"zh": "重点客户流失预警", "en": "Key accounts at risk"},
    "customers_title": {"zh": "客户价值", "en": "Customer value"},
    "cohorts_title": {"zh": "获客同期群留存", "en": "Acquisition cohorts: retention"},
    "historical_title": {"zh": "历史客户生命周期价值（首年）", "en": "Historical lifetime value (first year)"},
    "predictive_title": {"zh": "预测客户生命周期价值", "en": "Predictive lifetime value"},
    "calibration_title": {"zh": "模型回测：预测与实际购买次数（按预测十分位）", "en": "Hold-out check: predicted vs actual purchases by decile"},
    # notes
    "definitions_note": {
        "zh": "口径（截至 {as_of}）：回款率 = 当月到期发票金额中当月末前已收回的比例（无到期日按开票日到期，多付不计，红字发票不计）；DSO = 月末应收余额 ÷ 当月开票额 × 当月天数；CEI（回款有效性指数）=（期初应收 + 本期开票 − 期末应收）÷（期初应收 + 本期开票 − 期末未到期应收）× 100，即本月收款 ÷（本月收款 + 月末逾期应收）；逾期占比 = 近 {window} 天到期发票中截至当日仍未回款的金额占比。",
        "en": "Definitions (as of {as_of}): collection rate = of the invoices due in the month, the share of the amount paid by the month end (no due date = due on issue; over-payments and credit notes excluded); DSO = receivables at the month end ÷ invoiced in the month × days in the month; CEI (collection effectiveness index) = (opening receivables + credit sales − closing receivables) ÷ (opening receivables + credit sales − closing current receivables) × 100, i.e. cash collected ÷ (cash collected + past-due receivables at the month end); overdue share = of the invoices due in the last {window} days, the share of the amount still unpaid.",
    },
    "no_receivables": {"zh": "本数据源没有发票或回款表，应收与回款部分略过。",
                       "en": "This source has no invoices or payments, so receivables are left out ({reason})."},
    "slip_note": {
        "zh": "逾期占比与本区自身历史（此前 {history} 个同长度窗口合计）及其他大区（本期合计）分别比较：单侧 z 检验，以客户为聚类的稳健标准误，α = {alpha}，按大区数 Bonferroni 校正；两项均显著且升幅均不低于 {increase:.0%} 时标记为放缓。回款率列为近3个到期月合计与此前12个月合计。",
        "en": "A region's overdue share against its own history (the {history} earlier windows of the same length, pooled) and against the other regions now (pooled): one-sided z-tests with customer-clustered standard errors, α = {alpha}, Bonferroni-corrected over the regions; flagged when both are significant and both rises are at least {increase:.0%}. Collection rates: the last 3 due-months pooled vs the 12 before.",
    },
    "aging_note": {
        "zh": "截至 {as_of} 的未结余额 = 发票金额 − 截至当日回款，红字发票先冲减同一订单的未结发票；多付款与未冲减的红字发票列为客户贷方余额，不计入账龄。逾期天数 = 截至日 − 到期日（无到期日按开票日）。",
        "en": "Open balance at {as_of} = invoice amount − payments received by then; a credit note first reduces the open invoices of its order. Over-payments and unapplied credit notes are the customer's credit balance, kept out of the aging. Days past due = as-of date − due date (no due date = due on issue).",
    },
    "chase_note": {
        "zh": "排序依据：未结金额 × 该账龄段历史上 {days} 天后仍未收回的比例（见下表），即按历史规律预计收不回的金额；逾期超过 {doubtful} 天的发票转入坏账评估，不在此清单。",
        "en": "Ranked by open amount × the share of that aging bucket still unpaid {days} days later in this data (table below): the amount we expect to lose at past rates. Invoices more than {doubtful} days past due go to the write-off review instead.",
    },
    "outlook_caption": {"zh": "各账龄段 {days} 天后仍未收回的比例（历史）", "en": "Share of each bucket still unpaid {days} days later (history)"},
    "doubtful_line": {"zh": "逾期超过 {days} 天：{n} 张发票，合计 {amount}。", "en": "More than {days} days past due: {n} invoices, {amount} in total."},
    "credits_line": {"zh": "贷方余额合计 {amount}（{n} 家客户）。", "en": "Credit balances: {amount} over {n} customers."},
    "no_credits": {"zh": "无贷方余额。", "en": "No credit balances."},
    "churn_note": {
        "zh": "重点客户 = 近12个月订单额前 {top} 名；近6个月订单额较前6个月下降 ≥ {decline:.0%}，或未下单天数超过其常规间隔的3倍，即列入预警。风险金额 = 年化的订单额损失。与销售预测的风险提示共用同一计算。",
        "en": "Key accounts = the top {top} by orders over the last 12 months; at risk when the last 6 months fell by at least {decline:.0%} against the 6 before, or when they have not ordered for over 3 times their usual gap. Value at risk = the lost run-rate over a year. The same computation feeds the forecast's risk warnings.",
    },
    "no_churn": {"zh": "本期没有重点客户出现流失迹象。", "en": "No key account shows signs of churn this period."},
    "customers_note": {
        "zh": "客户价值按订单（无订单表时按赢单商机）计算，毛利 = 收入 − 成本（缺成本时按收入计）。获客 = 首次下单；数据开始后 {warmup} 个月内的首单可能来自老客户，不计入同期群。",
        "en": "Customer value from orders (won deals when the source has no orders); gross profit = revenue − cost (revenue where the cost is missing). Acquisition = the first booking; first bookings in the first {warmup} months of the data may be older customers and start no cohort.",
    },
    "cohorts_note": {"zh": "格中为同期群客户在获客后第 k 个季度（首单月起每3个月）有下单的比例；尚未完整经历的格子留空。",
                     "en": "Each cell: the share of the cohort's customers who booked in quarter k after acquisition (3-month steps from the first-booking month); cells the cohort has not fully lived through are blank."},
    "historical_note": {"zh": "获客后12个月内的毛利与收入（人均），仅含已满12个月的客户；指数 = 该类人均毛利 ÷ 全体人均毛利。",
                        "en": "Gross profit and revenue per customer in the 12 months after acquisition, customers with a full year only; index = the group's gross profit per customer ÷ everyone's."},
    "no_history": {"zh": "数据跨度不足，暂无已满12个月的获客同期群。", "en": "The data do not yet hold a cohort with a full first year."},
    "predictive_note": {
        "zh": "BG/NBD 模型预测购买次数（购买率服从 Gamma 分布、每次购买后以 Beta 分布概率流失），Gamma-Gamma 模型预测单次购买金额，均以最大似然估计；预测毛利 = 预测收入 × 客户历史毛利率。回测：用截至 {cutoff} 的数据拟合，预测其后 {months} 个月每位客户的购买次数，与实际比较。",
        "en": "BG/NBD predicts purchases (Gamma-distributed purchase rates, a Beta-distributed chance of dropping out after each purchase) and Gamma-Gamma the value per purchase, both by maximum likelihood; predicted gross profit = predicted revenue × the customer's margin to date. Hold-out check: fitted on the data up to {cutoff}, it predicts every customer's purchases in the {months} months after, compared with what they did.",
    },
    "calibration_summary": {"zh": "回测合计：预测 {predicted:,.0f} 次，实际 {actual:,.0f} 次，预测 ÷ 实际 = {ratio:.2f}；金额预测 ÷ 实际 = {revenue_ratio:.2f}。",
                            "en": "Hold-out total: {predicted:,.0f} purchases predicted, {actual:,.0f} made, predicted ÷ actual = {ratio:.2f}; for revenue {revenue_ratio:.2f}."},
    "no_prediction": {"zh": "客户数或复购客户不足，未拟合预测模型。", "en": "Too few customers (or repeat buyers) to fit the predictive model."},
    "model_failed": {"zh": "预测模型拟合失败，已略过。", "en": "The predictive model could not be fitted and is left out."},
    "model_params": {"zh": "模型参数：r = {r:.3g}，α = {alpha:.3g}，a = {a:.3g}，b = {b:.3g}；p = {p:.3g}，q = {q:.3g}，γ = {gamma:.3g}。",
                     "en": "Parameters: r = {r:.3g}, α = {alpha:.3g}, a = {a:.3g}, b = {b:.3g}; p = {p:.3g}, q = {q:.3g}, γ = {gamma:.3g}."},
    # tiles
    "cei": {"zh": "回款有效性指数", "en": "Collection effectiveness"},
    "overdue_share": {"zh": "近期到期逾期占比", "en": "Overdue share (recent dues)"},
    "open": {"zh": "应收余额", "en": "Open receivables"},
    "overdue": {"zh": "逾期应收", "en": "Past due"},
    "overdue_of_open": {"zh": "逾期金额占比", "en": "Past-due share"},
    "90+": {"zh": "逾期90天以上", "en": "Over 90 days"},
    "credit": {"zh": "客户贷方余额", "en": "Credit balances"},
    "customers": {"zh": "有交易客户数", "en": "Customers with bookings"},
    "top20_share": {"zh": "前20%客户收入占比", "en": "Revenue share of the top 20 %"},
    "predicted_gp": {"zh": "预测未来{months}个月毛利", "en": "Predicted gross profit, next {months} months"},
    "holdout_ratio": {"zh": "回测 预测÷实际", "en": "Hold-out predicted ÷ actual"},
    # columns
    "unit": {"zh": "单元", "en": "Unit"},
    "region": {"zh": "大区", "en": "Region"},
    "team": {"zh": "团队", "en": "Team"},
    "rep": {"zh": "销售", "en": "Rep"},
    "customer": {"zh": "客户", "en": "Customer"},
    "company": {"zh": "公司", "en": "Company"},
    "invoices": {"zh": "发票数", "en": "Invoices"},
    "share": {"zh": "逾期占比", "en": "Overdue share"},
    "history_share": {"zh": "本区历史", "en": "Own history"},
    "peer_share": {"zh": "其他大区", "en": "Other regions"},
    "z_history": {"zh": "z（对历史）", "en": "z vs history"},
    "z_peers": {"zh": "z（对其他大区）", "en": "z vs peers"},
    "rate_recent": {"zh": "回款率 近3月", "en": "Collection rate, last 3 months"},
    "rate_previous": {"zh": "回款率 前12月", "en": "Collection rate, 12 before"},
    "slipping": {"zh": "放缓", "en": "Slipping"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "invoice": {"zh": "发票", "en": "Invoice"},
    "owner": {"zh": "负责人", "en": "Owner"},
    "due": {"zh": "到期日", "en": "Due"},
    "days_past_due": {"zh": "逾期天数", "en": "Days past due"},
    "bucket": {"zh": "账龄段", "en": "Bucket"},
    "still_open": {"zh": "历史未收回比例", "en": "Still unpaid later"},
    "expected_unpaid": {"zh": "预计收不回", "en": "Expected unpaid"},
    "overpaid": {"zh": "多付款", "en": "Over-paid"},
    "unapplied_credit_notes": {"zh": "未冲减红字发票", "en": "Unapplied credit notes"},
    "value_12m": {"zh": "近12月订单额", "en": "Orders, last 12 months"},
    "previous_window": {"zh": "前6个月", "en": "6 months before"},
    "last_window": {"zh": "近6个月", "en": "Last 6 months"},
    "change": {"zh": "变化", "en": "Change"},
    "days_since_last": {"zh": "距上次下单天数", "en": "Days since last order"},
    "value_at_risk": {"zh": "年化风险金额", "en": "Value at risk (a year)"},
    "reason": {"zh": "原因", "en": "Reason"},
    "decline": {"zh": "订单下滑", "en": "declining"},
    "silence": {"zh": "长期未下单", "en": "silent"},
    "segment": {"zh": "客户规模", "en": "Segment"},
    "industry": {"zh": "行业", "en": "Industry"},
    "channel": {"zh": "获客渠道", "en": "Acquisition channel"},
    "revenue_12m": {"zh": "近12月收入", "en": "Revenue, 12 months"},
    "gross_profit_12m": {"zh": "近12月毛利", "en": "Gross profit, 12 months"},
    "margin_12m": {"zh": "毛利率", "en": "Margin"},
    "bookings": {"zh": "订单数", "en": "Bookings"},
    "won_deals": {"zh": "赢单数", "en": "Won deals"},
    "first_at": {"zh": "首单日", "en": "First booking"},
    "revenue_per_customer": {"zh": "人均收入", "en": "Revenue per customer"},
    "ltv": {"zh": "人均毛利", "en": "Gross profit per customer"},
    "repeat_rate": {"zh": "复购率", "en": "Repeat rate"},
    "index": {"zh": "指数", "en": "Index"},
    "cohort": {"zh": "获客季度", "en": "Cohort"},
    "cohort_size": {"zh": "客户数", "en": "Customers"},
    "quarter_k": {"zh": "获客后第k季度", "en": "Quarter k after acquisition"},
    "decile": {"zh": "预测十分位", "en": "Decile of prediction"},
    "predicted": {"zh": "预测（人均）", "en": "Predicted (per customer)"},
    "actual": {"zh": "实际（人均）", "en": "Actual (per customer)"},
    "ratio": {"zh": "预测÷实际", "en": "Predicted ÷ actual"},
    "predicted_revenue": {"zh": "预测金额（人均）", "en": "Predicted revenue (per customer)"},
    "actual_revenue": {"zh": "实际金额（人均）", "en": "Actual revenue (per customer)"},
    "revenue_ratio": {"zh": "金额 预测÷实际", "en": "Revenue predicted ÷ actual"},
    "purchases": {"zh": "历史购买次数", "en": "Purchases so far"},
    "p_alive": {"zh": "活跃概率", "en": "P(active)"},
    "predicted_purchases": {"zh": "预测购买次数", "en": "Predicted purchases"},
    "predicted_value": {"zh": "预测单次金额", "en": "Predicted value per purchase"},
    "predicted_gp_col": {"zh": "预测毛利", "en": "Predicted gross profit"},
    "per_customer": {"zh": "人均预测毛利", "en": "Predicted gross profit per customer"},
    "top_predicted": {"zh": "预测毛利最高的客户", "en": "Customers with the most predicted gross profit"},
    "gp_share": {"zh": "占比", "en": "Share"},
    "acquisition_year": {"zh": "获客年份", "en": "Acquisition year"},
    "gp_to_date": {"zh": "至今人均毛利", "en": "Gross profit to date per customer"},
    # plots
    "month_axis": {"zh": "月份", "en": "Month"},
    "amount_axis": {"zh": "金额", "en": "Amount"},
    "purchases_axis": {"zh": "人均购买次数", "en": "Purchases per customer"},
}

Formatter = Callable[[object], str]


def _money(v: object) -> str:
    return format_value(_f(v), "currency")


def _ratio(v: object) -> str:
    return format_value(_f(v), "ratio")


def _days(v: object) -> str:
    return format_value(_f(v), "days")


def _two(v: object) -> str:
    value = _f(v)
    return "—" if value is None or np.isnan(value) else f"{value:,.2f}"


def _int(v: object) -> str:
    value = _f(v)
    return "—" if value is None or np.isnan(value) else f"{value:,.0f}"


def _text(v: object) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _date(v: object) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def _f(v: object) -> float | None:
    if v is None:
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _l(key: str, lang: str) -> str:
    return t(key, lang, labels=LABELS)


def _h2(key: str, lang: str) -> str:
    return f"<h2>{e(_l(key, lang))}</h2>"


def _note(text: str) -> str:
    return f"<p class='so-note' style='color:#51606f;font-size:13px'>{e(text)}</p>"


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Formatter]], lang: str) -> str:
    """``frame``'s ``columns`` (name → label key or ready label, formatter), labelled in ``lang``, as an
    escaped table."""
    shown = pd.DataFrame({(_l(label, lang) if label in LABELS else label): [fmt(v) for v in frame[name]]
                          for name, (label, fmt) in columns.items() if name in frame})
    return table_html(shown, index=False)


def _bucket_label(bucket: str, lang: str) -> str:
    if bucket == "current":
        return "未到期" if lang == "zh" else "Not yet due"
    if bucket == "90+":
        return "逾期90天以上" if lang == "zh" else "> 90 days"
    return f"逾期{bucket.replace('-', '–')}天" if lang == "zh" else f"{bucket.replace('-', '–')} days"


# --------------------------------------------------------------------------- receivables


def receivables_tiles(result: CollectionsCustomersResult) -> HtmlFragment:
    """Section heading, definitions and the month's receivable tiles (or why there are none)."""
    lang = result.lang
    head = _h2("receivables_title", lang)
    if result.receivables is None:
        return HtmlFragment(head + _note(_l("no_receivables", lang).format(reason=result.receivables_note)))
    parts = []
    for row in result.receivables.tiles.itertuples():
        label = METRICS[row.key].label(lang) if row.key in METRICS else _l(row.key, lang)
        value = (f"{row.value:.1f}" if row.unit == "index" and row.value == row.value
                 else format_value(row.value, "currency" if row.unit == "currency" else row.unit))
        deltas = []
        for key, change in (("vs_prev", row.change_prev), ("vs_yoy", row.change_yoy)):
            if change != change:  # NaN: no comparison for this figure
                continue
            css = "" if row.higher_is_better is None else (
                "so-good" if (change >= 0) == bool(row.higher_is_better) else "so-bad")
            deltas.append(f"<span class='{css}'>{e(t(key, lang))} {e(format_change(change))}</span>")
        parts.append(f"<div class='so-tile'><div class='so-label'>{e(label)}</div>"
                     f"<div class='so-value'>{e(value)}</div><div class='so-delta'>{' · '.join(deltas)}</div></div>")
    tiles = f"<style>{TILE_CSS}</style><div class='so-tiles'>{''.join(parts)}</div>"
    note = _l("definitions_note", lang).format(as_of=result.as_of.isoformat(), window=_window_days(result))
    return HtmlFragment(head + tiles + _note(note))


def _window_days(result: CollectionsCustomersResult) -> int:
    slip = [f for f in result.findings if f.kind == "collections_slip"]
    return int(slip[0].facts["window_days"]) if slip else 91


def trend_heading(result: CollectionsCustomersResult) -> HtmlFragment:
    if result.receivables is None:
        return HtmlFragment("")
    return HtmlFragment(_h2("trend_title", result.lang))


def collections_trend(result: CollectionsCustomersResult) -> Figure | HtmlFragment:
    """Collection rate and overdue share by region; DSO and CEI of the company (or region in scope)."""
    if result.receivables is None:
        return HtmlFragment("")
    apply_theme()
    lang, trend = result.lang, result.receivables.trend
    slipping = set(result.receivables.slip.loc[result.receivables.slip["slipping"], "unit"])
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.4), squeeze=False)
    panels = [("collection_rate", METRICS["collection_rate"].label(lang), True),
              ("overdue_share", _l("overdue_share", lang), True),
              ("dso", METRICS["dso"].label(lang), False), ("cei", _l("cei", lang), False)]
    for ax, (column, title, by_region) in zip(axes.flat, panels, strict=True):
        units = sorted(u for u in trend["unit"].unique() if u != "company") if by_region else []
        units = units or ["company"]
        for i, unit in enumerate(units):
            series = trend[trend["unit"] == unit].set_index("period")[column].dropna()
            alert = unit in slipping
            colour = "#c8423b" if alert else (PALETTE[0] if unit == "company" else PALETTE[1:][i % 7])
            label = (result.region or _l("company", lang)) if unit == "company" else unit
            ax.plot(series.index, series.to_numpy(), marker="o", markersize=3, color=colour,
                    linewidth=2.4 if alert else 1.3, label=label, alpha=1.0 if alert or unit == "company" else 0.75)
        ax.set_title(title, fontsize=11)
        if column in ("collection_rate", "overdue_share"):
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.set_xlabel("")
        if by_region and len(units) > 1:
            ax.legend(fontsize=8, ncol=3, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def slip_section(result: CollectionsCustomersResult, *, history: int, alpha: float, min_increase: float) -> HtmlFragment:
    """The collections-slip test per region, with the collection rates behind it."""
    if result.receivables is None or result.receivables.slip.empty:
        return HtmlFragment("")
    lang = result.lang
    slip = result.receivables.slip.merge(result.receivables.collection_by_region[["unit", "recent", "previous"]],
                                         on="unit", how="left")
    slip = slip.assign(flag=[_l("yes" if s else "no", lang) for s in slip["slipping"]])
    columns = {"unit": ("region", _text), "share": ("share", _ratio), "history_share": ("history_share", _ratio),
               "peer_share": ("peer_share", _ratio), "z_history": ("z_history", _two), "z_peers": ("z_peers", _two),
               "recent": ("rate_recent", _ratio), "previous": ("rate_previous", _ratio), "flag": ("slipping", _text)}
    note = _l("slip_note", lang).format(history=history, alpha=alpha, increase=min_increase)
    return HtmlFragment(_h2("slip_title", lang) + _note(note) + _table(slip, columns, lang))


def aging_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """Aging by region, team and the customers with most overdue."""
    if result.receivables is None:
        return HtmlFragment("")
    lang = result.lang
    buckets = {b: (_bucket_label(b, lang), _money) for b in BUCKETS}
    parts = [_h2("aging_title", lang), _note(_l("aging_note", lang).format(as_of=result.as_of.isoformat()))]
    for level, top in (("region", None), ("team", None), ("rep", 10), ("customer", 10)):
        frame = result.receivables.aging[level]
        if frame.empty:
            continue
        frame = frame.head(top) if top else frame
        name = "name" if "name" in frame else "unit"
        columns = {name: (level, _text), **buckets, "open": ("open", _money), "overdue": ("overdue", _money),
                   "overdue_share": ("overdue_of_open", _ratio), "invoices": ("invoices", _int)}
        parts.append(f"<h3>{e(_l(level, lang))}</h3>" + _table(frame, columns, lang))
    return HtmlFragment("".join(parts))


def aging_chart(result: CollectionsCustomersResult) -> Figure | HtmlFragment:
    """Open receivables by region, stacked by aging bucket."""
    if result.receivables is None or result.receivables.aging["region"].empty:
        return HtmlFragment("")
    apply_theme()
    lang = result.lang
    frame = result.receivables.aging["region"].set_index("unit")[list(BUCKETS)]
    colours = ["#9bb7d9", "#f2c48d", "#e89a5c", "#d8664a", "#a8322c"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    left = np.zeros(len(frame))
    for bucket, colour in zip(BUCKETS, colours, strict=True):
        ax.barh(frame.index, frame[bucket], left=left, color=colour, label=_bucket_label(bucket, lang))
        left += frame[bucket].to_numpy()
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_value(v, "currency")))
    ax.set_xlabel(_l("amount_axis", lang))
    ax.set_title(_l("aging_title", lang), fontsize=11)
    ax.legend(fontsize=8, ncol=5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    plt.close(fig)
    return fig


def chase_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """The chase list and the bucket outlook that weights it."""
    if result.receivables is None:
        return HtmlFragment("")
    lang = result.lang
    chase = result.receivables.chase.assign(
        bucket=lambda f: [_bucket_label(str(b), lang) for b in f["bucket"]])
    columns = {"invoice_id": ("invoice", _text), "customer": ("customer", _text), "owner_name": ("owner", _text),
               "region": ("region", _text), "due": ("due", _date), "days_past_due": ("days_past_due", _int),
               "bucket": ("bucket", _text), "open": ("open", _money), "still_open": ("still_open", _ratio),
               "expected_unpaid": ("expected_unpaid", _money)}
    outlook = result.receivables.outlook.assign(bucket=lambda f: [_bucket_label(str(b), lang) for b in f["bucket"]])
    caption = f"<h3>{e(_l('outlook_caption', lang).format(days=OUTLOOK_DAYS))}</h3>"
    note = _l("chase_note", lang).format(days=OUTLOOK_DAYS, doubtful=DOUBTFUL_DAYS)
    return HtmlFragment(_h2("chase_title", lang) + _note(note) + _table(chase, columns, lang) + caption
                        + _table(outlook, {"bucket": ("bucket", _text), "still_open": ("still_open", _ratio)}, lang))


def credits_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """Doubtful debt and the customers with a credit balance."""
    if result.receivables is None:
        return HtmlFragment("")
    lang, receivables = result.lang, result.receivables
    lines = [_l("doubtful_line", lang).format(days=DOUBTFUL_DAYS, n=receivables.doubtful_invoices,
                                              amount=_money(receivables.doubtful))]
    if receivables.credits.empty:
        lines.append(_l("no_credits", lang))
        table = ""
    else:
        lines.append(_l("credits_line", lang).format(amount=_money(receivables.credit_total),
                                                     n=len(receivables.credits)))
        columns = {"customer": ("customer", _text), "overpaid": ("overpaid", _money),
                   "unapplied_credit_notes": ("unapplied_credit_notes", _money), "credit": ("credit", _money)}
        table = _table(receivables.credits.head(10), columns, lang)
    return HtmlFragment(_h2("credits_title", lang) + "".join(f"<p>{e(x)}</p>" for x in lines) + table)


# --------------------------------------------------------------------------- key accounts


def churn_section(result: CollectionsCustomersResult, *, top: int, decline: float) -> HtmlFragment:
    """Key accounts at risk, most value at risk first."""
    lang = result.lang
    head = _h2("churn_title", lang) + _note(_l("churn_note", lang).format(top=top, decline=decline))
    if result.churn.empty:
        return HtmlFragment(head + f"<p>{e(_l('no_churn', lang))}</p>")
    churn = result.churn.assign(reason=lambda f: [_l(str(r), lang) for r in f["reason"]])
    columns = {"name": ("customer", _text), "owner_name": ("owner", _text), "owner_region": ("region", _text),
               "value_12m": ("value_12m", _money), "previous_window": ("previous_window", _money),
               "last_window": ("last_window", _money), "change": ("change", format_change),
               "days_since_last": ("days_since_last", _int), "value_at_risk": ("value_at_risk", _money),
               "reason": ("reason", _text)}
    return HtmlFragment(head + _table(churn, columns, lang))


# --------------------------------------------------------------------------- customers


def customers_tiles(result: CollectionsCustomersResult, *, warmup: int) -> HtmlFragment:
    """Customer headline figures and the top customers of the last 12 months."""
    lang, cv = result.lang, result.customers
    top20 = cv.concentration.set_index("tier")["share"].get(0.20, np.nan) if not cv.concentration.empty else np.nan
    tiles = [(_l("customers", lang), f"{cv.customers:,}"), (_l("top20_share", lang), _ratio(top20))]
    if cv.prediction is not None:
        tiles.append((_l("predicted_gp", lang).format(months=cv.prediction.horizon_months),
                      _money(cv.prediction.total_gp)))
        tiles.append((_l("holdout_ratio", lang), _two(cv.prediction.holdout["ratio"])))
    html = "".join(f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div></div>"
                   for k, v in tiles)
    columns = {"name": ("customer", _text), "segment": ("segment", _text), "industry": ("industry", _text),
               "owner_name": ("owner", _text), "first_at": ("first_at", _date), "bookings": ("bookings", _int),
               "revenue_12m": ("revenue_12m", _money), "gross_profit_12m": ("gross_profit_12m", _money),
               "margin_12m": ("margin_12m", _ratio)}
    return HtmlFragment(_h2("customers_title", lang) + f"<style>{TILE_CSS}</style><div class='so-tiles'>{html}</div>"
                        + _note(_l("customers_note", lang).format(warmup=warmup)) + _table(cv.top, columns, lang))


def cohorts_heading(result: CollectionsCustomersResult) -> HtmlFragment:
    lang = result.lang
    return HtmlFragment(_h2("cohorts_title", lang) + _note(_l("cohorts_note", lang)))


def cohort_heatmap(result: CollectionsCustomersResult) -> Figure | HtmlFragment:
    """Retention by acquisition cohort × quarter since acquisition (k ≥ 1)."""
    cohorts = result.customers.cohorts
    cohorts = cohorts[cohorts["k"] >= 1] if not cohorts.empty else cohorts
    if cohorts.empty:
        return HtmlFragment(f"<p>{e(_l('no_history', result.lang))}</p>")
    apply_theme()
    import seaborn as sns

    lang = result.lang
    grid = cohorts.pivot(index="cohort", columns="k", values="retention")
    sizes = result.customers.cohorts.groupby("cohort")["customers"].first()
    grid.index = [f"{c.year}Q{(c.month - 1) // 3 + 1} ({int(sizes.get(c, 0))})" for c in grid.index]
    fig, ax = plt.subplots(figsize=(min(12, 2 + 0.9 * grid.shape[1]), 0.45 * len(grid) + 1.6))
    sns.heatmap(grid, annot=True, fmt=".0%", cmap="Blues", cbar=False, ax=ax, annot_kws={"fontsize": 8},
                vmin=0.0, vmax=max(0.5, float(np.nanmax(grid.to_numpy()))), linewidths=0.5, linecolor="white")
    ax.grid(False)
    ax.set_xlabel(_l("quarter_k", lang))
    ax.set_ylabel(f"{_l('cohort', lang)}（{_l('cohort_size', lang)}）" if lang == "zh"
                  else f"{_l('cohort', lang)} ({_l('cohort_size', lang)})")
    fig.tight_layout()
    plt.close(fig)
    return fig


def historical_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """First-year value by segment, industry and channel, and gross profit to date by acquisition year."""
    lang, cv = result.lang, result.customers
    parts = [_h2("historical_title", lang), _note(_l("historical_note", lang))]
    if all(frame.empty for frame in cv.historical.values()):
        parts.append(f"<p>{e(_l('no_history', lang))}</p>")
    for dimension, frame in cv.historical.items():
        if frame.empty:
            continue
        columns = {dimension: (dimension, _text), "customers": ("cohort_size", _int),
                   "revenue_per_customer": ("revenue_per_customer", _money), "ltv": ("ltv", _money),
                   "repeat_rate": ("repeat_rate", _ratio), "index": ("index", _two)}
        parts.append(f"<h3>{e(_l(dimension, lang))}</h3>" + _table(frame, columns, lang))
    if not cv.ltv_by_year.empty:
        years = cv.ltv_by_year.assign(period=lambda f: [str(pd.Timestamp(p).year) for p in f["period"]])
        columns = {"period": ("acquisition_year", _text), "customers": ("cohort_size", _int),
                   "ltv": ("gp_to_date", _money)}
        parts.append(f"<h3>{e(METRICS['customer_ltv'].label(lang))}</h3>" + _table(years, columns, lang))
    return HtmlFragment("".join(parts))


def predictive_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """Predictive LTV: the method and the hold-out check by decile."""
    lang, prediction = result.lang, result.customers.prediction
    head = _h2("predictive_title", lang)
    if prediction is None:
        key = "model_failed" if result.customers.prediction_note == "model_failed" else "no_prediction"
        return HtmlFragment(head + f"<p>{e(_l(key, lang))}</p>")
    holdout = prediction.holdout
    months = int(round((pd.Timestamp(str(holdout["end"])) - pd.Timestamp(str(holdout["cutoff"]))).days / 30.44))
    bg, gg = prediction.purchase_model, prediction.spend_model
    parts = [head, _note(_l("predictive_note", lang).format(cutoff=holdout["cutoff"], months=months)),
             _note(_l("model_params", lang).format(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, p=gg.p, q=gg.q,
                                                    gamma=gg.gamma)),
             f"<h3>{e(_l('calibration_title', lang))}</h3>",
             f"<p>{e(_l('calibration_summary', lang).format(**{k: float(holdout[k]) for k in ('predicted', 'actual', 'ratio', 'revenue_ratio')}))}</p>",
             _table(prediction.calibration, {
                 "decile": ("decile", _int), "customers": ("cohort_size", _int), "predicted": ("predicted", _two),
                 "actual": ("actual", _two), "ratio": ("ratio", _two), "predicted_revenue": ("predicted_revenue", _money),
                 "actual_revenue": ("actual_revenue", _money), "revenue_ratio": ("revenue_ratio", _two)}, lang)]
    return HtmlFragment("".join(parts))


def forecast_section(result: CollectionsCustomersResult) -> HtmlFragment:
    """Predicted gross profit over the horizon by segment, industry and channel, and the top customers."""
    lang, prediction = result.lang, result.customers.prediction
    if prediction is None:
        return HtmlFragment("")
    parts = [f"<h3>{e(_l('predicted_gp', lang).format(months=prediction.horizon_months))}</h3>"]
    for dimension, frame in prediction.by_dimension.items():
        columns = {dimension: (dimension, _text), "customers": ("cohort_size", _int),
                   "predicted_gp": ("predicted_gp_col", _money), "per_customer": ("per_customer", _money),
                   "share": ("gp_share", _ratio)}
        parts.append(f"<h4>{e(_l(dimension, lang))}</h4>" + _table(frame, columns, lang))
    columns = {"name": ("customer", _text), "segment": ("segment", _text), "purchases": ("purchases", _int),
               "p_alive": ("p_alive", _ratio), "predicted_purchases": ("predicted_purchases", _two),
               "predicted_value": ("predicted_value", _money), "predicted_gp": ("predicted_gp_col", _money)}
    parts.append(f"<h4>{e(_l('top_predicted', lang))}</h4>" + _table(prediction.top, columns, lang))
    return HtmlFragment("".join(parts))


def calibration_plot(result: CollectionsCustomersResult) -> Figure | HtmlFragment:
    """Predicted vs actual purchases per customer in the hold-out window, by decile of the prediction."""
    prediction = result.customers.prediction
    if prediction is None:
        return HtmlFragment("")
    apply_theme()
    lang, table = result.lang, prediction.calibration
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = table["decile"].to_numpy()
    ax.bar(x - 0.2, table["predicted"], width=0.4, color=PALETTE[0], label=_l("predicted", lang))
    ax.bar(x + 0.2, table["actual"], width=0.4, color=PALETTE[1], label=_l("actual", lang))
    ax.set_xticks(x)
    ax.set_xlabel(_l("decile", lang))
    ax.set_ylabel(_l("purchases_axis", lang))
    ax.set_title(_l("calibration_title", lang), fontsize=11)
    ax.legend(fontsize=9, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


FINDING_TEXT: dict[str, FindingText] = {
    "collections_slip": FindingText(
        zh="{where}回款放缓：近 {window_days} 天到期的发票中 {share:.1%} 仍未回款，本区历史为 {history_share:.1%}，"
           "其他大区为 {peer_share:.1%}；回款率由 {baseline} 降至 {value}，超出常态的未回款约 {at_stake}。",
        en="{where}collections slipped: {share:.1%} of the invoices due in the last {window_days} days are unpaid, "
           "against {history_share:.1%} in its own history and {peer_share:.1%} in the other regions; the collection "
           "rate fell from {baseline} to {value}, about {at_stake} more unpaid than usual.",
        actions={"chase_region": ("建议大区经理逐一跟进近3个月到期未付的客户，并复核信用政策。",
                                  "Have the regional manager call every customer with invoices due in the last 3 "
                                  "months still unpaid, and review their credit terms.")},
    ),
    "key_account_churn": FindingText(
        zh="重点客户{name}（负责人 {owner}）{reason}：近6个月订单额 {value}，前6个月 {baseline}（{direction}{change}），"
           "年化风险金额 {at_stake}。",
        en="Key account {name} (owner {owner}) is {reason}: {value} ordered in the last 6 months against {baseline} "
           "in the 6 before ({direction} {change}); {at_stake} a year at risk.",
        words={"reason": {"decline": ("订单持续下滑", "declining"), "silence": ("长时间未下单", "silent")}},
        actions={"account_review": ("建议负责人本周拜访客户、了解原因并制定挽留方案。",
                                    "The owner should visit the account this week, find the cause and agree a "
                                    "retention plan.")},
    ),
    "overdue_chase": FindingText(
        zh="优先催收：{invoices} 张逾期发票共 {open:,.0f} 未回款，按历史回款规律预计半年后仍有约 {at_stake} 收不回；"
           "排在首位的是{customer}（负责人 {owner}，{first_open:,.0f}，逾期 {first_days} 天）。",
        en="Chase first: {invoices} overdue invoices with {open:,.0f} open, of which about {at_stake} would still be "
           "unpaid in six months at past rates; top of the list is {customer} (owner {owner}, {first_open:,.0f}, "
           "{first_days} days past due).",
        actions={"chase_first": ("请按优先催收清单的顺序安排跟进。", "Work the chase list in order.")},
    ),
    "doubtful_debt": FindingText(
        zh="{invoices} 张发票逾期超过一年，合计 {amount:,.0f}。",
        en="{invoices} invoices are more than a year past due, {amount:,.0f} in total.",
        actions={"write_off_review": ("建议财务评估计提坏账或启动法律催收。",
                                      "Have finance review them for a bad-debt provision or legal collection.")},
    ),
    "credit_balances": FindingText(
        zh="{customers} 家客户有贷方余额（多付款或未冲减的红字发票），合计 {amount:,.0f}。",
        en="{customers} customers hold credit balances (over-payments or unapplied credit notes) of {amount:,.0f}.",
        actions={"refund_or_apply": ("请与客户确认退款或冲抵后续发票。",
                                     "Agree with each customer to refund it or apply it to their next invoices.")},
    ),
    "ltv_calibration": FindingText(
        zh="预测模型回测：最近 {months} 个月预测的购买次数为实际的 {ratio:.0%}（预测最低十分位 {low_decile:.0%}，"
           "最高十分位 {high_decile:.0%}）。",
        en="Predictive LTV hold-out check: over the last {months} months the model predicted {ratio:.0%} of the "
           "purchases customers actually made (lowest decile {low_decile:.0%}, highest {high_decile:.0%}).",
        actions={"read_as_range": ("模型在本数据上存在系统偏差，预测值请作为区间参考。",
                                   "The model is biased on these data: read its figures as a range, not a point.")},
    ),
    "ltv_outlook": FindingText(
        zh="现有客户未来 {months} 个月预计贡献毛利 {total:,.0f}；{segment} 客户人均 {per_customer:,.0f}，"
           "为平均水平的 {index:.1f} 倍。",
        en="Current customers are expected to yield {total:,.0f} gross profit over the next {months} months; "
           "{segment} customers {per_customer:,.0f} each, {index:.1f}× the average.",
        actions={"protect_best_segment": ("建议优先把客户经营资源投向这类客户。",
                                          "Put account-management effort first where this value sits.")},
    ),
}
