"""Run registered reports for a period and publish them: ``salesops review`` and ``salesops run``.

Parameters are validated for every report before anything runs, and the source is checked
(validation: errors stop the run, warnings go on the index page; the period has data, the
region exists); reports whose required tables the source lacks are
skipped with the reason; the others run in a bounded pool of worker processes (each with a
warm kernel). One run per period at a time (a lock); the source's fingerprint is taken at the
start and checked at the end; the period is published atomically, and only when the run is at
least as complete as the publication it would replace (or ``force``).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from salesops_lib.catalog import CATALOG, Report
from salesops_lib.config.paths import project_root
from salesops_lib.core.periods import period_bounds
from salesops_lib.data import connect
from salesops_lib.data.shared_results import sharing_results
from salesops_lib.data.sources import redact_url, source_fingerprint
from salesops_lib.data.validation import validate_for_run
from salesops_lib.errors import PublishError
from salesops_lib.report.i18n import t
from salesops_lib.report.names import Names, use_names
from salesops_lib.runner import publish
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.execute import ReportOutcome, ReportTask, init_worker, read_payload, run_report
from salesops_lib.runner.lock import period_lock
from salesops_lib.runner.preflight import check_run

Progress = Callable[[ReportOutcome], None]
SUMMARY_REPORT = CATALOG.summary.name if CATALOG.summary else ""
"""Runs after every other report and reads their findings (``findings_file`` parameter)."""


@dataclass(frozen=True)
class ReviewRun:
    """The outcome of a review run."""

    period: str
    path: Path
    outcomes: tuple[ReportOutcome, ...]
    seconds: float
    #: why the run did not replace the live publication ("" when it did; ``path`` is then the
    #: set-aside folder ``.rejected-<period>``)
    kept_previous: str = ""

    @property
    def ok(self) -> bool:
        """True when the run was published and no report failed (skipped reports are not failures)."""
        return not self.kept_previous and all(o.status != "failed" for o in self.outcomes)

    @property
    def index(self) -> Path:
        """``index.html`` in :attr:`path` (the published period, or the set-aside folder)."""
        return self.path / "index.html"


def run_review(
    config: ReviewConfig, *, progress: Progress | None = None, merge: bool = False, force: bool = False
) -> ReviewRun:
    """Run ``config.reports`` (all when empty) for ``config.period`` and publish them.

    With ``merge=True`` (``salesops run``) the other reports already published for the period
    are kept and only the reports run here are replaced. A run less complete than the live
    publication is set aside instead of published, unless ``force``.
    """
    started_at = dt.datetime.now().astimezone()
    started = time.perf_counter()
    specs = [CATALOG[name] for name in (config.reports or tuple(CATALOG))]
    params = {spec.name: _report_params(spec, config) for spec in specs}  # validates before any work
    # the reports' kernels ask the same questions: asked once, read by the others
    with sharing_results():
        return _review(config, specs, params, started_at, started, progress=progress, merge=merge, force=force)


def _review(
    config: ReviewConfig,
    specs: list[Report],
    params: dict[str, dict[str, Any]],
    started_at: dt.datetime,
    started: float,
    *,
    progress: Progress | None,
    merge: bool,
    force: bool,
) -> ReviewRun:
    dataset = connect(config.source, config.mapping or None)
    warnings = [issue.describe() for issue in validate_for_run(dataset).warnings]  # errors stop the run here
    check_run(dataset, config)
    use_names(Names.of(dataset, period_bounds(config.period)[1]))  # the index and findings.json's words name units
    root = Path(config.output_dir).resolve()
    with publish.output_errors(root), period_lock(root, config.period):
        staging = publish.staging_dir(root, config.period)
        try:
            outcomes = _run_reports(specs, params, dataset, staging, config, root, merge=merge, progress=progress)
            findings = publish.write_findings(staging, outcomes)
            seconds = time.perf_counter() - started
            publish.write_manifest(
                staging,
                config=_public_config(config),
                fingerprint=dataset.fingerprint,
                outcomes=outcomes,
                started=started_at,
                seconds=seconds,
                data_warnings=warnings,
            )
            publish.write_index(
                staging,
                period=config.period,
                lang=config.lang,
                source=redact_url(config.source),
                outcomes=outcomes,
                findings=findings,
                generated=started_at.strftime("%Y-%m-%d %H:%M"),
                data_warnings=warnings,
            )
            _check_source_unchanged(config, dataset.fingerprint)
            kept = "" if force else _keep_previous(root, config.period, outcomes)
            if kept:
                path = publish.set_aside(staging, root, config.period)
            else:
                path = publish.swap_in(staging, root, config.period)
                publish.write_periods_index(root, config.lang)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return ReviewRun(config.period, path, tuple(outcomes), time.perf_counter() - started, kept)


def _run_reports(
    specs: list[Report],
    params: dict[str, dict[str, Any]],
    dataset: Any,
    staging: Path,
    config: ReviewConfig,
    root: Path,
    *,
    merge: bool,
    progress: Progress | None,
) -> list[ReportOutcome]:
    """Skip what the source cannot feed, run the rest (the summary last), in catalog order."""
    kept = _carry_over(root / config.period, staging, {s.name for s in specs}, config.lang) if merge else []
    reasons = {s.name: _skip_reason(s, dataset) for s in specs}
    skipped = [ReportOutcome(s.name, "skipped", error=reasons[s.name]) for s in specs if reasons[s.name]]
    tasks = [_task(s, params[s.name], staging, config) for s in specs if not reasons[s.name]]
    for outcome in skipped:
        if progress:
            progress(outcome)
    summary = [task for task in tasks if task.name == SUMMARY_REPORT]
    others = [task for task in tasks if task.name != SUMMARY_REPORT]
    ran: list[ReportOutcome] = []
    if tasks:
        # one pool for both rounds: the summary reuses a worker whose kernel is already warm
        with _worker_pool(min(config.jobs or os.cpu_count() or 1, max(1, len(others)))) as pool:
            ran = _execute(pool, others, progress=progress)
            if summary:  # the executive summary runs last, on what the others found
                # in catalog order, not finishing order: findings that tie in rank keep one order
                publish.write_findings(staging, _in_catalog_order([*kept, *ran]))
                task = summary[0]
                summary_params = {**task.parameters, "findings_file": str(staging / "findings.json")}
                ran += _execute_summary(pool, replace(task, parameters=summary_params), progress=progress)
    return _in_catalog_order([*kept, *skipped, *ran])


def _in_catalog_order(outcomes: list[ReportOutcome]) -> list[ReportOutcome]:
    order = {name: i for i, name in enumerate(CATALOG)}
    return sorted(outcomes, key=lambda o: order.get(o.name, len(order)))


def _keep_previous(root: Path, period: str, outcomes: list[ReportOutcome]) -> str:
    """Why the live publication of ``period`` must stay ("" when this run may replace it)."""
    live = publish.published_completeness(root, period, SUMMARY_REPORT)
    new = publish.completeness_of(outcomes, SUMMARY_REPORT)
    if live is None or new.at_least(live):
        return ""
    return f"the publication of {period} has {live.describe()}; this run has {new.describe()}"


def _check_source_unchanged(config: ReviewConfig, fingerprint: str) -> None:
    """The reports each open the source: a source rewritten during the run mixes data."""
    try:
        now = source_fingerprint(config.source, config.mapping or None)
    except OSError:  # the export was moved or deleted meanwhile
        now = ""
    if now != fingerprint:
        raise PublishError(
            "the source changed while the reports ran: their figures may mix old and new data; nothing was published",
            where=redact_url(config.source),
            fix="run again once the export is complete (the previous publication is untouched)",
        )


def _report_params(report: Report, config: ReviewConfig) -> dict[str, Any]:
    values = {**config.common(), **config.report_params.get(report.name, {})}
    return report.notebook_parameters(values, where=f"parameters for report {report.name}")


def _skip_reason(spec: Report, dataset: Any) -> str:
    return "; ".join(spec.spec.missing(dataset).values())


def _task(spec: Report, params: dict[str, Any], staging: Path, config: ReviewConfig) -> ReportTask:
    return ReportTask(
        name=spec.name,
        notebook=spec.notebook,
        parameters=params,
        out_dir=staging,
        timeout=config.timeout_seconds,
        title=f"{spec.title(config.lang)} · {config.period}",
        meta=f"{t('source', config.lang)}: {redact_url(config.source)}",
        home=t("monthly_review", config.lang),
        toc_label=t("contents", config.lang),
        lang=config.lang,
        kernel=config.kernel,
    )


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """Report workers, each with its own warm kernel (started by the first report it runs)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(str(project_root()),),
    )


