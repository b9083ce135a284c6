"""The canonical tables of one source, as Ibis expressions on one engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from salesops_lib.config import StageOrder
from salesops_lib.data.canonical import TABLES
from salesops_lib.data.conform import ConformedTable
from salesops_lib.errors import MissingTableError


@dataclass(frozen=True)
class Dataset:
    """What :func:`salesops_lib.data.connect` returns.

    ``tables`` holds the canonical tables the source provides; ``missing`` the others, each
    with the reason. Nothing is loaded: every table is a lazy Ibis expression on ``backend``.
    """

    source: str
    kind: str
    backend: ibis.BaseBackend
    tables: Mapping[str, ConformedTable]
    missing: Mapping[str, str]
    stages: StageOrder = field(default_factory=StageOrder)
    mapping_origin: str | None = None
    fingerprint: str = ""
    #: tables the source lacks that were derived from others (name → how), e.g. a rep roster
    derived: Mapping[str, str] = field(default_factory=dict)
    #: answers of :meth:`has_values`, asked once per source
    _filled: dict[tuple[str, str], bool] = field(default_factory=dict, init=False, compare=False, repr=False)

    def has(self, *names: str) -> bool:
        """True when every table in ``names`` is provided."""
        return all(n in self.tables for n in names)

    def has_values(self, table: str, column: str) -> bool:
        """True when ``table`` is provided and ``column`` holds a value in at least one row
        (a column the mapping does not map is all null).
        """
        if table not in self.tables:
            return False
        key = (table, column)
        if key not in self._filled:
            values = self.tables[table].expr[column]
            self._filled[key] = bool(values.notnull().any().execute())
        return self._filled[key]

    def require(self, *names: str) -> None:
        """Raise :class:`MissingTableError` naming the first missing table and why."""
        for name in names:
            if name not in self.tables:
                raise MissingTableError(
                    f"table {name!r} is not available in this source: {self.missing.get(name, 'not mapped')}",
                    where=self.source,
                    fix=f"map `{name}` in the mapping file, or run analyses that do not need it",
                )

    def table(self, name: str) -> ir.Table:
        """The canonical table ``name`` as an Ibis expression."""
        if name not in TABLES:
            raise KeyError(f"{name!r} is not a canonical table")
        self.require(name)
        return self.tables[name].expr

    def __repr__(self) -> str:
        return f"Dataset({self.kind}: {self.source}; tables={list(self.tables)}; missing={list(self.missing)})"
