"""Open a ``spark://`` source: a Spark session through Ibis' PySpark backend.

The URL names the master and, in its query, where the tables are and any Spark settings::

    spark://local[2]?parquet=/data/crm            # local mode, one Parquet file/folder per table
    spark://yarn?database=crm&spark.executor.instances=8
    spark://spark-master:7077?database=crm        # a standalone master (spark://host:port)
    spark://k8s://https://api.cluster:6443?database=crm&spark.kubernetes.container.image=…
    spark://sc://connect-host:15002?database=crm  # a Spark Connect server
    spark://databricks?database=main.crm          # Databricks Connect (its own config and token)

``parquet=`` registers every ``<name>.parquet`` file or Parquet folder (as Spark writes them)
of that folder as a temporary view named ``<name>``; ``database=`` makes a catalog database
(Hive metastore, Unity Catalog ``catalog.schema``) the current one. Keys starting ``spark.``
are session settings, applied before the session starts; the rest of the cluster's settings
come from Spark's own ``spark-defaults.conf``, ``HADOOP_CONF_DIR`` and friends.

PySpark is an optional extra (``pip install 'salesops-workbench[spark]'``) and needs Java 17:
without them, or with a master that does not answer, :func:`open_spark` raises a
:class:`~salesops_lib.errors.SourceError` that says so.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import ibis

from salesops_lib.errors import SourceError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SCHEME = "spark://"
INSTALL_FIX = (
    "install the Spark extra: pip install 'salesops-workbench[spark]' (in a checkout: ./workbench setup --spark)"
)
#: settings of every session the workbench starts (a cluster's own defaults may override the rest)
SESSION_DEFAULTS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",  # dates and timestamps as written, whatever the machine's zone
    "spark.ui.showConsoleProgress": "false",  # no progress bars in published notebooks
}
#: extra defaults in local mode: small shuffles, no web UI (the demo data fit in one partition)
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
_OPTIONS = ("parquet", "database", "app")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class SparkSource:
    """What a ``spark://`` URL asks for."""

    #: Spark master: ``local[2]``, ``yarn``, ``spark://host:7077``, ``k8s://…``, ``sc://…`` or ``databricks``
    master: str
    #: folder whose Parquet files/folders become temporary views named by their stem
    parquet: Path | None = None
    #: catalog database to use (``db`` or ``catalog.db``)
    database: str | None = None
    #: the application name shown by the cluster manager
    app: str = "salesops"
    #: ``spark.*`` settings from the URL
    conf: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """True for ``local``, ``local[N]`` and ``local[*]``."""
        return self.master == "local" or self.master.startswith("local[")

    @property
    def is_remote(self) -> bool:
        """True for Spark Connect (``sc://``) and Databricks Connect: no local driver JVM."""
        return self.master.startswith("sc://") or self.master == "databricks"


def is_spark_url(text: str) -> bool:
    """True when ``text`` is a ``spark://`` source URL."""
    return text.lower().startswith(SCHEME)


def parse_spark_url(url: str) -> SparkSource:
    """Read a ``spark://`` URL (see the module docstring).

    Examples
    --------
    >>> s = parse_spark_url("spark://local[2]?parquet=/data/crm&spark.driver.memory=2g")
    >>> (s.master, str(s.parquet), s.conf)
    ('local[2]', '/data/crm', {'spark.driver.memory': '2g'})
    >>> parse_spark_url("spark://master-1:7077,master-2:7077").master
    'spark://master-1:7077,master-2:7077'
    """
    rest = url[len(SCHEME) :]
    target, _, query = rest.partition("?")
    target = target.rstrip("/")
    if not target:
        raise SourceError(
            "the Spark URL names no master",
            where=url,
            fix="write spark://local[2] (local mode), spark://yarn, spark://host:7077, spark://k8s://https://host:port "
            "or spark://sc://host:15002",
        )
    if re.fullmatch(r"local(\[(\d+|\*)(,\d+)?\])?|yarn|databricks", target) or target.startswith(("k8s://", "sc://")):
        master = target
    elif "://" not in target:
        master = SCHEME + target  # a standalone master (or several, comma-separated)
    else:
        raise SourceError(
            f"unknown Spark master {target!r}",
            where=url,
            fix="write spark://local[2], spark://yarn, spark://host:7077, spark://k8s://https://host:port, "
            "spark://sc://host:15002 or spark://databricks",
        )
    options: dict[str, str] = {}
    conf: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.startswith("spark."):
            conf[key] = value
        elif key in _OPTIONS:
            options[key] = value
        else:
            raise SourceError(
                f"unknown option {key!r} in the Spark URL",
                where=url,
                fix=f"use {', '.join(_OPTIONS)} or a Spark setting (spark.…)",
            )
    parquet = Path(options["parquet"]).expanduser().resolve() if options.get("parquet") else None
    return SparkSource(
        master=master,
        parquet=parquet,
        database=options.get("database") or None,
        app=options.get("app") or "salesops",
        conf=conf,
    )


