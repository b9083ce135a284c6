"""The command line never shows a Python traceback for something the user typed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import SALESOPS


@pytest.mark.parametrize(
    "args",
    [
        ["review", "--output-dir", "x"],
        ["review", "--period"],
        ["metrics", "--source"],
        ["no-such-command"],
        ["run", "kpi_overview", "-p", "novalue"],
        ["review", "--period", "2025-13", "--source", "demo:small:2025-06-30"],
        ["review", "--period", "2025-06\n", "--source", "demo:small:2025-06-30"],
    ],
)
@pytest.mark.slow
def test_bad_command_lines_are_messages(args: list[str], tmp_path: Path) -> None:
    run = subprocess.run([str(SALESOPS), *args], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stderr.strip()
