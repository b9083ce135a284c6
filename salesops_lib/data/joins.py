"""Join other files (or tables) of a source to a mapping part, by key, without multiplying rows.

The joined file's columns enter the part as ``alias.column`` (one name, with the dot), so a
mapping reads them as ``lead.company`` in ``columns:``, ``expr:``, ``where:`` and ``group_by``,
and the part's own columns keep their plain names. A key that appears twice in the joined
file would copy the part's rows: that is refused, naming the file, the key and examples.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from salesops_lib.data.mapping import Join
from salesops_lib.errors import MappingError

#: how many duplicated keys an error shows
_EXAMPLES = 5


@dataclass(frozen=True)
class JoinedSource:
    """A join of the mapping with the table it reads, and where it is written."""

    join: Join
    table: ir.Table
    #: the mapping file
    origin: str
    #: the key path of the join in the mapping, e.g. ``tables.opportunities.join.0``
    key: str
    #: the file (or table) of the part the join belongs to
    part_source: str

    @property
    def where(self) -> str:
        """Where an error about the join's key points: mapping file, key path and joined file."""
        return f"{self.origin} at `{self.key}.on` (source {self.part_source}, joined {self.join.source})"


def join_all(base: ir.Table, joins: Sequence[JoinedSource]) -> ir.Table:
    """``base`` with each join's columns added as ``alias.column`` (left or inner join by key).

    Raises
    ------
    MappingError
        When a key column does not exist, or a key is duplicated in the joined file.
    """
    relation = base
    for joined in joins:
        relation = _join_one(relation, joined)
    return relation


def _join_one(base: ir.Table, joined: JoinedSource) -> ir.Table:
    join, right = joined.join, joined.table
    for mine, theirs in join.on.items():
        _need(mine, list(base.columns), joined, joined.part_source, f"{join.alias}.{theirs}")
        _need(theirs, list(right.columns), joined, join.source, mine)
    _refuse_duplicates(right, joined)
    renamed = right.select(**{f"{join.alias}.{c}": right[c] for c in right.columns})
    predicates = [
        _key(base[mine], right[theirs].type()) == _key(renamed[f"{join.alias}.{theirs}"], base[mine].type())
        for mine, theirs in join.on.items()
    ]
    relation = base.join(renamed, predicates, how=join.how)
    return relation.select(*base.columns, *renamed.columns)


def _need(name: str, columns: list[str], joined: JoinedSource, side: str, other: str) -> None:
    if name in columns:
        return
    close = difflib.get_close_matches(name, columns, n=1)
    raise MappingError(
        f"join key column {name!r} (matched with {other!r}) does not exist in {side}",
        where=joined.where,
        column=name,
        fix=(f"did you mean {close[0]!r}? " if close else "") + f"columns of {side}: {', '.join(columns)}",
    )


def _key(value: ir.Value, other: object) -> ir.Value:
    """A join key as compared: as it is when both sides have the same non-text type, else trimmed text."""
    if value.type() == other and not value.type().is_string():
        return value
    text: ir.StringValue = value.cast("string").strip()
    return text.nullif(ibis.literal(""))


def _refuse_duplicates(right: ir.Table, joined: JoinedSource) -> None:
    join = joined.join
    keys = {theirs: _key(right[theirs], None) for theirs in join.on.values()}
    rows = right.select(**keys)
    for name in keys:
        rows = rows.filter(rows[name].notnull())
    dups = rows.group_by(list(keys)).aggregate(__rows=lambda t: t.count()).filter(lambda t: t["__rows"] > 1)
    count = int(dups.count().execute())
    if not count:
        return
    sample = dups.order_by(list(keys)).limit(_EXAMPLES).execute()
    examples = [" / ".join(str(row[k]) for k in keys) + f" ({int(row['__rows'])} rows)" for _, row in sample.iterrows()]
    key_text = ", ".join(keys)
    raise MappingError(
        f"the joined file {join.source} has {count:,} duplicated key(s) in {key_text}: "
        "joining it would copy the rows of this table",
        where=joined.where,
        column=key_text,
        rows=count,
        examples=examples,
        fix=f"de-duplicate {join.source} on {key_text}, or map it as its own table with `group_by: [{key_text}]`",
    )
