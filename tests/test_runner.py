"""The runner: failure isolation, atomic publishing, offline HTML, languages, escaping, secrets."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salesops_lib.catalog import CATALOG, Report
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.review import ReviewRun, run_review
from tests.builders import fixture_report
from tests.conftest import MAVEN_MAPPING, ROOT

pytestmark = pytest.mark.slow  # runs reports on real kernels

PERIOD = "2017-12"


def _fixture(name: str) -> Report:
    return fixture_report(name)


def _maven_config(out: Path, **extra: object) -> ReviewConfig:
    values = {
        "source": str(ROOT / "examples" / "maven_crm"),
        "mapping": str(MAVEN_MAPPING),
        "period": PERIOD,
        "lang": "en",
        "output_dir": str(out),
        "jobs": 2,
        **extra,
    }
    return ReviewConfig.model_validate(values)


@pytest.fixture(scope="module")
def isolated_run(tmp_path_factory: pytest.TempPathFactory) -> ReviewRun:
    """One review with the KPI overview and two broken fixture reports (fails, dies).

    The time-out is generous: on a loaded machine the KPI overview alone may take a minute, and
    the test is about isolation, not speed (the time-out has its own test).
    """
    out = tmp_path_factory.mktemp("published")
    patch = pytest.MonkeyPatch()
    for name in ("broken", "dies"):
        patch.setitem(CATALOG, name, _fixture(name))
    try:
        return run_review(_maven_config(out, timeout_seconds=900, reports=("kpi_overview", "broken", "dies")))
    finally:
        patch.undo()


def test_failures_are_isolated_and_reported(isolated_run: ReviewRun) -> None:
    status = {o.name: o for o in isolated_run.outcomes}
    assert status["kpi_overview"].status == "published"
    assert status["broken"].status == "failed" and "ZeroDivisionError" in status["broken"].error
    assert status["dies"].status == "failed"
    assert not isolated_run.ok
    index = (isolated_run.path / "index.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in index and 'href="broken.ipynb"' in index and 'href="kpi_overview.html"' in index
    manifest = json.loads((isolated_run.path / "manifest.json").read_text(encoding="utf-8"))
    assert {r["name"]: r["status"] for r in manifest["reports"]}["broken"] == "failed"
    assert manifest["source_fingerprint"] and manifest["packages"]["pandas"]
    executed = json.loads((isolated_run.path / "broken.ipynb").read_text(encoding="utf-8"))
    assert any("about to fail" in "".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))


def test_a_report_past_its_time_out_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOG, "hang", _fixture("hang"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # where the workers put their kernels' sockets
    run = run_review(_maven_config(tmp_path / "out", timeout_seconds=5, reports=("hang",)))
    (outcome,) = run.outcomes
    assert outcome.status == "failed" and "timed out after 5 s" in outcome.error
    assert not list((tmp_path / "tmp").glob("salesops-kernel-*"))  # the stopped kernel left nothing behind


def test_report_page_is_offline_small_and_without_code(isolated_run: ReviewRun) -> None:
    page = (isolated_run.path / "kpi_overview.html").read_text(encoding="utf-8")
    assert len(page.encode()) <= 3 * 1024 * 1024
    assert not re.search(r"<script[^>]+src=", page, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", page, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:|//)", page, re.I)
    assert all(src.startswith("data:") for src in re.findall(r"url\(\s*[\"']?([^\"')]+)", page))
    assert "data:image/png;base64" in page
    assert "start_report(" not in page and "In&nbsp;[" not in page and "jp-InputArea" not in page.split("</style>")[-1]
    assert "application/vnd.salesops" not in page
    assert 'class="so-toc"' in page and "Regions this month" in page


def test_findings_and_periods_index(isolated_run: ReviewRun) -> None:
    findings = json.loads((isolated_run.path / "findings.json").read_text(encoding="utf-8"))
    assert all({"id", "analysis", "severity", "metric", "value", "baseline", "link"} <= set(f) for f in findings)
    root_index = (isolated_run.path.parent / "index.html").read_text(encoding="utf-8")
    assert f'href="{PERIOD}/index.html"' in root_index


def test_rerun_of_a_single_report_keeps_the_others_and_speaks_chinese(isolated_run: ReviewRun, tmp_path: Path) -> None:
    before = {o.name for o in isolated_run.outcomes}
    shutil.copytree(isolated_run.path.parent, tmp_path / "out", ignore=shutil.ignore_patterns(".lock-*"))
    again = run_review(_maven_config(tmp_path / "out", lang="zh", reports=("kpi_overview",)), merge=True)
    assert {o.name for o in again.outcomes} == before
    assert (again.path / "broken.ipynb").exists()
    page = (again.path / "kpi_overview.html").read_text(encoding="utf-8")
    for label in ("核心指标总览", "赢单率", "环比", "同比", "各大区本月表现", "目录"):
        assert label in page
    index = (again.path / "index.html").read_text(encoding="utf-8")
    assert "月度经营回顾" in index and "已发布" in index


def test_interrupted_run_leaves_the_previous_publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    previous = tmp_path / PERIOD
    previous.mkdir()
    (previous / "index.html").write_text("previous publication", encoding="utf-8")
    script = Path(sys.executable).parent / "salesops"
    proc = subprocess.Popen(
        [
            str(script),
            "review",
            "--source",
            str(ROOT / "examples" / "maven_crm"),
            "--mapping",
            str(MAVEN_MAPPING),
            "--period",
            PERIOD,
            "--output",
            str(tmp_path),
            "--reports",
            "kpi_overview",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(f".staging-{PERIOD}-*/*.ipynb")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous publication"
    assert sorted(p.name for p in previous.iterdir()) == ["index.html"]
    # the next run cleans the dead run's staging folder and publishes
    monkeypatch.setitem(CATALOG, "ok", _fixture("ok"))
    run = run_review(_maven_config(tmp_path, reports=("ok",)))
    assert run.ok and not list(tmp_path.glob(".staging-*"))
    assert "previous publication" not in (run.path / "index.html").read_text(encoding="utf-8")


def test_names_from_data_are_escaped_in_published_pages(tmp_path: Path) -> None:
    import datetime as dt

    import pandas as pd

    from tests.builders import dataset_from_frames, reps_frame

    script, img = "<script>alert('x')</script>", "<img src=x onerror=alert(1)>"
    reps = reps_frame([("r1", img, script), ("r2", "t2", "north")])
    opps = pd.DataFrame(
        {
            "opp_id": ["o1", "o2", "o3"],
            "rep_id": ["r1", "r2", "r1"],
            "customer_id": [script, img, None],
            "status": ["won", "lost", "won"],
            "amount": [10.0, 5.0, 7.0],
            "created_at": [dt.date(2024, 1, 2)] * 3,
            "closed_at": [dt.date(2024, 1, 20)] * 3,
        }
    )
    dataset_from_frames(tmp_path / "src", {"reps": reps, "opportunities": opps})
    config = ReviewConfig(
        source=str(tmp_path / "src"),
        period="2024-01",
        lang="en",
        output_dir=str(tmp_path / "out"),
        reports=("kpi_overview",),
        jobs=1,
    )
    run = run_review(config)
    assert run.ok, [o.error for o in run.outcomes]
    for page in ("kpi_overview.html", "index.html"):
        text = (run.path / page).read_text(encoding="utf-8")
        assert script not in text and img not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(" in (run.path / "kpi_overview.html").read_text(encoding="utf-8")


def test_findings_json_follows_the_documented_schema(isolated_run: ReviewRun) -> None:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "findings.schema.json").read_text(encoding="utf-8"))
    records = json.loads((isolated_run.path / "findings.json").read_text(encoding="utf-8"))
    jsonschema.validate(records, schema)


def test_report_tables_download_as_excel(isolated_run: ReviewRun) -> None:
    from openpyxl import load_workbook

    page = (isolated_run.path / "kpi_overview.html").read_text(encoding="utf-8")
    assert 'href="kpi_overview.xlsx"' in page
    book = load_workbook(isolated_run.path / "kpi_overview.xlsx")
    sheet = book[book.sheetnames[0]]
    assert "Regions" in sheet.title
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert any(isinstance(v, float) for v in values) and "Win rate" in values


def test_a_malformed_finding_fails_its_report_alone_and_missing_facts_print_as_dashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: one report's NaN/None facts or malformed finding aborted the whole publication
    with a traceback; now the malformed report fails alone, named on the index, and the others publish."""
    for name in ("bad_finding", "missing_facts", "ok"):
        monkeypatch.setitem(CATALOG, name, _fixture(name))
    run = run_review(_maven_config(tmp_path, reports=("bad_finding", "missing_facts", "ok")))
    status = {o.name: o for o in run.outcomes}
    assert status["ok"].status == "published" and status["missing_facts"].status == "published"
    assert status["bad_finding"].status == "failed" and "'outlook' cannot be published" in status["bad_finding"].error
    index = (run.path / "index.html").read_text(encoding="utf-8")
    assert "cannot be published" in index and "north" in index  # the failure, and the finding in words
    text = re.sub(r"<style.*?</style>|<script.*?</script>|<[^>]+>", " ", index, flags=re.S)
    assert not re.search(r"\b(nan|NaN|None|inf|Traceback)\b", text), text
    findings = json.loads((run.path / "findings.json").read_text(encoding="utf-8"))
    assert [f["analysis"] for f in findings] == ["forecast"] and findings[0]["at_stake"] is None


