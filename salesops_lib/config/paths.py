"""Where things live: the project checkout and the user's cache."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout (or install) root: the folder that holds ``salesops_lib/``."""
    return Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Cache for derived files (transcoded CSVs, demo databases); ``SALESOPS_CACHE`` overrides."""
    base = os.environ.get("SALESOPS_CACHE")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg) if xdg else Path.home() / ".cache") / "salesops"
    path.mkdir(parents=True, exist_ok=True)
    return path
