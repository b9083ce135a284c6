"""Match source columns to concepts and source tables to canonical tables.

By name: the headers of ``synonyms.yaml`` (Chinese and English, compared without case, spaces,
``_``, ``-``, ``.`` and brackets): an exact synonym, else the longest synonym the header contains.
By content: a name match only counts when the values look right (a date concept needs a date
column, an amount a number); a date or status column no name explains is still offered as a
weaker candidate. Each match carries its confidence and why, for the draft's ``# GUESS`` notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.onboard.profile import ColumnProfile, FolderProfile, SourceFile

#: below this a name match is not used (a candidate only)
MIN_SCORE = 0.5
_NOISE = re.compile(r"[\s_\-.()（）\[\]【】/:#：]+")


@dataclass(frozen=True)
class Vocabulary:
    """``synonyms.yaml``: concepts with their kind and names, table signs, status words."""

    kinds: dict[str, str]
    names: dict[str, tuple[str, ...]]
    tables: dict[str, dict[str, Any]]
    won: tuple[str, ...]
    lost: tuple[str, ...]
    stage_order: tuple[str, ...]


@cache
def synonyms() -> dict[str, Any]:
    """``synonyms.yaml`` as written (read once; :func:`vocabulary` and the period-series words
    read their parts of it).
    """
    path = files("salesops_lib.onboard") / "synonyms.yaml"
    raw: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"), where=str(path))
    return raw


@cache
def vocabulary() -> Vocabulary:
    """The onboarding vocabulary (read once)."""
    raw = synonyms()
    concepts = raw["concepts"]
    status = raw["status"]
    return Vocabulary(
        kinds={name: str(c["kind"]) for name, c in concepts.items()},
        names={name: tuple(norm(str(n)) for n in c["names"]) for name, c in concepts.items()},
        tables=dict(raw["tables"]),
        won=tuple(norm(str(w)) for w in status["won"]),
        lost=tuple(norm(str(w)) for w in status["lost"]),
        stage_order=tuple(norm(str(w)) for w in status["order"]),
    )


def norm(text: str) -> str:
    """A header or value as compared: lower case, without spaces and punctuation.

    Examples
    --------
    >>> norm("Opportunity Owner"), norm("sales_agent"), norm("签约日期（合同）")
    ('opportunityowner', 'salesagent', '签约日期合同')
    """
    return _NOISE.sub("", text.strip().lower())


@dataclass(frozen=True)
class Match:
    """A source column read as a concept, with a confidence in [0, 1] and the reason."""

    column: str
    concept: str
    score: float
    why: str

    @property
    def level(self) -> str:
        """``high``, ``medium`` or ``low``."""
        return "high" if self.score >= 0.85 else ("medium" if self.score >= 0.65 else "low")


#: a header that reads like an id (a partial name match of an id concept needs one)
ID_HEADER = re.compile(r"(编号|单号|号码|代码|ID|Id|id|No\.?$|Number|number|Code|code|#)")


def _kind_fits(kind: str, col: ColumnProfile) -> bool:
    if col.kind == "empty":
        return False
    if kind == "date":
        return col.kind == "date"
    if kind == "number":
        return col.kind == "number"
    if kind == "text":
        return col.kind == "text"
    if kind == "id":
        return col.kind in ("text", "number") and not (col.kind == "number" and not col.integral)
    return True


def name_score(header: str, concept: str) -> tuple[float, str]:
    """How well ``header`` names ``concept`` by the vocabulary: (score, synonym) or (0, "")."""
    h = norm(header)
    if not h:
        return 0.0, ""
    best, best_syn = 0.0, ""
    for i, syn in enumerate(vocabulary().names[concept]):
        if h == syn:
            return 0.95 - 0.001 * min(i, 40), syn  # ties go to the synonym listed first
        cjk = any("\u4e00" <= ch <= "\u9fff" for ch in syn)
        if len(syn) >= (2 if cjk else 4) and syn in h:
            score = 0.55 + 0.3 * len(syn) / len(h)
            if score > best:
                best, best_syn = score, syn
    return best, best_syn


def column_matches(source: SourceFile) -> list[Match]:
    """Every plausible (column, concept) reading of ``source``, best first."""
    voc = vocabulary()
    found: list[Match] = []
    for col in source.columns:
        explained = False
        for concept, kind in voc.kinds.items():
            score, syn = name_score(col.name, concept)
            if score <= 0:
                continue
            exact = syn == norm(col.name)
            what = f'header "{col.name}" is "{syn}"' if exact else f'header "{col.name}" contains "{syn}"'
            if not _kind_fits(kind, col):
                found.append(Match(col.name, concept, min(score, 0.2), f"{what}, but its values are {col.kind}"))
                continue
            if kind == "id" and not exact and not ID_HEADER.search(col.name):
                # `lead_type` contains "lead" but is no lead id: a partial name match needs an id-like header
                found.append(Match(col.name, concept, min(score, 0.3), f"{what}, but it is not named like an id"))
                continue
            explained = True
            if kind == "id" and col.unique:
                score, what = min(score + 0.04, 0.99), what + ", unique"
            found.append(Match(col.name, concept, score, what))
        if explained:
            continue
        # by content alone
        if col.kind == "text" and is_status_column(col):
            found.append(Match(col.name, "stage", 0.6, f'values of "{col.name}" are won/lost words'))
        elif col.kind == "date":
            for concept in ("created_date", "close_date", "order_date", "activity_date"):
                found.append(
                    Match(col.name, concept, 0.35, f'"{col.name}" holds dates ({col.date_min} … {col.date_max})')
                )
        elif col.kind == "number" and not col.integral:
            found.append(Match(col.name, "amount", 0.35, f'"{col.name}" holds decimal numbers'))
    return sorted(found, key=lambda m: -m.score)


def status_of(value: str) -> str | None:
    """``won``, ``lost`` or None for a stage/status value, by the vocabulary's words.

    Examples
    --------
    >>> status_of("Closed Won"), status_of("赢单"), status_of("输单"), status_of("Engaging")
    ('won', 'won', 'lost', None)
    """
    voc = vocabulary()
    v = norm(value)
    for status, words in (("lost", voc.lost), ("won", voc.won)):
        if v in words:
            return status
    for status, words in (("lost", voc.lost), ("won", voc.won)):
        if any(len(w) >= 2 and w in v for w in words):
            return status
    return None


def is_status_column(col: ColumnProfile) -> bool:
    """A small value set holding both a won and a lost word."""
    found = {status_of(v) for v in col.values}
    return {"won", "lost"} <= found


def best(
    matches: list[Match], concept: str, *, minimum: float = MIN_SCORE, exclude: tuple[str, ...] = ()
) -> Match | None:
    """The best match of ``concept`` at or above ``minimum``."""
    return next((m for m in matches if m.concept == concept and m.score >= minimum and m.column not in exclude), None)


def candidates(matches: list[Match], concept: str) -> list[str]:
    """Columns offered for ``concept`` below the usable score (for TODO notes)."""
    return list(dict.fromkeys(m.column for m in matches if m.concept == concept and m.score > 0.2))


@dataclass(frozen=True)
class Classified:
    """A profiled table read as a canonical table, with the score and its reasons."""

    label: str
    table: str
    score: float
    why: str


def classify(profile: FolderProfile) -> dict[str, list[Classified]]:
    """Canonical table → the profiled tables that look like it, best first.

    Each table is scored on its file or sheet name, its key concept (unique for dimension
    tables) and the table's sign concepts; a profiled table goes to its best-scoring canonical
    table, when that scores at least 2.
    """
    voc = vocabulary()
    out: dict[str, list[Classified]] = {}
    for source in profile.files:
        matches = column_matches(source)
        scored: list[Classified] = []
        for table, rule in voc.tables.items():
            score, reasons = 0.0, []
            words = [w for w in rule.get("files", []) if str(w).lower() in source.stem]
            if words:
                score += 2
                reasons.append(f'name has "{words[0]}"')
            keys = rule["key"] if isinstance(rule["key"], list) else [rule["key"]]
            key = next((m for m in (best(matches, k) for k in keys) if m is not None), None)
            if key is not None:
                col = source.column(key.column)
                if not rule.get("unique", False) or col.unique:
                    score += 2
                    reasons.append(f'key "{key.column}"' + (" (unique)" if col.unique else ""))
            signs = [c for c in rule.get("signs", []) if best(matches, c) is not None]
            score += len(signs)
            if signs:
                reasons.append("has " + ", ".join(signs))
            if table == "opportunities" and best(matches, "stage") and _stage_is_status(source, matches):
                score += 1
                reasons.append("won/lost values")
            if table in ("reps", "customers", "products", "managers") and len(source.columns) > 12:
                score -= 2  # a wide file is a fact table, not a dimension
            scored.append(Classified(source.label, table, score, "; ".join(reasons)))
        top = max(scored, key=lambda c: c.score)
        if top.score >= 2:
            out.setdefault(top.table, []).append(top)
    for items in out.values():
        items.sort(key=lambda c: -c.score)
    return out


def _stage_is_status(source: SourceFile, matches: list[Match]) -> bool:
    m = best(matches, "stage")
    return m is not None and is_status_column(source.column(m.column))
