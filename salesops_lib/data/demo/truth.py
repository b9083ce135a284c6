"""The truth manifest: what the generator planted (or, in the null variant, did not), where,
when, how big, and how to measure it — stored as JSON in the ``_truth`` table of the DuckDB
file and beside it as ``<file>.truth.json``.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from salesops_lib.errors import SourceError

EFFECT_KINDS: tuple[str, ...] = (
    "conversion_drop",
    "low_efficiency_team",
    "expo_low_roi",
    "persistent_underperformance",
    "edge_no_alert",
    "churn_risk",
    "process_change",
    "collections_slip",
    "budget_overrun",
    "forecast_truth",
    "activity_effect",
    "ramp_curve",
)
"""Effect kinds in manifest order. The last three are properties of the generator (active in
both variants); the others are planted anomalies (``active`` only in the planted variant)."""


@dataclass(frozen=True)
class Effect:
    """One planted effect (or generator property) and its measurement."""

    id: str
    kind: str
    active: bool
    description: str
    #: org level and unit ids, channel, stage, category … the effect applies to
    where: dict[str, Any]
    #: dates and periods (ISO dates)
    when: dict[str, Any]
    #: ``designed`` numbers and the ``measured`` ones (by the definition in ``measure``)
    magnitude: dict[str, Any]
    #: the canonical metric or measure it moves
    metric: str
    #: "down", "up" or "none"
    direction: str
    #: exact definition of the measurement
    measure: str


@dataclass(frozen=True)
class Truth:
    """The manifest of one demo dataset."""

    generator_version: str
    size: str
    variant: str
    seed: int
    as_of: str
    start: str
    effects: tuple[Effect, ...]
    org: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def effect(self, kind: str) -> Effect:
        """The effect of ``kind`` (or with that id)."""
        for e in self.effects:
            if kind in (e.kind, e.id):
                return e
        raise KeyError(kind)

    @property
    def planted(self) -> tuple[Effect, ...]:
        """The active effects."""
        return tuple(e for e in self.effects if e.active)

    def to_json(self) -> str:
        """The manifest as indented JSON (UTF-8 text, Chinese names kept readable)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, default=str)

    @classmethod
    def from_json(cls, text: str) -> Truth:
        """Parse a manifest written by :meth:`to_json`."""
        data = json.loads(text)
        data["effects"] = tuple(Effect(**e) for e in data["effects"])
        data["notes"] = tuple(data.get("notes", ()))
        return cls(**data)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(e.kind)}</td><td>{'yes' if e.active else 'no'}</td>"
            f"<td>{html.escape(json.dumps(e.where, ensure_ascii=False))}</td>"
            f"<td>{html.escape(e.description)}</td></tr>"
            for e in self.effects
        )
        return (
            f"<div><h4>Demo truth — {self.size}/{self.variant}, seed {self.seed}, as of {self.as_of}</h4>"
            f"<table><tr><th>kind</th><th>active</th><th>where</th><th>what</th></tr>{rows}</table></div>"
        )


def truth_path(path: Path | str) -> Path:
    """Where the manifest of a DuckDB file lives: ``<file>.truth.json``."""
    path = Path(path)
    return path.with_name(path.name + ".truth.json")


def load_truth(path: Path | str) -> Truth:
    """The truth manifest of a demo DuckDB file (from the JSON beside it, else the ``_truth`` table).

    Examples
    --------
    >>> load_truth("demo.duckdb").effect("conversion_drop").where  # doctest: +SKIP
    {'level': 'region', 'unit_id': 'south', 'channel': 'web', 'stage': 'lead'}
    """
    path = Path(path)
    beside = truth_path(path)
    if beside.is_file():
        return Truth.from_json(beside.read_text(encoding="utf-8"))
    if not path.is_file():
        raise SourceError("demo file not found", where=str(path), fix="generate it with `salesops demo-data`")
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT manifest FROM _truth").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise SourceError(
            "the file has no truth manifest",
            where=str(path),
            fix="only files written by `salesops demo-data` carry one",
        ) from exc
    if row is None:
        raise SourceError("the truth manifest is empty", where=str(path), fix="regenerate the demo file")
    return Truth.from_json(row[0])
