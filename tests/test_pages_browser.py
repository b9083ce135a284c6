"""The published pages in a real Chromium (Debian's, driven by Playwright) at 1440 px and 390 px:
no horizontal overflow on the index and the report pages (wide tables scroll inside their own
box), findings before the methods, the table of contents and the methods closed.

Full-page screenshots go to ``$SALESOPS_TEST_ARTIFACTS`` when set, else ``tests/artifacts/pages/``
(ignored by git, beside the dashboard's screenshots): ``<page>-<width>.png``.

The publication is the small demo's review (zh, pinned as-of date) of two report pages with
methods sections and the executive page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SMALL_DEMO_AS_OF
from tests.dashboard_driver import chromium, need_chromium

ROOT = Path(__file__).resolve().parents[1]
PERIOD = SMALL_DEMO_AS_OF[:7]
REPORTS = ("forecast", "funnel_diagnosis")
"""Report pages checked for the headline-first order (both move statistics into 「方法说明」)."""
WIDTHS = (1440, 390)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def artifacts() -> Path:
    """Where the screenshots go: ``$SALESOPS_TEST_ARTIFACTS`` or ``tests/artifacts/pages``."""
    folder = Path(os.environ.get("SALESOPS_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts" / "pages")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The period folder of a published review (index, the two reports, the executive page)."""
    need_chromium()
    root = tmp_path_factory.mktemp("pages") / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salesops_lib.cli",
            "review",
            "--period",
            PERIOD,
            "--output",
            str(root),
            "--source",
            f"demo:small:{SMALL_DEMO_AS_OF}",
            "--lang",
            "zh",
            "--jobs",
            "1",
            "--reports",
            ",".join((*REPORTS, "monthly_review")),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / PERIOD


@pytest.fixture(scope="module")
def browser(published: Path) -> Iterator[object]:
    with chromium() as browser:
        yield browser


def _open(browser: object, page_file: Path, width: int) -> object:
    context = browser.new_context(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    return page


def _overflow(page: object) -> tuple[int, int]:
    """(scrollWidth, innerWidth) of the document: the page scrolls sideways when the first is larger."""
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")  # type: ignore[attr-defined]
    return int(widths[0]), int(widths[1])


def _shoot(page: object, name: str, width: int) -> Path:
    path = artifacts() / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_the_index_fits_the_window(browser: object, published: Path, width: int) -> None:
    page = _open(browser, published / "index.html", width)
    scroll, inner = _overflow(page)
    assert scroll <= inner, f"the index scrolls sideways at {width} px ({scroll} > {inner})"
    assert _shoot(page, "index", width).stat().st_size > 5_000
    page.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", [*REPORTS, "monthly_review"])
def test_report_pages_fit_the_window(browser: object, published: Path, report: str, width: int) -> None:
    page = _open(browser, published / f"{report}.html", width)
    scroll, inner = _overflow(page)
    assert scroll <= inner, f"{report} scrolls sideways at {width} px ({scroll} > {inner})"
    wide = page.evaluate(  # type: ignore[attr-defined]
        """[...document.querySelectorAll('main img, main table')]
             .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1).length"""
    )
    assert wide == 0, f"{wide} images or tables of {report} reach past the window at {width} px"
    assert _shoot(page, report, width).stat().st_size > 5_000
    page.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("report", REPORTS)
def test_findings_come_first_and_contents_and_methods_are_closed(browser: object, published: Path, report: str) -> None:
    page = _open(browser, published / f"{report}.html", 390)
    facts = page.evaluate(  # type: ignore[attr-defined]
        """() => {
          const h2 = [...document.querySelectorAll('main h2')];
          const findings = h2.findIndex(h => h.textContent.trim().startsWith('主要发现'));
          const methods = document.querySelector('details.so-methods');
          const toc = document.querySelector('details.so-toc');
          const before = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
          return {
            findings, sections: h2.length,
            findingsBeforeMethods: findings >= 0 && !!methods && before(h2[findings], methods),
            methodsLast: !!methods && [...document.querySelectorAll('main h2')]
              .every(h => methods.contains(h) || before(h, methods)),
            methodsOpen: methods ? methods.open : null,
            tocOpen: toc ? toc.open : null,
            tocItems: toc ? toc.querySelectorAll('li').length : 0,
            jargonOutside: ['Holm', 'MASE', 'p 值'].filter(w => [...document.querySelectorAll('main')]
              .some(m => [...m.querySelectorAll('h2, h3, p, li')]
                .some(el => !(methods && methods.contains(el)) && !el.closest('.so-toc') && el.textContent.includes(w)))),
          };
        }"""
    )
    # tiles may carry a heading of their own: the findings are the first or the second section
    assert 0 <= facts["findings"] <= 1, facts
    assert facts["findingsBeforeMethods"] and facts["methodsLast"], facts
    assert facts["methodsOpen"] is False and facts["tocOpen"] is False, facts
    assert 0 < facts["tocItems"] <= 12, facts
    assert facts["jargonOutside"] == [], facts
    page.context.close()  # type: ignore[attr-defined]
