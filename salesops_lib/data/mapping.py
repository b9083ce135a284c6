"""Mapping files: turn a CRM export into canonical tables without code.

A mapping is YAML. Per canonical table it names the source (a file in the source folder or a
table in the database), and per canonical column where the value comes from::

    name: Maven CRM
    encoding: auto                 # default for every file: auto | utf-8 | gbk | latin-1 | …
    stages: {open_stages: [Prospecting, Engaging], won: Won, lost: Lost}
    tables:
      opportunities:
        from: sales_pipeline.csv
        where: "deal_stage <> 'Prospecting'"       # optional SQL filter on the source
        columns:
          opp_id: opportunity_id                  # rename
          status: {from: deal_stage, values: {Won: won, Lost: lost, 赢单: won}}
          created_at: {from: engage_date, format: "%Y-%m-%d"}
          amount: {expr: "TRY_CAST(close_value AS DOUBLE) * 1.0"}   # derived (SQL expression)
          currency: {const: CNY}
      stage_history:
        union:                                     # several source parts stacked
          - {from: pipeline.csv, columns: {...}}
    absent:
      leads: the CRM export has no lead table

``expr:`` and ``where:`` are one SQL expression each over the source's columns: literals,
operators, CASE, CAST/TRY_CAST and the scalar functions listed in
:data:`salesops_lib.data.sql_guard.FUNCTIONS`. Nothing else (no queries, no file-reading
functions such as ``read_csv``) is accepted. YAML anchors and aliases are refused.

Text files arrive with every column as text; typing to the canonical kinds happens after the
mapping, and values that do not parse are reported by ``salesops validate`` with examples.
"""

from __future__ import annotations

import difflib
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from salesops_lib.config import FrozenModel, StageOrder
from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.sql_guard import checked_sql
from salesops_lib.errors import MappingError

Scalar = str | int | float | bool | None


class ColumnRule(FrozenModel):
    """Where one canonical column comes from: exactly one of ``from``, ``expr`` or ``const``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: source column name
    source: str | None = Field(default=None, alias="from")
    #: SQL expression over the source columns (text columns: cast them, e.g. TRY_CAST(x AS DOUBLE))
    expr: str | None = None
    #: a constant for every row
    const: Scalar = None
    #: value map applied to the source values, e.g. {Won: won, 赢单: won}
    values: dict[str, Scalar] | None = None
    #: what happens to a value the map does not list: keep it (validation flags it) or make it null
    unmapped: str = "keep"
    #: strptime format for dates, e.g. "%d/%m/%Y" or "%Y年%m月%d日"
    format: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnRule:
        given = [k for k in ("source", "expr", "const") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of `from`, `expr` or `const`")
        if self.unmapped not in ("keep", "null"):
            raise ValueError("`unmapped` must be `keep` or `null`")
        return self

    @property
    def is_const(self) -> bool:
        """True when the column is a constant (``const:``), even a null one."""
        return "const" in self.model_fields_set


class TablePart(FrozenModel):
    """One source of rows for a canonical table."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: file name in the source folder, or table name in the database
    source: str = Field(alias="from")
    #: text encoding of a CSV file (overrides the mapping's default)
    encoding: str | None = None
    #: Excel sheet name or index
    sheet: str | int | None = None
    #: CSV delimiter when it is not a comma
    delimiter: str | None = None
    #: SQL filter on the source rows
    where: str | None = None
    #: canonical column → source column name or rule
    columns: dict[str, str | ColumnRule]

    def rules(self) -> dict[str, ColumnRule]:
        """Every column as a :class:`ColumnRule` (plain names become renames)."""
        return {k: (ColumnRule(source=v) if isinstance(v, str) else v) for k, v in self.columns.items()}


