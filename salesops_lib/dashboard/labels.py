"""The dashboard's own words, from ``dashboard/labels.yaml`` (shared ones come from the glossary):
the panels' and the pages Voila answers instead of the dashboard (busy, throttled).
"""

from __future__ import annotations

from importlib.resources import files

from salesops_lib.report.i18n import catalogue_at, label_table

LABELS: dict[str, dict[str, str]] = label_table(
    catalogue_at(files("salesops_lib.dashboard") / "labels.yaml", "dashboard")
)
