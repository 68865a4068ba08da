"""Slack's text, both ways (pure: no SDK, no I/O): command text in, Block Kit out.

Every text that reaches Slack goes through :func:`escape` first, so a headline or a handler's
text cannot write markup such as ``<!channel>``; the only ``<...>`` sequences in a payload are
links built here. Block Kit's limits are kept by cutting with "…" or splitting:
https://docs.slack.dev/reference/block-kit/blocks
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from bot.models import Alert, Field, Link, Reply

Block = dict[str, Any]

# Block Kit's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELDS_PER_SECTION = 10
FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 2000
#: The top-level ``text`` may be ~40,000 characters; it is only a notification fallback.
FALLBACK_TEXT = 3000
LINK_LABEL = 200
ELLIPSIS = "…"


#: "!status casualties" at the very start of a message (Bolt's keyword is a re.search, so
#: the anchor is what keeps "what does !status say?" from running a command).
COMMAND_RE = re.compile(r"^\s*!([A-Za-z][\w-]{0,39})(?:\s+(.*))?$", re.DOTALL)
#: "<@U123> status ..." or "<@U123> !status ..." (an app mention that starts the message).
MENTION_RE = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*!?([A-Za-z][\w-]{0,39})?\s*(.*)$",
                        re.DOTALL)  # fmt: skip


#: A link as Slack writes it in message text: <https://x.example/?a=1&amp;b=2|x.example>.
SLACK_LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|[^>]*)?>")


def unslack(text: str) -> str:
    """Message text as the user typed it: links back to their URL, entities decoded
    (https://docs.slack.dev/messaging/formatting-message-text). Mentions stay as they are."""
    text = SLACK_LINK_RE.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_command(text: str) -> tuple[str, str]:
    """'addsource http://x  Name' -> ('addsource', 'http://x  Name'); '' -> ('help', '')."""
    name, _, args = text.strip().lstrip("!/").partition(" ")
    return (name.lower() or "help"), args.strip()


def parse_mention(text: str) -> tuple[str, str] | None:
    """'<@U1> status x' -> ('status', 'x'); '<@U1>' -> ('help', ''); None unless the mention
    starts the message."""
    match = MENTION_RE.match(text)
    if match is None:
        return None
    return (match.group(1) or "help").lower(), match.group(2).strip()


def retry_after(headers: Any) -> float | None:
    """Retry-After in seconds from response headers (a dict of lists, or a multidict)."""
    value = None
    for name in ("Retry-After", "retry-after"):
        if value := (headers or {}).get(name):
            break
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def escape(text: str) -> str:
    """Escape Slack's three control characters. Slack decodes them for display; anything else
    is left as it is (https://docs.slack.dev/messaging/formatting-message-text#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut escaped text to ``limit`` characters, ending with "…" when cut, without leaving half
    an entity (``&am…``) behind."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def clip_escaped(text: str, limit: int) -> str:
    """Escape, then cut to ``limit``."""
    return clip(escape(text), limit)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to sit inside ``<url|label>``, or None. Characters that would end
    or split the link are percent-encoded; anything else (``javascript:``, ``!channel``) is
    refused, so a feed cannot turn a link into a mention."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    encoded = quote(url, safe="/:?#[]@!$&'()*+,;=%~.-_")
    return escape(encoded)


def link(url: str | None, label: str, limit: int = LINK_LABEL) -> str:
    """``<url|label>`` with the label escaped; the label alone when the URL is not usable."""
    text = clip_escaped(" ".join(label.split()) or (url or ""), limit)
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def header(title: str) -> Block:
    # plain_text is escaped too: Slack decodes the three entities in every text object.
    return {"type": "header", "text": _text("plain_text", clip_escaped(title, HEADER_TEXT))}


def sections(lines: Iterable[str], prefix: str = "") -> list[Block]:
    """Lines (already mrkdwn) packed into as few sections as the 3000-character limit allows;
    a single overlong line is cut."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for raw in lines:
        line = clip(prefix + raw, SECTION_TEXT)
        if chunk and size + 1 + len(line) > SECTION_TEXT:
            blocks.append({"type": "section", "text": _text("mrkdwn", "\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + (1 if size else 0)
    if chunk:
        blocks.append({"type": "section", "text": _text("mrkdwn", "\n".join(chunk))})
    return blocks


def field_sections(fields: Iterable[Field]) -> list[Block]:
    items = [
        _text("mrkdwn", clip(f"*{clip_escaped(f.name, 200)}*\n{escape(f.value)}", FIELD_TEXT))
        for f in fields
    ]
    return [
        {"type": "section", "fields": items[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(items), FIELDS_PER_SECTION)
    ]


def context(texts: Iterable[str]) -> Block:
    """A context block from mrkdwn texts (already escaped), at most ten elements."""
    elements = [_text("mrkdwn", clip(t, CONTEXT_TEXT)) for t in texts if t][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def date_token(when: dt.datetime) -> str:
    """Slack shows the date in the reader's time zone; the fallback is UTC."""
    epoch = int(when.timestamp())
    fallback = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def cap_blocks(blocks: list[Block]) -> list[Block]:
    """At most 50 blocks: the rest is replaced by one note saying how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context([f"{ELLIPSIS} {len(blocks) - len(kept)} more blocks not shown"])]


def fallback(text: str) -> str:
    """The plain ``text`` of a message: what notifications and old clients show."""
    return clip_escaped(text, FALLBACK_TEXT)


def render_reply(reply: Reply) -> tuple[str, list[Block]]:
    """A handler's Reply as (text fallback, blocks)."""
    blocks: list[Block] = [header(reply.title or "claimwatch")]
    blocks += sections(escape(line) for line in reply.lines)
    blocks += field_sections(reply.fields)
    blocks += sections(_link_line(lk) for lk in reply.links)
    notes = [escape(reply.footer)] if reply.footer else []
    if reply.timestamp is not None:
        notes.append(date_token(reply.timestamp))
    if notes:
        blocks.append(context(notes))
    return fallback(reply.text), cap_blocks(blocks)


def _link_line(lk: Link) -> str:
    return "• " + link(lk.url, lk.label)


def _when(published: str) -> str:
    """An ISO timestamp as a Slack date (shown in the reader's time zone); else as text."""
    try:
        when = dt.datetime.fromisoformat(published)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:  # a date without a time, or something else
        return clip_escaped(published, 100)
    return date_token(when)


def render_alert(alert: Alert) -> tuple[str, list[Block]]:
    """An outbox alert as (text fallback, blocks). Every field may come from a feed."""
    title = alert.title or "(untitled)"
    head = f"*{link(alert.url, title, 300)}*"
    if alert.kind == "digest":
        head = f"*Digest:* {head}"
    elif alert.kind == "health":
        head = f":warning: {head}"
    body = [head]
    if alert.summary:
        body.append(clip_escaped(alert.summary, 1200))
    blocks: list[Block] = sections(["\n".join(body)])
    blocks += sections(escape(c) for c in alert.claims)
    blocks += sections(escape(f) for f in alert.flags) if alert.flags else []
    about = [f"*{clip_escaped(alert.source_name, 200)}*"] if alert.source_name else []
    if alert.published:
        about.append(_when(alert.published))
    if alert.also_reported_by:
        others = ", ".join(alert.also_reported_by)
        about.append("also reported by " + clip_escaped(others, 1000))
    if about:
        blocks.append(context(about))
    plain = f"{title} — {alert.source_name}" if alert.source_name else title
    return fallback(plain), cap_blocks(blocks)
