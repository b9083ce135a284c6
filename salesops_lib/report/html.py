"""Small HTML fragments for notebook outputs and index pages. Every text from data is escaped."""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import MISSING_TEXT, format_change, is_missing_number
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.i18n import t
from salesops_lib.report.money import MoneyText, metric_value

log = logging.getLogger(__name__)

TILE_CSS = """
.so-tiles{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 16px}
.so-tile{border:1px solid #d8dee6;border-radius:6px;padding:10px 14px;min-width:150px;background:#fafbfc}
.so-tile .so-label{color:#51606f;font-size:12px}
.so-tile .so-value{font-size:22px;font-weight:600;color:#1f2d3d;margin:2px 0}
.so-tile .so-delta{font-size:12px;color:#51606f}.so-tile .so-delta span{white-space:nowrap}
.so-tile .so-goal{font-size:12px;color:#1f2d3d}
@media (max-width:520px){.so-tiles{gap:8px}.so-tile{min-width:0;flex:1 1 calc(50% - 8px);box-sizing:border-box;padding:8px 10px}
.so-tile .so-value{font-size:19px}}
.so-status-good{border-left:5px solid #2e7d4f}.so-status-warn{border-left:5px solid #e0a030}.so-status-bad{border-left:5px solid #c8423b}
.so-good{color:#2e7d4f!important}.so-bad{color:#c8423b!important}
.so-findings li{margin:4px 0}.so-sev{font-size:11px;padding:1px 6px;border-radius:8px;margin-right:6px;color:#fff}
.so-table td.so-short{background:#fbe3e1;color:#9c2f29}.so-table td.so-met{background:#e3f2e8;color:#23603c}
.so-sev-high{background:#c8423b}.so-sev-medium{background:#e07b39}.so-sev-low{background:#6b7b8c}.so-sev-info{background:#9aa6b2}
"""


