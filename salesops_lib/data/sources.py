"""Open a source — DuckDB file, folder of exports, or SQL URL — as canonical tables.

Credentials never travel in a URL: a password in a source URL is refused, and the backend gets
it from the environment (``SALESOPS_DB_PASSWORD``, or the backend's own variables such as
libpq's ``PGPASSWORD``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import ibis
import ibis.expr.types as ir

from salesops_lib.config import StageOrder
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.conform import ConformedTable, SourcePart, conform
from salesops_lib.data.dataset import Dataset
from salesops_lib.data.mapping import Mapping, TablePart, load_mapping
from salesops_lib.data.readers import SUPPORTED_SUFFIXES, read_file, resolve_file
from salesops_lib.errors import MappingError, SourceError

PASSWORD_ENV = "SALESOPS_DB_PASSWORD"
_DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


def connect(
    source: str | Path,
    mapping: str | Path | Mapping | None = None,
    *,
    stages: StageOrder | None = None,
) -> Dataset:
    """Open ``source`` and expose its canonical tables as Ibis expressions.

    Parameters
    ----------
    source
        A DuckDB file, a folder of CSV/Excel/Parquet exports, or an SQL URL for any Ibis
        backend (``postgres://user@host:5432/db``; the password comes from the environment).
    mapping
        A mapping file (or parsed :class:`Mapping`) that shapes the source into canonical
        tables. Without one, tables and columns must already carry the canonical names.
    stages
        The stage order to validate against; defaults to the mapping's, then the workbench's.

    Examples
    --------
    >>> ds = connect("examples/maven_crm", "parameters/sources/maven_crm.yaml")  # doctest: +SKIP
    >>> ds.table("opportunities").count().execute()  # doctest: +SKIP
    8800
    """
    plan = mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)
    text = str(source)
    if (text == "demo" or text.startswith("demo:")) and not Path(text).exists():
        # the embedded default: a cached demo DuckDB file, generated on first use (demo:small, demo:null, …)
        from salesops_lib.data.demo.cache import demo_source_path, parse_demo_source

        text = str(demo_source_path(**parse_demo_source(text)))  # type: ignore[arg-type]
    if "://" in text:
        backend, kind, label = _open_url(text), "sql", redact_url(text)
        loader: Callable[[TablePart], ir.Table] = _table_loader(backend, label)
    else:
        path = Path(text).expanduser()
        if path.is_dir():
            backend, kind, label = ibis.duckdb.connect(), "folder", str(path)
            loader = _file_loader(backend, path, plan.encoding if plan else "auto")
        elif path.is_file() and path.suffix.lower() in _DUCKDB_SUFFIXES:
            backend, kind, label = _open_duckdb(path), "duckdb", str(path)
            loader = _table_loader(backend, label)
        elif path.is_file():
            raise SourceError(
                "a single file is not a source",
                where=str(path),
                fix="pass the folder that holds the export files (with --mapping), or a .duckdb file",
            )
        else:
            raise SourceError(
                "source not found",
                where=text,
                fix="pass an existing folder of exports, a .duckdb file, or an SQL URL like postgres://user@host/db",
            )
    if plan is None:
        plan = _identity_mapping(backend, kind, Path(text) if kind == "folder" else None)
    tables: dict[str, ConformedTable] = {}
    missing: dict[str, str] = {}
    for name, spec in TABLES.items():
        if name in plan.tables:
            parts = [SourcePart(loader(p), p, p.source) for p in plan.tables[name].parts()]
            tables[name] = conform(spec, parts, backend=backend.name, mapping_origin=plan.origin)
        else:
            missing[name] = plan.absent.get(name, "not provided by the source")
    return Dataset(
        source=label,
        kind=kind,
        backend=backend,
        tables=tables,
        missing=missing,
        stages=stages or plan.stages or StageOrder(),
        mapping_origin=None if plan.origin.startswith("<") else plan.origin,
        fingerprint=_fingerprint(kind, label, plan),
    )


def _open_duckdb(path: Path) -> ibis.BaseBackend:
    try:
        return ibis.duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        raise SourceError(
            f"cannot open the DuckDB file: {str(exc).strip().splitlines()[0]}",
            where=str(path),
            fix="check that it is a DuckDB database and that no other program holds it open for writing",
        ) from exc


def _open_url(url: str) -> ibis.BaseBackend:
    parts = urlsplit(url)
    if parts.password:
        raise SourceError(
            "the source URL contains a password",
            where=redact_url(url),
            fix=f"remove it from the URL and set it in the environment variable {PASSWORD_ENV} (or PGPASSWORD)",
        )
    kwargs: dict[str, str] = {}
    if os.environ.get(PASSWORD_ENV):
        kwargs["password"] = os.environ[PASSWORD_ENV]
    try:
        return ibis.connect(url, **kwargs)
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        secret = kwargs.get("password")
        if secret:
            message = message.replace(secret, "***")
        raise SourceError(
            f"cannot connect: {message}",
            where=redact_url(url),
            fix=f"check host, port, database and user; the password comes from {PASSWORD_ENV} or PGPASSWORD",
        ) from None


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _file_loader(backend: ibis.BaseBackend, folder: Path, default_encoding: str) -> Callable[[TablePart], ir.Table]:
    cache: dict[tuple[str, str | None, str | int | None, str | None], ir.Table] = {}

    def load(part: TablePart) -> ir.Table:
        encoding = part.encoding or default_encoding
        key = (part.source, encoding, part.sheet, part.delimiter)
        if key not in cache:
            path = resolve_file(folder, part.source)
            cache[key] = read_file(backend, path, encoding=encoding, sheet=part.sheet, delimiter=part.delimiter)
        return cache[key]

    return load


def _table_loader(backend: ibis.BaseBackend, label: str) -> Callable[[TablePart], ir.Table]:
    available = set(backend.list_tables())

    def load(part: TablePart) -> ir.Table:
        if part.source not in available:
            raise SourceError(
                f"table {part.source!r} not found",
                where=label,
                fix=f"tables there: {', '.join(sorted(available)) or '(none)'}",
            )
        return backend.table(part.source)

    return load


def _identity_mapping(backend: ibis.BaseBackend, kind: str, folder: Path | None) -> Mapping:
    """Without a mapping file: tables and columns that already carry the canonical names."""
    sources: dict[str, str] = {}
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED_SUFFIXES and path.stem in TABLES:
                sources.setdefault(path.stem, path.name)
    else:
        sources = {name: name for name in backend.list_tables() if name in TABLES}
    tables: dict[str, object] = {}
    loader = _file_loader(backend, folder, "auto") if folder is not None else _table_loader(backend, kind)
    for name, src in sources.items():
        part = TablePart(source=src, columns={})
        present = set(loader(part).columns)
        tables[name] = {"from": src, "columns": {c: c for c in TABLES[name].column_names if c in present}}
    try:
        return Mapping.model_validate({"name": "canonical names", "tables": tables, "origin": "<canonical names>"})
    except Exception as exc:  # pragma: no cover - identity mappings are valid by construction
        raise MappingError(str(exc)) from exc


def _fingerprint(kind: str, label: str, plan: Mapping) -> str:
    """A short hash of what the data came from: files' names, sizes and times, or the URL."""
    digest = hashlib.sha256()
    digest.update(f"{kind}|{label}|{plan.model_dump_json()}".encode())
    path = Path(label)
    if kind == "folder":
        for file in sorted(path.iterdir()):
            if file.is_file():
                st = file.stat()
                digest.update(f"{file.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    elif kind == "duckdb":
        st = path.stat()
        digest.update(f"{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
