"""`salesops new-analysis`: the files a new analysis needs, and one line in the catalog."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salesops_lib.errors import ConfigError
from salesops_lib.scaffold import new_analysis

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the library (and the notebook/parameters/docs/tests folders) to scaffold into."""
    shutil.copytree(ROOT / "salesops_lib", tmp_path / "salesops_lib", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("notebooks", "parameters", "docs", "tests"):
        (tmp_path / folder).mkdir()
    return tmp_path


@pytest.mark.slow
def test_a_new_analysis_is_one_catalog_line_and_runs_in_both_languages(project: Path) -> None:
    before = (project / "salesops_lib" / "catalog.py").read_text(encoding="utf-8").splitlines()
    made = new_analysis("demo_probe", project, title_zh="探针分析", title_en="Demo probe")
    after = (project / "salesops_lib" / "catalog.py").read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1 and set(before) <= set(after)
    assert "from salesops_lib.analyses.demo_probe import SPEC as demo_probe" in after
    assert all(path.is_file() for path in made.written) and len(made.written) == 12
    for path in made.written:
        assert "$" not in path.read_text(encoding="utf-8").replace("${", ""), f"{path.name}: template left over"
    script = """
import sys
from salesops_lib.catalog import CATALOG
from salesops_lib.config.scope import RunScope
from salesops_lib.data import connect
from salesops_lib.report import demo_probe as view
from salesops_lib.report.findings_text import finding_text
report = CATALOG["demo_probe"]
assert list(CATALOG)[-1] == "demo_probe" and report.title("zh") == "探针分析"
data = connect("demo:small:2025-06-30")
result = report.spec.run(data, RunScope(source="demo:small:2025-06-30", period="2025-06"))
assert len(result.by_region) == 5 and result.findings
print(view.by_region(result, "zh").html[:40], finding_text(result.findings[0], "zh"), finding_text(result.findings[0], "en"))
"""
    env_path = f"{project}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "PYTHONPATH": env_path},
        cwd=project,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "赢单金额同比" in done.stdout and "won value" in done.stdout


def test_an_existing_name_or_a_bad_name_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError, match="already has files"):
        new_analysis("forecast", project)
    with pytest.raises(ConfigError, match="lower-case identifier"):
        new_analysis("Bad-Name", project)
    assert not (project / "salesops_lib" / "analyses" / "Bad-Name").exists()


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
