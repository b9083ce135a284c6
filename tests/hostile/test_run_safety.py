"""Run safety: a slow machine, a failed run, two runs at once, a source rewritten mid-run, kill -9.

Each test runs small fixture notebooks (tests/notebooks) on a copy of the Maven example, so the
runner's own behaviour is what is measured, not the analyses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from salesops_lib.catalog import CATALOG
from salesops_lib.errors import ConfigError, PublishError
from salesops_lib.runner.config import ReviewConfig
from salesops_lib.runner.lock import period_lock
from salesops_lib.runner.review import SUMMARY_REPORT, run_review
from tests.builders import fixture_report
from tests.conftest import MAVEN_BUNDLED, MAVEN_MAPPING, ROOT, SALESOPS

pytestmark = pytest.mark.slow  # runs reviews on real kernels

PERIOD = "2017-12"


@pytest.fixture()
def fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the fixture notebooks as reports for the test."""
    for name in ("ok", "broken", "touches_source"):
        monkeypatch.setitem(CATALOG, name, fixture_report(name))


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A private copy of the Maven export (tests may rewrite it)."""
    target = tmp_path / "maven"
    shutil.copytree(MAVEN_BUNDLED, target)
    return target


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good publication of the ``ok`` fixture report; tests start from a copy of it."""
    root = tmp_path_factory.mktemp("published")
    source = root / "maven"
    shutil.copytree(MAVEN_BUNDLED, source)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(CATALOG, "ok", fixture_report("ok"))
        run = run_review(_config(source, root / "out", "ok"))
    assert run.ok and run.path == root / "out" / PERIOD
    return root / "out"


def _start_from(published: Path, out: Path) -> bytes:
    """Copy the good publication to ``out``; returns its index page's bytes."""
    shutil.copytree(published, out, ignore=shutil.ignore_patterns(".lock-*"))
    return (out / PERIOD / "index.html").read_bytes()


def _config(source: Path, out: Path, *reports: str, **extra: object) -> ReviewConfig:
    return ReviewConfig.model_validate(
        {
            "source": str(source),
            "mapping": str(MAVEN_MAPPING),
            "period": PERIOD,
            "lang": "en",
            "output_dir": str(out),
            "jobs": 1,
            "reports": reports,
            "timeout_seconds": 120,
            **extra,
        }
    )


# -- a busy machine ------------------------------------------------------------------------------

FROZEN_KERNEL = '''
"""A kernel that freezes (heartbeat included) for ~5 s right after its heartbeat started:
what a kernel start looks like on a loaded 2-core machine."""
import sys

from ipykernel.kernelapp import IPKernelApp

FREEZE = (
    "import os, signal, subprocess, time\\n"
    "subprocess.Popen(['sh', '-c', 'sleep 6; kill -CONT %d' % os.getpid()])\\n"
    "time.sleep(1.5)\\n"
    "os.kill(os.getpid(), signal.SIGSTOP)\\n"
)
app = IPKernelApp.instance()
app.exec_lines = [FREEZE]
app.initialize(sys.argv[1:])
app.start()
'''


@pytest.fixture()
def frozen_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install the freezing kernel in a private Jupyter path; returns its name."""
    launcher = tmp_path / "frozen_kernel.py"
    launcher.write_text(textwrap.dedent(FROZEN_KERNEL), encoding="utf-8")
    spec = tmp_path / "jupyter" / "kernels" / "salesops-frozen"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                "display_name": "frozen at start",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "salesops-frozen"


@pytest.mark.slow
def test_a_kernel_frozen_at_start_still_publishes(
    fixtures: None, source: Path, tmp_path: Path, frozen_kernel: str
) -> None:
    run = run_review(_config(source, tmp_path / "out", "ok", kernel=frozen_kernel))
    assert run.ok, [o.error for o in run.outcomes]
    assert (run.path / "ok.html").is_file()


# -- a failed run never replaces a good publication -----------------------------------------------


def test_a_failed_run_keeps_the_good_publication(fixtures: None, source: Path, tmp_path: Path, published: Path) -> None:
    out = tmp_path / "out"
    _start_from(published, out)
    before = {p.name: p.read_bytes() for p in (out / PERIOD).iterdir()}

    bad = run_review(_config(source, out, "broken"))
    assert bad.kept_previous and not bad.ok
    assert "1 report(s) published" in bad.kept_previous and "0 report(s)" in bad.kept_previous
    assert {p.name: p.read_bytes() for p in (out / PERIOD).iterdir()} == before  # byte-identical
    assert bad.path == out / f".rejected-{PERIOD}" and (bad.path / "index.html").is_file()
    assert f'href="{PERIOD}/index.html"' in (out / "index.html").read_text(encoding="utf-8")

    forced = run_review(_config(source, out, "broken"), force=True)
    assert not forced.kept_previous and forced.path == out / PERIOD
    manifest = json.loads((out / PERIOD / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["reports"]] == ["failed"]


def test_the_summary_still_runs_when_a_worker_process_died(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report that kills its worker process (not only its kernel) breaks that worker pool; the
    executive summary, which runs after the others, gets a fresh worker."""
    for name, notebook in (("kills_worker", "kills_worker"), (SUMMARY_REPORT, "ok")):
        monkeypatch.setitem(CATALOG, name, fixture_report(name, notebook))
    run = run_review(_config(source, tmp_path / "out", "kills_worker", SUMMARY_REPORT))
    status = {o.name: o for o in run.outcomes}
    assert status["kills_worker"].status == "failed" and "worker failed" in status["kills_worker"].error
    assert status[SUMMARY_REPORT].status == "published", status[SUMMARY_REPORT].error


