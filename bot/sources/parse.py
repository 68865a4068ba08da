"""Parsing feed bodies (RSS 2.0, RSS 1.0/RDF, Atom, JSON Feed) into ParsedFeed records.

Pure functions of bytes: no I/O, no ledger. XML goes through fastfeedparser (lxml, entities
not resolved, no network) after a guard that refuses entity declarations; JSON Feed is read here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin

import fastfeedparser

from bot.errors import ParseError
from bot.models import Entry, ParsedFeed, Published
from bot.sources.text import canonical_url, html_to_text, plain_title

log = logging.getLogger(__name__)

MAX_KEY_CHARS = 512
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# "<!ENTITY" as UTF-8 and as UTF-16 (both byte orders), the encodings XML parsers detect.
_ENTITY_DECLS = (
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# A date element holding a date and no time: fastfeedparser turns "2024-10-18" into midnight
# UTC, which would be a wrong time, so these are found in the raw bytes and kept as dates.
_DATE_ONLY_XML = re.compile(
    rb"<(?:[\w-]+:)?(?:pubDate|date|published|updated|issued|created|modified)>"
    rb"\s*(\d{4}-\d{2}-\d{2})\s*</"
)
_FEED_ROOTS = {"rss": "rss", "rdf:rdf": "rdf", "rdf": "rdf", "feed": "atom", "channel": "rss"}


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a fetched body. Raises ParseError("not a feed: ...") for anything but a feed.

    ``url`` is the URL the body came from (relative links are resolved against it);
    ``content_type`` is only a hint: the bytes decide.
    """
    head = body.lstrip()
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :].lstrip()
            break
    if not head:
        raise ParseError("not a feed: the response is empty")
    if head[:1] in (b"{", b"["):
        return _parse_json(head, url)
    if head[:1] != b"<" and not body.startswith(_BOMS[1:]):
        if content_type and "html" in content_type.lower():
            raise ParseError("not a feed: got an HTML page")
        raise ParseError("not a feed: the response is neither XML nor JSON")
    return _parse_xml(body, head, url)


# ---- XML (RSS, RDF, Atom) -------------------------------------------------------------------


def _parse_xml(body: bytes, head: bytes, url: str) -> ParsedFeed:
    if any(decl in body for decl in _ENTITY_DECLS):
        # Entity declarations are how "billion laughs" and XXE attacks start, and no real
        # feed needs them (https://docs.python.org/3/library/xml.html#xml-vulnerabilities).
        raise ParseError("not a feed: XML entity declarations are refused")
    match = _FIRST_TAG.search(head, 0, 65_536)
    root = match.group(1).decode("ascii", "replace").lower() if match else ""
    if root == "html" or head[:15].lower().startswith(b"<!doctype html"):
        raise ParseError("not a feed: got an HTML page")
    kind = _FEED_ROOTS.get(root, "")
    try:
        raw = fastfeedparser.parse(body)
    except Exception as exc:  # the library raises ValueError, KeyError ... on bad input
        log.debug("fastfeedparser failed on %s: %r", url, exc)
        if "HTML" in str(exc):
            raise ParseError("not a feed: got an HTML page") from None
        shown = f"<{root}> document" if root else "not XML"
        raise ParseError(f"not a feed: {shown}") from None
    if not kind:
        kind = "rdf" if root.endswith("rdf") else "rss"
    date_only = {m.decode() for m in _DATE_ONLY_XML.findall(body)}
    feed_info = raw.get("feed") or {}
    entries = _entries(raw.get("entries") or (), lambda e: _xml_entry(e, url, date_only), url)
    return ParsedFeed(
        title=_clean(plain_title(str(feed_info.get("title") or ""))),
        kind=kind,
        entries=entries,
        link=_absolute(feed_info.get("link"), url),
    )


