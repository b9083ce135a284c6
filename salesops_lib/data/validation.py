"""Data-quality report: every contract rule run as an aggregate query in the engine.

Each rule returns a count and at most five example rows, so validating a 10-million-row table
moves a handful of rows into Python. Errors make ``salesops validate`` exit 2; warnings do not.
:func:`validate_for_run` is the check before a review run: it raises on errors and returns the
report, whose warnings belong at the top of the published page.

Numbers: a value that is NaN or ±infinity (text such as ``NaN``/``inf`` in a CSV, or a real
float in Parquet/DuckDB) is an error in every float column; an empty cell is a *missing* value,
checked by the column's null rule. In number text, a comma may only group thousands
(``1,234.50``; Indian ``12,34,567`` too); any other comma (``1.234,50``, ``12,5``) or dotted
thousands (``1.234.567``) is an error, because the comma-stripping parse would read
``1.234,50`` as 1.2345. A lone ``1.234`` cannot be told apart and reads as 1.234.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import ibis
import ibis.expr.types as ir

from salesops_lib.data.canonical import TABLES, Column, Severity, Table
from salesops_lib.data.conform import RAW_SUFFIX, ConformedTable
from salesops_lib.data.contracts import check_structure
from salesops_lib.data.dataset import Dataset
from salesops_lib.errors import DataValidationError, engine_errors

MAX_EXAMPLES = 5

_NUMBER_SPACES = r"[\s¥$€£￥]"
#: number text made of digits, dots and commas only (after spaces and currency signs are removed)
_NUMERIC_SHAPE = r"^[+-]?[0-9][0-9.,]*$"
#: commas that group thousands: 1,234 / 1,234.50 / 12,345,678 / Indian 12,34,567.00
_THOUSANDS_COMMAS = r"^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]{1,2}(,[0-9]{2})+,[0-9]{3})(\.[0-9]+)?$"
#: dots that group thousands (1.234.567): a European number without decimals
_THOUSANDS_DOTS = r"^[+-]?[0-9]{1,3}(\.[0-9]{3}){2,}$"


@dataclass(frozen=True)
class Issue:
    """One violated rule: where, how many rows, examples, and what to do."""

    table: str
    rule: str
    severity: Severity
    message: str
    count: int
    column: str | None = None
    examples: tuple[dict[str, Any], ...] = ()
    fix: str = ""

    def describe(self) -> str:
        """One line: table.column, what, how many rows, examples and the fix (for pages and errors)."""
        where = self.table + (f".{self.column}" if self.column else "")
        shown = "; ".join(", ".join(f"{k}={'∅' if v is None else v}" for k, v in e.items()) for e in self.examples[:3])
        rows = f" — {self.count:,} row(s)" + (f" (e.g. {shown})" if shown else "") if self.count else ""
        return f"{where}: {self.message}{rows}" + (f"; fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class TableProfile:
    """Size and completeness of one canonical table."""

    table: str
    origin: str
    rows: int
    nulls: dict[str, int]
    duplicate_keys: int


@dataclass(frozen=True)
class QualityReport:
    """The result of :func:`validate`: profiles per table and the issues found."""

    source: str
    profiles: tuple[TableProfile, ...]
    missing: dict[str, str]
    issues: tuple[Issue, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues of severity ``error``."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues of severity ``warning``."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def for_table(self, table: str) -> tuple[Issue, ...]:
        """The issues of canonical table ``table``."""
        return tuple(i for i in self.issues if i.table == table)

    def raise_for_errors(self) -> None:
        """Raise :class:`DataValidationError` listing every error (with rows, examples, fix); no-op when ok."""
        errors = self.errors
        if not errors:
            return
        raise DataValidationError(
            f"the data has {len(errors)} error(s):\n" + "\n".join(f"  - {i.describe()}" for i in errors),
            where=self.source,
            rows=sum(i.count for i in errors),
            fix="fix the source or the mapping as each line says; `salesops validate` prints the full report",
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for manifests and machine checks)."""
        return {
            "source": self.source,
            "ok": self.ok,
            "tables": [p.__dict__ for p in self.profiles],
            "missing": self.missing,
            "issues": [
                {**i.__dict__, "examples": [{k: _jsonable(v) for k, v in e.items()} for e in i.examples]}
                for i in self.issues
            ],
        }

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(p.table)}</td><td>{p.rows:,}</td>"
            f"<td>{sum(1 for i in self.for_table(p.table) if i.severity == 'error')}</td>"
            f"<td>{sum(1 for i in self.for_table(p.table) if i.severity == 'warning')}</td></tr>"
            for p in self.profiles
        )
        issues = "".join(
            f"<li><b>{html.escape(i.severity)}</b> {html.escape(i.table)}"
            f"{'.' + html.escape(i.column) if i.column else ''}: {html.escape(i.message)} ({i.count:,} rows)</li>"
            for i in self.issues
        )
        return (
            f"<div><h4>Data quality — {html.escape(self.source)}</h4>"
            f"<table><tr><th>table</th><th>rows</th><th>errors</th><th>warnings</th></tr>{rows}</table>"
            f"<ul>{issues}</ul></div>"
        )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def validate_for_run(dataset: Dataset) -> QualityReport:
    """Validate ``dataset`` before a run: raise on any error, return the report for its warnings.

    Every rule is an aggregate query in the engine (no table is pulled into pandas). Errors
    (``report.errors``: types, NaN/infinity, ambiguous number text, missing required values,
    ranges, keys, references, date order, …) raise :class:`DataValidationError` (exit code 2),
    so the run stops; warnings (``report.warnings``) do not, and ``issue.describe()`` words each
    for the index page. An unreadable source raises :class:`SourceError` / :class:`MappingError`.

    Examples
    --------
    >>> report = validate_for_run(connect("examples/maven_crm", "parameters/sources/maven_crm.yaml"))  # doctest: +SKIP
    >>> [w.describe() for w in report.warnings][:1]  # doctest: +SKIP
    ['opportunities.customer_id: 1,425 row(s) have no customer_id — 1,425 row(s) …']
    """
    report = validate(dataset)
    report.raise_for_errors()
    return report


