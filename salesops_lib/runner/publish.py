"""Publishing a period: index page, manifest, findings, and the atomic swap into ``reports/``.

A run builds everything in ``reports/.staging-<period>-<pid>/`` and only then swaps it in:
the previous publication is renamed aside, the new one renamed into place, the old one
removed. A run that fails or is killed before the swap leaves the previous publication
untouched; a stale staging folder is cleaned by the next run, and a swap interrupted between
its two renames is repaired by it.

A finished run replaces the period's publication only when it is at least as complete (see
:class:`Completeness`); otherwise it is set aside in ``reports/.rejected-<period>/`` and the
good publication stays.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from salesops_lib.analyses.findings import SEVERITY_RANK, Finding, distinct, rank
from salesops_lib.catalog import CATALOG
from salesops_lib.core.atomic import recover_swap, swap_folder, write_text_atomic
from salesops_lib.errors import PublishError
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.html import TILE_CSS, findings_html, tiles_html
from salesops_lib.report.i18n import LANGUAGES, t
from salesops_lib.runner.execute import ReportOutcome
from salesops_lib.runner.html_export import PAGE_CSS, TEMPLATES, with_embedded_font

log = logging.getLogger(__name__)
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
HEADLINE_FINDINGS = 10


def staging_dir(root: Path, period: str) -> Path:
    """A fresh staging folder for ``period`` (stale ones of dead runs are removed first)."""
    root.mkdir(parents=True, exist_ok=True)
    recover(root, period)
    for stale in root.glob(f".staging-{period}-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    path = root / f".staging-{period}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


def recover(root: Path, period: str) -> None:
    """Finish or undo a swap that was interrupted between its two renames."""
    recover_swap(root / period, root / f".old-{period}")


def swap_in(staging: Path, root: Path, period: str) -> Path:
    """Make ``staging`` the publication of ``period``; returns its final path."""
    return swap_folder(staging, root / period, root / f".old-{period}")


@dataclass(frozen=True)
class Completeness:
    """How complete a publication is: whether its summary report published, and how many did."""

    summary: bool
    published: int

    def at_least(self, other: Completeness) -> bool:
        """True when this publication loses nothing ``other`` had: as many pages, and the summary
        if ``other`` had it.
        """
        return self.published >= other.published and (self.summary or not other.summary)

    def describe(self) -> str:
        """The completeness in words, e.g. ``5 report(s) published, with the summary``."""
        return f"{self.published} report(s) published" + (", with the summary" if self.summary else ", no summary")


def completeness_of(outcomes: list[ReportOutcome], summary: str) -> Completeness:
    """The completeness of a run's outcomes (``summary`` is the name of the summary report)."""
    published = {o.name for o in outcomes if o.status == "published"}
    return Completeness(summary in published, len(published))


def published_completeness(root: Path, period: str, summary: str) -> Completeness | None:
    """The completeness of the live publication of ``period`` (None when there is none)."""
    path = root / period / "manifest.json"
    if not path.is_file():
        return None
    try:
        reports = json.loads(path.read_text(encoding="utf-8")).get("reports", [])
        published = {r["name"] for r in reports if r.get("status") == "published"}
    except (ValueError, KeyError, TypeError, AttributeError):
        return Completeness(False, 0)  # an unreadable manifest is not a good publication to keep
    return Completeness(summary in published, len(published))


def set_aside(staging: Path, root: Path, period: str) -> Path:
    """Keep a run that must not replace the publication in ``.rejected-<period>/`` (the latest one)."""
    target = root / f".rejected-{period}"
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


@contextmanager
def output_errors(root: Path) -> Iterator[None]:
    """Turn a full disk, a read-only or forbidden output folder into a :class:`PublishError`."""
    try:
        yield
    except OSError as exc:
        fixes = {
            errno.ENOSPC: "free disk space (or choose another --output folder) and run again",
            errno.EDQUOT: "free disk space (or choose another --output folder) and run again",
            errno.EROFS: "the folder is read-only: choose another --output folder",
            errno.EACCES: "the folder is not writable for this user: fix its permissions or choose another --output",
            errno.EPERM: "the folder is not writable for this user: fix its permissions or choose another --output",
        }
        if exc.errno not in fixes:
            raise
        raise PublishError(
            f"cannot write the reports: {exc.strerror}",
            where=str(exc.filename or root),
            fix=fixes[exc.errno] + "; the previous publication is untouched",
        ) from None


def checked(outcome: ReportOutcome, lang: str) -> ReportOutcome:
    """``outcome``, failed instead of published when a finding it hands over cannot be read,
    ranked or worded in ``lang``: the report fails alone, with the finding named, and never stops
    the publication of the others (missing facts are not malformed: they print as dashes).
    """
    if outcome.status != "published":
        return outcome
    for raw in outcome.payload.get("findings", []):
        try:
            finding = Finding.from_dict(raw)
            if finding.severity not in SEVERITY_RANK:
                raise ValueError(f"unknown severity {finding.severity!r}")
            rank([finding])
            finding_text(finding, lang)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            kind = raw.get("kind", "?") if isinstance(raw, dict) else "?"
            error = (
                f"a finding of kind {kind!r} cannot be published ({type(exc).__name__}: {exc}); its page was withheld"
            )
            log.warning("report %s: %s", outcome.name, error)
            return replace(outcome, status="failed", error=error, html_file=None, html_bytes=0, payload={})
    return outcome


def findings_of(outcomes: list[ReportOutcome]) -> list[Finding]:
    """Every finding the published reports handed over."""
    out = []
    for outcome in outcomes:
        for raw in outcome.payload.get("findings", []):
            out.append(Finding.from_dict(raw))
    return out


