"""The published review as a print-quality PDF: ``reports/<period>/monthly_review.pdf``.

The engine is headless Chromium's own print (``chromium --headless --print-to-pdf``), the browser
the project already drives for its browser tests (Debian's package, installed by
``scripts/test-services.sh``). Why Chromium's command line:

- it renders the page exactly as a reader's browser does (JupyterLab's CSS, flexbox tiles, the
  embedded Noto Sans SC subset, inline images), and CSS paged media gives A4, margins, page
  numbers and break rules (``templates/print.css``);
- Playwright's ``page.pdf()`` would add only what the page does not need (it is offline: images
  and the font are data URIs, loaded before Chromium's load event, after which the CLI prints),
  and Playwright is a test dependency, not a runtime one;
- WeasyPrint would be a second, heavy rendering stack with its own CSS dialect.

The print stylesheet is put into a private copy of the page, so any publication (also one made
before this module) prints the same way; the PDF is written next to the page through a temporary
file and one rename, so a failed export leaves an earlier PDF untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from salesops_lib.catalog import CATALOG
from salesops_lib.errors import ExportError
from salesops_lib.runner.html_export import TEMPLATES

PRINT_CSS = (TEMPLATES / "print.css").read_text(encoding="utf-8")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
"""Executables tried in order when ``SALESOPS_CHROMIUM`` does not name one."""
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)
"""An offline, sandbox-less machine (containers, CI): no GPU, no calls to Google's hosts, no date or
URL printed in the margins."""
INSTALL_FIX = (
    "install Debian's chromium (`sudo apt-get install chromium`; `scripts/test-services.sh start` "
    "installs it too) or set SALESOPS_CHROMIUM to a Chromium/Chrome executable"
)


def find_chromium() -> str | None:
    """The Chromium to print with: ``SALESOPS_CHROMIUM`` when it exists, else the first of
    :data:`CHROMIUM_NAMES` on ``PATH``; None when there is none.
    """
    given = os.environ.get("SALESOPS_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def review_page(root: Path, period: str) -> Path:
    """The published page of the executive review of ``period`` under ``root``.

    Raises :class:`ExportError` when the period is not published or its review did not publish.
    """
    summary = CATALOG.summary.name if CATALOG.summary else "monthly_review"
    manifest = root / period / "manifest.json"
    fix = f"publish it first: salesops review --period {period} --output {root}"
    if not manifest.is_file():
        raise ExportError(f"the period {period} is not published", where=str(root / period), fix=fix)
    try:
        reports = json.loads(manifest.read_text(encoding="utf-8")).get("reports", [])
        entry = next((r for r in reports if r.get("name") == summary), None)
    except (ValueError, AttributeError) as exc:
        raise ExportError(f"the manifest of {period} cannot be read: {exc}", where=str(manifest), fix=fix) from None
    page = root / period / str((entry or {}).get("html_file") or f"{summary}.html")
    if not entry or entry.get("status") != "published" or not page.is_file():
        state = entry.get("status", "missing") if entry else "missing"
        raise ExportError(f"the {summary} report of {period} is not published ({state})", where=str(page), fix=fix)
    return page


def printable(page: str, base: Path) -> str:
    """``page`` with the print stylesheet and a ``<base>`` (so relative links resolve from ``base``)."""
    head = f'<base href="{base.resolve().as_uri()}/">\n<style media="print">\n{PRINT_CSS}</style>\n'
    if "</head>" in page:
        return page.replace("</head>", head + "</head>", 1)
    return head + page


def export_pdf(root: Path, period: str, *, chromium: str | None = None, timeout: float = 180.0) -> Path:
    """Print the published review of ``period`` to ``root/<period>/<review>.pdf``; returns its path.

    Parameters
    ----------
    root
        The folder that holds the published periods (``reports``).
    period
        ``YYYY-MM``.
    chromium
        The browser executable (default: :func:`find_chromium`).
    timeout
        Seconds Chromium may take.

    Raises
    ------
    ExportError
        The period or its review is not published, Chromium is missing, or it failed to print.
    """
    page = review_page(root, period)
    browser = chromium or find_chromium()
    if browser is None:
        raise ExportError("chromium is not installed: the PDF is printed by headless Chromium", fix=INSTALL_FIX)
    target = page.with_suffix(".pdf")
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="salesops-pdf-") as work:
        copy = Path(work) / page.name
        copy.write_text(printable(page.read_text(encoding="utf-8"), page.parent), encoding="utf-8")
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={work}/profile", f"--print-to-pdf={partial}"]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                [*command, copy.as_uri()], capture_output=True, text=True, timeout=timeout, check=False
            )
            if done.returncode != 0 or not _is_pdf(partial):
                detail = (done.stderr or "").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
                raise ExportError(
                    "chromium could not print the review",
                    where=str(page),
                    examples=detail,
                    fix=f"check that `{browser} --headless --print-to-pdf=out.pdf {page.name}` works on this machine",
                )
            partial.replace(target)
        except subprocess.TimeoutExpired:
            raise ExportError(
                f"chromium did not finish printing within {timeout:.0f} s", where=str(page), fix="run again"
            ) from None
        except OSError as exc:
            raise ExportError(
                f"cannot print the review: {exc.strerror or exc}",
                where=str(exc.filename or page),
                fix="check free disk space and the folder's permissions",
            ) from None
        finally:
            partial.unlink(missing_ok=True)
    return target


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False
