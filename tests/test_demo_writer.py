"""The demo generator's fast paths give exactly what the plain ones gave (issue 22: generation
at ≥ 500 k rows/s without changing the data), and the background writer keeps order and errors.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from salesops_lib.data.demo.sampling import choose_rows, sort_order
from salesops_lib.data.demo.writer import ID_WIDTH, DemoWriter, ids


def arrow_ids(prefix: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """The reference: Arrow's cast, left pad and join (the generator's former path)."""
    text = pc.utf8_lpad(pc.cast(pa.array(numbers.astype(np.int64)), pa.string()), ID_WIDTH[prefix], "0")
    out = pc.binary_join_element_wise(prefix, text, "")
    if valid is not None:
        out = pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))
    return out


@pytest.mark.parametrize("prefix", sorted(ID_WIDTH))
def test_ids_are_arrows_padded_ids_with_nulls_and_wide_numbers(prefix: str) -> None:
    rng = np.random.default_rng(len(prefix))
    width = ID_WIDTH[prefix]
    for n in (0, 1, 9, 5000):
        numbers = rng.integers(0, 10**width, n)
        numbers[:1] = 10**width - 1  # the widest that fits
        valid = rng.random(n) < 0.7
        for mask in (None, valid, np.ones(n, dtype=bool), np.zeros(n, dtype=bool)):
            got = ids(prefix, numbers, mask)
            got.validate(full=True)
            assert got.to_pylist() == arrow_ids(prefix, numbers, mask).to_pylist()
    wide = np.array([1, 10**width, 10 ** (width + 2) + 7])  # more digits than the padding: not cut
    assert ids(prefix, wide).to_pylist() == arrow_ids(prefix, wide).to_pylist()


def test_sort_order_is_lexsort() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    opp, day, code = rng.integers(0, 3000, n), rng.integers(-400, 21_000, n), rng.integers(0, 6, n)
    assert (sort_order(code, day, opp) == np.lexsort((code, day, opp))).all()
    assert (sort_order(opp, day) == np.lexsort((opp, day))).all()
    flags = rng.random(n) < 0.5
    assert (sort_order(flags, day) == np.lexsort((flags, day))).all()
    huge = rng.integers(-(2**62), 2**62, n)  # ranges that do not fit one key: lexsort itself
    assert (sort_order(huge, opp) == np.lexsort((huge, opp))).all()
    real = rng.random(n)
    assert (sort_order(real, opp) == np.lexsort((real, opp))).all()
    assert sort_order(np.zeros(0, dtype=np.int64)).size == 0


def test_choose_rows_by_table_row_picks_as_the_expanded_weights() -> None:
    rng = np.random.default_rng(2)
    table = np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 0.0], [1.0, 0.0, 2.0], [0.0, 4.0, 0.0]])
    row = rng.integers(0, table.shape[0], 50_000)
    u = rng.random(row.size)
    u[:4] = [0.0, 0.2, 0.5, 1.0]  # ties with the cumulative shares
    assert (choose_rows(u, table, row) == choose_rows(u, table[row])).all()


def test_writer_inserts_queued_chunks_in_order(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    writer = DemoWriter(path, max_pending_bytes=1)  # every append waits for the one before
    expected = []
    for k in range(30):
        names = [f"P{k:02d}-{i}" for i in range(k % 4 + 1)]
        expected += names
        writer.append("products", {"product_id": pa.array(names), "list_price": np.full(len(names), 1.5)})
    assert writer.rows["products"] == len(expected)
    assert [r[0] for r in writer.con.execute("SELECT product_id FROM products").fetchall()] == expected
    writer.close()
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*), sum(list_price) FROM products").fetchone() == (
        len(expected),
        1.5 * len(expected),
    )
    con.close()


def test_writer_raises_an_insert_error_in_the_generating_thread(tmp_path: Path) -> None:
    writer = DemoWriter(tmp_path / "w.duckdb")
    writer.flush()
    writer._con.execute("DROP TABLE products")  # the background INSERT will fail
    writer.append("products", {"product_id": pa.array(["P1"])})
    with pytest.raises(duckdb.CatalogException):
        writer.flush()
    with pytest.raises(duckdb.CatalogException):
        writer.append("products", {"product_id": pa.array(["P2"])})
    with pytest.raises(duckdb.CatalogException):
        writer.close()
