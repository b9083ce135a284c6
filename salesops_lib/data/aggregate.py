"""Sum a part's typed rows up to one row per ``group_by`` key, and drop duplicate rows (``distinct``).

Aggregation runs on the *typed* values (a minimum of dates compares dates, not their text). A
group in which a value does not parse gets a null result and, as its raw text, the first value
that failed, so ``salesops validate`` reports it as for a row of the source.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from salesops_lib.data.canonical import Table
from salesops_lib.data.mapping import ColumnRule
from salesops_lib.errors import MappingError

RAW_SUFFIX = "__raw"
#: hidden columns that carry the group keys from the SELECT to the aggregation
GROUP_PREFIX = "__group_"


def group_rows(typed: ir.Table, spec: Table, rules: dict[str, ColumnRule], n_keys: int, *, where: str) -> ir.Table:
    """One row per distinct ``__group_<i>`` key of ``typed``, each column summed up by its ``agg:``."""
    metrics: dict[str, ir.Value] = {}
    for col in spec.columns:
        rule = rules.get(col.name)
        value = typed[col.name]
        raw_name = col.name + RAW_SUFFIX
        has_raw = raw_name in typed.columns
        agg = rule.agg if rule else None
        if agg is None:  # a group key, a constant or an unmapped column: one value per group
            metrics[col.name] = value.min()
            if has_raw:
                metrics[raw_name] = typed[raw_name].min()
            continue
        if agg in ("count", "count_distinct"):
            if col.kind not in ("int", "float"):
                raise MappingError(
                    f"`agg: {agg}` gives a number, but {spec.name}.{col.name} is a {col.kind}",
                    where=f"{where}.columns.{col.name}`",
                    column=col.name,
                    fix="use min, max or any for this column",
                )
            counted = typed[raw_name] if has_raw else value
            counted = counted.cast("string").strip().nullif(ibis.literal(""))
            number = (counted.count() if agg == "count" else counted.nunique()).cast(value.type())
            metrics[col.name] = number
            if has_raw:
                metrics[raw_name] = number.cast("string")
            continue
        if agg in ("sum", "mean") and col.kind not in ("int", "float"):
            raise MappingError(
                f"`agg: {agg}` needs numbers, but {spec.name}.{col.name} is a {col.kind}",
                where=f"{where}.columns.{col.name}`",
                column=col.name,
                fix="use min, max or any for this column",
            )
        result = _reduce(value, agg).cast(value.type())
        if not has_raw:
            metrics[col.name] = result
            continue
        raw = typed[raw_name]
        failed = raw.strip().nullif(ibis.literal("")).notnull() & value.isnull()
        any_failed = failed.any()
        metrics[col.name] = ibis.ifelse(any_failed, ibis.null(value.type()), result)
        metrics[raw_name] = ibis.ifelse(any_failed, raw.min(where=failed), result.cast("string"))
    keys = [f"{GROUP_PREFIX}{i}" for i in range(n_keys)]
    grouped = typed.group_by(keys).aggregate(**metrics)
    return grouped.select(*_ordered(typed, keys))


def _reduce(value: ir.Value, agg: str) -> ir.Scalar:
    if agg == "sum":
        return value.sum()  # type: ignore[attr-defined, no-any-return]  # numeric, checked by the caller
    if agg == "mean":
        return value.mean()  # type: ignore[attr-defined, no-any-return]  # numeric, checked by the caller
    if agg == "max":
        return value.max()  # type: ignore[attr-defined, no-any-return]  # every canonical kind is ordered
    return value.min()  # type: ignore[attr-defined, no-any-return]  # min and any (the smallest value)


def distinct_rows(staged: ir.Table, canonical: Sequence[str]) -> ir.Table:
    """``staged`` without duplicate canonical rows (the raw text kept is the smallest of the copies)."""
    raws = [c for c in staged.columns if c not in canonical]
    if not raws:
        return staged.distinct()
    kept = staged.group_by(list(canonical)).aggregate(**{r: staged[r].min() for r in raws})
    return kept.select(*staged.columns)


def _ordered(typed: ir.Table, hidden: Sequence[str]) -> list[str]:
    return [c for c in typed.columns if c not in hidden]
