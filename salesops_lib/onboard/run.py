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
from typing import TYPE_CHECKING, Any

from salesops_lib.config.paths import project_root
from salesops_lib.config.yaml_safe import load_yaml
from salesops_lib.errors import ConfigError, SalesOpsError, SourceError
from salesops_lib.onboard.draft import DraftPlan, plan_draft
from salesops_lib.onboard.profile import FolderProfile, profile_folder
from salesops_lib.onboard.render import render

if TYPE_CHECKING:
    from salesops_lib.data import Dataset

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
    """Whether a catalogued report will run on the draft, why not, and which of its sections
    will be left out (the analysis' own :meth:`~salesops_lib.analyses.spec.AnalysisSpec.missing`
    and :meth:`~salesops_lib.analyses.spec.AnalysisSpec.skipped_sections`).
    """

    name: str
    runs: bool
    #: unmet capability (``revenue``, ``funnel``, ``targets`` …) → the canonical tables it lacks
    missing: dict[str, tuple[str, ...]]
    pending_todos: bool
    #: section label → the canonical tables it lacks
    skipped_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
    check, dataset = _validated(text, folder, origin=str(out)) if validate else (_NOT_VALIDATED, None)
    usable = dataset if dataset is not None and not check.set_aside else None
    return Outcome(out, text, profile, plan, check, report_plans(plan, usable))


_NOT_VALIDATED = Check(loaded=False, problem="not validated")


def check_draft(text: str, folder: Path, *, origin: str) -> Check:
    """Validate the draft's text against ``folder`` as ``salesops validate`` does."""
    return _validated(text, folder, origin=origin)[0]


def _validated(text: str, folder: Path, *, origin: str) -> tuple[Check, Dataset | None]:
    """:func:`check_draft`, and the dataset the draft connects to (None when it does not load)."""
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
            dataset = connect(folder, mapping)
            report = run_validation(dataset)
    except SalesOpsError as exc:
        check = Check(loaded=False, problem=exc.render(), v2_keys=tuple(sorted(v2)), set_aside=tuple(set_aside))
        return check, None
    check = Check(
        loaded=True,
        errors=tuple(i.describe() for i in report.errors),
        warnings=len(report.warnings),
        v2_keys=tuple(sorted(v2)),
        set_aside=tuple(set_aside),
    )
    return check, dataset


def report_plans(plan: DraftPlan, dataset: Dataset | None = None) -> tuple[ReportPlan, ...]:
    """Each catalogued report: whether its analysis runs and which sections it leaves out, by the
    analysis' own spec — on ``dataset`` (the connected draft) when given, else on a stand-in with
    the drafted tables (:func:`planned_dataset`).
    """
    from salesops_lib.analyses.capabilities import capability
    from salesops_lib.catalog import CATALOG

    data = dataset if dataset is not None else planned_dataset(plan)
    out = []
    for report in CATALOG.values():
        spec = report.spec
        missing = {need: capability(need).missing_tables(data) for need in spec.missing(data)}
        todos = any(tp.todos for tp in plan.tables.values())
        out.append(ReportPlan(report.name, not missing, missing, todos, spec.skipped_sections(data)))
    return tuple(out)


def planned_dataset(plan: DraftPlan) -> Dataset:
    """A dataset with the drafted tables (empty, never read) and the ``absent:`` reasons: what
    the capabilities of an analysis are checked on when the draft does not load yet.
    """
    import ibis

    from salesops_lib.data import TABLES, Dataset
    from salesops_lib.data.conform import ConformedTable

    tables = {}
    for name in plan.tables:
        expr = ibis.table(dict.fromkeys(TABLES[name].column_names, "string"), name=name)
        tables[name] = ConformedTable(name, expr, expr, origin="draft")
    missing = {name: plan.absent.get(name, "") for name in TABLES if name not in tables}
    return Dataset(
        source=plan.folder_name, kind="folder", backend=ibis.duckdb.connect(), tables=tables, missing=missing
    )


def report_lines(r: ReportPlan, plan: DraftPlan, lang: str) -> list[str]:
    """One report's lines of the summary: runs or skipped (each unmet need with the tables it
    lacks and the ``absent:`` reason), then the sections it leaves out.
    """
    from salesops_lib.report.i18n import t

    def lacking(need: str, tables: tuple[str, ...]) -> str:
        why = "; ".join(
            (why if name == need else f"{name}: {why}") if (why := plan.absent.get(name)) else name for name in tables
        )
        return f"{need} ({why})" if why and why != need else need

    if r.runs:
        head = f"{r.name}: {word('will_run', lang)}" + (f" {word('after_todo', lang)}" if r.pending_todos else "")
    else:
        needs = ", ".join(lacking(need, tables) for need, tables in r.missing.items())
        head = f"{r.name}: {word('skipped', lang)} — {word('needs', lang, tables=needs)}"
    lines = [head]
    if r.runs and r.skipped_sections:
        sections = "; ".join(
            f"{t(label, lang, r.name)} ({word('needs', lang, tables=', '.join(tables))})"
            for label, tables in r.skipped_sections.items()
        )
        lines.append(f"  {word('sections_left_out', lang)}: {sections}")
    return lines


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
        entries = [e for part in (tp, *tp.parts) for e in part.entries]
        mapped = list(dict.fromkeys(e.column for e in entries if e.rule is not None and not e.commented))
        guesses = sum(1 for e in entries if e.note.startswith("GUESS"))
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
    lines += [f"  {line}" for r in outcome.reports for line in report_lines(r, plan, lang)]
    lines.append(f"{w('next')}: salesops validate --source {outcome.profile.folder} --mapping {outcome.out}")
    return lines
