"""Replies and alerts as Discord embed dicts, cut to Discord's limits. Pure: no I/O, no SDK.

discord.py does not enforce Discord's limits; a payload over any of them is refused with a 400.
So everything sent is fitted here: text is truncated with a marker, long replies are split over
several embeds and messages. Limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from bot.models import Alert, Reply

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000  # all text of all embeds in one message, together
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
URL_MAX = 2048
NONCE_MAX = 25
MARKER = "…"
#: A reply longer than this many messages is cut: a command should not flood a channel.
MAX_MESSAGES = 4
SHORTENED = "… (shortened: the rest does not fit in Discord)"

Embed = dict[str, Any]

#: Colours: by reply kind, and by stance where a reply or alert is about one.
KIND_COLOURS = {
    "info": 0x5865F2,
    "usage": 0xF0B232,
    "error": 0xED4245,
    "item": 0x5865F2,
    "digest": 0x3BA55D,
    "health": 0xF0B232,
}
STANCE_COLOURS = {
    "asserts": 0x3BA55D,
    "confirms": 0x2D7D46,
    "denies": 0xED4245,
    "doubts": 0xF0B232,
    "deflects": 0x99AAB5,
}

_URL = re.compile(r"https?://\S+")
_INLINE = re.compile(r"([\\*_~`|\[\]])")
_LINE_START = re.compile(r"^(\s*)([>#-])", re.MULTILINE)


def truncate(text: str, limit: int, marker: str = MARKER) -> str:
    """``text`` if it fits, else its start and ``marker`` in exactly ``limit`` characters."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    head = text[: limit - len(marker)].rstrip()
    if head.endswith("\\") and not head.endswith("\\\\"):
        head = head[:-1]  # a cut escape would escape the marker
    return head + marker


