"""The collections and customer-value page: receivables (tiles, slip test, aging, chase list,
credits), key accounts at risk and customer value (tiles, historical and predictive LTV).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.collections_customers import CollectionsCustomersResult
from salesops_lib.analyses.collections_customers.compute import OUTLOOK_DAYS
from salesops_lib.analyses.collections_customers.ltv_sample import TOP_CANDIDATES
from salesops_lib.analyses.collections_customers.predictive import LtvPrediction
from salesops_lib.analyses.collections_customers.receivables import BUCKETS, DOUBTFUL_DAYS
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_change, formatted
from salesops_lib.report.collections_customers.words import (
    Formatter,
    bucket_label,
    date,
    integer,
    label,
    money,
    ratio,
    text,
    two,
)
from salesops_lib.report.formats import in_column, signed_pct
from salesops_lib.report.html import TILE_CSS, HtmlFragment, e, table_html
from salesops_lib.report.i18n import t
from salesops_lib.report.layout import list_note, methods_note
from salesops_lib.report.money import metric_value
from salesops_lib.report.names import display, named, namer


def _h2(key: str, lang: str) -> str:
    return f"<h2>{e(label(key, lang))}</h2>"


def _note(words: str) -> str:
    return f"<p class='so-note' style='color:#51606f;font-size:13px'>{e(words)}</p>"


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Formatter]], lang: str) -> str:
    """``frame``'s ``columns`` (name → label key, formatter), labelled in ``lang``, as an escaped table."""
    return _words_table(frame, {name: (label(key, lang), fmt) for name, (key, fmt) in columns.items()}, lang)


def _words_table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Formatter]], lang: str) -> str:
    """``frame``'s ``columns`` (name → heading, formatter) as an escaped table, money in one unit a column."""
    frame = _named(frame, lang)
    shown = {}
    for name, (heading, fmt) in columns.items():
        if name in frame:
            head, cell = in_column(frame[name], heading, fmt, lang)
            shown[head] = [cell(v) for v in frame[name]]
    return table_html(pd.DataFrame(shown, dtype=object), index=False)  # money cells keep their exact amount


#: columns of this page's frames that hold codes, by the kind that names them
NAMED_COLUMNS = {"region": "region", "owner_region": "region", "segment": "segment", "industry": "industry"}
NAMED_COLUMNS |= {"channel": "channel"}


