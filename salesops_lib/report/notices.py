"""What a page says before its first section about the data it ran on: a banner when the data
do not cover the period or a method lacks history, a note when a table was derived (a rep roster
from the facts) or sections were left out for want of a table, and the outlier deals with their
influence on the period's revenue. Empty when there is nothing to say (a page on complete data
is unchanged). Every word comes from ``report/glossary.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from salesops_lib.analyses.coverage import Coverage
from salesops_lib.report.formats import Columns, labelled_table, money, pct
from salesops_lib.report.html import e
from salesops_lib.report.i18n import t
from salesops_lib.report.names import namer

BANNER_CSS = (
    ".so-banner{border-left:4px solid #c8423b;background:#fdf1f0;padding:8px 12px;margin:8px 0}"
    ".so-note{border-left:4px solid #6b7b8c;background:#f4f6f8;padding:8px 12px;margin:8px 0}"
)
OUTLIER_COLUMNS: Columns = {
    "deal_id": ("outlier_deal", str),
    "at": ("outlier_date", str),
    "rep_id": ("outlier_rep", str),
    "customer_id": ("outlier_customer", str),
    "amount": ("outlier_amount", money),
    "share": ("outlier_share", pct),
    "z": ("outlier_z", lambda v: f"{float(v):.1f}"),
}


def notices_html(
    coverage: Coverage,
    derived: Mapping[str, str],
    skipped_sections: Mapping[str, tuple[str, ...]],
    lang: str,
    *,
    report: str,
) -> str:
    """The notices of one page (``report``: the report whose labels name its sections); "" when
    there is nothing to say.
    """
    parts = [_banner(coverage, lang), _derived(derived, lang), _skipped(skipped_sections, lang, report)]
    parts.append(_outliers(coverage, lang))
    body = "".join(parts)
    return f"<style>{BANNER_CSS}</style>{body}" if body else ""


def _banner(coverage: Coverage, lang: str) -> str:
    lines = [
        t("banner_partial_period", lang).format(table=r.table, data_end=r.last, end=coverage.period_end)
        for r in coverage.short_tables
    ]
    lines += [
        t("banner_short_history", lang).format(
            method=t(f"method_{s.method}", lang), needed=s.needed, months=s.available
        )
        for s in coverage.short_history
    ]
    return banner_html(t("banner_title", lang), lines) if lines else ""


def banner_html(title: str, lines: Sequence[str], note: str = "") -> str:
    """A red-edged banner (class ``so-banner``, styled by :data:`BANNER_CSS`): ``title`` in bold,
    ``lines`` as a list, then ``note``; the words escaped.

    Examples
    --------
    >>> banner_html("Careful", ["a < b"])
    "<div class='so-banner'><strong>Careful</strong><ul><li>a &lt; b</li></ul></div>"
    """
    items = "".join(f"<li>{e(line)}</li>" for line in lines)
    tail = f"<p>{e(note)}</p>" if note else ""
    return f"<div class='so-banner'><strong>{e(title)}</strong><ul>{items}</ul>{tail}</div>"


def _derived(derived: Mapping[str, str], lang: str) -> str:
    if "reps" not in derived:
        return ""
    return f"<div class='so-note'>{e(t('notice_derived_reps', lang))}</div>"


def _skipped(skipped: Mapping[str, tuple[str, ...]], lang: str, report: str) -> str:
    if not skipped:
        return ""
    items = "".join(
        f"<li>{e(t(label, lang, report))}: {e(t('needs_tables', lang).format(tables=', '.join(tables)))}</li>"
        for label, tables in skipped.items()
    )
    return f"<div class='so-note'><strong>{e(t('skipped_sections', lang))}</strong><ul>{items}</ul></div>"


def _outliers(coverage: Coverage, lang: str) -> str:
    if not coverage.outliers:
        return ""
    frame = pd.DataFrame([o.__dict__ for o in coverage.outliers])
    influence = t("outliers_influence", lang).format(
        with_=money(coverage.revenue, lang), without=money(coverage.revenue_without, lang)
    )
    named = {
        "rep_id": ("outlier_rep", namer("rep", lang)),
        "customer_id": ("outlier_customer", namer("customer", lang)),
    }
    table = labelled_table(frame, OUTLIER_COLUMNS | named, lambda key: t(key, lang), lang)
    return (
        f"<div class='so-note'><strong>{e(t('outliers_title', lang))}</strong>"
        f"<p>{e(t('outliers_rule', lang))} {e(influence)}</p>{table}</div>"
    )