def validate(dataset: Dataset) -> QualityReport:
    """Run every rule of every provided canonical table and collect the report.

    Examples
    --------
    >>> report = validate(connect("examples/maven_crm", "parameters/sources/maven_crm.yaml"))  # doctest: +SKIP
    >>> report.ok, len(report.warnings)  # doctest: +SKIP
    (True, 4)
    """
    profiles: list[TableProfile] = []
    issues: list[Issue] = []
    for name, conformed in dataset.tables.items():
        spec = TABLES[name]
        structure = check_structure(name, conformed.expr)
        if structure:
            issues += [
                Issue(name, "structure", "error", msg, 0, fix="check the mapping of this table") for msg in structure
            ]
            continue
        with engine_errors(f"cannot read table {name!r}", where=f"{conformed.origin} (in {dataset.source})"):
            profile, found = _check_table(spec, conformed, dataset)
        profiles.append(profile)
        issues += found
    with engine_errors("cannot check the rules across tables", where=dataset.source):
        issues += _cross_table_rules(dataset)
    return QualityReport(dataset.source, tuple(profiles), dict(dataset.missing), tuple(issues))


def _check_table(spec: Table, conformed: ConformedTable, dataset: Dataset) -> tuple[TableProfile, list[Issue]]:
    t = staged = conformed.staged  # canonical columns plus the raw text of typed ones
    aggs: dict[str, ir.Scalar] = {"__rows": t.count()}
    for col in spec.columns:
        aggs[f"null:{col.name}"] = t[col.name].isnull().sum()
        if col.kind != "string":
            aggs[f"parse:{col.name}"] = _count(_parse_failed(staged, col))
        if col.kind == "float":
            aggs[f"nonfinite:{col.name}"] = _count(_non_finite(t[col.name]))
            aggs[f"format:{col.name}"] = _count(_ambiguous_number(staged[col.name + RAW_SUFFIX]))
        if col.ge is not None:
            aggs[f"ge:{col.name}"] = _count(_below(t, col))
        accepted = _accepted(col, dataset)
        if accepted is not None:
            aggs[f"in:{col.name}"] = (t[col.name].notnull() & ~t[col.name].isin(accepted)).sum()
    for order in spec.date_orders:
        aggs[f"order:{order.earlier}:{order.later}"] = (t[order.later] < t[order.earlier]).sum()
    counts = {k: int(v or 0) for k, v in t.aggregate(**aggs).execute().iloc[0].to_dict().items()}
    rows = counts["__rows"]
    issues: list[Issue] = []
    if rows == 0:
        issues.append(
            Issue(
                spec.name,
                "empty",
                "warning",
                "table has no rows",
                0,
                fix="check the export or the mapping's `where:` filter",
            )
        )
    key_cols = list(spec.key)
    for col in spec.columns:
        issues += _column_issues(spec, col, counts, conformed, dataset, key_cols)
    for order in spec.date_orders:
        n = counts[f"order:{order.earlier}:{order.later}"]
        if n:
            issues.append(
                Issue(
                    spec.name,
                    "date_order",
                    order.severity,
                    f"{order.later} is before {order.earlier}",
                    n,
                    column=order.later,
                    examples=_examples(
                        t.filter(t[order.later] < t[order.earlier]), [*key_cols, order.earlier, order.later]
                    ),
                    fix=f"correct the dates in the source; {order.later} must be on or after {order.earlier}",
                )
            )
    duplicates = 0
    if key_cols and rows:
        dup = t.group_by(key_cols).agg(n=t.count()).filter(lambda d: d.n > 1)
        duplicates = int(dup.count().execute())
        if duplicates:
            issues.append(
                Issue(
                    spec.name,
                    "duplicate_key",
                    "error",
                    f"key ({', '.join(key_cols)}) is not unique",
                    duplicates,
                    column=", ".join(key_cols),
                    examples=_examples(dup.order_by(ibis.desc("n")), [*key_cols, "n"]),
                    fix="remove the duplicate rows in the source, or map a column that identifies rows uniquely",
                )
            )
    nulls = {c.name: counts[f"null:{c.name}"] for c in spec.columns}
    return TableProfile(spec.name, conformed.origin, rows, nulls, duplicates), issues


