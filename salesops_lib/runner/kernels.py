"""Warm Jupyter kernels: started once per worker, reused across reports, replaced when broken.

Starting a kernel and importing pandas/ibis/seaborn costs seconds; a worker pays it once (its
first report imports them) and then runs report after report, resetting the user namespace in
between (modules stay imported, variables do not). A kernel that died or timed out is shut down
and a fresh one started. Starting retries the known transient failures (port collisions, slow
start-ups) and checks that the kernel sees this library.

Kernels are managed by an *async* kernel manager, as nbclient expects: with a blocking one,
nbclient's output polling blocks its event loop and a dead or hung kernel is never noticed.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager as KernelManager
from jupyter_core.utils import run_sync

KERNEL_NAME = "salesops"
WARM_UP = "import salesops_lib\n"
"""Run once at start: a kernel that cannot import the library fails here, not in every report.
(Pre-importing the analyses' modules would only move their import time, not save it.)"""
RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"


_SOCKET_DIRS: dict[int, Path] = {}


class KernelStartError(RuntimeError):
    """The kernel could not be started after the retries."""


def start_kernel(
    kernel_name: str = KERNEL_NAME, *, attempts: int = 3, timeout: float = 60.0, cwd: str | None = None
) -> KernelManager:
    """Start a kernel, retrying port collisions and start-up time-outs, and warm it up."""
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        # IPC sockets in a private temp folder: no TCP ports to collide, nothing on the network
        socket_dir = Path(tempfile.mkdtemp(prefix="salesops-kernel-"))
        km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=str(socket_dir / "k"))
        _SOCKET_DIRS[id(km)] = socket_dir
        try:
            run_sync(km.start_kernel)(cwd=cwd)
            client = _client(km)
            try:
                client.wait_for_ready(timeout=timeout)
                _run(client, WARM_UP, timeout=timeout * 2)
            finally:
                client.stop_channels()
            return km
        except Exception as exc:  # ZMQ "address in use", RuntimeError on start-up timeout, …
            last = exc
            shutdown(km)
            time.sleep(0.5 * attempt)
    raise KernelStartError(f"kernel {kernel_name!r} did not start after {attempts} attempts: {last}")


def reset_kernel(km: KernelManager, *, timeout: float = 30.0) -> bool:
    """Clear the user namespace for the next report; False when the kernel is unusable."""
    if not run_sync(km.is_alive)():
        return False
    client = _client(km)
    try:
        client.wait_for_ready(timeout=timeout)
        return _run(client, RESET, timeout=timeout)
    except Exception:
        return False
    finally:
        client.stop_channels()


def replace_kernel(km: KernelManager | None, **kwargs: object) -> KernelManager:
    """Shut ``km`` down (if any) and start a fresh warm kernel."""
    if km is not None:
        shutdown(km)
    return start_kernel(**kwargs)  # type: ignore[arg-type]


def _client(km: KernelManager) -> BlockingKernelClient:
    """A blocking client whose liveness check is the manager's process check, not the heartbeat.

    A client without a parent manager judges liveness by heartbeats with a 1 s deadline, so a
    kernel that is merely slow (a loaded machine, a long import) is declared dead. With the
    manager as parent, "dead" means the kernel process exited; slowness is bounded by the
    ready timeout alone.
    """
    client = BlockingKernelClient(parent=km, **km.get_connection_info(session=True))
    client.start_channels()
    return client


def kill(km: KernelManager) -> None:
    """Stop the kernel at once (from any thread): used by the report timeout."""
    # best effort: the kernel may already be gone, or be going, when the timeout fires
    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)


def _run(client: BlockingKernelClient, code: str, *, timeout: float) -> bool:
    reply = client.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda _msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel set-up failed: {reply['content'].get('evalue', '')}")
    return True


def shutdown(km: KernelManager) -> None:
    """Stop the kernel and remove its socket folder (errors ignored: it may be dead already)."""
    kill(km)
    socket_dir = _SOCKET_DIRS.pop(id(km), None)
    if socket_dir is not None:
        shutil.rmtree(socket_dir, ignore_errors=True)


def remove_socket_dirs() -> None:
    """Remove every socket folder of this process's kernels (a worker leaving in a hurry)."""
    for socket_dir in list(_SOCKET_DIRS.values()):
        shutil.rmtree(socket_dir, ignore_errors=True)
    _SOCKET_DIRS.clear()
