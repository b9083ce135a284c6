"""The configuration of a review: several reports of one period (``parameters/monthly_review.yaml``)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from salesops_lib.catalog import CATALOG
from salesops_lib.config.models import FrozenModel, Language
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import resolve_period
from salesops_lib.data.mapping import load_mapping


class ReviewConfig(FrozenModel):
    """A run of several reports for one period (``parameters/monthly_review.yaml``)."""

    model_config = FrozenModel.model_config | {"validate_default": True}

    #: data source: "demo", a DuckDB file, a folder of exports or an SQL URL
    #: (not given: the mapping's `source:` when it names one, else "demo")
    source: str = "demo"
    #: mapping YAML for the source ("" = canonical names)
    mapping: str = ""
    #: reporting month "YYYY-MM", or "last-month"
    period: str = "last-month"
    #: language of every page
    lang: Language = "zh"
    #: limit every report to one region id ("" = the whole company)
    region: str = ""
    #: reports to run (empty = every registered report)
    reports: tuple[str, ...] = ()
    #: parallel reports (0 = one per CPU core)
    jobs: int = 0
    #: seconds after which a report is stopped and marked failed
    timeout_seconds: float = 900.0
    #: where periods are published
    output_dir: str = "reports"
    #: Jupyter kernel the reports run on (the project's, installed by ./workbench setup)
    kernel: str = "salesops"
    #: extra parameters per report, e.g. {kpi_overview: {metrics: "win_rate,revenue"}}
    report_params: dict[str, dict[str, Any]] = {}  # noqa: RUF012 - a pydantic field: each config gets a copy

    @model_validator(mode="before")
    @classmethod
    def _mapping_source(cls, data: Any) -> Any:
        """Without a source, the one the mapping names (``source:``, relative to the mapping file)."""
        if isinstance(data, dict) and not data.get("source") and data.get("mapping"):
            named = load_mapping(str(data["mapping"])).source_path()
            if named is not None:
                data = {**data, "source": named}
        return data

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return resolve_period(value)

    @field_validator("jobs")
    @classmethod
    def _jobs(cls, value: int) -> int:
        if value < 0:
            raise ValueError("jobs must be 0 (one per core) or more")
        return value

    @model_validator(mode="after")
    def _known_reports(self) -> ReviewConfig:
        for key, names in (("reports", self.reports), ("report_params", tuple(self.report_params))):
            unknown = [name for name in names if name not in CATALOG]
            if unknown:
                raise ValueError(
                    f"`{key}` names unknown report(s) {', '.join(map(repr, unknown))}; "
                    f"registered reports: {', '.join(CATALOG)}"
                )
        return self

    def common(self) -> dict[str, Any]:
        """The run scope every report receives (the fields of :class:`RunScope`)."""
        return {name: getattr(self, name) for name in RunScope.model_fields}
