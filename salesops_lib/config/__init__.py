"""Configuration: paths, language and the parameter models shared by every layer."""

from __future__ import annotations

from salesops_lib.config.models import FrozenModel, Language, StageOrder
from salesops_lib.config.paths import cache_dir, project_root

__all__ = ["FrozenModel", "Language", "StageOrder", "cache_dir", "project_root"]
