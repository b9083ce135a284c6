"""The canonical tables: every column, its type, its meaning and its rules.

This module is the single declaration the rest of the data layer derives from: the mapping
layer conforms sources to these columns, :mod:`salesops_lib.data.contracts` builds the pandera
schemas from them and :mod:`salesops_lib.data.validation` runs their rules in the engine.

Conventions: every event date is a ``date`` (day precision); money is ``float64`` in the
source currency; string keys are trimmed and blank strings count as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["string", "date", "float", "int"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Reference:
    """A foreign key: values of this column must exist in ``table.column``."""

    table: str
    column: str
    #: an orphan is an error (the row cannot be attributed) or a warning (a lookup is incomplete)
    severity: Severity = "error"


@dataclass(frozen=True)
class Column:
    """One canonical column and its contract."""

    name: str
    kind: ColumnKind
    description: str
    #: a mapping must provide it (otherwise the column is filled with nulls)
    required: bool = False
    #: missing values are allowed; ``"warning"`` reports them without failing
    nullable: bool | Literal["warning"] = True
    #: lower bound (inclusive) for numbers
    ge: float | None = None
    #: accepted values; ``"stages"`` means the stage names of the run's :class:`StageOrder`
    accepted: tuple[str, ...] | Literal["stages"] | None = None
    references: Reference | None = None


@dataclass(frozen=True)
class DateOrder:
    """``later`` must not be before ``earlier`` in the same row (nulls are not checked)."""

    earlier: str
    later: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Table:
    """One canonical table: grain, key and columns."""

    name: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    #: the date column that places a row in time (for periods and freshness)
    time_column: str | None = None

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if there is none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in canonical order."""
        return tuple(c.name for c in self.columns)


LEVELS: tuple[str, ...] = ("company", "region", "team", "rep")
"""The org hierarchy, root first: company → region → team → rep."""

OPPORTUNITY_STATUSES: tuple[str, ...] = ("open", "won", "lost")

