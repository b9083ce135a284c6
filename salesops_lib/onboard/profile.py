"""Profile a folder of exports: every CSV/TSV, every sheet of every workbook, every Parquet file.

Per column: the inferred kind (date with its strptime format, number, text), how many values are
filled and distinct, whether it is a candidate key (unique, never empty), its date range and its
small value set. Across files: candidate joins, a column whose values mostly lie in another
file's key (``deals.account`` → ``accounts.account``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from salesops_lib.data.encoding import guess_encoding
from salesops_lib.errors import SalesOpsError

Kind = Literal["date", "number", "text", "empty"]

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")  # a .txt that is no table (a README) is skipped quietly
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: rows read per file: enough to profile, bounded for very large exports
MAX_ROWS = 200_000
#: at most this many distinct values make a "small value set"
SMALL_SET = 12
#: share of a column's values found in another file's key for a candidate join
JOIN_SHARE = 0.8
#: strptime formats tried on text dates, most common first (ISO, then Chinese, then US/European)
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m",
    "%Y年%m月",
    "%Y %b",  # a month as R and spreadsheets print it: "1987 Jan"
    "%b %Y",
    "%Y %B",
    "%B %Y",
)
_NUMBER_NOISE = re.compile(r"[,\s¥$€£￥]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class ColumnProfile:
    """One source column: kind, fill, distinct values and what they look like."""

    name: str
    kind: Kind
    filled: int
    distinct: int
    #: unique and never empty (a candidate key)
    unique: bool
    #: strptime format of a date column
    date_format: str | None = None
    date_min: str | None = None
    date_max: str | None = None
    #: the values by frequency when there are at most :data:`SMALL_SET` of them
    values: tuple[str, ...] = ()
    #: a few example values
    examples: tuple[str, ...] = ()
    #: every distinct value (for joins and value maps; not shown)
    all_values: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    #: whole numbers only (line numbers, quantities)
    integral: bool = False


@dataclass(frozen=True)
class SourceFile:
    """One readable table: a file, or one sheet of a workbook."""

    path: str
    sheet: str | None
    rows: int
    columns: tuple[ColumnProfile, ...]
    #: text encoding of a CSV that is not UTF-8 (``gb18030`` for GBK exports, else a code page)
    encoding: str | None = None
    delimiter: str | None = None
    #: more rows than were read
    truncated: bool = False

    @property
    def label(self) -> str:
        """``file`` or ``file[sheet]``: how reports name this table."""
        return f"{self.path}[{self.sheet}]" if self.sheet is not None else self.path

    @property
    def stem(self) -> str:
        """File and sheet name in lower case, for name keywords."""
        return (Path(self.path).stem + " " + (self.sheet or "")).lower()

    def column(self, name: str) -> ColumnProfile:
        """The column called ``name`` (KeyError when there is none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def keys(self) -> tuple[str, ...]:
        """Candidate keys: unique, never-empty columns."""
        return tuple(c.name for c in self.columns if c.unique)


@dataclass(frozen=True)
class Link:
    """A candidate join: most values of ``column`` in ``source`` are keys of ``target``."""

    source: str
    column: str
    target: str
    key: str
    share: float


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be profiled, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class FolderProfile:
    """Everything :func:`profile_folder` found."""

    folder: Path
    files: tuple[SourceFile, ...]
    links: tuple[Link, ...]
    unreadable: tuple[Unreadable, ...] = ()

    def file(self, label: str) -> SourceFile:
        """The profiled table called ``label`` (``file`` or ``file[sheet]``)."""
        for f in self.files:
            if f.label == label:
                return f
        raise KeyError(label)

    def links_from(self, label: str) -> tuple[Link, ...]:
        """Candidate joins whose many side is ``label``."""
        return tuple(link for link in self.links if link.source == label)


def profile_folder(folder: Path) -> FolderProfile:
    """Profile every readable export under ``folder`` (sub-folders included, hidden ones not).

    Examples
    --------
    >>> p = profile_folder(Path("examples/maven_crm"))  # doctest: +SKIP
    >>> p.file("sales_teams.csv").keys  # doctest: +SKIP
    ('sales_agent',)
    """
    files: list[SourceFile] = []
    unreadable: list[Unreadable] = []
    suffixes = TEXT_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
    paths = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        try:
            files += _profile_path(path, rel)
        except SalesOpsError as exc:
            unreadable.append(Unreadable(rel, exc.message))
        except Exception as exc:  # any reader's failure: the file is listed as unreadable, with why
            if path.suffix.lower() == ".txt":
                continue
            unreadable.append(Unreadable(rel, str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)))
    return FolderProfile(folder, tuple(files), tuple(find_links(files)), tuple(unreadable))


