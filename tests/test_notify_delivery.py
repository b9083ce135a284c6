"""`salesops notify` delivery: byte limits and splitting, errcode answers, --base-url, KPI line, e-mail.

Webhooks are a real HTTP server on 127.0.0.1 that records every request and answers what the
test scripts (WeCom/DingTalk answer errors as HTTP 200 with ``errcode``); mail goes to a real
SMTP server (aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nbformat
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from salesops_lib.analyses.findings import Finding
from salesops_lib.errors import ConfigError
from salesops_lib.report.notebook import PAYLOAD_MIME
from salesops_lib.runner.mail import MailSettings
from salesops_lib.runner.notify import STATE_FILE, DeliveryError, mail_review, notify
from salesops_lib.runner.notify_text import (
    DINGTALK_MAX_BYTES,
    MAX_PARTS,
    WECOM_MARKDOWN_MAX_BYTES,
    checked_base_url,
    compose,
    kpi_line,
)

SECRET = "k3y-Very-Secret-0042"
PERIOD = "2025-06"
OK = b'{"errcode":0,"errmsg":"ok"}'


class _Hook:
    """A loopback webhook: records each POST body and answers from ``answers`` (then ``OK``)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answers: list[bytes] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.bodies.append(json.loads(body))
                answer = owner.answers.pop(0) if owner.answers else OK
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={SECRET}"

    def contents(self) -> list[str]:
        return [b["markdown"]["content"] for b in self.bodies]


@pytest.fixture
def hook() -> Iterator[_Hook]:
    made = _Hook()
    yield made
    made.server.shutdown()
    made.server.server_close()


