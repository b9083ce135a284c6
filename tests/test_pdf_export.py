"""``salesops export-pdf``: the published review printed by headless Chromium to
``reports/<period>/monthly_review.pdf``.

The browser test publishes the small demo's review (zh), prints it, renders every page with
``pdftoppm`` and reads the text back with ``pdftotext``: pages with ink, A4, the page's Chinese
headline extracted as text, Noto Sans SC embedded. Chromium and poppler-utils come from
``scripts/test-services.sh start``; without them the test skips (and fails under CI=true).
The other tests need no browser: errors for an unpublished period or a missing Chromium, and a
failing print leaves an earlier PDF untouched.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salesops_lib.errors import ExportError
from salesops_lib.runner.pdf_export import export_pdf, find_chromium, printable
from tests.conftest import SMALL_DEMO_AS_OF

ROOT = Path(__file__).resolve().parents[1]
PERIOD = SMALL_DEMO_AS_OF[:7]
"""Demo data are pinned (``demo:small:<as_of>``): nothing depends on today's date."""
_TAGS = re.compile(r"<[^>]+>")


def _need(tool: str, found: str | None) -> str:
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing under CI: scripts/test-services.sh start installs it")
        pytest.skip(f"{tool} is not installed (scripts/test-services.sh start installs it)")
    return found


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "salesops_lib.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,  # where a user runs it: parameters/monthly_review.yaml is the default --config
        check=False,
        timeout=300,
    )


def _headlines(page: str) -> list[str]:
    """The page's headline texts: its first ``<h1>`` and any ``so-headline`` sentence."""
    found = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.DOTALL)[:1]
    found += re.findall(r'<[a-z0-9]+ [^>]*class="[^"]*\bso-headline\b[^"]*"[^>]*>(.*?)</(?:p|div|h2|section)>', page)
    return [html.unescape(_TAGS.sub("", text)).strip() for text in found]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.browser
@pytest.mark.slow
def test_review_pdf_has_inked_a4_pages_and_the_chinese_headline(tmp_path: Path) -> None:
    _need("chromium", find_chromium())
    pdftoppm = _need("pdftoppm (poppler-utils)", shutil.which("pdftoppm"))
    pdftotext = _need("pdftotext (poppler-utils)", shutil.which("pdftotext"))
    from PIL import Image

    root = tmp_path / "reports"
    # `review --pdf` publishes the review and prints it; `export-pdf` prints it again
    args = ["--period", PERIOD, "--output", str(root)]
    source = ["--source", f"demo:small:{SMALL_DEMO_AS_OF}", "--lang", "zh", "--jobs", "1"]
    done = _cli("review", *args, *source, "--reports", "monthly_review", "--pdf")
    pdf = root / PERIOD / "monthly_review.pdf"
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pdf: {pdf}" in done.stdout.replace("\n", "")
    first = pdf.stat().st_mtime_ns
    done = _cli("export-pdf", *args)
    assert done.returncode == 0, done.stderr
    assert f"pdf: {pdf}" in done.stdout.replace("\n", "")
    assert pdf.stat().st_mtime_ns != first
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert not list((root / PERIOD).glob(".*.tmp"))  # the temporary file was renamed, not left

    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages, "pdftoppm rendered no page"
    inked = []
    for png in pages:
        with Image.open(png) as image:
            width, height = image.size
            assert 0.68 < width / height < 0.73, f"{png.name} is not A4 portrait: {image.size}"
            darkest, _ = image.convert("L").getextrema()  # (min, max) grey levels; 255 is white
            inked.append(darkest < 128)
    assert any(inked), "every page is blank"

    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    headlines = _headlines((root / PERIOD / "monthly_review.html").read_text(encoding="utf-8"))
    assert headlines and any("\u4e00" <= c <= "\u9fff" for c in headlines[0]), headlines
    for headline in headlines:
        assert _squash(headline) in _squash(text), f"{headline!r} not in the PDF's text"
    assert "目录" not in text and "下载表格" not in text  # no table of contents, no download link
    pdffonts = shutil.which("pdffonts")
    if pdffonts:  # the CJK glyphs come from the embedded Noto Sans SC, not a fallback
        fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansSC" in fonts, fonts


def _publication(root: Path, *, status: str = "published") -> Path:
    """A minimal published period: a manifest naming the review and its page."""
    folder = root / PERIOD
    folder.mkdir(parents=True)
    entry = {"name": "monthly_review", "status": status, "html_file": "monthly_review.html"}
    (folder / "manifest.json").write_text(json.dumps({"period": PERIOD, "reports": [entry]}), encoding="utf-8")
    page = "<html><head><title>t</title></head><body><h1>月度经营回顾</h1></body></html>"
    (folder / "monthly_review.html").write_text(page, encoding="utf-8")
    return folder


def test_an_unpublished_period_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=f"the period {PERIOD} is not published") as caught:
        export_pdf(tmp_path, PERIOD)
    assert caught.value.fix and f"salesops review --period {PERIOD}" in caught.value.fix


def test_a_failed_review_is_not_printed(tmp_path: Path) -> None:
    _publication(tmp_path, status="failed")
    with pytest.raises(ExportError, match=r"monthly_review report of .* is not published \(failed\)"):
        export_pdf(tmp_path, PERIOD, chromium="/bin/true")


def test_missing_chromium_names_the_fix_without_a_traceback(tmp_path: Path) -> None:
    _publication(tmp_path)
    done = _cli("export-pdf", "--period", PERIOD, "--output", str(tmp_path), env={"SALESOPS_CHROMIUM": "/nonexistent"})
    assert done.returncode == 2
    assert "chromium is not installed" in done.stderr and "apt-get install chromium" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failed_print_leaves_the_earlier_pdf(tmp_path: Path) -> None:
    folder = _publication(tmp_path)
    earlier = folder / "monthly_review.pdf"
    earlier.write_bytes(b"%PDF-1.7 earlier")
    fake = tmp_path / "chromium"
    # writes half a file where it was told to print, then crashes
    fake.write_text(
        '#!/bin/sh\nfor a; do case "$a" in --print-to-pdf=*) printf "%%PD" > "${a#--print-to-pdf=}";; esac; done\n'
        "echo 'renderer crashed' >&2; exit 3\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    with pytest.raises(ExportError, match="chromium could not print the review") as caught:
        export_pdf(tmp_path, PERIOD, chromium=str(fake))
    assert "renderer crashed" in caught.value.render()
    assert earlier.read_bytes() == b"%PDF-1.7 earlier"
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "monthly_review.html", "monthly_review.pdf"]


def test_the_print_stylesheet_goes_into_the_head() -> None:
    page = printable("<html><head><title>t</title></head><body></body></html>", Path("/tmp"))
    head = page.split("</head>")[0]
    assert "@media print" in head and "size: A4 portrait" in head and ".so-toc" in head
    assert '<base href="file:///tmp/">' in head
