"""The truth battery: every analysis of the review run on demo worlds with known truth (planted
and null, many seeds and as-of dates), scored against the planted effects re-measured in plain
SQL (:mod:`tests.truth_sql`).

Used by the fast slice of the suite (``tests/test_truth_battery.py``) and by
``benchmarks/bench_truth.py`` (the full battery). One world is :func:`run_world`; a table of
worlds is :func:`score`.

Scoring. A planted effect is *recalled* when a finding of one of its kinds (:data:`RECALL`) names
its unit and moves in its direction, at severity low or above (``recall_alert``: medium or high).
A *false finding* is a medium or high finding on the null variant (distinct kind × unit).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tests.truth_sql import FINDING_NUMBER, MEASURES, measure

RECALL: dict[str, tuple[tuple[str, ...], str, int]] = {
    "conversion_drop": (("conversion_drop",), "unit_id", -1),
    "low_efficiency_team": (("low_efficiency",), "unit_id", -1),
    "expo_low_roi": (("campaign_low_roi",), "campaign_id", -1),
    "persistent_underperformance": (("persistent_underperformance",), "unit_id", -1),
    "churn_risk": (("key_account_churn", "key_account_risk", "churn_risk"), "customer_id", -1),
    "collections_slip": (("collections_slip",), "unit_id", 0),
    "budget_overrun": (("budget_overrun", "category_overrun"), "category", +1),
    "process_change": (("process_change_effect",), "", -1),
}
"""Truth effect kind → (finding kinds that report it, key of its unit in the truth's ``where``,
expected sign of value − baseline; 0: not checked)."""

ALERT = ("medium", "high")
SEEN = ("low", "medium", "high")

AS_OF_DATES = ("2025-06-30", "2024-11-30", "2026-03-31", "2025-09-30", "2026-01-31", "2024-08-31")
"""Month ends in different months (and around Spring Festival, National Day and year end)."""


def world_source(seed: int, variant: str, as_of: str, size: str = "small") -> str:
    """The demo shortcut of one world."""
    return f"demo:{size}{':null' if variant == 'null' else ''}:seed={seed}:{as_of}"


def run_world(seed: int, variant: str, as_of: str, size: str = "small") -> dict[str, Any]:
    """Every analysis' findings on one demo world (low severity and above) and the plain-SQL size
    of every planted effect there; JSON-ready."""
    from salesops_lib.catalog import period_findings
    from salesops_lib.config.scope import RunScope
    from salesops_lib.data import connect
    from salesops_lib.data.demo import load_truth

    source = world_source(seed, variant, as_of, size)
    data = connect(source)
    findings = period_findings(data, RunScope(source=source, period=as_of[:7], lang="en"))
    truth = load_truth(Path(data.source))
    with duckdb.connect(str(data.source), read_only=True) as con:
        sizes = {kind: measure(con, kind, truth.effect(kind)) for kind in MEASURES}
    effects = {kind: {"where": truth.effect(kind).where} for kind in RECALL}
    return {
        "seed": seed,
        "variant": variant,
        "as_of": as_of,
        "size": size,
        "sql": sizes,
        "effects": effects,
        "findings": [
            {
                "analysis": f.analysis,
                "kind": f.kind,
                "severity": f.severity,
                "unit": str(f.unit),
                "value": f.value,
                "baseline": f.baseline,
                "change": f.change,
            }
            for f in findings
            if f.severity in SEEN
        ],
    }


@dataclass
class Recall:
    """How one planted kind was found across planted worlds."""

    worlds: int = 0
    kind_seen: int = 0
    right_unit: int = 0
    right_direction: int = 0
    alert: int = 0
    errors: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of worlds where the effect was found (kind, unit, direction; low or above)."""
        return self.right_direction / self.worlds if self.worlds else float("nan")


def _units(finding: dict[str, Any]) -> tuple[str, ...]:
    return (finding["unit"], *finding["unit"].split(","))


