"""Build small RSS and Atom documents for tests (deterministic, news-like)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

RELEVANT = (
    "North Korean troops have been sent to Russia, South Korea's National "
    "Intelligence Service said on {n}, adding that about {count} soldiers were now "
    "near Kursk."
)
OTHER = "The city council approved a new budget for parks and libraries on day {n}."


@dataclass(frozen=True)
class Story:
    guid: str
    title: str
    text: str
    date: str = "Fri, 18 Oct 2024 09:00:00 GMT"
    link: str | None = None


def relevant(n: int, count: int = 12_000) -> Story:
    return Story(
        guid=f"nk-{n}",
        title=f"Seoul: North Korean troops in Russia (update {n})",
        text=RELEVANT.format(n=n, count=f"{count:,}"),
        link=f"https://news.example/nk/{n}",
    )


def unrelated(n: int) -> Story:
    return Story(
        guid=f"city-{n}",
        title=f"Council budget vote {n}",
        text=OTHER.format(n=n),
        link=f"https://news.example/city/{n}",
    )


def rss(stories: list[Story], title: str = "Test Wire") -> bytes:
    items = "".join(
        f"<item><guid>{escape(s.guid)}</guid><title>{escape(s.title)}</title>"
        f"<link>{escape(s.link or '')}</link><description>{escape(s.text)}</description>"
        f"<pubDate>{s.date}</pubDate></item>"
        for s in stories
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>t</description>{items}</channel></rss>"
    ).encode()