def _xml_entry(e: Any, base: str, date_only: set[str]) -> Entry:
    link = _absolute(e.get("link"), base)
    guid = e.get("id")
    # fastfeedparser fills a missing guid with the link; then the canonical link is the key.
    guid = str(guid).strip() if guid is not None and guid != e.get("link") else None
    published = _iso_to_published(e.get("published") or e.get("updated"), date_only)
    content = e.get("content")
    html = ""
    if isinstance(content, list) and content:
        html = str(content[0].get("value") or "")
    html = html or str(e.get("description") or "")
    return _entry(
        guid=guid,
        title=plain_title(str(e.get("title") or "")),
        link=link,
        published=published,
        text=html_to_text(html),
        author=e.get("author"),
    )


def _iso_to_published(value: object, date_only: set[str]) -> Published:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    day = when.date().isoformat()
    if day in date_only and when.time() == dt.time(0, 0):
        return when.date()
    return when


# ---- JSON Feed (https://www.jsonfeed.org/version/1.1/) --------------------------------------


def _parse_json(head: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(head)
    except (ValueError, RecursionError):
        raise ParseError("not a feed: invalid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError("not a feed: JSON without a JSON Feed items list")
    version = str(data.get("version") or "")
    if version and "jsonfeed.org" not in version:
        raise ParseError("not a feed: JSON, but not a JSON Feed")
    items = [item for item in data["items"] if isinstance(item, dict)]
    entries = _entries(items, lambda item: _json_entry(item, url), url)
    return ParsedFeed(
        title=_clean(plain_title(_str(data.get("title")))),
        kind="json",
        entries=entries,
        link=_absolute(data.get("home_page_url"), url),
    )


def _json_entry(item: dict[str, Any], base: str) -> Entry:
    link = _absolute(item.get("url") or item.get("external_url"), base)
    guid = item.get("id")
    if isinstance(guid, str | int) and not isinstance(guid, bool) and str(guid).strip():
        guid_text: str | None = str(guid).strip()
    else:
        guid_text = None
    html = _str(item.get("content_html"))
    text = (
        html_to_text(html)
        if html
        else html_to_text(_str(item.get("content_text")), markup_ok=False)
    )
    if not text:
        text = html_to_text(_str(item.get("summary")), markup_ok=False)
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    author = None
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        author = _str(authors[0].get("name")) or None
    return _entry(
        guid=guid_text,
        title=plain_title(_str(item.get("title"))),
        link=link,
        published=_json_date(item.get("date_published") or item.get("date_modified")),
        text=text,
        author=author,
    )


def _json_date(value: object) -> Published:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


# ---- shared ---------------------------------------------------------------------------------


def _entries(raw: Iterable[Any], convert: Callable[[Any], Entry], url: str) -> tuple[Entry, ...]:
    """Convert each raw item; an item too odd to read is skipped (and logged), not the feed."""
    entries: list[Entry] = []
    for item in raw:
        try:
            entries.append(convert(item))
        except Exception as exc:  # one malformed item must not cost the others
            log.warning("skipped an unreadable item in %s: %r", url, exc)
    return tuple(entries)


def _entry(
    *,
    guid: str | None,
    title: str,
    link: str | None,
    published: Published,
    text: str,
    author: object,
) -> Entry:
    # Control characters (NUL above all: PostgreSQL refuses it in text) mean nothing in news.
    guid, title, text = _clean(guid or ""), _clean(title), _clean(text)
    link = _clean(link) if link else None
    canonical = canonical_url(link) if link else None
    if guid:
        key = guid if len(guid) <= MAX_KEY_CHARS else "sha256:" + _sha256(guid)
    elif canonical:
        key = canonical
    else:
        stamp = published.isoformat() if published else ""
        key = "sha256:" + _sha256(f"{title}\n{stamp}")
    return Entry(
        key=key,
        title=title,
        url=link,
        canonical_url=canonical,
        text=text,
        published=published,
        author=str(author).strip() or None if author else None,
    )


def _absolute(link: object, base: str) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    # Most links are absolute already, and urljoin costs more than the rest of an entry.
    return link if link.startswith(("https://", "http://")) else urljoin(base, link)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text) if text else text


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
