"""Mapping files: turn a CRM export into canonical tables without code.

A mapping is YAML. Per canonical table it names the source (a file in the source folder or a
table in the database), and per canonical column where the value comes from::

    name: Maven CRM
    source: ../data/crm_export     # optional: the source folder, relative to this file
    encoding: auto                 # default for every file: auto | utf-8 | gbk | latin-1 | …
    tables:
      opportunities:
        from: sales_pipeline.csv
        join: [{from: accounts.csv, as: acct, on: {account: account}}]
        columns:
          opp_id: opportunity_id                  # rename
          region: acct.office_location            # a column of the joined file
          status: {from: deal_stage, values: {Won: won, Lost: lost}}
      orders:
        from: order_lines.csv
        group_by: [ORDERNUMBER]                   # one row per order
        columns:
          order_id: ORDERNUMBER
          amount: {expr: "TRY_CAST(SALES AS DOUBLE)", agg: sum}

The full reference, with a worked example per feature (rename, values, format, expr, const,
where, union, join, group_by/agg, distinct, stage_dates, source, sheet, .xls, absent), is
``docs/mapping.md``; its JSON schema (:func:`json_schema`) is ``docs/mapping.schema.json``.

``expr:`` and ``where:`` are one SQL expression each over the source's columns (and
``alias.column`` of its joins): literals, operators, CASE, CAST/TRY_CAST and the scalar
functions listed in :data:`salesops_lib.data.sql_guard.FUNCTIONS`. Nothing else (no queries,
no file-reading functions such as ``read_csv``) is accepted. YAML anchors and aliases are refused.

Text files arrive with every column as text; typing to the canonical kinds happens after the
mapping, and values that do not parse are reported by ``salesops validate`` with examples.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
import types
from pathlib import Path
from typing import Any, Literal, Protocol, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from salesops_lib.config import FrozenModel, StageOrder
from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.sql_guard import checked_sql
from salesops_lib.errors import MappingError

Scalar = str | int | float | bool | None
#: how a column of a ``group_by`` table sums up its rows (``any`` = the smallest value: deterministic)
Agg = Literal["sum", "min", "max", "mean", "count", "count_distinct", "any"]
AGGS: tuple[str, ...] = get_args(Agg)


class ColumnRule(FrozenModel):
    """Where one canonical column comes from: exactly one of ``from``, ``expr`` or ``const``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: source column name (``alias.column`` for a column of a join)
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
    #: with ``group_by``: how the group's rows sum up (sum, min, max, mean, count, count_distinct, any)
    agg: Agg | None = None

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


class StageDate(FrozenModel):
    """The date column of one stage in ``stage_dates``, with an optional filter and format."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: the date column (``alias.column`` for a column of a join)
    source: str = Field(alias="from")
    #: SQL filter: only these rows entered the stage (e.g. "deal_stage = 'Won'")
    where: str | None = None
    #: strptime format of the dates
    format: str | None = None


class SourceRef(Protocol):
    """What names one file or database table to read (a part or a join)."""

    @property
    def source(self) -> str:
        """File name in the source folder (or a table of the database)."""

    @property
    def encoding(self) -> str | None:
        """Text encoding of a CSV file."""

    @property
    def sheet(self) -> str | int | None:
        """Excel sheet name or 0-based index."""

    @property
    def delimiter(self) -> str | None:
        """CSV delimiter."""


class Join(FrozenModel):
    """Another file (or table) of the same source joined to a part by key."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: file name in the source folder (may be in a subfolder), or table name in the database
    source: str = Field(alias="from")
    #: the name its columns are addressed by: `alias.column`
    alias: str = Field(alias="as")
    #: this part's column → the joined file's column (several pairs: a composite key)
    on: dict[str, str]
    #: left (every row of the part stays) or inner (rows without a match are dropped)
    how: Literal["left", "inner"] = "left"
    #: Excel sheet name or 0-based index
    sheet: str | int | None = None
    #: text encoding of a CSV file
    encoding: str | None = None
    #: CSV delimiter when it is not a comma
    delimiter: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted `on:` key as the boolean true: it is the `on` key here."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _shape(self) -> Join:
        if not self.alias.isidentifier():
            raise ValueError(f"join alias {self.alias!r} must be a plain name (letters, digits, _; 线索 is fine)")
        if not self.on:
            raise ValueError("a join needs `on: {this_column: joined_column}`")
        return self


