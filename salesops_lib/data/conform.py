"""Conform source tables to a canonical table: join, select, rename, map values, type, group, stack.

Each source part becomes one SQL ``SELECT`` over the source (renames, value maps, constants,
derived expressions, the ``where`` filter), compiled by Ibis for whatever backend holds the
data. Typing to the canonical kinds follows in Ibis; on DuckDB it uses ``TRY_CAST`` so that a
value which does not parse becomes a reportable row instead of a failed query. The staged
table keeps each typed column's source text as ``<column>__raw`` for that report.

Before the SELECT, the part's ``join:`` files are joined by key (:mod:`.joins`); after the
typing, ``group_by`` sums rows up and ``distinct`` drops duplicates (:mod:`.aggregate`).
``stage_dates`` makes one SELECT per stage, stacked.

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

from salesops_lib.data.aggregate import GROUP_PREFIX, RAW_SUFFIX, distinct_rows, group_rows
from salesops_lib.data.canonical import Column, Table
from salesops_lib.data.joins import JoinedSource, join_all
from salesops_lib.data.mapping import ColumnRule, StageDate, TablePart
from salesops_lib.data.sql_guard import checked_sql
from salesops_lib.errors import MappingError

__all__ = ["RAW_SUFFIX", "ConformedTable", "SourcePart", "conform"]

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
    #: the tables of the part's ``join:`` entries, in their order
    joins: tuple[ir.Table, ...] = ()
    #: the part's key path in the mapping (``tables.orders`` or ``tables.orders.union.1``)
    key: str = ""


@dataclass(frozen=True)
class ConformedTable:
    """A canonical table as an Ibis expression, plus what validation needs to explain it."""

    name: str
    expr: ir.Table
    staged: ir.Table
    origin: str


@dataclass(frozen=True)
class _Select:
    """One SELECT of a part: its column rules, filters (checked SQL) and group keys."""

    rules: dict[str, ColumnRule]
    filters: tuple[str, ...]
    group_by: tuple[str, ...]


def conform(spec: Table, parts: Sequence[SourcePart], *, backend: str, mapping_origin: str) -> ConformedTable:
    """Build the canonical expression of ``spec`` from one or more source parts."""
    staged_parts = [
        _stage_part(spec, p, alias=f"src_{spec.name}_{i}", backend=backend, mapping_origin=mapping_origin)
        for i, p in enumerate(parts)
    ]
    staged = staged_parts[0] if len(staged_parts) == 1 else ibis.union(*staged_parts, distinct=False)
    expr = staged.select(*spec.column_names)
    origin = " + ".join(dict.fromkeys(p.origin for p in parts))
    return ConformedTable(name=spec.name, expr=expr, staged=staged, origin=origin)


def _stage_part(spec: Table, source: SourcePart, *, alias: str, backend: str, mapping_origin: str) -> ir.Table:
    """One part: joins, then one SELECT (or one per stage of ``stage_dates``), typing, grouping, distinct."""
    part = source.part
    key = source.key or f"tables.{spec.name}"
    table = source.table
    if part.join:
        joined = [
            JoinedSource(join=j, table=t, origin=mapping_origin, key=f"{key}.join.{i}", part_source=source.origin)
            for i, (j, t) in enumerate(zip(part.join, source.joins, strict=True))
        ]
        table = join_all(table, joined)
    located = _Located(mapping_origin, key, source.origin)
    aliases = part.aliases()
    filters: tuple[str, ...] = ()
    if part.where:
        # the mapping validated it already; what runs is the checked text, so nothing else can
        where = located.at("where")
        filters = (checked_sql(part.where, kind="where", table=spec.name, where=where, aliases=aliases),)
    rules = part.rules()
    if part.stage_dates is None:
        selects = [_Select(rules, filters, part.group_by or ())]
    else:
        selects = [
            _stage_select(spec.name, stage, date, rules, filters, list(table.columns), located, aliases)
            for stage, date in part.stage_rules().items()
        ]
    pieces = [
        _stage(spec, table, s, alias=f"{alias}_{i}", backend=backend, located=located, aliases=aliases)
        for i, s in enumerate(selects)
    ]
    staged = pieces[0] if len(pieces) == 1 else ibis.union(*pieces, distinct=False)
    if part.distinct:
        staged = distinct_rows(staged, spec.column_names)
    return staged


@dataclass(frozen=True)
class _Located:
    """Where an error of a part points: the mapping file, the part's key path, the source file."""

    mapping: str
    key: str
    source: str

    def at(self, sub: str = "") -> str:
        """``mapping.yaml at `tables.x.<sub>` (source file.csv)``."""
        return f"{self.mapping} at `{self.key}{'.' + sub if sub else ''}` (source {self.source})"