def _execute_summary(pool: ProcessPoolExecutor, task: ReportTask, *, progress: Progress | None) -> list[ReportOutcome]:
    try:
        return _execute(pool, [task], progress=progress)
    except BrokenProcessPool:  # a worker process died in the first round: a fresh one runs the summary
        with _worker_pool(1) as fresh:
            return _execute(fresh, [task], progress=progress)


def _execute(pool: ProcessPoolExecutor, tasks: list[ReportTask], *, progress: Progress | None) -> list[ReportOutcome]:
    outcomes = []
    futures = {pool.submit(run_report, task): task for task in tasks}
    for future in as_completed(futures):
        task = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # the worker process itself died
            outcome = ReportOutcome(task.name, "failed", error=f"worker failed: {type(exc).__name__}: {exc}")
        outcome = publish.checked(outcome, task.lang)  # a malformed finding fails its report alone
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes


def _carry_over(live: Path, staging: Path, replaced: set[str], lang: str) -> list[ReportOutcome]:
    """Copy the published reports that this run does not replace into ``staging``: each one's
    notebook, page and Excel workbook (publications made before the workbook was listed in the
    manifest name it ``<report>.xlsx``).
    """
    import json

    manifest_path = live / "manifest.json"
    if not manifest_path.exists():
        return []
    kept = []
    for entry in json.loads(manifest_path.read_text(encoding="utf-8")).get("reports", []):
        if entry["name"] in replaced:
            continue
        if "excel_file" not in entry and (live / f"{entry['name']}.xlsx").is_file():
            entry["excel_file"] = f"{entry['name']}.xlsx"
        for key in ("notebook_file", "html_file", "excel_file"):
            if entry.get(key) and (live / entry[key]).exists():
                shutil.copy2(live / entry[key], staging / entry[key])
        notebook = staging / entry["notebook_file"] if entry.get("notebook_file") else None
        payload = read_payload(notebook) if notebook and notebook.exists() and entry["status"] == "published" else {}
        fields = {
            k: entry.get(k)
            for k in ("name", "status", "seconds", "error", "notebook_file", "html_file", "html_bytes", "excel_file")
        }
        kept.append(publish.checked(ReportOutcome(**fields, payload=payload), lang))
    return kept


def _public_config(config: ReviewConfig) -> dict[str, Any]:
    data = config.model_dump(mode="json")
    data["source"] = redact_url(config.source)
    return data
