"""The filter of a metric query (``Grain.where``) and the attributes a fact borrows from its
customer and rep (for filters and breakdowns).

A filter is one boolean SQL condition in DuckDB's spelling (``product = 'GTX Pro' AND amount >
1000``) over the columns a metric lists in ``Metric.filters``: its fact rows' own columns and,
through the fact's ``customer_id`` and ``rep_id``, the customer's ``segment`` and ``industry`` and
the rep's ``team`` and ``region`` (:data:`ATTRIBUTES`). It passes
:func:`salesops_lib.data.sql_guard.checked_sql` (no query, no file, only the listed functions) and
what runs is that checked text, on the fact rows before they are placed in periods; Ibis
transpiles it for the engine (PostgreSQL as DuckDB). A structured filter ``{column: value or
[values]}`` is written as the same SQL by :func:`where_sql` (``"column" IN (…)``; ``None`` is
``IS NULL``), so both forms run alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import ibis
import ibis.expr.types as ir
import sqlglot
from sqlglot import exp

from salesops_lib.data import Dataset
from salesops_lib.data.sql_guard import FUNCTIONS, checked_sql
from salesops_lib.errors import MappingError, MetricError

Filter = str | Mapping[str, object]
"""A filter as the API takes it: SQL text, or ``{column: value or [values]}``."""

ATTRIBUTES: dict[str, tuple[str, str]] = {
    "segment": ("customers", "customer_id"),
    "industry": ("customers", "customer_id"),
    "team": ("reps", "rep_id"),
    "region": ("reps", "rep_id"),
}
"""Columns a fact borrows: name → (canonical table, key the fact carries)."""

_ALIAS = "metric_facts"


def where_sql(where: Filter) -> str:
    """A filter as SQL text: text as given, a mapping as ``"column" IN (…)`` conditions joined by AND.

    Examples
    --------
    >>> print(where_sql({"product": ["GTX Pro", "MG Special"], "segment": "smb", "lost_reason": None}))
    "product" IN ('GTX Pro', 'MG Special') AND "segment" = 'smb' AND "lost_reason" IS NULL
    """
    if isinstance(where, str):
        return where
    if not where:
        raise MetricError("the filter is empty", fix='give at least one column, e.g. {"product": "GTX Pro"}')
    parts: list[exp.Expression] = []
    for name, wanted in where.items():
        column = exp.column(str(name), quoted=True)
        values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
        if not values:
            raise MetricError(f"the filter on {name!r} lists no value", column=str(name), fix="give one value or more")
        literals = [_literal(v, str(name)) for v in values]
        if len(literals) == 1:
            one = literals[0]
            parts.append(
                exp.Is(this=column, expression=one)
                if isinstance(one, exp.Null)
                else exp.EQ(this=column, expression=one)
            )
        else:
            parts.append(column.isin(*literals))
    return " AND ".join(p.sql(dialect="duckdb") for p in parts)


def _literal(value: object, column: str) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return exp.cast(exp.Literal.string(value.isoformat()[:10]), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise MetricError(
        f"the filter on {column!r} has a value of type {type(value).__name__}",
        column=column,
        examples=[value],
        fix="use text, numbers, dates or None",
    )


def checked_where(text: str, metric: str, columns: Sequence[str]) -> str:
    """``text`` as a checked filter of ``metric``: allowed SQL over ``columns`` only, column names
    quoted in lower case (as every engine stores canonical columns).

    Raises
    ------
    MetricError
        When the SQL does not parse or uses what a filter may not (naming the problem), or names
        a column outside ``columns`` (naming it and listing ``columns``).

    Examples
    --------
    >>> print(checked_where("Product = 'GTX Pro' and amount > 10", "won_value", ["product", "amount"]))
    "product" = 'GTX Pro' AND "amount" > 10
    """
    hint = _hint(metric, columns)
    try:
        sql = checked_sql(
            text,
            kind="where",
            table=metric,
            where=f"filter of {metric}",
            subject=f"the filter of {metric}",
            user="a filter",
        )
    except MappingError as exc:
        raise MetricError(exc.message, column=exc.column, examples=[text], fix=hint) from None
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    known = {c.lower() for c in columns}
    for node in tree.find_all(exp.Column):
        name = node.name
        if name.lower() not in known:
            quoted = " (text values go in single quotes: product = 'GTX Pro')" if node.this.quoted else ""
            raise MetricError(
                f"the filter of {metric} names {name!r}, which is not a column of its facts{quoted}",
                column=name,
                examples=[text],
                fix=hint,
            )
        # quoted: a column may be a keyword of the engine's grammar (``at``)
        node.set("this", exp.to_identifier(name.lower(), quoted=True))
    if isinstance(tree, (exp.Column, exp.Literal, exp.Null)):
        raise MetricError(
            f"the filter of {metric} is not a condition", examples=[text], fix=f"compare a column with a value; {hint}"
        )
    return tree.sql(dialect="duckdb")


def where_columns(sql: str) -> tuple[str, ...]:
    """The column names a (checked) filter reads, lower case, in order of first use.

    >>> where_columns("segment = 'smb' AND (product = 'x' OR segment IS NULL)")
    ('segment', 'product')
    """
    names = (c.name.lower() for c in sqlglot.parse_one(sql, dialect="duckdb").find_all(exp.Column))
    return tuple(dict.fromkeys(names))


def apply_where(facts: ir.Table, where: str | None) -> ir.Table:
    """``facts`` keeping the rows where the checked filter ``where`` holds (all rows for None)."""
    if where is None:
        return facts
    # ``where`` passed checked_where: only allowed SQL over columns the facts carry
    query = f"SELECT * FROM {_ALIAS} WHERE {where}"  # noqa: S608
    return facts.alias(_ALIAS).sql(query, dialect="duckdb")


def with_attributes(ds: Dataset, facts: ir.Table, wanted: Iterable[str]) -> ir.Table:
    """``facts`` with the :data:`ATTRIBUTES` in ``wanted`` they lack, through their customer and rep
    (NULL when the fact has no customer or rep, or the source no such table).
    """
    by_table: dict[str, list[str]] = {}
    for name in dict.fromkeys(wanted):
        if name in ATTRIBUTES and name not in facts.columns:
            table, key = ATTRIBUTES[name]
            if key in facts.columns:
                by_table.setdefault(table, []).append(name)
    for table, names in by_table.items():
        key = ATTRIBUTES[names[0]][1]
        if not ds.has(table):
            facts = facts.mutate(**{n: ibis.null("string") for n in names})
            continue
        source = ds.table(table)
        # one row per key; min() as in unit_via_rep (portable, deterministic on a repeated key)
        lookup = source.group_by(__key=source[key]).agg(**{n: source[n].min() for n in names})
        facts = facts.left_join(lookup, facts[key] == lookup["__key"]).drop("__key")
    return facts


def _hint(metric: str, columns: Sequence[str]) -> str:
    return (
        f"filter {metric} on: {', '.join(columns)}; with 'text', numbers, DATE '2025-06-30', = <> < > IN "
        f"BETWEEN LIKE IS NULL AND OR NOT, CASE, CAST and the functions {', '.join(list(FUNCTIONS)[:6])} … "
        "(salesops_lib/data/sql_guard.py)"
    )
