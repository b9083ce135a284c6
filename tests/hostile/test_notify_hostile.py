"""`salesops notify` under attack: redirects, mentions and links in names, a corrupt state file.

Every server is a real HTTP server on 127.0.0.1 (loopback only).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from salesops_lib.analyses.findings import Finding
from salesops_lib.errors import ConfigError, SalesOpsError
from salesops_lib.runner.notify import STATE_FILE, DeliveryError, NotifyStateError, escape_text, notify
from tests.conftest import SALESOPS

SECRET = "k3y-Very-Secret-0042"
PERIOD = "2025-06"

HOSTILE_NAMES = [
    "<!channel>",
    "<@U123>",
    "<http://evil|click>",
    "@all",
    "@13800000000",
    "[x](http://evil)",
    "![img](http://evil/a.png)",
    "*bold* _it_ `code` ~s~",
    "line\n# heading\n> quote",
    "R&D <b>",
]


class _Server:
    """A loopback HTTP server that records every request and answers with ``status`` (+ headers)."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        self.status, self.headers = status, headers or {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append((self.command, self.path, self.rfile.read(length)))
                self.send_response(owner.status)
                for name, value in owner.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_HEAD = _answer  # noqa: N815 (http.server API)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = f"/cgi-bin/webhook/send?key={SECRET}") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(body) for method, _, body in self.requests if method == "POST"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    made: list[_Server] = []
    yield made
    for server in made:
        server.close()


def _publish(folder: Path, units: list[str]) -> Path:
    findings = [
        Finding(
            "kpi_overview",
            "kpi_move",
            "high",
            "region",
            unit,
            "win_rate",
            0.2,
            0.3,
            PERIOD,
            at_stake=5000.0,
            facts={"basis": "prev", "change": -0.33},
        )
        for unit in units
    ]
    (folder / PERIOD).mkdir(parents=True)
    records = [{**f.to_dict(), "link": "kpi_overview.html"} for f in findings]
    (folder / PERIOD / "findings.json").write_text(json.dumps(records), encoding="utf-8")
    return folder


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    return _publish(tmp_path, ["north", "south"])


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_nothing_is_marked_delivered(
    servers: list[_Server], reports: Path, status: int
) -> None:
    elsewhere = _Server()
    servers.append(elsewhere)
    hook = _Server(status, {"Location": elsewhere.url(f"/collect?stolen={SECRET}")})
    servers.append(hook)
    with pytest.raises(DeliveryError) as info:
        notify(reports, PERIOD, hook.url(), fmt="wecom", retries=2, timeout=5)
    message = info.value.render()
    assert "redirect" in message and f"HTTP {status}" in message
    assert f"127.0.0.1:{hook.port}" in message and f"127.0.0.1:{elsewhere.port}" in message
    assert SECRET not in message and "key=" not in message and "stolen" not in message
    assert "--webhook" in (info.value.fix or "")
    assert elsewhere.requests == []  # the redirect target never heard of us
    assert len(hook.requests) == 1  # a redirect is an answer, not a transient failure: no retry
    assert not (reports / STATE_FILE).exists()  # nothing marked delivered


def test_after_a_redirect_the_findings_are_posted_next_time(servers: list[_Server], reports: Path) -> None:
    hook = _Server(302, {"Location": "https://elsewhere.invalid/"})
    servers.append(hook)
    with pytest.raises(DeliveryError):
        notify(reports, PERIOD, hook.url(), retries=0)
    hook.status, hook.headers = 200, {}
    result = notify(reports, PERIOD, hook.url(), retries=0)
    assert result.posted == 2 and len(hook.bodies()) == 2


