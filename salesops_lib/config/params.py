"""Parameter models of reports and of the monthly review run.

Every report notebook has one ``parameters`` cell whose names are exactly the fields of its
model; papermill's ``-p``/``-f`` and ``salesops run -p/-f`` both end in :meth:`ReportParams.load`,
which rejects unknown keys and bad values before any work starts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from pydantic import ValidationError, field_validator, model_validator

from salesops_lib.config.models import FrozenModel, Language
from salesops_lib.errors import ConfigError

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")  # fullmatch: `$` would accept a trailing newline


def resolve_period(text: str, *, today: dt.date | None = None) -> str:
    """``YYYY-MM`` as given, or the previous calendar month for ``last-month``."""
    if text == "last-month":
        today = today or dt.date.today()
        first = today.replace(day=1)
        previous = first - dt.timedelta(days=1)
        return f"{previous.year:04d}-{previous.month:02d}"
    if not _PERIOD.fullmatch(text):
        raise ValueError(f"period must be YYYY-MM or last-month, got {text!r}")
    return text


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month ``YYYY-MM``."""
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


class ReportParams(FrozenModel):
    """Parameters every report takes. Subclasses add the report's own."""

    model_config = FrozenModel.model_config | {"validate_default": True}  # "last-month" resolves too

    #: data source: "demo", a DuckDB file, a folder of exports or an SQL URL
    source: str = "demo"
    #: mapping YAML for the source ("" = canonical table and column names)
    mapping: str = ""
    #: reporting month "YYYY-MM", or "last-month"
    period: str = "last-month"
    #: language of labels and findings
    lang: Language = "zh"
    #: limit to one region id ("" = the whole company)
    region: str = ""

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return resolve_period(value)

    @property
    def month(self) -> tuple[dt.date, dt.date]:
        """First and last day of the reporting month."""
        return period_bounds(self.period)

    @classmethod
    def load(cls, values: dict[str, Any], *, where: str = "parameters") -> ReportParams:
        """Validate ``values`` into the frozen model; errors name the key and the fix."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(
                "invalid parameters: " + "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '(all)'}: {e['msg']}" for e in exc.errors()
                ),
                where=where,
                fix=f"valid keys for {cls.__name__}: {', '.join(cls.model_fields)}",
            ) from None


class KpiOverviewParams(ReportParams):
    """KPI overview: the metric dictionary's tiles for the month."""

    #: metrics shown as tiles, in order ("" = every metric the source can feed)
    metrics: str = ""


class ReviewConfig(FrozenModel):
    """A run of several reports for one period (``parameters/monthly_review.yaml``)."""

    model_config = FrozenModel.model_config | {"validate_default": True}

    #: data source: "demo", a DuckDB file, a folder of exports or an SQL URL
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
    report_params: dict[str, dict[str, Any]] = {}

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
        # the registry imports this module, so it is imported here, when a config is validated
        from salesops_lib.config.registry import REPORTS

        for key, names in (("reports", self.reports), ("report_params", tuple(self.report_params))):
            unknown = [name for name in names if name not in REPORTS]
            if unknown:
                raise ValueError(
                    f"`{key}` names unknown report(s) {', '.join(map(repr, unknown))}; "
                    f"registered reports: {', '.join(REPORTS)}"
                )
        return self

    def common(self) -> dict[str, Any]:
        """The parameters every report receives."""
        return {"source": self.source, "mapping": self.mapping, "period": self.period, "lang": self.lang,
                "region": self.region}
