"""Open a source — DuckDB file, folder of exports, or SQL URL — as canonical tables.

Credentials never travel in a URL: a password in a source URL is refused, and the backend gets
it from the environment (``SALESOPS_DB_PASSWORD``, or the backend's own variables such as
libpq's ``PGPASSWORD``).

The DuckDB connections opened here for folders and DuckDB files never install or load an
extension on their own; once the sources are registered they may open only the export files
those sources read (``enable_external_access = false`` with ``allowed_paths``), and their
configuration is locked. The mapping's SQL is checked before that (:mod:`.sql_guard`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit, urlunsplit

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from salesops_lib.config import StageOrder
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.conform import ConformedTable, SourcePart, conform
from salesops_lib.data.dataset import Dataset
from salesops_lib.data.engine_memory import duckdb_settings
from salesops_lib.data.mapping import Mapping, SourceRef, TablePart, load_mapping
from salesops_lib.data.readers import SUPPORTED_SUFFIXES, read_file, resolve_file
from salesops_lib.data.shared_results import share_results
from salesops_lib.data.spark import is_spark_url, open_spark, parquet_tables, parse_spark_url, spark_sql
from salesops_lib.errors import MappingError, SourceError

if TYPE_CHECKING:
    import duckdb
    from ibis.backends.duckdb import Backend as DuckDBBackend
    from ibis.backends.postgres import Backend as PostgresBackend

PASSWORD_ENV = "SALESOPS_DB_PASSWORD"  # noqa: S105 - the variable's name, not a password
_DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
#: DuckDB settings of every connection the data layer opens: no extension is fetched or loaded
#: behind our back (``read_text('http://…')`` would otherwise download httpfs)
_DUCKDB_CONFIG: dict[str, object] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
#: name under which a DuckDB source file is attached (read-only) to the connection's own database
_ATTACHED = "source_db"


def connect(
    source: str | Path | None,
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
        ``None``: the mapping's ``source:`` (relative to the mapping file).
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
    plan = given = _plan(mapping)
    text = _resolved(source_of(source, plan))
    engine_files: set[Path] = set()  # files the engine reads at query time (folder sources)
    if is_spark_url(text):
        label = redact_url(text)
        backend, kind = open_spark(_checked_url(text), label), "spark"
        loader: Callable[[SourceRef], ir.Table] = _table_loader(backend, label)
    elif "://" in text:
        backend, kind, label = _open_url(text), "sql", redact_url(text)
        loader = _table_loader(backend, label)
    else:
        path = Path(text).expanduser()
        if path.is_dir():
            backend, kind, label = ibis.duckdb.connect(**_DUCKDB_CONFIG, **duckdb_settings()), "folder", str(path)
            loader = _file_loader(backend, path, plan.encoding if plan else "auto", engine_files)
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
        plan = _identity_mapping(backend, kind, Path(text) if kind == "folder" else None, engine_files)
    tables: dict[str, ConformedTable] = {}
    missing: dict[str, str] = {}
    for name, spec in TABLES.items():
        if name in plan.tables:
            table = plan.tables[name]
            parts = [
                SourcePart(
                    loader(p), p, p.source, tuple(loader(j) for j in p.join), f"tables.{name}{table.part_key(i)}"
                )
                for i, p in enumerate(table.parts())
            ]
            tables[name] = conform(spec, parts, backend=backend.name, mapping_origin=plan.origin)
        else:
            missing[name] = plan.absent.get(name, "not provided by the source")
    if kind == "folder":
        _seal(backend, engine_files)  # every file is registered: the engine reads those and nothing else
    elif kind == "duckdb":
        _seal(backend, None if _has_views(backend) else set())
    if kind in ("folder", "duckdb", "spark"):
        tables = {name: _as_view(backend, conformed) for name, conformed in tables.items()}
    fingerprint = _fingerprint(kind, label, given)
    share_results(backend, fingerprint)
    return Dataset(
        source=label,
        kind=kind,
        backend=backend,
        tables=tables,
        missing=missing,
        stages=stages or plan.stages or StageOrder(),
        mapping_origin=None if plan.origin.startswith("<") else plan.origin,
        fingerprint=fingerprint,
    )


def source_fingerprint(source: str | Path | None, mapping: str | Path | Mapping | None = None) -> str:
    """``connect(source, mapping).fingerprint`` without opening the source (file names, sizes and
    times, the mapping, or the URL): cheap enough to ask again at the end of a run.
    """
    plan = _plan(mapping)
    text = _resolved(source_of(source, plan))
    if is_spark_url(text):
        return _fingerprint("spark", redact_url(text), plan)
    if "://" in text:
        return _fingerprint("sql", redact_url(text), plan)
    path = Path(text).expanduser()
    return _fingerprint("folder" if path.is_dir() else "duckdb", str(path), plan)


def source_of(source: str | Path | None, plan: Mapping | None) -> str | Path:
    """The source to open: ``source`` when given, else the mapping's ``source:``.

    Raises
    ------
    SourceError
        When neither names one.
    """
    if source is not None and str(source) != "":
        return source
    named = plan.source_path() if plan is not None else None
    if named is None:
        raise SourceError(
            "no source given",
            where=plan.origin if plan is not None else "--source",
            fix="pass --source (a folder of exports, a DuckDB file or an SQL URL), "
            "or name the folder in the mapping with `source:` (relative to the mapping file)",
        )
    return named


def _plan(mapping: str | Path | Mapping | None) -> Mapping | None:
    return mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)


def _resolved(source: str | Path) -> str:
    """``source`` as text, a demo shortcut (demo, demo:small, demo:null, …) as its cached DuckDB
    file, generated on first use.
    """
    text = str(source)
    if (text == "demo" or text.startswith("demo:")) and not Path(text).exists():
        from salesops_lib.data.demo.cache import demo_source_path, parse_demo_source

        text = str(demo_source_path(**parse_demo_source(text)))  # type: ignore[arg-type]
    return text


def _duckdb_con(backend: ibis.BaseBackend) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection under an Ibis DuckDB ``backend``."""
    return cast("DuckDBBackend", backend).con


