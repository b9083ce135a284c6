"""Chunked writing of the canonical tables into DuckDB (through Arrow), and table checksums.

Ids are formatted from integers with NumPy digit arithmetic (``C0000042``), dates are epoch
days (Arrow date32), money is rounded to cents. A chunk is appended with one
``INSERT … SELECT`` per table, run by a background thread (DuckDB releases the GIL), so the
next chunk is generated while the last one is compressed and written; the tables waiting to be
inserted are bounded in bytes, which bounds memory.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
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


_DIGIT = np.uint32(10)
_ZERO = np.uint8(ord("0"))


def ids(prefix: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """String ids ``prefix`` + zero-padded number (``numbers`` start at 1); null where not ``valid``.

    Examples
    --------
    >>> ids("O", np.array([1, 42]), np.array([True, False])).to_pylist()
    ['O00000001', None]
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    width = ID_WIDTH[prefix]
    if numbers.size and (numbers.min() < 0 or numbers.max() >= 10**width):
        return _ids_arrow(prefix, numbers, valid)  # wider than the padding: Arrow's general path
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    size = head.size + width
    n = numbers.size
    # one row per character (contiguous writes), transposed once into the string bytes
    text = np.empty((size, n), dtype=np.uint8)
    text[: head.size] = head[:, None]
    rest = numbers.astype(np.uint32)
    for k in range(size - 1, head.size - 1, -1):
        quotient = rest // _DIGIT
        np.add(rest - quotient * _DIGIT, _ZERO, out=text[k], casting="unsafe")
        rest = quotient
    data = pa.py_buffer(np.ascontiguousarray(text.T))
    offsets = pa.py_buffer(np.arange(0, (n + 1) * size, size, dtype=np.int32))
    nulls, mask = 0, None
    if valid is not None:
        ok = np.asarray(valid, dtype=bool)
        nulls = int(n - np.count_nonzero(ok))
        mask = pa.py_buffer(np.packbits(ok, bitorder="little")) if nulls else None
    return pa.StringArray.from_buffers(n, offsets, data, mask, nulls)


def _ids_arrow(prefix: str, numbers: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), ID_WIDTH[prefix], "0")
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
    """An open DuckDB file with the canonical tables created empty; append chunks, then close.

    Appends are queued and inserted in order by one background thread (DuckDB with
    ``insert_threads``: one keeps the other core for generating); at most ``max_pending_bytes``
    of Arrow tables wait (``append`` blocks beyond that). :attr:`con` waits until every queued
    chunk is written and then queries with ``threads``.
    """

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 2,
        insert_threads: int = 1,
        memory_limit: str = "1GB",
        max_pending_bytes: int = 256 << 20,
    ) -> None:
        self.path = path
        self.threads = threads
        self._con = duckdb.connect(str(path))
        self._con.execute(f"SET threads = {int(insert_threads)}")
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self.rows: Counter[str] = Counter()
        for name, table in TABLES.items():
            cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.kind]}' for c in table.columns)
            self._con.execute(f'CREATE TABLE "{name}" ({cols})')
        self._con.execute(f'CREATE TABLE "{TRUTH_TABLE}" (manifest VARCHAR)')
        self.max_pending_bytes = max_pending_bytes
        self._queue: deque[tuple[str, pa.Table] | None] = deque()
        self._pending = 0
        self._querying = False
        self._error: BaseException | None = None
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._insert_queued, name="demo-writer", daemon=True)
        self._thread.start()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, once every appended chunk is written."""
        self.flush()
        if not self._querying:
            self._con.execute(f"SET threads = {int(self.threads)}")
            self._querying = True
        return self._con

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
        with self._ready:
            while self._pending and self._pending + chunk.nbytes > self.max_pending_bytes and self._error is None:
                self._ready.wait()
            self._raise_error()
            self._pending += chunk.nbytes
            self._queue.append((table, chunk))
            self._ready.notify_all()
        self.rows[table] += n

    def flush(self) -> None:
        """Wait until every appended chunk is inserted (re-raising an insert's error)."""
        with self._ready:
            while self._queue and self._error is None:
                self._ready.wait()
            self._raise_error()

    def write_truth(self, manifest: str) -> None:
        """Store the truth manifest (one row of JSON text)."""
        self.con.execute(f'DELETE FROM "{TRUTH_TABLE}"')  # noqa: S608 - a constant
        self.con.execute(f'INSERT INTO "{TRUTH_TABLE}" VALUES (?)', [manifest])  # noqa: S608 - a constant

    def close(self) -> None:
        """Insert what is queued, checkpoint and close the file."""
        with self._ready:
            self._queue.append(None)
            self._ready.notify_all()
        self._thread.join()
        try:
            self._raise_error()
            self._con.execute("CHECKPOINT")
        finally:
            self._con.close()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _insert_queued(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                item = self._queue[0]
            if item is None:
                return
            table, chunk = item
            try:
                self._con.register("_chunk", chunk)
                try:
                    self._con.execute(f'INSERT INTO "{table}" SELECT * FROM _chunk')  # noqa: S608 - canonical name
                finally:
                    self._con.unregister("_chunk")
            except BaseException as exc:  # handed to the generating thread
                with self._ready:
                    self._error = exc
                    self._queue.clear()
                    self._pending = 0
                    self._ready.notify_all()
                return
            with self._ready:
                self._queue.popleft()
                self._pending -= chunk.nbytes
                self._ready.notify_all()


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
