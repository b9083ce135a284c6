"""The forecast page's word lookups: labels of its catalogue and coded values (methods, levels)."""

from __future__ import annotations

from salesops_lib.report.i18n import catalogue, t

REPORT = "forecast"


def word(key: str, lang: str) -> str:
    """The label ``key`` of the forecast's catalogue (or the glossary) in ``lang``."""
    return t(key, lang, REPORT)


def coded(prefix: str, code: str, lang: str) -> str:
    """The word for a coded value (``m_theta``, ``level_team``), else the code itself."""
    key = f"{prefix}_{code}"
    return word(key, lang) if key in catalogue(REPORT).labels else str(code)
