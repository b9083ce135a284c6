"""The embedded default: ``source: demo`` opens a cached demo file, generated on first use.

Shortcuts (for ``connect()`` and ``--source``): ``demo`` is the default-size planted dataset;
``demo:small``, ``demo:null``, ``demo:small:null``, ``demo:large`` … combine a size and a
variant; ``demo:…:seed=7`` and ``demo:…:2025-06-30`` pick a seed and an as-of date.
Files live in ``cache_dir()/demo`` and are named after everything that determines them
(including :data:`GENERATOR_VERSION`), so a stale file is never reused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

from salesops_lib.config import cache_dir
from salesops_lib.data.demo.spec import DEFAULT_SEED, GENERATOR_VERSION, SIZES, VARIANTS, resolve_config
from salesops_lib.errors import ConfigError

PREFIX = "demo"


def is_demo_source(text: str) -> bool:
    """True for ``demo`` and ``demo:…`` source shortcuts."""
    return text == PREFIX or text.startswith(PREFIX + ":")


def parse_demo_source(text: str) -> dict[str, object]:
    """``demo:small:null:seed=7:2025-06-30`` → the arguments of :func:`demo_source_path`."""
    args: dict[str, object] = {}
    for part in text.split(":")[1:]:
        token = part.strip()
        if not token:
            continue
        if token in SIZES:
            args["size"] = token
        elif token in VARIANTS:
            args["variant"] = token
        elif token.startswith("seed="):
            try:
                args["seed"] = int(token[5:])
            except ValueError:
                raise ConfigError(f"invalid seed in {text!r}", fix="write e.g. demo:seed=7") from None
        else:
            try:
                args["as_of"] = dt.date.fromisoformat(token)
            except ValueError:
                raise ConfigError(
                    f"unknown demo option {token!r} in {text!r}",
                    fix=f"use a size ({', '.join(SIZES)}), a variant ({', '.join(VARIANTS)}), seed=N or a date YYYY-MM-DD",
                ) from None
    return args


def demo_source_path(
    size: str = "default",
    variant: str = "planted",
    seed: int = DEFAULT_SEED,
    as_of: dt.date | str | None = None,
    *,
    show_progress: bool = True,
) -> Path:
    """The cached demo file for these arguments, generated (with a progress bar on stderr) if missing.

    Examples
    --------
    >>> demo_source_path()  # doctest: +SKIP
    PosixPath('/home/me/.cache/salesops/demo/demo-default-planted-s42-20251031-v3.duckdb')
    """
    cfg = resolve_config(size, variant, seed, as_of)
    folder = cache_dir() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"demo-{size}-{variant}-s{seed}-{cfg.as_of:%Y%m%d}-v{GENERATOR_VERSION}.duckdb"
    if path.is_file():
        return path
    from salesops_lib.data.demo.generate import generate_demo

    with _lock(path.with_name(path.name + ".lock")):
        if not path.is_file():  # another process may have generated it while we waited
            if show_progress:
                with progress_bar(f"generating the {size} demo dataset ({variant}, as of {cfg.as_of})") as report:
                    generate_demo(path, size=size, variant=variant, seed=seed, as_of=cfg.as_of, progress=report)
            else:
                generate_demo(path, size=size, variant=variant, seed=seed, as_of=cfg.as_of)
    return path


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (POSIX), so parallel first uses generate the file once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the atomic rename alone keeps the file consistent
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class progress_bar:  # noqa: N801 - used as a context manager like a function
    """A rich progress bar on stderr that accepts the generator's ``(description, fraction)`` calls."""

    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.fields[title]}[/bold]"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
            disable=not sys.stderr,
        )
        self._task = self._progress.add_task("", total=1.0, title=title)

    def __enter__(self) -> progress_bar:
        self._progress.start()
        return self

    def __call__(self, description: str, fraction: float) -> None:
        """Show ``description`` and move the bar to ``fraction`` (0…1)."""
        self._progress.update(self._task, completed=fraction, description=description)

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
