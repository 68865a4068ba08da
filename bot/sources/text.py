"""Text helpers for parsed items: canonical URLs and HTML reduced to plain text.

Pure string functions; no I/O, and nothing here decides what an item is about.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

MAX_TEXT_CHARS = 5_000
MAX_TITLE_CHARS = 500
# Markup beyond this many characters cannot add to the capped text enough to be worth parsing.
_MAX_MARKUP_FACTOR = 8

# Query parameters that only say who sent the click; dropping them makes syndicated and
# shared copies of one link compare equal. Lower-case; "utm_*" is matched by prefix.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "ref", "ref_src", "ref_url",
        "cmpid", "ocid", "ncid", "sr_share", "spm", "_hsenc", "_hsmi", "mkt_tok", "oly_enc_id",
        "oly_anon_id", "vero_id", "smid", "maca", "at_medium", "at_campaign",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Elements whose text is not article text.
_DROP = ("script", "style", "noscript", "template", "iframe", "object")
# Elements that separate words: "<p>a</p><p>b</p>" is "a b", not "ab".
# libxml2's HTML parser: forgiving, never touches the network, keeps no comments.
_HTML_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_BLOCKS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "blockquote", "section", "article", "header", "footer", "figure", "figcaption",
    "pre", "hr", "dt", "dd",
)  # fmt: skip


def canonical_url(url: str) -> str | None:
    """``url`` with tracking parameters, fragment, default port and credentials removed.

    Scheme and host are lower-cased; the path and the remaining query are kept as they are.
    Returns None for anything but an absolute http(s) URL.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def collapse(text: str) -> str:
    return " ".join(text.split())


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def html_to_text(markup: str, limit: int = MAX_TEXT_CHARS, *, markup_ok: bool = True) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    if not markup:
        return ""
    if not markup_ok or "<" not in markup:
        text = html.unescape(markup) if markup_ok and "&" in markup else markup
        return cap(collapse(text), limit)
    markup = markup[: limit * _MAX_MARKUP_FACTOR]
    try:
        root = etree.fromstring(markup, _HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:  # nothing parseable: drop anything tag-like by hand
        return cap(collapse(html.unescape(re.sub(r"<[^>]*>", " ", markup))), limit)
    for element in root.iter(*_DROP):
        element.clear(keep_tail=True)
    for element in root.iter(*_BLOCKS):
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return cap(collapse(etree.tostring(root, method="text", encoding="unicode")), limit)


def plain_title(title: str) -> str:
    """A title as one line of plain text (Atom allows HTML titles)."""
    if "<" in title:
        return html_to_text(title, MAX_TITLE_CHARS)
    return cap(collapse(title), MAX_TITLE_CHARS)