def _as_source_text(table: ir.Table, column: str) -> ir.Table:
    """``table`` with ``column`` as the source wrote it: its text, or for a source column that
    was a number already (no text kept), the number as text.
    """
    raw = table[column + RAW_SUFFIX]
    return table.mutate(**{column: ibis.coalesce(raw, table[column].cast("string"))})


def _count(flag: ir.BooleanValue) -> ir.NumericScalar:
    """How many rows ``flag`` holds for (every flag here is over a table's columns)."""
    return cast("ir.BooleanColumn", flag).sum()


def _non_finite(value: ir.Value) -> ir.BooleanValue:
    number = cast("ir.FloatingValue", value)  # called on float columns
    return number.isnan() | number.isinf()


def _ambiguous_number(raw: ir.Value) -> ir.BooleanValue:
    """Number text whose comma is no thousands separator, or with dotted thousands (1.234,50; 12,5; 1.234.567)."""
    # re_replace and re_search are wrapped by an untyped ibis decorator: spelled out here
    text: ir.StringValue = cast("ir.StringValue", raw).re_replace(_NUMBER_SPACES, "")
    shape: ir.BooleanValue = text.re_search(_NUMERIC_SHAPE)
    commas: ir.BooleanValue = text.re_search(_THOUSANDS_COMMAS)
    dots: ir.BooleanValue = text.re_search(_THOUSANDS_DOTS)
    comma = text.contains(",") & shape & ~commas
    return (comma | dots).fill_null(ibis.literal(False))


def _parse_failed(staged: ir.Table, col: Column) -> ir.BooleanValue:
    """Source text that did not become a value (blank text is missing; ambiguous numbers are reported apart)."""
    raw = staged[col.name + RAW_SUFFIX]
    text = cast("ir.StringColumn", raw).strip().nullif(ibis.literal(""))
    failed: ir.BooleanValue = text.notnull() & staged[col.name].isnull()
    return failed & ~_ambiguous_number(raw) if col.kind == "float" else failed


