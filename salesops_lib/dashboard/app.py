"""The leadership dashboard's widgets: period, region, team and rep filters over the panels.

A filter change re-queries the cube through :mod:`salesops_lib.dashboard.views` (aggregates only)
and re-renders the panels; rendered panels are cached per (period, scope, language), so going back
to a scope already seen costs nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from salesops_lib.config.paths import cache_dir
from salesops_lib.core.atomic import write_text_atomic
from salesops_lib.core.periods import resolve_period
from salesops_lib.dashboard import panels
from salesops_lib.dashboard.cube import DashboardCube, available_periods, cube_root, load_cube
from salesops_lib.dashboard.labels import LABELS
from salesops_lib.dashboard.scope import Scope, children, resolve
from salesops_lib.errors import ConfigError
from salesops_lib.report.fonts import font_face_css
from salesops_lib.report.html import TILE_CSS, e
from salesops_lib.report.i18n import t

ENV_PREFIX = "SALESOPS_DASHBOARD_"
"""``salesops dashboard`` hands its options to the (preheated) kernels through these variables."""


class CubeStore:
    """The periods' cubes of one source, loaded on first use and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.periods = available_periods(root)
        self._loaded: dict[str, DashboardCube] = {}

    def get(self, period: str) -> DashboardCube:
        """The cube of ``period``, read from disk the first time it is asked for."""
        if period not in self._loaded:
            self._loaded[period] = load_cube(self.root / period)
        return self._loaded[period]