def open_spark(url: str, label: str) -> ibis.BaseBackend:
    """An Ibis PySpark backend on the session ``url`` asks for, its tables registered.

    ``label`` (the URL without secrets) names the source in errors.
    """
    source = parse_spark_url(url)
    if source.parquet is not None and not source.parquet.is_dir():
        raise SourceError(
            "the Parquet folder of the Spark source does not exist",
            where=str(source.parquet),
            fix="pass ?parquet= an existing folder holding one <table>.parquet file or folder per table",
        )
    session = _own_session(_session(source, label))
    try:
        backend: ibis.BaseBackend = ibis.pyspark.connect(session)
        if source.database:
            session.sql(f"USE {_quoted(source.database)}")
        if source.parquet is not None:
            _register_parquet(session, source.parquet)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            f"cannot open the Spark tables: {_first_line(exc)}",
            where=label,
            fix="check the database name (?database=) and the Parquet folder (?parquet=)",
        ) from exc
    return backend


#: the whitespace set Ibis' PySpark compiler writes for ``strip()`` (``TRIM(' \t\n\r\v\f' FROM x)``):
#: Spark reads the unknown escapes ``\v`` and ``\f`` as the letters v and f, so "finance" would
#: be trimmed to "inance"; as ``\u000B``/``\u000C`` they are the vertical tab and form feed
_IBIS_TRIM_CHARS = "' \\t\\n\\r\\v\\f'"
_SPARK_TRIM_CHARS = "' \\t\\n\\r\\u000B\\u000C'"


def spark_sql(sql: str) -> str:
    """Ibis-compiled Spark SQL with the whitespace of ``strip()`` written as Spark reads it
    (an Ibis 12 / sqlglot escaping bug; ``tests/test_spark.py`` checks the trimmed values).
    """
    return sql.replace(_IBIS_TRIM_CHARS, _SPARK_TRIM_CHARS)


def parquet_tables(folder: Path) -> dict[str, Path]:
    """The tables of a Parquet folder: ``<name>.parquet`` files and Parquet folders, by name."""
    tables: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in _PARQUET_SUFFIXES or (path.is_dir() and any(path.glob("*.parquet"))):
            tables.setdefault(path.stem if path.suffix.lower() in _PARQUET_SUFFIXES else path.name, path)
    return tables


def _register_parquet(session: SparkSession, folder: Path) -> None:
    for name, path in parquet_tables(folder).items():
        session.read.parquet(str(path)).createOrReplaceTempView(name)


def _session(source: SparkSource, label: str) -> SparkSession:
    """The Spark session (an existing one in this process is reused, as Spark does)."""
    _check_reachable(source, label)
    _check_installed(source)
    try:
        if source.master == "databricks":
            from databricks.connect import DatabricksSession

            return DatabricksSession.builder.getOrCreate()  # type: ignore[no-any-return]
        from pyspark.sql import SparkSession

        builder: Any = SparkSession.builder
        if source.master.startswith("sc://"):
            builder = builder.remote(source.master)
        else:
            builder = builder.master(source.master).appName(source.app)
            for key, value in {**SESSION_DEFAULTS, **(LOCAL_DEFAULTS if source.is_local else {})}.items():
                builder = builder.config(key, value)
        for key, value in source.conf.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()  # type: ignore[no-any-return]
    except Exception as exc:
        raise SourceError(
            f"cannot start the Spark session: {_first_line(exc)}",
            where=label,
            fix="check the master URL and that Java 17 runs (java -version, or set JAVA_HOME); "
            "on a cluster, check the settings in spark-defaults.conf",
        ) from exc


def _own_session(session: SparkSession) -> SparkSession:
    """A session of its own on the process's Spark context: its temporary views (the registered
    tables, the canonical tables) never mix with another source's.
    """
    try:
        return session.newSession()
    except Exception:  # Spark Connect and Databricks sessions may not offer one: their own then
        return session


def _check_installed(source: SparkSource) -> None:
    if source.master == "databricks":
        if importlib.util.find_spec("databricks.connect") is None:
            raise SourceError(
                "Databricks Connect is not installed",
                where="spark://databricks",
                fix="pip install 'databricks-connect' matching your cluster's runtime (it replaces pyspark)",
            )
        return
    if importlib.util.find_spec("pyspark") is None:
        raise SourceError("PySpark is not installed: spark:// sources need it", where="spark://", fix=INSTALL_FIX)
    if not source.is_remote and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SourceError(
            "Java was not found: Spark needs a Java 17 runtime",
            where="spark://",
            fix="install one (Debian/Ubuntu: apt install openjdk-17-jre-headless) or set JAVA_HOME",
        )


def _check_reachable(source: SparkSource, label: str) -> None:
    """A standalone master or Spark Connect server that does not answer fails here, at once:
    Spark itself would retry for a minute, or hang the first query.
    """
    if source.master.startswith("sc://"):
        hosts = [source.master[len("sc://") :].split("/", 1)[0]]
        default_port = 15002
    elif source.master.startswith(SCHEME):
        hosts = source.master[len(SCHEME) :].split(",")
        default_port = 7077
    else:
        return
    errors = []
    for item in hosts:
        host, _, port = item.partition(":")
        try:
            with socket.create_connection((host, int(port or default_port)), timeout=_CONNECT_TIMEOUT):
                return
        except (OSError, ValueError) as exc:
            errors.append(f"{item}: {exc}")
    raise SourceError(
        f"the Spark master does not answer ({'; '.join(errors)})",
        where=label,
        fix="check the host and port of the master (and that it runs); for a local test use spark://local[2]",
    )


def _quoted(name: str) -> str:
    return ".".join(f"`{part.replace('`', '``')}`" for part in name.split("."))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
