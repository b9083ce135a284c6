"""The dashboard's own words, from ``dashboard/labels.yaml`` (shared ones come from the glossary):
the panels' and the pages Voila answers instead of the dashboard (busy, throttled); and
:func:`display_name`, the ONE lookup of what the dashboard shows for a code in the data.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import pandas as pd

from salesops_lib.report.i18n import Catalogue, catalogue, catalogue_at, label_table

WORDS: Catalogue = catalogue_at(files("salesops_lib.dashboard") / "labels.yaml", "dashboard")
LABELS: dict[str, dict[str, str]] = label_table(WORDS)

TEAM_CODE = re.compile(r"^(?P<region>[a-z]+)-(?P<n>\d+)$")
"""A team code made of its region's code and a number (``north-02``): named after the region."""


@cache
def _code_words() -> dict[str, dict[str, tuple[str, str]]]:
    """Code → (zh, en) per kind: regions here, stages and campaign types from the pages' catalogues."""
    return {
        "region": WORDS.words.get("region", {}),
        "stage": catalogue("funnel_diagnosis").words.get("stage", {}),
        "campaign_type": catalogue("expense_roi").words.get("category", {}),
    }


def display_name(kind: str, code: str, lang: str, org: pd.DataFrame | None = None) -> str:
    """What the dashboard shows for ``code`` of ``kind`` (region, team, rep, stage, campaign_type,
    company) in ``lang``: a rep's name from ``org`` (marked when the rep has left), a region's name,
    a team code ``<region>-<n>`` as the region's n-th team; any other code as it is.

    Every name the dashboard shows goes through here, so a shared display-name layer can replace it.

    Examples
    --------
    >>> display_name("region", "north", "zh"), display_name("team", "north-02", "zh")
    ('华北', '华北2组')
    >>> display_name("team", "north-02", "en"), display_name("stage", "won", "zh"), display_name("team", "一部", "zh")
    ('North team 2', '赢单', '一部')
    """
    index = 0 if lang == "zh" else 1
    if kind == "company":
        return str(LABELS["company"]["zh" if lang == "zh" else "en"])
    if kind == "rep":
        return _rep_name(code, lang, org)
    if kind == "team":
        match = TEAM_CODE.match(code)
        region = _code_words()["region"].get(match["region"]) if match else None
        if match is None or region is None:
            return code
        return LABELS["team_name"]["zh" if lang == "zh" else "en"].format(region=region[index], n=int(match["n"]))
    pair = _code_words().get(kind, {}).get(code)
    return pair[index] if pair else code


def _rep_name(rep_id: str, lang: str, org: pd.DataFrame | None) -> str:
    if org is None or org.empty:
        return rep_id
    rows = org[org["rep_id"] == rep_id]
    if rows.empty:
        return rep_id
    row = rows.iloc[0]
    name = str(row["name"]) if pd.notna(row["name"]) and str(row["name"]) else rep_id
    if "departed" in org and bool(row["departed"]):
        name += f"（{LABELS['departed']['zh']}）" if lang == "zh" else f" ({LABELS['departed']['en']})"
    return name


def display_words() -> list[str]:
    """Every fixed display name (regions, stages, campaign types), for the font subset."""
    return [word for table in _code_words().values() for pair in table.values() for word in pair]