class TableMapping(FrozenModel):
    """A canonical table: one part (``from`` + ``columns``) or a ``union`` of parts."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    source: str | None = Field(default=None, alias="from")
    encoding: str | None = None
    sheet: str | int | None = None
    delimiter: str | None = None
    where: str | None = None
    columns: dict[str, str | ColumnRule] | None = None
    union: tuple[TablePart, ...] | None = None

    @model_validator(mode="after")
    def _shape(self) -> TableMapping:
        single = self.source is not None or self.columns is not None
        if single == (self.union is not None):
            raise ValueError("give either `from` + `columns` or `union: [parts]`")
        if single and (self.source is None or self.columns is None):
            raise ValueError("a table needs both `from` and `columns`")
        return self

    def parts(self) -> tuple[TablePart, ...]:
        """The source parts, stacked in this order."""
        if self.union is not None:
            return self.union
        return (
            TablePart(
                source=self.source or "",
                encoding=self.encoding,
                sheet=self.sheet,
                delimiter=self.delimiter,
                where=self.where,
                columns=self.columns or {},
            ),
        )


class Mapping(FrozenModel):
    """A whole mapping file."""

    name: str = "unnamed mapping"
    description: str = ""
    #: default text encoding of CSV files
    encoding: str = "auto"
    #: the source's stage vocabulary (defaults to the workbench's)
    stages: StageOrder | None = None
    tables: dict[str, TableMapping] = Field(default_factory=dict)
    #: canonical tables the source lacks, with the reason (analyses needing them are skipped)
    absent: dict[str, str] = Field(default_factory=dict)
    #: where the mapping was read from (set by :func:`load_mapping`)
    origin: str = "<inline>"

    @model_validator(mode="after")
    def _known_tables(self) -> Mapping:
        for name in [*self.tables, *self.absent]:
            if name not in TABLES:
                raise ValueError(
                    f"unknown canonical table {name!r}{_did_you_mean(name, TABLES)}; known: {', '.join(TABLES)}"
                )
        for name, table in self.tables.items():
            known = TABLES[name].column_names
            for part in table.parts():
                unknown = sorted(set(part.columns) - set(known))
                if unknown:
                    raise ValueError(
                        f"table {name!r} maps unknown canonical column(s) {', '.join(unknown)}"
                        f"{_did_you_mean(unknown[0], known)}; its columns are: {', '.join(known)}"
                    )
        self._check_sql()
        return self

    def _check_sql(self) -> None:
        """Every `expr:` and `where:` is one allowed SQL expression (see :mod:`salesops_lib.data.sql_guard`)."""
        for name, table in self.tables.items():
            for i, part in enumerate(table.parts()):
                key = f"tables.{name}" + (f".union.{i}" if table.union is not None else "")
                if part.where is not None:
                    where = f"{self.origin} at `{key}.where` (source {part.source})"
                    checked_sql(part.where, kind="where", table=name, where=where)
                for column, rule in part.rules().items():
                    if rule.expr is not None:
                        where = f"{self.origin} at `{key}.columns.{column}` (source {part.source})"
                        checked_sql(rule.expr, kind="expr", table=name, column=column, where=where)


def _did_you_mean(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML file; every problem is a :class:`MappingError`."""
    file = Path(path)
    if not file.is_file():
        raise MappingError("mapping file not found", where=str(file), fix="check the path given to --mapping")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingError(
            f"mapping file is not valid UTF-8 (byte {exc.start:,}: {exc.object[exc.start : exc.start + 4]!r})",
            where=str(file),
            fix="save the mapping as UTF-8; the data files may stay GBK (declare them with `encoding:`)",
        ) from None
    try:
        raw = load_yaml(text, where=str(file), error=MappingError)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise MappingError(
            f"mapping is not valid YAML{at}: {problem}",
            where=str(file),
            fix="fix the YAML syntax there (indentation, quotes, a missing `:`)",
        ) from None
    if not isinstance(raw, dict):
        raise MappingError("mapping must be a YAML mapping with a `tables:` key", where=str(file))
    return parse_mapping(raw, origin=str(file))


def parse_mapping(raw: dict[str, Any], *, origin: str = "<inline>") -> Mapping:
    """Validate a mapping given as a dictionary."""
    data = {**raw, "origin": origin}
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise _mapping_error(exc, data, origin) from None


_FORMAT_HINT = "see the mapping format in salesops_lib/data/mapping.py or parameters/sources/maven_crm.yaml"


def _mapping_error(exc: ValidationError, data: dict[str, Any], origin: str) -> MappingError:
    """Pydantic's most telling error, located by the keys of the file (not pydantic's union tags)."""
    errors = exc.errors()
    # a column given as a dict fails the `str` member of `str | ColumnRule` too: that is noise
    useful = [e for e in errors if not (e["type"] == "string_type" and isinstance(e["input"], dict))] or errors
    # an unknown key explains a "field required" beside it (`colums:` for `columns:`), so it comes first
    first = min(useful, key=lambda e: e["type"] != "extra_forbidden")
    loc = _file_loc(data, first)
    where = f"{origin} at `{'.'.join(map(str, loc))}`" if loc else origin
    if first["type"] == "extra_forbidden":
        allowed = _keys_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return MappingError(
            f"unknown key `{loc[-1]}` in the mapping",
            where=where,
            fix=hint + (f"keys allowed here: {', '.join(allowed)}" if allowed else _FORMAT_HINT),
        )
    return MappingError(f"invalid mapping: {first['msg'].removeprefix('Value error, ')}", where=where, fix=_FORMAT_HINT)


def _file_loc(data: Any, error: Any) -> tuple[str | int, ...]:
    """The error's location as keys of the file: union-member tags (`str`, `function-after[…]`) dropped."""
    node, out = data, []
    loc = error["loc"]
    for i, part in enumerate(loc):
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif not (error["type"] == "missing" and i == len(loc) - 1):
            continue
        out.append(part)
    return tuple(out)


def _keys_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the mapping format accepts at ``loc`` (empty when unknown)."""
    node: Any = Mapping
    for part in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = next((f for n, f in node.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            node = field.annotation
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        elif get_origin(node) is tuple:
            node = get_args(node)[0]
        else:
            return []
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or n for n, f in node.model_fields.items() if n != "origin"]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``str | ColumnRule`` → ``ColumnRule`` (the member with keys)."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        keyed = [
            a for a in members if get_origin(a) in (dict, tuple) or (isinstance(a, type) and issubclass(a, BaseModel))
        ]
        return (keyed or members)[0]
    return annotation