def _named(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its coded columns by name, and the owner (a rep id in ``owner``) by the
    rep's name, a departed owner marked.
    """
    out = named(frame, NAMED_COLUMNS, lang)
    if "owner" in out and "owner_name" in out:
        out["owner_name"] = [
            display("rep", o, lang) if isinstance(o, str) and o else n
            for o, n in zip(out["owner"], out["owner_name"], strict=True)
        ]
    return out


# --------------------------------------------------------------------------- receivables


def receivables_tiles(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Section heading, definitions and the month's receivable tiles (or why there are none)."""
    head = _h2("receivables_title", lang)
    if result.receivables is None:
        return HtmlFragment(head + _note(label("no_receivables", lang).format(reason=result.receivables_note)))
    parts = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in result.receivables.tiles.itertuples():
        name = METRICS[row.key].label(lang) if row.key in METRICS else label(row.key, lang)
        value = (
            formatted(row.value, ".1f")
            if row.unit == "index" and row.value == row.value
            else metric_value(row.value, row.unit, lang)
        )
        deltas = []
        for key, change in (("vs_prev", row.change_prev), ("vs_yoy", row.change_yoy)):
            if change != change:  # NaN: no comparison for this figure
                continue
            css = (
                ""
                if row.higher_is_better is None
                else ("so-good" if (change >= 0) == bool(row.higher_is_better) else "so-bad")
            )
            deltas.append(f"<span class='{css}'>{e(t(key, lang))} {e(format_change(change))}</span>")
        parts.append(
            f"<div class='so-tile'><div class='so-label'>{e(name)}</div>"
            f"<div class='so-value'>{e(value)}</div><div class='so-delta'>{' · '.join(deltas)}</div></div>"
        )
    tiles = f"<style>{TILE_CSS}</style><div class='so-tiles'>{''.join(parts)}</div>"
    note = label("definitions_note", lang).format(as_of=result.as_of.isoformat(), window=_window_days(result))
    return HtmlFragment(head + tiles + _note(note))


def _window_days(result: CollectionsCustomersResult) -> int:
    slip = [f for f in result.findings if f.kind == "collections_slip"]
    return int(slip[0].facts["window_days"]) if slip else 91


def trend_heading(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """The heading of the collections trend (nothing when there are no receivables)."""
    if result.receivables is None:
        return HtmlFragment("")
    return HtmlFragment(_h2("collections_trend_title", lang))


def slip_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """The collections-slip test per region, with the collection rates behind it."""
    if result.receivables is None or result.receivables.slip.empty:
        return HtmlFragment("")
    params = result.params
    slip = result.receivables.slip.merge(
        result.receivables.collection_by_region[["unit", "recent", "previous"]], on="unit", how="left"
    )
    slip = slip.assign(flag=[label("yes" if s else "no", lang) for s in slip["slipping"]])
    columns: dict[str, tuple[str, Formatter]] = {
        "unit": ("region", namer("region", lang)),
        "share": ("share", ratio),
        "history_share": ("history_share", ratio),
        "peer_share": ("peer_share", ratio),
        "z_history": ("z_history", two),
        "z_peers": ("z_peers", two),
        "recent": ("rate_recent", ratio),
        "previous": ("rate_previous", ratio),
        "flag": ("slipping", text),
    }
    note = label("slip_note", lang).format(
        history=params.history_windows, alpha=params.alpha, increase=params.min_overdue_increase
    )
    return HtmlFragment(_h2("slip_title", lang) + methods_note(_note(note)) + _table(slip, columns, lang))


def aging_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Aging by region, team and the customers with most overdue."""
    if result.receivables is None:
        return HtmlFragment("")
    buckets = {b: (bucket_label(b, lang), money) for b in BUCKETS}
    parts = [_h2("aging_title", lang), _note(label("aging_note", lang).format(as_of=result.as_of.isoformat()))]
    for level, top in (("region", None), ("team", None), ("rep", 10), ("customer", 10)):
        frame = result.receivables.aging[level]
        if frame.empty:
            continue
        frame = frame.head(top) if top else frame
        if level != "customer" and "unit" in frame:  # an org unit by its name
            frame = frame.assign(name=[display(level, u, lang) for u in frame["unit"]])
        name = "name" if "name" in frame else "unit"
        columns: dict[str, tuple[str, Formatter]] = {
            name: (label(level, lang), text),
            **buckets,
            "open": (label("open", lang), money),
            "overdue": (label("overdue", lang), money),
            "overdue_share": (label("overdue_of_open", lang), ratio),
            "invoices": (label("invoices", lang), integer),
        }
        parts.append(f"<h3>{e(label(level, lang))}</h3>" + _words_table(frame, columns, lang))
    return HtmlFragment("".join(parts))


def chase_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """The chase list and the bucket outlook that weights it."""
    if result.receivables is None:
        return HtmlFragment("")
    chase = result.receivables.chase.assign(bucket=lambda f: [bucket_label(str(b), lang) for b in f["bucket"]])
    columns: dict[str, tuple[str, Formatter]] = {
        "invoice_id": ("invoice", text),
        "customer": ("customer", text),
        "owner_name": ("owner", text),
        "region": ("region", text),
        "due": ("due", date),
        "days_past_due": ("days_past_due", integer),
        "bucket": ("bucket", text),
        "open": ("open", money),
        "still_open": ("still_open", ratio),
        "expected_unpaid": ("expected_unpaid", money),
    }
    outlook = result.receivables.outlook.assign(bucket=lambda f: [bucket_label(str(b), lang) for b in f["bucket"]])
    caption = f"<h3>{e(label('outlook_caption', lang).format(days=OUTLOOK_DAYS))}</h3>"
    note = label("chase_note", lang).format(days=OUTLOOK_DAYS, doubtful=DOUBTFUL_DAYS)
    return HtmlFragment(
        _h2("chase_title", lang)
        + _note(note)
        + _table(chase, columns, lang)
        + list_note(len(chase), result.receivables.overdue_total, lang, kept=len(result.receivables.overdue))
        + caption
        + _table(outlook, {"bucket": ("bucket", text), "still_open": ("still_open", ratio)}, lang)
    )


def credits_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Doubtful debt and the customers with a credit balance."""
    if result.receivables is None:
        return HtmlFragment("")
    receivables = result.receivables
    lines = [
        label("doubtful_line", lang).format(
            days=DOUBTFUL_DAYS, n=receivables.doubtful_invoices, amount=money(receivables.doubtful, lang)
        )
    ]
    if receivables.credits.empty:
        lines.append(label("no_credits", lang))
        table = ""
    else:
        lines.append(
            label("credits_line", lang).format(
                amount=money(receivables.credit_total, lang), n=receivables.credit_customers
            )
        )
        columns: dict[str, tuple[str, Formatter]] = {
            "customer": ("customer", text),
            "overpaid": ("overpaid", money),
            "unapplied_credit_notes": ("unapplied_credit_notes", money),
            "credit": ("credit", money),
        }
        table = _table(receivables.credits.head(10), columns, lang)
    return HtmlFragment(_h2("credits_title", lang) + "".join(f"<p>{e(x)}</p>" for x in lines) + table)


# --------------------------------------------------------------------------- key accounts


def churn_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Key accounts at risk, most value at risk first."""
    params = result.params
    head = _h2("churn_title", lang) + _note(
        label("churn_note", lang).format(top=params.key_accounts, decline=params.churn_decline)
    )
    if result.churn.empty:
        return HtmlFragment(head + f"<p>{e(label('no_churn', lang))}</p>")
    churn = result.churn.assign(reason=lambda f: [label(str(r), lang) for r in f["reason"]])
    columns: dict[str, tuple[str, Formatter]] = {
        "name": ("customer", text),
        "owner_name": ("owner", text),
        "owner_region": ("region", text),
        "value_12m": ("value_12m", money),
        "previous_window": ("previous_window", money),
        "last_window": ("last_window", money),
        "change": ("change", format_change),
        "days_since_last": ("days_since_last", integer),
        "value_at_risk": ("value_at_risk", money),
        "reason": ("reason", text),
    }
    return HtmlFragment(head + _table(churn, columns, lang))


# --------------------------------------------------------------------------- customers


def customers_tiles(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Customer headline figures and the top customers of the last 12 months."""
    cv = result.customers
    top20 = cv.concentration.set_index("tier")["share"].get(0.20, np.nan) if not cv.concentration.empty else np.nan
    tiles = [(label("customers", lang), formatted(cv.customers, ",")), (label("top20_share", lang), ratio(top20))]
    headline_note = ""
    if cv.prediction is not None:
        tiles += _ltv_tiles(cv.prediction, lang)
        headline_note = _ltv_note(cv.prediction, lang)
    body = "".join(
        f"<div class='so-tile'><div class='so-label'>{e(k)}</div><div class='so-value'>{e(v)}</div></div>"
        for k, v in tiles
    )
    columns: dict[str, tuple[str, Formatter]] = {
        "name": ("customer", text),
        "segment": ("segment", text),
        "industry": ("industry", text),
        "owner_name": ("owner", text),
        "first_at": ("first_at", date),
        "bookings": ("bookings", integer),
        "revenue_12m": ("revenue_12m", money),
        "gross_profit_12m": ("gross_profit_12m", money),
        "margin_12m": ("margin_12m", ratio),
    }
    note = label("customers_note", lang).format(warmup=result.params.cohort_warmup_months)
    return HtmlFragment(
        _h2("customers_title", lang)
        + f"<style>{TILE_CSS}</style><div class='so-tiles'>{body}</div>"
        + headline_note
        + _note(note)
        + _table(cv.top, columns, lang)
    )


def _ltv_tiles(prediction: LtvPrediction, lang: str) -> list[tuple[str, str]]:
    """Predicted gross profit corrected by the hold-out bias, the model's raw figure and the bias
    (the headline shows "—" when it is suppressed).
    """
    months = prediction.horizon_months
    fix = prediction.correction
    if fix is None:
        return [(label("predicted_gp", lang).format(months=months), money(prediction.total_gp, lang))]
    key = {"calibrated": "predicted_gp_calibrated", "uncorrected": "predicted_gp_uncorrected"}.get(
        fix.status, "predicted_gp"
    )
    headline = money(fix.headline, lang) if fix.status != "suppressed" else "—"
    return [
        (label(key, lang).format(months=months), headline),
        (label("predicted_gp_raw", lang), money(fix.raw, lang)),
        (label("ltv_bias", lang), signed_pct(fix.bias)),
    ]


def _ltv_note(prediction: LtvPrediction, lang: str) -> str:
    """One line on what the hold-out bias did to the headline (corrected, left, suppressed and why)."""
    fix = prediction.correction
    if fix is None:
        return ""
    words = label(f"ltv_{fix.status}", lang).format(bias=fix.bias, ratio=1 + fix.bias)
    if fix.reason:
        words += " " + label(f"ltv_reason_{fix.reason}", lang).format(buyers=fix.buyers)
    return _note(words)


def cohorts_heading(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """The heading and note of the customer cohorts."""
    return HtmlFragment(_h2("cohorts_title", lang) + _note(label("cohorts_note", lang)))


def historical_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """First-year value by segment, industry and channel, and gross profit to date by acquisition year."""
    cv = result.customers
    parts = [_h2("historical_title", lang), _note(label("historical_note", lang))]
    if all(frame.empty for frame in cv.historical.values()):
        parts.append(f"<p>{e(label('no_history', lang))}</p>")
    for dimension, frame in cv.historical.items():
        if frame.empty:
            continue
        columns: dict[str, tuple[str, Formatter]] = {
            dimension: (dimension, text),
            "customers": ("cohort_size", integer),
            "revenue_per_customer": ("revenue_per_customer", money),
            "ltv": ("ltv", money),
            "repeat_rate": ("repeat_rate", ratio),
            "index": ("index", two),
        }
        parts.append(f"<h3>{e(label(dimension, lang))}</h3>" + _table(frame, columns, lang))
    if not cv.ltv_by_year.empty:
        years = cv.ltv_by_year.assign(period=lambda f: [str(pd.Timestamp(p).year) for p in f["period"]])
        columns = {
            "period": ("acquisition_year", text),
            "customers": ("cohort_size", integer),
            "ltv": ("gp_to_date", money),
        }
        parts.append(f"<h3>{e(METRICS['customer_ltv'].label(lang))}</h3>" + _table(years, columns, lang))
    return HtmlFragment("".join(parts))


def predictive_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Predictive LTV: the method and the hold-out check by decile."""
    prediction = result.customers.prediction
    head = _h2("predictive_title", lang)
    if prediction is None:
        key = "model_failed" if result.customers.prediction_note == "model_failed" else "no_prediction"
        return HtmlFragment(head + f"<p>{e(label(key, lang))}</p>")
    holdout = prediction.holdout
    months = round((pd.Timestamp(str(holdout["end"])) - pd.Timestamp(str(holdout["cutoff"]))).days / 30.44)
    bg, gg = prediction.purchase_model, prediction.spend_model
    totals = {k: float(holdout[k]) for k in ("predicted", "actual", "ratio", "revenue_ratio")}
    method = [
        _note(label("predictive_note", lang).format(cutoff=holdout["cutoff"], months=months)),
        _note(
            label("model_params", lang).format(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, p=gg.p, q=gg.q, gamma=gg.gamma)
        ),
        *(
            [
                _note(
                    label("sample_note", lang).format(
                        sample=prediction.sample, population=prediction.population, candidates=TOP_CANDIDATES
                    )
                )
            ]
            if prediction.sample
            else []
        ),
        f"<h3>{e(label('calibration_title', lang))}</h3>",
        f"<p>{e(label('calibration_summary', lang).format(**totals))}</p>",
        _table(
            prediction.calibration,
            {
                "decile": ("decile", integer),
                "customers": ("cohort_size", integer),
                "predicted": ("predicted", two),
                "actual": ("actual", two),
                "ratio": ("ratio", two),
                "predicted_revenue": ("predicted_revenue", money),
                "actual_revenue": ("actual_revenue", money),
                "revenue_ratio": ("revenue_ratio", two),
            },
            lang,
        ),
    ]
    return HtmlFragment(head + methods_note("".join(method)))


def forecast_section(result: CollectionsCustomersResult, lang: str) -> HtmlFragment:
    """Predicted gross profit over the horizon by segment, industry and channel, and the top customers."""
    prediction = result.customers.prediction
    if prediction is None:
        return HtmlFragment("")
    parts = [f"<h3>{e(label('predicted_gp', lang).format(months=prediction.horizon_months))}</h3>"]
    for dimension, frame in prediction.by_dimension.items():
        columns: dict[str, tuple[str, Formatter]] = {
            dimension: (dimension, text),
            "customers": ("cohort_size", integer),
            "predicted_gp": ("predicted_gp_col", money),
            "per_customer": ("per_customer", money),
            "share": ("gp_share", ratio),
        }
        parts.append(f"<h4>{e(label(dimension, lang))}</h4>" + _table(frame, columns, lang))
    columns = {
        "name": ("customer", text),
        "segment": ("segment", text),
        "purchases": ("purchases", integer),
        "p_alive": ("p_alive", ratio),
        "predicted_purchases": ("predicted_purchases", two),
        "predicted_value": ("predicted_value", money),
        "predicted_gp": ("predicted_gp_col", money),
    }
    parts.append(f"<h4>{e(label('top_predicted', lang))}</h4>" + _table(prediction.top, columns, lang))
    return HtmlFragment("".join(parts))


# --------------------------------------------------------------------------- the notebook's view of a result


def summary_html(result: CollectionsCustomersResult, lang: str = "zh") -> str:
    """The headline figures as a small table (how a result shows when a notebook cell ends with it)."""
    rows = []
    if result.receivables is not None:
        for r in cast("Iterable[Any]", result.receivables.tiles.itertuples()):  # rows' types are known at run time
            rows.append(
                (
                    r.key,
                    metric_value(
                        r.value,
                        "ratio" if r.unit == "ratio" else "days" if r.unit in ("days", "index") else "currency",
                        lang,
                    ),
                )
            )
    rows.append(("customers", formatted(result.customers.customers, ",")))
    rows.append(("key_accounts_at_risk", str(len(result.churn))))
    head = f"<th>{html.escape(label('summary_item', lang))}</th><th>{html.escape(label('summary_value', lang))}</th>"
    body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table class='salesops-tiles'><tr>{head}</tr>{body}</table>"
