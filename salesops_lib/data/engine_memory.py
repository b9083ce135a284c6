"""How much memory each in-process DuckDB engine may take.

DuckDB takes up to 80 % of the machine by default and keeps what it read cached, which is right
for one analyst in one notebook and wrong for a review whose runner and kernels each open the
source: the runner gives every process of the run a share (:func:`memory_budget`), and DuckDB
spills what does not fit to a private temporary folder instead of growing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "SALESOPS_DUCKDB_MEMORY"
"""Environment variable: DuckDB's ``memory_limit`` for every engine a process opens (``1GB``)."""


def duckdb_settings() -> dict[str, object]:
    """Connection settings for a DuckDB engine of this process: the memory limit :data:`ENV`
    sets (none: DuckDB's default) and a spill folder of this process.
    """
    limit = os.environ.get(ENV, "").strip()
    if not limit:
        return {}
    spill = Path(tempfile.gettempdir()) / f"salesops-duckdb-{os.getpid()}"
    return {"memory_limit": limit, "temp_directory": str(spill)}


@contextmanager
def memory_budget(limit: str) -> Iterator[None]:
    """Within the block, engines opened by this process and those it starts take at most
    ``limit`` each (``"1GB"``), unless the user set :data:`ENV` already.
    """
    before = os.environ.get(ENV)
    if before is None:
        os.environ[ENV] = limit
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
