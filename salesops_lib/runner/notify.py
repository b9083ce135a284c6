"""Post a period's new findings to a chat webhook (generic JSON, WeCom, DingTalk, Slack).

New = not yet delivered to *this* webhook for *this* period: delivered ids are remembered in
``<reports>/.notify-state.json`` (keyed by a hash of the webhook, never the webhook itself), so
reruns of the review and of ``notify`` post each finding once. Requests have a timeout and are
retried with backoff on network errors, 429 and 5xx. The webhook URL carries its secret in the
path or query (WeCom ``key=``, Slack's path, DingTalk ``access_token=``): it is never printed or
logged — messages show only its scheme and host.

Hardening: redirects are never followed (a 3xx answer is a failed delivery, so a finding is
only marked delivered when the webhook itself accepted it); the findings' words are escaped for
the target's markup (Slack mrkdwn, WeCom/DingTalk markdown), so a name such as ``<!channel>``,
``@all`` or ``[x](http://evil)`` reads as text and neither mentions anyone nor links anywhere;
a state or findings file that is not what notify expects is a :class:`SalesOpsError`.
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
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from salesops_lib.analyses.findings import SEVERITY_RANK, Finding
from salesops_lib.core.atomic import write_text_atomic
from salesops_lib.errors import ConfigError, SalesOpsError
from salesops_lib.report.findings_text import finding_text

Format = Literal["generic", "wecom", "dingtalk", "slack"]
STATE_FILE = ".notify-state.json"
MAX_MESSAGE_CHARS = 3500  # WeCom markdown allows 4096 bytes; DingTalk and Slack more


class DeliveryError(SalesOpsError):
    """The webhook did not accept the message after the retries (or answered with a redirect)."""

    exit_code = 1


class NotifyStateError(SalesOpsError):
    """The notify state file is not JSON, or not the shape notify writes."""


@dataclass(frozen=True)
class NotifyResult:
    """What a notify run did."""

    posted: int
    skipped_known: int
    messages: int
    webhook: str


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
    timeout: float = 10.0,
    retries: int = 3,
    sender: Callable[[urllib.request.Request, float], int] | None = None,
) -> NotifyResult:
    """Post the findings of ``period`` not yet delivered to ``webhook``."""
    if not webhook.startswith(("http://", "https://")):
        raise ConfigError("the webhook must be an http(s) URL", fix="pass --webhook https://…")
    if min_severity not in SEVERITY_RANK:
        raise ConfigError(f"unknown severity {min_severity!r}", fix=f"use one of {', '.join(SEVERITY_RANK)}")
    findings_file = reports_dir / period / "findings.json"
    if not findings_file.exists():
        raise ConfigError(
            f"no published findings for {period}",
            where=str(findings_file),
            fix=f"run `salesops review --period {period}` first",
        )
    records = _read_findings(findings_file, period)
    floor = SEVERITY_RANK[min_severity]
    wanted = [r for r in records if SEVERITY_RANK.get(r.get("severity", "info"), 0) >= floor]
    state_path = reports_dir / STATE_FILE
    state = _read_state(state_path)
    key = hashlib.sha256(webhook.encode()).hexdigest()[:16]
    known = set(state.get(key, {}).get(period, []))
    new = [r for r in wanted if r["id"] not in known]
    messages = _messages(new, period, fmt, lang)
    send = sender or _send
    delivered = set(known)
    for body, ids in messages:
        _post(webhook, body, send, timeout=timeout, retries=retries)
        delivered |= ids  # remembered per message: a later failure does not repost these
        state.setdefault(key, {})[period] = sorted(delivered)
        _save(state_path, state)
    return NotifyResult(len(new), len(wanted) - len(new), len(messages), webhook_label(webhook))


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


#: WeCom/DingTalk markdown: syntax characters become their full-width look-alikes (the renderers
#: document no backslash escapes); ``@`` too, so ``@all`` or ``@13800000000`` mentions nobody
_MARKDOWN_TEXT = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "<": "＜",
        ">": "＞",
        "@": "＠",
        "&": "＆",
        "~": "～",
        "\\": "＼",
    }
)


def escape_text(text: str, fmt: Format) -> str:
    """``text`` (data: names, numbers' words) made inert in ``fmt``'s markup, on one line.

    Slack mrkdwn gets ``&``, ``<``, ``>`` escaped (no ``<!channel>``, ``<@U123>``, ``<url|x>``) and
    a word joiner after ``@``; WeCom/DingTalk markdown get their syntax characters and ``@``
    replaced by full-width look-alikes. Line breaks become spaces (nothing of the data starts a
    line: no heading, quote or list). The generic JSON format is left as it is.

    Examples
    --------
    >>> escape_text("<!channel> & [x](http://evil)", "slack")
    '&lt;!channel&gt; &amp; [x](http://evil)'
    >>> escape_text("@all [x](http://evil)", "wecom")
    '＠all ［x］（http://evil）'
    """
    if fmt == "generic":
        return text
    flat = " ".join(str(text).split())
    if fmt == "slack":
        return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u2060")
    return flat.translate(_MARKDOWN_TEXT)


def _lines(records: list[dict[str, Any]], lang: str, fmt: Format) -> list[str]:
    out = []
    for record in records:
        finding = Finding.from_dict(record)
        link = f" ({escape_text(str(record['link']), fmt)})" if record.get("link") else ""
        out.append(f"[{escape_text(finding.severity, fmt)}] {escape_text(finding_text(finding, lang), fmt)}{link}")
    return out


def _messages(records: list[dict[str, Any]], period: str, fmt: Format, lang: str) -> list[tuple[bytes, set[str]]]:
    """Message bodies (each within the platforms' size limit) with the finding ids they carry."""
    if not records:
        return []
    title = f"{'销售经营预警' if lang == 'zh' else 'Sales findings'} · {escape_text(period, fmt)}"
    chunks: list[list[str]] = [[]]
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for record, line in zip(records, _lines(records, lang, fmt), strict=True):
        if size + len(line) > MAX_MESSAGE_CHARS and chunks[-1]:
            chunks.append([])
            groups.append([])
            size = 0
        chunks[-1].append(line)
        groups[-1].append(record)
        size += len(line) + 1
    bodies = []
    for index, lines in enumerate(chunks):
        page = f" ({index + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        text = "\n".join(f"- {line}" for line in lines)
        if fmt == "wecom":
            payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": f"**{title}{page}**\n{text}"}}
        elif fmt == "dingtalk":
            payload = {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}{page}\n{text}"}}
        elif fmt == "slack":
            payload = {"text": f"*{title}{page}*\n{text}"}
        else:
            payload = {"title": title + page, "period": period, "findings": groups[index], "text": lines}
        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        bodies.append((body, {r["id"] for r in groups[index]}))
    return bodies


def _post(
    url: str, body: bytes, send: Callable[[urllib.request.Request, float], int], *, timeout: float, retries: int
) -> None:
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL: notify() checks the scheme first
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    last = ""
    for attempt in range(retries + 1):
        location = ""
        try:
            status = send(request, timeout)
        except urllib.error.HTTPError as exc:
            status, location = exc.code, (exc.headers.get("Location") or "") if exc.headers else ""
            exc.close()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, last = 0, type(exc).__name__
        if 200 <= status < 300:
            return
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


def _send(request: urllib.request.Request, timeout: float) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=timeout) as response:  # http(s) checked in notify()
        return int(response.status)
