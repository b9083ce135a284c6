"""What a report notebook holds once opened: the run, its displays, the hand-over to the runner.

A notebook is a ``parameters`` cell, ``report = start_report("<name>", globals())`` (see
:mod:`salesops_lib.catalog`), ``result = report.compute()`` and displays. :meth:`ReportContext.publish` emits the result's findings as a display output of
MIME type :data:`PAYLOAD_MIME`, which the runner reads from the executed notebook (no files are
written by the notebook itself).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from salesops_lib.analyses.coverage import Coverage
from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.spec import AnalysisSpec
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset
from salesops_lib.errors import ConfigError
from salesops_lib.report.html import HtmlFragment, findings_html
from salesops_lib.report.i18n import catalogue, t
from salesops_lib.report.layout import methods
from salesops_lib.report.names import Names, use_names
from salesops_lib.report.notices import notices_html
from salesops_lib.report.sheets import Sheet

PAYLOAD_MIME = "application/vnd.salesops.report+json"
SHEETS_MIME = "application/vnd.salesops.sheets+json"
"""Complete lists for the page's Excel download (see :meth:`ReportContext.excel`)."""


@dataclass(frozen=True)
class ReportContext:
    """One report run: its name and title, run scope, validated parameters and the opened source."""

    spec: AnalysisSpec[Any, Any]
    title: str
    scope: RunScope
    params: Any
    data: Dataset

    @property
    def name(self) -> str:
        """The report's name: its analysis' name."""
        return self.spec.name

    def compute(self, **extra: Any) -> Any:
        """The analysis' result for this run (``extra``: inputs only a summary takes), its
        findings as the data's coverage allows. The page's words name codes by the run's
        :attr:`names` from here on.
        """
        use_names(self.names)
        return self.spec.run(self.data, self.scope, self.params, coverage=self.coverage, **extra)

    @cached_property
    def names(self) -> Names:
        """The names the data give codes (regions, teams, reps, …; reps who left by the period end)."""
        return Names.of(self.data, self.scope.as_of)

    @cached_property
    def coverage(self) -> Coverage:
        """What the data carry for this run (reach, history, outlier deals)."""
        return self.spec.coverage(self.data, self.scope, self.params)

    @cached_property
    def skipped_sections(self) -> dict[str, tuple[str, ...]]:
        """The sections the source cannot feed (label → the tables they lack)."""
        return self.spec.skipped_sections(self.data)

    @property
    def lang(self) -> str:
        """The page's language (the run scope's)."""
        return self.scope.lang

    def heading(self) -> HtmlFragment:
        """The page's title line, then what the page must say about its data first (coverage
        banner, derived roster, sections left out, outlier deals; nothing on complete data).
        """
        use_names(self.names)
        notices = notices_html(self.coverage, self.data.derived, self.skipped_sections, self.lang, report=self.name)
        return HtmlFragment(f"<h1>{_e(self.title)} · {_e(self.scope.period)}</h1>{notices}")

    def findings(self, findings: tuple[Finding, ...] | list[Finding]) -> HtmlFragment:
        """The findings section; without findings it says what the report's own tests found
        (its catalogue's ``no_findings_text`` when it has one) and points to the monthly review,
        never that the period has no notable change (other reports may raise high findings).
        """
        try:
            own = catalogue(self.name).labels.get("no_findings_text")
        except ConfigError:  # a report without a word catalogue (a test fixture)
            own = None
        empty = (own[0] if self.lang == "zh" else own[1]) if own else t("no_findings_here", self.lang)
        return HtmlFragment(
            f"<h2>{_e(t('findings', self.lang))}</h2>" + findings_html(findings, self.lang, empty=empty)
        )

    def methods(self, *parts: object) -> HtmlFragment:
        """``parts`` (sections, figures) for the page's collapsed 「方法说明」/"Methods" section at
        its end (see :mod:`salesops_lib.report.layout`); in Jupyter they show in place.
        """
        return methods(*parts)

    def publish(self, findings: tuple[Finding, ...] | list[Finding], **extra: Any) -> None:
        """Hand the structured result to the runner (invisible on the page); data frames in
        ``extra`` (e.g. ``tiles=result.tiles``) travel as lists of records.
        """
        from IPython.display import display

        tables = {k: v.to_dict(orient="records") for k, v in extra.items() if isinstance(v, pd.DataFrame)}
        payload = {
            "report": self.name,
            "period": self.scope.period,
            "lang": self.lang,
            "findings": [f.to_dict() for f in findings],
            **self._degraded(),
            **extra,
            **tables,
        }
        display({PAYLOAD_MIME: json_safe(payload)}, raw=True)

    def excel(self, sheets: Sequence[Sheet]) -> None:
        """Add ``sheets`` (complete lists the page shows only in part, e.g. every stalled deal)
        to the page's Excel download, after the page's tables (invisible on the page).
        """
        from IPython.display import display

        if sheets:
            display({SHEETS_MIME: json_safe({"sheets": [sheet.to_dict() for sheet in sheets]})}, raw=True)

    def _degraded(self) -> dict[str, Any]:
        """What the index says about a report that ran on less than full data (empty otherwise)."""
        out: dict[str, Any] = {}
        if self.skipped_sections:
            out["skipped_sections"] = {
                t(label, self.lang, self.name): list(tables) for label, tables in self.skipped_sections.items()
            }
        if not self.coverage.complete:
            out["coverage_incomplete"] = True
        if self.data.derived:
            out["derived"] = dict(self.data.derived)
        return out


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf as None and non-JSON objects (dates, numpy scalars) as plain values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    return str(value)


def _e(text: object) -> str:
    import html

    return html.escape(str(text))
