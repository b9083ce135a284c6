"""What an analysis needs, as capabilities rather than tables.

A capability is met by any one of several sets of canonical tables: ``revenue`` by ``orders``
or by ``opportunities`` (won deals are the bookings of a CRM without orders), ``deals`` by
``opportunities``; ``reps`` by a ``reps`` table or, failing that, by a roster derived from the
rep ids in the facts (:mod:`salesops_lib.data.roster`). A name that is not a capability is a
canonical table and needs itself. An :class:`~salesops_lib.analyses.spec.AnalysisSpec` states
its core (``requires``) and each optional section's needs in these words; the runner skips what
the core cannot feed and the page says which sections were left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesops_lib.data import TABLES, Dataset
from salesops_lib.data.roster import REP_FACTS, with_derived_roster


@dataclass(frozen=True)
class Capability:
    """A need met by any one of ``any_of`` (each a set of canonical tables)."""

    name: str
    any_of: tuple[tuple[str, ...], ...]

    def met(self, data: Dataset) -> bool:
        """True when ``data`` has every table of one alternative."""
        return any(data.has(*tables) for tables in self.any_of)

    def missing_tables(self, data: Dataset) -> tuple[str, ...]:
        """The canonical tables of every alternative that ``data`` lacks (canonical order)."""
        return tuple(sorted({t for tables in self.any_of for t in tables if not data.has(t)}, key=_table_order))

    def reason(self, data: Dataset) -> str:
        """Why ``data`` does not meet the capability: each missing table and the source's reason."""
        missing = self.missing_tables(data)
        why = "; ".join(f"{t}: {data.missing.get(t, 'not provided')}" for t in missing)
        alternatives = " or ".join(" + ".join(tables) for tables in self.any_of)
        return why if alternatives == self.name else f"{self.name} needs {alternatives} ({why})"


CAPABILITIES: dict[str, Capability] = {
    c.name: c
    for c in (
        Capability("revenue", (("orders",), ("opportunities",))),
        Capability("deals", (("opportunities",),)),
        Capability("funnel", (("opportunities", "stage_history"),)),
        Capability("reps", (("reps",), *((fact,) for fact in REP_FACTS))),
        # the source's own roster, with teams and regions (a derived one has neither)
        Capability("org", (("reps",),)),
    )
}
"""Every capability by name; any other name is a canonical table."""


def capability(name: str) -> Capability:
    """The capability ``name`` (a canonical table name is the capability of having that table)."""
    if name in CAPABILITIES:
        return CAPABILITIES[name]
    if name not in TABLES:
        raise KeyError(f"{name!r} is neither a capability ({', '.join(CAPABILITIES)}) nor a canonical table")
    return Capability(name, ((name,),))


def unmet(needs: tuple[str, ...], data: Dataset) -> dict[str, str]:
    """The needs ``data`` does not meet, each with the reason (empty when every one is met)."""
    return {need: capability(need).reason(data) for need in needs if not capability(need).met(data)}


def prepared(needs: tuple[str, ...], data: Dataset) -> Dataset:
    """``data`` completed for ``needs``: a rep roster derived from the facts when ``reps`` is
    needed and the source has none.
    """
    return with_derived_roster(data) if "reps" in needs and not data.has("reps") else data


def _table_order(name: str) -> int:
    return list(TABLES).index(name) if name in TABLES else len(TABLES)
