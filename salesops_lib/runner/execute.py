"""Run one report in a worker process: papermill on a warm kernel, then its HTML page.

Each worker process keeps one warm kernel (see :mod:`salesops_lib.runner.kernels`). A report
that raises, runs past its timeout or kills its kernel comes back as ``failed`` with an error
excerpt; the worker replaces its kernel and goes on with the next report.

A worker dies with the run: it watches its parent process and, when the parent is gone (even
after ``kill -9``), kills its kernel and exits; the kernel itself watches the worker the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat

Status = Literal["published", "failed", "skipped"]


@dataclass(frozen=True)
class ReportTask:
    """What a worker needs to run one report."""

    name: str
    notebook: Path
    parameters: dict[str, Any]
    out_dir: Path
    timeout: float
    title: str
    meta: str
    home: str
    toc_label: str
    lang: str
    kernel: str = "salesops"


@dataclass(frozen=True)
class ReportOutcome:
    """How one report went."""

    name: str
    status: Status
    seconds: float = 0.0
    error: str = ""
    notebook_file: str | None = None
    html_file: str | None = None
    html_bytes: int = 0
    payload: dict[str, Any] = field(default_factory=dict)
    #: the page's tables as an Excel workbook (None when the page has no table)
    excel_file: str | None = None


_kernel: Any = None
_cwd: str | None = None


def init_worker(cwd: str) -> None:
    """Process-pool initializer: remember the working directory, die with the parent; the kernel
    starts lazily and is shut down when the worker process exits.
    """
    from multiprocessing.util import Finalize

    global _cwd  # noqa: PLW0603 - per-process state of a pool worker, set by its initializer
    _cwd = cwd
    Finalize(None, _discard_kernel, exitpriority=10)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Kill this worker's kernel and exit as soon as ``parent`` is no longer our parent.

    Every child process is killed, not only the kernel this worker holds: a kernel still starting
    (not yet handed back by ``replace_kernel``) would otherwise outlive the run, as the kernel's
    own parent poller only starts once it has finished starting.
    """
    import psutil

    while os.getppid() == parent:
        time.sleep(interval)
    kernel = _kernel
    pid = getattr(getattr(kernel, "provisioner", None), "pid", None)
    children = {p.pid for p in psutil.Process().children(recursive=True)} | ({pid} if pid else set())
    for child in children:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    from salesops_lib.runner.kernels import remove_socket_dirs

    remove_socket_dirs()
    os._exit(1)


def _discard_kernel() -> None:
    """Stop this worker's kernel (if still running) and remove its socket folder."""
    from salesops_lib.runner.kernels import shutdown

    global _kernel  # noqa: PLW0603 - the worker process's one warm kernel
    if _kernel is not None:
        shutdown(_kernel)
    _kernel = None


def run_report(task: ReportTask) -> ReportOutcome:
    """Execute ``task`` on this worker's warm kernel and export its page."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from salesops_lib.runner.kernels import kill, replace_kernel, reset_kernel

    global _kernel  # noqa: PLW0603 - the worker process's one warm kernel
    started = time.perf_counter()
    if _kernel is None or _kernel.kernel_name != task.kernel or not reset_kernel(_kernel):
        _kernel = replace_kernel(_kernel, kernel_name=task.kernel, cwd=_cwd)
    output = task.out_dir / f"{task.name}.ipynb"
    timed_out = threading.Event()
    kernel = _kernel

    def expire() -> None:
        timed_out.set()
        kill(kernel)

    watchdog = threading.Timer(task.timeout, expire)
    watchdog.start()
    error = ""
    try:
        pm.execute_notebook(
            str(task.notebook),
            str(output),
            parameters=task.parameters,
            kernel_name=task.kernel,
            km=kernel,
            progress_bar=False,
            log_output=False,
            execution_timeout=task.timeout,
            cwd=_cwd,
            autosave_cell_every=3600,
        )
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}".strip()
    except Exception as exc:  # dead kernel, timeout (ours or nbclient's, whichever fires first), start-up failure
        timed = timed_out.is_set() or isinstance(exc, CellTimeoutError)
        error = f"timed out after {task.timeout:g} s" if timed else f"{type(exc).__name__}: {exc}"
        _discard_kernel()  # a fresh one is started for the next report
    finally:
        watchdog.cancel()
    if timed_out.is_set():
        error = f"timed out after {task.timeout:g} s"
        _discard_kernel()
    seconds = time.perf_counter() - started
    notebook_file = output.name if output.exists() else None
    if error:
        return ReportOutcome(task.name, "failed", seconds, _excerpt(error), notebook_file)
    return _publish_page(task, output, seconds)


def _publish_page(task: ReportTask, output: Path, seconds: float) -> ReportOutcome:
    from salesops_lib.runner.html_export import export_html
    from salesops_lib.runner.tables_export import write_workbook

    workbook = write_workbook(output, task.out_dir / f"{task.name}.xlsx", task.lang)
    page = export_html(
        output,
        task.out_dir / f"{task.name}.html",
        title=task.title,
        meta=task.meta,
        home=task.home,
        toc_label=task.toc_label,
        lang=task.lang,
        excel=workbook.name if workbook else "",
    )
    payload = read_payload(output)
    return ReportOutcome(
        task.name,
        "published",
        seconds,
        "",
        output.name,
        page.path.name,
        page.bytes,
        payload,
        excel_file=workbook.name if workbook else None,
    )


def read_payload(notebook: Path) -> dict[str, Any]:
    """The structured result a report handed over with ``report.publish(...)`` (empty if none)."""
    from salesops_lib.report.notebook import PAYLOAD_MIME

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PAYLOAD_MIME in data:
                return dict(data[PAYLOAD_MIME])
    return {}


def _excerpt(text: str, limit: int = 600) -> str:
    import re

    clean = re.sub(r"\x1b\[[0-9;]*m", "", text)  # ANSI colours from IPython tracebacks
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