_S: ColumnKind = "string"
_D: ColumnKind = "date"
_F: ColumnKind = "float"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "reps",
            "one sales rep",
            key=("rep_id",),
            columns=(
                Column("rep_id", _S, "unique id of the rep", required=True, nullable=False),
                Column("name", _S, "display name"),
                Column("team", _S, "team id; a team belongs to exactly one region", required=True, nullable=False),
                Column("region", _S, "region id (the company is the root)", required=True, nullable=False),
                Column("team_name", _S, "display name of the team (missing: pages show the team id)"),
                Column("region_name", _S, "display name of the region (missing: pages show the region id)"),
                Column("hire_date", _D, "first working day; missing = employed before the data starts"),
                Column("exit_date", _D, "last working day; missing = still employed"),
            ),
            date_orders=(DateOrder("hire_date", "exit_date"),),
        ),
        Table(
            "customers",
            "one customer account",
            key=("customer_id",),
            columns=(
                Column("customer_id", _S, "unique id of the account", required=True, nullable=False),
                Column("name", _S, "account name"),
                Column("industry", _S, "industry or sector"),
                Column("region", _S, "the account's region"),
                Column("segment", _S, "size or value segment (e.g. enterprise, mid-market, smb)"),
                Column("created_at", _D, "date the account was created"),
            ),
            time_column="created_at",
        ),
        Table(
            "products",
            "one product in the price list (extension of DESIGN.md for product prices)",
            key=("product_id",),
            columns=(
                Column("product_id", _S, "product id as used by opportunities.product", required=True, nullable=False),
                Column("name", _S, "display name"),
                Column("family", _S, "product family or series"),
                Column("list_price", _F, "list price per unit", ge=0),
            ),
        ),
        Table(
            "leads",
            "one lead",
            key=("lead_id",),
            columns=(
                Column("lead_id", _S, "unique id of the lead", required=True, nullable=False),
                Column("created_at", _D, "date the lead was created", required=True, nullable=False),
                Column("channel", _S, "acquisition channel (web, referral, expo, …)"),
                Column(
                    "campaign_id",
                    _S,
                    "campaign that sourced the lead",
                    references=Reference("campaigns", "campaign_id"),
                ),
                Column("rep_id", _S, "rep who owns the lead", references=Reference("reps", "rep_id")),
                Column(
                    "customer_id",
                    _S,
                    "account of the lead, once known",
                    references=Reference("customers", "customer_id"),
                ),
            ),
            time_column="created_at",
        ),
        Table(
            "opportunities",
            "one deal",
            key=("opp_id",),
            columns=(
                Column("opp_id", _S, "unique id of the deal", required=True, nullable=False),
                Column("lead_id", _S, "lead the deal came from", references=Reference("leads", "lead_id")),
                Column(
                    "customer_id",
                    _S,
                    "account of the deal",
                    nullable="warning",
                    references=Reference("customers", "customer_id"),
                ),
                Column(
                    "rep_id",
                    _S,
                    "owner of the deal",
                    required=True,
                    nullable=False,
                    references=Reference("reps", "rep_id"),
                ),
                Column(
                    "product",
                    _S,
                    "product sold",
                    references=Reference("products", "product_id", severity="warning"),
                ),
                Column("amount", _F, "deal value; for won deals the booked value", ge=0),
                Column("created_at", _D, "date the deal was created", required=True, nullable="warning"),
                Column("status", _S, "open, won or lost", required=True, nullable=False, accepted=OPPORTUNITY_STATUSES),
                Column("closed_at", _D, "date the deal was won or lost; missing while open"),
                Column("expected_close", _D, "expected close date (for open deals)"),
                Column("lost_reason", _S, "why a lost deal was lost"),
            ),
            date_orders=(DateOrder("created_at", "closed_at"),),
            time_column="created_at",
        ),
        Table(
            "stage_history",
            "one entry of a deal into a stage",
            columns=(
                Column(
                    "opp_id",
                    _S,
                    "the deal",
                    required=True,
                    nullable=False,
                    references=Reference("opportunities", "opp_id"),
                ),
                Column(
                    "stage",
                    _S,
                    "stage entered (names from the stage order)",
                    required=True,
                    nullable=False,
                    accepted="stages",
                ),
                Column("entered_at", _D, "date the deal entered the stage", required=True, nullable=False),
            ),
            time_column="entered_at",
        ),
        Table(
            "orders",
            "one booked order",
            key=("order_id",),
            columns=(
                Column("order_id", _S, "unique id of the order", required=True, nullable=False),
                Column("opp_id", _S, "deal the order closes", references=Reference("opportunities", "opp_id")),
                Column(
                    "customer_id",
                    _S,
                    "ordering account",
                    required=True,
                    nullable=False,
                    references=Reference("customers", "customer_id"),
                ),
                Column(
                    "rep_id", _S, "rep credited", required=True, nullable=False, references=Reference("reps", "rep_id")
                ),
                Column("ordered_at", _D, "booking date", required=True, nullable=False),
                Column("amount", _F, "order value (revenue)", required=True, nullable=False, ge=0),
                Column("cost", _F, "cost of goods sold for the order", ge=0),
            ),
            time_column="ordered_at",
        ),
        Table(
            "invoices",
            "one invoice (negative amount = credit note)",
            key=("invoice_id",),
            columns=(
                Column("invoice_id", _S, "unique id of the invoice", required=True, nullable=False),
                Column("order_id", _S, "order invoiced", references=Reference("orders", "order_id")),
                Column("issued_at", _D, "issue date", required=True, nullable=False),
                Column("due_at", _D, "due date; missing = due on issue"),
                Column("amount", _F, "amount invoiced; negative for a credit note", required=True, nullable=False),
            ),
            date_orders=(DateOrder("issued_at", "due_at"),),
            time_column="issued_at",
        ),
        Table(
            "payments",
            "one payment received against an invoice",
            columns=(
                Column("payment_id", _S, "id of the payment, if the source has one"),
                Column(
                    "invoice_id",
                    _S,
                    "invoice paid",
                    required=True,
                    nullable=False,
                    references=Reference("invoices", "invoice_id"),
                ),
                Column("paid_at", _D, "date the money arrived", required=True, nullable=False),
                Column("amount", _F, "amount received", required=True, nullable=False, ge=0),
            ),
            time_column="paid_at",
        ),
        Table(
            "activities",
            "one sales action",
            key=("activity_id",),
            columns=(
                Column("activity_id", _S, "unique id of the activity", required=True, nullable=False),
                Column(
                    "rep_id",
                    _S,
                    "rep who did it",
                    required=True,
                    nullable=False,
                    references=Reference("reps", "rep_id"),
                ),
                Column("customer_id", _S, "account concerned", references=Reference("customers", "customer_id")),
                Column("opp_id", _S, "deal concerned", references=Reference("opportunities", "opp_id")),
                Column("at", _D, "date of the activity", required=True, nullable=False),
                Column("type", _S, "visit, call, meeting, proposal, …", required=True, nullable=False),
            ),
            time_column="at",
        ),
        Table(
            "expenses",
            "one expense line (negative amount = refund)",
            key=("expense_id",),
            columns=(
                Column("expense_id", _S, "unique id of the line", required=True, nullable=False),
                Column("spent_at", _D, "date of the expense", required=True, nullable=False),
                Column("region", _S, "region charged"),
                Column("team", _S, "team charged"),
                Column("rep_id", _S, "rep charged", references=Reference("reps", "rep_id")),
                Column("category", _S, "travel, entertainment, events, promotion, …", required=True, nullable=False),
                Column("amount", _F, "amount spent; negative for a refund", required=True, nullable=False),
                Column(
                    "campaign_id", _S, "campaign the spend belongs to", references=Reference("campaigns", "campaign_id")
                ),
            ),
            time_column="spent_at",
        ),
        Table(
            "budgets",
            "one budget line (month × unit × category)",
            key=("period", "level", "unit_id", "category"),
            columns=(
                Column("period", _D, "first day of the budget month", required=True, nullable=False),
                Column("level", _S, "org level of the unit", required=True, nullable=False, accepted=LEVELS),
                Column(
                    "unit_id",
                    _S,
                    "id of the unit at that level ('company' for the root)",
                    required=True,
                    nullable=False,
                ),
                Column("category", _S, "expense category", required=True, nullable=False),
                Column("amount", _F, "budgeted amount", required=True, nullable=False, ge=0),
            ),
            time_column="period",
        ),
        Table(
            "campaigns",
            "one market activity",
            key=("campaign_id",),
            columns=(
                Column("campaign_id", _S, "unique id of the campaign", required=True, nullable=False),
                Column("name", _S, "display name"),
                Column("type", _S, "expo, seminar, online, …"),
                Column("start_date", _D, "first day", required=True, nullable=False),
                Column("end_date", _D, "last day"),
                Column("region", _S, "region that ran it"),
                Column("cost", _F, "total cost", required=True, nullable=False, ge=0),
            ),
            date_orders=(DateOrder("start_date", "end_date"),),
            time_column="start_date",
        ),
        Table(
            "targets",
            "one monthly target line",
            key=("period", "level", "unit_id"),
            columns=(
                Column("period", _D, "first day of the target month", required=True, nullable=False),
                Column("level", _S, "org level of the unit", required=True, nullable=False, accepted=LEVELS),
                Column(
                    "unit_id",
                    _S,
                    "id of the unit at that level ('company' for the root)",
                    required=True,
                    nullable=False,
                ),
                Column("amount", _F, "revenue target", required=True, nullable=False, ge=0),
            ),
            time_column="period",
        ),
        Table(
            "market_potential",
            "optional market potential by period and region (or segment)",
            columns=(
                Column("period", _D, "first day of the period", required=True, nullable=False),
                Column("region", _S, "region"),
                Column("segment", _S, "segment"),
                Column("potential", _F, "market potential in revenue", required=True, nullable=False, ge=0),
            ),
            time_column="period",
        ),
    )
}
"""Every canonical table by name, in dependency-friendly order."""


