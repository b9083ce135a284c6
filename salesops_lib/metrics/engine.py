"""Expressions that every engine compiles and plans alike: the one place for the idioms where
DuckDB is lenient and a warehouse is not.

- A boolean is not a number on PostgreSQL: ``CAST(flag AS BIGINT)`` and ``CAST(flag AS DOUBLE
  PRECISION)`` fail there ("cannot cast type boolean to bigint"). :func:`indicator` turns a flag
  into 0/1 with a ``CASE``, which runs everywhere. (Ibis' own ``flag.sum()`` and ``flag.mean()``
  are portable: they cast through ``INTEGER``, which PostgreSQL accepts.)
- An as-of join compiles on PostgreSQL to a ``LATERAL`` subquery that re-reads the right table
  for every left row (minutes on a few hundred thousand rows); :func:`asof_left_join` is the same
  join as an equi-join plus a window, which every engine hashes.
- ``key IN (subquery)`` inside a ``CASE`` (a 0/1 flag per row) is, negated, a null-aware
  ``NOT IN`` that Spark plans as a nested-loop join (leads × deals: minutes on the small demo);
  :func:`with_membership` is the same flag from a left join to the distinct values.
"""

from __future__ import annotations

from typing import cast

import ibis
import ibis.expr.types as ir

_BY, _AT, _RANK = "__asof_by", "__asof_at", "__asof_rank"
_MEMBER = "__member_key"


def indicator(flag: ir.BooleanValue, type: str = "int64") -> ir.NumericValue:
    """1 where ``flag`` is true, 0 where false, NULL where NULL: a portable ``flag.cast(type)``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"won": [True, False, None]})
    >>> indicator(t.won).name("n").to_pandas().tolist()
    [1.0, 0.0, nan]
    """
    # ibis' overloads of cast() resolve to StringValue under mypy whatever the target
    return cast("ir.NumericValue", ibis.cases((flag, 1), (~flag, 0), else_=ibis.null("int8")).cast(type))


def with_membership(table: ir.Table, key: str, values: ir.Column, name: str) -> ir.Table:
    """``table`` with a boolean column ``name``: whether ``table[key]`` is one of the non-null
    ``values`` (a column of another table), NULL where the key is NULL.

    The same flag as ``table[key].isin(values.notnull() rows)``, computed by a left join to the
    distinct values, which every engine hashes (Spark plans ``NOT IN`` as a nested-loop join).

    Examples
    --------
    >>> import ibis
    >>> leads = ibis.memtable({"lead": ["a", "b", None]})
    >>> deals = ibis.memtable({"lead_id": ["a", "a", None]})
    >>> out = with_membership(leads, "lead", deals.lead_id, "converted")
    >>> out.order_by("lead").converted.to_pandas().tolist()
    [True, False, None]
    """
    found = values.name(_MEMBER).as_table()
    found = found.filter(found[_MEMBER].notnull()).distinct()
    joined = table.left_join(found, table[key] == found[_MEMBER])
    flag = ibis.cases((joined[key].isnull(), ibis.null("boolean")), (joined[_MEMBER].notnull(), True), else_=False)
    return joined.mutate(**{name: flag}).drop(_MEMBER)


def asof_left_join(left: ir.Table, right: ir.Table, *, by: tuple[str, str], at: tuple[str, str]) -> ir.Table:
    """``left`` with the columns of the row of ``right`` that has the same ``by`` value and the
    latest ``at`` not after the left row's ``at`` (NULLs where there is none).

    ``by`` and ``at`` name (left column, right column). Equivalent to ``left.asof_join(right,
    on=left[at] >= right[at], predicates=left[by] == right[by])`` with a left join's NULLs, but
    planned as a hash join and a window on every engine. On ties in ``at`` any of the tied rows
    is taken (as an as-of join does); make ``at`` unique per ``by`` when that matters. The right
    table's columns must not clash with the left's.

    Examples
    --------
    >>> import ibis
    >>> deals = ibis.memtable({"opp": ["a", "a", "b"], "day": [1, 5, 1]})
    >>> stages = ibis.memtable({"s_opp": ["a", "a"], "s_day": [0, 3], "stage": ["lead", "won"]})
    >>> out = asof_left_join(deals, stages, by=("opp", "s_opp"), at=("day", "s_day"))
    >>> out.order_by(["opp", "day"]).stage.to_pandas().tolist()
    ['lead', 'won', nan]
    """
    (by_left, by_right), (at_left, at_right) = by, at
    keys = left.select(**{_BY: left[by_left], _AT: left[at_left]}).distinct()
    candidates = keys.join(right, [keys[_BY] == right[by_right], right[at_right] <= keys[_AT]])
    rank = ibis.row_number().over(group_by=[candidates[_BY], candidates[_AT]], order_by=ibis.desc(candidates[at_right]))
    ranked = candidates.mutate(**{_RANK: rank})
    best = ranked.filter(ranked[_RANK] == 0).drop(_RANK)
    joined = left.left_join(best, [left[by_left] == best[_BY], left[at_left] == best[_AT]])
    return joined.drop(_BY, _AT)