def _below(t: ir.Table, col: Column) -> ir.BooleanValue:
    """Below the column's bound; -infinity is reported as non-finite, not here."""
    assert col.ge is not None
    below: ir.BooleanValue = t[col.name] < col.ge
    return below & ~cast("ir.FloatingValue", t[col.name]).isinf() if col.kind == "float" else below


def _accepted(col: Column, dataset: Dataset) -> Sequence[str] | None:
    if col.accepted == "stages":
        return dataset.stages.all
    return col.accepted


def _column_issues(
    spec: Table, col: Column, counts: dict[str, int], conformed: ConformedTable, dataset: Dataset, key_cols: list[str]
) -> list[Issue]:
    t = staged = conformed.staged
    out: list[Issue] = []
    show = [*key_cols, col.name] if col.name not in key_cols else key_cols
    raw = col.name + RAW_SUFFIX
    non_finite = counts.get(f"nonfinite:{col.name}", 0)
    if non_finite:
        out.append(
            Issue(
                spec.name,
                "non_finite",
                "error",
                f"{non_finite:,} value(s) are not finite numbers (NaN or ±infinity) in {conformed.origin}",
                non_finite,
                column=col.name,
                examples=_examples(_as_source_text(staged.filter(_non_finite(staged[col.name])), col.name), show),
                fix=f"put the real {col.name} in the source, or leave the cell empty when it is unknown "
                "(one NaN makes every total it enters NaN)",
            )
        )
    ambiguous = counts.get(f"format:{col.name}", 0)
    if ambiguous:
        out.append(
            Issue(
                spec.name,
                "number_format",
                "error",
                f"{ambiguous:,} value(s) in {conformed.origin} have a decimal comma or dotted thousands "
                "(1.234,50 would be read as 1.2345)",
                ambiguous,
                column=col.name,
                examples=_examples(
                    staged.filter(_ambiguous_number(staged[raw])), [*key_cols, raw], rename={raw: col.name}
                ),
                fix="if the column uses a decimal comma, map it as "
                f"`{col.name}: {{expr: \"replace(replace(<source column>, '.', ''), ',', '.')\"}}`; "
                "otherwise correct the values (a comma may only group thousands, as in 1,234.50)",
            )
        )
    parse_failed = counts.get(f"parse:{col.name}", 0)
    if parse_failed:
        bad = staged.filter(_parse_failed(staged, col))
        out.append(
            Issue(
                spec.name,
                "type",
                "error",
                f"{parse_failed:,} value(s) are not a valid {col.kind}",
                parse_failed,
                column=col.name,
                examples=_examples(bad, [*key_cols, raw], rename={raw: col.name}),
                fix=(
                    'give the date format in the mapping, e.g. `{from: col, format: "%d/%m/%Y"}`'
                    if col.kind == "date"
                    else "clean the values in the source or map a derived `expr:`"
                ),
            )
        )
    nulls = counts[f"null:{col.name}"] - parse_failed
    if nulls > 0 and col.nullable is not True:
        severity: Severity = "warning" if col.nullable == "warning" else "error"
        out.append(
            Issue(
                spec.name,
                "missing",
                severity,
                f"{nulls:,} row(s) have no {col.name}",
                nulls,
                column=col.name,
                examples=_examples(t.filter(t[col.name].isnull()), [c for c in spec.column_names if c != col.name][:4]),
                fix=f"fill {col.name} in the source" + ("" if severity == "error" else " where it is known"),
            )
        )
    below = counts.get(f"ge:{col.name}", 0)
    if below:
        out.append(
            Issue(
                spec.name,
                "range",
                "error",
                f"{col.name} below {col.ge:g}",
                below,
                column=col.name,
                examples=_examples(t.filter(_below(t, col)), show),
                fix=f"{col.name} must be ≥ {col.ge:g}; fix the rows or filter them out with `where:`",
            )
        )
    outside = counts.get(f"in:{col.name}", 0)
    if outside:
        accepted = list(_accepted(col, dataset) or ())
        values = _value_counts(t.filter(t[col.name].notnull() & ~t[col.name].isin(accepted)), col.name)
        out.append(
            Issue(
                spec.name,
                "accepted_values",
                "error",
                f"{col.name} has value(s) outside {{{', '.join(accepted)}}}",
                outside,
                column=col.name,
                examples=tuple(values),
                fix=(
                    "map them with `values:` in the mapping"
                    + (" or declare the stage order under `stages:`" if col.accepted == "stages" else "")
                ),
            )
        )
    if col.references is not None:
        out += _reference_issue(spec, col, t, dataset)
    return out


