"""The dashboard's own words, from ``dashboard/labels.yaml`` (shared ones come from the glossary):
the panels' and the pages Voila answers instead of the dashboard (busy, throttled); and
:func:`display_name`, what the dashboard shows for a code in the data — a thin call into the
pages' display-name layer (:mod:`salesops_lib.report.names`), so both show the same name.
"""

from __future__ import annotations

from importlib.resources import files

from salesops_lib.report.i18n import LANGUAGES, Catalogue, catalogue_at, label_table, t
from salesops_lib.report.names import Names, unit_name, vocabulary

WORDS: Catalogue = catalogue_at(files("salesops_lib.dashboard") / "labels.yaml", "dashboard")
LABELS: dict[str, dict[str, str]] = label_table(WORDS)


def display_name(kind: str, code: str, lang: str, names: Names | None = None) -> str:
    """What the dashboard shows for ``code`` of ``kind`` (region, team, rep, stage, campaign_type,
    company) in ``lang``: :func:`salesops_lib.report.names.unit_name` with the cube's ``names``
    (:attr:`DashboardCube.names <salesops_lib.dashboard.cube.DashboardCube.names>`: the data's
    names, departed reps marked), the vocabulary's word for fixed codes; the company as the
    dashboard calls it.

    Examples
    --------
    >>> names = Names(
    ...     {"region": {"north": "华北"}, "team": {"north-02": "华北二组"}, "rep": {"r1": "甲"}}, frozenset({"r1"})
    ... )
    >>> display_name("region", "north", "zh", names), display_name("team", "north-02", "zh", names)
    ('华北', '华北二组')
    >>> display_name("rep", "r1", "en", names), display_name("stage", "won", "zh"), display_name("team", "一部", "zh")
    ('甲 (left)', '赢单', '一部')
    """
    if kind == "company":
        return t("company", lang, LABELS)
    return unit_name(kind, code, lang, names)


def display_words(names: Names | None = None) -> list[str]:
    """Every display name the dashboard can show for a code (the vocabulary's words, ``names``'
    names and the departed mark), for the font subset.
    """
    fixed = [word for table in vocabulary().values() for pair in table.values() for word in pair]
    named = [name for table in (names.names if names else {}).values() for name in table.values()]
    return fixed + named + [t("rep_departed", lang).format(name="") for lang in LANGUAGES]
