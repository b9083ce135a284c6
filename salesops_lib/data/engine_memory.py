"""How much memory each in-process DuckDB engine may take.

DuckDB takes up to 80 % of the machine by default and keeps what it read cached. A user who
shares the machine can set :data:`ENV` (``1GB``): every engine a process opens then keeps to it
and spills what it can to a private temporary folder. The review does not set it: on the large
demo a 600 MB limit made three reports fail with DuckDB's out-of-memory error (pinned blocks and
cached tables do not spill), so a limit is the user's choice, not a default.
"""

from __future__ import annotations

import os
import tempfile
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
