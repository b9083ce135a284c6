"""salesops workbench: the shared library behind the notebooks, reports and dashboards.

Layers (imports point down only, checked by import-linter):
``config`` → ``data`` → ``metrics`` → ``analyses`` → ``report`` → ``runner``/``cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"
