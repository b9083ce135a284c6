"""No test depends on today's date: every demo dataset a test opens carries a pinned as-of.

The demo's default as-of is "the end of last month", so a test that opens ``demo:small`` and
asserts on a fixed period passes in one month and fails the next. The full suite is also run
with the clock a year ahead (``faketime +365d ./workbench test``; see the issue's closing note).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

#: a demo source string without a date, e.g. "demo", "demo:small", "demo:small:null"
UNPINNED_SOURCE = re.compile(
    r"""(?:connect\(|source["']?\s*[=:,]\s*)["']demo(?::(?:small|default|large|planted|null|seed=\d+))*["']"""
)
#: demo_source_path(...) without an as_of argument
UNPINNED_PATH = re.compile(r"demo_source_path\((?![^)]*as_of)[^)]*\)")


def _test_files() -> list[Path]:
    return [p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name]


def test_every_demo_source_in_the_tests_is_pinned() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _test_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (UNPINNED_SOURCE.search(line) or UNPINNED_PATH.search(line)) and "noqa: calendar" not in line
    ]
    assert not offenders, "pin the demo's as-of (demo:small:2025-06-30):\n" + "\n".join(offenders)


def test_the_scan_finds_what_it_looks_for() -> None:
    call = "connect"  # the examples are assembled so that this file itself holds no unpinned source
    assert UNPINNED_SOURCE.search(call + '("demo:small")') and UNPINNED_SOURCE.search("source='demo'")
    assert UNPINNED_SOURCE.search('{"source": "demo:null", "period": "2026-10"}')
    assert UNPINNED_SOURCE.search('["--source", "demo:small"]')
    assert not UNPINNED_SOURCE.search('mktemp("demo")')
    assert not UNPINNED_SOURCE.search(call + '("demo:small:2025-06-30")')
    path_call = "demo_source_path"
    assert UNPINNED_PATH.search(path_call + '("small", show_progress=False)')
    assert not UNPINNED_PATH.search(path_call + '("small", as_of=AS_OF, show_progress=False)')