def table_spec(name: str) -> Table:
    """The canonical table called ``name``; a clear error lists the known names."""
    from salesops_lib.errors import MappingError

    try:
        return TABLES[name]
    except KeyError:
        raise MappingError(
            f"unknown canonical table {name!r}",
            fix=f"use one of: {', '.join(TABLES)}",
        ) from None


def describe_markdown() -> str:
    """The canonical tables as a Markdown reference (used for docs/canonical_tables.md)."""
    out: list[str] = ["# Canonical tables", ""]
    for t in TABLES.values():
        out += [f"## `{t.name}` — {t.grain}", ""]
        if t.key:
            out.append(f"Key: `{', '.join(t.key)}`" + "  ")
        out += ["", "| column | type | required | nulls | rule | meaning |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            rules = []
            if c.ge is not None:
                rules.append(f"≥ {c.ge:g}")
            if c.accepted == "stages":
                rules.append("stage names")
            elif c.accepted:
                rules.append("in {" + ", ".join(c.accepted) + "}")
            if c.references:
                rules.append(f"→ {c.references.table}.{c.references.column} ({c.references.severity})")
            nulls = "warn" if c.nullable == "warning" else ("yes" if c.nullable else "no")
            out.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else ''} | {nulls} | {'; '.join(rules)} | {c.description} |"
            )
        for o in t.date_orders:
            out.append(f"\n`{o.later}` ≥ `{o.earlier}` ({o.severity})")
        out.append("")
    return "\n".join(out)