def _reference_issue(spec: Table, col: Column, t: ir.Table, dataset: Dataset) -> list[Issue]:
    ref = col.references
    assert ref is not None
    if ref.table not in dataset.tables:
        return []
    target = dataset.tables[ref.table].expr
    keys = target.select(__ref=target[ref.column]).distinct()
    orphans = t.filter(t[col.name].notnull()).anti_join(keys, t[col.name] == keys["__ref"])
    n = int(orphans.count().execute())
    if not n:
        return []
    values = _value_counts(orphans, col.name)
    known = target.select(ref.column).distinct().limit(5000).execute()[ref.column].dropna().astype(str).tolist()
    for example in values:
        close = difflib.get_close_matches(str(example[col.name]), known, n=1, cutoff=0.75)
        if close:
            example["closest"] = close[0]
    return [
        Issue(
            spec.name,
            "reference",
            ref.severity,
            f"{col.name} value(s) not found in {ref.table}.{ref.column}",
            n,
            column=col.name,
            examples=tuple(values),
            fix=f"add the missing rows to {ref.table}, or map the values to existing ones with `values:`",
        )
    ]


def _cross_table_rules(dataset: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    if dataset.has("reps"):
        reps = dataset.table("reps")
        split = reps.group_by("team").agg(regions=reps.region.nunique()).filter(lambda d: d.regions > 1)
        n = int(split.count().execute())
        if n:
            issues.append(
                Issue(
                    "reps",
                    "team_in_one_region",
                    "error",
                    "team(s) belong to more than one region",
                    n,
                    column="team",
                    examples=_examples(split, ["team", "regions"]),
                    fix="a team id must be unique across regions: prefix it with the region (e.g. `expr: region || '/' || team`)",
                )
            )
    if dataset.has("reps", "opportunities"):
        reps, opps = dataset.table("reps"), dataset.table("opportunities")
        idle = reps.anti_join(opps.select("rep_id").distinct(), "rep_id")
        n = int(idle.count().execute())
        if n:
            issues.append(
                Issue(
                    "reps",
                    "rep_without_deals",
                    "warning",
                    "rep(s) have no opportunities",
                    n,
                    column="rep_id",
                    examples=_examples(idle, ["rep_id", "team", "region"]),
                    fix="check whether they left, are new, or their deals are booked under another id",
                )
            )
    if dataset.has("opportunities"):
        o = dataset.table("opportunities")
        closed_without = o.filter(o.status.isin(["won", "lost"]) & o.closed_at.isnull())
        n = int(closed_without.count().execute())
        if n:
            issues.append(
                Issue(
                    "opportunities",
                    "closed_without_date",
                    "warning",
                    "won/lost deals without closed_at",
                    n,
                    column="closed_at",
                    examples=_examples(closed_without, ["opp_id", "status", "created_at"]),
                    fix="map the close date; these deals are left out of period metrics",
                )
            )
    return issues


def _examples(
    expr: ir.Table, columns: Iterable[str], *, rename: dict[str, str] | None = None
) -> tuple[dict[str, Any], ...]:
    cols = list(dict.fromkeys(columns))
    frame = expr.select(*cols).limit(MAX_EXAMPLES).execute()
    if rename:
        frame = frame.rename(columns=rename)
    return tuple({k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records"))


def _value_counts(expr: ir.Table, column: str) -> list[dict[str, Any]]:
    counted = expr.group_by(column).agg(rows=expr.count()).order_by([ibis.desc("rows"), column]).limit(MAX_EXAMPLES)
    return [{k: _plain(v) for k, v in r.items()} for r in counted.execute().to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