def recalled(world: dict[str, Any], kind: str) -> tuple[bool, bool, bool, dict[str, Any] | None]:
    """(a finding of the kind, on the right unit, in the right direction) and the best such finding."""
    kinds, unit_key, sign = RECALL[kind]
    hits = [f for f in world["findings"] if f["kind"] in kinds]
    where = world["effects"][kind]["where"]
    on_unit = [f for f in hits if not unit_key or str(where[unit_key]) in _units(f)]

    def right(f: dict[str, Any]) -> bool:
        if not sign or f["value"] is None or f["baseline"] is None:
            return True
        return bool((f["value"] - f["baseline"]) * sign > 0)

    good = sorted((f for f in on_unit if right(f)), key=lambda f: -SEEN.index(f["severity"]))
    return bool(hits), bool(on_unit), bool(good), good[0] if good else None


def magnitude_error(world: dict[str, Any], kind: str, finding: dict[str, Any]) -> float | None:
    """Relative error of the finding's number against the plain-SQL measure (None: not comparable)."""
    truth = world["sql"].get(kind)
    number = finding.get(FINDING_NUMBER[kind])
    if truth in (None, 0) or number is None:
        return None
    return abs(float(number) - float(truth)) / abs(float(truth))


@dataclass
class Score:
    """A battery's result: recall per planted kind, false findings per null world."""

    recall: dict[str, Recall]
    null_worlds: int
    false_by_kind: Counter[str]
    false_high: int

    @property
    def false_per_review(self) -> float:
        """Medium-or-high findings per null world, on average."""
        return sum(self.false_by_kind.values()) / self.null_worlds if self.null_worlds else float("nan")

    def table(self) -> str:
        """The printed battery table."""
        lines = [
            f"{'planted kind':30} {'worlds':>6} {'recall':>7} {'alert':>6} {'kind':>6} {'unit':>6} {'dir':>6} {'mag.err':>8}",
        ]
        for kind, r in self.recall.items():
            err = f"{statistics.median(r.errors):.1%}" if r.errors else "—"
            lines.append(
                f"{kind:30} {r.worlds:6d} {r.recall:7.0%} {r.alert / max(r.worlds, 1):6.0%} "
                f"{r.kind_seen / max(r.worlds, 1):6.0%} {r.right_unit / max(r.worlds, 1):6.0%} "
                f"{r.right_direction / max(r.worlds, 1):6.0%} {err:>8}"
            )
        lines.append("")
        lines.append(
            f"null worlds: {self.null_worlds}; medium+ findings per null review: {self.false_per_review:.2f}; "
            f"high: {self.false_high}"
        )
        for kind, n in self.false_by_kind.most_common():
            lines.append(f"  {kind:28} {n:4d}  ({n / max(self.null_worlds, 1):.2f} per review)")
        return "\n".join(lines)


def score(worlds: Iterable[dict[str, Any]]) -> Score:
    """Recall per planted kind over the planted worlds and false findings over the null ones."""
    recall = {kind: Recall() for kind in RECALL}
    false_by_kind: Counter[str] = Counter()
    null_worlds = false_high = 0
    for world in worlds:
        if world["variant"] == "null":
            null_worlds += 1
            alerts = {(f["kind"], f["unit"]): f["severity"] for f in world["findings"] if f["severity"] in ALERT}
            false_by_kind.update(kind for kind, _ in alerts)
            false_high += sum(severity == "high" for severity in alerts.values())
            continue
        for kind, r in recall.items():
            r.worlds += 1
            seen, unit, direction, best = recalled(world, kind)
            r.kind_seen += seen
            r.right_unit += unit
            r.right_direction += direction
            if best is not None:
                r.alert += best["severity"] in ALERT
                error = magnitude_error(world, kind, best)
                if error is not None:
                    r.errors.append(error)
    return Score(recall, null_worlds, false_by_kind, false_high)
