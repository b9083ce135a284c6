"""Project-level checks: layers, pinned environments, generated docs, the bootstrap scripts."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _direct_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    return [re.match(r"^([A-Za-z0-9_.\-]+)", d).group(1).lower() for d in deps]  # type: ignore[union-attr]


def test_layers_point_down_only() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_direct_dependency_is_pinned_and_mirrored_in_environment_yml() -> None:
    pins = _lock()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: dict[str, str] = {}
    for item in env["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?={1,2}(\S+)$", entry)
            if match:
                listed[match.group(1).lower()] = match.group(2)
    for name in _direct_dependencies():
        assert name in pins, f"{name} missing from requirements.lock"
        assert listed.get(name) == pins[name], (
            f"environment.yml pins {name} at {listed.get(name)}, lock at {pins[name]}"
        )
    for required in ("jupyterlab", "papermill", "pandas", "seaborn", "statsmodels", "nbconvert", "voila", "pytest"):
        assert required in listed


def test_canonical_table_reference_is_up_to_date() -> None:
    from salesops_lib.data.canonical import describe_markdown

    assert (ROOT / "docs" / "canonical_tables.md").read_text() == describe_markdown(), (
        "regenerate: python -c 'from salesops_lib.data.canonical import describe_markdown as d; "
        'open("docs/canonical_tables.md", "w").write(d())\''
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\./workbench \w+$", readme, flags=re.MULTILINE)
    assert commands[:2] == ["./workbench review", "./workbench test"]
    assert "exec ./workbench test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_example_command_prints_the_maven_summary() -> None:
    script = Path(sys.executable).parent / "salesops"
    result = subprocess.run(
        [str(script), "example"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "GTXPro" in result.stdout and "GTX Pro" in result.stdout
    assert "1,425" in result.stdout and "have no opportunities" in result.stdout
    assert "63.2%" in result.stdout and "10,005,534" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_package_is_typed() -> None:
    assert (ROOT / "salesops_lib" / "py.typed").exists()