def escape(text: str) -> str:
    """Escape Discord markdown in feed or user text (URLs are left alone, so they still link)."""
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(_INLINE.sub(r"\\\1", text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(_INLINE.sub(r"\\\1", text[pos:]))
    return _LINE_START.sub(r"\1\\\2", "".join(out))


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Split plain text into chunks of at most ``limit``, at line breaks where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a message: hard cut
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def embed_size(embed: Embed) -> int:
    """The characters Discord counts towards the 6,000 total."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        size += len(f["name"]) + len(f["value"])
    return size


def safe_url(url: str | None) -> str | None:
    """A URL Discord accepts as an embed or link target, or None."""
    if not url or len(url) > URL_MAX or not url.startswith(("http://", "https://")):
        return None
    if any(c.isspace() for c in url) or any(c in url for c in "<>()"):
        return None
    return url


def colour_of(kind: str, stance: str | None = None) -> int:
    if stance and stance in STANCE_COLOURS:
        return STANCE_COLOURS[stance]
    return KIND_COLOURS.get(kind, KIND_COLOURS["info"])


def _pack_lines(lines: Iterable[str], limit: int) -> list[str]:
    """Join lines into blocks of at most ``limit`` characters; a longer line is truncated."""
    blocks: list[str] = []
    current = ""
    for raw in lines:
        line = truncate(raw, limit)
        candidate = f"{current}\n{line}" if current else line
        if current and len(candidate) > limit:
            blocks.append(current)
            current = line
        else:
            current = candidate
    if current:
        blocks.append(current)
    return blocks


def build_embeds(
    title: str,
    lines: Iterable[str] = (),
    fields: Iterable[tuple[str, str, bool]] = (),
    *,
    footer: str | None = None,
    colour: int | None = None,
    url: str | None = None,
    timestamp: str | None = None,
) -> list[Embed]:
    """Embeds carrying everything given, each within every per-embed limit. Text is taken as
    it is (escape it first). The first embed has the title; the last one the footer."""
    base: Embed = {"type": "rich"}
    if colour is not None:
        base["color"] = colour
    first: Embed = {**base, "title": truncate(title, TITLE_MAX) or MARKER}
    if url := safe_url(url):
        first["url"] = url
    embeds = [first]

    def room(extra: int) -> Embed:
        current = embeds[-1]
        if embed_size(current) + extra > EMBED_TOTAL_MAX:
            current = dict(base)
            embeds.append(current)
        return current

    for block in _pack_lines(lines, DESCRIPTION_MAX):
        current = embeds[-1]
        if "description" in current or embed_size(current) + len(block) > EMBED_TOTAL_MAX:
            current = dict(base)
            embeds.append(current)
        current["description"] = block
    for name, value, inline in fields:
        name = truncate(name, FIELD_NAME_MAX) or MARKER
        value = truncate(value, FIELD_VALUE_MAX) or MARKER
        current = room(len(name) + len(value))
        if len(current.get("fields", [])) >= FIELDS_MAX:
            current = dict(base)
            embeds.append(current)
        current.setdefault("fields", []).append({"name": name, "value": value, "inline": inline})
    if footer:
        text = truncate(footer, FOOTER_MAX)
        last = embeds[-1]
        spare = EMBED_TOTAL_MAX - embed_size(last)
        if spare < min(len(text), 40):
            last = dict(base)
            embeds.append(last)
            spare = EMBED_TOTAL_MAX
        last["footer"] = {"text": truncate(text, spare)}
    if timestamp:
        embeds[-1]["timestamp"] = timestamp
    return embeds


def pack_messages(embeds: list[Embed]) -> list[list[Embed]]:
    """Group embeds into messages: at most 10 per message and 6,000 characters together."""
    messages: list[list[Embed]] = []
    size = 0
    for embed in embeds:
        n = embed_size(embed)
        if not messages or len(messages[-1]) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_MAX:
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += n
    return messages


def render_reply(reply: Reply) -> list[list[Embed]]:
    """A handler's reply as one or more messages of embeds, each message within the limits."""
    lines = [escape(line) for line in reply.lines]
    for link in reply.links:
        url = safe_url(link.url)
        label = escape(truncate(link.label, 200)).replace("]", "")
        lines.append(f"[{label}]({url})" if url else f"{label}: {escape(link.url[:300])}")
    fields = [(escape(f.name), escape(f.value), f.inline) for f in reply.fields]
    stamp = reply.timestamp.isoformat() if reply.timestamp else None
    embeds = build_embeds(
        escape(reply.title),
        lines,
        fields,
        footer=reply.footer,
        colour=colour_of(reply.kind, reply.colour),
        timestamp=stamp,
    )
    messages = pack_messages(embeds)
    if len(messages) > MAX_MESSAGES:
        messages = messages[:MAX_MESSAGES]
        last = messages[-1]
        notice: Embed = {"type": "rich", "description": SHORTENED}
        if "color" in last[0]:
            notice["color"] = last[0]["color"]
        while last and (
            len(last) >= EMBEDS_PER_MESSAGE
            or sum(map(embed_size, last)) + len(SHORTENED) > EMBED_TOTAL_MAX
        ):
            last.pop()
        last.append(notice)
    return messages


def render_alert(alert: Alert) -> Embed:
    """An alert as one embed (one message: a retry must resend exactly one message)."""
    lines: list[str] = []
    if alert.summary:
        lines.append(escape(alert.summary))
    lines += [f"• {escape(c)}" for c in alert.claims]
    lines += [f"⚑ {escape(f)}" for f in alert.flags]
    description = truncate("\n".join(lines), DESCRIPTION_MAX)
    fields: list[tuple[str, str, bool]] = []
    if alert.also_reported_by:
        also = ", ".join(alert.also_reported_by)
        fields.append(("Also reported by", escape(truncate(also, 900)), False))
    footer = " · ".join(p for p in (alert.source_name, alert.published) if p) or None
    embeds = build_embeds(
        escape(alert.title),
        [description] if description else [],
        fields,
        url=alert.url,
        footer=truncate(footer, 300) if footer else None,
        colour=colour_of(alert.kind),
    )
    # Title 256 + description 4,096 + field 916 + footer 300 stay under the 6,000 total: one
    # embed. A retry must resend exactly the same single message.
    assert len(embeds) == 1
    return embeds[0]


def nonce_for(key: str) -> str:
    """A message nonce (at most 25 characters) derived from an outbox idempotency key, so a
    resend of the same alert carries the same nonce and Discord returns the first message."""
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_MAX]
