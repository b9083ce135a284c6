"""One family of exceptions for everything a user can cause.

Every user-facing error names *where* (file or table, column), *what* (offending rows: a count
and a few examples) and *what to do*. The CLI prints :meth:`SalesOpsError.render` and exits
with :attr:`SalesOpsError.exit_code` — never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class SalesOpsError(Exception):
    """Base class of every error a user can cause (bad data, bad parameters, missing tables)."""

    exit_code: int = 2

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        column: str | None = None,
        rows: int | None = None,
        examples: Sequence[object] = (),
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.where = where
        self.column = column
        self.rows = rows
        self.examples = tuple(examples)
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The message as printed by the CLI: one headline, then where/column/rows/fix lines."""
        lines = [self.message]
        if self.where:
            lines.append(f"  where:  {self.where}")
        if self.column:
            lines.append(f"  column: {self.column}")
        if self.rows is not None:
            shown = ", ".join(_short(e) for e in self.examples[:5])
            lines.append(f"  rows:   {self.rows:,}" + (f" (e.g. {shown})" if shown else ""))
        elif self.examples:
            lines.append("  e.g.:   " + ", ".join(_short(e) for e in self.examples[:5]))
        if self.fix:
            lines.append(f"  fix:    {self.fix}")
        return "\n".join(lines)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ConfigError(SalesOpsError):
    """Bad parameters or configuration (unknown keys, wrong types, impossible combinations)."""


class SourceError(SalesOpsError):
    """A data source cannot be opened or read (missing file, wrong encoding, bad URL)."""


class MappingError(SalesOpsError):
    """A mapping file is invalid or names something the source does not have."""


class MissingTableError(SalesOpsError):
    """A canonical table an analysis needs is not provided by the source."""


class DataValidationError(SalesOpsError):
    """Data breaks its contract (types, ranges, keys, references, date order)."""


class MetricError(SalesOpsError):
    """A metric was asked for at a grain or with inputs it cannot be computed from."""


class PublishError(SalesOpsError):
    """A run cannot publish: another run holds the period, the source changed during the run,
    or the output folder cannot be written (full disk, read-only folder).
    """


class ExportError(SalesOpsError):
    """A published page cannot be exported (the period is not published, Chromium is missing or
    fails to print).
    """


#: top-level modules of database drivers: their exceptions are about the data, not our code
_ENGINE_MODULES = frozenset({"duckdb", "_duckdb", "psycopg", "psycopg2", "pyarrow"})


@contextmanager
def engine_errors(what: str, *, where: str | None = None) -> Iterator[None]:
    """Turn a database engine's error while a query runs into a :class:`SourceError`.

    Sources are read lazily, so a malformed file (a CSV line with too many fields past the part
    DuckDB sniffed) only fails when a query scans it. ``what`` says what was being done.
    """
    try:
        yield
    except SalesOpsError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in _ENGINE_MODULES:
            raise
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        headline = lines[0] if lines else type(exc).__name__
        detail = next((f" ({line})" for line in lines[1:] if line.startswith("Expected Number of Columns")), "")
        original = [line.removeprefix("Original Line:").strip() for line in lines if line.startswith("Original Line:")]
        if "CSV Error" in headline:
            fix = "fix that line of the file (quote values that contain the delimiter) or re-export it"
        elif "Conversion Error" in headline:
            fix = "use TRY_CAST instead of CAST in the mapping's `expr:` (values that do not convert are then reported)"
        else:
            fix = "check the mapping's `expr:` and `where:` against the source values the engine names"
        raise SourceError(f"{what}: {headline}{detail}", where=where, examples=original, fix=fix) from exc
