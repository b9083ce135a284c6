"""Write a source's canonical tables as Parquet files: a folder that Spark (``spark://…?parquet=``),
DuckDB or any warehouse loader reads as it is.
"""

from __future__ import annotations

from pathlib import Path

from salesops_lib.data.dataset import Dataset
from salesops_lib.errors import SourceError


def write_parquet_tables(dataset: Dataset, folder: str | Path) -> dict[str, Path]:
    """Write every canonical table of ``dataset`` to ``folder/<table>.parquet`` (replacing it).

    Columns keep their canonical types (dates as dates, timestamps without a time zone), so
    the tables read back on another engine equal the source's.

    Examples
    --------
    >>> from salesops_lib.data import connect
    >>> write_parquet_tables(connect("demo:small"), "/tmp/crm")  # doctest: +SKIP
    {'reps': PosixPath('/tmp/crm/reps.parquet'), ...}
    """
    import pyarrow.parquet as pq

    out = Path(folder).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(
            f"cannot create the folder: {exc.strerror}", where=str(out), fix="choose a writable folder"
        ) from exc
    written: dict[str, Path] = {}
    for name in dataset.tables:
        path = out / f"{name}.parquet"
        partial = path.with_name(f".{path.name}.partial")
        pq.write_table(dataset.table(name).to_pyarrow(), partial)
        partial.replace(path)  # a reader never sees half a file
        written[name] = path
    return written
