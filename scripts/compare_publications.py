"""Compare two publications of one period page by page, volatile parts stripped.

    python scripts/compare_publications.py reports-before/2026-11 reports-after/2026-11

Used to prove that a refactor changed no page and no finding: prints each differing file with
its first differing lines and exits 1 when any differs. Volatile parts: run times, generation
stamps, the run's seconds and paths.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path

VOLATILE = [
    re.compile(r"data:font/ttf;base64,[A-Za-z0-9+/=]*"),  # font subsets carry their build time
    re.compile(r'id="cell-id=[0-9a-f-]*"'),  # papermill's injected cell gets a fresh id
    re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?([+-]\d{2}:?\d{2})?"),  # timestamps
    re.compile(r"<td>\d+\.\d</td>"),  # seconds per report on the index
    re.compile(r"/tmp/[^\s\"'<]*"),  # paths of the run
    re.compile(r'"html_bytes": \d+'),  # follows the font subsets' and images' encoded sizes
]


WIDGETS = [  # DuckDB progress bars (ipywidgets) that pages of a loaded machine carried until they were turned off
    re.compile(
        r'<div class="jp-OutputArea-child">\s*<div class="jupyter-widgets jp-OutputArea-output".*?'
        r"</script>\s*</div>\s*</div>",
        re.S,
    ),
    re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">.*?</script>', re.S),
]


def normalised(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    for pattern in WIDGETS:
        text = pattern.sub("", text)
    text = "\n".join(line for line in text.splitlines() if line.strip())
    if path.name == "manifest.json":
        data = json.loads(text)
        for key in ("started", "seconds", "config", "packages", "python", "host"):
            data.pop(key, None)
        for report in data.get("reports", []):
            report.pop("seconds", None)
        text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
    for pattern in VOLATILE:
        text = pattern.sub("<volatile>", text)
    # the engine sums in parallel: the last digits of a float may differ from run to run
    return FLOAT.sub(lambda m: f"{float(m.group()):.9g}", text)


FLOAT = re.compile(r"-?\d+\.\d{6,}(e[-+]?\d+)?")
IMAGE = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]*)"')


def _images_alike(left: str, right: str) -> tuple[str, str, list[str]]:
    """Both texts with their PNGs replaced by a placeholder, and the notes on images that differ
    by more than anti-aliasing noise (any pixel off by more than 2 % of full scale)."""
    import base64
    import io

    import numpy as np
    from matplotlib.image import imread

    a, b = IMAGE.findall(left), IMAGE.findall(right)
    notes = []
    if len(a) != len(b):
        notes.append(f"{len(a)} images before, {len(b)} after")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):  # a count mismatch is noted above
        if x == y:
            continue
        px, py = (imread(io.BytesIO(base64.b64decode(v)), format="png") for v in (x, y))
        if px.shape != py.shape:
            notes.append(f"image {i}: size {px.shape} -> {py.shape}")
        elif (diff := float(np.abs(px - py).max())) > 0.02:
            notes.append(
                f"image {i}: pixels differ by up to {diff:.0%} ({float((np.abs(px - py) > 0.02).mean()):.2%} of them)"
            )
    return IMAGE.sub("<png>", left), IMAGE.sub("<png>", right), notes


def _cells(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return "\n".join(
        f"{sheet.title}!{cell.coordinate}={cell.value!r}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def main(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differ = 0
    for name in names:
        a, b = before / name, after / name
        if not (a.is_file() and b.is_file()):
            print(f"only in {'before' if a.exists() else 'after'}: {name}")
            differ += 1
            continue
        notes: list[str] = []
        if name.endswith((".html", ".json")):
            left, right, notes = _images_alike(normalised(a), normalised(b))
        elif name.endswith(".xlsx"):
            left, right = _cells(a), _cells(b)
        elif name.endswith(".ipynb"):
            continue  # executed notebooks carry their run's outputs and timings; their pages are compared
        else:
            left, right = a.read_bytes(), b.read_bytes()  # type: ignore[assignment]
        if left != right or notes:
            differ += 1
            print(f"DIFFERS: {name}")
            for note in notes:
                print("   ", note)
            if isinstance(left, str):
                lines = difflib.unified_diff(left.splitlines(), right.splitlines(), lineterm="", n=0)
                for line in list(lines)[:12]:
                    print("   ", line[:300])
    print(f"{len(names)} files, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
