"""What `salesops notify` says: lines, KPI header, links and messages within the platforms' limits.

The limits are in UTF-8 **bytes** (WeCom counts bytes, not characters: 2,888 Chinese characters
are ~5,500 bytes). A message over the limit is split at line boundaries — one finding is one
line, so a split never falls inside a UTF-8 character or a markdown link — into at most
:data:`MAX_PARTS` messages (both WeCom and DingTalk allow 20 messages a minute per robot, and a
longer burst buries the chat); beyond that the last message ends with a "…N more findings in the
report" line (linked to the period's index with ``--base-url``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from salesops_lib.analyses.findings import Finding
from salesops_lib.errors import ConfigError
from salesops_lib.report.findings_text import finding_text
from salesops_lib.report.formats import money, pct
from salesops_lib.report.i18n import catalogue_at, label_table, t
from salesops_lib.report.i18n import title as report_title

Format = Literal["generic", "wecom", "dingtalk", "slack"]

#: WeCom group robot, markdown ``content``: at most 4,096 bytes of UTF-8 ("markdown内容，最长不超过
#: 4096个字节，必须是utf8编码", developer.work.weixin.qq.com/document/path/91770; errcode 40058 beyond)
WECOM_MARKDOWN_MAX_BYTES = 4096
#: DingTalk custom robot: a request body of at most 20,000 bytes (errcode 460101 "message too long,
#: exceed 20000 bytes"; open.dingtalk.com/document/robots/custom-robot-access)
DINGTALK_MAX_BYTES = 20_000
#: Slack incoming webhook: ``text`` is truncated after 40,000 characters (api.slack.com
#: chat.postMessage); counted here in bytes, never fewer than the characters
SLACK_MAX_BYTES = 40_000
#: generic JSON: no platform limit; a body of this size keeps receivers and chat readers sane
GENERIC_MAX_BYTES = 20_000
#: messages per run at most; further findings are summed up in a "more in the report" line
MAX_PARTS = 5
#: one finding's sentence in an e-mail at most (no platform limit; a sentence stays a sentence)
MAIL_SENTENCE_BYTES = 4000
#: the longest ``--base-url`` accepted (it goes into every link of a message)
MAX_BASE_URL = 512

LIMITS: dict[str, int] = {
    "wecom": WECOM_MARKDOWN_MAX_BYTES,
    "dingtalk": DINGTALK_MAX_BYTES,
    "slack": SLACK_MAX_BYTES,
    "generic": GENERIC_MAX_BYTES,
}

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
#: characters a --base-url may not hold: they would end or break a markdown/Slack link
_URL_BREAKERS = frozenset(" \t\r\n<>()[]{}|\"'`\\^")


@dataclass(frozen=True)
class Part:
    """One message of a notify run: the JSON body posted, its plain text, the finding ids it covers."""

    body: bytes
    text: str
    ids: frozenset[str]


@cache
def _words() -> dict[str, dict[str, str]]:
    return label_table(catalogue_at(files("salesops_lib.runner") / "notify_words.yaml", "notify"))


def word(key: str, lang: str) -> str:
    """A notify word (``notify_words.yaml``), else a glossary word, in ``lang``."""
    return t(key, lang, _words())


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


def checked_base_url(url: str) -> str:
    """``url`` without its trailing ``/`` when it can prefix report links; a ConfigError otherwise.

    Examples
    --------
    >>> checked_base_url("https://bi.example.com/salesops/")
    'https://bi.example.com/salesops'
    """
    fix = "pass the address the --output folder is served at, e.g. --base-url https://bi.example.com/salesops"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(f"--base-url {url[:80]!r} is not a URL", fix=fix) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url {url[:80]!r} is not an http(s) URL with a host", fix=fix)
    if parts.query or parts.fragment:
        raise ConfigError("--base-url may not carry a ?query or #fragment (report paths are appended)", fix=fix)
    bad = sorted({c for c in url if c in _URL_BREAKERS or not c.isprintable()})
    if bad:
        raise ConfigError(
            f"--base-url holds characters that break chat links: {' '.join(repr(c) for c in bad)}",
            fix="percent-encode them (a space is %20, ( is %28, ) is %29)",
        )
    if len(url) > MAX_BASE_URL:
        raise ConfigError(f"--base-url is longer than {MAX_BASE_URL} characters", fix=fix)
    return url.rstrip("/")


def page_url(base_url: str, period: str, page: str) -> str:
    """The absolute address of report ``page`` of ``period`` under ``base_url`` (percent-encoded)."""
    return f"{base_url}/{quote(period)}/{quote(page)}"


def kpi_line(tiles: list[Any], lang: str) -> str:
    """The header line of a message: revenue (vs target, attainment) and its change, in 万/亿 or K/M.

    ``tiles`` are the review's KPI tiles (``metric``, ``value``, ``target``, ``vs_target``,
    ``change_prev``); "" when they hold no revenue tile.

    Examples
    --------
    >>> kpi_line(
    ...     [
    ...         {
    ...             "metric": "revenue",
    ...             "value": 117421794.5,
    ...             "target": 118122200.0,
    ...             "vs_target": 0.9941,
    ...             "change_prev": 0.1916,
    ...         }
    ...     ],
    ...     "zh",
    ... )
    '销售额 1.17亿，目标 1.18亿，达成 99.4%，环比 +19.2%'
    """
    tile = next((x for x in tiles if isinstance(x, Mapping) and x.get("metric") == "revenue"), None)
    if tile is None:
        return ""
    fields = {
        "metric": word("revenue", lang),
        "value": money(tile.get("value"), lang),
        "target": money(tile.get("target"), lang),
        "attainment": pct(tile.get("vs_target")),
        "change": pct(tile.get("change_prev"), signed=True),
    }
    key = "notify_kpi_target" if fields["target"] != "—" else "notify_kpi"
    return word(key, lang).format(**fields)


def clip(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes (ending in "…" when cut; never inside a character).

    Examples
    --------
    >>> clip("销售额下降", 10)
    '销售…'
    """
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[: max(0, max_bytes - 3)].decode("utf-8", "ignore") + "…"


