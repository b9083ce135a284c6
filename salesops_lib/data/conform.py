"""Conform source tables to a canonical table: select, rename, map values, type, stack.

Each source part becomes one SQL ``SELECT`` over the source (renames, value maps, constants,
derived expressions, the ``where`` filter), compiled by Ibis for whatever backend holds the
data. Typing to the canonical kinds follows in Ibis; on DuckDB it uses ``TRY_CAST`` so that a
value which does not parse becomes a reportable row instead of a failed query. The staged
table keeps each typed column's source text as ``<column>__raw`` for that report.

The mapping's own SQL (``expr:``, ``where:``) enters the query only as
:func:`~salesops_lib.data.sql_guard.checked_sql` writes it back: one expression of allowed
functions, never a query or a file read.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from salesops_lib.data.canonical import Column, Table
from salesops_lib.data.mapping import ColumnRule, TablePart
from salesops_lib.data.sql_guard import checked_sql
from salesops_lib.errors import MappingError

RAW_SUFFIX = "__raw"
_AUTO_DATE_FORMATS = ("%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
_NUMBER_NOISE = r"[,\s¥$€£￥]"


@ibis.udf.scalar.builtin
def try_strptime(value: str, fmt: str) -> dt.timestamp:  # type: ignore[valid-type]  # ibis' UDF spelling
    """DuckDB's ``try_strptime``: NULL instead of an error when the text does not match."""


@dataclass(frozen=True)
class SourcePart:
    """A source table ready to conform: the table, its mapping part and a readable origin."""

    table: ir.Table
    part: TablePart
    origin: str


@dataclass(frozen=True)
class ConformedTable:
    """A canonical table as an Ibis expression, plus what validation needs to explain it."""

    name: str
    expr: ir.Table
    staged: ir.Table
    origin: str


def conform(spec: Table, parts: Sequence[SourcePart], *, backend: str, mapping_origin: str) -> ConformedTable:
    """Build the canonical expression of ``spec`` from one or more source parts."""
    staged_parts = [
        _stage(spec, p, alias=f"src_{spec.name}_{i}", backend=backend, mapping_origin=mapping_origin)
        for i, p in enumerate(parts)
    ]
    staged = staged_parts[0] if len(staged_parts) == 1 else ibis.union(*staged_parts, distinct=False)
    expr = staged.select(*spec.column_names)
    origin = " + ".join(dict.fromkeys(p.origin for p in parts))
    return ConformedTable(name=spec.name, expr=expr, staged=staged, origin=origin)


def _stage(spec: Table, source: SourcePart, *, alias: str, backend: str, mapping_origin: str) -> ir.Table:
    rules = source.part.rules()
    where = f"{mapping_origin} → tables.{spec.name} (source {source.origin})"
    columns = list(source.table.columns)
    missing_required = [c.name for c in spec.columns if c.required and c.name not in rules]
    if missing_required:
        raise MappingError(
            f"table {spec.name!r} needs column(s) {', '.join(missing_required)} but the mapping does not provide them",
            where=where,
            fix=f"map them under tables.{spec.name}.columns (source columns: {', '.join(columns)})",
        )
    items = [
        f"{_select_item(spec.name, c, rules.get(c.name), columns, where)} AS {_ident(c.name)}" for c in spec.columns
    ]
    # every item and the WHERE text passed sql_guard; names are quoted identifiers
    sql = f"SELECT {', '.join(items)} FROM {alias}"  # noqa: S608
    if source.part.where:
        # the mapping validated it already; what runs is the checked text, so nothing else can
        sql += f" WHERE {checked_sql(source.part.where, kind='where', table=spec.name, where=where)}"
    try:
        selected = source.table.alias(alias).sql(sql, dialect="duckdb")
    except Exception as exc:
        raise MappingError(
            f"the mapping's SQL for table {spec.name!r} does not compile: {str(exc).strip().splitlines()[0]}",
            where=where,
            fix="check `expr:` and `where:` (text columns from files must be cast, e.g. TRY_CAST(x AS DOUBLE))",
        ) from exc
    typed: dict[str, ir.Value] = {}
    for col in spec.columns:
        rule = rules.get(col.name)
        value = selected[col.name]
        typed[col.name] = _typed(value, col, rule.format if rule else None, backend)
        if col.kind != "string":
            typed[col.name + RAW_SUFFIX] = value.cast("string")
    return selected.select(**typed)


def _select_item(table: str, col: Column, rule: ColumnRule | None, columns: list[str], where: str) -> str:
    if rule is None:
        return "NULL"
    if rule.is_const:
        return _literal(rule.const)
    if rule.expr is not None:
        return f"({checked_sql(rule.expr, kind='expr', table=table, column=col.name, where=where)})"
    source = rule.source or ""
    if source not in columns:
        close = difflib.get_close_matches(source, columns, n=1)
        raise MappingError(
            f"column {source!r} (for canonical {col.name!r}) does not exist in the source",
            where=where,
            column=source,
            fix=(f"did you mean {close[0]!r}? " if close else "") + f"source columns: {', '.join(columns)}",
        )
    base = _ident(source)
    if not rule.values:
        return base
    text = f"CAST({base} AS VARCHAR)"
    whens = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in rule.values.items())
    otherwise = "NULL" if rule.unmapped == "null" else text
    return f"CASE TRIM({text}) {whens} ELSE {otherwise} END"


def _typed(value: ir.Value, col: Column, fmt: str | None, backend: str) -> ir.Value:
    source_type = value.type()
    lenient = backend == "duckdb"
    if col.kind == "string":
        return value.cast("string").strip().nullif(ibis.literal(""))
    if col.kind in ("float", "int"):
        target = "float64" if col.kind == "float" else "int64"
        if source_type.is_string():
            # re_replace is wrapped by an untyped ibis decorator: the result is a StringValue
            cleaned: ir.StringValue = cast("ir.StringValue", value).re_replace(_NUMBER_NOISE, "")
            cleaned = cleaned.nullif(ibis.literal(""))
            return cleaned.try_cast(target) if lenient else cleaned.cast(target)
        return value.cast(target)
    # dates
    if source_type.is_date():
        return value
    if source_type.is_timestamp():
        return value.cast("date")
    if not source_type.is_string() and not source_type.is_null():
        return value.cast("date")
    text = value.cast("string").strip().nullif(ibis.literal(""))
    if not lenient:
        return text.cast("date")
    if fmt:
        return try_strptime(text, fmt).cast("date")
    candidates = [text.try_cast("date"), text.try_cast("timestamp").cast("date")]
    candidates += [try_strptime(text, f).cast("date") for f in _AUTO_DATE_FORMATS]
    return ibis.coalesce(*candidates)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
