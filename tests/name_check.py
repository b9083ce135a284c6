"""Where a zh page shows a code although the data name it (issue 21: names, not codes).

The check, on a page's visible text (:func:`tests.page_text.visible_text`):

- a **team code** is a lower-case word, a dash and two digits or more (``southwest-05``);
- a **region code** is one of the region ids the data give a name (``north`` when the roster's
  ``region_name`` says 华北), as a whole word.

The index's data-quality section is left out: its validation messages quote the source's rows
as they are (``rep_id=R000050, team=southwest-01``) so that they can be found in the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tests.page_text import visible_text

DATA_QUALITY = re.compile(r'<section class="so-data-quality">.*?</section>', re.S)
TEAM_CODE = re.compile(r"(?<![\w-])[a-z]+-\d{2,}(?![\w-])")


def codes_shown(html: str, region_codes: Iterable[str]) -> list[str]:
    """The team codes and named region codes in the visible text of ``html`` (with context)."""
    text = visible_text(DATA_QUALITY.sub("", html))
    regions = sorted(set(region_codes), key=len, reverse=True)
    patterns = [TEAM_CODE]
    if regions:
        patterns.append(re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, regions)) + r")(?![\w-])"))
    found = []
    for pattern in patterns:
        found += [text[max(0, m.start() - 20) : m.end() + 20] for m in pattern.finditer(text)]
    return found
