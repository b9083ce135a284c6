"""Warm Jupyter kernels: started once per worker, reused across reports, replaced when broken.

Starting a kernel and importing pandas/ibis/seaborn costs seconds; a worker pays it once and
then runs report after report, resetting the user namespace in between (modules stay imported,
variables do not). A kernel that died or timed out is shut down and a fresh one started.
Starting retries the known transient failures (port collisions, slow start-ups).
"""

from __future__ import annotations

import time

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

KERNEL_NAME = "salesops"
WARM_UP = (
    "import pandas, numpy, ibis, duckdb, seaborn, matplotlib.pyplot\n"
    "import salesops_lib.metrics, salesops_lib.report.notebook, salesops_lib.report.plots\n"
    "from salesops_lib.report.theme import apply_theme\n"
    "apply_theme()\n"
)
RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"


class KernelStartError(RuntimeError):
    """The kernel could not be started after the retries."""


def start_kernel(kernel_name: str = KERNEL_NAME, *, attempts: int = 3, timeout: float = 60.0,
                 cwd: str | None = None) -> KernelManager:
    """Start a kernel, retrying port collisions and start-up time-outs, and warm it up."""
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        km = KernelManager(kernel_name=kernel_name)
        try:
            km.start_kernel(cwd=cwd)
            client = km.client()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=timeout)
                _run(client, WARM_UP, timeout=timeout * 2)
            finally:
                client.stop_channels()
            return km
        except Exception as exc:  # ZMQ "address in use", RuntimeError on start-up timeout, …
            last = exc
            _shutdown(km)
            time.sleep(0.5 * attempt)
    raise KernelStartError(f"kernel {kernel_name!r} did not start after {attempts} attempts: {last}")


def reset_kernel(km: KernelManager, *, timeout: float = 30.0) -> bool:
    """Clear the user namespace for the next report; False when the kernel is unusable."""
    if not km.is_alive():
        return False
    client = km.client()
    client.start_channels()
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
        _shutdown(km)
    return start_kernel(**kwargs)  # type: ignore[arg-type]


def _run(client: BlockingKernelClient, code: str, *, timeout: float) -> bool:
    reply = client.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda _msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel set-up failed: {reply['content'].get('evalue', '')}")
    return True


def _shutdown(km: KernelManager) -> None:
    try:
        km.shutdown_kernel(now=True)
    except Exception:
        pass
