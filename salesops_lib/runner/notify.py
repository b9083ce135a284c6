"""Deliver a period's new findings: to a chat webhook (generic JSON, WeCom, DingTalk, Slack) or by e-mail.

New = not yet delivered to *this* webhook (or mail recipients) for *this* period: delivered ids
are remembered in ``<reports>/.notify-state.json`` (keyed by a hash of the webhook, never the
webhook itself), so reruns of the review and of ``notify`` post each finding once. Requests have
a timeout and are retried with backoff on network errors, 429, 5xx and the platforms' rate-limit
error codes. The webhook URL carries its secret in the path or query (WeCom ``key=``, Slack's
path, DingTalk ``access_token=``): it is never printed or logged — messages show only its scheme
and host.

Delivery is judged by the answer's JSON as well as its status: WeCom and DingTalk refuse with
HTTP 200 and ``{"errcode": N, "errmsg": …}``, so an ``errcode`` other than 0 (or an answer that is
not their JSON) is a failed delivery. The state is written only when every message of the run
was accepted: a run that fails — on its first message or on part 3 of 4 — marks nothing
delivered, and the next run posts all of it again (the parts of a split message belong together).

Hardening: redirects are never followed (a 3xx answer is a failed delivery); the findings' words
are escaped for the target's markup (Slack mrkdwn, WeCom/DingTalk markdown), so a name such as
``<!channel>``, ``@all`` or ``[x](http://evil)`` reads as text and neither mentions anyone nor
links anywhere; a state or findings file that is not what notify expects is a
:class:`SalesOpsError`. Message sizes and splitting: :mod:`salesops_lib.runner.notify_text`.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from salesops_lib.analyses.findings import SEVERITY_RANK, Finding
from salesops_lib.core.atomic import write_text_atomic
from salesops_lib.errors import ConfigError, SalesOpsError
from salesops_lib.runner.mail import DeliveryError, MailSettings, build_message, checked, send_mail
from salesops_lib.runner.notify_text import (
    Format,
    checked_base_url,
    compose,
    escape_text,
    kpi_line,
    mail_text,
)

__all__ = [
    "STATE_FILE",
    "DeliveryError",
    "Format",
    "MailResult",
    "NotifyResult",
    "NotifyStateError",
    "escape_text",
    "mail_review",
    "notify",
    "webhook_label",
]

STATE_FILE = ".notify-state.json"
#: the review page whose payload holds the KPI tiles of the header line
KPI_PAGE = "monthly_review.ipynb"
#: WeCom 45009 (api freq out of limit) and DingTalk 130101 (send too fast): retried with backoff
RATE_LIMIT_CODES = frozenset({45009, 130101})
#: what to do about the platforms' common refusals (errcode → fix)
ERRCODE_FIXES = {
    93000: "the webhook key is not valid: copy the webhook URL again from the group robot's settings",
    40058: "the message is too long or malformed for WeCom: report it (notify keeps within 4,096 bytes)",
    45009: "WeCom allows 20 messages a minute per robot: run notify again in a minute",
    300001: "the access_token is not valid: copy the webhook URL again from the robot's settings",
    310000: "the robot's security settings refused the message: add 销售经营预警 (or Sales findings) as "
    "a custom keyword, or allow this machine's IP address, in the robot's settings",
    130101: "DingTalk allows 20 messages a minute per robot: run notify again in a minute",
    460101: "the message is too long for DingTalk: report it (notify keeps within 20,000 bytes)",
}
#: the most of a webhook's answer read (theirs are a few dozen bytes of JSON)
MAX_ANSWER_BYTES = 65_536
CHANNELS = {"wecom": "WeCom", "dingtalk": "DingTalk", "slack": "Slack", "generic": "webhook"}

Sender = Callable[[urllib.request.Request, float], tuple[int, bytes]]
"""Posts a request and returns the HTTP status and the answer's body."""


class NotifyStateError(SalesOpsError):
    """The notify state file is not JSON, or not the shape notify writes."""


@dataclass(frozen=True)
class NotifyResult:
    """What a notify run did."""

    posted: int
    skipped_known: int
    messages: int
    webhook: str


@dataclass(frozen=True)
class MailResult:
    """What an e-mail run did (``sent`` False when the period was already mailed and nothing is new)."""

    sent: bool
    findings: int
    new: int
    server: str


