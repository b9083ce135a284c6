"""The CJK font the project controls: Noto Sans SC (SIL Open Font License).

The font comes from the pinned PyPI package ``justmytype-intl-cjk`` as a variable font whose
default instance is Thin (wght 100), which matplotlib would use for every label. A static
Regular (wght 400) instance is made once with fontTools — at set-up by ``./workbench``, or on
first use — and kept in ``~/.cache/salesops-fonts`` (shared by every checkout of the user; falls back
to ``<prefix>/share/salesops/fonts`` or the cache when that is read-only). Nothing depends on the fonts a machine happens to have.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

from salesops_lib.config import cache_dir

FAMILY = "Noto Sans SC"
_VARIABLE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")
_STATIC_NAME = "NotoSansSC-Regular.ttf"


def variable_font_path() -> Path:
    """The variable Noto Sans SC shipped by ``justmytype-intl-cjk``."""
    return Path(str(files("justmytype_intl_cjk").joinpath(*_VARIABLE)))


def _candidate_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("SALESOPS_FONT_DIR"):
        dirs.append(Path(os.environ["SALESOPS_FONT_DIR"]))
    xdg = os.environ.get("XDG_CACHE_HOME")
    user_cache = (Path(xdg) if xdg else Path.home() / ".cache") / "salesops-fonts"
    dirs += [user_cache, Path(sys.prefix) / "share" / "salesops" / "fonts", cache_dir() / "fonts"]
    return dirs


def cjk_font_path() -> Path:
    """A static Regular Noto Sans SC, made from the variable font on first use (~20 s, once)."""
    for folder in _candidate_dirs():
        if (folder / _STATIC_NAME).is_file():
            return folder / _STATIC_NAME
    for folder in _candidate_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return _instantiate(folder / _STATIC_NAME)
        except OSError:
            continue
    raise OSError("no writable folder for the CJK font; set SALESOPS_FONT_DIR")


def _instantiate(target: Path) -> Path:
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    font = instantiateVariableFont(TTFont(variable_font_path()), {"wght": 400}, updateFontNames=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    font.save(partial)
    partial.replace(target)
    return target


if __name__ == "__main__":  # ``python -m salesops_lib.report.fonts`` prepares the font at set-up
    print(cjk_font_path())  # noqa: T201 - the module's command line: set-up reads the path


WEB_FAMILY = "SalesOps CJK"
"""Family name of the font subset embedded in published pages. It comes first in the pages' font
stack and covers only CJK code points (``unicode-range``), so Latin text keeps the system font and
Chinese never falls to a system font without CJK glyphs."""
CJK_RANGES = "U+2E80-2FDF,U+3000-303F,U+3040-30FF,U+3100-312F,U+31C0-31EF,U+3200-9FFF,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF,U+20000-2FA1F"


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding Noto Sans SC, cut to the CJK characters of ``text``.

    Published pages must show Chinese without relying on the reader's fonts and without any
    request to a font CDN: the glyphs they use travel inside the page as a data URI (a page's
    few hundred distinct characters make a subset of tens of kilobytes). Empty when ``text``
    has no character beyond Latin, Greek and Cyrillic.
    """
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    codepoints = sorted({ord(c) for c in text if ord(c) >= 0x2E80 and not 0xE000 <= ord(c) <= 0xF8FF})
    if not codepoints:
        return ""
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    font = TTFont(str(cjk_font_path()), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'@font-face{{font-family:"{WEB_FAMILY}";src:url(data:font/ttf;base64,{data}) format("truetype");'
        f"unicode-range:{CJK_RANGES};}}"
    )
