"""Words of the funnel diagnosis page: zh/en labels, data codes (stages, channels, loss reasons),
number formats, small HTML helpers and the findings' templates (:data:`FINDING_TEXT`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel import FunnelResult
from salesops_lib.analyses.funnel.bridge import LEAD_RATE, SIZE, TIMING, VOLUME_DEALS, VOLUME_LEADS
from salesops_lib.analyses.funnel.facts import NONE
from salesops_lib.analyses.funnel.stages import LEADS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.findings_text import FindingText
from salesops_lib.report.html import e, table_html
from salesops_lib.report.i18n import t

LABELS: dict[str, dict[str, str]] = {
    # section titles
    "funnel_title": {"zh": "销售漏斗", "en": "Sales funnel"},
    "losses_title": {"zh": "价值在哪里流失", "en": "Where value is lost"},
    "durations_title": {"zh": "阶段停留时长与停滞商机", "en": "Stage durations and stalled deals"},
    "cohorts_title": {"zh": "按创建月份的同期群漏斗", "en": "Cohort funnels by creation month"},
    "segments_title": {"zh": "分群对比", "en": "Segments compared"},
    "changes_title": {"zh": "本月与基准对比：转化率变化及原因", "en": "This month against its baseline: what changed and why"},
    "bridge_title": {"zh": "赢单金额变化桥", "en": "Won-value bridge"},
    "process_title": {"zh": "流程变更效果", "en": "Process change impact"},
    # notes
    "funnel_note": {
        "zh": "口径：{window}创建的商机{leads}。每个阶段的转化率 = 推进到下一阶段的商机 ÷（推进 + 在该阶段流失），仍停留在该阶段的在途商机不计入分母，因此新近商机不会被误判为流失；累计转化率为各阶段转化率之积。区间为 Wilson 95% 置信区间。",
        "en": "Deals created {window}{leads}. A stage's conversion = deals that moved on ÷ (moved on + lost at that stage); deals still open in the stage are not counted as losses, so young deals do not look lost. The cumulative conversion is the product of the stage conversions. Intervals: Wilson 95 %.",
    },
    "funnel_leads_note": {"zh": "；线索行为同期创建的线索中已转为商机的比例", "en": "; the leads row is the share of the window's leads that became a deal"},
    "window_all": {"zh": "全部历史中", "en": "over the whole history"},
    "window_from": {"zh": "{start} 至 {end} 期间", "en": "from {start} to {end}"},
    "undated_note": {"zh": "另有 {n} 个商机没有任何日期，仅计入全历史漏斗。", "en": "{n} deals carry no date at all and count only in a whole-history funnel."},
    "losses_note": {
        "zh": "期望流失价值 = 在该阶段流失的商机数 × 其后各阶段转化率之积 × 平均赢单金额，即这些商机若继续推进本可带来的赢单金额；据此排序找出瓶颈阶段。可挽回价值 = 该单元若按其余单元的转化率推进可多赢的金额（小样本已收缩，不参与排序）。",
        "en": "Expected value lost = deals lost at the stage × the product of the later stages' conversions × the average won deal: what they would have been worth had they moved on; it ranks the bottleneck. Recoverable value = what a unit would win more converting like the rest (small units are shrunk and not ranked).",
    },
    "durations_note": {
        "zh": "已完成停留（进入该阶段到进入下一阶段或流失）的天数，统计窗口内结束的停留。停滞 = 在途商机在当前阶段已停留超过本单元该阶段的第 80 百分位天数（样本不足时用公司值）。",
        "en": "Days of completed stays (entry to the next stage or loss) that ended in the window. Stalled = an open deal in its stage for longer than its unit's 80th percentile for that stage (the company's when the unit has too few stays).",
    },
    "cohorts_note": {
        "zh": "右删失处理：近几个月创建的商机大多仍在途，按截至今日的赢单率比较会把“还没来得及成交”误当作“更差”。因此各同期群在相同账龄下比较：{h} 天内赢单占比，用 Aalen–Johansen 估计（流失为竞争结局，在途商机在其当前账龄删失）。“已观测”= 同期群全部商机账龄已超过 {h} 天；“估计”= 部分商机账龄不足，由已足龄的商机估计；“过新”= 尚无商机达到 {h} 天，不作比较。",
        "en": "Right-censoring: most deals created in recent months are still open, so a to-date win rate would mistake 'not yet closed' for 'worse'. Cohorts are compared at the same age: the share won within {h} days, by the Aalen–Johansen estimator (lost is a competing outcome, open deals are censored at their age). 'Observed' = every deal of the cohort is older than {h} days; 'estimated' = some are younger and the older ones carry the estimate; 'too young' = no deal has reached {h} days yet, no comparison.",
    },
    "segments_note": {
        "zh": "每个分群与其余分群比较：双比例 z 检验，同一维度同一环节内 Holm 校正；卡方检验分群间是否有差异。收缩转化率为经验贝叶斯估计，小样本（决策数 < {n}）已标记、不参与排序。下表列出校正后显著的分群。",
        "en": "Each segment against all others: two-proportion z-test, Holm-corrected within a dimension and step; a chi-square test of whether segments differ at all. Shrunk rates are empirical-Bayes; small segments (fewer than {n} decided) are flagged and never ranked. The table lists the segments that are significant after correction.",
    },
    "changes_note": {
        "zh": "本月转化率与基准（{basis}的月均转化率）比较。各阶段按商机离开该阶段的月份统计：离开的商机中推进者占比，月末即完整。检验：双比例 z 检验，按基准各月间的离散度放大（准二项），同一环节各单元间 Holm 校正。",
        "en": "The month's conversion against the baseline (the mean monthly rate of {basis}). Stages by the month deals left them: of those, the share that moved on, complete at month end. Test: two-proportion z-test widened by the dispersion between baseline months (quasi-binomial), Holm-corrected across the units of a step.",
    },
    "changes_leads_note": {
        "zh": "线索环节按线索创建月份统计：当月创建的线索中已转为商机的比例（90% 的线索在 {lag} 天内转化；真实数据中月末创建的线索可能尚未转化，解读最新月份时请留意）。",
        "en": "The lead step by the month leads were created: the share of the month's leads that became a deal (90 % convert within {lag} days; in real data leads created at month end may not have converted yet, so read the latest month with care).",
    },
    "drivers_note": {
        "zh": "降幅拆解（结构效应 + 转化效应，二者相加等于变化）：结构效应 = 分群在该单元中的占比变化，转化效应 = 分群自身转化率变化。",
        "en": "The drop split over segments (mix + rate effects add up to the change): mix = the segment's share of the volume moved, rate = the segment's own rate moved.",
    },
    "bridge_note": {
        "zh": "本月赢单金额与基准月均值的差异，按漏斗因素拆解：隐含赢单金额 = 线索数 × 每线索商机数 × 各阶段转化率 × 平均赢单金额，（无线索表时从新建商机量开始），用对数平均迪氏指数（LMDI）精确分解到各单元和各因素；实际与隐含之差为“时滞”（早先创建的商机在本月成交、周期变化）。各项相加等于总变化。",
        "en": "The month's won value against the baseline's average month, by funnel factor: implied won value = leads × deals per lead × stage conversions × average won deal (starting at the deals created when there is no leads table), split exactly over units and factors by the logarithmic mean Divisia index (LMDI); actual minus implied is 'timing' (deals created earlier closing now, cycle changes). The bars add up to the change.",
    },
    "process_given": {
        "zh": "变更日期 {date}，采用单元：{adopting}（{level}），对照单元：{control}。变更前 = 日期前 {before} 天内进入{stage}阶段的商机，变更后 = 自该日至截止日前 {settle} 天进入的商机（仅计已完成停留）。双重差分 = 采用单元的变化 − 对照单元同期的变化，单元固定效应，稳健标准误。",
        "en": "Change on {date}, adopted by {adopting} ({level}); control: {control}. Before = deals entering {stage} in the {before} days before; after = entries from that date to {settle} days before the as-of date (completed stays only). Difference-in-differences = the adopters' change − the control units' change over the same dates, unit fixed effects, robust standard errors.",
    },
    "process_detected": {
        "zh": "参数未指定变更日期，已在数据中检索：在偶数日进入阶段的商机上，按周寻找各单元阶段时长的最大断点（Bonferroni 校正），检出 {date} 起 {adopting} 的{stage}阶段时长发生变化；效果只用奇数日进入的商机估计（检索未使用的数据），置信区间因此有效。可在参数 change_date / adopting 中指定实际变更。",
        "en": "No change date was given, so the data were searched: on the deals entering a stage on even days, each unit's weekly stage durations were split at every week (Bonferroni-corrected), which found a change in {stage} from {date} in {adopting}. The effect is estimated on the odd-day entries only — data the search never saw — so its interval is honest. Set change_date / adopting to measure a known change.",
    },
    "process_none": {
        "zh": "参数未指定变更日期；在数据中未检出任何单元的阶段时长断点。可在参数 change_date 与 adopting 中指定变更日期与采用单元。",
        "en": "No change date was given, and the data show no break in any unit's stage durations. Set change_date and adopting to measure a known change.",
    },
    "process_company_wide": {
        "zh": "参数未指定变更日期；数据中所有单元的阶段时长在同一时间发生了断点（见下表），没有未变化的对照单元，无法与全公司性的变化（季节、数据起始）区分，因此不作评估。如确有流程变更，请在参数 change_date 与 adopting 中指定。",
        "en": "No change date was given; every unit's stage durations break at about the same time (table below), so there is no unchanged control and the break cannot be told apart from a company-wide shift (a season, the start of the data); it is not measured. Set change_date and adopting to measure a known change.",
    },
    "search_title": {"zh": "断点检索结果", "en": "Break search"},
    "t_stat": {"zh": "t 统计量", "en": "t statistic"},
    "break_week": {"zh": "断点周", "en": "Break week"},
    "process_too_recent": {
        "zh": "变更日期 {date} 距截止日不足 {settle} 天，变更后的停留尚未结束，暂不评估。",
        "en": "The change on {date} is less than {settle} days before the as-of date: stays after it have not ended yet, so it is not measured.",
    },
    # table headers
    "step": {"zh": "环节", "en": "Step"},
    "stage": {"zh": "阶段", "en": "Stage"},
    "reached": {"zh": "进入", "en": "Reached"},
    "advanced": {"zh": "推进", "en": "Moved on"},
    "lost": {"zh": "流失", "en": "Lost"},
    "open": {"zh": "在途", "en": "Open"},
    "conversion": {"zh": "转化率", "en": "Conversion"},
    "interval": {"zh": "95% 区间", "en": "95 % interval"},
    "cumulative": {"zh": "累计转化率", "en": "Cumulative"},
    "lost_deals": {"zh": "流失商机数", "en": "Deals lost"},
    "lost_amount": {"zh": "流失商机金额", "en": "Amount of lost deals"},
    "expected_lost": {"zh": "期望流失价值", "en": "Expected value lost"},
    "share": {"zh": "占比", "en": "Share"},
    "reason": {"zh": "流失原因", "en": "Loss reason"},
    "reasons_title": {"zh": "各阶段流失原因占比", "en": "Loss reasons by stage"},
    "weak_title": {"zh": "可挽回价值最高的单元 × 环节", "en": "Unit × step with the most recoverable value"},
    "unit": {"zh": "单元", "en": "Unit"},
    "rate": {"zh": "转化率", "en": "Rate"},
    "rest_rate": {"zh": "其余单元", "en": "Rest"},
    "shrunk": {"zh": "收缩转化率", "en": "Shrunk rate"},
    "recoverable": {"zh": "可挽回价值", "en": "Recoverable value"},
    "decided": {"zh": "决策数", "en": "Decided"},
    "significant": {"zh": "显著", "en": "Significant"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "stays": {"zh": "停留数", "en": "Stays"},
    "median_days": {"zh": "中位天数", "en": "Median days"},
    "p80_days": {"zh": "第80百分位天数", "en": "80th percentile days"},
    "mean_days": {"zh": "平均天数", "en": "Mean days"},
    "unit_durations_title": {"zh": "各单元中位天数（第80百分位）", "en": "Median days by unit (80th percentile)"},
    "stalled_title": {"zh": "停滞商机", "en": "Stalled deals"},
    "open_deals": {"zh": "在途商机", "en": "Open deals"},
    "stalled": {"zh": "停滞", "en": "Stalled"},
    "stalled_value": {"zh": "停滞金额", "en": "Stalled value"},
    "norm_days": {"zh": "本单元常模（天）", "en": "Unit norm (days)"},
    "cohort": {"zh": "创建月份", "en": "Cohort"},
    "deals": {"zh": "商机数", "en": "Deals"},
    "won": {"zh": "赢单", "en": "Won"},
    "open_share": {"zh": "在途占比", "en": "Open share"},
    "win_rate_to_date": {"zh": "至今赢单率", "en": "Win rate to date"},
    "won_by_h": {"zh": "{h}天内赢单占比", "en": "Won within {h} days"},
    "basis": {"zh": "依据", "en": "Basis"},
    "observed": {"zh": "已观测", "en": "observed"},
    "estimated": {"zh": "估计", "en": "estimated"},
    "too_young": {"zh": "过新", "en": "too young"},
    "age_days": {"zh": "创建后天数", "en": "Days since creation"},
    "won_share": {"zh": "累计赢单占比", "en": "Share won"},
    "horizon": {"zh": "比较账龄", "en": "Comparison age"},
    "dimension": {"zh": "维度", "en": "Dimension"},
    "segment": {"zh": "分群", "en": "Segment"},
    "difference": {"zh": "差异", "en": "Difference"},
    "p_adjusted": {"zh": "校正后 p 值", "en": "Adjusted p"},
    "chi2": {"zh": "卡方检验（各分群转化率是否相同）p 值：{items}。", "en": "Chi-square test that all segments convert alike, p: {items}."},
    "small_segments": {"zh": "小样本分群（已标记，不排序）：{n} 个", "en": "Small segments (flagged, not ranked): {n}"},
    "no_significant": {"zh": "校正后无显著差异的分群。", "en": "No segment differs significantly after correction."},
    "company_rate": {"zh": "公司", "en": "Company"},
    "latest": {"zh": "本月", "en": "This month"},
    "baseline": {"zh": "基准", "en": "Baseline"},
    "change": {"zh": "相对变化", "en": "Change"},
    "screen_title": {"zh": "各单元各环节：本月 vs 基准（* 为校正后显著）", "en": "Units × steps: this month vs baseline (* significant after correction)"},
    "drivers_title": {"zh": "{unit}·{step}：降幅来源", "en": "{unit} · {step}: where the drop comes from"},
    "decomposition_title": {"zh": "公司{step}转化率变化按{dimension}拆解", "en": "The company's {step} change by {dimension}"},
    "mix": {"zh": "结构效应", "en": "Mix effect"},
    "rate_effect": {"zh": "转化效应", "en": "Rate effect"},
    "effect": {"zh": "合计（百分点）", "en": "Total (points)"},
    "share_of_change": {"zh": "占变化比例", "en": "Share of the change"},
    "no_drop": {"zh": "本月没有显著的转化率下降。", "en": "No significant conversion drop this month."},
    "factor": {"zh": "因素", "en": "Factor"},
    "contribution": {"zh": "贡献", "en": "Contribution"},
    "bridge_units_title": {"zh": "各单元 × 因素贡献", "en": "Contributions by unit and factor"},
    "bridge_factors_title": {"zh": "因素取值（公司）", "en": "Factor values (company)"},
    "cycle_days": {"zh": "赢单周期（天，参考）", "en": "Cycle of won deals (days, for reference)"},
    "won_value": {"zh": "赢单金额", "en": "Won value"},
    "total": {"zh": "合计", "en": "Total"},
    "metric": {"zh": "指标", "en": "Metric"},
    "adopting_before": {"zh": "采用单元·变更前", "en": "Adopters before"},
    "adopting_after": {"zh": "采用单元·变更后", "en": "Adopters after"},
    "control_before": {"zh": "对照单元·变更前", "en": "Control before"},
    "control_after": {"zh": "对照单元·变更后", "en": "Control after"},
    "before_after": {"zh": "采用单元前后变化", "en": "Adopters' change"},
    "did": {"zh": "双重差分估计", "en": "Difference-in-differences"},
    "p_value": {"zh": "p 值", "en": "p"},
    "days_metric": {"zh": "{stage}停留天数", "en": "Days in {stage}"},
    "conversion_metric": {"zh": "{stage}转化率", "en": "{stage} conversion"},
    "adopting": {"zh": "采用单元", "en": "Adopting units"},
    "control": {"zh": "对照单元", "en": "Control units"},
    "period": {"zh": "期间", "en": "Period"},
    "before": {"zh": "变更前", "en": "Before"},
    "after": {"zh": "变更后", "en": "After"},
    "week": {"zh": "进入周", "en": "Week of entry"},
    "change_date": {"zh": "变更日期", "en": "Change date"},
    "tile_cumulative": {"zh": "线索/商机→赢单", "en": "Lead/deal → won"},
    "tile_win_rate": {"zh": "赢单率（已决）", "en": "Win rate (decided)"},
    "tile_cycle": {"zh": "赢单周期中位数（天）", "en": "Median cycle (days)"},
    "tile_bottleneck": {"zh": "瓶颈阶段", "en": "Bottleneck stage"},
    "tile_stalled": {"zh": "停滞商机金额", "en": "Stalled pipeline"},
    "tile_stalled_deals": {"zh": "停滞商机数", "en": "Stalled deals"},
    # dimensions
    "region": {"zh": "大区", "en": "Region"},
    "team": {"zh": "团队", "en": "Team"},
    "rep": {"zh": "销售", "en": "Rep"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "product": {"zh": "产品", "en": "Product"},
    "industry": {"zh": "行业", "en": "Industry"},
    "company": {"zh": "公司", "en": "Company"},
    # bridge factors
    VOLUME_LEADS: {"zh": "线索量", "en": "Lead volume"},
    VOLUME_DEALS: {"zh": "新建商机量", "en": "Deals created"},
    LEAD_RATE: {"zh": "每线索商机数", "en": "Deals per lead"},
    SIZE: {"zh": "平均赢单金额", "en": "Average won deal"},
    TIMING: {"zh": "时滞", "en": "Timing"},
    "baseline_value": {"zh": "基准", "en": "Baseline"},
    "latest_value": {"zh": "本月", "en": "This month"},
    # compare_to
    "previous-month": {"zh": "上月", "en": "the previous month"},
    "same-month-last-year": {"zh": "去年同月", "en": "the same month last year"},
    "previous-n-months": {"zh": "前 {n} 个月", "en": "the previous {n} months"},
}

WORDS: dict[str, tuple[str, str]] = {
    # steps and stages of the workbench's default funnel
    LEADS: ("线索转商机", "lead → deal"),
    "lead": ("线索", "lead"), "follow-up": ("跟进", "follow-up"), "proposal": ("方案", "proposal"),
    "negotiation": ("谈判", "negotiation"), "won": ("赢单", "won"), "lost": ("流失", "lost"),
    # channels
    "web": ("官网/线上推广", "web"), "telemarketing": ("电话营销", "telemarketing"), "referral": ("客户推荐", "referral"),
    "partner": ("渠道伙伴", "partner"), "seminar": ("研讨会", "seminar"), "expo": ("展会", "expo"),
    # loss reasons
    "unqualified": ("不合格线索", "unqualified"), "no_need": ("无需求", "no need"), "no_budget": ("无预算", "no budget"),
    "timing": ("时机不对", "timing"), "competitor": ("输给竞争对手", "competitor"), "price": ("价格", "price"),
    "no_decision": ("未决策", "no decision"),
    # industries
    "manufacturing": ("制造业", "manufacturing"), "retail": ("零售", "retail"), "healthcare": ("医疗健康", "healthcare"),
    "finance": ("金融", "finance"), "logistics": ("物流", "logistics"), "education": ("教育", "education"),
    "energy": ("能源", "energy"), "it_services": ("信息技术服务", "IT services"),
    NONE: ("（无）", "(none)"),
}


def label(key: str, lang: str, **fields: object) -> str:
    text = t(key, lang, labels=LABELS)
    return text.format(**fields) if fields else text


def word(code: object, lang: str) -> str:
    """A data code (stage, channel, loss reason, industry) in ``lang``; unknown codes as they are."""
    pair = WORDS.get(str(code))
    return str(code) if pair is None else pair[0 if lang == "zh" else 1]


def step_word(step: str, stages: tuple[str, ...], lang: str) -> str:
    """A step as "stage → next stage" (the lead step as lead → deal)."""
    if step == LEADS:
        return word(LEADS, lang)
    if step in stages[:-1]:
        return f"{word(step, lang)}→{word(stages[stages.index(step) + 1], lang)}"
    return word(step, lang)


def unit_word(unit: object, dimension: str, lang: str) -> str:
    if str(unit) == "company":
        return label("company", lang)
    return word(unit, lang) if dimension in ("channel", "industry") else str(unit)


def compare_words(compare_to: str, lang: str) -> str:
    if compare_to.startswith("previous-") and compare_to not in ("previous-month",):
        return label("previous-n-months", lang, n=compare_to.split("-")[1])
    return label(compare_to, lang)


def factor_word(name: str, result: FunnelResult, lang: str) -> str:
    if name in LABELS:
        return label(name, lang)
    if name.startswith("rate:"):
        return f"{step_word(name.split(':', 1)[1], result.stages, lang)} {label('conversion', lang)}"
    return label(name, lang)


def points(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value * 100:+.2f}"


def signed_points(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value * 100:+.1f}pt"


def num(value: float) -> str:
    return format_value(value, "count")


def days(value: float) -> str:
    return format_value(value, "days")


def p_text(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def h2(key: str, lang: str) -> str:
    return f"<h2>{e(label(key, lang))}</h2>"


def h3(text: str) -> str:
    return f"<h3>{e(text)}</h3>"


def note(text: str) -> str:
    return f"<p class='so-note' style='color:#51606f;font-size:13px'>{e(text)}</p>"


def frame_table(frame: pd.DataFrame, columns: dict[str, tuple[str, Callable[[object], str]]], lang: str) -> str:
    shown = pd.DataFrame({label(key, lang): frame[col].map(fmt) for col, (key, fmt) in columns.items()})
    return table_html(shown, index=False)


# --------------------------------------------------------------------------- findings

_COMPARE_WORDS: dict[str, tuple[str, str]] = {
    "previous-month": ("上月", "the previous month"), "same-month-last-year": ("去年同月", "the same month last year"),
    **{f"previous-{n}-months": (f"前 {n} 个月", f"the previous {n} months") for n in (2, 3, 4, 5, 6, 9, 12, 18, 24)},
}

_FACTOR_WORDS: dict[str, tuple[str, str]] = {
    **{name: (LABELS[name]["zh"], LABELS[name]["en"]) for name in (VOLUME_LEADS, VOLUME_DEALS, LEAD_RATE, SIZE, TIMING)},
    **{f"rate:{code}": (f"{zh}转化率", f"{en} conversion") for code, (zh, en) in WORDS.items()},
}

_STAGE_CODES = ("lead", "follow-up", "proposal", "negotiation", "won")

_TRANSITION_WORDS: dict[str, tuple[str, str]] = {
    LEADS: WORDS[LEADS],
    **{f"{a}→{b}": (f"{WORDS[a][0]}→{WORDS[b][0]}", f"{WORDS[a][1]} → {WORDS[b][1]}")
       for i, a in enumerate(_STAGE_CODES) for b in _STAGE_CODES[i + 1:]},
}

_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "transition": _TRANSITION_WORDS,
    "step": WORDS, "stage": WORDS, "reason": WORDS, "compare_to": _COMPARE_WORDS, "top_factor": _FACTOR_WORDS,
    "driver_dimension": {d: (LABELS[d]["zh"], LABELS[d]["en"]) for d in ("region", "team", "rep", "channel", "product",
                                                                        "industry")},
    "driver_segment": WORDS,
}

"""Codes in finding facts and their words: stages, channels, reasons, baselines, bridge factors."""

FINDING_TEXT: dict[str, FindingText] = {
    "conversion_drop": FindingText(
        zh="{where}{transition}转化率较{compare_to}下降 {change}（本月 {rate_latest:.1%}，基准 {rate_baseline:.1%}），流失发生在「{stage}」阶段。",
        en="{where}{transition} conversion fell {change} against {compare_to} ({rate_latest:.1%} vs {rate_baseline:.1%}); the loss is at the {stage} stage.",
        words=_WORDS,
        actions={
            "check_channel": ("主要来自{driver_dimension}「{driver_segment}」：其转化率由 {driver_rate_baseline:.1%} 降至 {driver_rate_latest:.1%}，拉低 {driver_points:.1f} 个百分点（净降 {total_points:.1f} 个百分点）。请核查该渠道的线索质量、分配与跟进（如竞品促销分流优质线索）。",
                              "It comes from {driver_dimension} '{driver_segment}': its conversion fell from {driver_rate_baseline:.1%} to {driver_rate_latest:.1%}, pulling the rate down {driver_points:.1f} points (net drop {total_points:.1f} points). Check that channel's lead quality, routing and follow-up (e.g. a competitor's promotion draining good leads)."),
            "coach_team": ("主要来自{driver_dimension}「{driver_segment}」（{driver_rate_baseline:.1%} → {driver_rate_latest:.1%}，拉低 {driver_points:.1f} 个百分点，净降 {total_points:.1f}），建议与该团队复盘并辅导。",
                           "It comes from {driver_dimension} '{driver_segment}' ({driver_rate_baseline:.1%} → {driver_rate_latest:.1%}, −{driver_points:.1f} points, net −{total_points:.1f}): review and coach that team."),
            "coach_rep": ("主要来自{driver_dimension}「{driver_segment}」（{driver_rate_baseline:.1%} → {driver_rate_latest:.1%}，拉低 {driver_points:.1f} 个百分点，净降 {total_points:.1f}），建议一对一辅导。",
                          "It comes from {driver_dimension} '{driver_segment}' ({driver_rate_baseline:.1%} → {driver_rate_latest:.1%}, −{driver_points:.1f} points, net −{total_points:.1f}): coach that rep."),
            "review_offer": ("主要来自{driver_dimension}「{driver_segment}」（{driver_rate_baseline:.1%} → {driver_rate_latest:.1%}，拉低 {driver_points:.1f} 个百分点，净降 {total_points:.1f}），请检查其报价与竞争态势。",
                             "It comes from {driver_dimension} '{driver_segment}' ({driver_rate_baseline:.1%} → {driver_rate_latest:.1%}, −{driver_points:.1f} points, net −{total_points:.1f}): review pricing and competition there."),
            "review_region": ("主要来自{driver_dimension}「{driver_segment}」（{driver_rate_baseline:.1%} → {driver_rate_latest:.1%}，拉低 {driver_points:.1f} 个百分点，净降 {total_points:.1f}），见该单元的拆解。",
                              "It comes from {driver_dimension} '{driver_segment}' ({driver_rate_baseline:.1%} → {driver_rate_latest:.1%}, −{driver_points:.1f} points, net −{total_points:.1f}); see that unit's breakdown."),
            "review_stage": ("请复盘该阶段的推进标准与跟进动作。", "Review the stage's exit criteria and follow-up."),
        },
    ),
    "bottleneck_stage": FindingText(
        zh="瓶颈阶段为「{stage}」：该阶段流失 {lost_deals:,.0f} 个商机，占期望流失价值的 {share:.0%}（{at_stake}）。",
        en="The bottleneck is the {stage} stage: {lost_deals:,.0f} deals lost there, {share:.0%} of the expected value lost ({at_stake}).",
        words=_WORDS,
        actions={"review_stage": ("请复盘该阶段的推进标准与跟进动作。", "Review the stage's exit criteria and follow-up.")},
    ),
    "weak_stage": FindingText(
        zh="{where}{transition}转化率 {rate:.1%}，显著低于其余单元的 {rest_rate:.1%}，可挽回价值约 {at_stake}。",
        en="{where}{transition} conversion is {rate:.1%}, significantly below the rest's {rest_rate:.1%}; about {at_stake} recoverable.",
        words=_WORDS,
        actions={"coach_team": ("建议与该团队复盘该环节。", "Review that step with the team."),
                 "coach_rep": ("建议一对一辅导。", "Coach the rep."),
                 "check_channel": ("请核查该渠道的线索质量。", "Check that channel's lead quality."),
                 "review_offer": ("请检查报价与竞争态势。", "Review pricing and competition."),
                 "review_region": ("请与该大区复盘该环节。", "Review that step with the region."),
                 "review_stage": ("请复盘该环节。", "Review that step.")},
    ),
    "stalled_deals": FindingText(
        zh="{where}「{stage}」阶段有 {stalled:,.0f} 个在途商机停留超过本单元常模 {norm_days:.0f} 天（占 {share:.0%}），金额 {at_stake}；全公司停滞商机共 {total_stalled:,.0f} 个。",
        en="{where}{stalled:,.0f} open deals have sat in {stage} longer than the unit's norm of {norm_days:.0f} days ({share:.0%}), worth {at_stake}; {total_stalled:,.0f} stalled deals company-wide.",
        words=_WORDS,
        actions={"clean_pipeline": ("请逐一确认推进计划或关闭。", "Confirm a next step for each, or close them.")},
    ),
    "stalled_deals_unpriced": FindingText(
        zh="{where}「{stage}」阶段有 {stalled:,.0f} 个在途商机停留超过本单元常模 {norm_days:.0f} 天（占 {share:.0%}）；全公司停滞商机共 {total_stalled:,.0f} 个（在途商机未录入金额）。",
        en="{where}{stalled:,.0f} open deals have sat in {stage} longer than the unit's norm of {norm_days:.0f} days ({share:.0%}); {total_stalled:,.0f} stalled deals company-wide (open deals carry no amount).",
        words=_WORDS,
        actions={"clean_pipeline": ("请逐一确认推进计划或关闭。", "Confirm a next step for each, or close them.")},
    ),
    "process_change_effect": FindingText(
        zh="{adopting} 自 {date} 起的流程变更使「{stage}」阶段停留从 {before_days:.1f} 天变为 {after_days:.1f} 天，净效应 {effect:+.1f} 天（95% 区间 {lo:+.1f} 至 {hi:+.1f}）。",
        en="The process change in {adopting} from {date} moved days in {stage} from {before_days:.1f} to {after_days:.1f}: a net effect of {effect:+.1f} days (95 % CI {lo:+.1f} to {hi:+.1f}).",
        words=_WORDS,
        actions={"roll_out": ("效果显著，建议推广到其他单元。", "It works: consider rolling it out to the other units."),
                 "review_change": ("停留变长，请复盘该变更。", "Stays got longer: review the change.")},
    ),
    "process_change_no_effect": FindingText(
        zh="{adopting} 自 {date} 起的流程变更对「{stage}」阶段停留未见显著效果（净效应 {effect:+.1f} 天，95% 区间 {lo:+.1f} 至 {hi:+.1f}）。",
        en="The process change in {adopting} from {date} shows no significant effect on days in {stage} ({effect:+.1f} days, 95 % CI {lo:+.1f} to {hi:+.1f}).",
        words=_WORDS,
        actions={"extend_trial": ("可延长观察或扩大试点后再评估。", "Observe longer or widen the pilot before deciding.")},
    ),
    "won_value_move": FindingText(
        zh="赢单金额较{compare_to}{direction} {change}（本月 {value}，基准 {baseline}）；贡献最大的是 {top_unit} 的「{top_factor}」（{top_value:+,.0f}）。",
        en="Won value {direction} {change} against {compare_to} ({value} vs {baseline}); the largest contribution is {top_unit}'s {top_factor} ({top_value:+,.0f}).",
        words=_WORDS,
        actions={"review_bridge": ("详见赢单金额变化桥。", "See the won-value bridge.")},
    ),
}

"""Words of the findings (zh, en): facts are formatted in the templates, codes translated by ``words``."""

