"""Words for findings: zh/en templates filled from a finding's structured facts.

Each report's word catalogue (``report/<analysis>/labels.yaml``, section ``findings``) holds one
entry per finding kind; a finding is worded by the entry of its ``analysis`` and ``kind``, and
an unknown analysis or kind is an error, never a silent generic sentence. Templates are ``str.format`` strings over the finding's ``facts``
plus the standard fields below, so the words never drift from the numbers.

Standard fields: ``where`` (unit, or nothing at company level), ``metric`` (label),
``value``, ``baseline`` (formatted for the metric's unit), ``change`` (relative, as %),
``direction`` (rose/fell · 上升/下降), ``at_stake`` (money).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from salesops_lib.analyses.findings import Finding
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import MISSING, MISSING_TEXT, fill, is_missing_number
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.money import Amount, metric_value, money
from salesops_lib.report.names import names_list, unit_name

log = logging.getLogger(__name__)

NAMED_FACTS: dict[str, str | None] = {
    "owner": "rep",
    "rep": "rep",
    "reps": "rep",
    "team": "team",
    "region": "region",
    "segment": "segment",
    "channel": "channel",
    "industry": "industry",
    "units": None,
    "parent": None,
    "adopting": None,
    "control": None,
}
"""Facts that hold codes (a comma list of them), by the kind that names them (None: units of any
org level); a fact that is not text (``reps`` as a count) is left as it is."""
KIND_FACTS = {"driver_segment": "driver_dimension"}
"""Facts that hold a code whose kind another fact names (a funnel driver: its dimension)."""


@dataclass(frozen=True)
class FindingText:
    """The zh and en sentence of one kind of finding.

    ``words`` translates coded facts: ``{"basis": {"prev": ("环比", "vs the previous month")}}``
    makes ``{basis}`` read 环比 or "vs the previous month". ``actions`` words the finding's
    ``action`` code (zh, en), appended to the sentence.
    """

    zh: str
    en: str
    words: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    actions: dict[str, tuple[str, str]] = field(default_factory=dict)


GENERIC = FindingText(
    zh="{where}{metric}{direction}{change}（本期 {value}，基准 {baseline}）。",
    en="{where}{metric} {direction} {change} ({value} vs {baseline}).",
)


def templates(analysis: str) -> dict[str, FindingText]:
    """Every finding template of ``analysis``, by kind, from its word catalogue."""
    return _templates(analysis)


@cache
def _templates(analysis: str) -> dict[str, FindingText]:
    words = catalogue(analysis)
    return {kind: _from_entry(entry, words.words) for kind, entry in words.findings.items()}


def _from_entry(entry: dict[str, Any], shared: dict[str, dict[str, tuple[str, str]]]) -> FindingText:
    def table(codes: str | dict[str, Any]) -> dict[str, tuple[str, str]]:
        if isinstance(codes, str):  # the name of a shared table
            return shared[codes]
        return {str(code): (pair[0], pair[1]) for code, pair in codes.items()}

    return FindingText(
        zh=entry["zh"],
        en=entry["en"],
        words={fact: table(codes) for fact, codes in (entry.get("words") or {}).items()},
        actions={str(code): (pair[0], pair[1]) for code, pair in (entry.get("actions") or {}).items()},
    )


def template_for(finding: Finding) -> FindingText:
    """The template of ``finding``; an analysis or kind without words is a :class:`KeyError`."""
    table = templates(finding.analysis)
    if finding.kind not in table:
        raise KeyError(
            f"no words for finding kind {finding.kind!r} of {finding.analysis!r}: "
            f"add them under `findings:` in report/{finding.analysis}/labels.yaml"
        )
    return table[finding.kind]


def finding_fields(finding: Finding, lang: str) -> dict[str, Any]:
    """The standard fields plus the finding's own facts, formatted for ``lang``."""
    metric = METRICS.get(finding.metric)
    unit = metric.unit if metric else "count"
    change = _number(finding.facts.get("change", finding.change))
    zh = lang == "zh"
    place = MISSING_TEXT if is_missing_number(finding.unit) else _place(finding.level, finding.unit, lang)
    where = "" if finding.level == "company" else (f"{place}：" if zh else f"{place}: ")
    rose = change is not None and change >= 0
    fields: dict[str, Any] = {
        "where": where,
        "unit": place,
        "metric": metric.label(lang) if metric else finding.metric,
        "value": metric_value(finding.value, unit, lang),
        "baseline": metric_value(finding.baseline, unit, lang),
        "change": _change_text(change, finding, unit, lang),
        "direction": ("上升" if rose else "下降") if zh else ("rose" if rose else "fell"),
        "at_stake": money(finding.at_stake, lang),
        "period": finding.period,
    }
    for key, value in finding.facts.items():
        fields.setdefault(key, MISSING if is_missing_number(value) else _named_fact(key, value, finding.facts, lang))
    return fields


