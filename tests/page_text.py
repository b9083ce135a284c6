"""What a reader sees on a published page, and the words that must never be there.

A page may carry ``nan`` or ``None`` inside a script or a style (chart data, JSON); what matters
is the visible text. :func:`leaked_values` finds the spellings of a missing or infinite number
and Python's own words (``Traceback``) in it, with a little context for the failure message.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_LEAKS = re.compile(r"\b(nan|NaN|NaT|None|null|inf|-inf|Infinity|Traceback)\b|nan%")
_HIDDEN = frozenset({"script", "style", "template"})


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        for name, value in attrs:  # tooltips and alt texts are read too
            if name in ("title", "alt", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (no scripts, styles or markup), whitespace collapsed."""
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def leaked_values(html: str) -> list[str]:
    """Each ``nan``/``None``/``inf``/``Traceback`` in the visible text, with 50 characters around it."""
    text = visible_text(html)
    return [text[max(0, m.start() - 50) : m.end() + 50] for m in _LEAKS.finditer(text)]
