"""``salesops onboard``: profile a folder, write the draft mapping, validate it, say what runs.

The draft is validated as ``salesops validate`` would (connect + validation). Where the loader
does not know a mapping v2 key yet (``join``, ``group_by``, ``distinct``, ``stage_dates``), the
tables that use one are set aside, the rest is validated, and the summary says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from salesops_lib.config.paths import project_root
from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.errors import ConfigError, SalesOpsError, SourceError
from salesops_lib.onboard.draft import DraftPlan, plan_draft
from salesops_lib.onboard.profile import FolderProfile, profile_folder
from salesops_lib.onboard.render import render

V2_TABLE_KEYS = ("join", "group_by", "distinct", "stage_dates")


@cache
def _words() -> dict[str, Any]:
    path = files("salesops_lib.onboard") / "words.yaml"
    raw: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"), where=str(path))
    return raw


def word(key: str, lang: str, section: str = "labels", **values: object) -> str:
    """The onboarding word ``key`` in ``lang`` (zh or en), formatted with ``values``."""
    entry = _words()[section][key]
    text = str(entry["zh" if lang == "zh" else "en"])
    return text.format(**values) if values else text


@dataclass(frozen=True)
class ReportPlan:
    """Whether a catalogued report will run on the draft, and why not."""

    name: str
    runs: bool
    missing: tuple[str, ...]
    pending_todos: bool


@dataclass(frozen=True)
class Check:
    """The draft's validation: loaded or not, errors, warnings and v2 keys set aside."""

    loaded: bool
    problem: str | None = None
    errors: tuple[str, ...] = ()
    warnings: int = 0
    v2_keys: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Loaded without validation errors."""
        return self.loaded and not self.errors and self.problem is None


@dataclass(frozen=True)
class Outcome:
    """What ``onboard`` did: the draft written, the profile and plan behind it, its check."""

    out: Path
    text: str
    profile: FolderProfile
    plan: DraftPlan
    check: Check
    reports: tuple[ReportPlan, ...] = field(default_factory=tuple)


def onboard(folder: Path, out: Path, *, lang: str = "en", force: bool = False, validate: bool = True) -> Outcome:
    """Profile ``folder``, write the draft mapping to ``out`` and check it.

    Parameters
    ----------
    folder
        The folder of exports (CSV, TSV, XLSX/XLS with every sheet, Parquet).
    out
        Where the draft goes; an existing file is kept unless ``force``.
    lang
        zh or en: the words of ``absent:`` reasons (and of the summary the CLI prints).
    validate
        Validate the draft against the data (``salesops validate``) after writing it.

    Examples
    --------
    >>> outcome = onboard(Path("examples/maven_crm"), Path("/tmp/maven.yaml"), force=True)  # doctest: +SKIP
    >>> sorted(outcome.plan.tables)  # doctest: +SKIP
    ['customers', 'opportunities', 'products', 'reps', 'stage_history']
    """
    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r} is not zh or en", where="--lang", fix="use --lang zh or --lang en")
    if not folder.is_dir():
        raise SourceError(f"{folder} {word('no_folder', lang)}", where=str(folder), fix=word("no_folder_fix", lang))
    if out.exists() and not force:
        raise ConfigError(word("exists", lang), where=str(out), fix=word("exists_fix", lang))
    profile = profile_folder(folder)
    if not profile.files:
        raise SourceError(word("no_files", lang), where=str(folder), fix=word("no_files_fix", lang))
    reasons = {name: word(name, lang, "absent") for name in _words()["absent"]}
    plan = plan_draft(profile, reasons)
    base = out.resolve().parent
    source = Path(os.path.relpath(folder.resolve(), base)).as_posix()
    schema = project_root() / "docs" / "mapping.schema.json"
    text = render(
        plan,
        source=source,
        command=f"salesops onboard {folder}",
        schema=Path(os.path.relpath(schema, base)).as_posix() if schema.is_file() else None,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    check = check_draft(text, folder, origin=str(out)) if validate else Check(loaded=False, problem="not validated")
    return Outcome(out, text, profile, plan, check, report_plans(plan))


def check_draft(text: str, folder: Path, *, origin: str) -> Check:
    """Validate the draft's text against ``folder`` as ``salesops validate`` does."""
    from salesops_lib.data import connect
    from salesops_lib.data.mapping import Mapping, TableMapping, parse_mapping
    from salesops_lib.data.validation import validate as run_validation
    from salesops_lib.errors import engine_errors

    raw: dict[str, Any] = load_yaml(text, where=origin) or {}
    known_top = {f.alias or name for name, f in Mapping.model_fields.items()}
    raw = {k: v for k, v in raw.items() if k in known_top}  # `source:` (v2): the folder is given here
    known_table = {f.alias or name for name, f in TableMapping.model_fields.items()}
    v2: set[str] = set()
    set_aside: list[str] = []
    for name, table in list((raw.get("tables") or {}).items()):
        used = {k for k in V2_TABLE_KEYS if k in table and k not in known_table}
        if used:
            v2 |= used
            set_aside.append(name)
            del raw["tables"][name]
    try:
        mapping = parse_mapping(raw, origin=origin)
        with engine_errors("cannot validate the draft", where=str(folder)):
            report = run_validation(connect(folder, mapping))
    except SalesOpsError as exc:
        return Check(loaded=False, problem=exc.render(), v2_keys=tuple(sorted(v2)), set_aside=tuple(set_aside))
    return Check(
        loaded=True,
        errors=tuple(i.describe() for i in report.errors),
        warnings=len(report.warnings),
        v2_keys=tuple(sorted(v2)),
        set_aside=tuple(set_aside),
    )


