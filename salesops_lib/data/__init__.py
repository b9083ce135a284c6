"""Sources, mapping, contracts and validation: the canonical tables on an engine."""

from __future__ import annotations

from salesops_lib.data.canonical import LEVELS, TABLES, table_spec
from salesops_lib.data.dataset import Dataset
from salesops_lib.data.mapping import Mapping, load_mapping, parse_mapping
from salesops_lib.data.sources import connect

__all__ = ["LEVELS", "TABLES", "Dataset", "Mapping", "connect", "load_mapping", "parse_mapping", "table_spec"]
