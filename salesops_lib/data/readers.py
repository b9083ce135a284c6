"""Register export files (CSV, Excel, Parquet) with an in-process DuckDB as Ibis tables.

Text files are read with every column as text: typing happens once, in the mapping layer, where
a value that does not parse is reported with its row instead of failing the whole read.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from salesops_lib.data.encoding import utf8_path
from salesops_lib.errors import SourceError

SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls")


def list_data_files(folder: Path) -> list[str]:
    """Names of the readable files in ``folder`` (sorted)."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def resolve_file(folder: Path, name: str) -> Path:
    """``folder / name``; when it does not exist, an error that lists what is there.

    A mapping names files *in* the source folder, perhaps in a subfolder (``exports/deals.csv``):
    an absolute path, a ``..`` or a link that leads out of the folder is refused, so a mapping
    cannot read ``/etc/passwd`` with ``from:`` either.
    """
    relative = Path(name)
    if relative.is_absolute() or relative.drive or ".." in relative.parts:
        raise SourceError(
            f"file {name!r} is outside the source folder",
            where=str(folder),
            fix="name a file inside the source folder (e.g. `from: sales_pipeline.csv`), or pass another folder",
        )
    path = folder / relative
    if path.is_file():
        if not path.resolve().is_relative_to(folder.resolve()):
            raise SourceError(
                f"file {name!r} links to a file outside the source folder",
                where=str(folder),
                fix="copy the file into the source folder instead of linking to it",
            )
        return path
    parent = path.parent
    available = list_data_files(parent) if parent.is_dir() else []
    if parent != folder:
        available = [str(Path(*relative.parts[:-1], n)) for n in available]
    close = difflib.get_close_matches(name, available, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise SourceError(
        f"file {name!r} not found",
        where=str(folder),
        fix=f"{hint}files here: {', '.join(available) or '(none)'}",
    )


def read_file(
    con: ibis.BaseBackend,
    path: Path,
    *,
    encoding: str = "auto",
    sheet: str | int | None = None,
    delimiter: str | None = None,
    engine_files: set[Path] | None = None,
) -> ir.Table:
    """Read one export file into ``con`` (a DuckDB backend) and return it as a table.

    CSV and Parquet files stay lazy views that the engine reads at query time; the absolute
    paths it will read (the file, or its UTF-8 transcode in the cache) are added to
    ``engine_files`` so the connection can be limited to exactly those files.
    """
    if path.stat().st_size == 0:
        raise SourceError("file is empty (0 bytes)", where=str(path), fix="re-export the table with its header row")
    suffix = path.suffix.lower()
    files = engine_files if engine_files is not None else set()
    try:
        if suffix in (".parquet", ".pq"):
            files.add(path.resolve())
            return con.read_parquet(str(path.resolve()))
        if suffix in EXCEL_SUFFIXES:
            return _read_excel(con, path, sheet)
        return _read_text(
            con,
            path,
            encoding=encoding,
            delimiter=delimiter or ("\t" if suffix == ".tsv" else None),
            engine_files=files,
        )
    except SourceError:
        raise
    except Exception as exc:  # the engine's own message is the most precise one we have
        raise SourceError(
            f"cannot read the file: {_first_line(exc)}",
            where=str(path),
            fix="check that it is a well-formed export (one header row, one record per line)",
        ) from exc


def _read_text(
    con: ibis.BaseBackend, path: Path, *, encoding: str, delimiter: str | None, engine_files: set[Path]
) -> ir.Table:
    readable = utf8_path(path, encoding, delimiter=delimiter)
    # never drop or pad a row silently: a malformed line fails the query with its line number
    options: dict[str, Any] = {
        "all_varchar": True,
        "header": True,
        "ignore_errors": False,
        "null_padding": False,
        "strict_mode": True,
    }
    if delimiter:
        options["delim"] = delimiter
    engine_files.add(readable.resolve())
    table = con.read_csv(str(readable.resolve()), **options)
    if len(table.columns) == 1 and table.columns[0] in ("column0", "column00"):
        raise SourceError("file has no header row", where=str(path), fix="export it with column names in the first row")
    if len(table.columns) == 1 and not delimiter:
        _check_split(path, readable, table.columns[0])
    return table


def _check_split(path: Path, readable: Path, header: str) -> None:
    """A one-column read whose header holds commas: DuckDB's sniffer gave up, usually on a ragged row."""
    if "," not in header:
        return  # a genuine one-column file, or another delimiter (declared with `delimiter:`)
    with readable.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        names = next(reader, [])
        for row in reader:
            if row and len(row) != len(names):
                raise SourceError(
                    f"cannot split the file into columns: line {reader.line_num} has {len(row)} fields, "
                    f"the header has {len(names)}",
                    where=str(path),
                    examples=[",".join(row)],
                    fix="quote values that contain a comma, or remove the extra fields on that line",
                )
    raise SourceError(
        "cannot split the file into columns (it was read as one column)",
        where=str(path),
        fix="check the quoting of the file, or declare its `delimiter:` in the mapping",
    )


def _read_excel(con: ibis.BaseBackend, path: Path, sheet: str | int | None) -> ir.Table:
    """One sheet as a temporary table named by the file *and* the sheet (two sheets never collide).

    ``.xls`` (Excel 97-2003) is read by calamine; ``.xlsx``/``.xlsm`` by openpyxl.
    """
    import pandas as pd

    _check_workbook(path)
    try:
        # only empty cells are missing: the text "NA" (a region code) or "NaN" stays text, as in a CSV
        frame = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            dtype=str,
            engine=_excel_engine(path),
            keep_default_na=False,
            na_values=[""],
        )
    except Exception as exc:  # the reader's own message, with what the workbook holds
        sheets = _sheet_names(path)
        if not sheets:
            raise SourceError(
                f"cannot read the workbook: {_first_line(exc)}",
                where=str(path),
                fix="check that it opens in Excel, and save it again as .xlsx",
            ) from exc
        raise SourceError(
            f"cannot read sheet {sheet if sheet is not None else 0!r} of the workbook: {_first_line(exc)}",
            where=str(path),
            fix=f"name an existing sheet with `sheet:` in the mapping (sheets: {', '.join(sheets)})",
        ) from exc
    if frame.columns.empty:
        raise SourceError("sheet is empty", where=str(path), fix="export the table with its header row")
    frame.columns = [str(c).strip() for c in frame.columns]
    digest = hashlib.sha256(f"{path.resolve()}|{sheet!r}".encode()).hexdigest()[:16]
    return con.create_table(f"xlsx_{digest}", frame, temp=True, overwrite=True)


