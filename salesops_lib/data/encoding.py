"""Text encodings of CSV exports: check, detect and transcode to UTF-8 for the engine.

Chinese Excel exports are usually GBK (GB18030 is its superset); other tools write UTF-8 with a
byte-order mark. DuckDB reads UTF-8 only, so anything else is transcoded once into the cache,
streaming in chunks (memory stays flat for large files).
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from salesops_lib.config import cache_dir
from salesops_lib.errors import SourceError

_CHUNK = 1 << 20
_UTF8_NAMES = {"utf-8", "utf8", "utf_8", "utf-8-sig", "utf_8_sig"}
_GBK_FAMILY = {"gbk", "gb2312", "gb18030", "cp936"}


def normalize_encoding(name: str, *, where: str | None = None) -> str:
    """Canonical codec name (``auto`` stays ``auto``); unknown names are a clear error."""
    if name.lower() == "auto":
        return "auto"
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise SourceError(
            f"unknown text encoding {name!r}",
            where=where,
            fix="set `encoding:` in the mapping to auto, utf-8, utf-8-sig, gbk, gb18030, latin-1 "
            "or another Python codec name",
        ) from None


def _first_bad_utf8(path: Path) -> tuple[int, int, bytes] | None:
    """Offset, line number and bytes of the first invalid UTF-8 sequence, or None if valid."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_at = offset + exc.start
                lines += chunk[: exc.start].count(b"\n")
                return bad_at, lines, chunk[exc.start : exc.start + 4]
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, lines, b""
    return None


def _decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _has_bom(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(3) == codecs.BOM_UTF8


def utf8_path(path: Path, encoding: str = "auto") -> Path:
    """A UTF-8 (no BOM) file with the content of ``path``: the file itself or a cached transcode.

    ``encoding`` is what the mapping declares: ``auto`` tries UTF-8 (with or without BOM), then
    GB18030. A declared UTF-8 that does not decode is an error that says where and what to set.
    """
    enc = normalize_encoding(encoding, where=str(path))
    if enc in ("utf-8", "utf-8-sig") or enc == "auto":
        bad = _first_bad_utf8(path)
        if bad is None:
            return _transcode(path, "utf-8-sig") if _has_bom(path) else path
        if enc != "auto":
            offset, line, raw = bad
            guess = " It decodes as GBK/GB18030 (a Chinese Excel export)." if _decodes_as(path, "gb18030") else ""
            raise SourceError(
                f"file is not valid UTF-8 (byte {offset:,}, line {line}: {raw!r}).{guess}",
                where=str(path),
                fix="set `encoding: gbk` (or the file's real encoding) for this file in the mapping, "
                "or `encoding: auto` to detect it",
            )
        if _decodes_as(path, "gb18030"):
            return _transcode(path, "gb18030")
        offset, line, raw = bad
        raise SourceError(
            f"cannot detect the text encoding: not UTF-8 (byte {offset:,}, line {line}: {raw!r}) and not GBK",
            where=str(path),
            fix="declare the file's encoding in the mapping, e.g. `encoding: latin-1`",
        )
    if enc in _GBK_FAMILY:
        enc = "gb18030"  # superset: every GBK file decodes, and so do the few extra characters
    if not _decodes_as(path, enc):
        raise SourceError(
            f"file does not decode as {encoding}",
            where=str(path),
            fix="check the export's encoding and declare it in the mapping (`encoding: auto` detects UTF-8/GBK)",
        )
    return _transcode(path, enc)


def _transcode(path: Path, encoding: str) -> Path:
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{encoding}".encode()).hexdigest()[:24]
    target = cache_dir() / "transcoded" / f"{path.stem}-{key}.csv"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as src, partial.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    partial.replace(target)
    return target
