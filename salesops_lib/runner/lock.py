"""One run per period at a time: an advisory lock file next to the published periods.

The lock is ``fcntl.flock`` on ``<output>/.lock-<period>``: the kernel releases it when the
holder exits, even after ``kill -9``, so a dead run never blocks the next one. The file holds
the holder's pid, so the refusal can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salesops_lib.errors import PublishError


@contextmanager
def period_lock(root: Path, period: str) -> Iterator[None]:
    """Hold the lock of ``period`` under ``root`` for the ``with`` block, or raise at once.

    Raises
    ------
    PublishError
        When another live run holds the period (its pid is named).
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / f".lock-{period}"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise PublishError(
                f"another run of period {period} is in progress (pid {holder})",
                where=str(root / period),
                fix="wait for it to finish, or stop it, then run again",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
