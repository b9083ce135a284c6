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

Text files arrive with every column as text; typing to the canonical kinds happens after the
mapping, and values that do not parse are reported by ``salesops validate`` with examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from salesops_lib.config import FrozenModel, StageOrder
from salesops_lib.data.canonical import TABLES
from salesops_lib.errors import MappingError

Scalar = str | int | float | bool | None


class ColumnRule(FrozenModel):
    """Where one canonical column comes from: exactly one of ``from``, ``expr`` or ``const``."""

    model_config = FrozenModel.model_config | {"populate_by_name": True}

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
        return "const" in self.model_fields_set


class TablePart(FrozenModel):
    """One source of rows for a canonical table."""

    model_config = FrozenModel.model_config | {"populate_by_name": True}

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

    model_config = FrozenModel.model_config | {"populate_by_name": True}

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
                source=self.source or "", encoding=self.encoding, sheet=self.sheet,
                delimiter=self.delimiter, where=self.where, columns=self.columns or {},
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
                raise ValueError(f"unknown canonical table {name!r}; known: {', '.join(TABLES)}")
        for name, table in self.tables.items():
            known = set(TABLES[name].column_names)
            for part in table.parts():
                unknown = sorted(set(part.columns) - known)
                if unknown:
                    raise ValueError(
                        f"table {name!r} maps unknown canonical column(s) {unknown}; "
                        f"its columns are: {', '.join(TABLES[name].column_names)}"
                    )
        return self


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML file; every problem is a :class:`MappingError`."""
    file = Path(path)
    if not file.is_file():
        raise MappingError("mapping file not found", where=str(file), fix="check the path given to --mapping")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping is not valid YAML: {exc}".splitlines()[0], where=str(file),
                           fix="fix the YAML syntax (indentation, quotes)") from exc
    if not isinstance(raw, dict):
        raise MappingError("mapping must be a YAML mapping with a `tables:` key", where=str(file))
    return parse_mapping(raw, origin=str(file))


def parse_mapping(raw: dict[str, Any], *, origin: str = "<inline>") -> Mapping:
    """Validate a mapping given as a dictionary."""
    try:
        return Mapping.model_validate({**raw, "origin": origin})
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise MappingError(
            f"invalid mapping: {first['msg']}",
            where=f"{origin} at `{location}`" if location else origin,
            fix="see the mapping format in salesops_lib/data/mapping.py or parameters/sources/maven_crm.yaml",
        ) from None