@dataclass(frozen=True)
class HtmlFragment:
    """HTML that displays itself in Jupyter and in nbconvert pages."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def e(value: object) -> str:
    """Escape any value for HTML text and attributes."""
    return html.escape(str(value), quote=True)


def tiles_html(tiles: pd.DataFrame, lang: str) -> str:
    """KPI tiles: value, then the change vs previous month and vs last year, coloured by direction
    (a rate's change in percentage points, any other's relative); a tile with a ``target`` also
    shows it, and its border the status of the attainment (``vs_target``, :func:`attainment_status`).
    """
    parts = []
    # a tile row's values are known only at run time (a change may be None or NaN)
    for row in cast("Iterable[Any]", tiles.itertuples()):
        deltas = []
        for key, change, base in (
            ("vs_prev", row.change_prev, getattr(row, "previous", None)),
            ("vs_yoy", row.change_yoy, getattr(row, "last_year", None)),
        ):
            css = ""
            if change == change and change is not None:  # not NaN
                css = "so-good" if (change >= 0) == bool(row.higher_is_better) else "so-bad"
            text = change_text(row.value, base, change, row.unit, lang)
            deltas.append(f"<span class='{css}'>{e(t(key, lang))} {e(text)}</span>")
        metric = row.metric
        target, status = getattr(row, "target", None), attainment_status(getattr(row, "vs_target", None))
        goal = (
            f"<div class='so-goal'>{e(t('tile_target', lang))} {e(metric_value(target, row.unit, lang))}"
            f" · {e(t('attained', lang))} {e(metric_value(row.vs_target, 'ratio', lang))}</div>"
            if status and not is_missing_number(target) and target is not None
            else ""
        )
        css = f"so-tile so-status-{status}" if status else "so-tile"
        parts.append(
            f"<div class='{css}' data-metric='{e(metric)}'>"
            f"<div class='so-label'>{e(tile_label(metric, getattr(row, 'cohort', ''), lang))}</div>"
            f"<div class='so-value'>{e(metric_value(row.value, row.unit, lang))}</div>{goal}"
            f"<div class='so-delta'>{' · '.join(deltas)}</div></div>"
        )
    cohorts = tiles["cohort"].fillna("").astype(str) if "cohort" in tiles else pd.Series(dtype=str)
    note = f"<p class='so-note'>{e(t('cohort_tiles_note', lang))}</p>" if cohorts.ne("").any() else ""
    return f"<style>{TILE_CSS}</style><div class='so-tiles'>{''.join(parts)}</div>{note}"


ATTAINMENT_BANDS = ((1.0, "good"), (0.9, "warn"))
"""Attainment at or above 100 % is good, from 90 % a warning, below it bad."""


def attainment_status(attainment: object) -> str:
    """``good``, ``warn`` or ``bad`` for an attainment (a ratio), "" when there is none.

    >>> attainment_status(1.02), attainment_status(0.95), attainment_status(0.8), attainment_status(None)
    ('good', 'warn', 'bad', '')
    """
    if attainment is None or is_missing_number(attainment):
        return ""
    return next((name for floor, name in ATTAINMENT_BANDS if float(attainment) >= floor), "bad")  # type: ignore[arg-type]


def change_text(value: object, baseline: object, change: object, unit: str, lang: str) -> str:
    """A tile's change: a rate's in percentage points (``value − baseline``), any other's relative.

    >>> change_text(0.374, 0.352, 0.064, "ratio", "zh"), change_text(0.374, 0.352, 0.064, "ratio", "en")
    ('+2.2个百分点', '+2.2 pp')
    >>> change_text(120.0, 100.0, 0.2, "currency", "en")
    '+20.0%'
    """
    if unit != "ratio":
        return format_change(change)  # type: ignore[arg-type]
    if is_missing_number(value) or is_missing_number(baseline) or value is None or baseline is None:
        return MISSING_TEXT
    return t("points", lang).format(points=f"{(float(value) - float(baseline)) * 100:+.1f}")  # type: ignore[arg-type]


def tile_label(metric: str, cohort: object, lang: str) -> str:
    """A tile's metric label, with its cohort month (``cohort``, "YYYY-MM") for a cohort KPI shown
    at its matured cohort.
    """
    label = _metric_label(metric, lang)
    return f"{label} · {t('cohort_month', lang).format(month=cohort)}" if isinstance(cohort, str) and cohort else label


def _metric_label(metric: str, lang: str) -> str:
    return METRICS[metric].label(lang) if metric in METRICS else metric


def findings_html(
    findings: Iterable[Finding],
    lang: str,
    *,
    limit: int | None = None,
    wording: Callable[[Finding], str] | None = None,
    empty: str = "",
) -> str:
    """Findings as a list, most severe first, each as its zh/en sentence (``wording`` supplies
    sentences made earlier, e.g. stored with the dashboard's cube); ``empty``: what to say when
    there are none (the glossary's ``no_findings`` by default).
    """
    word = wording or (lambda f: finding_text(f, lang))
    ranked = rank(list(findings))[:limit]
    if not ranked:
        return f"<p>{e(empty or t('no_findings', lang))}</p>"
    items = "".join(_finding_item(f, word, lang) for f in ranked)
    return f"<style>{TILE_CSS}</style><ul class='so-findings'>{items}</ul>"


def _finding_item(finding: Finding, word: Callable[[Finding], str], lang: str) -> str:
    """One finding as a list item; a finding that cannot be worded is left out with a logged note."""
    try:
        text, severity = word(finding), t(finding.severity, lang)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("finding %s/%s left out of the page: %s", finding.analysis, finding.kind, exc)
        return ""
    return f"<li><span class='so-sev so-sev-{e(finding.severity)}'>{e(severity)}</span>{e(text)}</li>"


def table_html(
    frame: pd.DataFrame, *, index: bool = True, lang: str = "", tints: Mapping[str, Sequence[str]] | None = None
) -> str:
    """A data frame as an escaped HTML table: a missing cell is a dash, a missing row or column
    label (a pivot over a column with gaps) the glossary's ``unknown`` in ``lang`` (a dash without).
    ``tints`` (column label → one CSS class per row, e.g. from :func:`attainment_tints`) colour
    the cells of those columns.
    """
    unknown = t("unknown", lang) if lang else MISSING_TEXT
    frame = frame.rename(
        index=lambda v: unknown if is_missing_number(v) else v,
        columns=lambda v: unknown if is_missing_number(v) else v,
    )
    table = frame.to_html(index=index, escape=True, na_rep=MISSING_TEXT, border=0, classes="so-table")
    attributes = _exact_values(frame)
    for column, classes in (tints or {}).items():
        if column in frame.columns:
            c = list(frame.columns).index(column)
            for r, css in enumerate(classes):
                if css:
                    attributes[(r, c)] = f'{attributes.get((r, c), "")} class="{e(css)}"'
    return _with_cell_attributes(table, attributes) if attributes else table


def _exact_values(frame: pd.DataFrame) -> dict[tuple[int, int], str]:
    """The ``data-value`` attribute (exact amount) of ``frame``'s money cells (:class:`MoneyText`),
    by (row, data column) position, so the Excel download holds exact yuan.
    """
    return {
        (r, c): f' data-value="{float(cell.value)!r}"'
        for c in range(frame.shape[1])
        if frame.dtypes.iloc[c] is np.dtype(object)
        for r, cell in enumerate(frame.iloc[:, c])
        if isinstance(cell, MoneyText)
    }


_BODY_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_DATA_CELL = re.compile(r"<td>")


def _with_cell_attributes(table: str, attributes: Mapping[tuple[int, int], str]) -> str:
    """``table`` (pandas ``to_html``) with ``attributes`` added to the body cells at (row, data
    column); row labels are ``<th>`` and do not count.
    """
    head, _, body = table.partition("<tbody>")
    if not body:
        return table
    rows = itertools.count()

    def row(match: re.Match[str]) -> str:
        r, columns = next(rows), itertools.count()

        def cell(_: re.Match[str]) -> str:
            return f"<td{attributes.get((r, next(columns)), '')}>"

        return f"<tr>{_DATA_CELL.sub(cell, match.group(1))}</tr>"

    return f"{head}<tbody>{_BODY_ROW.sub(row, body)}"


def attainment_tints(values: Iterable[Any], *, goal: float = 1.0) -> list[str]:
    """One CSS class per value: ``so-short`` below ``goal`` (attainment under 100 %), ``so-met``
    at or above it, none when missing.

    Examples
    --------
    >>> attainment_tints([0.8, 1.0, None, float("nan")])
    ['so-short', 'so-met', '', '']
    """
    return ["" if is_missing_number(v) else "so-short" if float(v) < goal else "so-met" for v in values]


def worst_first(
    frame: pd.DataFrame, column: str, *, higher_is_better: bool = True, within: str | None = None
) -> pd.DataFrame:
    """``frame`` sorted worst ``column`` first (missing last), keeping the groups of ``within``
    (e.g. company, regions, teams) in the order they first appear.

    Examples
    --------
    >>> frame = pd.DataFrame({"level": ["region", "region", "team", "team"], "att": [1.1, 0.7, None, 0.9]})
    >>> worst_first(frame, "att", within="level")["att"].tolist()
    [0.7, 1.1, 0.9, nan]
    """
    ordered = frame.assign(_so_missing=frame[column].isna())
    if within is not None:
        first = {value: n for n, value in enumerate(dict.fromkeys(frame[within]))}
        ordered = ordered.assign(_so_group=frame[within].map(first))
        keys = ["_so_group", "_so_missing", column]
    else:
        keys = ["_so_missing", column]
    ascending = [True] * (len(keys) - 1) + [higher_is_better]
    return ordered.sort_values(keys, ascending=ascending, kind="stable").drop(
        columns=["_so_missing", "_so_group"], errors="ignore"
    )
