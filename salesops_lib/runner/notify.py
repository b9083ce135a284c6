"""Post a period's new findings to a chat webhook (generic JSON, WeCom, DingTalk, Slack).

New = not yet delivered to *this* webhook for *this* period: delivered ids are remembered in
``<reports>/.notify-state.json`` (keyed by a hash of the webhook, never the webhook itself), so
reruns of the review and of ``notify`` post each finding once. Requests have a timeout and are
retried with backoff on network errors, 429 and 5xx. The webhook URL carries its secret in the
path or query (WeCom ``key=``, Slack's path, DingTalk ``access_token=``): it is never printed or
logged — messages show only its scheme and host.
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
from urllib.parse import urlsplit

from salesops_lib.analyses.findings import SEVERITY_RANK, Finding
from salesops_lib.errors import ConfigError, SalesOpsError
from salesops_lib.report.findings_text import finding_text

Format = Literal["generic", "wecom", "dingtalk", "slack"]
STATE_FILE = ".notify-state.json"
MAX_MESSAGE_CHARS = 3500  # WeCom markdown allows 4096 bytes; DingTalk and Slack more


class DeliveryError(SalesOpsError):
    """The webhook did not accept the message after the retries."""

    exit_code = 1


@dataclass(frozen=True)
class NotifyResult:
    """What a notify run did."""

    posted: int
    skipped_known: int
    messages: int
    webhook: str


def webhook_label(url: str) -> str:
    """The webhook as it may be shown: scheme and host only (the rest may hold a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/…"


def notify(reports_dir: Path, period: str, webhook: str, *, fmt: Format = "generic", lang: str = "zh",
           min_severity: str = "medium", timeout: float = 10.0, retries: int = 3,
           sender: Callable[[urllib.request.Request, float], int] | None = None) -> NotifyResult:
    """Post the findings of ``period`` not yet delivered to ``webhook``."""
    if not webhook.startswith(("http://", "https://")):
        raise ConfigError("the webhook must be an http(s) URL", fix="pass --webhook https://…")
    if min_severity not in SEVERITY_RANK:
        raise ConfigError(f"unknown severity {min_severity!r}", fix=f"use one of {', '.join(SEVERITY_RANK)}")
    findings_file = reports_dir / period / "findings.json"
    if not findings_file.exists():
        raise ConfigError(f"no published findings for {period}", where=str(findings_file),
                          fix=f"run `salesops review --period {period}` first")
    records = json.loads(findings_file.read_text(encoding="utf-8"))
    floor = SEVERITY_RANK[min_severity]
    wanted = [r for r in records if SEVERITY_RANK.get(r.get("severity", "info"), 0) >= floor]
    state_path = reports_dir / STATE_FILE
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
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


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(path)


def _lines(records: list[dict[str, Any]], lang: str) -> list[str]:
    out = []
    for record in records:
        fields = {k: v for k, v in record.items() if k not in ("id", "change", "link")}
        finding = Finding(**fields)
        link = f" ({record['link']})" if record.get("link") else ""
        out.append(f"[{finding.severity}] {finding_text(finding, lang)}{link}")
    return out


def _messages(records: list[dict[str, Any]], period: str, fmt: Format, lang: str) -> list[tuple[bytes, set[str]]]:
    """Message bodies (each within the platforms' size limit) with the finding ids they carry."""
    if not records:
        return []
    title = f"{'销售经营预警' if lang == 'zh' else 'Sales findings'} · {period}"
    chunks: list[list[str]] = [[]]
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for record, line in zip(records, _lines(records, lang), strict=True):
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


def _post(url: str, body: bytes, send: Callable[[urllib.request.Request, float], int], *, timeout: float,
          retries: int) -> None:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    last = ""
    for attempt in range(retries + 1):
        try:
            status = send(request, timeout)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, last = 0, type(exc).__name__
        if 200 <= status < 300:
            return
        if status and status not in (408, 429) and status < 500:
            raise DeliveryError(f"the webhook refused the message (HTTP {status})", where=webhook_label(url),
                                fix="check the webhook URL and the message format (--format)")
        last = last or f"HTTP {status}"
        if attempt < retries:
            time.sleep(min(8.0, 0.5 * 2**attempt))
    raise DeliveryError(f"the webhook did not answer after {retries + 1} attempts ({last})", where=webhook_label(url),
                        fix="check the network and the webhook; findings not delivered are posted next time")


def _send(request: urllib.request.Request, timeout: float) -> int:
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) checked above)
        return int(response.status)
