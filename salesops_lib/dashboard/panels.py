"""The dashboard's panels as HTML (every text from data escaped) and its plots as inline PNG:
trend, target vs actual by unit and the target → actual bridge, in the pages' theme and money units.
Every name shown goes through :func:`salesops_lib.dashboard.labels.display_name`.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.dashboard import views
from salesops_lib.dashboard.cube import DashboardCube
from salesops_lib.dashboard.labels import LABELS, display_name
from salesops_lib.dashboard.scope import Scope
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.formats import (
    heading,
    integer,
    labelled_table,
    money,
    money_axis,
    pct,
    quarter_forecast,
    signed_pct,
)
from salesops_lib.report.html import e, findings_html, tiles_html
from salesops_lib.report.i18n import t
from salesops_lib.report.money import metric_value
from salesops_lib.report.theme import PALETTE, apply_light_theme

DASHBOARD_CSS = """
.so-dash{font-family:"SalesOps CJK",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2d3d}
.so-dash h1{font-size:22px;margin:4px 0 2px}.so-dash h2{font-size:16px;margin:14px 0 6px;color:#1f5aa6}
.so-dash .so-meta{color:#6b7b8c;font-size:12px}
.so-dash,.so-dash *{box-sizing:border-box}.so-dash{max-width:100%}.so-dash p,.so-dash li{overflow-wrap:break-word}
.widget-html.so-dash{min-width:0;max-width:100%}
.widget-html.so-dash>.widget-html-content{min-width:0;max-width:100%;flex:1 1 auto;white-space:normal;line-height:1.5;height:auto}
.so-dash .so-scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
.so-dash table.so-table{border-collapse:collapse;font-size:13px;width:100%}
.so-dash table.so-table th,.so-dash table.so-table td{white-space:nowrap;padding:3px 8px;border-bottom:1px solid #e3e8ee;text-align:right}
.so-dash table.so-table th:first-child,.so-dash table.so-table td:first-child{text-align:left}
.so-dash .so-flag{color:#c8423b;font-weight:600}
.so-dash .so-note{color:#51606f;font-size:13px;margin:4px 0}
.so-dash img.so-plot{width:100%;max-width:620px;height:auto;display:block}
.so-dash .so-row{display:flex;flex-wrap:wrap;gap:24px}.so-dash .so-cell{flex:1 1 min(440px,100%);min-width:0;max-width:100%}
.so-dash .so-tile{min-width:0;flex:1 1 140px}
.so-filters select,.so-filters label,.so-filters .widget-label{font-family:"SalesOps CJK",system-ui,sans-serif}
.so-filters{gap:12px;flex-wrap:wrap;max-width:100%}.so-filters .widget-dropdown{max-width:100%}
.so-crumbs{flex-wrap:wrap;gap:2px;max-width:100%}.so-crumbs button{font-family:"SalesOps CJK",system-ui,sans-serif;width:auto!important}
.so-crumbs .so-crumb-here{font-weight:600}
@media (max-width:600px){.so-dash h1{font-size:18px}.so-dash table.so-table{font-size:12px}.so-filters .widget-dropdown{width:100%!important}}
"""


PLOT_WIDTH = 4.4
"""Inches: about a phone's width, so text keeps its size at 390 px (the image scales to its cell)."""
PLOT_DPI = 160
"""Pixels per inch of the inline plots: sharp on high-density screens."""


def _short_names(names: list[str], most: int = 9) -> list[str]:
    return [n if len(n) <= most else n[: most - 1] + "…" for n in names]


def _t(key: str, lang: str, **facts: Any) -> str:
    text = t(key, lang, LABELS)
    return text.format(**facts) if facts else text


def _h2(key: str, lang: str, **facts: Any) -> str:
    return heading(_t(key, lang, **facts))


def _table(frame: pd.DataFrame, columns: dict[str, tuple[str, Callable[[Any], str]]], lang: str) -> str:
    """A labelled table inside a container that scrolls sideways on a narrow screen."""
    return f"<div class='so-scroll'>{labelled_table(frame, columns, lambda key: _t(key, lang), lang)}</div>"


def _name(cube: DashboardCube, level: str, unit: str, lang: str) -> str:
    return display_name(level, unit, lang, cube.names)


def _no_data(lang: str) -> str:
    return f"<p class='so-note'>{e(_t('no_data', lang))}</p>"


def kpi_tiles(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """The scope's KPI tiles (the monthly review's headline set), revenue with its target."""
    tiles = views.tiles(cube, scope)
    if tiles.empty:
        return _h2("kpis", lang) + _no_data(lang)
    shown = tiles.assign(label=[METRICS[m].label(lang) for m in tiles["metric"]]).rename(columns={"unit": "scope_unit"})
    shown = shown.rename(columns={"unit_kind": "unit"})
    html = tiles_html(shown, lang)
    revenue = tiles[tiles["metric"] == "revenue"]
    if not revenue.empty and pd.notna(revenue["target"].iloc[0]) and revenue["target"].iloc[0] > 0:
        row = revenue.iloc[0]
        html += (
            f"<p class='so-note so-target'>{e(METRICS['revenue'].label(lang))} {e(money(row['value'], lang))} / "
            f"{e(_t('target', lang))} {e(money(row['target'], lang))} = "
            f"{e(pct(row['value'] / row['target']))} {e(_t('vs_target', lang))}</p>"
        )
    return f"<div class='so-kpis' data-scope='{e(scope.level)}:{e(scope.unit)}'>{_h2('kpis', lang)}{html}</div>"


def attainment(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Pacing against target for month, quarter and year, and the forecast of the target quarter."""
    html = _h2("attainment", lang)
    pace = views.pacing(cube, scope)
    if pace.empty:
        html += _no_data(lang)
    else:
        pace = pace.assign(horizon=[_t(f"horizon_{h}", lang) for h in pace["horizon"]])
        html += _table(
            pace,
            {
                "horizon": ("period", str),
                "target": ("target", money),
                "actual": ("actual", money),
                "expected": ("expected", money),
                "projection": ("projection", money),
                "projected_attainment": ("projected_attainment", pct),
            },
            lang,
        )
    row = views.outlook(cube, scope)
    if row is None:
        html += f"<p class='so-note'>{e(_t('no_forecast', lang))}</p>"
    else:
        html += "<p class='so-note so-forecast'>" + e(quarter_forecast(str(cube.forecast_target), row, lang)) + "</p>"
    return html


def breakdown(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """The drill table: the units one level down, weakest attainment first."""
    table = views.breakdown(cube, scope)
    if table.empty:
        return ""
    level = t(scope.child_level, lang, LABELS)
    table = table.assign(name=[_name(cube, scope.child_level, u, lang) for u in table["unit"]])
    return _h2("breakdown", lang, level=level) + _table(
        table,
        {
            "name": ("unit", str),
            "revenue": ("revenue", money),
            "attainment": ("month_attainment", pct),
            "win_rate": ("win_rate", pct),
            "forecast_attainment": ("forecast_attainment", pct),
            "p_hit": ("p_hit", lambda v: pct(v, 0)),
        },
        lang,
    )


def funnel(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Deals reaching each funnel step and the step conversion, for the scope."""
    rows = views.funnel(cube, scope)
    if rows.empty:
        return _h2("funnel", lang) + _no_data(lang)
    rows = rows.assign(step=[display_name("stage", str(step), lang) for step in rows["step"]])
    return _h2("funnel", lang) + _table(
        rows,
        {
            "step": ("step", str),
            "reached": ("reached", integer),
            "conversion": ("conversion", pct),
        },
        lang,
    )


def ranking(cube: DashboardCube, scope: Scope, lang: str, *, limit: int = 15) -> str:
    """Revenue per FTE of the units one level down, best first (the selected rep highlighted)."""
    rows = views.ranking(cube, scope)
    if rows.empty:
        return _h2("efficiency", lang) + _no_data(lang)
    if len(rows) > limit:  # the best and the weakest matter; the middle is elided
        rows = pd.concat([rows.head(limit - 5), rows.tail(5)]).drop_duplicates("unit")
    level = scope.child_level or "rep"
    rows = rows.assign(name=[_name(cube, level, u, lang) for u in rows["unit"]])
    rows = rows.assign(
        flag=[_t("flagged", lang) if f else "" for f in rows["flagged"].fillna(False)],
        name=[f"▶ {n}" if s else n for n, s in zip(rows["name"], rows["selected"], strict=True)],
    )
    return _h2("efficiency", lang) + _table(
        rows,
        {
            "name": ("unit", str),
            "fte": ("fte", lambda v: f"{v:.1f}" if pd.notna(v) else "—"),
            "revenue_per_fte": ("revenue_per_fte", money),
            "win_rate": ("win_rate", pct),
            "gap": ("gap", signed_pct),
            "flag": ("flagged", str),
        },
        lang,
    )


def expenses(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Campaign ROI by type in the scope's region, and the region's expense ratio."""
    html = _h2("expenses", lang)
    rows = views.campaign_roi(cube, scope)
    rows = rows.assign(type=[display_name("campaign_type", str(v), lang) for v in rows["type"]])
    html += (
        _no_data(lang)
        if rows.empty
        else _table(
            rows,
            {
                "type": ("type", str),
                "campaigns": ("campaigns", integer),
                "cost": ("cost", money),
                "won_revenue": ("won_revenue", money),
                "roi": ("roi", pct),
                "low_roi": ("low_roi", integer),
            },
            lang,
        )
    )
    ratio = views.expense_ratio(cube, scope)
    if ratio is not None:
        company = (
            ratio["expense_ratio"] / (1 + ratio["ratio_vs_company"])
            if pd.notna(ratio.get("ratio_vs_company"))
            else None
        )
        html += (
            "<p class='so-note'>"
            + e(
                _t(
                    "expense_ratio_line",
                    lang,
                    region=_name(cube, "region", scope.region, lang),
                    ratio=pct(ratio["expense_ratio"]),
                    company=pct(company),
                )
            )
            + "</p>"
        )
    return html


def alerts(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """The open alerts (the analyses' findings) inside the scope."""
    found: list[Finding] = views.alerts(cube, scope)
    if not found:
        return _h2("alerts", lang) + f"<p class='so-note'>{e(_t('no_alerts', lang))}</p>"
    worded = lambda f: cube.finding_texts.get(f.id, {}).get(lang, f.kind)  # noqa: E731  (worded at build time)
    return _h2("alerts", lang) + findings_html(found, lang, wording=worded)


def notes(cube: DashboardCube, lang: str) -> str:
    """When the data was built and which analyses are missing from it."""
    parts = [e(_t("built", lang, built=cube.built_at, source=cube.source))]
    parts += [e(_t("missing_analysis", lang, analysis=a, why=w)) for a, w in cube.skipped.items()]
    return "".join(f"<p class='so-meta'>{p}</p>" for p in parts)


def trend_plot(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Monthly revenue (bars) against target (line) for the scope, as an inline PNG."""
    rows = views.trend(cube, scope)
    if rows.empty:
        return ""
    apply_light_theme()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(PLOT_WIDTH, 3.0), dpi=PLOT_DPI)
    ax = fig.add_subplot()
    months = pd.to_datetime(rows["period"]).dt.strftime("%y-%m")
    ax.bar(months, rows["actual"], color=PALETTE[0], label=_t("actual", lang))
    ax.plot(months, rows["target"], color=PALETTE[1], marker="o", lw=2, label=_t("target", lang))
    ax.yaxis.set_major_formatter(money_axis(lang))
    ax.set_title(_t("trend_title", lang) + f" · {_name(cube, scope.level, scope.unit, lang)}")
    ax.tick_params(axis="x", labelsize=8)
    top = max(rows["actual"].max(), rows["target"].max())
    if top == top and top > 0:
        ax.set_ylim(0, top * 1.25)  # room for the legend above the bars
    ax.legend(loc="upper left", ncol=2, fontsize=8, frameon=False)
    ax.title.set_fontsize(11)
    for label in ax.get_xticklabels():
        label.set_rotation(45)
    fig.subplots_adjust(left=0.15, right=0.98, top=0.88, bottom=0.2)  # fixed margins: tight_layout costs 30 ms
    return _png(fig, "trend")


def bars_plot(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """The month's actual (bars) against target (marks) of the units one level down, as an inline PNG
    (horizontal: unit names stay readable on a phone).
    """
    rows = views.target_vs_actual(cube, scope)
    if rows.empty or rows[["actual", "target"]].isna().all().all():
        return ""
    apply_light_theme()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    level = scope.child_level
    names = [_name(cube, level, u, lang) for u in rows["unit"]]
    fig = Figure(figsize=(PLOT_WIDTH, 1.0 + 0.32 * len(rows)), dpi=PLOT_DPI)
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    met = (rows["actual"] >= rows["target"]).tolist()
    ax.barh(ys, rows["actual"].fillna(0), color=[PALETTE[2] if m else PALETTE[0] for m in met], height=0.6)
    ax.scatter(
        rows["target"], ys, marker="|", s=260, linewidths=2.5, color=PALETTE[3], zorder=3, label=_t("target", lang)
    )
    ax.set_yticks(ys, _short_names(names), fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(money_axis(lang))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(_t("bars_title", lang, level=t(level, lang, LABELS)), fontsize=11)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.subplots_adjust(
        left=0.3, right=0.97, top=1 - 0.45 / (1.0 + 0.32 * len(rows)), bottom=0.35 / (1.0 + 0.32 * len(rows))
    )
    return _png(fig, "bars")


def bridge_plot(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Target → actual of the month as a horizontal waterfall: each unit one level down adds its
    actual minus its target (green above, red below), as an inline PNG.
    """
    steps = views.bridge(cube, scope)
    if steps.empty:
        return ""
    apply_light_theme()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    level = scope.child_level
    labels: list[str] = []
    lefts: list[float] = []
    widths: list[float] = []
    colours: list[str] = []
    running = 0.0
    for item, kind, amount, units in zip(steps["item"], steps["kind"], steps["value"], steps["units"], strict=True):
        value = float(amount)
        if kind == "total":
            labels.append(_t(f"bridge_{item}", lang))
            lefts.append(0.0)
            widths.append(value)
            colours.append(PALETTE[0])
            running = value
            continue
        labels.append(
            _t("bridge_other", lang, n=int(units)) if kind == "other" else _name(cube, level, str(item), lang)
        )
        lefts.append(running if value >= 0 else running + value)
        widths.append(abs(value))
        colours.append(PALETTE[2] if value >= 0 else PALETTE[3])
        running += value
    height = 1.0 + 0.32 * len(labels)
    fig = Figure(figsize=(PLOT_WIDTH, height), dpi=PLOT_DPI)
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, widths, left=lefts, color=colours, height=0.6)
    ax.set_yticks(ys, _short_names(labels), fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(money_axis(lang))
    ax.tick_params(axis="x", labelsize=8)
    ends = [value for left, width in zip(lefts, widths, strict=True) for value in (left, left + width)]
    moving = [v for v, c in zip(lefts, colours, strict=True) if c != PALETTE[0]] + [widths[0], widths[-1]]
    low, high = min(moving), max(ends)
    ax.set_xlim(max(0.0, low - 0.15 * (high - low)), high + 0.03 * (high - low))  # zoomed on the steps
    ax.set_title(_t("bridge_title", lang, level=t(level, lang, LABELS)), fontsize=11)
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.45 / height, bottom=0.35 / height)
    return _png(fig, "bridge")


def deals(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """The rep's largest open deals (at rep scope only): customer, amount, stage, expected close, days in stage."""
    if not scope.rep:
        return ""
    rows = views.deals(cube, scope)
    title = _h2("deals", lang, n=len(rows) or 10)
    if rows.empty:
        return f"<div class='so-deals'>{title}<p class='so-note'>{e(_t('no_deals', lang))}</p></div>"
    rows = rows.assign(stage=[display_name("stage", str(v), lang) for v in rows["stage"]])
    table = _table(
        rows,
        {
            "opp_id": ("deal", str),
            "customer": ("customer", str),
            "amount": ("amount", money),
            "stage": ("stage", str),
            "expected_close": ("close_date", str),
            "days_in_stage": ("days_in_stage", integer),
        },
        lang,
    )
    return f"<div class='so-deals'>{title}{table}</div>"


def _png(fig: Any, name: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img class='so-plot' data-plot='{e(name)}' alt='{e(name)}' src='data:image/png;base64,{data}'/>"


def format_tile(metric: str, value: float, lang: str = "") -> str:
    """How a tile shows ``value`` of ``metric`` in ``lang`` (the browser tests compare against this)."""
    return metric_value(value, METRICS[metric].unit, lang) if lang else format_value(value, METRICS[metric].unit)
