"""Where parts of a page go: the headline first, methods and statistics last, collapsed.

A page reads tiles, then findings, then the business sections; how a number was made (tests,
models, backtests) sits in one collapsed 「方法说明」/"Methods" section at the end. A report marks
those parts where it composes its page: a whole output in the notebook (``report.methods(...)``,
:func:`methods`) or a note inside a section (:func:`methods_note`). The marks are HTML comments,
invisible in Jupyter; the page export (:mod:`salesops_lib.runner.html_export`) moves every marked
part, in page order, into the closing ``<details>``.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from salesops_lib.report.html import HtmlFragment, e
from salesops_lib.report.i18n import t

METHODS_OPEN = "<!--so:methods-->"
METHODS_CLOSE = "<!--/so:methods-->"
METHODS_PART = re.compile(re.escape(METHODS_OPEN) + r"(.*?)" + re.escape(METHODS_CLOSE), re.DOTALL)
"""One marked part (marks never nest)."""


def methods_note(html: str) -> str:
    """``html`` (a note inside a section: a test, a model, a correction) marked for the page's
    methods section.

    Examples
    --------
    >>> methods_note("<p>Holm</p>")
    '<!--so:methods--><p>Holm</p><!--/so:methods-->'
    >>> methods_note("")
    ''
    """
    return f"{METHODS_OPEN}{html}{METHODS_CLOSE}" if html else ""


def methods(*parts: object) -> HtmlFragment:
    """``parts`` (HTML fragments, figures, text) as one output marked for the methods section.

    Examples
    --------
    >>> methods(HtmlFragment("<h2>Backtest</h2>")).html
    '<!--so:methods--><h2>Backtest</h2><!--/so:methods-->'
    """
    return HtmlFragment(methods_note("".join(_html_of(part) for part in parts)))


def list_note(shown: int, total: int, lang: str, *, kept: int | None = None) -> str:
    """Under a list the page shows in part (the first ``shown`` of ``total`` deals or invoices,
    worst first): where the complete list is, or, when the Excel download holds only the first
    ``kept`` (a bounded list, :mod:`salesops_lib.analyses.bounded`), that it does. Nothing when
    the page shows them all.

    Examples
    --------
    >>> list_note(10, 57, "en")
    "<p class='so-list-note'>The first 10 of 57; the complete list is in this page&#x27;s Excel download.</p>"
    >>> list_note(10, 120_000, "en", kept=10_000)
    "<p class='so-list-note'>The first 10 of 120,000; this page&#x27;s Excel download holds the first 10,000.</p>"
    >>> list_note(8, 8, "zh")
    ''
    """
    if total <= shown:
        return ""
    if kept is not None and kept < total:
        text = t("list_shown_bounded", lang).format(shown=shown, total=f"{total:,}", kept=f"{kept:,}")
    else:
        text = t("list_shown", lang).format(shown=shown, total=total)
    return f"<p class='so-list-note'>{e(text)}</p>"


def figure_html(png: bytes) -> str:
    """A PNG as an ``<img>`` that fits its column."""
    data = base64.b64encode(png).decode("ascii")
    return f"<img class='so-figure' style='max-width:100%;height:auto' src='data:image/png;base64,{data}'>"


def _html_of(part: object) -> str:
    if part is None:
        return ""
    if isinstance(part, str):
        return f"<p>{e(part)}</p>"
    if hasattr(part, "savefig"):  # a matplotlib figure, as the inline backend draws it
        return figure_html(_png(part))
    render = getattr(part, "_repr_html_", None)
    if callable(render):
        return str(render() or "")
    return f"<pre>{e(part)}</pre>"


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
    return buffer.getvalue()