def _change_text(change: float | None, finding: Finding, unit: str, lang: str) -> str:
    """The size of a change: a rate's in percentage points (value − baseline), any other's relative."""
    if change is None:
        return MISSING_TEXT
    value, baseline = _number(finding.value), _number(finding.baseline)
    if unit == "ratio" and value is not None and baseline is not None:
        return t("points", lang).format(points=f"{abs(value - baseline) * 100:.1f}")
    return f"{abs(change):.1%}"


def _named_fact(key: str, value: Any, facts: Mapping[str, Any], lang: str) -> Any:
    """A fact that holds codes (:data:`NAMED_FACTS`, :data:`KIND_FACTS`) as names; any other as it is."""
    if not (isinstance(value, str) and value):
        return value
    if key in NAMED_FACTS:
        return names_list(value, NAMED_FACTS[key], lang)
    if key in KIND_FACTS and isinstance(facts.get(KIND_FACTS[key]), str):
        return unit_name(facts[KIND_FACTS[key]], value, lang)
    return value


def _place(level: str, unit: str, lang: str) -> str:
    """Where a finding is, by name (a comma list of units, each by name)."""
    if "," in unit:
        return names_list(unit, level if level in ("region", "team", "rep") else None, lang)
    return unit_name(level, unit, lang)


def finding_text(finding: Finding, lang: str) -> str:
    """One sentence plus the recommended action for ``finding`` in ``lang`` (zh or en).

    Missing facts print as a dash. A finding whose facts do not fit its template (a wrong type)
    is worded by the generic template instead, with a logged note: one odd finding never fails
    a page. Only a finding the generic template cannot word either raises (a :class:`ValueError`).
    """
    template = template_for(finding)
    try:
        text = _worded(finding, lang, template)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        log.warning("finding %s/%s (%s) worded generically: %s", finding.analysis, finding.kind, finding.unit, exc)
        try:
            text = _worded(finding, lang, GENERIC)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as again:
            raise ValueError(f"finding {finding.analysis}/{finding.kind} cannot be worded: {again}") from again
    caveats = caveat_texts(finding.facts.get("caveats") or [], lang)
    return "".join([text, *caveats]) if lang == "zh" else " ".join([text, *caveats])


def caveat_texts(caveats: list[dict[str, Any]], lang: str) -> list[str]:
    """The sentences of a finding's caveats (``facts["caveats"]``, set by the data-coverage guard:
    :func:`salesops_lib.analyses.coverage.guard_findings`).
    """
    texts = []
    for caveat in caveats:
        fields = {k: v for k, v in caveat.items() if k != "code"}
        if "method" in fields:
            fields["method"] = t(f"method_{fields['method']}", lang)
        if isinstance(fields.get("share"), int | float):
            fields["share"] = f"{float(fields['share']):.1%}"
        if isinstance(fields.get("reasons"), list):
            fields["reasons"] = t("reason_separator", lang).join(weak_reason_texts(fields["reasons"], fields, lang))
        texts.append(t(f"caveat_{caveat['code']}", lang).format(**fields))
    return texts


def weak_reason_texts(reasons: Sequence[str], figures: Mapping[str, Any], lang: str) -> list[str]:
    """Why a forecast is weak, one phrase per reason code (``weak_<code>`` in the glossary)
    filled with ``figures`` (months, windows, needed_months, needed_windows, vs_snaive).

    Examples
    --------
    >>> weak_reason_texts(["few_backtests"], {"windows": 1, "needed_windows": 8}, "en")
    ['1 complete backtest window(s) (at least 8 needed)']
    """
    return [t(f"weak_{code}", lang).format(**figures) for code in reasons]


def _fact(value: Any, lang: str) -> Any:
    """A fact for a template: missing as a dash, a number as an :class:`Amount` (so ``{x:money}``
    sizes it in 万/亿 or K/M while ``{x:,.0f}`` and ``{x:.1%}`` print as before), else as is.
    """
    return Amount(value, lang) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _number(value: Any) -> float | None:
    """``value`` as a finite float, None when it is missing or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if is_missing_number(number) else number


def _worded(finding: Finding, lang: str, template: FindingText) -> str:
    zh = lang == "zh"
    fields = {key: _fact(value, lang) for key, value in finding_fields(finding, lang).items()}
    for key, table in template.words.items():
        pair = table.get(str(finding.facts.get(key)))
        if pair:
            fields[key] = pair[0] if zh else pair[1]
    sentence = fill(template.zh if zh else template.en, **fields)
    pair = template.actions.get(finding.action)
    if not pair:
        return sentence
    action = fill(pair[0] if zh else pair[1], **fields)
    return sentence + action if zh else f"{sentence} {action}"
