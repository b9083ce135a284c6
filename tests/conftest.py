"""Shared fixtures: paths to the real datasets and the bundled example, and the loopback
PostgreSQL server of the warehouse tests (``tests/postgres_fixtures.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres_fixtures import pg_server  # noqa: F401  (a session fixture of the warehouse tests)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
MAVEN_SHARED = SHARED / "maven_crm_sales_opportunities"
MAVEN_BUNDLED = ROOT / "examples" / "maven_crm"
MAVEN_MAPPING = ROOT / "parameters" / "sources" / "maven_crm.yaml"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transcoded files and other cache go to a per-session temp folder, not the user's cache."""
    monkeypatch.setenv("SALESOPS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def maven_folder() -> Path:
    """The real Maven CRM export (../shared/datasets), or the bundled copy when shared/ is absent."""
    return MAVEN_SHARED if MAVEN_SHARED.is_dir() else MAVEN_BUNDLED


@pytest.fixture(scope="session")
def maven(maven_folder: Path):  # type: ignore[no-untyped-def]
    from salesops_lib.data import connect

    return connect(maven_folder, MAVEN_MAPPING)
