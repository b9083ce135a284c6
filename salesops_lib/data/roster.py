"""A rep roster derived from the facts, for sources that have no ``reps`` table.

An orders export or a deals export names the rep of every row but often ships no staff list.
:func:`with_derived_roster` adds a ``reps`` table made of the rep ids the facts carry: the name
is the id, every rep is in one team and one region called :data:`UNASSIGNED` (the analyses
group by both), hire and exit dates are unknown (NULL). The dataset records that the table is
derived (``Dataset.derived``), so a page can say so.
"""

from __future__ import annotations

from dataclasses import replace

import ibis
import ibis.expr.types as ir

from salesops_lib.data.conform import ConformedTable
from salesops_lib.data.dataset import Dataset

#: fact tables whose ``rep_id`` names a rep, in the order they are read
REP_FACTS = ("orders", "opportunities", "leads", "invoices", "activities", "expenses")
#: the tables whose reps own revenue: when the source has one, the roster comes from them only (a
#: lead export's SDR ids, say, are not sellers and would dilute every per-FTE figure)
OWNER_FACTS = ("orders", "opportunities")
UNASSIGNED = "unassigned"
"""Team and region of every rep of a derived roster."""
DERIVED_REPS = "derived from the rep ids in {tables}: name = id, no team, region or dates"


def with_derived_roster(data: Dataset) -> Dataset:
    """``data`` with a ``reps`` table derived from the facts' rep ids when it has none.

    ``data`` itself when it has a ``reps`` table or no fact names a rep.

    Examples
    --------
    >>> from salesops_lib.data import connect
    >>> ds = with_derived_roster(connect("orders_export/"))  # doctest: +SKIP
    >>> ds.derived  # doctest: +SKIP
    {'reps': 'derived from the rep ids in orders: name = id, no team, region or dates'}
    """
    if data.has("reps"):
        return data
    carrying = [name for name in REP_FACTS if data.has(name) and "rep_id" in data.table(name).columns]
    sources = [name for name in carrying if name in OWNER_FACTS] or carrying
    if not sources:
        return data
    ids = _rep_ids([data.table(name) for name in sources])
    unassigned = ibis.literal(UNASSIGNED, type="string")
    null_date = ibis.null("date")
    roster = ids.select(
        rep_id=ids.rep_id,
        name=ids.rep_id,
        team=unassigned,
        region=unassigned,
        team_name=ibis.null("string"),
        region_name=ibis.null("string"),
        hire_date=null_date,
        exit_date=null_date,
    )
    table = ConformedTable("reps", roster, roster, origin="derived")
    reason = DERIVED_REPS.format(tables=", ".join(sources))
    missing = {k: v for k, v in data.missing.items() if k != "reps"}
    return replace(
        data,
        tables={**data.tables, "reps": table},
        missing=missing,
        derived={**data.derived, "reps": reason},
    )


def _rep_ids(tables: list[ir.Table]) -> ir.Table:
    parts = [t.select(rep_id=t.rep_id.cast("string")) for t in tables]
    union = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=True)
    return union.filter(union.rep_id.notnull()).distinct()