class TablePart(FrozenModel):
    """One source of rows for a canonical table."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    #: file name in the source folder (may be in a subfolder), or table name in the database
    source: str = Field(alias="from")
    #: text encoding of a CSV file (overrides the mapping's default)
    encoding: str | None = None
    #: Excel sheet name or 0-based index
    sheet: str | int | None = None
    #: CSV delimiter when it is not a comma
    delimiter: str | None = None
    #: other files (or tables) of the source joined by key, addressed as `alias.column`
    join: tuple[Join, ...] = ()
    #: SQL filter on the source rows
    where: str | None = None
    #: one output row per distinct value of these source columns (each other column needs `agg:`)
    group_by: tuple[str, ...] | None = None
    #: drop duplicate output rows
    distinct: bool = False
    #: stage_history only: stage → its date column; one stage row per source row and non-empty date
    stage_dates: dict[str, str | StageDate] | None = None
    #: canonical column → source column name or rule
    columns: dict[str, str | ColumnRule]

    def rules(self) -> dict[str, ColumnRule]:
        """Every column as a :class:`ColumnRule` (plain names become renames)."""
        return {k: (ColumnRule(source=v) if isinstance(v, str) else v) for k, v in self.columns.items()}

    def stage_rules(self) -> dict[str, StageDate]:
        """Every ``stage_dates`` entry as a :class:`StageDate`."""
        return {k: (StageDate(source=v) if isinstance(v, str) else v) for k, v in (self.stage_dates or {}).items()}

    def aliases(self) -> frozenset[str]:
        """The join aliases, which qualify column names (`alias.column`)."""
        return frozenset(j.alias for j in self.join)


#: the keys a table shares with a part (``from`` + these, or ``union:``)
_PART_KEYS = ("encoding", "sheet", "delimiter", "join", "where", "group_by", "distinct", "stage_dates")


class TableMapping(FrozenModel):
    """A canonical table: one part (``from`` + ``columns``) or a ``union`` of parts."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)  # FrozenModel's, by name too

    source: str | None = Field(default=None, alias="from")
    encoding: str | None = None
    sheet: str | int | None = None
    delimiter: str | None = None
    join: tuple[Join, ...] = ()
    where: str | None = None
    group_by: tuple[str, ...] | None = None
    distinct: bool = False
    stage_dates: dict[str, str | StageDate] | None = None
    columns: dict[str, str | ColumnRule] | None = None
    union: tuple[TablePart, ...] | None = None

    @model_validator(mode="after")
    def _shape(self) -> TableMapping:
        single = self.source is not None or self.columns is not None
        if single == (self.union is not None):
            raise ValueError("give either `from` + `columns` or `union: [parts]`")
        if single and (self.source is None or self.columns is None):
            raise ValueError("a table needs both `from` and `columns`")
        if self.union is not None:
            beside = [k for k in _PART_KEYS if k in self.model_fields_set]
            if beside:
                raise ValueError(f"`{beside[0]}` goes inside each `union:` part, not beside `union:`")
        return self

    def parts(self) -> tuple[TablePart, ...]:
        """The source parts, stacked in this order."""
        if self.union is not None:
            return self.union
        shared = {k: getattr(self, k) for k in _PART_KEYS}
        return (TablePart(source=self.source or "", columns=self.columns or {}, **shared),)

    def part_key(self, index: int) -> str:
        """The key path of part ``index`` below the table (``""`` or ``.union.<i>``)."""
        return f".union.{index}" if self.union is not None else ""


class Mapping(FrozenModel):
    """A whole mapping file."""

    name: str = "unnamed mapping"
    description: str = ""
    #: default source folder (or DuckDB file, or SQL URL), relative to the mapping file; --source overrides it
    source: str | None = None
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
        for name, table in self.tables.items():
            for i, part in enumerate(table.parts()):
                _check_part(name, part, f"tables.{name}{table.part_key(i)}", self.origin)
        self._check_sql()
        return self

    def _check_sql(self) -> None:
        """Every `expr:` and `where:` is one allowed SQL expression (see :mod:`salesops_lib.data.sql_guard`)."""
        for name, table in self.tables.items():
            for i, part in enumerate(table.parts()):
                key = f"tables.{name}{table.part_key(i)}"
                aliases = part.aliases()
                if part.where is not None:
                    where = f"{self.origin} at `{key}.where` (source {part.source})"
                    checked_sql(part.where, kind="where", table=name, where=where, aliases=aliases)
                for column, rule in part.rules().items():
                    if rule.expr is not None:
                        where = f"{self.origin} at `{key}.columns.{column}` (source {part.source})"
                        checked_sql(rule.expr, kind="expr", table=name, column=column, where=where, aliases=aliases)
                for stage, date in part.stage_rules().items():
                    if date.where is not None:
                        where = f"{self.origin} at `{key}.stage_dates.{stage}.where` (source {part.source})"
                        checked_sql(date.where, kind="where", table=name, where=where, aliases=aliases)

    def source_path(self) -> str | None:
        """The mapping's ``source:`` as a path (relative to the mapping file) or URL; None without one."""
        if self.source is None:
            return None
        if "://" in self.source or self.source == "demo" or self.source.startswith("demo:"):
            return self.source
        path = Path(self.source).expanduser()
        if path.is_absolute() or self.origin.startswith("<"):
            return str(path)
        return str(Path(self.origin).parent / path)


