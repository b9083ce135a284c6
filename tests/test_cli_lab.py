"""``salesops lab``: JupyterLab's own flags pass through (issue 21: as root it exited at once)."""

from __future__ import annotations

import sys

import pytest

from salesops_lib import cli


def _lab(args: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command line ``salesops lab ARGS`` would become (``os.execv`` is intercepted)."""
    seen: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: seen.append([path, *argv]))
    monkeypatch.setattr(sys, "argv", ["salesops", "lab", *args])
    cli.main()
    (call,) = seen
    assert call[0] == sys.executable
    return call[1:]


def test_unknown_flags_reach_jupyter_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _lab(["--allow-root", "--ip", "0.0.0.0", "--ServerApp.token=abc"], monkeypatch)
    assert argv[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert argv[-4:] == ["--allow-root", "--ip", "0.0.0.0", "--ServerApp.token=abc"]


def test_port_and_no_browser_still_work_beside_passed_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _lab(["--port", "8890", "--no-browser", "--allow-root"], monkeypatch)
    assert "--port=8890" in argv and "--no-browser" in argv and argv[-1] == "--allow-root"
    assert any(a.startswith("--notebook-dir=") and a.endswith("notebooks") for a in argv)


def test_without_flags_only_the_notebook_folder_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _lab([], monkeypatch)
    assert len(argv) == 5 and argv[4].startswith("--notebook-dir=")