@pytest.mark.slow
def test_cli_reports_a_redirect_without_traceback_or_secret(servers: list[_Server], reports: Path) -> None:
    elsewhere = _Server()
    servers.append(elsewhere)
    hook = _Server(302, {"Location": elsewhere.url(f"/x?token={SECRET}")})
    servers.append(hook)
    done = subprocess.run(
        [str(SALESOPS), "notify", "--webhook", hook.url(), "--period", PERIOD, "--output", str(reports)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output
    assert "redirect" in output and SECRET not in output
    assert elsewhere.requests == [] and not (reports / STATE_FILE).exists()


# --------------------------------------------------------------------------- escaping


def _posted_text(server: _Server, fmt: str) -> str:
    body = server.bodies()[-1]
    if fmt == "wecom":
        return str(body["markdown"]["content"])  # type: ignore[index]
    if fmt == "dingtalk":
        return str(body["markdown"]["text"])  # type: ignore[index]
    return str(body["text"])


def test_slack_gets_mentions_and_links_escaped(servers: list[_Server], tmp_path: Path) -> None:
    hook = _Server()
    servers.append(hook)
    notify(_publish(tmp_path, HOSTILE_NAMES), PERIOD, hook.url(), fmt="slack", lang="en", retries=0)
    text = _posted_text(hook, "slack")
    for raw in ("<!channel>", "<@U123>", "<http://evil|click>", "<b>", "@all", "@138"):
        assert raw not in text, raw
    assert "&lt;!channel&gt;" in text and "&lt;http://evil|click&gt;" in text and "R&amp;D" in text
    assert text.count("&") == text.count("&amp;") + text.count("&lt;") + text.count("&gt;")
    assert "<" not in text and ">" not in text
    first, *lines = text.split("\n")
    assert first.startswith("*Sales findings") and first.endswith("*")  # the code's own markup stays
    assert len(lines) == len(HOSTILE_NAMES) and all(line.startswith("- [high] ") for line in lines)


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
def test_markdown_targets_get_mentions_links_and_emphasis_neutralised(
    servers: list[_Server], tmp_path: Path, fmt: str
) -> None:
    hook = _Server()
    servers.append(hook)
    notify(_publish(tmp_path, HOSTILE_NAMES), PERIOD, hook.url(), fmt=fmt, lang="zh", retries=0)  # type: ignore[arg-type]
    text = _posted_text(hook, fmt)
    first, *lines = text.split("\n")
    assert first.startswith("**" if fmt == "wecom" else "### ")  # the code's own markup stays
    assert len(lines) == len(HOSTILE_NAMES)  # names with line breaks stay on their line
    for line in lines:
        assert line.startswith("- 【高】")  # the zh severity word, not the code
        data = line.removeprefix("- 【高】")
        for mark in ("@", "[", "]", "(", ")", "*", "_", "`", "#", "<", ">", "~"):
            assert mark not in data.removesuffix(" (kpi＿overview.html)"), (mark, line)
    assert "＠all" in text and "＠13800000000" in text and "［x］（http://evil）" in text


def test_generic_json_keeps_the_names_as_they_are(servers: list[_Server], tmp_path: Path) -> None:
    hook = _Server()
    servers.append(hook)
    notify(_publish(tmp_path, ["<!channel>", "@all"]), PERIOD, hook.url(), lang="en", retries=0)
    body = hook.bodies()[0]
    assert {f["unit"] for f in body["findings"]} == {"<!channel>", "@all"}  # type: ignore[union-attr]
    assert any("<!channel>" in line for line in body["text"])  # type: ignore[union-attr]


def test_escape_text_by_format() -> None:
    assert escape_text("<@U1> & @here", "slack") == "&lt;@\u2060U1&gt; &amp; @\u2060here"
    assert escape_text("[a](b) *c* _d_ `e` #f <g> @h", "dingtalk") == "［a］（b） ＊c＊ ＿d＿ ｀e｀ ＃f ＜g＞ ＠h"
    assert escape_text("a\r\n# b", "wecom") == "a ＃ b"
    assert escape_text("plain 12.5%", "slack") == "plain 12.5%"  # ordinary text is untouched
    assert escape_text("<x>\n", "generic") == "<x>\n"


# --------------------------------------------------------------------------- state and findings files


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00",
        b"[]",
        b'"text"',
        b'{"abc": []}',
        b'{"abc": {"2025-06": "id1"}}',
        b'{"abc": {"2025-06": [1, 2]}}',
        b"[" * 100_000,
    ],
)
def test_a_corrupt_state_file_is_a_clear_error(servers: list[_Server], reports: Path, content: bytes) -> None:
    hook = _Server()
    servers.append(hook)
    (reports / STATE_FILE).write_bytes(content)
    with pytest.raises(NotifyStateError) as info:
        notify(reports, PERIOD, hook.url(), retries=0)
    assert isinstance(info.value, SalesOpsError)
    assert info.value.where == str(reports / STATE_FILE)
    assert "delete" in (info.value.fix or "") and STATE_FILE in (info.value.fix or "")
    assert hook.requests == []  # nothing posted on a state we cannot trust
    assert (reports / STATE_FILE).read_bytes() == content  # and the file is left for the user


@pytest.mark.slow
def test_cli_reports_a_corrupt_state_file_without_traceback(servers: list[_Server], reports: Path) -> None:
    hook = _Server()
    servers.append(hook)
    (reports / STATE_FILE).write_text("{oops", encoding="utf-8")
    done = subprocess.run(
        [str(SALESOPS), "notify", "--webhook", hook.url(), "--period", PERIOD, "--output", str(reports)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in output
    assert "notify state file" in output and STATE_FILE in output and "delete" in output
    assert SECRET not in output


def test_a_valid_state_file_still_deduplicates(servers: list[_Server], reports: Path) -> None:
    hook = _Server()
    servers.append(hook)
    assert notify(reports, PERIOD, hook.url(), retries=0).posted == 2
    again = notify(reports, PERIOD, hook.url(), retries=0)
    assert (again.posted, again.skipped_known, len(hook.requests)) == (0, 2, 1)


@pytest.mark.parametrize("content", ["{oops", '{"a": 1}', '[{"id": 3}]', '[{"id": "x", "bogus": 1}]'])
def test_corrupt_published_findings_are_a_clear_error(reports: Path, content: str) -> None:
    (reports / PERIOD / "findings.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        notify(reports, PERIOD, "http://127.0.0.1:9/hook", retries=0)
    assert "findings" in info.value.message and "salesops review" in (info.value.fix or "")
