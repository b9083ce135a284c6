"""Words as data: one glossary plus one catalogue per report, zh and en side by side.

``report/glossary.yaml`` holds the words every page shares; ``report/<name>/labels.yaml`` holds
one report's own: its ``title``, its ``labels``, the sentences of its ``findings`` (see
:class:`~salesops_lib.report.findings_text.FindingText`) and named ``words`` tables (code →
[zh, en]) that several findings share: a finding's ``words: {fact: table}`` names one. A key lives in exactly one file, a
file never writes a key twice, and every entry has both languages (tests check all three).
:func:`t` is the one lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from salesops_lib.config.yaml_safe import UniqueKeyLoader
from salesops_lib.errors import ConfigError
from salesops_lib.metrics.formatting import fill

LANGUAGES = ("zh", "en")
Pair = tuple[str, str]


@dataclass(frozen=True)
class Catalogue:
    """The words of one file: labels (key → (zh, en)), the title and finding sentences."""

    name: str
    labels: dict[str, Pair]
    title: Pair | None = None
    #: finding kind → its raw entry (``zh``, ``en``, optional ``words`` and ``actions``)
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: named code → (zh, en) tables that several findings' ``words`` share by name
    words: dict[str, dict[str, Pair]] = field(default_factory=dict)


def _pair(entry: Any, where: str) -> Pair:
    if (
        not isinstance(entry, dict)
        or set(entry) != set(LANGUAGES)
        or not all(isinstance(entry[lang], str) for lang in LANGUAGES)
    ):
        raise ConfigError(f"{where} must give exactly zh and en text", where=where)
    return entry["zh"], entry["en"]


def _path(name: str) -> Any:
    root = files("salesops_lib.report")
    return root / "glossary.yaml" if name == "glossary" else root / name / "labels.yaml"


@cache
def catalogue(name: str) -> Catalogue:
    """The catalogue of report ``name`` (``"glossary"`` for the shared words); an unknown name
    is a :class:`ConfigError`.
    """
    path = _path(name)
    if not path.is_file():
        raise ConfigError(
            f"no word catalogue for {name!r}",
            where=str(path),
            fix="`salesops new-analysis NAME` writes one; add the report's words there",
        )
    return catalogue_at(path, name)


def catalogue_at(path: Any, name: str) -> Catalogue:
    """The catalogue in the file ``path`` (a report's, or another page's such as the dashboard's)."""
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
    where = f"{path}"
    labels = {key: _pair(entry, f"{where}: labels.{key}") for key, entry in (raw.get("labels") or {}).items()}
    title = _pair(raw["title"], f"{where}: title") if "title" in raw else None
    findings = raw.get("findings") or {}
    for kind, entry in findings.items():
        _pair({lang: entry.get(lang) for lang in LANGUAGES}, f"{where}: findings.{kind}")
    words = {
        table: {str(code): _code_pair(pair, f"{where}: words.{table}.{code}") for code, pair in codes.items()}
        for table, codes in (raw.get("words") or {}).items()
    }
    for kind, entry in findings.items():
        for fact, table in (entry.get("words") or {}).items():
            if isinstance(table, str) and table not in words:
                raise ConfigError(
                    f"{where}: findings.{kind}.words.{fact} names the unknown word table {table!r}",
                    where=where,
                    fix=f"add `{table}:` under the top-level `words:`",
                )
    return Catalogue(name, labels, title, findings, words)


def _code_pair(pair: Any, where: str) -> Pair:
    if not (isinstance(pair, list) and len(pair) == len(LANGUAGES) and all(isinstance(w, str) for w in pair)):
        raise ConfigError(f"{where} must be [zh, en]", where=where)
    return pair[0], pair[1]


class Words(str):
    """A label: text whose :meth:`format` prints a missing or non-finite number as a dash
    (:func:`~salesops_lib.metrics.formatting.fill`), whatever format spec the words give it.
    """

    __slots__ = ()

    def format(self, *args: object, **fields: Any) -> str:  # noqa: D102 - str.format, made total
        if args:
            raise TypeError("labels are filled by name")
        return fill(self, **fields)


def t(key: str, lang: str, labels: Mapping[str, Mapping[str, str]] | str | None = None) -> Words:
    """The label ``key`` in ``lang`` (zh or en): from report ``labels`` (a report name, or a
    legacy dict of its own labels) when it has the key, else from the glossary. Its ``format``
    never prints ``nan``, ``None`` or ``inf`` (see :class:`Words`).
    """
    index = 0 if lang == "zh" else 1
    if isinstance(labels, str):
        own = catalogue(labels).labels
        if key in own:
            return Words(own[key][index])
    elif labels is not None and key in labels:
        return Words(labels[key]["zh" if lang == "zh" else "en"])
    shared = catalogue("glossary").labels
    if key not in shared:
        raise KeyError(
            f"label {key!r} is in neither the glossary nor {labels if isinstance(labels, str) else 'the report'}"
        )
    return Words(shared[key][index])


def title(report: str, lang: str) -> str:
    """The title of report ``report`` in ``lang``."""
    pair = catalogue(report).title
    if pair is None:
        raise ConfigError(f"the word catalogue of {report!r} has no title", where=str(_path(report)))
    return pair[0 if lang == "zh" else 1]


def glossary() -> dict[str, dict[str, str]]:
    """The glossary as ``{key: {"zh": …, "en": …}}``."""
    return label_table(catalogue("glossary"))


def label_table(words: Catalogue) -> dict[str, dict[str, str]]:
    """A catalogue's labels as ``{key: {"zh": …, "en": …}}`` (what :func:`t` takes as ``labels``)."""
    return {key: {"zh": zh, "en": en} for key, (zh, en) in words.labels.items()}