class PanelCache:
    """Rendered pages by (period, scope, language): an LRU of HTML strings."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[tuple, str] = OrderedDict()

    def render(self, cube: DashboardCube, scope: Scope, lang: str) -> str:
        """The page for ``scope`` in ``lang``, rendered once and then kept (least recently used dropped)."""
        key = (cube.key, scope, lang)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        html = render_page(cube, scope, lang)
        self._items[key] = html
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return html


def render_page(cube: DashboardCube, scope: Scope, lang: str) -> str:
    """Every panel for ``scope``, laid out in rows (one HTML document fragment)."""

    def row(*parts: str) -> str:
        return "<div class='so-row'>" + "".join(f"<div class='so-cell'>{p}</div>" for p in parts if p) + "</div>"

    return "".join(
        [
            panels.kpi_tiles(cube, scope, lang),
            row(panels.attainment(cube, scope, lang), panels.trend_plot(cube, scope, lang)),
            panels.breakdown(cube, scope, lang),
            row(panels.funnel(cube, scope, lang), panels.ranking(cube, scope, lang)),
            row(panels.expenses(cube, scope, lang), panels.alerts(cube, scope, lang)),
            panels.notes(cube, lang),
        ]
    )


class LeadershipDashboard:
    """The filter bar over the page of panels, as one small ipywidgets tree (:attr:`widget`).

    Few widget models make a fast first render: the browser fetches every model's state before it
    draws, so the panels are one HTML widget rather than one widget each.
    """

    def __init__(self, store: CubeStore, period: str, lang: str) -> None:
        self.store, self.lang, self.cache = store, lang, PanelCache()
        self.cube = store.get(period)
        word = lambda key: t(key, lang, LABELS)  # noqa: E731 - a one-line shorthand for the labels below
        self.period = widgets.Dropdown(options=store.periods, value=period, description=word("period"))
        self.region = widgets.Dropdown(description=word("region"))
        self.team = widgets.Dropdown(description=word("team"))
        self.rep = widgets.Dropdown(description=word("rep"))
        for box in (self.period, self.region, self.team, self.rep):
            box.layout.width = "250px"
            box.style.description_width = "40px"
        self.page = widgets.HTML()
        self.page.add_class("so-dash")
        self._updating = False
        self._fill_filters()
        self.period.observe(self._on_period, "value")
        for box in (self.region, self.team, self.rep):
            box.observe(self._on_scope, "value")
        filters = widgets.HBox([self.period, self.region, self.team, self.rep])
        filters.add_class("so-filters")
        self.widget = widgets.VBox([filters, self.page])
        self.refresh()

    def header(self) -> str:
        """Title and styles (shown as a plain output: it needs no kernel round trip)."""
        css = font_css(self.cube, self.lang) + panels.DASHBOARD_CSS + TILE_CSS
        return f"<style>{css}</style><div class='so-dash'><h1>{e(t('title', self.lang, LABELS))}</h1></div>"

    @property
    def scope(self) -> Scope:
        """The scope the filter bar selects (made consistent with the org)."""
        return resolve(self.cube.org, self.region.value or "", self.team.value or "", self.rep.value or "")

    def _options(self, level: str, scope: Scope) -> list[tuple[str, str]]:
        everyone = [(t("all", self.lang, LABELS), "")]
        if level == "rep":
            names = self.cube.org.set_index("rep_id")["name"]
            return everyone + [(f"{names.get(r, r)} ({r})", r) for r in children(self.cube.org, scope)]
        return everyone + [(u, u) for u in children(self.cube.org, scope)]

    def _fill_filters(self) -> None:
        """Options of each filter from the level above (region → team → rep), keeping valid picks."""
        self._updating = True
        try:
            scope = self.scope if self.region.options else Scope()
            everyone = [(t("all", self.lang, LABELS), "")]
            self.region.options = self._options("region", Scope())
            self.region.value = scope.region
            self.team.options = self._options("team", Scope(scope.region)) if scope.region else everyone
            self.team.value = scope.team
            self.rep.options = self._options("rep", Scope(scope.region, scope.team)) if scope.team else everyone
            self.rep.value = scope.rep
        finally:
            self._updating = False

    def _on_period(self, change: dict) -> None:
        self.cube = self.store.get(change["new"])
        self._fill_filters()
        self.refresh()

    def _on_scope(self, change: dict) -> None:
        if self._updating:
            return
        self._fill_filters()
        self.refresh()

    def refresh(self) -> None:
        """Re-render the page for the current period and scope."""
        html = self.cache.render(self.cube, self.scope, self.lang)
        if self.page.value != html:
            self.page.value = html

    def select(self, *, region: str = "", team: str = "", rep: str = "") -> None:
        """Drill to a scope programmatically (what the dropdowns do), refreshing once."""
        self._updating = True
        try:
            self.region.value = region
            self._fill_filters()
            self.team.value = team
            self._fill_filters()
            self.rep.value = rep
        finally:
            self._updating = False
        self._fill_filters()
        self.refresh()


def font_css(cube: DashboardCube, lang: str) -> str:
    """The CJK font subset covering every label and name the dashboard can show, cached on disk."""
    words = [v for entry in LABELS.values() for v in entry.values()]
    text = "".join(words) + "".join(cube.org["name"].astype(str)) + "".join(cube.org["team"].astype(str))
    if lang == "zh":
        from salesops_lib.metrics import METRICS
        from salesops_lib.report.i18n import glossary

        text += "".join(texts.get("zh", "") for texts in cube.finding_texts.values())
        text += "".join(v["zh"] for v in glossary().values()) + "".join(m.label("zh") for m in METRICS.values())
    chars = "".join(sorted(set(text)))
    digest = hashlib.sha256(chars.encode()).hexdigest()[:16]
    path = cache_dir() / "dashboard" / "fonts" / f"{digest}.css"
    if path.is_file():
        return path.read_text()
    css = font_face_css(chars)
    write_text_atomic(path, css)
    return css


def setting(name: str, given: str, default: str) -> str:
    """A notebook parameter, else what ``salesops dashboard`` passed in the environment, else the default."""
    return given or os.environ.get(ENV_PREFIX + name.upper(), "") or default


def show(
    source: str = "", mapping: str = "", period: str = "", lang: str = "", progress: Callable[[str], None] | None = None
) -> LeadershipDashboard:
    """Open the dashboard (what the notebook calls) and display it.

    Under ``salesops dashboard`` the cubes are already built and their folder comes in the
    environment; run in JupyterLab it connects to ``source`` and builds the period's cube once.
    """
    from IPython.display import HTML, display

    lang = setting("lang", lang, "zh")
    root_text = os.environ.get(ENV_PREFIX + "CUBES", "")
    wanted = resolve_period(setting("period", period, "last-month"))
    if root_text and not source:
        root = Path(root_text)
    else:
        from salesops_lib.dashboard.build import ensure_cubes
        from salesops_lib.data import connect

        ds = connect(setting("source", source, "demo"), setting("mapping", mapping, "") or None)
        root = cube_root(ds.fingerprint)
        if wanted not in available_periods(root):
            ensure_cubes(ds, [wanted], progress=progress or (lambda msg: print(msg, flush=True)))  # noqa: T201 - the build's progress, in the notebook cell's output
    store = CubeStore(root)
    if not store.periods:
        raise ConfigError(t("no_cube", "en", LABELS), where=str(root), fix="run `salesops dashboard` to build it")
    chosen = wanted if wanted in store.periods else store.periods[0]
    dashboard = LeadershipDashboard(store, chosen, lang)
    display(HTML(dashboard.header()))
    display(dashboard.widget)
    return dashboard