def _profile_path(path: Path, rel: str) -> list[SourceFile]:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise ValueError("file is empty (0 bytes)")
    if suffix in PARQUET_SUFFIXES:
        frame = pd.read_parquet(path).astype("string")
        return [profile_frame(frame, rel, None)]
    if suffix in EXCEL_SUFFIXES:
        engine: Literal["calamine", "openpyxl"] = "calamine" if suffix == ".xls" else "openpyxl"
        try:
            sheets = pd.read_excel(
                path, sheet_name=None, dtype=str, engine=engine, keep_default_na=False, na_values=[""], nrows=MAX_ROWS
            )
        except ImportError:
            raise ValueError(".xls workbooks need python-calamine (pip install python-calamine)") from None
        return [profile_frame(frame, rel, str(name)) for name, frame in sheets.items() if not frame.columns.empty]
    encoding = guess_encoding(path)
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(path, encoding or "utf-8-sig")
    if suffix == ".txt" and not _looks_tabular(path, encoding or "utf-8-sig", delimiter):
        return []  # a README or a description page, not a table
    frame = pd.read_csv(
        path,
        dtype=str,
        sep=delimiter,
        keep_default_na=False,
        na_values=[""],
        nrows=MAX_ROWS + 1,
        encoding=encoding or "utf-8-sig",
        encoding_errors="replace",
    )
    truncated = len(frame) > MAX_ROWS
    profiled = profile_frame(frame.head(MAX_ROWS), rel, None)
    return [
        SourceFile(
            profiled.path,
            None,
            profiled.rows,
            profiled.columns,
            encoding=encoding,
            delimiter=None if delimiter == "," else delimiter,
            truncated=truncated,
        )
    ]


def _looks_tabular(path: Path, encoding: str, delimiter: str, lines: int = 20) -> bool:
    """Most of the first ``lines`` non-blank lines hold as many delimiters as the header (a text
    page — a README, an R help page — does not).
    """
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        head = [line for _, line in zip(range(lines * 2), fh, strict=False) if line.strip()][:lines]
    if not head or head[0].count(delimiter) == 0:
        return False
    same = sum(line.count(delimiter) == head[0].count(delimiter) for line in head)
    return same >= 0.9 * len(head)


def _sniff_delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        head = fh.readline()
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def profile_frame(frame: pd.DataFrame, path: str, sheet: str | None) -> SourceFile:
    """Profile one table held as text (``dtype=str``)."""
    columns = tuple(profile_column(str(name).strip(), frame[name]) for name in frame.columns)
    return SourceFile(path, sheet, len(frame), columns)


def profile_column(name: str, series: pd.Series) -> ColumnProfile:
    """Profile one text column: kind, fill, distinct values, date format and range."""
    text = series.dropna().astype(str).str.strip()
    text = text[text != ""]
    rows, filled = len(series), len(text)
    counts = Counter(text.tolist())
    distinct = len(counts)
    unique = filled == rows and distinct == rows and rows > 1
    ordered = tuple(v for v, _ in counts.most_common())
    values = ordered if distinct <= SMALL_SET else ()

    def make(kind: Kind, **extra: Any) -> ColumnProfile:
        return ColumnProfile(
            name=name,
            kind=kind,
            filled=filled,
            distinct=distinct,
            unique=unique,
            values=values,
            examples=ordered[:3],
            all_values=frozenset(counts),
            **extra,
        )

    if not filled:
        return make("empty")
    sample = list(counts)[:400]
    fmt = date_format(sample)
    if fmt is not None:
        parsed = sorted(d for d in (parse_date(v, fmt) for v in counts) if d is not None)
        return make(
            "date",
            date_format=fmt,
            date_min=parsed[0].date().isoformat() if parsed else None,
            date_max=parsed[-1].date().isoformat() if parsed else None,
        )
    numbers = [_number(v) for v in sample]
    if all(n is not None for n in numbers):
        return make("number", integral=all(n is not None and float(n).is_integer() for n in numbers))
    return make("text")


def date_format(values: list[str]) -> str | None:
    """The strptime format most of ``values`` parse with (≥ 95 %), or None.

    Examples
    --------
    >>> date_format(["2/24/2003 0:00", "12/1/2004 0:00"])
    '%m/%d/%Y %H:%M'
    >>> date_format(["2024年1月5日"]), date_format(["1996", "2001"])
    ('%Y年%m月%d日', None)
    """
    if not values or all(v.isdigit() for v in values):
        return None  # years, ids and amounts are not dates
    best, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        ok = sum(parse_date(v, fmt) is not None for v in values)
        share = ok / len(values)
        if share > best_share:
            best, best_share = fmt, share
    return best if best_share >= 0.95 else None


def parse_date(value: str, fmt: str) -> datetime | None:
    """``value`` read with ``fmt``; None when it does not match."""
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def _number(value: str) -> float | None:
    cleaned = _NUMBER_NOISE.sub("", value)
    return float(cleaned) if _NUMBER.match(cleaned) else None


def find_links(files: list[SourceFile]) -> list[Link]:
    """Candidate joins: a column of one table whose values are mostly keys of another table.

    The key side is a candidate key (unique, never empty); dates and empty columns are skipped,
    and both sides need at least two distinct values.
    """
    links: list[Link] = []
    for target in files:
        for key_name in target.keys:
            key = target.column(key_name)
            if key.kind in ("date", "empty") or key.distinct < 2:
                continue
            for source in files:
                if source is target:
                    continue
                for col in source.columns:
                    if col.kind in ("date", "empty") or col.distinct < 2:
                        continue
                    share = len(col.all_values & key.all_values) / col.distinct
                    if share >= JOIN_SHARE:
                        links.append(Link(source.label, col.name, target.label, key.name, round(share, 3)))
    return links
