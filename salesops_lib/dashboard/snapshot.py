"""The dashboard's first view as plain HTML, rendered once from the cube and served inside the page.

Voila shows nothing until its JavaScript has loaded (about 90 files) and the page's kernel has
sent the widgets; with ten viewers arriving at once, kernels starting and browsers parsing
JavaScript share two cores and every viewer waited for all of it. The snapshot — title, styles and
every panel of the whole company, the view a viewer lands on — is rendered once when the cube is
served (``snapshot.<lang>.html`` beside the cube) and written into the page's first bytes, so the
figures are on screen as soon as the HTML arrives. The live page replaces it once its widgets
render (:data:`SWAP_SCRIPT`); until then a note says the filters are loading.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from salesops_lib.core.atomic import write_text_atomic
from salesops_lib.dashboard.labels import LABELS
from salesops_lib.report.html import e
from salesops_lib.report.i18n import t

SNAPSHOT_ID = "so-snapshot"

SWAP_SCRIPT = (
    "<script>(function(){var s=document.getElementById('" + SNAPSHOT_ID + "');if(!s)return;"
    "var o=new MutationObserver(function(){var k=document.querySelectorAll('.so-kpis');"
    "for(var i=0;i<k.length;i++){if(!s.contains(k[i])&&k[i].offsetParent!==null){o.disconnect();s.remove();return;}}});"
    "o.observe(document.body,{childList:true,subtree:true,attributes:true,attributeFilter:['style','class']});})();"
    "</script>"
)
"""Removes the snapshot once the live page's KPI tiles are visible (a live tile replaces a still one)."""

HIDE_SPINNER = "<style>#loading{display:none}</style>"
"""Voila's full-height loading spinner would push the snapshot below the fold."""


def path(folder: Path, lang: str) -> Path:
    """Where the snapshot of the cube in ``folder`` is kept for ``lang``."""
    return folder / f"snapshot.{lang}.html"


def render(folder: Path, lang: str) -> str:
    """The snapshot of the cube stored in ``folder``: the dashboard's header and the whole company's
    panels, wrapped in ``<div id="so-snapshot">`` with a note that the filters are loading.
    """
    from salesops_lib.dashboard.app import header_html, render_page
    from salesops_lib.dashboard.cube import load_cube
    from salesops_lib.dashboard.scope import Scope

    cube = load_cube(folder)
    note = f"<p class='so-note so-loading'>{e(t('filters_loading', lang, LABELS))}</p>"
    return (
        f"{HIDE_SPINNER}<div id='{SNAPSHOT_ID}'>{header_html(cube, lang)}<div class='so-dash'>{note}"
        f"{render_page(cube, Scope(), lang)}</div></div>{SWAP_SCRIPT}"
    )


def ensure(folder: Path, lang: str) -> Path:
    """Write the snapshot of the cube in ``folder`` unless one newer than the cube is there."""
    target = path(folder, lang)
    meta = folder / "meta.json"
    if target.is_file() and target.stat().st_mtime >= meta.stat().st_mtime:
        return target
    write_text_atomic(target, render(folder, lang))
    return target


CUBES_ENV, PERIOD_ENV, LANG_ENV = "SALESOPS_DASHBOARD_CUBES", "SALESOPS_DASHBOARD_PERIOD", "SALESOPS_DASHBOARD_LANG"
"""What ``salesops dashboard`` tells Voila and its kernels: the cubes' folder, the period and language shown first."""


@functools.cache
def served() -> str:
    """The snapshot of the period and language ``salesops dashboard`` serves (from its environment),
    read once; empty when there is none (the page then renders as before, from the kernel).
    """
    root, period = os.environ.get(CUBES_ENV, ""), os.environ.get(PERIOD_ENV, "")
    if not root or not period:
        return ""
    try:
        return path(Path(root) / period, os.environ.get(LANG_ENV, "zh") or "zh").read_text(encoding="utf-8")
    except OSError:
        return ""