def finding_line(record: Mapping[str, Any], period: str, fmt: Format, lang: str, base_url: str, cap: int) -> str:
    """One finding on one line: severity word, sentence (at most ``cap`` bytes), link to its page."""
    finding = Finding.from_dict({k: v for k, v in record.items() if k != "url"})  # url: added by compose
    severity = word(finding.severity, lang) if finding.severity in ("high", "medium", "low", "info") else "?"
    mark = f"【{severity}】" if lang == "zh" else f"[{severity}] "
    sentence = escape_text(clip(_sentence(record, finding, lang), cap), fmt)
    return f"{mark}{sentence}{_link(record, period, fmt, lang, base_url)}"


def _sentence(record: Mapping[str, Any], finding: Finding, lang: str) -> str:
    """The sentence review published with the finding (units by the run's names, see
    :func:`~salesops_lib.runner.publish.write_findings`); worded here, by code, when the record has none.
    """
    text = record.get("text")
    published = text.get(lang) if isinstance(text, Mapping) else None
    return published if isinstance(published, str) and published else finding_text(finding, lang)


def _link(record: Mapping[str, Any], period: str, fmt: Format, lang: str, base_url: str) -> str:
    page = str(record.get("link") or "")
    if not page:
        return ""
    if not base_url:
        return f" ({escape_text(page, fmt)})"
    url = page_url(base_url, period, page)
    return _anchor(url, escape_text(_page_label(record, lang), fmt), fmt)


def _page_label(record: Mapping[str, Any], lang: str) -> str:
    """The title of the report a finding links to (its file name when the report has no catalogue)."""
    try:
        return report_title(str(record["analysis"]), lang)
    except (ConfigError, KeyError):
        return str(record.get("link") or "")


def _anchor(url: str, label: str, fmt: Format) -> str:
    if fmt in ("wecom", "dingtalk"):
        return f" [{label}]({url})"
    if fmt == "slack":
        return f" <{url}|{label}>"
    return f" ({url})"


def _title(period: str, fmt: Format, lang: str) -> str:
    return f"{word('notify_title', lang)} · {escape_text(period, fmt)}"


def _render(
    fmt: Format, title: str, kpi: str, lines: list[str], records: list[Mapping[str, Any]], period: str
) -> tuple[bytes, str, int]:
    """A message's JSON body, its text, and its size as the platform counts it (bytes)."""
    items = "\n".join(f"- {line}" for line in lines)
    payload: dict[str, Any]
    if fmt == "wecom":
        text = "\n".join(x for x in (f"**{title}**", kpi, items) if x)
        payload = {"msgtype": "markdown", "markdown": {"content": text}}
    elif fmt == "dingtalk":
        text = "\n".join(x for x in (f"### {title}", kpi, items) if x)
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    elif fmt == "slack":
        text = "\n".join(x for x in (f"*{title}*", kpi, items) if x)
        payload = {"text": text}
    else:
        text = "\n".join(x for x in (title, kpi, items) if x)
        payload = {"title": title, "period": period, "kpi": kpi, "findings": list(records), "text": lines}
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    counted = text.encode("utf-8") if fmt in ("wecom", "slack") else body  # what the platform measures
    return body, text, len(counted)


