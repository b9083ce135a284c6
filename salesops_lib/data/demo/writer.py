"""Chunked writing of the canonical tables into DuckDB (through Arrow), and table checksums.

Ids are formatted from integers in Arrow (``C0000042``), dates are epoch days (Arrow date32),
money is rounded to cents. A chunk is appended with one ``INSERT … SELECT`` per table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TypeAlias

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesops_lib.data.canonical import TABLES

TRUTH_TABLE = "_truth"
_SQL_TYPES = {"string": "VARCHAR", "date": "DATE", "float": "DOUBLE", "int": "BIGINT"}
ID_WIDTH = {
    "R": 6,
    "C": 7,
    "L": 9,
    "O": 8,
    "SO": 8,
    "INV": 8,
    "PAY": 8,
    "A": 9,
    "E": 8,
    "CP": 5,
}

_ARROW_TYPES = {"string": pa.string(), "date": pa.date32(), "float": pa.float64(), "int": pa.int64()}

Column: TypeAlias = pa.Array | np.ndarray | None


def ids(prefix: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """String ids ``prefix`` + zero-padded number (``numbers`` start at 1); null where not ``valid``."""
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), ID_WIDTH[prefix], "0")
    out = pc.binary_join_element_wise(prefix, text, "")
    if valid is not None and not np.all(valid):
        out = pc.if_else(pa.array(np.asarray(valid, dtype=bool)), out, pa.scalar(None, pa.string()))
    return out


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow dates from epoch days; null where not ``valid``."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=mask)


def money(values: np.ndarray) -> pa.Array:
    """Amounts rounded to cents."""
    return pa.array(np.round(np.asarray(values, dtype=np.float64), 2), type=pa.float64())


def labels(vocab: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """``vocab[index]`` as strings; null where ``index`` < 0."""
    index = np.asarray(index, dtype=np.int64)
    out = pc.take(pa.array(vocab, pa.string()), pa.array(np.maximum(index, 0)))
    if (index < 0).any():
        out = pc.if_else(pa.array(index >= 0), out, pa.scalar(None, pa.string()))
    return out


class DemoWriter:
    """An open DuckDB file with the canonical tables created empty; append chunks, then close."""

    def __init__(self, path: Path, *, threads: int = 2, memory_limit: str = "1GB") -> None:
        self.path = path
        self.con = duckdb.connect(str(path))
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.rows: Counter[str] = Counter()
        for name, table in TABLES.items():
            cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.kind]}' for c in table.columns)
            self.con.execute(f'CREATE TABLE "{name}" ({cols})')
        self.con.execute(f'CREATE TABLE "{TRUTH_TABLE}" (manifest VARCHAR)')

    def append(self, table: str, columns: Mapping[str, Column]) -> None:
        """Append rows; ``columns`` maps canonical column names to arrays (missing = all null)."""
        spec = TABLES[table]
        n = next(len(v) for v in columns.values() if v is not None)
        if n == 0:
            return
        arrays = []
        for col in spec.columns:
            value = columns.get(col.name)
            arrow_type = _ARROW_TYPES[col.kind]
            if value is None:
                arrays.append(pa.nulls(n, arrow_type))
            elif isinstance(value, pa.Array | pa.ChunkedArray):
                arrays.append(value.cast(arrow_type) if value.type != arrow_type else value)
            else:
                arrays.append(pa.array(value, type=arrow_type))
        chunk = pa.Table.from_arrays(arrays, names=list(spec.column_names))
        self.con.register("_chunk", chunk)
        try:
            self.con.execute(f'INSERT INTO "{table}" SELECT * FROM _chunk')  # noqa: S608 - a canonical table name
        finally:
            self.con.unregister("_chunk")
        self.rows[table] += n

    def write_truth(self, manifest: str) -> None:
        """Store the truth manifest (one row of JSON text)."""
        self.con.execute(f'DELETE FROM "{TRUTH_TABLE}"')  # noqa: S608 - a constant
        self.con.execute(f'INSERT INTO "{TRUTH_TABLE}" VALUES (?)', [manifest])  # noqa: S608 - a constant

    def close(self) -> None:
        """Checkpoint and close the file."""
        self.con.execute("CHECKPOINT")
        self.con.close()


def table_checksums(path: Path | str) -> dict[str, str]:
    """Order-independent checksum of every table in a DuckDB file: ``rows:hash``.

    The hash is the sum (as a 128-bit integer) of DuckDB's 64-bit hash of every row's values,
    so it changes when any value changes, and does not depend on row order.

    Examples
    --------
    >>> table_checksums("demo.duckdb")["opportunities"]  # doctest: +SKIP
    '612345:1f3a…'
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        out: dict[str, str] = {}
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall():
            cols = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
            row_hash = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            # names from the file's own catalogue, quoted (our own tables)
            query = f'SELECT count(*), coalesce(sum({row_hash}::HUGEINT), 0) FROM "{name}"'  # noqa: S608
            row = con.execute(query).fetchone()
            assert row is not None  # an aggregate returns one row
            count, total = row
            out[name] = f"{count}:{int(total):x}"
        return out
    finally:
        con.close()
