"""parse_feed on the four formats, hostile bodies, and the text/URL helpers."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.sources.parse import parse_feed
from bot.sources.text import canonical_url, html_to_text

DATA = Path(__file__).parent / "data"
UTC = dt.UTC


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rss2() -> None:
    feed = parse_feed(load("rss2.xml"), "https://wire.example.com/rss")
    assert (feed.kind, feed.title, feed.link) == (
        "rss",
        "Sample Wire & Co",
        "https://wire.example.com/",
    )
    first, second, third = feed.entries
    assert first.key == "wire-2024-10-30-0001"
    assert first.canonical_url == "https://wire.example.com/news/nis-11000?id=42"
    assert first.published == dt.datetime(2024, 10, 30, 5, 5, tzinfo=UTC)
    assert first.author == "Kim Reporter"
    # content:encoded wins over description; scripts and tags are gone, &nbsp; is a space.
    assert first.text == (
        "South Korea's spy agency said on Wednesday that about 11,000 North Korean troops "
        "have been sent to Russia. Lawmakers were briefed in closed session."
    )
    # No guid: the key is the canonical link (tracking params gone, host lower-cased).
    assert second.key == "https://wire.example.com/news/kremlin?page=2"
    assert second.published == dt.date(2024, 10, 18)
    assert not isinstance(second.published, dt.datetime)
    # Neither guid nor link: a hash of title and date, stable across parses.
    assert third.key.startswith("sha256:") and third.url is None
    assert third.published == dt.datetime(2024, 10, 18, 9, 0, tzinfo=UTC)
    again = parse_feed(load("rss2.xml"), "https://wire.example.com/rss")
    assert [e.key for e in again.entries] == [e.key for e in feed.entries]


def test_rdf() -> None:
    feed = parse_feed(load("rdf.xml"), "https://broadcaster.example.org/rdf")
    assert feed.kind == "rdf" and feed.title == "Sample Broadcaster (RDF)"
    first, second = feed.entries
    assert first.key == "https://broadcaster.example.org/a-70616000"
    assert first.canonical_url == "https://broadcaster.example.org/a-70616000"
    assert first.published == dt.datetime(2024, 10, 28, 10, 30, tzinfo=UTC)
    assert second.published == dt.date(2024, 10, 21)


def test_atom() -> None:
    feed = parse_feed(load("atom.xml"), "https://analysis.example.net/atom.xml")
    assert feed.kind == "atom" and feed.title == "Sample Analysis"
    first, second = feed.entries
    assert first.key == "tag:analysis.example.net,2024:post-17"
    # A relative link is resolved against the document's URL (RFC 4287 section 4.2.7.1).
    assert first.url == "https://analysis.example.net/2024/11/satellite?ref=homepage"
    assert first.canonical_url == "https://analysis.example.net/2024/11/satellite"
    assert first.published == dt.datetime(2024, 11, 4, 23, 30, tzinfo=UTC)
    assert first.text == "Imagery shows new activity. Second paragraph."
    assert first.author == "Jane Analyst"
    # No <published>: <updated> stands in.
    assert second.published == dt.datetime(2024, 11, 6, 8, 0, tzinfo=UTC)
    assert second.text == "Escaped & html"


def test_json_feed() -> None:
    feed = parse_feed(load("jsonfeed.json"), "https://json.example.com/feed.json")
    assert feed.kind == "json" and feed.title == "Sample JSON Feed"
    first, second, third = feed.entries
    assert first.key == "https://json.example.com/posts/1"
    assert first.canonical_url == "https://json.example.com/posts/1?lang=en"
    assert first.published == dt.datetime(2024, 11, 5, 7, 0, tzinfo=UTC)
    assert first.text == "Ukraine's intelligence says units reached the front."
    assert first.author == "Desk"
    assert second.key == "2" and second.published == dt.date(2024, 11, 6)
    assert third.key.startswith("sha256:") and third.text == "Falls back to a hash."


def test_empty_feed_is_valid() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title></channel></rss>'
    feed = parse_feed(body, "https://e.example/")
    assert feed.entries == () and feed.title == "E"
    assert (
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": []}', "x").entries == ()
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>", "HTML page"),
        (b"<html><body><p>Just a page</p></body></html>", "HTML page"),
        (b"\x00\x01\x02garbage\xff\xfe\x00", "not a feed"),
        (b"Service temporarily unavailable", "neither XML nor JSON"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"error": "rate limited"}', "JSON"),
        (b"{not json", "invalid JSON"),
        (b'<?xml version="1.0"?><error><message>quota</message></error>', "not a feed"),
    ],
)
def test_not_a_feed(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match="not a feed") as info:
        parse_feed(body, "https://x.example/feed")
    assert message in str(info.value)


def billion_laughs(levels: int = 10) -> bytes:
    ents = ['<!ENTITY e0 "lollollollollollollollollollol">']
    ents += [f'<!ENTITY e{i} "' + f"&e{i - 1};" * 10 + '">' for i in range(1, levels)]
    return (
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(ents) + ']><rss version="2.0">'
        f"<channel><title>t</title><item><title>&e{levels - 1};</title>"
        f"<description>&e{levels - 1};</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        billion_laughs(),
        billion_laughs().decode().encode("utf-16"),
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
        b'<rss version="2.0"><channel></channel></rss>',
    ],
    ids=["billion-laughs", "billion-laughs-utf16", "xxe-file", "xxe-parameter"],
)
def test_entity_declarations_are_refused_fast(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError, match="entity declarations"):
        parse_feed(body, "https://x.example/feed")
    assert time.perf_counter() - started < 0.5


def test_undeclared_entities_do_not_expand() -> None:
    # No DOCTYPE to refuse: an entity reference with no declaration must simply not expand.
    body = (
        b'<rss version="2.0"><channel><item><title>a &lol9; b</title><guid>g</guid>'
        b"</item></channel></rss>"
    )
    (entry,) = parse_feed(body, "https://x.example/").entries
    assert "lol" not in entry.text and len(entry.title) < 20


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://News.Example.COM:443/a/b?utm_source=x&utm_medium=y&id=3#frag",
            "https://news.example.com/a/b?id=3",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x?fbclid=1&gclid=2&mc_cid=3&ref=tw", "http://example.com:8080/x"),
        ("https://user:pw@example.com/x?b=2&a=1", "https://example.com/x?b=2&a=1"),
        (
            "https://example.com/search?q=north+korea&UTM_Source=x",
            "https://example.com/search?q=north+korea",
        ),
        ("ftp://example.com/x", None),
        ("/relative/path", None),
        ("http://[::1", None),
    ],
)
def test_canonical_url(url: str, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_html_to_text_caps_and_collapses() -> None:
    assert html_to_text("<div>a<p>b</p>c</div>") == "a b c"
    assert html_to_text("<p>one</p>\n\n<p>two&amp;three</p><style>p{}</style>") == "one two&three"
    assert html_to_text("plain &lt;not a tag&gt;") == "plain <not a tag>"
    long = "<p>" + "word " * 5000 + "</p>"
    text = html_to_text(long)
    assert len(text) <= 5000 and text.endswith("…")
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"


@pytest.mark.parametrize("name", ["rss2.xml", "rdf.xml", "atom.xml", "jsonfeed.json"])
def test_truncated_and_mangled_bodies_give_a_feed_or_parse_error(name: str) -> None:
    body = load(name)
    rng = random.Random(name)
    cuts = list(range(0, len(body), 37))
    mangled = [body[:cut] for cut in cuts]
    for _ in range(100):
        data = bytearray(body)
        for _ in range(10):
            data[rng.randrange(len(data))] = rng.randrange(256)
        mangled.append(bytes(data))
    for sample in mangled:
        try:
            feed = parse_feed(sample, "https://x.example/feed")
        except ParseError as exc:
            assert str(exc).startswith("not a feed")
        else:
            assert all(entry.key for entry in feed.entries)


def test_control_characters_are_dropped() -> None:
    """NUL and other C0 characters mean nothing in news, and PostgreSQL refuses NUL in text."""
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T\u0000itle",
            "items": [
                {
                    "id": "1\u0000",
                    "title": "a\u0000b\u0007",
                    "content_text": "c\u0000d",
                    "url": "https://x.example/\u0000a",
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, "https://x.example/feed.json", "application/feed+json")
    [entry] = feed.entries
    assert (feed.title, entry.key, entry.title, entry.text) == ("Title", "1", "ab", "cd")
    assert entry.url == "https://x.example/a"