def _open_duckdb(path: Path) -> ibis.BaseBackend:
    """A private in-memory DuckDB with ``path`` attached read-only and in use.

    Attaching (rather than opening the file) keeps this connection's settings its own: DuckDB
    shares one database instance per file within a process, so settings made on a direct
    connection would reach every other user of the file (another ``connect``, the demo truth).
    """
    backend: ibis.BaseBackend = ibis.duckdb.connect(**_DUCKDB_CONFIG, **duckdb_settings())
    con = _duckdb_con(backend)
    try:
        con.execute(f"ATTACH {_sql_text(str(path.resolve()))} AS {_ATTACHED} (READ_ONLY)")
        con.execute(f"USE {_ATTACHED}")
    except Exception as exc:
        backend.disconnect()
        raise SourceError(
            f"cannot open the DuckDB file: {str(exc).strip().splitlines()[0]}",
            where=str(path),
            fix="check that it is a DuckDB database and that no other program holds it open for writing",
        ) from exc
    return backend


def _has_views(backend: ibis.BaseBackend) -> bool:
    """True when the attached DuckDB file defines views (they may read files at query time)."""
    row = (
        _duckdb_con(backend)
        .execute("SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND NOT internal", [_ATTACHED])
        .fetchone()
    )
    return bool(row and row[0])


def _seal(backend: ibis.BaseBackend, engine_files: set[Path] | None) -> None:
    """Limit a DuckDB connection, once its sources are registered, to what they need.

    ``engine_files`` are the only files the engine may still open (the views over CSV/Parquet
    exports read them at query time); ``None`` keeps file access as it is (a DuckDB source file
    whose own views may read files). The configuration is then locked, so no SQL can undo it.
    The spill folder (``temp_directory``) stays usable: DuckDB allows it itself.
    """
    con = _duckdb_con(backend)
    if engine_files is not None:
        con.execute(f"SET allowed_paths = [{', '.join(_sql_text(str(p)) for p in sorted(engine_files))}]")
        con.execute("SET enable_external_access = false")
    # in a notebook DuckDB draws a progress widget for slow queries: a published page would then
    # depend on how busy the machine was
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")


def staged_view_name(table: str) -> str:
    """The temporary view that holds canonical ``table`` (with its raw text columns) on DuckDB."""
    return f"salesops_staged_{table}"