#: how Excel files start: OLE2 (.xls) and ZIP (.xlsx/.xlsm, also an .xlsx saved as .xls)
_WORKBOOK_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04")


def _check_workbook(path: Path) -> None:
    """An "Excel" export that is really text or HTML (many CRMs write those) is named as such."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(_WORKBOOK_MAGIC):
        return
    text = head.lstrip().lower()
    kind = "an HTML page" if text.startswith((b"<", b"\xef\xbb\xbf<")) else "a text file"
    raise SourceError(
        f"file is not an Excel workbook: it holds {kind} under an Excel name",
        where=str(path),
        fix="open it in Excel and save it as .xlsx; or, if it is a text table, rename it to .csv/.tsv "
        "and name it so in the mapping (with `delimiter:` when it is not a comma)",
    )


def _excel_engine(path: Path) -> Literal["calamine", "openpyxl"]:
    """The reader: calamine for ``.xls`` (Excel 97-2003), openpyxl for ``.xlsx``/``.xlsm``."""
    return "calamine" if path.suffix.lower() == ".xls" else "openpyxl"


def _sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names (empty when it cannot be opened)."""
    import pandas as pd

    try:
        with pd.ExcelFile(path, engine=_excel_engine(path)) as book:
            return [str(n) for n in book.sheet_names]
    except Exception:
        return []


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