def test_running_one_report_keeps_the_other_reports_excel_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: ``salesops run REPORT`` carried the other reports' notebooks and pages over but
    not their ``.xlsx``, so their download links went dead."""
    for name in ("ok", "table"):
        monkeypatch.setitem(CATALOG, name, _fixture(name))
    first = run_review(_maven_config(tmp_path, reports=("ok", "table")))
    assert (first.path / "table.xlsx").is_file()
    again = run_review(_maven_config(tmp_path, reports=("ok",)), merge=True)
    assert (again.path / "table.xlsx").is_file()
    page = (again.path / "table.html").read_text(encoding="utf-8")
    assert 'href="table.xlsx"' in page
    manifest = json.loads((again.path / "manifest.json").read_text(encoding="utf-8"))
    assert {r["name"]: r["excel_file"] for r in manifest["reports"]}["table"] == "table.xlsx"


def test_a_publication_older_than_the_listed_workbook_keeps_its_excel_on_a_single_run(tmp_path: Path) -> None:
    """A manifest written before ``excel_file`` existed: the workbook ``<report>.xlsx`` is carried over."""
    from salesops_lib.runner.review import _carry_over

    live, staging = tmp_path / "live", tmp_path / "staging"
    live.mkdir(), staging.mkdir()
    reports = []
    for name in ("forecast", "funnel_diagnosis", "kpi_overview"):
        for suffix in ("html", "xlsx"):
            (live / f"{name}.{suffix}").write_text(name, encoding="utf-8")
        reports.append(
            {
                "name": name,
                "status": "published",
                "seconds": 1.0,
                "error": "",
                "notebook_file": None,
                "html_file": f"{name}.html",
                "html_bytes": 4,
            }
        )
    (live / "manifest.json").write_text(json.dumps({"reports": reports}), encoding="utf-8")
    kept = _carry_over(live, staging, {"kpi_overview"}, "en")
    assert sorted(p.name for p in staging.glob("*.xlsx")) == ["forecast.xlsx", "funnel_diagnosis.xlsx"]
    assert {o.name: o.excel_file for o in kept} == {
        "forecast": "forecast.xlsx",
        "funnel_diagnosis": "funnel_diagnosis.xlsx",
    }
