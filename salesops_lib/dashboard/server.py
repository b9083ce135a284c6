"""``salesops dashboard``: the Voila command line for the leadership dashboard, safe by default.

Voila runs the notebook with the lab template and sources stripped; a pool of preheated kernels
has the notebook already executed when a viewer arrives; kernels of closed pages are culled once
idle. It listens on 127.0.0.1 unless told otherwise, and refuses any other address without a token.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from salesops_lib.config import project_root
from salesops_lib.errors import ConfigError

NOTEBOOK = Path("dashboards") / "leadership.ipynb"
"""The dashboard notebook, relative to ``notebooks/``."""

TEMPLATE = "salesops"
"""Voila's lab template without its font CDN links (``share/voila/templates/salesops``)."""

SHARE = Path(__file__).resolve().parent / "share"

UNUSED_EXTENSIONS = ("jupyterlab_pygments", "@voila-dashboards/jupyterlab-preview")
"""Front-end extensions the dashboard never uses: not loading them shortens the first render."""


@dataclass(frozen=True)
class ServerOptions:
    """How Voila serves the dashboard."""

    port: int = 8866
    host: str = "127.0.0.1"
    token: str = ""
    #: preheated kernels kept ready (each holds the executed dashboard)
    pool: int = 2
    #: seconds a kernel without a viewer may idle before it is shut down (0 keeps them)
    cull_idle: int = 300


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them (``localhost``)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_options(options: ServerOptions) -> None:
    """Refuse what would expose the dashboard or cannot work, with the fix."""
    if not 0 < options.port < 65536:
        raise ConfigError(f"--port {options.port} is not a TCP port", fix="use a port between 1 and 65535")
    if options.pool < 0:
        raise ConfigError(f"--pool {options.pool} is negative", fix="use 0 (no preheating) or more kernels")
    if options.cull_idle < 0:
        raise ConfigError(f"--cull-idle {options.cull_idle} is negative", fix="use seconds, or 0 to never cull")
    if not is_loopback(options.host) and not options.token:
        raise ConfigError(
            f"refusing to serve the dashboard on {options.host} without a token: anyone who reaches that "
            "address would see the company's figures",
            where="--host", fix="add --token <secret> (viewers open the URL with ?token=<secret>), "
                                "or keep the default --host 127.0.0.1")
    if options.token and len(options.token) < 12:
        raise ConfigError("--token is shorter than 12 characters", where="--token",
                          fix="use a long random secret, e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`")


def voila_argv(options: ServerOptions, notebook: Path | None = None) -> list[str]:
    """The Voila command line (``python -m voila …``) for ``options``."""
    check_options(options)
    notebook = notebook or project_root() / "notebooks" / NOTEBOOK
    argv = [
        sys.executable, "-m", "voila", str(notebook),
        f"--port={options.port}", f"--Voila.ip={options.host}", "--no-browser", "--Voila.port_retries=0",
        f"--template={TEMPLATE}", "--theme=light", "--strip_sources=True",
        "--VoilaConfiguration.extension_denylist=" + json.dumps(list(UNUSED_EXTENSIONS)),
        "--KernelManager.transport=ipc",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--Voila.token={options.token}",
    ]
    if options.pool > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={options.pool}", "--VoilaKernelManager.fill_delay=3"]
    if options.cull_idle > 0:
        argv += [f"--MappingKernelManager.cull_idle_timeout={options.cull_idle}",
                 f"--MappingKernelManager.cull_interval={max(5, min(60, options.cull_idle // 2))}",
                 "--MappingKernelManager.cull_connected=False"]
    return argv


def voila_env(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of the Voila process (its kernels inherit it): ``extra`` plus the
    project's template folder on ``JUPYTER_PATH``."""
    env = {**base, **extra}
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE), base.get("JUPYTER_PATH", "")) if p)
    return env


def url(options: ServerOptions) -> str:
    """Where viewers open the dashboard (with the token when there is one)."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return f"http://{host}:{options.port}/" + (f"?token={options.token}" if options.token else "")
