"""The drill path: company → region → team → rep, and which org units a scope contains."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

CHILD_LEVEL = {"company": "region", "region": "team", "team": "rep", "rep": ""}
DRILL_LEVELS = ("region", "team", "rep")
"""The levels a viewer picks, top down: a pick at one level clears every level below it."""


@dataclass(frozen=True)
class Scope:
    """Where the dashboard looks: empty strings mean "all" at that level."""

    region: str = ""
    team: str = ""
    rep: str = ""

    @property
    def level(self) -> str:
        """The deepest level chosen: company, region, team or rep."""
        return "rep" if self.rep else "team" if self.team else "region" if self.region else "company"

    @property
    def unit(self) -> str:
        """The unit looked at (a rep id, team or region name), ``company`` when none is chosen."""
        return self.rep or self.team or self.region or "company"

    @property
    def child_level(self) -> str:
        """The level one step down the drill path (empty at rep level)."""
        return CHILD_LEVEL[self.level]

    def drill(self, level: str, unit: str) -> Scope:
        """The scope after picking ``unit`` at ``level`` (``""``: all): the levels above are kept, the
        levels below are cleared, whether the pick goes down or up the path.

        >>> Scope("north", "north-01", "R1").drill("team", "")
        Scope(region='north', team='', rep='')
        >>> Scope("north", "north-01", "R1").drill("region", "south")
        Scope(region='south', team='', rep='')
        """
        if level not in DRILL_LEVELS:
            raise ValueError(f"unknown drill level {level!r}")
        keep = DRILL_LEVELS[: DRILL_LEVELS.index(level)]
        picked = {name: getattr(self, name) for name in keep} | {level: unit}
        return Scope(**picked)

    def path(self) -> list[tuple[str, str]]:
        """The breadcrumb trail as (level, unit) from the company down to the scope's unit."""
        trail = [("company", "company")]
        for level in DRILL_LEVELS:
            unit = getattr(self, level)
            if not unit:
                break
            trail.append((level, unit))
        return trail


def resolve(org: pd.DataFrame, region: str = "", team: str = "", rep: str = "") -> Scope:
    """A consistent scope: a level below an unchosen one ("all"), a team outside the region, or a
    rep outside the team, is dropped — so the scope never goes deeper than the filters say.
    """
    if not region:
        team = ""
    if not team:
        rep = ""
    if rep and not ((org["rep_id"] == rep) & _match(org, region, team)).any():
        rep = ""
    if team and not ((org["team"] == team) & _match(org, region, "")).any():
        team, rep = "", ""
    if region and not (org["region"] == region).any():
        region, team, rep = "", "", ""
    return Scope(region, team, rep)


def _match(org: pd.DataFrame, region: str, team: str) -> pd.Series:
    mask = pd.Series(True, index=org.index)
    if region:
        mask &= org["region"] == region
    if team:
        mask &= org["team"] == team
    return mask


def members(org: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The reps in ``scope`` (one row per rep, with team and region)."""
    rows = org[_match(org, scope.region, scope.team)]
    return rows[rows["rep_id"] == scope.rep] if scope.rep else rows


def children(org: pd.DataFrame, scope: Scope) -> list[str]:
    """Ids of the units one level down from ``scope`` (regions, teams or reps), sorted."""
    level = scope.child_level
    if not level:
        return []
    column = "rep_id" if level == "rep" else level
    return sorted(members(org, scope)[column].dropna().unique().tolist())


def contains(org: pd.DataFrame, scope: Scope, level: str, unit: str) -> bool:
    """True when the org unit ``level``/``unit`` lies inside ``scope`` (company findings only at the top)."""
    if scope.level == "company":
        return True
    inside = members(org, scope)
    column = {"region": "region", "team": "team", "rep": "rep_id"}.get(level)
    if column is None:
        return False
    if level == "region":
        return scope.level == "region" and unit == scope.region
    if level == "team" and scope.level == "rep":
        return False
    return bool((inside[column] == unit).any())
