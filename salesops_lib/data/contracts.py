"""pandera contracts of the canonical tables, derived from :mod:`salesops_lib.data.canonical`.

The contract is the column documentation: dtype, nullability, bounds and accepted values.
:func:`check_structure` runs it on a (lazy) Ibis table at schema depth — columns and dtypes,
no data scan. The data rules themselves (bounds, accepted values, keys, references, date
order) run as aggregate queries in :mod:`salesops_lib.data.validation`, because pandera's Ibis
backend pulls every failing row into pandas and does not check ``unique``.
:func:`contract` with ``full=True`` gives the complete pandera schema for small frames and tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandera.ibis as pa
from pandera.errors import SchemaError, SchemaErrors

from salesops_lib.config import StageOrder
from salesops_lib.data.canonical import TABLES, Column

_DTYPES: dict[str, dt.DataType] = {
    "string": dt.string,
    "date": dt.date,
    "float": dt.float64,
    "int": dt.int64,
}


def contract(table: str, *, stages: StageOrder | None = None, full: bool = True) -> pa.DataFrameSchema:
    """The pandera (Ibis) schema of canonical ``table``; ``full=False`` keeps dtypes only."""
    spec = TABLES[table]
    columns = {c.name: _column(c, stages or StageOrder(), full) for c in spec.columns}
    return pa.DataFrameSchema(columns, name=table, strict=False)


def _column(col: Column, stages: StageOrder, full: bool) -> pa.Column:
    checks: list[pa.Check] = []
    if full and col.ge is not None:
        checks.append(pa.Check.ge(col.ge))
    if full and col.accepted is not None:
        accepted: Sequence[str] = stages.all if col.accepted == "stages" else col.accepted
        checks.append(pa.Check.isin(list(accepted)))
    nullable = True if not full else col.nullable is not False
    return pa.Column(_DTYPES[col.kind], checks=checks, nullable=nullable, required=True)


@contextmanager
def _schema_depth() -> Iterator[None]:
    previous = os.environ.get("PANDERA_VALIDATION_DEPTH")
    os.environ["PANDERA_VALIDATION_DEPTH"] = "SCHEMA_ONLY"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PANDERA_VALIDATION_DEPTH", None)
        else:
            os.environ["PANDERA_VALIDATION_DEPTH"] = previous


def check_structure(table: str, expr: ir.Table) -> list[str]:
    """Structural contract violations of ``expr`` (missing columns, wrong dtypes); empty if fine."""
    schema = contract(table, full=False)
    try:
        with _schema_depth():
            schema.validate(expr, lazy=True)
    except SchemaErrors as exc:
        return [str(e.args[0] if e.args else e).splitlines()[0] for e in exc.schema_errors]
    except SchemaError as exc:
        return [str(exc).splitlines()[0]]
    return []
