"""Atomic writes: a reader sees the old file or folder, or the new one, never half of either."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_text_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a private temporary file and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding=encoding)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def swap_folder(staging: Path, target: Path, old: Path) -> Path:
    """Make ``staging`` the folder ``target``: the current ``target`` (if any) moves to ``old``,
    ``staging`` takes its place, ``old`` is removed. Two renames; :func:`recover_swap` finishes or
    undoes a swap interrupted between them. Returns ``target``.
    """
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def recover_swap(target: Path, old: Path) -> None:
    """After a crash between the two renames of :func:`swap_folder`: put ``old`` back when
    ``target`` is missing, else drop ``old``.
    """
    if old.exists() and not target.exists():
        old.rename(target)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)
