"""``salesops dashboard``: the Voila command line for the leadership dashboard, safe by default.

Voila runs the notebook with the lab template and sources stripped; a pool of preheated kernels
has the notebook already executed when a viewer arrives; at most ``max_kernels`` kernels run at
once; kernels of pages that never connect, and of closed pages, are culled. It listens on
127.0.0.1 unless told otherwise, and refuses any other address without a strong token. The token
reaches Voila through the environment (never its command line) and is never printed; the hardened
Voila itself is :mod:`salesops_lib.dashboard.voila_app`.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import secrets
import socket
import stat
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from salesops_lib.config import project_root
from salesops_lib.errors import ConfigError

NOTEBOOK = Path("dashboards") / "leadership.ipynb"
"""The dashboard notebook, relative to ``notebooks/``."""

TEMPLATE = "salesops"
"""Voila's lab template without its font CDN links (``share/voila/templates/salesops``)."""

SHARE = Path(__file__).resolve().parent / "share"

UNUSED_EXTENSIONS = ("jupyterlab_pygments", "@voila-dashboards/jupyterlab-preview")
"""Front-end extensions the dashboard never uses: not loading them shortens the first render."""

TOKEN_ENV = "SALESOPS_DASHBOARD_TOKEN"  # noqa: S105 - the variable's name, not a token
"""The token as an environment variable: how the user may give it, and how it reaches Voila."""

TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-._~")
"""Characters a token may use: those a URL carries unchanged (``+`` would arrive as a space)."""

MIN_TOKEN_BITS = 128
"""Least estimated strength of a token (:func:`token_bits`)."""

MAX_TOKEN_LENGTH = 1024

NEW_TOKEN_HELP = (
    "generate one into a private file: `(umask 077; python -c 'import secrets; "  # noqa: S105 - advice, not a token
    "print(secrets.token_urlsafe(32))' > dashboard.token)`, then pass --token-file dashboard.token "
    "(or name a --token-file that does not exist yet: a random token is written there)"
)


