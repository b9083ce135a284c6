"""Text encodings of CSV exports: check, detect and transcode to UTF-8 for the engine.

Chinese Excel exports are usually GBK (GB18030 is its superset); other tools write UTF-8 with a
byte-order mark. DuckDB reads UTF-8 only, so anything else is transcoded once into the cache,
streaming in chunks (memory stays flat for large files).

A file that is part UTF-8 and part GBK (rows pasted from two exports) is refused: transcoding it
as either encoding garbles the other part. A line "reads as UTF-8" when it is valid UTF-8 and,
where it also decodes as GB18030, its UTF-8 reading has more common Chinese characters (GB2312
level 1) than its GB18030 reading; short GBK text that happens to be valid UTF-8 (``女`` is
``Ů``) therefore still counts as GBK.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from salesops_lib.config import cache_dir
from salesops_lib.errors import SourceError

_CHUNK = 1 << 20
_UTF8_NAMES = {"utf-8", "utf8", "utf_8", "utf-8-sig", "utf_8_sig"}
_GBK_FAMILY = {"gbk", "gb2312", "gb18030", "cp936"}
_SAMPLE = 4 << 20
#: the single-byte code pages a Western export is guessed in, most likely first
WESTERN = ("cp1252", "cp850", "latin-1")


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


def utf8_path(path: Path, encoding: str = "auto", *, delimiter: str | None = None) -> Path:
    """A UTF-8 (no BOM) file with the content of ``path``: the file itself or a cached transcode.

    ``encoding`` is what the mapping declares: ``auto`` tries UTF-8 (with or without BOM), then
    GB18030. A declared UTF-8 that does not decode is an error that says where and what to set;
    a file mixing UTF-8 and GBK lines is an error naming the lines (``delimiter``, default comma,
    is used to name their columns).
    """
    enc = normalize_encoding(encoding, where=str(path))
    if enc in ("utf-8", "utf-8-sig") or enc == "auto":
        bad = _first_bad_utf8(path)
        if bad is None:
            return _transcode(path, "utf-8-sig") if _has_bom(path) else path
        if enc == "auto" and (cached := _cache_target(path, "gb18030")).exists():
            return cached  # checked when it was written
        _refuse_mixed(path, delimiter)
        if enc != "auto":
            offset, line, raw = bad
            guess = " It decodes as GBK/GB18030 (a Chinese Excel export)." if _decodes_as(path, "gb18030") else ""
            raise SourceError(
                f"file is not valid UTF-8 (byte {offset:,}, line {line}: {raw!r}).{guess}",
                where=str(path),
                fix="set `encoding: gbk` (or the file's real encoding) for this file in the mapping, "
                "or `encoding: auto` to detect it",
            )
        guessed = guess_encoding(path)
        if guessed == "gb18030":
            return _transcode(path, "gb18030")
        offset, line, raw = bad
        western = f" It looks like a Western code page, probably {guessed}." if guessed else ""
        raise SourceError(
            f"cannot detect the text encoding: not UTF-8 (byte {offset:,}, line {line}: {raw!r}) and not GBK.{western}",
            where=str(path),
            fix=f"declare the file's encoding in the mapping, e.g. `encoding: {guessed or 'latin-1'}`"
            + (" (check a name with accents after `salesops validate`)" if guessed else ""),
        )
    if enc in _GBK_FAMILY:
        enc = "gb18030"  # superset: every GBK file decodes, and so do the few extra characters
        if (cached := _cache_target(path, enc)).exists():
            return cached
        if _first_bad_utf8(path) is not None:
            _refuse_mixed(path, delimiter)
        elif (utf8_line := _first_utf8_line(path)) is not None:
            raise SourceError(
                f"file is declared {encoding} but it is UTF-8 (line {utf8_line} reads as UTF-8 Chinese text); "
                "read as GBK it would be garbled",
                where=str(path),
                fix="set `encoding: utf-8` (or `auto`) for this file in the mapping",
            )
    if not _decodes_as(path, enc):
        raise SourceError(
            f"file does not decode as {encoding}",
            where=str(path),
            fix="check the export's encoding and declare it in the mapping (`encoding: auto` detects UTF-8/GBK)",
        )
    return _transcode(path, enc)


def guess_encoding(path: Path) -> str | None:
    r"""The encoding of a text export: None for UTF-8 (with or without BOM), ``gb18030`` for a
    Chinese (GBK) export, otherwise the Western code page whose reading of the non-ASCII bytes
    gives the most letters (cp1252, cp850 or latin-1).

    GBK writes every Chinese character as two bytes, so its non-ASCII runs have even lengths; an
    accented Latin letter is one byte (``Berguvsv\x84gen`` is cp850's ``ä``). Without that test,
    a Western export whose bytes happen to pair up decodes as GB18030 and its names are garbled.
    The first 4 MiB are read.
    """
    raw = path.read_bytes()[:_SAMPLE]
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:
            return None  # a character cut by the sample's end
    runs = re.findall(rb"[\x80-\xff]+", raw)
    even = sum(1 for r in runs if len(r) % 2 == 0)
    if runs and even / len(runs) >= 0.9 and _decodes(raw, "gb18030"):
        return "gb18030"
    sample = b"".join(runs[:2000])
    return max(WESTERN, key=lambda enc: sum(ch.isalpha() for ch in sample.decode(enc, "replace")))


def _line_chunks(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(number of its first line, chunk)`` over ``path``, every chunk ending at a line break."""
    line, rest = 1, b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            rest = chunk[cut:]
            if cut:
                yield line, chunk[:cut]
                line += chunk.count(b"\n", 0, cut)
    if rest:
        yield line, rest


def _is_cjk(ch: str) -> bool:
    """CJK characters and punctuation, full-width forms, general punctuation (—, …, “”)."""
    return any(low <= ch <= high for low, high in _CJK_RANGES)


_CJK_RANGES = (("\u2000", "\u206f"), ("\u2e80", "\u9fff"), ("\uf900", "\ufaff"), ("\uff00", "\uffef"))


def _is_common_hanzi(ch: str) -> bool:
    """One of the 3,755 most frequent Chinese characters (GB2312 level 1)."""
    try:
        raw = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and 0xB0 <= raw[0] <= 0xD7


def _chinese_score(text: str) -> int:
    """Common characters count for the reading, symbols that are no CJK text against it."""
    score = 0
    for ch in text:
        if ch.isascii():
            continue
        if ch == "\ufeff" or _is_common_hanzi(ch):  # a byte-order mark is UTF-8's own signature
            score += 1
        elif not _is_cjk(ch):
            score -= 1
    return score


def _reads_as_utf8(raw: bytes) -> bool:
    """True when a line with non-ASCII bytes is UTF-8 text rather than GBK that happens to decode."""
    try:
        as_utf8 = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        as_gbk = raw.decode("gb18030")
    except UnicodeDecodeError:
        return True
    return _chinese_score(as_utf8) > _chinese_score(as_gbk)


def _first_utf8_line(path: Path) -> int | None:
    """Number of the first line that reads as UTF-8 text (only valid UTF-8 lines are weighed)."""
    for first, chunk in _line_chunks(path):
        text = chunk.decode("utf-8", errors="replace")  # an invalid line gets a U+FFFD
        for offset, line in enumerate(text.split("\n")):
            if not line.isascii() and "\ufffd" not in line and _reads_as_utf8(line.encode("utf-8").rstrip(b"\r")):
                return first + offset
    return None


def _refuse_mixed(path: Path, delimiter: str | None) -> None:
    """For a file that is not valid UTF-8: an error when some of its lines still read as UTF-8."""
    if _first_utf8_line(path) is not None:
        raise _mixed_error(path, delimiter or ",")


def _mixed_error(path: Path, delimiter: str) -> SourceError:
    """Which lines are UTF-8 and which are not, the columns of the odd ones, and what to do."""
    lines: dict[bool, list[tuple[int, bytes]]] = {True: [], False: []}
    counts = {True: 0, False: 0}
    header, gbk = b"", True
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            raw = line.rstrip(b"\r\n")
            if number == 1:
                header = raw
            if raw.isascii():
                continue
            kind = _reads_as_utf8(raw)
            counts[kind] += 1
            if len(lines[kind]) < 5:
                lines[kind].append((number, raw))
            if not kind and gbk:
                gbk = _decodes(raw, "gb18030")
    odd = counts[True] < counts[False]  # the minority: UTF-8 lines in a GBK file, or the reverse
    names = {True: "UTF-8", False: "GBK" if gbk else "not UTF-8"}
    numbers = ", ".join(str(n) for n, _ in lines[odd])
    more = " …" if counts[odd] > len(lines[odd]) else ""
    header_names = _fields(header, delimiter)
    columns: list[str] = []
    for _, raw in lines[odd]:
        fields = _fields(raw, delimiter)
        if len(fields) == len(header_names):
            columns += [h for h, f in zip(header_names, fields, strict=True) if not f.isascii() and h not in columns]
    return SourceError(
        f"file mixes two text encodings: {counts[odd]:,} line(s) are {names[odd]} (line {numbers}{more}), "
        f"the other {counts[not odd]:,} line(s) with non-ASCII text are {names[not odd]}; "
        "read as one encoding, the other lines would be garbled",
        where=str(path),
        column=", ".join(columns) or None,
        rows=counts[odd],
        examples=[f"line {n}: {_decoded(raw)}" for n, raw in lines[odd]],
        fix=f"re-save the whole file in one encoding (e.g. Excel/WPS: Save As → CSV UTF-8), "
        f"or retype line(s) {numbers} in the file's main encoding ({names[not odd]})",
    )


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decoded(raw: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _fields(raw: bytes, delimiter: str) -> list[str]:
    return next(csv.reader([_decoded(raw).lstrip("\ufeff")], delimiter=delimiter), [])


def _cache_target(path: Path, encoding: str) -> Path:
    """Where the UTF-8 transcode of this version of ``path`` lives (it exists only once checked)."""
    stat = path.stat()
    # v2: transcodes written before mixed encodings were refused are not trusted
    key = hashlib.sha256(f"v2|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{encoding}".encode()).hexdigest()[:24]
    return cache_dir() / "transcoded" / f"{path.stem}-{key}.csv"


def _transcode(path: Path, encoding: str) -> Path:
    target = _cache_target(path, encoding)
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
