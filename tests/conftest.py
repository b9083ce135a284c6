"""Shared fixtures: paths to the real datasets and the bundled example, the small demo's dashboard
cube, and the loopback PostgreSQL server of the warehouse tests (``tests/postgres_fixtures.py``).

Under ``pytest -n`` (``./workbench test``) each test file runs whole on one worker
(``--dist loadfile``), so its module fixtures are built once; session fixtures are built once
per worker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.postgres_fixtures import pg_server  # noqa: F401  (a session fixture of the warehouse tests)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
MAVEN_SHARED = SHARED / "maven_crm_sales_opportunities"
MAVEN_BUNDLED = ROOT / "examples" / "maven_crm"
MAVEN_MAPPING = ROOT / "parameters" / "sources" / "maven_crm.yaml"


SMALL_DEMO_AS_OF = "2025-06-30"
"""The pinned small demo of the tests (its planted effects sit in June 2025)."""
PLANTED = f"demo:small:{SMALL_DEMO_AS_OF}"
"""The small demo with its planted effects."""
NULL = f"demo:small:null:{SMALL_DEMO_AS_OF}"
"""The same world without them."""
SALESOPS = Path(sys.executable).parent / "salesops"
"""The console script, for tests of the command line as a user runs it."""
FIXTURE_NOTEBOOKS = ROOT / "tests" / "notebooks"
"""Small fixture notebooks (a report that works, fails, hangs, dies, …)."""


@pytest.fixture(scope="session")
def small_demo_cube(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The dashboard cube of the small demo for June 2025, built once per session and stored in
    the session's cache, where the dashboard notebook finds it as JupyterLab would."""
    from salesops_lib.dashboard.build import build_cube
    from salesops_lib.dashboard.cube import cube_root, save_cube
    from salesops_lib.data import connect

    with pytest.MonkeyPatch.context() as patch:  # the cache folder _isolated_cache gives every test
        patch.setenv("SALESOPS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        ds = connect(f"demo:small:{SMALL_DEMO_AS_OF}")
        cube = build_cube(ds, SMALL_DEMO_AS_OF[:7])
        save_cube(cube, cube_root(ds.fingerprint))
    return cube


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
