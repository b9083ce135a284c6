"""What every run of an analysis shares, apart from the analysis' own parameters.

:class:`RunScope` is *where and when*: the source, its mapping, the month, the page language and
an optional region. :class:`AnalysisParams` is the base of each analysis' own parameters. A
notebook's ``parameters`` cell holds the fields of both; papermill's ``-p``/``-f`` set either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from pydantic import Field, ValidationError, field_validator

from salesops_lib.config.models import FrozenModel, Language
from salesops_lib.core.periods import period_bounds, resolve_period
from salesops_lib.errors import ConfigError


class ParamsModel(FrozenModel):
    """A frozen model whose :meth:`load` turns validation errors into a :class:`ConfigError`."""

    @classmethod
    def load(cls, values: dict[str, Any], *, where: str = "parameters") -> Self:
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


class RunScope(ParamsModel):
    """Source, mapping, month, language and region of one run: what every analysis receives."""

    model_config = FrozenModel.model_config | {"validate_default": True}  # "last-month" resolves too

    source: str = Field("demo", description="data source - demo, a DuckDB file, a folder of exports or an SQL URL")
    mapping: str = Field("", description="mapping YAML for the source, empty for canonical table and column names")
    period: str = Field("last-month", description="reporting month as YYYY-MM, or last-month")
    lang: Language = Field("zh", description="language of labels and findings, zh or en")
    region: str = Field("", description="limit to one region id, empty for the whole company")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return resolve_period(value)

    @property
    def month(self) -> tuple[dt.date, dt.date]:
        """First and last day of the reporting month."""
        return period_bounds(self.period)

    @property
    def as_of(self) -> dt.date:
        """The last day of the reporting month."""
        return self.month[1]


class AnalysisParams(ParamsModel):
    """Base of an analysis' own parameters (fields carry a ``description``: the notebook's help)."""