def _publish(folder: Path, count: int, unit: str = "north") -> Path:
    """``count`` high findings (distinct units) published for PERIOD under ``folder``."""
    findings = [
        Finding(
            "kpi_overview",
            "kpi_move",
            "high",
            "team",
            f"{unit}-{i:03d}",
            "win_rate",
            0.2,
            0.3,
            PERIOD,
            at_stake=5000.0,
            facts={"basis": "prev", "change": -0.33},
        )
        for i in range(count)
    ]
    (folder / PERIOD).mkdir(parents=True, exist_ok=True)
    records = [{**f.to_dict(), "link": "kpi_overview.html"} for f in findings]
    (folder / PERIOD / "findings.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return folder


def _records(folder: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((folder / PERIOD / "findings.json").read_text(encoding="utf-8"))
    return records


# --------------------------------------------------------------------------- byte limits


ZH_UNIT = "华东大区上海浦东新区重点客户拓展团队"  # 18 characters, 54 bytes: a long zh team name


def test_a_5000_byte_zh_message_is_split_into_messages_within_4096_bytes(hook: _Hook, tmp_path: Path) -> None:
    reports = _publish(tmp_path, 36, ZH_UNIT)
    whole = compose(_records(reports), PERIOD, "wecom", "zh", max_parts=1_000)
    unsplit = "\n".join(p.text for p in whole)
    assert len(unsplit.encode("utf-8")) > 5000 > len(unsplit)  # over the limit in bytes, not in characters
    result = notify(reports, PERIOD, hook.url, fmt="wecom", lang="zh", retries=0)
    contents = hook.contents()
    assert result.messages == len(contents) >= 2
    sizes = [len(c.encode("utf-8")) for c in contents]
    assert max(sizes) <= WECOM_MARKDOWN_MAX_BYTES, sizes
    lines = [line for c in contents for line in c.split("\n") if line.startswith("- ")]
    assert len(lines) == 36 and all(line.startswith("- 【高】") and "赢单率" in line for line in lines)
    assert all(f"({n}/{len(contents)})" in c.split("\n")[0] for n, c in enumerate(contents, start=1))
    assert json.loads((reports / STATE_FILE).read_text(encoding="utf-8"))  # all delivered, once
    assert notify(reports, PERIOD, hook.url, fmt="wecom", retries=0).messages == 0


def test_more_than_max_parts_is_trimmed_with_a_more_in_the_report_line(tmp_path: Path) -> None:
    records = _records(_publish(tmp_path, 400, ZH_UNIT))
    parts = compose(records, PERIOD, "wecom", "zh", base_url="https://bi.example.com/salesops")
    assert len(parts) == MAX_PARTS
    assert all(len(json.loads(p.body)["markdown"]["content"].encode("utf-8")) <= 4096 for p in parts)
    shown = sum(p.text.count("\n- 【高】") for p in parts)
    last = parts[-1].text.split("\n")[-1]
    assert last.startswith(f"- …另有 {400 - shown} 条发现未列出，详见报告")
    assert last.endswith("[报告首页](https://bi.example.com/salesops/2025-06/index.html)")
    assert frozenset().union(*(p.ids for p in parts)) == {r["id"] for r in records}  # announced: counted


def test_dingtalk_bodies_stay_within_20000_bytes(tmp_path: Path) -> None:
    parts = compose(_records(_publish(tmp_path, 300, ZH_UNIT)), PERIOD, "dingtalk", "zh")
    assert len(parts) >= 2 and max(len(p.body) for p in parts) <= DINGTALK_MAX_BYTES


def test_an_overlong_sentence_is_cut_at_a_character_never_inside_the_link(tmp_path: Path) -> None:
    reports = _publish(tmp_path, 1, "团队" * 3000)  # one unit name of 18,000 bytes
    (part,) = compose(_records(reports), PERIOD, "wecom", "zh", base_url="https://bi.example.com/r")
    content = json.loads(part.body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= WECOM_MARKDOWN_MAX_BYTES
    assert "…" in content and content.endswith("](https://bi.example.com/r/2025-06/kpi_overview.html)")


# --------------------------------------------------------------------------- errcode answers


def test_http_200_with_errcode_fails_and_the_next_run_posts_again(hook: _Hook, tmp_path: Path) -> None:
    reports = _publish(tmp_path, 2)
    hook.answers = [b'{"errcode":93000,"errmsg":"invalid webhook url, hint: [1714538355]"}']
    with pytest.raises(DeliveryError) as info:
        notify(reports, PERIOD, hook.url, fmt="wecom", retries=2)
    text = info.value.render()
    assert "WeCom refused the message (HTTP 200, errcode 93000" in text and "invalid webhook url" in text
    assert "copy the webhook URL again" in text and SECRET not in text
    assert not (reports / STATE_FILE).exists()  # nothing marked delivered
    assert len(hook.bodies) == 1  # a refusal is not retried
    again = notify(reports, PERIOD, hook.url, fmt="wecom", retries=0)
    assert again.posted == 2 and len(hook.bodies) == 2 and hook.bodies[1] == hook.bodies[0]


def test_a_partial_failure_of_a_split_message_marks_nothing_delivered(hook: _Hook, tmp_path: Path) -> None:
    reports = _publish(tmp_path, 36, ZH_UNIT)
    hook.answers = [OK, b'{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}']
    with pytest.raises(DeliveryError, match="errcode 40058"):
        notify(reports, PERIOD, hook.url, fmt="wecom", retries=0)
    assert len(hook.bodies) == 2  # part 1 accepted, part 2 refused
    assert not (reports / STATE_FILE).exists()
    posted_before = len(hook.bodies)
    notify(reports, PERIOD, hook.url, fmt="wecom", retries=0)
    assert len(hook.bodies) - posted_before >= 2  # every part again, from (1/n)


def test_rate_limit_errcodes_are_retried(hook: _Hook, tmp_path: Path) -> None:
    hook.answers = [b'{"errcode":45009,"errmsg":"api freq out of limit"}']
    assert notify(_publish(tmp_path, 1), PERIOD, hook.url, fmt="wecom", retries=1).posted == 1
    assert len(hook.bodies) == 2


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [("wecom", b"<html>proxy login</html>"), ("dingtalk", b'{"errcode":"300001","errmsg":"token is not exist"}')],
)
def test_an_answer_that_is_not_the_platforms_ok_is_a_failure(
    hook: _Hook, tmp_path: Path, fmt: str, answer: bytes
) -> None:
    hook.answers = [answer]
    with pytest.raises(DeliveryError):
        notify(_publish(tmp_path, 1), PERIOD, hook.url, fmt=fmt, retries=0)  # type: ignore[arg-type]
    assert not (tmp_path / STATE_FILE).exists()


def test_an_errmsg_never_echoes_the_webhook_secret(hook: _Hook, tmp_path: Path) -> None:
    hook.answers = [json.dumps({"errcode": 93000, "errmsg": f"invalid key {SECRET}"}).encode()]
    with pytest.raises(DeliveryError) as info:
        notify(_publish(tmp_path, 1), PERIOD, hook.url, fmt="wecom", retries=0)
    assert SECRET not in info.value.render()


# --------------------------------------------------------------------------- links, words, KPI line


def test_base_url_makes_links_absolute_and_clickable(hook: _Hook, tmp_path: Path) -> None:
    notify(_publish(tmp_path, 1), PERIOD, hook.url, fmt="wecom", base_url="https://bi.example.com/so/", retries=0)
    (content,) = hook.contents()
    assert content.split("\n")[-1].endswith("[核心指标总览](https://bi.example.com/so/2025-06/kpi_overview.html)")


@pytest.mark.parametrize(
    "url",
    [
        "kpi.example.com",
        "ftp://bi.example.com/",
        "javascript:alert(1)",
        "https:///x",
        "https://bi.example.com/a b",
        "https://bi.example.com/(x)",
        "https://bi.example.com/?token=1",
        "https://bi.example.com:99999/",
    ],
)
def test_a_bad_base_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(ConfigError, match="--base-url"):
        checked_base_url(url)


def _review_notebook(folder: Path, tiles: list[dict[str, Any]]) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("report.publish()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={PAYLOAD_MIME: {"tiles": tiles}})]
    nb.cells = [cell]
    nbformat.write(nb, folder / PERIOD / "monthly_review.ipynb")


REVENUE = {
    "metric": "revenue",
    "value": 117421794.46,
    "target": 118122200.0,
    "vs_target": 0.99407,
    "change_prev": 0.19162,
}


def test_messages_open_with_a_kpi_line_in_wan_and_yi(hook: _Hook, tmp_path: Path) -> None:
    reports = _publish(tmp_path, 1)
    _review_notebook(reports, [{"metric": "win_rate", "value": 0.2}, REVENUE])
    notify(reports, PERIOD, hook.url, fmt="wecom", lang="zh", retries=0)
    title, kpi, line = hook.contents()[0].split("\n")
    assert title == "**销售经营预警 · 2025-06**"
    assert kpi == "销售额 1.17亿，目标 1.18亿，达成 99.4%，环比 +19.2%"
    assert line.startswith("- 【高】")


def test_kpi_line_in_english_and_without_a_target() -> None:
    assert kpi_line([REVENUE], "en") == "Revenue 117M vs target 118M (99.4% attained), +19.2% vs previous month"
    assert kpi_line([{**REVENUE, "target": None}], "zh") == "销售额 1.17亿，环比 +19.2%"
    assert kpi_line([], "zh") == ""


# --------------------------------------------------------------------------- e-mail


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[Envelope] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 OK"


class _RefusingInbox(_Inbox):
    async def handle_RCPT(
        self, server: object, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 no such user"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _login(server: object, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"ops", b"pa55-from-env")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_login, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def _settings(port: int, **kw: Any) -> MailSettings:
    return MailSettings(
        host="127.0.0.1", sender="ops@example.com", to=("vp@example.com",), port=port, security="none", **kw
    )


def test_the_review_email_arrives_with_the_attachment_and_readable_chinese(
    smtp: tuple[_Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    reports = _publish(tmp_path / "reports", 2)
    _review_notebook(reports, [REVENUE])
    pdf = tmp_path / "月度经营回顾-2025-06.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    monkeypatch.setenv("SALESOPS_TEST_SMTP_PASSWORD", "pa55-from-env")
    settings = _settings(port, user="ops", password_env="SALESOPS_TEST_SMTP_PASSWORD")
    result = mail_review(reports, PERIOD, settings, base_url="https://bi.example.com/so", attach=pdf)
    assert result.sent and result.findings == 2
    (envelope,) = inbox.mails
    assert envelope.rcpt_tos == ["vp@example.com"]
    mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == "销售经营预警 · 2025-06：2 条发现"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content()
    assert "销售额 1.17亿，目标 1.18亿，达成 99.4%" in text and text.count("【高】") == 2
    assert "https://bi.example.com/so/2025-06/kpi_overview.html" in text
    assert '<a href="https://bi.example.com/so/2025-06/kpi_overview.html">核心指标总览</a>' in html.get_content()
    (attached,) = list(mail.iter_attachments())
    assert attached.get_filename() == pdf.name
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == pdf.read_bytes()
    assert b"pa55-from-env" not in (envelope.original_content or b"")
    again = mail_review(reports, PERIOD, settings, attach=pdf)  # mailed already, nothing new
    assert not again.sent and len(inbox.mails) == 1


def test_a_refused_recipient_is_a_clear_error_and_nothing_is_marked(tmp_path: Path) -> None:
    port = _free_port()
    controller = Controller(_RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(DeliveryError) as info:
            mail_review(_publish(tmp_path, 1), PERIOD, _settings(port))
    finally:
        controller.stop()
    assert "refused every recipient: vp@example.com (550 5.1.1 no such user)" in info.value.render()
    assert not (tmp_path / STATE_FILE).exists()


def test_a_wrong_smtp_password_is_a_clear_error(
    smtp: tuple[_Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESOPS_TEST_SMTP_PASSWORD", "wrong")
    settings = _settings(smtp[1], user="ops", password_env="SALESOPS_TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="refused the login") as info:
        mail_review(_publish(tmp_path, 1), PERIOD, settings)
    assert "wrong" not in info.value.render() and not smtp[0].mails


def test_starttls_against_a_server_without_it_is_a_clear_error(smtp: tuple[_Inbox, int], tmp_path: Path) -> None:
    settings = MailSettings(host="127.0.0.1", sender="ops@example.com", to=("vp@example.com",), port=smtp[1])
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        mail_review(_publish(tmp_path, 1), PERIOD, settings)


def test_cli_emails_with_the_password_from_the_environment_only(
    smtp: tuple[_Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_bad_inputs import run_in_process

    inbox, port = smtp
    reports = _publish(tmp_path / "reports", 1)
    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(b"%PDF-1.7 fake")
    monkeypatch.setenv("SALESOPS_SMTP_PASSWORD", "pa55-from-env")
    args = ["notify", "--email", "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security", "none"]
    args += ["--smtp-user", "ops", "--mail-from", "ops@example.com", "--mail-to", "vp@example.com,cfo@example.com"]
    args += ["--attach", str(pdf), "--period", PERIOD, "--output", str(reports)]
    code, output = run_in_process(args, monkeypatch, capsys)
    assert code == 0, output
    assert "e-mailed 1 finding(s) (1 new) to 2 recipient(s) via smtp://127.0.0.1" in output
    assert "review.pdf attached" in output and "pa55-from-env" not in output
    assert inbox.mails[0].rcpt_tos == ["vp@example.com", "cfo@example.com"]
    code, output = run_in_process(args, monkeypatch, capsys)
    assert code == 0 and "no mail sent" in output and len(inbox.mails) == 1