def write_findings(staging: Path, outcomes: list[ReportOutcome]) -> list[Finding]:
    """``findings.json``: the findings, one per subject (:func:`~salesops_lib.analyses.findings.distinct`:
    the index and the monthly review list the same ones), each with its id, a link to its report page
    and its sentence in zh and en worded with the run's names installed (``salesops notify`` sends
    these words: it runs without the data, and says what the pages say).
    """
    findings = distinct(findings_of(outcomes))
    pages = {o.name: o.html_file for o in outcomes}
    records = [
        {
            **f.to_dict(),
            "link": pages.get(f.analysis) or "",
            "text": _texts(f),
        }
        for f in findings
    ]
    (staging / "findings.json").write_text(json.dumps(records, ensure_ascii=False, indent=2, default=str), "utf-8")
    return findings


def _texts(finding: Finding) -> dict[str, str]:
    """``finding``'s sentence per language; a language its template cannot word is left out
    (:func:`checked` vouches for the run's language only; notify then words it by code).
    """
    texts = {}
    for lang in LANGUAGES:
        try:
            texts[lang] = finding_text(finding, lang)
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
    return texts


def write_manifest(
    staging: Path,
    *,
    config: dict[str, Any],
    fingerprint: str,
    outcomes: list[ReportOutcome],
    started: dt.datetime,
    seconds: float,
    data_warnings: list[str] | None = None,
) -> dict[str, Any]:
    """``manifest.json``: parameters, source fingerprint, data warnings, package versions, timings, statuses."""
    manifest = {
        "period": config["period"],
        "generated_at": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "parameters": config,
        "source_fingerprint": fingerprint,
        "data_warnings": data_warnings or [],
        "packages": package_versions(),
        "reports": [
            {k: v for k, v in asdict(o).items() if k != "payload"} | {"findings": len(o.payload.get("findings", []))}
            for o in outcomes
        ],
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), "utf-8")
    return manifest


def _degraded_note(payload: dict[str, Any], lang: str) -> str:
    """What a published report left out (its sections without data), for the index; "" if nothing."""
    skipped = payload.get("skipped_sections") or {}
    if not skipped:
        return ""
    return f"{t('skipped_sections_index', lang)}: " + "; ".join(
        f"{label} ({t('needs_tables', lang).format(tables=', '.join(tables))})" for label, tables in skipped.items()
    )


def write_index(
    staging: Path,
    *,
    period: str,
    lang: str,
    source: str,
    outcomes: list[ReportOutcome],
    findings: list[Finding],
    generated: str,
    data_warnings: list[str] | None = None,
) -> None:
    """The period's ``index.html``: KPI tiles, the source's data-quality warnings, headline
    findings, every report with its status.
    """
    import pandas as pd

    summary = next((o for o in outcomes if o.payload.get("summary") and o.status == "published"), None)
    tiles = summary.payload.get("tiles") if summary else None
    tiles = tiles or next((o.payload.get("tiles") for o in outcomes if o.payload.get("tiles")), None)
    rows = [
        {
            **asdict(o),
            "title": CATALOG[o.name].title(lang) if o.name in CATALOG else o.name,
            "status_label": t(o.status, lang),
            "degraded": _degraded_note(o.payload, lang),
        }
        for o in outcomes
    ]
    page = _env.get_template("review_index.html.j2").render(
        lang=lang,
        title=f"{t('monthly_review', lang)} · {period}",
        meta=f"{t('source', lang)}: {source} · {t('generated', lang)}: {generated}",
        css=PAGE_CSS,
        tile_css=TILE_CSS,
        tiles_html=_markup(tiles_html(pd.DataFrame(tiles), lang)) if tiles else "",
        findings_html=_markup(findings_html(findings, lang, limit=HEADLINE_FINDINGS)),
        reports=rows,
        summary_link=summary.html_file if summary else "",
        summary_title=CATALOG[summary.name].title(lang) if summary and summary.name in CATALOG else "",
        periods_label=t("periods", lang),
        findings_label=t("findings", lang),
        reports_label=t("report", lang),
        report_label=t("report", lang),
        status_label=t("status", lang),
        seconds_label=t("seconds", lang),
        reason_label=t("reason", lang),
        audit_label=t("audit_log", lang),
        data_warnings=data_warnings or [],
        data_quality_label=t("data_quality", lang),
    )
    (staging / "index.html").write_text(with_embedded_font(page), encoding="utf-8")


def write_periods_index(root: Path, lang: str) -> None:
    """``reports/index.html``: every published period, newest first."""
    periods = []
    for manifest_path in sorted(root.glob("*/manifest.json"), reverse=True):
        if manifest_path.parent.name.startswith("."):
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        counts: dict[str, int] = {}
        for report in manifest.get("reports", []):
            counts[report["status"]] = counts.get(report["status"], 0) + 1
        summary = ", ".join(f"{t(k, lang)} {v}" for k, v in sorted(counts.items()))
        periods.append(
            {"period": manifest_path.parent.name, "summary": summary, "generated": manifest.get("generated_at", "")}
        )
    page = _env.get_template("periods_index.html.j2").render(
        lang=lang,
        title=t("periods", lang),
        css=PAGE_CSS,
        periods=periods,
        period_label=t("periods", lang),
        status_label=t("status", lang),
        generated_label=t("generated", lang),
    )
    write_text_atomic(root / "index.html", with_embedded_font(page))


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the numbers and the pages."""
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "salesops-workbench",
        "pandas",
        "numpy",
        "ibis-framework",
        "duckdb",
        "sqlglot",
        "statsmodels",
        "seaborn",
        "matplotlib",
        "papermill",
        "nbconvert",
        "pandera",
        "pydantic",
    ]
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    import platform

    out["python"] = platform.python_version()
    return out


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)  # noqa: S704 - built by salesops_lib.report.html, which escapes every data value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
