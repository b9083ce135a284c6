"""Findings: the structured statements every analysis returns and the monthly review reuses.

A finding says what happened, how much, where, the likely cause and the recommended action,
as data — the words (zh/en) are made from it by :mod:`salesops_lib.report.findings_text`, so the
same finding reads the same in the review, the alerts and the dashboard.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["high", "medium", "low", "info"]
SEVERITY_RANK: dict[str, int] = {"high": 3, "medium": 2, "low": 1, "info": 0}


@dataclass(frozen=True)
class Finding:
    """One statement about the period.

    ``kind`` names the template that words it; ``facts`` holds the numbers and names the
    template uses. ``cause`` and ``action`` are template keys with their own facts.
    """

    analysis: str
    kind: str
    severity: Severity
    #: where: org level and unit id ("company", "company") or ("region", "east")
    level: str
    unit: str
    metric: str
    value: float | None
    baseline: float | None
    period: str
    #: money at stake in the currency (for ranking across analyses)
    at_stake: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)
    cause: str = ""
    action: str = ""

    @property
    def id(self) -> str:
        """Stable across reruns of the same period: analysis, kind, unit, metric, period."""
        key = f"{self.analysis}|{self.kind}|{self.level}|{self.unit}|{self.metric}|{self.period}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    @property
    def change(self) -> float | None:
        """Relative change of value against baseline (None when not defined)."""
        if self.value is None or self.baseline in (None, 0):
            return None
        return self.value / self.baseline - 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (findings.json): the fields plus the derived ``id`` and ``change``."""
        return {"id": self.id, **asdict(self), "change": self.change}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Finding:
        """The finding written by :meth:`to_dict` (derived and extra keys such as ``link`` are
        ignored); a record missing a field, or with an unknown one, is a :class:`TypeError`.
        """
        return cls(**{k: v for k, v in record.items() if k not in DERIVED_KEYS})


DERIVED_KEYS = frozenset({"id", "change", "link", "text"})
"""Keys of a finding record that are not fields: derived (``id``, ``change``) or added by the
runner (``link`` to the report page, ``text``: the sentence in zh and en, units by name)."""


def findings_from_json(text: str) -> list[Finding]:
    """The findings of a ``findings.json`` text (a list of :meth:`Finding.to_dict` records)."""
    return [Finding.from_dict(record) for record in json.loads(text)]


def rank(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    """Most severe first, then most money at stake (none when missing or not finite)."""
    return sorted(findings, key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), -_stake(f.at_stake), str(f.unit)))


def subject(finding: Finding) -> tuple[str, ...]:
    """What a finding is about, across analyses: a customer is one subject whichever analysis
    flags it (the forecast's key-account decline and collections' key-account churn apply the
    same churn rule to the same account); any other finding is its own subject (its :attr:`~Finding.id`).
    """
    if finding.level == "customer":
        return (finding.level, str(finding.unit), finding.period)
    return (finding.id,)


def distinct(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    """:func:`rank`-ed ``findings`` with one finding per :func:`subject` (its most severe, then
    most money at stake; on a tie the first handed over): what the index, ``findings.json``, the
    alerts and the monthly review list.
    """
    seen: set[tuple[str, ...]] = set()
    out = []
    for finding in rank(findings):
        key = subject(finding)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _stake(value: object) -> float:
    try:
        number = abs(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0