def _as_view(backend: ibis.BaseBackend, conformed: ConformedTable) -> ConformedTable:
    """``conformed`` read through a temporary view of this private DuckDB connection (or Spark session).

    A canonical table is a deep expression (the mapping's SQL, typing, raw text); every query on
    it would compile all of that again. As a view, it is compiled once and each analysis query
    starts from a plain table. A table whose view does not bind keeps its expression, so its
    problem is reported by validation as before.
    """
    name = staged_view_name(conformed.name)
    try:
        if backend.name == "pyspark":  # Spark's temporary views live outside any database
            cast("Any", backend).raw_sql(  # ibis.backends.pyspark imports pyspark: an optional extra
                f"CREATE OR REPLACE TEMP VIEW `{name}` AS {spark_sql(str(backend.compile(conformed.staged)))}"
            )
            namespace = ops.Namespace(catalog=None, database=None)
        else:
            _duckdb_con(backend).execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {backend.compile(conformed.staged)}')
            namespace = ops.Namespace(catalog=None, database="temp")
    except Exception:
        return conformed
    # the view's columns are the expression's, each typed by an explicit cast (asking DuckDB for
    # them would bind the view again: half a second on a folder of CSVs)
    view = ops.DatabaseTable(name, schema=conformed.staged.schema(), source=backend, namespace=namespace)
    staged: ir.Table = view.to_expr()  # type: ignore[no-untyped-call]  # unannotated in ibis
    expr = staged.select(*conformed.expr.columns)
    return ConformedTable(name=conformed.name, expr=expr, staged=staged, origin=conformed.origin)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _checked_url(url: str) -> str:
    """``url``, refused when it carries a password or a secret query value."""
    parts = _split_url(url)
    secret_keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True) if _is_secret_key(key)]
    if parts.password or secret_keys:
        what = "a password" if parts.password else f"a secret in its query ({', '.join(secret_keys)}=…)"
        raise SourceError(
            f"the source URL contains {what}",
            where=redact_url(url),
            fix="remove it from the URL and set it in Spark's spark-defaults.conf (or the cluster's own config)"
            if is_spark_url(url)
            else f"remove it from the URL and set it in the environment variable {PASSWORD_ENV} (or PGPASSWORD)",
        )
    return url


def _open_url(url: str) -> ibis.BaseBackend:
    _checked_url(url)
    kwargs: dict[str, str] = {}
    if os.environ.get(PASSWORD_ENV):
        kwargs["password"] = os.environ[PASSWORD_ENV]
    try:
        backend = ibis.connect(url, **kwargs)
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
    _tune_session(backend)
    return backend


def _tune_session(backend: ibis.BaseBackend) -> None:
    """Session settings for the workbench's queries on a warehouse connection.

    PostgreSQL: JIT off. The canonical tables reach the engine through cleaning expressions
    (trimmed keys), so the planner cannot use column statistics for joins and estimates
    millions of rows; above ``jit_above_cost`` it then spends up to a second compiling a small
    aggregate (40 % of the dashboard build on the demo data). Only this session is changed; a
    server that rejects the setting (no JIT, a PostgreSQL look-alike) is left as it is.
    """
    if backend.name != "postgres":
        return
    import psycopg

    con = cast("PostgresBackend", backend).con
    try:
        with con.cursor() as cursor, con.transaction():
            cursor.execute("SET jit = off")
    except psycopg.Error:
        pass


#: query keys whose values are credentials (compared case-insensitively, ``-`` read as ``_``)
SECRET_QUERY_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "access_token",
        "auth_token",
        "api_key",
        "apikey",
        "key",
        "sslpassword",
        "client_secret",
        "private_key",
        "credentials",
        "sig",
        "signature",
    }
)


def _is_secret_key(key: str) -> bool:
    norm = key.strip().lower().replace("-", "_").rsplit(".", 1)[-1]  # spark.ssl.keyPassword: keypassword
    return norm in SECRET_QUERY_KEYS or norm.endswith(("password", "_secret", "_token"))


def redact_url(url: str) -> str:
    """``url`` with its password and the values of secret query keys replaced by ``***``.

    Anything that is not a URL is returned as it is.

    Examples
    --------
    >>> redact_url("postgres://ana:s3cret@db:5432/crm?sslmode=require&password=x")
    'postgres://ana:***@db:5432/crm?sslmode=require&password=***'
    >>> redact_url("examples/maven_crm")
    'examples/maven_crm'
    """
    if "://" not in url:
        return url
    try:
        parts = _split_url(url)
        password = parts.password
    except ValueError:  # a malformed port or netloc: show nothing after the scheme
        return url.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if password is not None:
        user_info, _, host = netloc.rpartition("@")
        netloc = f"{user_info.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{key}={'***' if _is_secret_key(unquote(key)) else value}" if sep else item
        for item in parts.query.split("&")
        if item
        for key, sep, value in [item.partition("=")]
    )
    if parts.scheme == "spark" and not parts.netloc:
        return f"spark://{parts.path}" + (f"?{query}" if query else "")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _split_url(url: str) -> SplitResult:
    """``urlsplit(url)``; a ``spark://`` URL's master (``local[2]``, ``k8s://…``) is kept whole as its
    path, since it is no host name.
    """
    if is_spark_url(url):
        target, _, query = url[len("spark://") :].partition("?")
        return SplitResult("spark", "", target, query, "")
    return urlsplit(url)


