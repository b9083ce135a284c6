"""Query results (and analysis results) shared by the processes of one run.

A review's reports run in separate kernels and ask the engine many of the same questions: the
roster and the names, the coverage checks, a metric at a grain, and the monthly review asks again
everything the KPI and forecast reports asked. With :data:`ENV` set to a folder, the first process
to run a query stores its (small) result there and the others read it instead of scanning the
source again. The runner sets it to a folder inside the run's staging folder, which goes with the
run, and checks that the source did not change during the run; an analyst's notebook, the
dashboard and the CLI's other commands always ask the engine.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ibis
import pandas as pd

ENV = "SALESOPS_SHARED_RESULTS"
"""Environment variable: the folder of the run's shared query results (unset: not shared)."""
MAX_ROWS = 200_000
"""Larger results are not stored (reading them back would cost about what the query does)."""


@contextmanager
def sharing_results() -> Iterator[Path]:
    """Within the block, sources opened by this process and the processes it starts share query
    results through a new private folder, removed at the end.
    """
    before = os.environ.get(ENV)
    folder = Path(tempfile.mkdtemp(prefix="salesops-results-"))
    os.environ[ENV] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def share_results(backend: ibis.BaseBackend, fingerprint: str) -> None:
    """Make ``backend`` (of the source with ``fingerprint``) share query results through the
    folder :data:`ENV` names; nothing when it is unset.
    """
    folder = os.environ.get(ENV, "")
    if not folder or not fingerprint:
        return
    execute = backend.execute

    def shared_execute(expr: Any, params: Any = None, limit: Any = None, **kwargs: Any) -> Any:
        if params or kwargs:
            return execute(expr, params=params, limit=limit, **kwargs)
        try:
            sql = str(backend.compile(expr, limit=limit))
        except Exception:  # an expression this backend compiles only when run: ask the engine
            return execute(expr, params=params, limit=limit)
        key = hashlib.sha256(f"{fingerprint}\n{sql}".encode()).hexdigest()
        path = Path(folder) / f"{key}.pickle"
        stored = _read(path)
        if stored is not _MISSING:
            return stored
        value = execute(expr, params=params, limit=limit)
        if _small(value):
            _write(path, value)
        return value

    backend.execute = shared_execute  # type: ignore[method-assign,assignment]


T = TypeVar("T")


def shared_value(key: tuple[str, ...], compute: Callable[[], T]) -> T:
    """``compute()``, shared like a query result under ``key`` (every input it depends on, the
    source's fingerprint among them): the first process of a run computes it, the others read it.
    Without :data:`ENV`, or when the value cannot be stored, it is computed.
    """
    folder = os.environ.get(ENV, "")
    if not folder:
        return compute()
    path = Path(folder) / f"{hashlib.sha256(chr(0).join(key).encode()).hexdigest()}.pickle"
    stored = _read(path)
    if stored is not _MISSING:
        return stored  # type: ignore[no-any-return]
    value = compute()
    _write(path, value)
    return value


_MISSING = object()


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - the run's own private folder, written by _write
    except (OSError, EOFError, pickle.UnpicklingError):
        return _MISSING


def _write(path: Path, value: Any) -> None:
    """Store ``value`` under ``path`` atomically (a reader sees all of it or nothing)."""
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        # a full disk or a value pickle cannot store costs the sharing, not the run
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _small(value: Any) -> bool:
    if isinstance(value, pd.DataFrame | pd.Series):
        return len(value) <= MAX_ROWS
    return True
