"""Display names: what a page shows for a code that comes from the data.

Analyses return codes (``north``, ``southwest-05``, ``R000123``, ``follow-up``); names are a
presentation concern, looked up here by :func:`display` from two sources:

- **the run's names** (:class:`Names`, read once per run from the canonical name columns:
  ``reps.name``, ``reps.team_name``, ``reps.region_name``, ``customers.name``, ``products.name``,
  ``campaigns.name``). A rep whose ``exit_date`` is on or before the period end is marked as
  departed (「张三（已离职）」, "Zhang San (left)");
- **the vocabulary** (``report/vocabulary.yaml``): fixed code lists (stages, channels, segments,
  industries, campaign types, …), zh and en side by side.

A code with neither passes through unchanged (real exports bring their own words); a missing
value reads as the glossary's ``unknown``. :meth:`ReportContext.compute
<salesops_lib.report.notebook.ReportContext.compute>` installs the run's names
(:func:`use_names`), so page functions keep their ``(result, lang)`` signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.metrics.formatting import is_missing_number
from salesops_lib.report.i18n import Pair, catalogue_at, t

#: kinds named by the data: kind → (table, id column, name column)
DATA_NAMES: dict[str, tuple[str, str, str]] = {
    "rep": ("reps", "rep_id", "name"),
    "team": ("reps", "team", "team_name"),
    "region": ("reps", "region", "region_name"),
    "customer": ("customers", "customer_id", "name"),
    "product": ("products", "product_id", "name"),
    "campaign": ("campaigns", "campaign_id", "name"),
}
#: a kind whose table has more named rows than this is looked up code by code (:class:`LookedUpNames`)
EAGER_NAMES = 50_000
#: codes looked up per query
LOOKUP_BATCH = 2_000
#: org kinds: a code none of their own tables lists is looked up in the vocabulary's ``org`` table
ORG_KINDS = ("region", "team", "rep")


@dataclass(frozen=True)
class Names:
    """The names a run's data give its codes: kind → code → name, and the reps who have left.

    Examples
    --------
    >>> names = Names({"region": {"north": "华北"}, "rep": {"R1": "张三"}}, departed=frozenset({"R1"}))
    >>> display("region", "north", "zh", names), display("rep", "R1", "zh", names)
    ('华北', '张三（已离职）')
    >>> display("team", "south-02", "en", names), display("stage", "follow-up", "zh", names)
    ('south-02', '跟进')
    """

    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    departed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, data: Dataset, as_of: dt.date | None = None) -> Names:
        """The names ``data`` carry; reps who left on or before ``as_of`` are marked departed."""
        found: dict[str, Mapping[str, str]] = {}
        for kind, (table, key, name) in DATA_NAMES.items():
            if data.has(table) and data.has_values(table, name):
                expr = data.table(table)
                named_rows = expr.filter(expr[key].notnull() & expr[name].notnull()).select(key, name)
                if named_rows.count().execute() > EAGER_NAMES:
                    found[kind] = LookedUpNames(named_rows, key, name)
                else:
                    found[kind] = _first_names(named_rows.execute(), key, name)
        departed: frozenset[str] = frozenset()
        if as_of is not None and data.has("reps") and data.has_values("reps", "exit_date"):
            reps = data.table("reps")
            left = reps.filter(reps.exit_date.notnull() & (reps.exit_date <= as_of)).select("rep_id").execute()
            departed = frozenset(left["rep_id"].astype(str))
        return cls(found, departed)

    @classmethod
    def of_frames(cls, frames: Mapping[str, pd.DataFrame], departed: Iterable[str] = ()) -> Names:
        """The names in canonical frames already loaded (``{"reps": …, "customers": …}``, e.g. a
        dashboard cube's roster), with the rep ids in ``departed`` marked as departed.

        Examples
        --------
        >>> reps = pd.DataFrame(
        ...     {"rep_id": ["R1"], "name": ["张三"], "team": ["n-01"], "region": ["n"], "region_name": ["华北"]}
        ... )
        >>> names = Names.of_frames({"reps": reps}, departed=["R1"])
        >>> display("rep", "R1", "en", names), display("region", "n", "zh", names), display("team", "n-01", "zh", names)
        ('张三 (left)', '华北', 'n-01')
        """
        found: dict[str, dict[str, str]] = {}
        for kind, (table, key, name) in DATA_NAMES.items():
            frame = frames.get(table)
            if frame is not None and {key, name} <= set(frame.columns):
                found[kind] = _first_names(frame[[key, name]].dropna(), key, name)
        return cls(found, frozenset(str(rep) for rep in departed))


class LookedUpNames(Mapping[str, str]):
    """Code → name of one kind whose table is too large to read whole (a million customers):
    names are looked up in the engine when first asked (:meth:`prefetch` asks for many at once)
    and remembered. Iterating gives the names looked up so far.
    """

    def __init__(self, rows: Any, key: str, name: str) -> None:
        self._rows, self._key, self._name = rows, key, name
        self._known: dict[str, str | None] = {}

    def prefetch(self, codes: Iterable[object]) -> None:
        """Look up every code of ``codes`` not asked before, in batches of one query each."""
        todo = sorted({str(c) for c in codes if not is_missing_number(c)} - self._known.keys())
        for start in range(0, len(todo), LOOKUP_BATCH):
            batch = todo[start : start + LOOKUP_BATCH]
            frame = self._rows.filter(self._rows[self._key].isin(batch)).execute()
            found = _first_names(frame, self._key, self._name)
            self._known.update({code: found.get(code) for code in batch})

    def __getitem__(self, code: str) -> str:
        self.prefetch([code])
        value = self._known.get(code)
        if value is None:
            raise KeyError(code)
        return value

    def __iter__(self) -> Iterator[str]:
        return (code for code, value in list(self._known.items()) if value is not None)

    def __len__(self) -> int:
        return sum(value is not None for value in self._known.values())


def prefetch(kind: str, codes: Iterable[object], names: Names | None = None) -> None:
    """Look up the names of many ``codes`` of ``kind`` at once (a table column about to be shown)."""
    table = (run_names() if names is None else names).names.get(kind)
    if isinstance(table, LookedUpNames):
        table.prefetch(codes)


def _first_names(frame: pd.DataFrame, key: str, name: str) -> dict[str, str]:
    """Code → name, the first name in code order when a code has several; a name that only
    repeats the code is left out (the code passes through anyway).
    """
    frame = frame.astype({key: str, name: str})
    frame[name] = frame[name].str.strip()
    frame = frame[frame[name].ne("") & frame[name].ne(frame[key])].sort_values([key, name])
    return dict(frame.drop_duplicates(key).itertuples(index=False, name=None))


_RUN: list[Names] = [Names()]
"""The names of the run in this process (one report run per kernel)."""


def use_names(names: Names) -> None:
    """Make ``names`` the names every :func:`display` of this process uses by default."""
    _RUN[0] = names


def run_names() -> Names:
    """The names installed by :func:`use_names` (none before a run)."""
    return _RUN[0]


@cache
def vocabulary() -> dict[str, dict[str, Pair]]:
    """The fixed vocabularies: kind → code → (zh, en), from ``report/vocabulary.yaml``."""
    return catalogue_at(files("salesops_lib.report") / "vocabulary.yaml", "vocabulary").words


def is_kind(kind: str) -> bool:
    """True when ``kind`` names codes (a data name or a vocabulary table), e.g. ``"region"``."""
    return kind in DATA_NAMES or kind in vocabulary()


def display(kind: str, code: object, lang: str, names: Names | None = None) -> str:
    """The name of ``code`` (a value of ``kind``: ``region``, ``team``, ``rep``, ``customer``,
    ``stage``, ``channel``, …) in ``lang``: the data's name, else the vocabulary's word, else the
    code as it is. A departed rep carries the glossary's ``rep_departed`` mark.

    Examples
    --------
    >>> display("channel", "referral", "zh"), display("channel", "抖音", "zh"), display("segment", "smb", "en")
    ('客户推荐', '抖音', 'SMB')
    """
    if is_missing_number(code):
        return t("unknown", lang)
    text = str(code)
    names = run_names() if names is None else names
    named = names.names.get(kind, {}).get(text) or _word(kind, text, lang)
    if kind == "rep" and text in names.departed:
        return t("rep_departed", lang).format(name=named)
    return named


def _word(kind: str, code: str, lang: str) -> str:
    words = vocabulary()
    pair = words.get(kind, {}).get(code)
    if pair is None and kind in ORG_KINDS:
        pair = words["org"].get(code)
    return code if pair is None else pair[0 if lang == "zh" else 1]


def unit_name(level: object, unit: object, lang: str, names: Names | None = None) -> str:
    """A unit of the org (or any level: customer, campaign, a segment's dimension) by name; the
    company as the glossary's ``company``.

    Examples
    --------
    >>> unit_name("company", "company", "zh"), unit_name("region", "north", "en", Names({"region": {"north": "华北"}}))
    ('公司', '华北')
    """
    if level == "company" or unit == "company":
        return t("company", lang)
    return display(str(level), unit, lang, names)


def name_or(kind: str, code: object, fallback: object, lang: str, names: Names | None = None) -> str:
    """``code`` by the run's name for it, else ``fallback`` (a name the result carries), else the code.

    Examples
    --------
    >>> name_or("region", "north", "North", "zh", Names()), name_or("region", "north", None, "zh", Names())
    ('North', 'north')
    """
    has_fallback = isinstance(fallback, str) and bool(fallback)
    if is_missing_number(code) or code == "":
        return str(fallback) if has_fallback else unit_name(kind, code, lang, names)
    shown = unit_name(kind, code, lang, names)
    return str(fallback) if shown == str(code) and has_fallback else shown


def any_name(code: object, lang: str, kinds: Iterable[str] = ORG_KINDS, names: Names | None = None) -> str:
    """``code`` by the first of ``kinds`` that names it (a list of mixed units: reps, teams, regions)."""
    for kind in kinds:
        named = display(kind, code, lang, names)
        if named != str(code):
            return named
    return str(code)


def names_list(codes: str, kind: str | None, lang: str, names: Names | None = None) -> str:
    """A comma list of codes (``"north, R000123"``) as names, joined in ``lang`` (、 in zh);
    ``kind`` None tries the org kinds.

    Examples
    --------
    >>> names_list("east-01, east-02", "team", "zh", Names({"team": {"east-01": "华东一组"}}))
    '华东一组、east-02'
    """
    parts = [p.strip() for p in codes.split(",") if p.strip()]
    named = [any_name(p, lang, names=names) if kind is None else display(kind, p, lang, names) for p in parts]
    return t("name_separator", lang).join(named)


def namer(kind: str, lang: str) -> Callable[[Any], str]:
    """A table cell formatter that shows codes of ``kind`` by name (see :func:`display`)."""
    return lambda code: display(kind, code, lang)


def named(frame: pd.DataFrame, columns: Mapping[str, str], lang: str, names: Names | None = None) -> pd.DataFrame:
    """A copy of ``frame`` whose ``columns`` (column → kind) hold names instead of codes
    (``names``: the run's, by default).

    Examples
    --------
    >>> frame = pd.DataFrame({"region": ["north", "x"], "stage": ["won", "lost"]})
    >>> named(
    ...     frame,
    ...     {"region": "region", "stage": "stage"},
    ...     "zh",
    ...     Names({"region": {"north": "华北"}}),
    ... ).values.tolist()
    [['华北', '赢单'], ['x', '流失']]
    """
    out = frame.copy()
    for column, kind in columns.items():
        if column in out:
            prefetch(kind, out[column].unique(), names)
            out[column] = out[column].map(lambda code, kind=kind: display(kind, code, lang, names))
    return out
