"""Executed notebook → static HTML page: no code, no prompts, images embedded, no CDN, a TOC.

Headings that reports display (``<h1>``–``<h3>`` in HTML outputs) become anchors; the section
headings (``<h2>``) make a short table of contents, collapsed. Parts a report marked as methods
(:mod:`salesops_lib.report.layout`: tests, models, backtests) leave their place and close the
page in one collapsed 「方法说明」/"Methods" section, in page order, each under the heading of the
section it came from. Sections the source could not feed (the payload's ``skipped_sections``, listed
at the top of the page) are left out: from their heading to the next heading of the same or a
higher level, figures included. The runner's payload output, stderr noise and analysts' markdown notes are
left out of the page; the executed notebook keeps everything (it is the audit log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from salesops_lib.report.i18n import t
from salesops_lib.report.layout import METHODS_PART
from salesops_lib.report.notebook import PAYLOAD_MIME, SHEETS_MIME

TEMPLATES = Path(__file__).parent / "templates"
PAGE_CSS = (TEMPLATES / "page.css").read_text(encoding="utf-8") if (TEMPLATES / "page.css").exists() else ""
MAX_PAGE_BYTES = 3 * 1024 * 1024
_HEADING = re.compile(r"<h([1-3])([^>]*)>(.*?)</h\1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_OPENS_WITH_HEADING = re.compile(r"\s*(?:<style[^>]*>.*?</style>\s*)*<h[1-4]", re.IGNORECASE | re.DOTALL)
TOC_LEVEL = 2
"""Only section headings make the table of contents (the page title and sub-headings do not)."""
METHODS_ANCHOR = "so-methods"


@dataclass(frozen=True)
class Page:
    """A written page: where, how big, and whether it kept within the size budget."""

    path: Path
    bytes: int

    @property
    def within_budget(self) -> bool:
        """Whether the page is no larger than :data:`MAX_PAGE_BYTES`."""
        return self.bytes <= MAX_PAGE_BYTES


class _ReportOutputs(Preprocessor):
    """Drop payload and stderr outputs; anchor headings, collect the table of contents and move
    the parts marked as methods into one collapsed section at the end of the page.
    """

    lang = "zh"

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        toc: list[dict[str, Any]] = []
        methods: list[str] = []
        where = _Where()  # the section being read: inline method notes go under its heading
        cut = _SectionCut(_skipped_titles(nb))
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            kept = []
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    continue
                data = output.get("data", {})
                if PAYLOAD_MIME in data or SHEETS_MIME in data:
                    continue
                if "text/html" in data:
                    html = cut.html(_text(data["text/html"]))
                    shown, start = [], 0
                    for match in METHODS_PART.finditer(html):
                        shown.append(html[start : match.start()])
                        where.read(html[start : match.start()])
                        start = match.end()
                        if match.group(1).strip():
                            methods.append(where.part(match.group(1)))
                    shown.append(html[start:])
                    where.read(html[start:])
                    html = "".join(shown)
                    if not html.strip() or _only_style(html):
                        continue
                    data["text/html"] = self._anchor(html, toc)
                elif cut.skipping:
                    continue
                kept.append(output)
            cell.outputs = kept
        if methods:
            title = t("methods_section", self.lang)
            toc.append({"level": TOC_LEVEL, "anchor": METHODS_ANCHOR, "text": title})
            closing = (
                f'<details class="so-methods" id="{METHODS_ANCHOR}"><summary>{_esc(title)}</summary>'
                f'<div class="so-methods-body">{"".join(methods)}</div></details>'
            )
            output = nbformat.v4.new_output("display_data", data={"text/html": closing})
            nb.cells.append(nbformat.v4.new_code_cell(source="", outputs=[output]))
        resources["salesops_toc"] = [item for item in toc if item["level"] == TOC_LEVEL]
        return nb, resources

    @staticmethod
    def _anchor(html: str, toc: list[dict[str, Any]]) -> str:
        def replace(match: re.Match[str]) -> str:
            level, attrs, inner = match.group(1), match.group(2), match.group(3)
            anchor = f"s{len(toc) + 1}"
            text = _TAGS.sub("", inner).strip()
            import html as html_lib

            toc.append({"level": int(level), "anchor": anchor, "text": html_lib.unescape(text)})
            return f'<h{level}{attrs} id="{anchor}">{inner}</h{level}>'

        return _HEADING.sub(replace, html)


class _Where:
    """The headings above the current point of the page, to title the method notes taken from it."""

    def __init__(self) -> None:
        self.section = ""
        self.sub = ""
        #: where the last part was taken from (parts taken one after another from one place share a heading)
        self.last_place: str | None = None

    def read(self, html: str) -> None:
        """Move past ``html`` (page content that stays in place)."""
        for match in _HEADING.finditer(html):
            level, text = int(match.group(1)), _heading_text(match.group(3))
            if level <= 2:
                self.section, self.sub = text, ""
            else:
                self.sub = text

    def part(self, html: str) -> str:
        """A part of the methods section: its headings one level down; a note without a heading
        of its own under the title of the place it came from, unless it continues the part
        taken just before from the same place (a figure after its section, notes of one section).
        """
        demoted = re.sub(r"<(/?)h([2-4])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", html)
        place = " · ".join(text for text in (self.section, self.sub) if text)
        continues, self.last_place = place == self.last_place, place
        if _OPENS_WITH_HEADING.match(html) or continues or not place:
            return demoted
        return f"<h3>{_esc(place)}</h3>{demoted}"


def _only_style(html: str) -> bool:
    """Whether ``html`` holds nothing visible (only style sheets, e.g. a section whose notes all moved)."""
    rest = re.sub(r"<style[^>]*>.*?</style>", "", html, flags=re.IGNORECASE | re.DOTALL)
    return not _TAGS.sub("", rest).strip() and "<img" not in rest and "<table" not in rest


def _esc(text: str) -> str:
    import html as html_lib

    return html_lib.escape(text)


class _SectionCut:
    """Cuts the sections titled ``titles`` out of a page's HTML outputs, in page order."""

    def __init__(self, titles: set[str]) -> None:
        self.titles = titles
        #: level of the heading being cut (None: keeping)
        self.level: int | None = None

    @property
    def skipping(self) -> bool:
        """True while inside a section being cut (outputs without headings are dropped)."""
        return self.level is not None

    def html(self, html: str) -> str:
        """The part of ``html`` outside the cut sections."""
        if not self.titles:
            return html
        kept: list[str] = []
        start: int | None = None if self.skipping else 0
        for match in _HEADING.finditer(html):
            level, text = int(match.group(1)), _heading_text(match.group(3))
            if text in self.titles:
                if start is not None:
                    kept.append(html[start : match.start()])
                start, self.level = None, level if self.level is None else min(self.level, level)
            elif self.level is not None and level <= self.level:
                start, self.level = match.start(), None
        if start is not None:
            kept.append(html[start:])
        return "".join(kept)