def compose(
    records: list[dict[str, Any]],
    period: str,
    fmt: Format,
    lang: str,
    *,
    kpi: str = "",
    base_url: str = "",
    max_parts: int = MAX_PARTS,
) -> list[Part]:
    """The messages that carry ``records``: each within ``fmt``'s byte limit, at most ``max_parts``.

    Records that do not fit in ``max_parts`` messages are counted in a "…N more in the report"
    line ending the last message, and its ids include theirs (the message names them).
    """
    if not records:
        return []
    limit = LIMITS[fmt]
    cap = limit // 4  # one sentence's bytes: the header, link and a few lines always fit beside it
    if base_url:
        records = [{**r, "url": page_url(base_url, period, str(r["link"]))} if r.get("link") else r for r in records]
    lines = [finding_line(r, period, fmt, lang, base_url, cap) for r in records]
    kpi_text = escape_text(kpi, fmt)
    widest = _title(period, fmt, lang) + f" ({max_parts}/{max_parts})"

    def fits(indices: list[int], extra: str = "") -> bool:
        chunk = [lines[i] for i in indices] + ([extra] if extra else [])
        return _render(fmt, widest, kpi_text, chunk, [records[i] for i in indices], period)[2] <= limit

    groups: list[list[int]] = [[]]
    for index in range(len(records)):
        if groups[-1] and not fits([*groups[-1], index]):
            groups.append([])
        groups[-1].append(index)
    rest: list[int] = []
    if len(groups) > max_parts:
        rest = [i for group in groups[max_parts:] for i in group]
        groups = groups[:max_parts]
        while len(groups[-1]) > 1 and not fits(groups[-1], _more(len(rest), period, fmt, lang, base_url)):
            rest.insert(0, groups[-1].pop())
    parts = []
    for number, group in enumerate(groups, start=1):
        page = f" ({number}/{len(groups)})" if len(groups) > 1 else ""
        chunk = [lines[i] for i in group]
        ids = {str(records[i]["id"]) for i in group}
        if rest and number == len(groups):
            chunk.append(_more(len(rest), period, fmt, lang, base_url))
            ids |= {str(records[i]["id"]) for i in rest}
        body, text, _ = _render(
            fmt, _title(period, fmt, lang) + page, kpi_text, chunk, [records[i] for i in group], period
        )
        parts.append(Part(body, text, frozenset(ids)))
    return parts


def _more(count: int, period: str, fmt: Format, lang: str, base_url: str) -> str:
    text = escape_text(word("notify_more", lang).format(count=count), fmt)
    if not base_url:
        return text
    return text + _anchor(page_url(base_url, period, "index.html"), escape_text(word("notify_index", lang), fmt), fmt)


def mail_text(
    records: list[dict[str, Any]], period: str, lang: str, *, kpi: str = "", base_url: str = ""
) -> tuple[str, str, str]:
    """An e-mail's subject, plain-text body and HTML body: title, KPI line, every finding with its link."""
    title = word("notify_title", lang)
    subject = word("notify_mail_subject", lang).format(title=title, period=period, count=len(records))
    heading = f"{title} · {period}"
    plain, items = [heading, *([kpi] if kpi else []), ""], []
    for record in records:
        sentence = finding_line({**record, "link": ""}, period, "generic", lang, "", MAIL_SENTENCE_BYTES)
        page = str(record.get("link") or "")
        href = page_url(base_url, period, page) if page and base_url else ""
        plain.append(f"- {sentence}" + (f" ({href or page})" if page else ""))
        link = f' <a href="{escape(href)}">{escape(_page_label(record, lang))}</a>' if href else ""
        link = link or (f" ({escape(page)})" if page else "")
        items.append(f"<li>{escape(sentence)}{link}</li>")
    kpi_html = f"<p><strong>{escape(kpi)}</strong></p>" if kpi else ""
    html = f"<html><body><h2>{escape(heading)}</h2>{kpi_html}<ul>{''.join(items)}</ul></body></html>"
    return subject, "\n".join(plain) + "\n", html