def _stage_select(
    table: str,
    stage: str,
    date: StageDate,
    rules: dict[str, ColumnRule],
    filters: tuple[str, ...],
    columns: list[str],
    located: _Located,
    aliases: frozenset[str],
) -> _Select:
    """The SELECT of one stage of ``stage_dates``: its rows with a non-empty date (and its filter)."""
    sub = f"stage_dates.{stage}"
    _need_column(date.source, columns, f"stage {stage!r}", located.at(sub), aliases)
    non_empty = f"NULLIF(TRIM(CAST({_ident(date.source)} AS VARCHAR)), '') IS NOT NULL"
    own = (
        (checked_sql(date.where, kind="where", table=table, where=located.at(sub + ".where"), aliases=aliases),)
        if date.where
        else ()
    )
    stage_rules = {
        **rules,
        "stage": ColumnRule(const=stage),
        "entered_at": ColumnRule(source=date.source, format=date.format),
    }
    return _Select(stage_rules, (*filters, *own, non_empty), ())


def _stage(
    spec: Table,
    table: ir.Table,
    select: _Select,
    *,
    alias: str,
    backend: str,
    located: _Located,
    aliases: frozenset[str],
) -> ir.Table:
    rules = select.rules
    columns = list(table.columns)
    missing_required = [c.name for c in spec.columns if c.required and c.name not in rules]
    if missing_required:
        raise MappingError(
            f"table {spec.name!r} needs column(s) {', '.join(missing_required)} but the mapping does not provide them",
            where=located.at(),
            fix=f"map them under {located.key}.columns (source columns: {', '.join(columns)})",
        )
    items = [
        f"{_select_item(spec.name, c, rules.get(c.name), columns, located, aliases)} AS {_ident(c.name)}"
        for c in spec.columns
    ]
    for i, name in enumerate(select.group_by):
        _need_column(name, columns, "`group_by`", located.at(f"group_by.{i}"), aliases)
        items.append(f"{_ident(name)} AS {_ident(GROUP_PREFIX + str(i))}")
    # every item and each filter passed sql_guard (or is built here from checked names); names are quoted
    sql = f"SELECT {', '.join(items)} FROM {alias}"  # noqa: S608
    if select.filters:
        sql += " WHERE " + " AND ".join(f"({f})" for f in select.filters)
    try:
        selected = table.alias(alias).sql(sql, dialect="duckdb")
    except Exception as exc:
        raise MappingError(
            f"the mapping's SQL for table {spec.name!r} does not compile: {str(exc).strip().splitlines()[0]}",
            where=located.at(),
            fix="check `expr:` and `where:` (text columns from files must be cast, e.g. TRY_CAST(x AS DOUBLE))",
        ) from exc
    typed: dict[str, ir.Value] = {}
    for col in spec.columns:
        rule = rules.get(col.name)
        value = selected[col.name]
        typed[col.name] = _typed(value, col, rule.format if rule else None, backend)
        if col.kind != "string":
            # the source text validation reads for values that did not parse; a source column
            # already of the kind (a DuckDB DOUBLE, a Parquet date) has none to fail, and
            # casting ten million of them to text only to find that would cost a scan
            raw = ibis.null("string") if _already_typed(value, col) else value.cast("string")
            typed[col.name + RAW_SUFFIX] = raw
    keys = {GROUP_PREFIX + str(i): selected[GROUP_PREFIX + str(i)] for i in range(len(select.group_by))}
    result = selected.select(**typed, **keys)
    if select.group_by:
        result = group_rows(result, spec, rules, len(select.group_by), where=f"{located.mapping} at `{located.key}")
    return result


def _need_column(name: str, columns: list[str], what: str, where: str, aliases: frozenset[str] = frozenset()) -> None:
    if name in columns:
        return
    close = difflib.get_close_matches(name, columns, n=1)
    prefix = name.split(".", 1)[0]
    joins = ""
    if "." in name and aliases and prefix not in aliases:
        joins = f"no join is named {prefix!r} (joins here: {', '.join(sorted(aliases))}); "
    raise MappingError(
        f"column {name!r} (for {what}) does not exist in the source",
        where=where,
        column=name,
        fix=joins + (f"did you mean {close[0]!r}? " if close else "") + f"source columns: {', '.join(columns)}",
    )


def _select_item(
    table: str, col: Column, rule: ColumnRule | None, columns: list[str], located: _Located, aliases: frozenset[str]
) -> str:
    if rule is None:
        return "NULL"
    if rule.is_const:
        return _literal(rule.const)
    where = located.at(f"columns.{col.name}")
    if rule.expr is not None:
        checked = checked_sql(rule.expr, kind="expr", table=table, column=col.name, where=where, aliases=aliases)
        return f"({checked})"
    source = rule.source or ""
    _need_column(source, columns, f"canonical {col.name!r}", where, aliases)
    base = _ident(source)
    if not rule.values:
        return base
    text = f"CAST({base} AS VARCHAR)"
    whens = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in rule.values.items())
    otherwise = "NULL" if rule.unmapped == "null" else text
    return f"CASE TRIM({text}) {whens} ELSE {otherwise} END"


def _already_typed(value: ir.Value, col: Column) -> bool:
    """True when the source column has the canonical column's kind already (no text to parse)."""
    source_type = value.type()
    if col.kind in ("float", "int"):
        return bool(source_type.is_numeric())
    return col.kind == "date" and bool(source_type.is_date() or source_type.is_timestamp())


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
