"""How results display in Jupyter: results are data, so their HTML is registered here, by the
presentation package of each report (a cell can still end with ``result``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RENDERERS: dict[type, Callable[[Any], str]] = {}


def register_html(result_type: type, render: Callable[[Any], str]) -> None:
    """Show instances of ``result_type`` as ``render(result)`` in a notebook (and remember it
    for kernels started later in this process).
    """
    _RENDERERS[result_type] = render
    _install(result_type, render)


def html_of(result: object) -> str:
    """The registered HTML of ``result`` (a :class:`KeyError` when its type has none)."""
    return _RENDERERS[type(result)](result)


def _install(result_type: type, render: Callable[[Any], str]) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the workbench
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(result_type, render)
