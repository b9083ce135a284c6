"""`salesops notify` against a real HTTP server on loopback: formats, dedup, retries, secrecy."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.runner.notify import DeliveryError, notify

SECRET = "k3y-Very-Secret-0042"
PERIOD = "2025-06"


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    fail_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_next > 0:
            _Hook.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Hook.received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received, _Hook.fail_next = [], 0
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key={SECRET}"
    server.shutdown()


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    findings = [
        Finding(
            "kpi_overview",
            "kpi_move",
            "high",
            "region",
            "north",
            "win_rate",
            0.2,
            0.3,
            PERIOD,
            at_stake=5000.0,
            facts={"basis": "prev", "change": -0.33},
        ),
        Finding(
            "kpi_overview",
            "kpi_move",
            "medium",
            "company",
            "company",
            "revenue",
            90.0,
            100.0,
            PERIOD,
            facts={"basis": "yoy", "change": -0.1},
        ),
        Finding("kpi_overview", "kpi_move", "low", "company", "company", "avg_deal_size", 9.0, 10.0, PERIOD),
    ]
    folder = tmp_path / PERIOD
    folder.mkdir()
    records = [{**f.to_dict(), "link": "kpi_overview.html"} for f in findings]
    (folder / "findings.json").write_text(json.dumps(records), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["generic", "wecom", "dingtalk", "slack"])
def test_new_findings_are_posted_once(hook: str, reports: Path, fmt: str) -> None:
    first = notify(reports, PERIOD, hook, fmt=fmt, lang="zh")  # type: ignore[arg-type]
    assert (first.posted, first.messages) == (2, 1)  # low severity is below the default floor
    body = _Hook.received[0]["body"]
    text = json.dumps(body, ensure_ascii=False)
    assert "赢单率" in text and "north" in text
    if fmt == "wecom":
        assert body["msgtype"] == "markdown" and "content" in body["markdown"]  # type: ignore[index]
    again = notify(reports, PERIOD, hook, fmt=fmt)  # type: ignore[arg-type]
    assert (again.posted, again.skipped_known, len(_Hook.received)) == (0, 2, 1)
    assert SECRET not in (reports / ".notify-state.json").read_text(encoding="utf-8")
    assert SECRET not in first.webhook


def test_transient_failures_are_retried(hook: str, reports: Path) -> None:
    _Hook.fail_next = 2
    result = notify(reports, PERIOD, hook, retries=3)
    assert result.posted == 2 and len(_Hook.received) == 1


def test_a_dead_webhook_fails_clearly_and_keeps_findings_for_next_time(reports: Path) -> None:
    dead = f"http://127.0.0.1:9/hook?key={SECRET}"
    with pytest.raises(DeliveryError) as info:
        notify(reports, PERIOD, dead, retries=1, timeout=1)
    assert SECRET not in info.value.render()
    assert not (reports / ".notify-state.json").exists()


@pytest.mark.slow
def test_cli_never_prints_the_secret(hook: str, reports: Path) -> None:
    script = Path(sys.executable).parent / "salesops"
    args = [str(script), "notify", "--webhook", hook, "--period", PERIOD, "--format", "wecom", "--output", str(reports)]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 new finding(s)" in done.stdout
    missing = subprocess.run([*args[:-1], str(reports / "nowhere")], capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    for output in (done.stdout + done.stderr, missing.stdout + missing.stderr):
        assert SECRET not in output


def test_alerts_name_units_as_the_published_pages_do(hook: str, tmp_path: Path) -> None:
    """Issue 21: notify worded findings by code ("southwest"); review publishes each finding's
    sentence with the run's names installed, and notify sends those words."""
    from salesops_lib.report.names import Names, run_names, use_names
    from salesops_lib.runner.execute import ReportOutcome
    from salesops_lib.runner.publish import write_findings

    finding = Finding(
        "kpi_overview", "kpi_move", "high", "region", "southwest", "win_rate", 0.2, 0.3, PERIOD, at_stake=5000.0,
        facts={"basis": "prev", "change": -0.33},
    )  # fmt: skip
    folder = tmp_path / PERIOD
    folder.mkdir()
    outcome = ReportOutcome("kpi_overview", "published", html_file="kpi_overview.html")
    outcome.payload["findings"] = [finding.to_dict()]
    before = run_names()
    use_names(Names({"region": {"southwest": "西南大区"}}))  # what review installs from the data
    try:
        write_findings(folder, [outcome])
    finally:
        use_names(before)
    notify(tmp_path, PERIOD, hook, fmt="wecom", lang="zh")
    text = json.dumps(_Hook.received[0]["body"], ensure_ascii=False)
    assert "西南大区" in text and "southwest" not in text
