"""Plan a draft mapping (v2 syntax) from a profiled folder: which file feeds which canonical
table, and where each canonical column comes from, with a confidence and a reason per guess.

The rules, in the order they apply:

- each profiled table goes to the canonical table it looks most like (:func:`match.classify`);
- order lines (an order id that repeats, plus a line or quantity column) become ``orders`` with
  ``group_by`` the order id and ``agg: sum`` of the amounts;
- a column the table's file lacks is looked up in a file it links to by a key, through a
  ``join:`` (deals → leads by lead id; reps → a managers sheet by region);
- reps, customers and products without a file of their own are built from a fact file with
  ``group_by`` their key;
- stage history without a file of its own comes from the deal file's date columns (``stage_dates``);
- payments against order ids without an invoice file: each order is its own invoice;
- every foreign key (a fact's rep, customer, product) is checked against the key drafted for its
  dimension: a fact column holding another column of the dimension's file (a rep's 姓名 where
  reps are keyed by 工号) is translated through a join on that column when it is unique there,
  else the dimension is keyed by it; an optional key nothing matches (SDRs) is commented out;
- the status value map and the ``stages:`` order come from the observed stage values;
- every required column nothing fills is a TODO with candidates; tables not found are ``absent:``;
- a period series (one row per week or month, no id column, a revenue column: :mod:`series`) is
  no record table: when nothing else gives orders, it books one order per period, and one
  expense per period and spend column (a ``union:``); beside it, files of numbers only (other
  series, cross-sections) are left unused with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from salesops_lib.data.canonical import TABLES
from salesops_lib.onboard.match import (
    ID_HEADER,
    MIN_SCORE,
    Classified,
    Match,
    best,
    candidates,
    classify,
    column_matches,
    norm,
    status_of,
    vocabulary,
)
from salesops_lib.onboard.profile import JOIN_SHARE, ColumnProfile, FolderProfile, SourceFile
from salesops_lib.onboard.series import PeriodSeries, numbers_only, period_series, revenue_score

Rule = str | dict[str, Any]
#: fact tables, in the order their files are chosen
FACTS = ("opportunities", "leads", "orders", "invoices", "payments", "activities", "expenses", "targets")
DIMENSIONS = ("reps", "customers", "products")
#: where reps/customers/products are built from when they have no file of their own
DIMENSION_SOURCES = ("opportunities", "orders", "leads", "activities")
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: fact files shorter than this may have one row per rep
_OWNER_MIN_ROWS = 20
_WON_WORD = re.compile(r"won|win|赢|成交|签约", re.IGNORECASE)
#: (table, column) → the concept that stands in when the column's own is missing
_STAND_INS = {
    ("opportunities", "created_at"): "close_date",
    ("leads", "created_at"): "activity_date",
    ("payments", "invoice_id"): "order_id",  # money received against orders (回款 by 订单号)
}
_HINTS = {
    "rep_id": "without a rep column, `rep_id: {const: company}` credits every row to one rep (as parameters/sources/robyn_mmm.yaml)",
    "team": "without a team, the region (or a constant) may stand for it",
}


@dataclass
class Entry:
    """One canonical column of a drafted table: its rule (None = TODO) and its comment."""

    column: str
    rule: Rule | None
    note: str
    #: written as a comment (a candidate the analyst should confirm before it counts)
    commented: bool = False


@dataclass
class TablePlan:
    """One drafted canonical table."""

    name: str
    source: SourceFile
    why: str
    entries: list[Entry] = field(default_factory=list)
    joins: list[dict[str, Any]] = field(default_factory=list)
    group_by: list[str] | None = None
    stage_dates: dict[str, Rule] | None = None
    distinct: bool = False
    where: str | None = None
    #: the parts of a ``union:`` (each with its own source and entries); none for one part
    parts: list[TablePlan] = field(default_factory=list)
    #: comment lines written under the table's header
    notes: list[str] = field(default_factory=list)

    def entry(self, column: str) -> Entry | None:
        """The entry of canonical ``column``, if drafted."""
        return next((e for e in self.entries if e.column == column), None)

    @property
    def todos(self) -> list[str]:
        """Required columns left to fill."""
        return [e.column for e in self.entries if e.rule is None]


@dataclass
class DraftPlan:
    """The whole draft: tables, stage order, absent tables and files left unused."""

    folder_name: str
    tables: dict[str, TablePlan] = field(default_factory=dict)
    stages: dict[str, Any] | None = None
    stages_note: str = ""
    absent: dict[str, str] = field(default_factory=dict)
    unused: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def ident(name: str) -> str:
    """``name`` as an SQL identifier (double-quoted unless plain ASCII)."""
    return name if _SIMPLE.match(name) else '"' + name.replace('"', '""') + '"'


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _note(m: Match, extra: str = "") -> str:
    return f"GUESS ({m.level}, {m.why}{'; ' + extra if extra else ''})"


class Planner:
    """Builds a :class:`DraftPlan` from a :class:`FolderProfile` (one use)."""

    def __init__(self, profile: FolderProfile, absent_reasons: dict[str, str]) -> None:
        self.profile = profile
        self.voc = vocabulary()
        self.matches = {f.label: column_matches(f) for f in profile.files}
        self.classes = classify(profile)
        self.plan = DraftPlan(profile.folder.name)
        self.absent_reasons = absent_reasons
        self.aliases: dict[str, str] = {}

    # ------------------------------------------------------------------ helpers
    def _class_of(self, label: str) -> Classified | None:
        return next((c for items in self.classes.values() for c in items if c.label == label), None)

    def _pick(
        self, source: SourceFile, concepts: list[str], *, minimum: float = MIN_SCORE, owner: bool = False
    ) -> Match | None:
        """The best match of the first concept that has one. ``owner``: the column names the rep
        who owns the rows of a fact file, and an owner has many rows, so a column with a new value
        on every row (Olist's `seller_id`: the account won) is passed over.
        """
        matches = self.matches[source.label]
        exclude: tuple[str, ...] = ()
        if owner and source.rows >= _OWNER_MIN_ROWS:
            exclude = tuple(c.name for c in source.columns if c.unique)
        for concept in concepts:
            m = best(matches, concept, minimum=minimum, exclude=exclude)
            if m is not None:
                return m
        return None

    def _alias(self, target: SourceFile) -> str:
        if target.label not in self.aliases:
            cls = self._class_of(target.label)
            base = cls.table if cls else re.sub(r"\W+", "_", target.stem.strip()).strip("_").lower()
            if not base or not _SIMPLE.match(base):
                base = f"j{len(self.aliases) + 1}"
            taken = set(self.aliases.values())
            alias, n = base, 2
            while alias in taken:
                alias, n = f"{base}{n}", n + 1
            self.aliases[target.label] = alias
        return self.aliases[target.label]

    def _joined(self, tp: TablePlan, concepts: list[str]) -> tuple[str, ColumnProfile, Match, str] | None:
        """A column for ``concepts`` in a file ``tp.source`` links to by a key: adds the join."""
        for link in self.profile.links_from(tp.source.label):
            target = self.profile.file(link.target)
            m = self._pick(target, concepts)
            if m is None or m.column == link.key:
                continue
            alias = self._alias(target)
            if not any(j["as"] == alias for j in tp.joins):
                join: dict[str, Any] = {"from": target.path, "as": alias, "on": {link.column: link.key}}
                if target.sheet is not None:
                    join["sheet"] = target.sheet
                tp.joins.append(join)
            why = f"joined from {target.label} on {link.column} = {link.key} ({link.share:.0%} of values match)"
            weaker = Match(m.column, m.concept, min(m.score, 0.8), m.why)  # another file's column: check it
            return f"{alias}.{m.column}", target.column(m.column), weaker, why
        return None

    def _rule(self, tp: TablePlan, canonical: str, ref: str, col: ColumnProfile, *, agg: str | None = None) -> Rule:
        kind = TABLES[tp.name].column(canonical).kind
        rule: dict[str, Any] = {}
        fmt = date_format_for(tp.source if "." not in ref else None, col)
        if kind == "date" and fmt:
            rule = {"from": ref, "format": fmt}
        elif kind in ("float", "int") and agg in ("sum", "mean"):
            rule = {"expr": f"TRY_CAST({'.'.join(ident(p) for p in ref.split('.', 1))} AS DOUBLE)"}
        elif agg is not None:
            rule = {"from": ref}
        if agg is not None:
            rule["agg"] = agg
        return rule if rule else ref

    def _todo(self, tp: TablePlan, canonical: str, concepts: list[str], hint: str = "") -> Entry:
        matches = self.matches[tp.source.label]
        offered = [c for concept in concepts for c in candidates(matches, concept)]
        kind = TABLES[tp.name].column(canonical).kind
        if kind == "date":
            offered += [c.name for c in tp.source.columns if c.kind == "date"]
        elif canonical.endswith("_id") and canonical == (TABLES[tp.name].key or ("",))[0]:
            offered += list(tp.source.keys)
        offered = list(dict.fromkeys(offered))[:5]
        cands = f"candidates: {', '.join(offered)}" if offered else "no candidate column"
        return Entry(
            canonical,
            None,
            f"TODO required: {' / '.join(concepts)} not found in {tp.source.label}; {cands}"
            + (f"; {hint}" if hint else ""),
        )

    def _fill(self, tp: TablePlan, *, agg_default: str | None = None, skip: tuple[str, ...] = ()) -> None:
        """Draft every canonical column of ``tp`` from its recipe in the vocabulary."""
        recipe: dict[str, list[str]] = self.voc.tables[tp.name].get("columns", {})
        spec = TABLES[tp.name]
        for col in spec.columns:
            if col.name in skip or tp.entry(col.name) or col.name not in recipe:
                continue
            concepts = list(recipe[col.name])
            m = self._pick(tp.source, concepts, owner=col.name == "rep_id" and tp.name != "reps")
            if m is None and col.required and col.kind == "date":
                m = self._pick(tp.source, concepts, minimum=0.34)  # a date column no name explains
            agg = None
            if tp.group_by is not None and (m is None or m.column not in tp.group_by):
                agg = agg_default or _default_agg(col.kind)
            if m is not None:
                source_col = tp.source.column(m.column)
                others = [
                    o.column
                    for o in self.matches[tp.source.label]
                    if o.concept == m.concept and o.score >= MIN_SCORE and o.column != m.column
                ]
                extra = f"also possible: {', '.join(dict.fromkeys(others))}" if others else ""
                if spec.key == (col.name,) and not source_col.unique and tp.group_by is None:
                    extra = (
                        extra + "; " if extra else ""
                    ) + f"not unique in {tp.source.label}: validation will report the duplicates"
                tp.entries.append(
                    Entry(col.name, self._rule(tp, col.name, m.column, source_col, agg=agg), _note(m, extra))
                )
                continue
            joined = self._joined(tp, concepts)
            if joined is not None:
                ref, jcol, jm, why = joined
                tp.entries.append(Entry(col.name, self._rule(tp, col.name, ref, jcol, agg=agg), _note(jm, why)))
                continue
            if col.name == "rep_id" and (by_manager := self._joined(tp, ["manager"])) is not None:
                ref, jcol, _, why = by_manager
                note = f"GUESS (low, no rep column: the manager is credited — {why})"
                tp.entries.append(Entry(col.name, self._rule(tp, col.name, ref, jcol, agg=agg), note))
                continue
            stand_in = _STAND_INS.get((tp.name, col.name))
            if stand_in is not None and (other := self._pick(tp.source, [stand_in])) is not None:
                note = f"GUESS (low, no {' / '.join(concepts)} column: {other.column} stands in; " + (
                    "each order is its own receivable)" if stand_in == "order_id" else "rows without it get a warning)"
                )
                tp.entries.append(
                    Entry(
                        col.name, self._rule(tp, col.name, other.column, tp.source.column(other.column), agg=agg), note
                    )
                )
                continue
            if spec.key and col.name == spec.key[0] and (key := self._key_fallback(tp)) is not None:
                tp.entries.append(
                    Entry(col.name, key, f"GUESS (low, no {col.name} header: {key} is unique and named like an id)")
                )
                continue
            if col.name == "status" and (won := self._won_date(tp)) is not None:
                tp.entries.append(won)
                continue
            if col.required:
                hint = _HINTS.get(col.name, "")
                tp.entries.append(self._todo(tp, col.name, concepts, hint))

    def _won_date(self, tp: TablePlan) -> Entry | None:
        """No stage or status column, but a date named like a win (won date, 赢单日期): a deal with
        that date is won, the others are open (a closed-deals export holds only wins).
        """
        m = self._pick(tp.source, ["close_date"])
        if m is None or not _WON_WORD.search(m.column):
            return None
        column = ident(m.column)
        rule = {"expr": f"CASE WHEN NULLIF(TRIM({column}), '') IS NOT NULL THEN 'won' ELSE 'open' END"}
        return Entry("status", rule, f"GUESS (low, no stage column: a deal with a {m.column} is won, the others open)")

    def _key_fallback(self, tp: TablePlan) -> str | None:
        """A unique column whose header reads like an id (编号, 单号, ID, No, Number, Code)."""
        used = {e.rule for e in tp.entries if isinstance(e.rule, str)}
        for name in tp.source.keys:
            col = tp.source.column(name)
            if name in used or col.kind == "date" or (col.kind == "number" and not col.integral):
                continue
            if ID_HEADER.search(name):
                return name
        return None

    # ------------------------------------------------------------------ tables
    def build(self) -> DraftPlan:
        """Draft every table, then list what is absent and which files stayed unused."""
        self._set_series_aside()
        for table in FACTS:
            found = self.classes.get(table)
            if not found:
                continue
            source = self.profile.file(found[0].label)
            tp = TablePlan(table, source, f"GUESS ({_level(found[0].score)}, {found[0].why})")
            if table == "orders":
                self._order_lines(tp)
            if table == "opportunities":
                self._status(tp)
            if table == "targets":
                self._targets(tp)
            self._fill(tp)
            self.plan.tables[table] = tp
        self._from_series()
        self._stage_history()
        self._invoices_from_orders()
        for table in DIMENSIONS:
            if table in self.plan.tables:
                continue
            found = self.classes.get(table)
            if found:
                source = self.profile.file(found[0].label)
                tp = TablePlan(table, source, f"GUESS ({_level(found[0].score)}, {found[0].why})")
                if table == "reps":
                    self._team(tp)
                self._fill(tp)
                self.plan.tables[table] = tp
            else:
                self._dimension_from_facts(table)
        if "reps" not in self.plan.tables:
            self._reps_from_managers()
        self._cost_from_profit()
        self._links_by_values()
        self._reconcile_references()
        for tp in self.plan.tables.values():
            order = TABLES[tp.name].column_names
            tp.entries.sort(key=lambda e: order.index(e.column))
        used = {p.source.label for tp in self.plan.tables.values() for p in (tp, *tp.parts)}
        used |= {self.profile.file(lab).label for lab in self.aliases}
        for f in self.profile.files:
            if f.label in self.set_aside and f.label not in used:
                self.plan.unused[f.label] = self.set_aside[f.label]
            elif f.label not in used:
                cls = self._class_of(f.label)
                self.plan.unused[f.label] = (
                    f"looks like {cls.table} ({cls.why}) but {self.plan.tables[cls.table].source.label} was chosen; add it as a `union:` part if it holds more rows"
                    if cls and cls.table in self.plan.tables
                    else f"looks like {cls.table} ({cls.why})"
                    if cls
                    else "no canonical table recognised"
                )
        self.plan.unreadable = {u.path: u.reason for u in self.profile.unreadable}
        for name in TABLES:
            if name not in self.plan.tables:
                self.plan.absent[name] = self.absent_reasons.get(name, self.absent_reasons["default"])
        return self.plan

    # ------------------------------------------------------------------ period series
    def _set_series_aside(self) -> None:
        """Take period series (and, beside one, files of numbers only) out of the classification:
        their unique date or number columns are no record keys.
        """
        self.series: list[PeriodSeries] = []
        self.set_aside: dict[str, str] = {}
        for f in self.profile.files:
            if (found := period_series(f)) is not None:
                self.series.append(found)
        if not self.series:
            return
        self.series.sort(key=lambda s: (-revenue_score(s.revenue), -s.periods, -len(s.spend)))  # the longest history
        for f in self.profile.files:
            if any(s.source is f for s in self.series) or not numbers_only(f):
                continue
            dates = [c.name for c in f.columns if c.kind == "date"]
            self.set_aside[f.label] = (
                f"numbers only, dated by {', '.join(dates)} but no column named like revenue or sales"
                if dates
                else "numbers only and no date or month column (a time index or a cross-section): no period series"
            )
        drop = set(self.set_aside) | {s.source.label for s in self.series}
        self.classes = {t: [c for c in items if c.label not in drop] for t, items in self.classes.items()}

    def _from_series(self) -> None:
        """Orders (one per period) and expenses (one per period and spend column) from the best
        period series, when the folder gives them no other way; the other series stay unused.
        """
        if not self.series:
            return
        chosen = self.series[0]
        why_series = (
            f"a {chosen.step} period series: one row per {chosen.date.name} ({chosen.periods} periods, "
            f"{chosen.date.date_min} .. {chosen.date.date_max}), no id column"
        )
        for other in self.series[1:]:
            self.set_aside[other.source.label] = (
                f"another {other.step} period series ({other.revenue} by {other.date.name}); an alternative to "
                f"{chosen.source.label}: swap `from:` and the column names to report it instead"
            )
        src, date = chosen.source, chosen.date
        key = "M" if chosen.step == "monthly" else "W"
        period = _period_text(date, chosen.step)
        when = _period_date(date, chosen)
        if chosen.spend and "expenses" not in self.plan.tables:
            self._series_expenses(chosen, period, when)
        revenue_from = next((t for t in ("orders", "opportunities") if t in self.plan.tables), None)
        if revenue_from is not None:
            if "expenses" not in self.plan.tables or self.plan.tables["expenses"].source is not src:
                self.set_aside[src.label] = (
                    f"{why_series}; revenue comes from {self.plan.tables[revenue_from].source.label} ({revenue_from})"
                )
            return
        dated = (
            f"GUESS (medium, the month's last day: the figure is known when the month closes, and dating it "
            f"on the 1st would make the data-coverage check read a mid-month extract — {date.name} {date.date_format})"
            if chosen.step == "monthly" and chosen.month_start
            else f"GUESS (high, the {chosen.step[:-2]}'s date {date.name})"
        )
        orders = TablePlan("orders", src, f"GUESS (medium, {why_series}; one synthetic order per period)")
        alt = f"; also named like revenue: {', '.join(chosen.other_revenue)}" if chosen.other_revenue else ""
        orders.entries = [
            Entry(
                "order_id",
                {"expr": f"{sql_text(key + '-')} || {period}"},
                f"GUESS (medium, one order per {chosen.step[:-2]}: its id is the period)",
            ),
            Entry("customer_id", {"const": "market"}, "GUESS (low, no customer in a period series: one account)"),
            Entry("rep_id", {"const": "company"}, "GUESS (low, no rep in a period series: the company books it)"),
            Entry("ordered_at", when, dated),
            Entry(
                "amount",
                self._rule(orders, "amount", chosen.revenue, src.column(chosen.revenue)),
                f"GUESS (medium, {chosen.revenue} is named like revenue{alt})",
            ),
        ]
        if chosen.context:
            orders.notes.append(
                "not mapped (context, no canonical column): "
                + ", ".join(chosen.context)
                + " — impressions, clicks, competitor sales, events, row numbers …"
            )
        self.plan.tables["orders"] = orders
        first = f"{ident(date.name)} = {sql_text(chosen.first)}"
        reps = TablePlan("reps", src, "GUESS (low, no people in a period series: the company is its one rep)")
        reps.where = first
        reps.entries = [
            Entry(c, {"const": "company"}, "GUESS (low, one row: the first period's)" if c == "rep_id" else "")
            for c in ("rep_id", "name", "team", "region")
        ]
        customers = TablePlan("customers", src, "GUESS (low, no accounts in a period series: the market is one)")
        customers.where = first
        customers.entries = [
            Entry(c, {"const": "market"}, "GUESS (low, one row: the first period's)" if c == "customer_id" else "")
            for c in ("customer_id", "name")
        ]
        self.plan.tables["reps"] = reps
        self.plan.tables["customers"] = customers

    def _series_expenses(self, chosen: PeriodSeries, period: str, when: Rule) -> None:
        """Expenses: one ``union:`` part per spend column of ``chosen`` (its category the channel)."""
        expenses = TablePlan(
            "expenses",
            chosen.source,
            f"GUESS (medium, spend columns {', '.join(c for c, _ in chosen.spend)}: one expense per "
            f"period and channel, company-wide)",
        )
        for column, name in chosen.spend:
            part = TablePlan("expenses", chosen.source, "")
            part.entries = [
                Entry(
                    "expense_id",
                    {"expr": f"{sql_text(name + '-')} || {period}"},
                    "GUESS (medium, channel and period)",
                ),
                Entry("spent_at", when, "GUESS (medium, the period's date, as the orders')"),
                Entry("category", {"const": name}, f"GUESS (medium, the channel of {column})"),
                Entry(
                    "amount",
                    self._rule(part, "amount", column, chosen.source.column(column)),
                    f"GUESS (medium, {column} is named like spend)",
                ),
            ]
            expenses.parts.append(part)
        self.plan.tables["expenses"] = expenses

    def _order_lines(self, tp: TablePlan) -> None:
        order = self._pick(tp.source, ["order_id"])
        lines = self._pick(tp.source, ["line_no", "quantity"])
        if order is None or tp.source.column(order.column).unique or lines is None:
            return
        tp.group_by = [order.column]
        col = tp.source.column(order.column)
        tp.why += f"; order lines: {order.column} repeats ({col.distinct:,} orders in {tp.source.rows:,} rows) and {lines.column} numbers the lines, so one order per {order.column}"
        tp.entries.append(Entry("order_id", order.column, _note(order, "the group key")))
        date = self._pick(tp.source, ["order_date", "close_date", "created_date"]) or self._pick(
            tp.source, ["order_date"], minimum=0.34
        )
        if date is not None:
            tp.entries.append(
                Entry(
                    "ordered_at",
                    self._rule(tp, "ordered_at", date.column, tp.source.column(date.column), agg="any"),
                    _note(date, "the order's date (its lines share it)"),
                )
            )
        amount = self._pick(tp.source, ["amount"])
        qty, price = self._pick(tp.source, ["quantity"]), self._pick(tp.source, ["list_price"])
        if amount is not None:
            tp.entries.append(
                Entry(
                    "amount",
                    self._rule(tp, "amount", amount.column, tp.source.column(amount.column), agg="sum"),
                    _note(amount, "summed over the lines"),
                )
            )
        elif qty is not None and price is not None:
            expr = f"TRY_CAST({ident(qty.column)} AS DOUBLE) * TRY_CAST({ident(price.column)} AS DOUBLE)"
            tp.entries.append(
                Entry(
                    "amount",
                    {"expr": expr, "agg": "sum"},
                    _note(qty, f"no amount column: quantity × {price.column}, summed"),
                )
            )

    def _status(self, tp: TablePlan) -> None:
        m = self._pick(tp.source, ["stage"])
        if m is None:
            return
        col = tp.source.column(m.column)
        observed = list(col.values) or (sorted(col.all_values) if col.distinct <= 40 else [])
        if not observed:
            tp.entries.append(
                Entry(
                    "status",
                    m.column,
                    _note(m, f"{col.distinct} distinct values: map them to open/won/lost with `values:`"),
                )
            )
            return
        kinds = {v: status_of(v) for v in observed}
        won = [v for v in observed if kinds[v] == "won"]
        lost = [v for v in observed if kinds[v] == "lost"]
        opened = [v for v in observed if kinds[v] is None]
        values = {v: kinds[v] or "open" for v in observed}
        extra = "won: " + (", ".join(won) or "none seen") + "; lost: " + (", ".join(lost) or "none seen")
        if opened:
            extra += "; read as open: " + ", ".join(opened)
        tp.entries.append(Entry("status", {"from": m.column, "values": values}, _note(m, extra)))
        order = {w: i for i, w in enumerate(self.voc.stage_order)}
        opened.sort(key=lambda v: min((i for w, i in order.items() if w and w in norm(v)), default=len(order)))
        if won and lost and opened:
            self.plan.stages = {"open_stages": opened, "won": won[0], "lost": lost[0]}
            self.plan.stages_note = (
                f"GUESS (medium, the values of {m.column}; open stages in the usual funnel order — check it)"
            )
        self._stage_column = (m.column, won, lost, opened)

    def _targets(self, tp: TablePlan) -> None:
        unit = self._pick(tp.source, ["rep_id", "rep", "team", "region"])
        if unit is None:
            return
        level = {"rep_id": "rep", "rep": "rep", "team": "team", "region": "region"}[unit.concept]
        tp.entries.append(
            Entry("level", {"const": level}, f"GUESS (medium, the unit column {unit.column} is a {level})")
        )

    def _stage_history(self) -> None:
        found = self.classes.get("stage_history")
        if found:
            source = self.profile.file(found[0].label)
            tp = TablePlan("stage_history", source, f"GUESS ({_level(found[0].score)}, {found[0].why})")
            self._fill(tp)
            self.plan.tables["stage_history"] = tp
            return
        opp = self.plan.tables.get("opportunities")
        stage = getattr(self, "_stage_column", None)
        if opp is None or stage is None or self.plan.stages is None:
            return
        column, won, lost, opened = stage
        key = opp.entry("opp_id")
        if key is None or key.rule is None:
            return
        dates: dict[str, Rule] = {}
        notes: list[str] = []
        matches = self.matches[opp.source.label]
        expected = best(matches, "expected_close")
        close = best(matches, "close_date")
        for col in opp.source.columns:
            if col.kind != "date" or (expected and col.name == expected.column) or (close and col.name == close.column):
                continue
            named = next((s for s in opened if len(norm(s)) >= 3 and (norm(s)[:5] in norm(col.name))), None)
            created = best(matches, "created_date")
            if named is None and created is not None and created.column == col.name and opened[0] not in dates:
                named = opened[0]
            if named is not None and named not in dates:
                dates[named] = {"from": col.name, "format": date_format_for(opp.source, col)}
                notes.append(f"{named} ← {col.name}")
        if close is not None:
            ccol = opp.source.column(close.column)
            for name, words in ((won[0], won), (lost[0], lost)):
                where = (
                    f"{ident(column)} IN ({', '.join(sql_text(w) for w in words)})"
                    if len(words) > 1
                    else f"{ident(column)} = {sql_text(words[0])}"
                )
                dates[name] = {"from": close.column, "where": where, "format": date_format_for(opp.source, ccol)}
                notes.append(f"{name} ← {close.column}")
        if not dates:
            return
        tp = TablePlan(
            "stage_history",
            opp.source,
            f"GUESS (medium, no stage-history file: the dates of {opp.source.label} — {'; '.join(notes)})",
            stage_dates=dates,
        )
        tp.entries.append(Entry("opp_id", key.rule, "the deal's id, as in opportunities"))
        self.plan.tables["stage_history"] = tp

    def _cost_from_profit(self) -> None:
        """Orders with a profit column and no cost column: cost = amount − profit (so gross profit
        is the export's own profit figure, not revenue).
        """
        orders = self.plan.tables.get("orders")
        if orders is None or orders.entry("cost") is not None:
            return
        amount, profit = orders.entry("amount"), self._pick(orders.source, ["profit"])
        if amount is None or amount.rule is None or profit is None:
            return
        rule = _derived(amount.rule, "DOUBLE", f"{{}} - TRY_CAST({ident(profit.column)} AS DOUBLE)")
        if rule is None:
            return
        orders.entries.append(Entry("cost", rule, _note(profit, "cost = amount − profit")))

    def _invoices_from_orders(self) -> None:
        """Payments against order ids and no invoice file: each order is its own invoice (its
        receivable, issued on the order date), so the payments have the invoices they point at.
        """
        payments, orders = self.plan.tables.get("payments"), self.plan.tables.get("orders")
        if payments is None or orders is None or "invoices" in self.plan.tables:
            return
        paid, order_id = payments.entry("invoice_id"), orders.entry("order_id")
        if paid is None or order_id is None or not paid.note.startswith("GUESS (low, no invoice_id column"):
            return
        values, keys = self._values(payments, paid.rule), self._values(orders, order_id.rule)
        if not values or not keys or _share(values, keys) < JOIN_SHARE:
            return
        tp = TablePlan(
            "invoices",
            orders.source,
            f"GUESS (low, no invoice file: the payments of {payments.source.label} name orders, so each order "
            f"of {orders.source.label} is one invoice, issued on its order date)",
            joins=[dict(j) for j in orders.joins],
            group_by=orders.group_by,
        )
        for column, source in (("invoice_id", "order_id"), ("order_id", "order_id"), ("issued_at", "ordered_at")):
            entry = orders.entry(source)
            if entry is not None and entry.rule is not None:
                tp.entries.append(Entry(column, entry.rule, f"the order's {source}"))
        amount = orders.entry("amount")
        if amount is not None and amount.rule is not None:
            tp.entries.append(Entry("amount", amount.rule, "the order's amount"))
        if len(tp.entries) == 4:
            issued = next(e.rule for e in tp.entries if e.column == "issued_at")
            due = (
                _derived(issued, "DATE", f"{{}} + INTERVAL {ASSUMED_PAYMENT_DAYS} DAY") if issued is not None else None
            )
            if due is not None:
                tp.entries.append(
                    Entry(
                        "due_at",
                        due,
                        f"GUESS (low, the export has no due date or terms: {ASSUMED_PAYMENT_DAYS} days after the "
                        "order assumed; without it every unpaid order would be overdue on its order date)",
                    )
                )
            self.plan.tables["invoices"] = tp

    def _team(self, tp: TablePlan) -> None:
        """reps.team: a team column, else the manager (a team is one manager's reps), else a joined
        manager by region, else the region.
        """
        rule_agg = "any" if tp.group_by is not None else None
        m = self._pick(tp.source, ["team", "manager"])
        if m is not None:
            why = "a team is one manager's reps" if m.concept == "manager" else ""
            ref = m.column
            tp.entries.append(
                Entry("team", self._rule(tp, "team", ref, tp.source.column(ref), agg=rule_agg), _note(m, why))
            )
            return
        joined = self._joined(tp, ["team", "manager"])
        if joined is not None:
            ref, jcol, jm, why = joined
            tp.entries.append(
                Entry(
                    "team",
                    self._rule(tp, "team", ref, jcol, agg=rule_agg),
                    _note(jm, why + "; a team is one manager's reps"),
                )
            )
            return
        region = self._pick(tp.source, ["region"])
        if region is not None:
            tp.entries.append(
                Entry(
                    "team",
                    self._rule(tp, "team", region.column, tp.source.column(region.column), agg=rule_agg),
                    f"GUESS (low, no team or manager column: one team per region {region.column})",
                )
            )

    def _dimension_from_facts(self, table: str) -> None:
        key_concepts = {
            "reps": ["rep_id", "rep"],
            "customers": ["customer_id", "customer_name"],
            "products": ["product"],
        }[table]
        for fact in DIMENSION_SOURCES:
            ftp = self.plan.tables.get(fact)
            if ftp is None:
                continue
            m = self._pick(ftp.source, key_concepts)
            if m is None:
                continue
            tp = TablePlan(
                table,
                ftp.source,
                f"GUESS (medium, no {table} file: one row per distinct {m.column} of {ftp.source.label})",
                group_by=[m.column],
            )
            for j in ftp.joins:  # the fact's joins stay available (a region's manager)
                tp.joins.append(dict(j))
            key = TABLES[table].key[0]
            tp.entries.append(Entry(key, m.column, _note(m, "the group key")))
            if table == "reps":
                name = self._pick(ftp.source, ["rep"])
                if name is not None and name.column != m.column:
                    tp.entries.append(Entry("name", {"from": name.column, "agg": "any"}, _note(name)))
                else:
                    tp.entries.append(Entry("name", m.column, "the rep's id is the name"))
                self._team(tp)
                region = self._pick(ftp.source, ["region"])
                if region is None:
                    tp.entries.append(
                        Entry("region", {"const": "company"}, "GUESS (low, no region column: every rep in one region)")
                    )
                    if tp.entry("team") is None:
                        tp.entries.append(
                            Entry(
                                "team", {"const": "company"}, "GUESS (low, no team, manager or region column: one team)"
                            )
                        )
            skip = ("segment",) if table == "customers" else ()  # a deal's size is no account's segment
            self._fill(tp, agg_default="any", skip=skip)
            tp.joins = [
                j
                for j in tp.joins
                if any(isinstance(e.rule, str | dict) and _uses(e.rule, j["as"]) for e in tp.entries)
            ]
            if table == "products" and len(tp.entries) < 2:
                return  # a product column alone is no price list: leave products absent
            self.plan.tables[table] = tp
            return

    def _reps_from_managers(self) -> None:
        """No rep anywhere, but facts credited to a joined manager: the managers are the reps."""
        credited = [
            e.rule
            for tp in self.plan.tables.values()
            if (e := tp.entry("rep_id")) is not None and e.rule is not None and "managers." in str(e.rule)
        ]
        found = self.classes.get("managers")
        if not credited or not found:
            return
        source = self.profile.file(found[0].label)
        manager, region = self._pick(source, ["manager"]), self._pick(source, ["region", "team"])
        if manager is None or region is None:
            return
        tp = TablePlan(
            "reps", source, f"GUESS (low, no rep file or column: the managers of {source.label} are the reps)"
        )
        if not source.column(manager.column).unique:
            tp.group_by = [manager.column]
        agg = "any" if tp.group_by else None
        tp.entries += [
            Entry("rep_id", manager.column, _note(manager)),
            Entry("name", manager.column, _note(manager)),
            Entry("team", manager.column, "GUESS (low, each manager is a team of one)"),
            Entry(
                "region", self._rule(tp, "region", region.column, source.column(region.column), agg=agg), _note(region)
            ),
        ]
        self.plan.tables["reps"] = tp

    # ------------------------------------------------------------------ foreign keys
    def _values(self, tp: TablePlan, rule: Rule | None) -> frozenset[str] | None:
        """The distinct values a column rule reads (a plain or joined column; None for an expression)."""
        ref = rule.get("from") if isinstance(rule, dict) and "values" not in rule else rule
        if not isinstance(ref, str):
            return None
        source, column = tp.source, ref
        if "." in ref and not _has_column(tp.source, ref):
            alias, column = ref.split(".", 1)
            join = next((j for j in tp.joins if j["as"] == alias), None)
            if join is None:
                return None
            label = f"{join['from']}[{join['sheet']}]" if "sheet" in join else join["from"]
            source = self.profile.file(label)
        return source.column(column).all_values if _has_column(source, column) else None

    def _links_by_values(self) -> None:
        """A reference no header names (deals.lead_id), found by content: a column of the fact file
        whose values are the keys drafted for the referenced table (Olist's deals carry the lead's
        `mql_id`). Only for tables drafted from another file, and never a column already used.
        """
        for tp in list(self.plan.tables.values()):
            if tp.group_by is not None:
                continue
            for col in TABLES[tp.name].columns:
                ref = col.references
                if ref is None or tp.entry(col.name) is not None:
                    continue
                dim = self.plan.tables.get(ref.table)
                if dim is None or dim is tp or dim.source.label == tp.source.label:
                    continue
                key = dim.entry(ref.column)
                keys = self._values(dim, key.rule) if key is not None else None
                if not keys:
                    continue
                best_col, best_share = None, 0.0
                for c in tp.source.columns:
                    if c.kind in ("date", "empty") or not c.all_values:
                        continue
                    share = _share(c.all_values, keys)
                    if share > best_share:
                        best_col, best_share = c, share
                if best_col is not None and best_share >= JOIN_SHARE:
                    tp.entries.append(
                        Entry(
                            col.name,
                            best_col.name,
                            f"GUESS (medium, {best_share:.0%} of {best_col.name} are {ref.table}.{ref.column} "
                            f"of {dim.source.label})",
                        )
                    )

    def _reconcile_references(self) -> None:
        """Check every foreign key the draft writes against the key drafted for its dimension.

        A fact column whose values are not the dimension's keys but another column of the
        dimension's file (a rep's name where reps are keyed by 工号) is translated through a
        join when that column is unique there, else the dimension is keyed by it. A key nothing
        matches is flagged: commented out when optional (SDRs who are no reps), noted when required.
        """
        for tp in list(self.plan.tables.values()):
            spec = TABLES[tp.name]
            for entry in tp.entries:
                col = spec.column(entry.column)
                ref = col.references
                if ref is None or ref.table not in DIMENSIONS or entry.rule is None or entry.commented:
                    continue
                dim = self.plan.tables.get(ref.table)
                if dim is None or dim is tp or (key := dim.entry(ref.column)) is None:
                    continue
                values, keys = self._values(tp, entry.rule), self._values(dim, key.rule)
                if not values or keys is None:
                    continue
                share = _share(values, keys)
                if share >= JOIN_SHARE:
                    continue
                found = max(
                    (c for c in dim.source.columns if c.kind not in ("date", "empty")),
                    key=lambda c: _share(values, c.all_values),
                    default=None,
                )
                found_share = _share(values, found.all_values) if found is not None else 0.0
                if found is not None and found_share >= JOIN_SHARE and found_share > share:
                    self._link(tp, entry, dim, found, found_share)
                elif col.required:
                    entry.note += (
                        f"; CHECK: only {share:.0%} of its values are {ref.table}.{ref.column} ({dim.source.label})"
                    )
                else:
                    entry.commented = True
                    entry.note = (
                        f"CHECK: only {share:.0%} of {_ref_text(entry.rule)} are {ref.table} of {dim.source.label} "
                        f"({_ref_text(key.rule)}); validation would flag every other row — add the missing ones "
                        f"(SDRs) to {ref.table}, then uncomment"
                    )

    def _link(self, tp: TablePlan, entry: Entry, dim: TablePlan, found: ColumnProfile, share: float) -> None:
        """``entry`` of ``tp`` holds values of ``found`` (not the key) of ``dim``'s file: translate
        it through a join on ``found`` when ``found`` is unique there, else key ``dim`` by ``found``.
        """
        key = dim.entry(TABLES[dim.name].key[0])
        assert key is not None
        fk = _ref_text(entry.rule)
        key_col = _ref_text(key.rule)
        own_file = dim.source.label != tp.source.label and dim.group_by is None
        if own_file and found.unique and _has_column(dim.source, key_col):
            alias = self._alias(dim.source)
            if not any(j["as"] == alias for j in tp.joins):
                join: dict[str, Any] = {"from": dim.source.path, "as": alias, "on": {fk: found.name}}
                if dim.source.sheet is not None:
                    join["sheet"] = dim.source.sheet
                tp.joins.append(join)
            on = next(j for j in tp.joins if j["as"] == alias)["on"]
            if on != {fk: found.name}:  # the file is joined on another column already: the analyst decides
                entry.note += (
                    f"; CHECK: {fk} holds {dim.name}' {found.name}, not their key {key_col}: "
                    f"translate it with a join on {fk} = {found.name}"
                )
                return
            agg = "any" if tp.group_by is not None else None
            ref = f"{alias}.{key_col}"
            entry.rule = self._rule(tp, entry.column, ref, dim.source.column(key_col), agg=agg)
            entry.note = (
                f"GUESS (medium, {fk} holds {dim.name}' {found.name} ({share:.0%} of values match), "
                f"not their key {key_col}: translated through a join on {fk} = {found.name}"
            )
            if share < 1:  # the rest keep their own value, so validation names them (not an empty key)
                expr = f"coalesce({_sql_ref(ref, tp.source)}, {_sql_ref(fk, tp.source)})"
                entry.rule = {"expr": expr} | ({"agg": agg} if agg else {})
                entry.note += f"; the {1 - share:.0%} in no row of {dim.source.label} stay as they are"
            entry.note += ")"
            return
        self._rekey(dim, found, f"{fk} of {tp.source.label} holds {found.name} ({share:.0%} of values match)")

    def _rekey(self, dim: TablePlan, found: ColumnProfile, why: str) -> None:
        """Key ``dim`` by ``found``: one row per its value (``group_by`` unless it is unique)."""
        name = TABLES[dim.name].key[0]
        grouped = dim.group_by is not None or not found.unique
        for e in dim.entries:
            if (
                e.column == name
                or not isinstance(e.rule, str)
                or ("." in e.rule and not _has_column(dim.source, e.rule))
            ):
                continue
            if grouped and e.rule != found.name:
                e.rule = self._rule(dim, e.column, e.rule, dim.source.column(e.rule), agg="any")
        if grouped:
            dim.group_by = [found.name]
        key = dim.entry(name)
        assert key is not None
        key.rule = found.name
        key.note = f"GUESS (medium, keyed by {found.name}: {why}" + ("; one row per value)" if grouped else ")")


def _period_text(date: ColumnProfile, step: str) -> str:
    """SQL for a period's text (``2015-11-23``, ``1987-01``), for ids built from it."""
    fmt = date.date_format or "%Y-%m-%d"
    out = "%Y-%m" if step == "monthly" else "%Y-%m-%d"
    if fmt == out:
        return ident(date.name)
    return f"strftime(strptime({ident(date.name)}, {sql_text(fmt)}), {sql_text(out)})"


def _period_date(date: ColumnProfile, series: PeriodSeries) -> Rule:
    """The rule for a period's date: the column itself, or a month's last day."""
    fmt = date.date_format or "%Y-%m-%d"
    if series.step == "monthly" and series.month_start:
        return {"expr": f"last_day(CAST(strptime({ident(date.name)}, {sql_text(fmt)}) AS DATE))"}
    return {"from": date.name, "format": fmt}


def _sql_ref(ref: str, source: SourceFile) -> str:
    """A column of ``source`` or a joined ``alias.column`` as SQL."""
    if _has_column(source, ref) or "." not in ref:
        return ident(ref)
    return ".".join(ident(part) for part in ref.split(".", 1))


def _has_column(source: SourceFile, name: str) -> bool:
    return any(c.name == name for c in source.columns)


def _share(values: frozenset[str], keys: frozenset[str]) -> float:
    return len(values & keys) / len(values) if values else 1.0


def _ref_text(rule: Rule | None) -> str:
    """The column a rule reads (``from`` of a rule), as written."""
    ref = rule.get("from", "") if isinstance(rule, dict) else rule
    return str(ref or "")


#: payment terms assumed for receivables drafted from orders (月结30天, net 30)
ASSUMED_PAYMENT_DAYS = 30


def _value_sql(rule: Rule, *, kind: str) -> tuple[str, dict[str, Any]] | None:
    """The SQL value ``rule`` reads, typed as ``kind`` ("DOUBLE" or "DATE"), and the rule's other
    keys (``agg``); None for a rule that reads no column (a constant).
    """
    spec = {"from": rule} if isinstance(rule, str) else dict(rule)
    if "from" in spec:
        column = ident(str(spec.pop("from")))
        fmt = spec.pop("format", None)
        if kind == "DATE" and fmt:
            return f"CAST(try_strptime({column}, {sql_text(fmt)}) AS DATE)", spec
        return f"TRY_CAST({column} AS {kind})", spec
    if "expr" in spec:
        return f"CAST(({spec.pop('expr')}) AS {kind})", spec
    return None


def _derived(rule: Rule, kind: str, template: str) -> Rule | None:
    """A rule computing ``template`` (``{}`` = the value ``rule`` reads) with the same ``agg``."""
    read = _value_sql(rule, kind=kind)
    if read is None:
        return None
    value, rest = read
    return {"expr": template.format(value), **({"agg": rest["agg"]} if "agg" in rest else {})}


def date_format_for(source: SourceFile | None, col: ColumnProfile) -> str | None:
    """The ``format:`` to write for a date column: none for the ISO dates of a workbook, which
    the loader reads without one (its text form of a date cell may differ from the profile's).
    """
    excel = source is None or source.path.lower().endswith((".xlsx", ".xlsm", ".xls"))
    if col.date_format and excel and col.date_format.startswith("%Y-%m-%d"):
        return None
    return col.date_format


def _uses(rule: Rule, alias: str) -> bool:
    text = rule if isinstance(rule, str) else " ".join(str(v) for v in rule.values())
    return f"{alias}." in text


def _default_agg(kind: str) -> str:
    return "sum" if kind in ("float", "int") else "any"


def _level(score: float) -> str:
    return "high" if score >= 6 else ("medium" if score >= 4 else "low")


def plan_draft(profile: FolderProfile, absent_reasons: dict[str, str]) -> DraftPlan:
    """The draft mapping of ``profile``; ``absent_reasons`` words why a table was not found
    (by table name, ``default`` for the rest).
    """
    return Planner(profile, absent_reasons).build()