def webhook_label(url: str) -> str:
    """The webhook as it may be shown: scheme and host only (the rest may hold a secret)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed port or host: show nothing of it
        return "?://?/…"
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(port) if port else ''}/…"


def notify(
    reports_dir: Path,
    period: str,
    webhook: str,
    *,
    fmt: Format = "generic",
    lang: str = "zh",
    min_severity: str = "medium",
    base_url: str = "",
    timeout: float = 10.0,
    retries: int = 3,
    sender: Sender | None = None,
) -> NotifyResult:
    """Post the findings of ``period`` not yet delivered to ``webhook``.

    ``base_url`` (where ``reports_dir`` is served) makes each finding's page a clickable
    absolute link. Nothing is marked delivered unless every message was accepted.
    """
    if not webhook.startswith(("http://", "https://")):
        raise ConfigError("the webhook must be an http(s) URL", fix="pass --webhook https://…")
    base = checked_base_url(base_url) if base_url else ""
    wanted = _wanted(reports_dir, period, min_severity)
    state_path = reports_dir / STATE_FILE
    state = _read_state(state_path)
    key = _key(webhook)
    known = set(state.get(key, {}).get(period, []))
    new = [r for r in wanted if r["id"] not in known]
    parts = compose(new, period, fmt, lang, kpi=_kpi(reports_dir, period, lang), base_url=base)
    send = sender or _send
    delivered = set(known)
    for part in parts:
        _post(webhook, part.body, fmt, send, timeout=timeout, retries=retries)
        delivered |= part.ids
    if parts:  # every part accepted: only now is anything delivered
        state.setdefault(key, {})[period] = sorted(delivered)
        _save(state_path, state)
    return NotifyResult(len(new), len(wanted) - len(new), len(parts), webhook_label(webhook))


def mail_review(
    reports_dir: Path,
    period: str,
    settings: MailSettings,
    *,
    lang: str = "zh",
    min_severity: str = "medium",
    base_url: str = "",
    attach: Path | None = None,
) -> MailResult:
    """E-mail the period's findings (KPI line first, every finding with its link) and ``attach``.

    Sent once per period and recipient list, and again when new findings appear; the state is
    written only after the server accepted the mail.
    """
    settings = checked(settings)
    base = checked_base_url(base_url) if base_url else ""
    if attach is not None and not attach.is_file():
        raise ConfigError(
            "the file to attach does not exist", where=str(attach), fix="pass --attach the path of an existing file"
        )
    wanted = _wanted(reports_dir, period, min_severity)
    state_path = reports_dir / STATE_FILE
    state = _read_state(state_path)
    key = _key("mailto:" + ",".join(sorted(a.lower() for a in settings.to)) + "@" + settings.host.lower())
    mailed = state.get(key, {})
    known = set(mailed.get(period, []))
    new = [r for r in wanted if r["id"] not in known]
    if period in mailed and not new:
        return MailResult(False, len(wanted), 0, settings.where)
    subject, text, html = mail_text(wanted, period, lang, kpi=_kpi(reports_dir, period, lang), base_url=base)
    send_mail(settings, build_message(settings, subject, text, html, attach))
    state.setdefault(key, {})[period] = sorted(known | {r["id"] for r in wanted})
    _save(state_path, state)
    return MailResult(True, len(wanted), len(new), settings.where)


def _key(channel: str) -> str:
    return hashlib.sha256(channel.encode()).hexdigest()[:16]


def _wanted(reports_dir: Path, period: str, min_severity: str) -> list[dict[str, Any]]:
    """The period's published findings at or above ``min_severity``."""
    if min_severity not in SEVERITY_RANK:
        raise ConfigError(f"unknown severity {min_severity!r}", fix=f"use one of {', '.join(SEVERITY_RANK)}")
    findings_file = reports_dir / period / "findings.json"
    if not findings_file.exists():
        raise ConfigError(
            f"no published findings for {period}",
            where=str(findings_file),
            fix=f"run `salesops review --period {period}` first",
        )
    floor = SEVERITY_RANK[min_severity]
    records = _read_findings(findings_file, period)
    return [r for r in records if SEVERITY_RANK.get(r.get("severity", "info"), 0) >= floor]


def _kpi(reports_dir: Path, period: str, lang: str) -> str:
    """The KPI header line from the published review's tiles ("" when the review is not there)."""
    page = reports_dir / period / KPI_PAGE
    if not page.is_file():
        return ""
    from salesops_lib.runner.execute import read_payload

    try:
        tiles = read_payload(page).get("tiles")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # unreadable: no header line
        return ""
    return kpi_line(tiles, lang) if isinstance(tiles, list) else ""


def _read_findings(path: Path, period: str) -> list[dict[str, Any]]:
    """The published findings of ``path``; a ConfigError when they are not what review writes."""
    fix = f"run `salesops review --period {period}` again to republish them"
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(
            f"the published findings cannot be read ({type(exc).__name__})", where=str(path), fix=fix
        ) from None
    if not isinstance(records, list):
        raise ConfigError("the published findings are not a list of findings", where=str(path), fix=fix)
    bad = [r for r in records if not _is_finding(r)]
    if bad:
        raise ConfigError(
            "some published findings are not the shape review writes",
            where=str(path),
            rows=len(bad),
            examples=[r.get("id", "?") if isinstance(r, dict) else r for r in bad],
            fix=fix,
        )
    return records


def _is_finding(record: object) -> bool:
    if not (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and isinstance(record.get("severity", "info"), str)
    ):
        return False
    try:
        Finding.from_dict(record)
    except TypeError:
        return False
    return True


