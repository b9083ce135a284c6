"""The bad-input corpus: every folder of ``tests/bad_inputs/`` is one thing a user can get wrong.

Each case runs ``salesops`` on its own small files and must end with the exit code and the
message its ``case.yaml`` expects — never a traceback. The cases run in-process (one import of
the engine for all of them); one test runs the installed console script end to end.
See ``tests/bad_inputs/README.md`` for the format of a case.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from salesops_lib import cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def load_case(folder: Path) -> dict[str, Any]:
    """The case's ``case.yaml`` with ``{dir}`` in its arguments replaced by the case folder."""
    spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    spec["args"] = [str(a).replace("{dir}", str(folder)) for a in spec["args"]]
    return spec


def run_in_process(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """``salesops ARGS`` through :func:`salesops_lib.cli.main`: exit code and everything printed."""
    buffers = io.StringIO(), io.StringIO()
    for name, buffer in zip(("out", "err"), buffers, strict=True):
        # wide and without soft wrapping, so an expected phrase is never split across lines
        monkeypatch.setattr(cli, name, Console(file=buffer, width=200, soft_wrap=True, color_system=None))
    monkeypatch.setattr(sys, "argv", ["salesops", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:
        pytest.fail(f"salesops {' '.join(args)} raised instead of exiting cleanly:\n{traceback.format_exc()}")
    captured = capsys.readouterr()
    return code, buffers[0].getvalue() + buffers[1].getvalue() + captured.out + captured.err


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 18
    for folder in CASES:
        spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        assert {"why", "args", "exit_code", "expect"} <= set(spec), folder.name
        assert spec["expect"], f"{folder.name}: a case must expect at least one phrase"


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_bad_input(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = load_case(folder)
    code, output = run_in_process(spec["args"], monkeypatch, capsys)
    context = f"\n--- why: {spec['why']}\n--- output of salesops {' '.join(spec['args'])}:\n{output}"
    assert "Traceback" not in output, context
    assert code == spec["exit_code"], f"exit code {code}, expected {spec['exit_code']}{context}"
    missing = [phrase for phrase in spec["expect"] if phrase not in output]
    assert not missing, f"expected phrase(s) not in the output: {missing}{context}"
    leaked = [secret for secret in spec.get("forbid", ()) if secret in output]
    assert not leaked, f"output must not contain {leaked}{context}"


def _console_script() -> Path:
    beside = Path(sys.executable).parent / ("salesops.exe" if os.name == "nt" else "salesops")
    found = beside if beside.is_file() else (Path(p) if (p := shutil.which("salesops")) else None)
    if found is None:
        pytest.fail("the `salesops` console script is not installed in this environment (run `uv sync`)")
    return found


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed ``salesops`` on a structural error and on a data error: exit 2, no traceback."""
    script = _console_script()
    env = {**os.environ, "SALESOPS_CACHE": str(tmp_path / "cache"), "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    procs = {}
    for name in ("missing_file", "negative_amount"):  # run side by side: each pays the engine's import
        args = load_case(CORPUS / name)["args"]
        procs[name] = subprocess.Popen([str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    streams = {}
    for name, proc in procs.items():
        stdout, stderr = (b.decode("utf-8", "replace") for b in proc.communicate(timeout=120))
        streams[name] = stdout, stderr
        assert "Traceback" not in stdout + stderr, f"{name}:\n{stdout}{stderr}"
        assert proc.returncode == 2, f"{name}: exit code {proc.returncode}\n{stdout}{stderr}"
    # the structural error is one message on stderr; the data error is the report on stdout
    assert "file 'sales_pipeline.csv' not found" in streams["missing_file"][1]
    assert "amount below 0" in streams["negative_amount"][0]
