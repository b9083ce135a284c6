"""Serve the latest period first: ``salesops dashboard`` builds the newest period's cube, starts
serving it, and builds the older periods in a background process, which writes what is still to
come (and how long one period takes) to ``pending.json`` beside the cubes; the dashboard shows an
ETA for each period not ready yet and offers it once its cube is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from salesops_lib.core.atomic import write_text_atomic
from salesops_lib.dashboard.cube import DashboardCube, available_periods, save_cube

STATUS = "pending.json"
"""Periods still to build, written beside the cubes by whoever builds them."""

DEFAULT_SECONDS = 240.0
"""Assumed build time of one period before one has been timed (the latest was already cached)."""

Builder = Callable[[str], DashboardCube]


def write_status(root: Path, queue: Sequence[str], seconds: float, *, started: float | None = None) -> None:
    """Record ``queue`` (periods still to build, in order), one period's build ``seconds`` and when
    the first of them was ``started`` (epoch seconds; now when omitted). An empty queue removes the file.
    """
    path = root / STATUS
    if not queue:
        path.unlink(missing_ok=True)
        return
    now = time.time() if started is None else started
    write_text_atomic(path, json.dumps({"queue": list(queue), "seconds": seconds, "started": now}))


def pending(root: Path, now: float | None = None) -> dict[str, float]:
    """Periods announced but not built yet → estimated seconds until each is ready (in build order).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> write_status(root, ["2025-05", "2025-04"], 100.0, started=1000.0)
    >>> pending(root, now=1030.0)
    {'2025-05': 70.0, '2025-04': 170.0}
    """
    try:
        status = json.loads((root / STATUS).read_text())
    except (OSError, ValueError):
        return {}
    now = time.time() if now is None else now
    ready = set(available_periods(root))
    seconds, started = float(status.get("seconds", DEFAULT_SECONDS)), float(status.get("started", now))
    first = max(0.0, seconds - (now - started))
    waiting = [p for p in status.get("queue", []) if p not in ready]
    return {period: first + i * seconds for i, period in enumerate(waiting)}


def build_latest(root: Path, periods: Sequence[str], build: Builder, *, refresh: bool = False) -> list[str]:
    """Build the newest of ``periods`` (first) now, unless stored; return the others still to build
    (recorded in ``pending.json`` with the measured build time) — to be built by :func:`build_pending`.
    """
    have = set(available_periods(root))
    latest, older = periods[0], list(periods[1:])
    seconds = DEFAULT_SECONDS
    if refresh or latest not in have:
        started = time.perf_counter()
        save_cube(build(latest), root)
        seconds = time.perf_counter() - started
    queue = [p for p in older if refresh or p not in have]
    write_status(root, queue, seconds)
    return queue


def build_pending(root: Path, build: Builder, *, progress: Callable[[str], None] | None = None) -> list[str]:
    """Build the periods ``pending.json`` lists, in order, updating it after each; returns them."""
    try:
        status = json.loads((root / STATUS).read_text())
    except (OSError, ValueError):
        return []
    queue, seconds = list(status.get("queue", [])), float(status.get("seconds", DEFAULT_SECONDS))
    done = []
    while queue:
        period = queue[0]
        write_status(root, queue, seconds)
        if progress:
            progress(f"building dashboard data for {period} in the background")
        started = time.perf_counter()
        save_cube(build(period), root)
        seconds = time.perf_counter() - started
        done.append(queue.pop(0))
    write_status(root, [], seconds)
    return done


def spawn_pending(root: Path, source: str | None, mapping: str | None) -> subprocess.Popen[bytes] | None:
    """Start ``python -m salesops_lib.dashboard.background`` to build what ``pending.json`` lists
    (in its own session, so it outlives the command that became Voila); None when nothing is pending.
    """
    if not (root / STATUS).is_file():
        return None
    argv = [sys.executable, "-m", "salesops_lib.dashboard.background", "--root", str(root)]
    if source:
        argv += ["--source", source]
    if mapping:
        argv += ["--mapping", mapping]
    with (root / "background.log").open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - this interpreter and our own module, arguments as a list
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Build the pending periods of ``--root`` from ``--source`` / ``--mapping`` (the CLI's process)."""
    parser = argparse.ArgumentParser(prog="salesops_lib.dashboard.background")
    parser.add_argument("--root", required=True)
    parser.add_argument("--source")
    parser.add_argument("--mapping")
    args = parser.parse_args(argv)
    from salesops_lib.dashboard.build import build_cube
    from salesops_lib.data import connect

    ds = connect(args.source, args.mapping)
    os.nice(5)  # the server's kernels come first
    build_pending(Path(args.root), lambda period: build_cube(ds, period), progress=lambda m: print(m, flush=True))  # noqa: T201 - the background log
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
