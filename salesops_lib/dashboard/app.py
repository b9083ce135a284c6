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
from salesops_lib.dashboard.background import pending
from salesops_lib.dashboard.cube import DashboardCube, available_periods, cube_root, load_cube
from salesops_lib.dashboard.labels import LABELS, display_name, display_words
from salesops_lib.dashboard.scope import DRILL_LEVELS, Scope, children, resolve
from salesops_lib.errors import ConfigError
from salesops_lib.report.fonts import font_face_css
from salesops_lib.report.html import TILE_CSS, e
from salesops_lib.report.i18n import t

ENV_PREFIX = "SALESOPS_DASHBOARD_"
"""``salesops dashboard`` hands its options to the (preheated) kernels through these variables."""


class CubeStore:
    """The periods' cubes of one source, loaded on first use and kept; the periods on disk are
    looked up again on every call, so periods built in the background appear as they are stored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[str, DashboardCube] = {}

    @property
    def periods(self) -> list[str]:
        """Periods with a stored cube, newest first."""
        return available_periods(self.root)

    def pending(self) -> dict[str, float]:
        """Periods still being built → estimated seconds until ready (:func:`background.pending`)."""
        return pending(self.root)

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
            panels.deals(cube, scope, lang),
            row(panels.breakdown(cube, scope, lang), panels.bars_plot(cube, scope, lang)),
            row(panels.bridge_plot(cube, scope, lang), panels.funnel(cube, scope, lang)),
            panels.ranking(cube, scope, lang),
            row(panels.expenses(cube, scope, lang), panels.alerts(cube, scope, lang)),
            panels.notes(cube, lang),
        ]
    )


class LeadershipDashboard:
    """The filter bar and breadcrumbs over the page of panels, as one small ipywidgets tree (:attr:`widget`).

    The drill state is one :class:`Scope` (:attr:`state`): a pick in a filter or a click on a
    breadcrumb moves it (:meth:`Scope.drill` clears the levels below), and the filters and
    breadcrumbs are then redrawn from it, so the page, the filters and the trail always agree.
    Few widget models make a fast first render: the panels are one HTML widget rather than one each.
    """

    def __init__(self, store: CubeStore, period: str, lang: str) -> None:
        self.store, self.lang, self.cache = store, lang, PanelCache()
        self.cube = store.get(period)
        self.state = Scope()
        word = lambda key: t(key, lang, LABELS)  # noqa: E731 - a one-line shorthand for the labels below
        self.period = widgets.Dropdown(options=self._period_options(), value=period, description=word("period"))
        self.region = widgets.Dropdown(description=word("region"))
        self.team = widgets.Dropdown(description=word("team"))
        self.rep = widgets.Dropdown(description=word("rep"))
        self._boxes = {"region": self.region, "team": self.team, "rep": self.rep}
        for box in (self.period, self.region, self.team, self.rep):
            box.layout.width = "250px"
            box.style.description_width = "4.5em"
        self.crumbs = [widgets.Button() for _ in range(4)]
        for i, button in enumerate(self.crumbs):
            button.add_class("so-crumb")
            button.layout.width = "auto"
            button.on_click(lambda _b, depth=i: self.drill_up(depth))
        self.page = widgets.HTML()
        self.page.add_class("so-dash")
        self.notice = widgets.HTML()
        self.notice.add_class("so-dash")
        self._updating = False
        self._fill_filters()
        self.period.observe(self._on_period, "value")
        for box in self._boxes.values():
            box.observe(self._on_scope, "value")
        filters = widgets.HBox([self.period, self.region, self.team, self.rep])
        filters.add_class("so-filters")
        trail = widgets.HBox(self.crumbs)
        trail.add_class("so-crumbs")
        self.widget = widgets.VBox([filters, trail, self.notice, self.page])
        self.widget.layout.max_width = "100%"
        self.refresh()

    def header(self) -> str:
        """Title and styles (shown as a plain output: it needs no kernel round trip)."""
        return header_html(self.cube, self.lang)

    @property
    def scope(self) -> Scope:
        """The scope shown (the drill state, made consistent with the period's org)."""
        return resolve(self.cube.org, self.state.region, self.state.team, self.state.rep)

    def _name(self, level: str, unit: str) -> str:
        return display_name(level, unit, self.lang, self.cube.names)

    def _options(self, level: str, scope: Scope) -> list[tuple[str, str]]:
        everyone = [(t("all", self.lang, LABELS), "")]
        return everyone + [(self._name(level, u), u) for u in children(self.cube.org, scope)]

    def _period_options(self) -> list[tuple[str, str]]:
        """Stored periods, then those still being built, labelled with their ETA."""
        ready = [(p, p) for p in self.store.periods]
        later = [
            (t("pending_period", self.lang, LABELS).format(period=p, eta=self._eta(s)), p)
            for p, s in self.store.pending().items()
        ]
        return sorted(ready + later, key=lambda option: option[1], reverse=True)

    def _eta(self, seconds: float) -> str:
        return t("minutes", self.lang, LABELS).format(n=max(1, round(seconds / 60)))

    def _fill_filters(self) -> None:
        """Options and values of every filter and the breadcrumbs, from the drill state."""
        self._updating = True
        try:
            self.state = scope = self.scope
            everyone = [(t("all", self.lang, LABELS), "")]
            self.region.options = self._options("region", Scope())
            self.region.value = scope.region
            self.team.options = self._options("team", Scope(scope.region)) if scope.region else everyone
            self.team.value = scope.team
            self.rep.options = self._options("rep", Scope(scope.region, scope.team)) if scope.team else everyone
            self.rep.value = scope.rep
            trail = scope.path()
            for depth, button in enumerate(self.crumbs):
                here = depth == len(trail) - 1
                if depth < len(trail):
                    level, unit = trail[depth]
                    name = t("all", self.lang, LABELS) if level == "company" else self._name(level, unit)
                    button.description = name if here else f"{name} ›"
                    button.layout.display = ""
                else:
                    button.description, button.layout.display = "", "none"
                button.disabled = here
                button.remove_class("so-crumb-here")
                if here:
                    button.add_class("so-crumb-here")
        finally:
            self._updating = False

    def crumb_text(self) -> str:
        """The breadcrumb trail as shown (``全部 › 华北 › 华北1组 › 张三``)."""
        return " ".join(b.description for b in self.crumbs if b.layout.display != "none")

    def _on_period(self, change: dict) -> None:
        if self._updating:
            return
        if change["new"] not in self.store.periods:  # still being built: say when, keep what is shown
            self._updating = True
            try:
                self.period.options = self._period_options()
                self.period.value = self.cube.period
            finally:
                self._updating = False
            eta = self.store.pending().get(change["new"])
            self.notice.value = (
                "<p class='so-note so-pending'>"
                + e(
                    t("pending_note", self.lang, LABELS).format(
                        period=change["new"], eta=self._eta(eta or 0), shown=self.cube.period
                    )
                )
                + "</p>"
            )
            return
        self.notice.value = ""
        self.cube = self.store.get(change["new"])
        self._fill_filters()
        self.refresh()

    def _on_scope(self, change: dict) -> None:
        if self._updating:
            return
        level = next(name for name, box in self._boxes.items() if box is change["owner"])
        self.state = self.state.drill(level, change["new"] or "")
        self._fill_filters()
        self.refresh()

    def drill_up(self, depth: int) -> None:
        """Go back to the ``depth``-th breadcrumb (0: the whole company), clearing the levels below."""
        trail = self.state.path()
        if depth >= len(trail) - 1:
            return
        self.state = self.state.drill(DRILL_LEVELS[depth], "")
        self._fill_filters()
        self.refresh()

    def refresh(self) -> None:
        """Re-render the page for the current period and scope (and offer periods built meanwhile)."""
        options = self._period_options()
        if list(self.period.options) != options:
            self._updating = True
            try:
                self.period.options = options
                self.period.value = self.cube.period
            finally:
                self._updating = False
        html = self.cache.render(self.cube, self.scope, self.lang)
        if self.page.value != html:
            self.page.value = html

    def select(self, *, region: str = "", team: str = "", rep: str = "") -> None:
        """Drill to a scope programmatically (what the filters do), refreshing once."""
        self.state = Scope(region, team, rep)
        self._fill_filters()
        self.refresh()


def header_html(cube: DashboardCube, lang: str) -> str:
    """The dashboard's styles and title (what the page and its snapshot start with)."""
    css = font_css(cube, lang) + panels.DASHBOARD_CSS + TILE_CSS
    return f"<style>{css}</style><div class='so-dash'><h1>{e(t('title', lang, LABELS))}</h1></div>"


def font_css(cube: DashboardCube, lang: str) -> str:
    """The CJK font subset covering every label and name the dashboard can show, cached on disk."""
    words = [v for entry in LABELS.values() for v in entry.values()] + display_words(cube.names)
    text = "".join(words) + "".join(cube.org["name"].astype(str)) + "".join(cube.org["team"].astype(str))
    if "customer" in cube.deals:
        text += "".join(cube.deals["customer"].astype(str))
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