@dataclass(frozen=True)
class ServerOptions:
    """How Voila serves the dashboard."""

    port: int = 8866
    host: str = "127.0.0.1"
    #: the secret viewers add as ``?token=`` once (kept out of ``repr``: it must never be printed)
    token: str = field(default="", repr=False)
    #: preheated kernels kept ready (each holds the executed dashboard)
    pool: int = 2
    #: seconds the kernel of a closed page may idle before it is shut down (0 keeps them)
    cull_idle: int = 300
    #: most kernels alive at once, preheated ones included (each holds about 200 MB)
    max_kernels: int = 8
    #: seconds a kernel handed to a page that never connected to it may live (0: as ``cull_idle``)
    cull_unconnected: int = 60


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them (``localhost``)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        # IPv4 and IPv6 socket addresses (all getaddrinfo gives without a family) start with a text
        addresses = {cast("str", info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def token_bits(token: str) -> float:
    """Estimated strength of ``token`` in bits: its length times log2 of the alphabet its character
    classes span (hex digits 16; lower case, upper case, digits, ``-._~``: 26, 26, 10, 4 each).

    A repetitive token counts 0: fewer than 8 distinct characters, or one block repeated. The
    estimate catches accidents (short, padded, repeated), not a memorable phrase; generate tokens.

    >>> token_bits("a" * 40), token_bits("abc123" * 6), round(token_bits("a-long-enough-secret"))
    (0.0, 0.0, 98)
    >>> token_bits("3f9c0a7b1e5d2c8a4b6f0e9d7c1a3b5e")  # secrets.token_hex(16)
    128.0
    """
    if len(set(token)) < 8 or _repeats(token):
        return 0.0
    if set(token) <= set("0123456789abcdef") or set(token) <= set("0123456789ABCDEF"):
        return len(token) * 4.0
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-._~")
    alphabet = sum(len(chars) for chars in classes if any(c in chars for c in token))
    return len(token) * math.log2(alphabet)


def _repeats(token: str) -> bool:
    """True when ``token`` is a shorter block repeated (``abcabcab``)."""
    n = len(token)
    return any(token == (token[:k] * (n // k + 1))[:n] for k in range(1, n // 2 + 1))


def check_token(token: str, where: str) -> None:
    """Refuse a token a guesser or a URL would get wrong, naming ``where`` it came from."""
    bad = sorted({c for c in token if c not in TOKEN_CHARS})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        raise ConfigError(
            f"the token contains characters a URL does not carry unchanged ({shown})",
            where=where,
            fix="use letters, digits, '-', '.', '_' and '~' only; " + NEW_TOKEN_HELP,
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise ConfigError(f"the token is longer than {MAX_TOKEN_LENGTH} characters", where=where, fix=NEW_TOKEN_HELP)
    bits = token_bits(token)
    if bits < MIN_TOKEN_BITS:
        raise ConfigError(
            f"the token is too weak to guard the dashboard (estimated {bits:.0f} bits, at least "
            f"{MIN_TOKEN_BITS} needed: random, not repetitive, e.g. 22+ random letters and digits)",
            where=where,
            fix=NEW_TOKEN_HELP,
        )


def read_token(token_file: Path | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The token and where it came from: ``token_file`` (created with a random token when it does not
    exist), else ``$SALESOPS_DASHBOARD_TOKEN``, else ``("", "")``. Both given is refused as ambiguous.
    """
    from_env = environ.get(TOKEN_ENV, "")
    if token_file is not None and from_env:
        raise ConfigError(
            f"both --token-file and {TOKEN_ENV} give a token",
            where="--token-file",
            fix=f"use one of them (unset {TOKEN_ENV} or drop --token-file)",
        )
    if token_file is None:
        return from_env.strip(), (f"${TOKEN_ENV}" if from_env else "")
    path = token_file.expanduser()
    if not path.exists():
        return write_new_token(path), f"{path} (a new random token, written there with mode 600)"
    if not path.is_file():
        raise ConfigError("the token file is not a file", where=str(path), fix="name a file holding only the token")
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"the token file is open to other users (mode {stat.S_IMODE(mode):o})",
                where=str(path),
                fix=f"chmod 600 {path}",
            )
        return path.read_text(encoding="utf-8").strip(), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the token file: {exc}",
            where=str(path),
            fix="name a readable text file holding only the token",
        ) from None


def write_new_token(path: Path) -> str:
    """Write ``secrets.token_urlsafe(32)`` (256 bits) to a new file only its owner can read."""
    token = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the token file: {exc}", where=str(path), fix="name a file in a folder you can write to"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token


def check_options(options: ServerOptions) -> None:
    """Refuse what would expose the dashboard or cannot work, with the fix."""
    if not 0 < options.port < 65536:
        raise ConfigError(f"--port {options.port} is not a TCP port", fix="use a port between 1 and 65535")
    if options.pool < 0:
        raise ConfigError(f"--pool {options.pool} is negative", fix="use 0 (no preheating) or more kernels")
    if options.cull_idle < 0:
        raise ConfigError(f"--cull-idle {options.cull_idle} is negative", fix="use seconds, or 0 to never cull")
    if options.cull_unconnected < 0:
        raise ConfigError(
            f"--cull-unconnected {options.cull_unconnected} is negative",
            fix="use seconds, or 0 to treat such kernels like those of closed pages",
        )
    if options.max_kernels < 1:
        raise ConfigError(
            f"--max-kernels {options.max_kernels} leaves no kernel for a viewer",
            fix="use 1 or more (each kernel holds about 200 MB)",
        )
    if options.pool > options.max_kernels:
        raise ConfigError(
            f"--pool {options.pool} is more than --max-kernels {options.max_kernels}",
            where="--pool",
            fix="lower --pool or raise --max-kernels: preheated kernels count too",
        )
    if not is_loopback(options.host) and not options.token:
        raise ConfigError(
            f"refusing to serve the dashboard on {options.host} without a token: anyone who reaches that "
            "address would see the company's figures",
            where="--host",
            fix=f"add --token-file FILE or set {TOKEN_ENV} (viewers open the URL once with "
            "?token=<secret>); " + NEW_TOKEN_HELP + "; or keep the default --host 127.0.0.1",
        )
    if options.token:
        check_token(options.token, "the dashboard token")


def voila_argv(options: ServerOptions, notebook: Path | None = None) -> list[str]:
    """The command line of the hardened Voila (``python -m salesops_lib.dashboard.voila_app …``) for
    ``options``: everything but the token, which :func:`voila_env` passes.
    """
    check_options(options)
    notebook = notebook or project_root() / "notebooks" / NOTEBOOK
    timeouts = [t for t in (options.cull_idle, options.cull_unconnected) if t > 0]
    argv = [
        sys.executable,
        "-m",
        "salesops_lib.dashboard.voila_app",
        str(notebook),
        f"--port={options.port}",
        f"--Voila.ip={options.host}",
        "--no-browser",
        "--Voila.port_retries=0",
        f"--template={TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",
        "--VoilaConfiguration.extension_denylist=" + json.dumps(list(UNUSED_EXTENSIONS)),
        "--KernelManager.transport=ipc",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--SalesOpsKernelManager.max_kernels={options.max_kernels}",
        f"--SalesOpsKernelManager.cull_unconnected={options.cull_unconnected}",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle}",
    ]
    if timeouts:
        argv.append(f"--MappingKernelManager.cull_interval={max(1, min(60, min(timeouts) // 4))}")
    if options.pool > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={options.pool}", "--VoilaKernelManager.fill_delay=3"]
    return argv


def voila_env(base: Mapping[str, str], extra: Mapping[str, str], token: str = "") -> dict[str, str]:
    """The environment of the Voila process: ``base`` without any token, ``extra``, the project's
    template folder on ``JUPYTER_PATH`` and ``token`` as ``$SALESOPS_DASHBOARD_TOKEN`` (Voila takes
    it out of its environment before any kernel starts).
    """
    env = {**{k: v for k, v in base.items() if k != TOKEN_ENV}, **extra}
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE), base.get("JUPYTER_PATH", "")) if p)
    if token:
        env[TOKEN_ENV] = token
    return env


def url(options: ServerOptions) -> str:
    """Where viewers open the dashboard, without the token (viewers append ``?token=<secret>`` once)."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return f"http://{host}:{options.port}/"
