"""Check the SQL a mapping file carries (``expr:`` and ``where:``) before any engine sees it.

A mapping is data a user hands the workbench, yet its ``expr:`` and ``where:`` are SQL that
runs on the engine. DuckDB's SQL can read any file (``read_csv('/etc/passwd')``), list folders
(``glob``), fetch URLs and read the environment. So every expression is parsed with sqlglot
(dialect ``duckdb``) and must be one scalar expression built from source columns, literals,
operators, ``CASE``, ``CAST``/``TRY_CAST`` and the functions of :data:`FUNCTIONS`. What runs is
the expression as sqlglot writes it back (comments dropped), so the engine runs exactly what was
checked. Files are named with ``from:``, never read from SQL.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from salesops_lib.errors import MappingError

#: scalar functions a mapping's SQL may call, each with an example (names as DuckDB spells them)
FUNCTIONS: dict[str, str] = {
    # text
    "lower": "lower(name)",
    "upper": "upper(name)",
    "trim": "trim(name)",
    "ltrim": "ltrim(name)",
    "rtrim": "rtrim(name)",
    "concat": "concat(first_name, ' ', last_name)",
    "concat_ws": "concat_ws('-', region, team)",
    "substr": "substr(code, 1, 3)",
    "substring": "substring(code, 1, 3)",
    "left": "left(code, 2)",
    "right": "right(code, 2)",
    "lpad": "lpad(code, 6, '0')",
    "rpad": "rpad(code, 6, ' ')",
    "length": "length(name)",
    "replace": "replace(amount, ',', '')",
    "split_part": "split_part(owner, '/', 1)",
    "strpos": "strpos(name, '-')",
    "contains": "contains(name, 'test')",
    "starts_with": "starts_with(code, 'CN')",
    "ends_with": "ends_with(code, 'X')",
    "regexp_replace": "regexp_replace(phone, '[^0-9]', '', 'g')",
    "regexp_extract": "regexp_extract(code, '[0-9]+')",
    "regexp_matches": "regexp_matches(code, '^[A-Z]{2}')",
    # dates
    "strptime": "strptime(opened, '%d/%m/%Y')",
    "try_strptime": "try_strptime(opened, '%d/%m/%Y')",
    "strftime": "strftime(CAST(opened AS DATE), '%Y-%m')",
    "date_trunc": "date_trunc('month', CAST(opened AS DATE))",
    "date_part": "date_part('year', CAST(opened AS DATE))",
    "date_diff": "date_diff('day', CAST(opened AS DATE), CAST(closed AS DATE))",
    "datediff": "datediff('day', CAST(opened AS DATE), CAST(closed AS DATE))",
    "make_date": "make_date(2024, 1, 31)",
    "last_day": "last_day(CAST(opened AS DATE))",
    "year": "year(CAST(opened AS DATE))",
    "quarter": "quarter(CAST(opened AS DATE))",
    "month": "month(CAST(opened AS DATE))",
    "day": "day(CAST(opened AS DATE))",
    # numbers
    "round": "round(TRY_CAST(amount AS DOUBLE), 2)",
    "abs": "abs(TRY_CAST(amount AS DOUBLE))",
    "floor": "floor(TRY_CAST(amount AS DOUBLE))",
    "ceil": "ceil(TRY_CAST(amount AS DOUBLE))",
    "ceiling": "ceiling(TRY_CAST(amount AS DOUBLE))",
    "trunc": "trunc(TRY_CAST(amount AS DOUBLE))",
    "sign": "sign(TRY_CAST(amount AS DOUBLE))",
    "power": "power(TRY_CAST(amount AS DOUBLE), 2)",
    "greatest": "greatest(TRY_CAST(amount AS DOUBLE), 0)",
    "least": "least(TRY_CAST(amount AS DOUBLE), 100)",
    # nulls and choices
    "coalesce": "coalesce(region, 'unknown')",
    "ifnull": "ifnull(region, 'unknown')",
    "nullif": "nullif(trim(region), '')",
    "if": "if(amount = '', NULL, amount)",
}
#: the same functions in forms that sqlglot parses to another node (date_trunc of a timestamp)
_MORE_EXAMPLES = ("date_trunc('month', opened)",)

#: syntax (not functions) an expression may use: columns, literals, operators, CASE, CAST, …
_SYNTAX: frozenset[type[exp.Expression]] = frozenset(
    (
        exp.Column,
        exp.Identifier,
        exp.Literal,
        exp.Null,
        exp.Boolean,
        exp.Paren,
        exp.Var,
        exp.Neg,
        exp.Not,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.IntDiv,
        exp.Mod,
        exp.DPipe,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.And,
        exp.Or,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Escape,
        exp.Case,
        exp.If,
        exp.Cast,
        exp.TryCast,
        exp.DataType,
        exp.DataTypeParam,
        exp.Interval,
        exp.Extract,
    )
)

#: words followed by `(` that are syntax, not functions
_CALL_SYNTAX = frozenset(
    {
        "cast",
        "try_cast",
        "extract",
        "in",
        "exists",
        "over",
        "and",
        "or",
        "not",
        "then",
        "else",
        "when",
        "case",
        "decimal",
        "numeric",
        "varchar",
    }
)

_WHAT = {"expr": "`expr:`", "where": "`where:` filter"}
_FIX_SYNTAX = "check `expr:` and `where:` (text columns from files must be cast, e.g. TRY_CAST(x AS DOUBLE))"


@cache
def _allowed() -> tuple[frozenset[type[exp.Expression]], frozenset[str]]:
    """The sqlglot node classes and the plain function names that :data:`FUNCTIONS` parse to."""
    classes: set[type[exp.Expression]] = set()
    names: set[str] = set()
    for example in (*FUNCTIONS.values(), *_MORE_EXAMPLES):
        node = sqlglot.parse_one(example, dialect="duckdb")
        if isinstance(node, exp.Anonymous):
            names.add(node.name.lower())
        else:
            classes.add(type(node))
    return frozenset(classes), frozenset(names)


def allowed_functions_hint() -> str:
    """The fix printed when an expression uses something a mapping may not."""
    return (
        "a mapping's SQL may use source columns, literals, operators, CASE, CAST/TRY_CAST and the functions "
        + ", ".join(FUNCTIONS)
        + " (see salesops_lib/data/sql_guard.py); files are named with `from:`, never read from SQL"
    )


def checked_sql(
    text: str,
    *,
    kind: Literal["expr", "where"],
    table: str,
    column: str | None = None,
    where: str,
    aliases: frozenset[str] = frozenset(),
    subject: str | None = None,
    user: str = "a mapping",
) -> str:
    """``text`` as one checked DuckDB expression, written back by sqlglot without comments.

    A name qualified by a join alias (``lead.company``) is allowed and written back as the
    one quoted name ``"lead.company"``: the joined relation's name for that column.

    Parameters
    ----------
    text
        The SQL of an ``expr:`` or a ``where:`` of the mapping.
    kind
        Which of the two it is (for the message).
    table, column
        The canonical table (and column, for ``expr:``) the SQL belongs to.
    where
        Where the error points: the mapping file and the key.
    aliases
        The join aliases of the part, which may qualify a column name.
    subject, user
        How messages name the SQL and who wrote it, for SQL that is not a mapping's (a metric
        filter): "``subject`` calls `f`, which ``user`` may not use".

    Raises
    ------
    MappingError
        When the SQL does not parse, holds more than one statement, a subquery, a qualified
        name or a function outside :data:`FUNCTIONS`.

    Examples
    --------
    >>> checked_sql(
    ...     "TRY_CAST(close_value AS DOUBLE) * 1.0",
    ...     kind="expr",
    ...     table="opportunities",
    ...     column="amount",
    ...     where="mapping.yaml",
    ... )
    'TRY_CAST(close_value AS DOUBLE) * 1.0'
    """
    subject = subject or f"the mapping's {_WHAT[kind]} for " + (f"{table}.{column}" if column else f"table {table!r}")

    def refuse(what: str, fix: str | None = None) -> MappingError:
        return MappingError(
            f"{subject} {what}", where=where, column=column, examples=[text], fix=fix or allowed_functions_hint()
        )

    try:
        statements = [s for s in sqlglot.parse(text, dialect="duckdb") if s is not None]
    except SqlglotError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MappingError(
            f"the mapping's SQL for table {table!r} does not compile: {detail}",
            where=where,
            column=column,
            examples=[text],
            fix=_FIX_SYNTAX,
        ) from None
    if not statements:
        raise refuse("is empty", fix="write an SQL expression over the source columns, or remove the key")
    if len(statements) > 1:
        raise refuse("holds more than one SQL statement (`;`)", fix="write one expression, without `;`")
    tree = statements[0]
    problem = _first_problem(tree, text, aliases, user)
    if problem is not None:
        raise refuse(*problem)
    if aliases:
        tree = tree.transform(_joined_name)
    return tree.sql(dialect="duckdb", comments=False)


def _joined_name(node: exp.Expression) -> exp.Expression:
    """``alias.column`` → the single quoted name ``"alias.column"`` (the joined relation's column)."""
    if isinstance(node, exp.Column) and node.table and not (node.db or node.catalog):
        return exp.column(exp.to_identifier(f"{node.table}.{node.name}", quoted=True))
    return node


def _first_problem(
    tree: exp.Expression, text: str, aliases: frozenset[str], user: str = "a mapping"
) -> tuple[str, str | None] | None:
    """What in ``tree`` ``user`` may not use, as (message, fix); None when all is allowed."""
    classes, names = _allowed()
    known = classes | _SYNTAX
    nodes = list(tree.walk())
    if any(isinstance(n, (exp.Query, exp.Subquery, exp.Exists)) for n in nodes):
        return (
            f"contains a query (SELECT …), which {user} may not run",
            "map columns of the source named by `from:`; a mapping cannot read other tables or files",
        )
    for node in nodes:  # functions first: `main.read_csv(…)` is about read_csv, not about the dot
        if isinstance(node, exp.Anonymous) and node.name.lower() not in names:
            return f"calls `{node.name.lower()}`, which {user} may not use", None
        if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous) and type(node) not in known:
            return f"calls `{_written_name(node, text)}`, which {user} may not use", None
    for node in nodes:
        if isinstance(node, exp.Column) and node.table in aliases and not (node.db or node.catalog):
            continue
        if isinstance(node, exp.Column) and (node.table or node.db or node.catalog):
            joins = f"; the joins here are {', '.join(sorted(aliases))}" if aliases else ""
            return (
                f"refers to `{node.sql(dialect='duckdb')}`: a name with a table or file in front of it",
                "write the source column's name alone (in double quotes if it holds a dot), or `alias.column` "
                f"for a column of a `join:`{joins}",
            )
        if type(node) not in known and not isinstance(node, exp.Anonymous):
            shown = node.sql(dialect="duckdb", comments=False)
            return f"uses `{shown[:40]}` ({type(node).__name__}), which {user} may not use", None
    return None


def _written_name(node: exp.Func, text: str) -> str:
    """The function's name as the mapping spells it (sqlglot's own name may differ: string_agg)."""
    start, end = node.meta.get("start"), node.meta.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return text[start : end + 1].strip('"').lower()
    tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(text)
    called = [t.text.lower() for t, after in itertools.pairwise(tokens) if after.token_type == TokenType.L_PAREN]
    unknown = [name for name in called if name not in FUNCTIONS and name not in _CALL_SYNTAX]
    return unknown[0] if unknown else str(node.sql_name()).lower()  # type: ignore[no-untyped-call]  # unannotated in sqlglot