def test_a_more_complete_run_replaces_the_publication(fixtures: None, source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_review(_config(source, out, "broken"))
    better = run_review(_config(source, out, "ok", "broken"))
    assert not better.kept_previous and better.path == out / PERIOD


def test_cli_says_the_previous_publication_stays(fixtures: None, source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / PERIOD).mkdir(parents=True)
    manifest = {"reports": [{"name": n, "status": "published"} for n in ("kpi_overview", "monthly_review")]}
    (out / PERIOD / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / PERIOD / "index.html").write_text("the good one", encoding="utf-8")
    # the export has no expenses: the expense analysis is skipped, so this run publishes nothing
    cli = subprocess.run(
        [
            str(SALESOPS),
            "review",
            "--source",
            str(source),
            "--mapping",
            str(MAVEN_MAPPING),
            "--period",
            PERIOD,
            "--output",
            str(out),
            "--reports",
            "expense_roi",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert cli.returncode == 1, cli.stderr
    assert "previous publication stays" in cli.stderr and "--force" in cli.stderr and "Traceback" not in cli.stderr
    assert (out / PERIOD / "index.html").read_text(encoding="utf-8") == "the good one"


# -- one run per period ---------------------------------------------------------------------------


def test_a_second_run_of_the_same_period_is_refused(fixtures: None, source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from salesops_lib.runner.lock import period_lock\n"
            f"with period_lock(Path({str(out)!r}), {PERIOD!r}):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PublishError, match=f"another run of period {PERIOD} is in progress .pid {holder.pid}"):
            run_review(_config(source, out, "ok"))
        assert not list(out.glob(".staging-*"))
    finally:
        holder.kill()
        holder.wait()
    assert run_review(_config(source, out, "ok")).ok  # the lock dies with its holder (even kill -9)


def test_another_period_is_not_blocked(tmp_path: Path) -> None:
    with period_lock(tmp_path, "2017-11"), period_lock(tmp_path, "2017-12"):
        pass


# -- the source must not change under the run -----------------------------------------------------


def test_a_source_rewritten_mid_run_is_not_published(
    fixtures: None, source: Path, tmp_path: Path, published: Path
) -> None:
    out = tmp_path / "out"
    before = _start_from(published, out)
    with pytest.raises(PublishError, match="source changed while the reports ran"):
        run_review(_config(source, out, "touches_source"))
    assert (out / PERIOD / "index.html").read_bytes() == before
    assert not list(out.glob(".staging-*"))


# -- periods and regions the data do not have -----------------------------------------------------


@pytest.mark.parametrize("period", ["2019-03", "2015-01"])
def test_a_period_without_data_is_refused_before_running(
    fixtures: None, source: Path, tmp_path: Path, period: str
) -> None:
    with pytest.raises(ConfigError, match=f"no data for period {period}") as info:
        run_review(_config(source, tmp_path / "out", "ok", period=period))
    assert "2016-10" in str(info.value) and "2017-12" in str(info.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_unknown_region_is_refused(fixtures: None, source: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown region 'Atlantis'") as info:
        run_review(_config(source, tmp_path / "out", "ok", region="Atlantis"))
    assert "Central" in str(info.value)


# -- unwritable output -----------------------------------------------------------------------------


def test_a_full_disk_is_a_message_and_keeps_the_publication(
    fixtures: None, source: Path, tmp_path: Path, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up while the run writes its last files (simulated: as root a real full
    disk cannot be made here)."""
    import errno

    from salesops_lib.runner import publish

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "manifest.json"))

    out = tmp_path / "out"
    before = _start_from(published, out)
    monkeypatch.setattr(publish, "write_manifest", full)
    with pytest.raises(PublishError, match="No space left on device") as info:
        run_review(_config(source, out, "ok"))
    assert "free disk space" in str(info.value) and "previous publication is untouched" in str(info.value)
    assert not list(out.glob(".staging-*"))
    assert (out / PERIOD / "index.html").read_bytes() == before


@pytest.mark.parametrize(
    ("code", "text", "fix"),
    [
        ("EROFS", "Read-only file system", "read-only"),
        ("EACCES", "Permission denied", "not writable"),
    ],
)
def test_a_read_only_or_forbidden_output_folder_is_a_message(
    fixtures: None, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, text: str, fix: str
) -> None:
    """The output folder refuses the run's first write (simulated: root may write anywhere)."""
    import errno

    from salesops_lib.runner import publish

    def refused(root: Path, _period: str) -> Path:
        raise OSError(getattr(errno, code), text, str(root))

    monkeypatch.setattr(publish, "staging_dir", refused)
    with pytest.raises(PublishError, match=text) as info:
        run_review(_config(source, tmp_path / "out", "ok"))
    assert fix in str(info.value) and str(tmp_path / "out") in str(info.value)


# -- kill -9 leaves nothing behind ----------------------------------------------------------------


def _tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.fixture()
def review_process(source: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [
            str(SALESOPS),
            "review",
            "--source",
            str(source),
            "--mapping",
            str(MAVEN_MAPPING),
            "--period",
            PERIOD,
            "--output",
            str(tmp_path / "out"),
            "--reports",
            "kpi_overview,team_efficiency",
            "--jobs",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.slow
def test_kill_9_of_the_run_leaves_no_workers_or_kernels(review_process: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 120
    kernels: list[psutil.Process] = []
    while time.time() < deadline and not kernels:
        tree = _tree(review_process.pid)
        kernels = [p for p in tree if "ipykernel" in " ".join(_cmdline(p))]
        time.sleep(0.2)
    assert kernels, "no kernel started within 120 s"
    tree = _tree(review_process.pid)
    os.kill(review_process.pid, signal.SIGKILL)
    review_process.wait()
    _gone, alive = psutil.wait_procs(tree, timeout=15)
    assert not alive, [(p.pid, _cmdline(p)[:3]) for p in alive]


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []
