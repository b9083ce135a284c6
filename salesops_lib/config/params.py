"""Parameter models of reports and of the monthly review run.

Every report notebook has one ``parameters`` cell whose names are exactly the fields of its
model; papermill's ``-p``/``-f`` and ``salesops run -p/-f`` both end in :meth:`ReportParams.load`,
which rejects unknown keys and bad values before any work starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError, field_validator

from salesops_lib.config.models import FrozenModel, Language
from salesops_lib.core.periods import period_bounds, resolve_period
from salesops_lib.errors import ConfigError

__all__ = ["ReportParams", "period_bounds", "resolve_period"]


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
                "invalid parameters: "
                + "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(all)'}: {e['msg']}" for e in exc.errors()),
                where=where,
                fix=f"valid keys for {cls.__name__}: {', '.join(cls.model_fields)}",
            ) from None