def _read_state(path: Path) -> dict[str, Any]:
    """Delivered ids by webhook hash and period; a NotifyStateError when the file is not that."""
    if not path.exists():
        return {}
    fix = (
        f"delete {path.name} to start afresh (the next notify posts the period's findings again) "
        "or restore it from a backup"
    )
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotifyStateError(
            f"the notify state file cannot be read ({type(exc).__name__})", where=str(path), fix=fix
        ) from None
    if not _is_state(state):
        raise NotifyStateError(
            "the notify state file is not the shape notify writes ({webhook hash: {period: [finding ids]}})",
            where=str(path),
            fix=fix,
        )
    return state


def _is_state(state: object) -> bool:
    return isinstance(state, dict) and all(
        isinstance(periods, dict)
        and all(isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in periods.values())
        for periods in state.values()
    )


def _save(path: Path, state: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(state, indent=2))


def _post(url: str, body: bytes, fmt: Format, send: Sender, *, timeout: float, retries: int) -> None:
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL: notify() checks the scheme first
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    channel = CHANNELS[fmt]
    last = ""
    for attempt in range(retries + 1):
        location, answer = "", b""
        try:
            status, answer = send(request, timeout)
        except urllib.error.HTTPError as exc:
            status, location = exc.code, (exc.headers.get("Location") or "") if exc.headers else ""
            exc.close()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, last = 0, type(exc).__name__
        if 200 <= status < 300:
            refusal = _refusal(fmt, answer)
            if refusal is None:
                return
            code, message = refusal
            if code in RATE_LIMIT_CODES and attempt < retries:
                last = f"errcode {code}"
                time.sleep(min(8.0, 0.5 * 2**attempt))
                continue
            raise DeliveryError(
                f"{channel} refused the message (HTTP {status}, errcode {code}, errmsg "
                f"{_scrub(message, url)!r}); nothing was marked delivered",
                where=webhook_label(url),
                fix=ERRCODE_FIXES.get(
                    int(code) if isinstance(code, int) else -1, f"check the {channel} robot's settings and --format"
                )
                + "; the next run posts these findings again",
            )
        if 300 <= status < 400:
            raise DeliveryError(
                f"the webhook answered with a redirect (HTTP {status}){_redirect_to(url, location)}; "
                "redirects are not followed, so the message was not delivered",
                where=webhook_label(url),
                fix="pass the webhook's final URL to --webhook (copy it again from the chat "
                "app's robot settings); findings not delivered are posted next time",
            )
        if status and status not in (408, 429) and status < 500:
            raise DeliveryError(
                f"the webhook refused the message (HTTP {status})",
                where=webhook_label(url),
                fix="check the webhook URL and the message format (--format)",
            )
        last = last or f"HTTP {status}"
        if attempt < retries:
            time.sleep(min(8.0, 0.5 * 2**attempt))
    raise DeliveryError(
        f"the webhook did not answer after {retries + 1} attempts ({last})",
        where=webhook_label(url),
        fix="check the network and the webhook; findings not delivered are posted next time",
    )


def _refusal(fmt: Format, answer: bytes) -> tuple[int | str, str] | None:
    """(errcode, errmsg) when a 2xx answer still refuses the message; None when it accepts it.

    WeCom and DingTalk always answer ``{"errcode": …, "errmsg": …}``: a non-zero ``errcode``, or an
    answer that is not a JSON object (a proxy's page, say), is a refusal; an object without
    ``errcode`` (a relay in between) is taken as accepted. Slack answers ``ok`` (or JSON
    with ``"ok": false``); a generic receiver's JSON ``errcode`` is honoured when it sends one.
    """
    try:
        parsed = json.loads(answer.decode("utf-8")) if answer.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict):
        if fmt in ("wecom", "dingtalk"):
            return "?", f"not the JSON answer {CHANNELS[fmt]} sends: {answer[:80].decode('utf-8', 'replace')}"
        return None
    code = parsed.get("errcode", 0)
    if code not in (0, "0", None):
        number = int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else str(code)
        return number, str(parsed.get("errmsg", ""))
    if fmt == "slack" and parsed.get("ok") is False:
        return "ok=false", str(parsed.get("error", ""))
    return None


def _scrub(message: str, url: str) -> str:
    """``message`` (a server's errmsg) without any secret of ``url`` and cut to a readable length."""
    parts = urlsplit(url)
    secrets = [v for _, v in parse_qsl(parts.query) if len(v) >= 6]
    secrets += [p for p in parts.path.split("/") if len(p) >= 16]
    for secret in secrets:
        message = message.replace(secret, "…")
    return " ".join(message.split())[:300]


def _redirect_to(url: str, location: str) -> str:
    """`` to <scheme://host/…>`` of a redirect's Location header (nothing when there is none)."""
    try:
        return f" to {webhook_label(urljoin(url, location))}" if location else ""
    except ValueError:
        return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: urllib then raises the 3xx answer as an HTTPError."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        return None


def _send(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=timeout) as response:  # http(s) checked in notify()
        return int(response.status), response.read(MAX_ANSWER_BYTES)