def _file_loader(
    backend: ibis.BaseBackend, folder: Path, default_encoding: str, engine_files: set[Path]
) -> Callable[[SourceRef], ir.Table]:
    cache: dict[tuple[str, str | None, str | int | None, str | None], ir.Table] = {}

    def load(part: SourceRef) -> ir.Table:
        encoding = part.encoding or default_encoding
        key = (part.source, encoding, part.sheet, part.delimiter)
        if key not in cache:
            path = resolve_file(folder, part.source)
            cache[key] = read_file(
                backend, path, encoding=encoding, sheet=part.sheet, delimiter=part.delimiter, engine_files=engine_files
            )
        return cache[key]

    return load


def _table_loader(backend: ibis.BaseBackend, label: str) -> Callable[[SourceRef], ir.Table]:
    available = set(backend.list_tables())

    def load(part: SourceRef) -> ir.Table:
        if part.source not in available:
            raise SourceError(
                f"table {part.source!r} not found",
                where=label,
                fix=f"tables there: {', '.join(sorted(available)) or '(none)'}",
            )
        return backend.table(part.source)

    return load


def _identity_mapping(backend: ibis.BaseBackend, kind: str, folder: Path | None, engine_files: set[Path]) -> Mapping:
    """Without a mapping file: tables and columns that already carry the canonical names."""
    sources: dict[str, str] = {}
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED_SUFFIXES and path.stem in TABLES:
                sources.setdefault(path.stem, path.name)
    else:
        sources = {name: name for name in backend.list_tables() if name in TABLES}
    tables: dict[str, object] = {}
    loader = _file_loader(backend, folder, "auto", engine_files) if folder is not None else _table_loader(backend, kind)
    for name, src in sources.items():
        part = TablePart(source=src, columns={})
        present = set(loader(part).columns)
        tables[name] = {"from": src, "columns": {c: c for c in TABLES[name].column_names if c in present}}
    try:
        return Mapping.model_validate({"name": "canonical names", "tables": tables, "origin": "<canonical names>"})
    except Exception as exc:  # pragma: no cover - identity mappings are valid by construction
        raise MappingError(str(exc)) from exc


def _fingerprint(kind: str, label: str, plan: Mapping | None) -> str:
    """A short hash of what the data came from: files' names, sizes and times, or the URL, and
    the mapping (none: the canonical names, which the files' own stamps already cover).
    """
    digest = hashlib.sha256()
    digest.update(f"{kind}|{label}|{plan.model_dump_json() if plan else '<canonical names>'}".encode())
    path = Path(label)
    if kind == "folder":
        for file in sorted(path.iterdir()):
            if file.is_file():
                st = file.stat()
                digest.update(f"{file.name}|{st.st_size}|{st.st_mtime_ns}".encode())
        for name in _subfolder_files(plan):  # files the mapping reads below the folder
            file = path / name
            if file.is_file():
                st = file.stat()
                digest.update(f"{name}|{st.st_size}|{st.st_mtime_ns}".encode())
    elif kind == "duckdb":
        st = path.stat()
        digest.update(f"{st.st_size}|{st.st_mtime_ns}".encode())
    elif kind == "spark" and (folder := parse_spark_url(label).parquet) is not None and folder.is_dir():
        for table in parquet_tables(folder).values():
            for file in sorted([table] if table.is_file() else table.rglob("*")):
                if file.is_file():
                    st = file.stat()
                    digest.update(f"{file.relative_to(folder)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _subfolder_files(plan: Mapping | None) -> list[str]:
    """The files (and joined files) the mapping names in subfolders of the source folder."""
    if plan is None:
        return []
    parts = [part for table in plan.tables.values() for part in table.parts()]
    names = {part.source for part in parts} | {join.source for part in parts for join in part.join}
    return sorted(n for n in names if len(Path(n).parts) > 1)