def _check_part(table: str, part: TablePart, key: str, origin: str) -> None:
    """The v2 keys of one part fit together: aliases, group_by + agg, stage_dates."""

    def fail(message: str, at: str, fix: str, column: str | None = None) -> MappingError:
        return MappingError(message, where=f"{origin} at `{key}{at}` (source {part.source})", column=column, fix=fix)

    seen: set[str] = set()
    for i, join in enumerate(part.join):
        if join.alias in seen:
            raise fail(f"join alias {join.alias!r} is used twice", f".join.{i}.as", "give each join its own `as:`")
        seen.add(join.alias)
    rules = part.rules()
    if part.group_by is not None:
        if not part.group_by:
            raise fail("`group_by` is empty", ".group_by", "list the source column(s) that identify one output row")
        for column, rule in rules.items():
            plain_key = rule.source in part.group_by and rule.expr is None
            if rule.agg is None and not plain_key and not rule.is_const:
                raise fail(
                    f"table {table!r} groups by {', '.join(part.group_by)}, but column {column!r} has no `agg:`",
                    f".columns.{column}",
                    f"add `agg:` ({', '.join(AGGS)}) to {column!r}, e.g. {{from: …, agg: any}}, "
                    "or map it from a `group_by` column",
                    column,
                )
    else:
        with_agg = [c for c, r in rules.items() if r.agg is not None]
        if with_agg:
            raise fail(
                f"column {with_agg[0]!r} has `agg:` but the table has no `group_by`",
                f".columns.{with_agg[0]}",
                "add `group_by: [key columns]` to the table, or remove `agg:`",
                with_agg[0],
            )
    if part.stage_dates is not None:
        if table != "stage_history":
            raise fail(
                "`stage_dates` is for stage_history only", ".stage_dates", "map this table's dates with `columns:`"
            )
        if not part.stage_dates:
            raise fail("`stage_dates` is empty", ".stage_dates", "name each stage's date column: {Won: close_date}")
        clash = sorted({"stage", "entered_at"} & set(part.columns))
        if clash:
            raise fail(
                f"column {clash[0]!r} comes from `stage_dates` and cannot be mapped in `columns:` too",
                f".columns.{clash[0]}",
                f"remove {clash[0]!r} from `columns:`",
            )
        if part.group_by is not None:
            raise fail(
                "`stage_dates` and `group_by` cannot be combined in one part",
                ".group_by",
                "group the rows in another table, or use a `union:` of parts",
            )


def json_schema() -> dict[str, Any]:
    """The JSON schema of a mapping file (``docs/mapping.schema.json`` is this, written out).

    Each key carries the ``#:`` comment of its field as its description, for editors' hovers.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$defs"]["Join"]["properties"]["as"]["description"]
    'the name its columns are addressed by: `alias.column`'
    """
    schema = Mapping.model_json_schema(by_alias=True)
    schema["properties"].pop("origin", None)
    for key in ("tables", "absent"):  # only canonical table names
        schema["properties"][key]["propertyNames"] = {"enum": list(TABLES)}
    shared = _field_comments(TablePart)
    for model in (Mapping, TableMapping, TablePart, ColumnRule, StageDate, Join, StageOrder):
        node = schema if model is Mapping else schema["$defs"].get(model.__name__)
        if node is None:
            continue
        comments = {**shared, **_field_comments(model)} if model is TableMapping else _field_comments(model)
        for name, field in model.model_fields.items():
            prop = node["properties"].get(field.alias or name)
            if prop is not None and name in comments:
                prop.setdefault("description", comments[name])
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = "A salesops mapping file: a CRM export → canonical tables. Reference: docs/mapping.md"
    return schema


def _field_comments(model: type[BaseModel]) -> dict[str, str]:
    """The ``#:`` comments written above the fields of ``model`` (the documentation of each key)."""
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in inspect.getsource(model).splitlines():
        text = line.strip()
        if text.startswith("#:"):
            pending.append(text[2:].strip())
            continue
        field = re.match(r"(\w+)\s*:", text)
        if pending and field:
            comments[field.group(1)] = " ".join(pending)
        pending = []
    return comments


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


_FORMAT_HINT = "see the mapping reference in docs/mapping.md (examples: parameters/sources/maven_crm.yaml)"


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
    if first["type"] == "missing" and loc:
        allowed = _keys_at(loc[:-1])
        return MappingError(
            f"the mapping misses the key `{loc[-1]}`",
            where=where,
            fix=f"add `{loc[-1]}:` here"
            + (f" (keys allowed here: {', '.join(allowed)})" if allowed else "")
            + f"; {_FORMAT_HINT}",
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


def write_json_schema(path: str | Path = "docs/mapping.schema.json") -> Path:
    """Write :func:`json_schema` to ``path`` (the committed copy editors point at).

    Run from the project root: ``python -c "from salesops_lib.data.mapping import write_json_schema as w; w()"``.
    """
    target = Path(path)
    target.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
