"""The catalog: the only list of reports, and how a notebook opens one.

Every report is an analysis package's ``SPEC`` (:class:`~salesops_lib.analyses.spec.AnalysisSpec`)
with its notebook ``notebooks/<name>.ipynb`` and its words ``report/<name>/labels.yaml``. The
CLI, the runner, the index page, the dashboard, the docs and the tests iterate over
:data:`CATALOG`; an unknown name is an error listing the known ones. Adding an analysis is one
line below (``salesops new-analysis NAME`` writes the rest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesops_lib.analyses.findings import Finding, findings_from_json
from salesops_lib.analyses.spec import AnalysisSpec
from salesops_lib.config.paths import project_root
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset, connect
from salesops_lib.errors import ConfigError
from salesops_lib.report.i18n import title as catalogue_title
from salesops_lib.report.notebook import ReportContext
from salesops_lib.report.theme import apply_theme


@dataclass(frozen=True)
class Report:
    """One publishable report: an analysis, its notebook and (for test fixtures only) a title."""

    spec: AnalysisSpec[Any, Any]
    notebook: Path
    #: (zh, en) title for reports without a word catalogue (test fixtures); others use their catalogue's
    fixed_title: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        """The report's name (its analysis', notebook's and page's)."""
        return self.spec.name

    @property
    def requires(self) -> tuple[str, ...]:
        """The capabilities (or canonical tables) without which the report is skipped."""
        return self.spec.requires

    def title(self, lang: str) -> str:
        """The report's title in ``lang``."""
        if self.fixed_title is not None:
            return self.fixed_title[0 if lang == "zh" else 1]
        return catalogue_title(self.name, lang)

    def parameter_names(self) -> tuple[str, ...]:
        """Every name of the notebook's ``parameters`` cell: the run scope's, then the analysis'."""
        own = [name for name in self.spec.params.model_fields if name not in RunScope.model_fields]
        return (*RunScope.model_fields, *own)

    def load(self, values: Mapping[str, Any], *, where: str) -> tuple[RunScope, Any]:
        """Validate ``values`` (scope and analysis parameters, as one flat mapping) into the run
        scope and the analysis' parameters; unknown keys are errors naming ``where``.
        """
        unknown = sorted(set(values) - set(self.parameter_names()))
        if unknown:
            raise ConfigError(
                f"unknown parameter(s) {', '.join(map(repr, unknown))} for report {self.name!r}",
                where=where,
                fix=f"valid keys: {', '.join(self.parameter_names())}",
            )
        scope = RunScope.load({k: v for k, v in values.items() if k in RunScope.model_fields}, where=where)
        params = self.spec.params.load({k: v for k, v in values.items() if k not in RunScope.model_fields}, where=where)
        if self.spec.check is not None:
            self.spec.check(scope, params)
        return scope, params

    def notebook_parameters(self, values: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        """The validated, complete parameters papermill injects into the notebook."""
        scope, params = self.load(values, where=where)
        return {**scope.model_dump(), **params.model_dump()}


class Catalog(dict[str, Report]):
    """Reports by name, in the order the review runs them and the index lists them."""

    def __init__(self, specs: Iterable[AnalysisSpec[Any, Any]]) -> None:
        super().__init__()
        for spec in specs:
            if spec.name in self:
                raise ValueError(f"report {spec.name!r} is in the catalog twice")
            self[spec.name] = Report(spec, project_root() / "notebooks" / f"{spec.name}.ipynb")

    def __missing__(self, name: str) -> Report:
        raise ConfigError(f"unknown report {name!r}", fix=f"known reports: {', '.join(self)}")

    @property
    def summary(self) -> Report | None:
        """The executive summary (runs last, on the others' findings)."""
        return next((r for r in self.values() if r.spec.summary), None)

    def check_names(self, names: Iterable[str], *, key: str) -> None:
        """Refuse report names that are not in the catalog (``key`` names where they were written)."""
        unknown = [name for name in names if name not in self]
        if unknown:
            raise ConfigError(
                f"`{key}` names unknown report(s) {', '.join(map(repr, unknown))}",
                fix=f"registered reports: {', '.join(self)}",
            )


# One line per analysis, in review order: its SPEC joins the catalog. (The imports are used through
# globals() below, and their order is the review order: hence no unused-import or sorting checks.)
# ruff: noqa: E402, F401, I001, N811
from salesops_lib.analyses.kpi_overview import SPEC as kpi_overview
from salesops_lib.analyses.monthly_review import SPEC as monthly_review
from salesops_lib.analyses.team_efficiency import SPEC as team_efficiency
from salesops_lib.analyses.expense_roi import SPEC as expense_roi
from salesops_lib.analyses.target_split import SPEC as target_split
from salesops_lib.analyses.target_tracking import SPEC as target_tracking
from salesops_lib.analyses.funnel_diagnosis import SPEC as funnel_diagnosis
from salesops_lib.analyses.collections_customers import SPEC as collections_customers
from salesops_lib.analyses.forecast import SPEC as forecast
# (new analyses: salesops new-analysis NAME adds the line above this one)

CATALOG = Catalog(spec for spec in list(globals().values()) if isinstance(spec, AnalysisSpec))
"""Every report, in the order of the lines above."""


def get_report(name: str) -> Report:
    """The report called ``name``; an unknown name is a :class:`ConfigError` listing the known ones."""
    return CATALOG[name]


def start_report(name: str, namespace: Mapping[str, Any]) -> ReportContext:
    """Open report ``name`` in a notebook: validate the parameters cell's values (taken from
    ``namespace``, the notebook's ``globals()``), apply the theme and connect to the source.
    """
    report = get_report(name)
    values = {key: namespace[key] for key in report.parameter_names() if key in namespace}
    scope, params = report.load(values, where=f"notebook {report.notebook.name}")
    apply_theme()
    data = report.spec.prepare(connect(scope.source, scope.mapping or None))
    return ReportContext(spec=report.spec, title=report.title(scope.lang), scope=scope, params=params, data=data)


def summary_findings(report: ReportContext) -> list[Finding]:
    """The findings a summary report ranks: the runner's ``findings.json`` of the period when its
    ``findings_file`` parameter names one, else every other analysis computed here.
    """
    path = Path(getattr(report.params, "findings_file", "") or "")
    if path.name and path.is_file():
        return findings_from_json(path.read_text(encoding="utf-8"))
    return period_findings(report.data, report.scope)


def period_findings(data: Dataset, scope: RunScope) -> list[Finding]:
    """Every catalogued analysis' findings for the period with default parameters, computed here
    (the monthly review outside the runner, which hands it the others' findings instead).
    """
    found: list[Finding] = []
    for report in CATALOG.values():
        if report.spec.summary or report.spec.missing(data):
            continue
        found += list(report.spec.run(data, scope).findings)
    return found
