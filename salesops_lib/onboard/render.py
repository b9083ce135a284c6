"""Write a :class:`~salesops_lib.onboard.draft.DraftPlan` as a commented mapping YAML (v2 syntax).

Every guessed line ends in ``# GUESS (confidence, why)``, every required column nothing fills is a
commented ``# TODO`` line with candidates, and ``absent:`` says why each missing table is missing.
"""

from __future__ import annotations

from typing import Any

import yaml

from salesops_lib.onboard.draft import DraftPlan, Rule, TablePlan

_RULE_ORDER = ("from", "expr", "const", "agg", "format", "where", "values")


def scalar(value: Any) -> str:
    """``value`` as a YAML scalar (quoted only when YAML needs it, inside a flow mapping too:
    an expression's ``, `` would end a plain scalar there).

    Examples
    --------
    >>> scalar("deal_stage"), scalar("%Y-%m-%d"), scalar("yes"), scalar("赢单"), scalar("coalesce(a, b)")
    ('deal_stage', "'%Y-%m-%d'", "'yes'", '赢单', "'coalesce(a, b)'")
    """
    text = yaml.safe_dump([value], allow_unicode=True, default_flow_style=True, width=1 << 20).strip()
    return text.removeprefix("[").removesuffix("]")


def flow(value: Any) -> str:
    """A rule or list in YAML flow style: ``{from: close_date, format: '%Y-%m-%d'}``."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: _RULE_ORDER.index(k) if k in _RULE_ORDER else len(_RULE_ORDER))
        return "{" + ", ".join(f"{scalar(k)}: {flow(value[k])}" for k in keys if value[k] is not None) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _line(indent: int, key: str, value: Rule | None, note: str, *, commented: bool = False) -> str:
    pad = " " * indent
    body = f"{scalar(key)}: {flow(value)}" if value is not None else f"{scalar(key)}:"
    text = f"{pad}{'# ' if commented or value is None else ''}{body}"
    return f"{text}  # {note}" if note else text


def render(plan: DraftPlan, *, source: str, command: str, schema: str | None = None) -> str:
    """The draft mapping's text; ``source`` is the data folder and ``schema`` the mapping's JSON
    schema, both relative to the mapping file.
    """
    out = [f"# yaml-language-server: $schema={schema}"] if schema else []
    out += [
        f"# Draft mapping written by `{command}`.",
        "# Read every `# GUESS` (confidence, why) and fix it where it is wrong; fill every `# TODO`",
        "# (uncomment the line and name the column); then run `salesops validate --mapping <this file>`.",
        "# See docs/onboarding.md.",
        f"name: {scalar(plan.folder_name + ' (draft)')}",
        f"description: {scalar('drafted by salesops onboard; reviewed by: (your name)')}",
        f"source: {scalar(source)}",
        "encoding: auto",
    ]
    if plan.stages is not None:
        out.append(f"stages:  # {plan.stages_note}")
        for key in ("open_stages", "won", "lost"):
            out.append(f"  {key}: {flow(plan.stages[key])}")
    if not plan.tables:
        out.append(
            "tables: {}  # TODO no file was recognised: map them by hand (parameters/sources/*.yaml are examples)"
        )
    else:
        out.append("tables:")
    for tp in plan.tables.values():
        out += _table(tp)
    if plan.absent:
        out.append("absent:")
        out += [f"  {name}: {scalar(reason)}" for name, reason in plan.absent.items()]
    if plan.unused or plan.unreadable:
        out.append("# Files not used by this draft:")
        out += [f"#   {label}: {why}" for label, why in plan.unused.items()]
        out += [f"#   {path}: unreadable ({why})" for path, why in plan.unreadable.items()]
    return "\n".join(out) + "\n"


def _table(tp: TablePlan) -> list[str]:
    out = [f"  {tp.name}:  # {tp.why}"]
    out += [f"    # {note}" for note in tp.notes]
    if tp.parts:
        out.append("    union:")
        for part in tp.parts:
            lines = _part(part, indent=8)
            out += [f"      - {lines[0].lstrip()}", *lines[1:]]
        return out
    return out + _part(tp, indent=4)


def _part(tp: TablePlan, indent: int) -> list[str]:
    pad = " " * indent
    out = [f"{pad}from: {scalar(tp.source.path)}"]
    if tp.source.sheet is not None:
        out.append(f"{pad}sheet: {scalar(tp.source.sheet)}")
    if tp.source.encoding:
        why = (
            "GUESS (high, not UTF-8: a Chinese (GBK) export)"
            if tp.source.encoding == "gb18030"
            else "GUESS (low, not UTF-8 and not Chinese: accented letters of a Western code page; if names look wrong try cp1252, cp850 or latin-1)"
        )
        out.append(f"{pad}encoding: {scalar(tp.source.encoding)}  # {why}")
    if tp.source.delimiter:
        out.append(f"{pad}delimiter: {scalar(tp.source.delimiter)}")
    if tp.joins:
        out.append(f"{pad}join:")
        for j in tp.joins:
            out.append(f"{pad}  - {flow({k: j[k] for k in ('from', 'as', 'on', 'sheet') if k in j})}")
    if tp.group_by is not None:
        out.append(f"{pad}group_by: {flow(tp.group_by)}")
    if tp.distinct:
        out.append(f"{pad}distinct: true")
    if tp.stage_dates is not None:
        out.append(f"{pad}stage_dates:")
        out += [_line(indent + 2, stage, rule, "") for stage, rule in tp.stage_dates.items()]
    if tp.where is not None:
        out.append(f"{pad}where: {scalar(tp.where)}")
    out.append(f"{pad}columns:")
    out += [_line(indent + 2, e.column, e.rule, e.note, commented=e.commented) for e in tp.entries]
    return out