def _skipped_titles(nb: Any) -> set[str]:
    """The titles of the sections the report's payload says it left out."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            payload = output.get("data", {}).get(PAYLOAD_MIME)
            if isinstance(payload, dict):
                return set(payload.get("skipped_sections") or {})
    return set()


def _heading_text(inner: str) -> str:
    import html as html_lib

    return html_lib.unescape(_TAGS.sub("", inner)).strip()


def with_embedded_font(page: str) -> str:
    """``page`` with the CJK glyphs it uses embedded in its ``<head>`` (see ``font_face_css``)."""
    from salesops_lib.report.fonts import font_face_css

    css = font_face_css(page)
    return page.replace("</head>", f"<style>{css}</style>\n</head>", 1) if css else page


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def export_html(
    notebook: Path, target: Path, *, title: str, meta: str, home: str, toc_label: str, lang: str, excel: str = ""
) -> Page:
    """Write the report page for an executed ``notebook`` to ``target``."""
    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(
        template_name="salesops",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        language_code="zh" if lang == "zh" else "en",  # nbconvert overwrites resources["language_code"]
    )
    outputs = _ReportOutputs()
    outputs.lang = lang
    exporter.register_preprocessor(outputs, enabled=True)
    resources = {
        "salesops_css": PAGE_CSS,
        "salesops_title": title,
        "salesops_meta": meta,
        "salesops_home": home,
        "salesops_toc_label": toc_label,
        "salesops_excel": excel,
        "salesops_excel_label": "下载表格（Excel）" if lang == "zh" else "Download tables (Excel)",
        "metadata": {"name": title},
    }
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.write_text(with_embedded_font(body), encoding="utf-8")
    return Page(target, target.stat().st_size)