def report_plans(plan: DraftPlan) -> tuple[ReportPlan, ...]:
    """Each catalogued report: runs when the draft has every table it ``requires``."""
    from salesops_lib.catalog import CATALOG

    out = []
    for report in CATALOG.values():
        missing = tuple(t for t in report.requires if t not in plan.tables)
        todos = any(plan.tables[t].todos for t in report.requires if t in plan.tables)
        out.append(ReportPlan(report.name, not missing, missing, todos))
    return tuple(out)


def summary(outcome: Outcome, lang: str) -> list[str]:
    """The console summary: files, matched tables and columns, what is missing, the validation
    and which reports will run or be skipped.
    """

    def w(key: str, **values: object) -> str:
        return word(key, lang).format(**values)

    plan, lines = outcome.plan, []
    lines.append(f"{w('wrote')}: {outcome.out}")
    lines.append(f"{w('files')}: " + ", ".join(f"{f.label} ({f.rows:,} {w('rows')})" for f in outcome.profile.files))
    lines.append(f"{w('matched')}:")
    for tp in plan.tables.values():
        mapped = [e.column for e in tp.entries if e.rule is not None and not e.commented]
        guesses = sum(1 for e in tp.entries if e.note.startswith("GUESS"))
        extra = f" [{w('todo')}: {', '.join(tp.todos)}]" if tp.todos else ""
        if tp.stage_dates:
            mapped.append("stage_dates: " + ", ".join(tp.stage_dates))
        lines.append(f"  {tp.name} ← {tp.source.label}: {', '.join(mapped)} ({w('guesses')}: {guesses}){extra}")
    todo = [f"{tp.name}.{c}" for tp in plan.tables.values() for c in tp.todos]
    if todo:
        lines.append(f"{w('missing')}: {', '.join(todo)}")
    lines.append(f"{w('absent')}: " + "; ".join(f"{t} ({why})" for t, why in plan.absent.items()))
    if plan.unused:
        lines.append(f"{w('unused')}: " + "; ".join(f"{f} ({why})" for f, why in plan.unused.items()))
    if plan.unreadable:
        lines.append(f"{w('unreadable')}: " + "; ".join(f"{f} ({why})" for f, why in plan.unreadable.items()))
    check = outcome.check
    lines.append(f"{w('validation')}:")
    if check.v2_keys:
        lines.append("  " + w("needs_v2", keys=", ".join(check.v2_keys)) + f" ({', '.join(check.set_aside)})")
    if check.problem:
        lines.append("  " + w("valid_failed"))
        lines += ["    " + line for line in check.problem.splitlines()]
    elif check.errors:
        lines.append("  " + w("valid_errors", errors=len(check.errors), warnings=check.warnings))
        lines += [f"    - {e}" for e in check.errors[:10]]
    else:
        lines.append("  " + w("valid_ok", warnings=check.warnings))
    lines.append(f"{w('reports')}:")
    for r in outcome.reports:
        if r.runs:
            lines.append(f"  {r.name}: {w('will_run')}" + (f" {w('after_todo')}" if r.pending_todos else ""))
        else:
            why = "; ".join(f"{t}: {plan.absent.get(t, '')}" for t in r.missing)
            lines.append(f"  {r.name}: {w('skipped')} — {w('needs', tables=', '.join(r.missing))} ({why})")
    lines.append(f"{w('next')}: salesops validate --source {outcome.profile.folder} --mapping {outcome.out}")
    return lines
