"""Synthetic news feeds for the polling benchmark, and the loopback server that serves them.

Deterministic: feed ``i`` of generation ``g`` is the same bytes on every run. About a third of
the items are about the story (varied sentences: who said what, figures, denials); the rest are
other news, some naming Russia or Korea without being about the troops. The server runs in its
own process (``python -m bench.feeds --feeds N``), listens on 127.0.0.1 only, on a port it
picks and prints, and answers conditional GETs (ETag, Last-Modified) with 304s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
from collections import Counter
from email.utils import format_datetime
from xml.sax.saxutils import escape

ITEMS_PER_FEED = 30
CHANGED_EVERY = 10  # generation 1 changes every 10th feed (10%) ...
NEW_ITEMS = 3  # ... by this many new items at the top
RELEVANT_SHARE = 0.3
START = dt.datetime(2024, 10, 1, 6, 0, tzinfo=dt.UTC)

SAYS = (
    "South Korea's National Intelligence Service",
    "the Joint Chiefs of Staff in Seoul",
    "Ukraine's military intelligence chief Kyrylo Budanov",
    "Ukrainian President Volodymyr Zelensky",
    "Pentagon spokesman Pat Ryder",
    "NATO Secretary General Mark Rutte",
    "US Secretary of State Antony Blinken",
    "Yonhap news agency, citing lawmakers briefed by the NIS,",
    "analysts at the Institute for the Study of War",
)
DENIERS = (
    "Kremlin spokesman Dmitry Peskov",
    "Russian Foreign Ministry spokeswoman Maria Zakharova",
    "North Korea's state news agency KCNA",
    "Russia's ambassador to the UN Vassily Nebenzia",
)
PLACES = ("the Kursk region", "Russia's Far East", "the front line in Ukraine", "Kursk")
RELEVANT = (
    "{who} said on {day} that about {n:,} North Korean soldiers had been deployed to {place}.",
    "North Korea has sent another {k:,} troops to Russia, {who} told reporters on {day}.",
    "{denier} dismissed reports that North Korean troops were fighting in Ukraine as fake news.",
    "At least {m:,} North Korean soldiers have been killed or wounded near Kursk, {who} said.",
    "{who} said {p} North Korean soldiers had been captured by Ukrainian forces in {place}.",
    "Pyongyang has shipped millions of artillery shells and dozens of missiles to Russia, "
    "according to {who}.",
    "{who} estimated that {n:,} to {n2:,} North Korean troops were now in Russia.",
    "{denier} declined to comment on the deployment of North Korean troops to {place}.",
    "The claim that North Korean soldiers took part in combat could not be independently verified.",
    "Satellite images showed North Korean troops training at a base in {place}, {who} said.",
)
OTHER = (
    "The central bank held its key interest rate at {r}% on {day}, citing slowing inflation.",
    "{team} beat {team2} {a}-{b} on {day}, moving up to third place in the league.",
    "Heavy rain caused flooding in the northern districts of {city} for a second day.",
    "Russia's economy grew {r}% in the third quarter, the statistics service said on {day}.",
    "The city council of {city} approved a new budget for parks and libraries.",
    "Shares in chipmakers rose {r}% after strong quarterly results from {company}.",
    "A new high-speed rail line between {city} and the coast opened on {day}.",
    "South Korea's exports rose for the {k}th month in a row, led by semiconductors.",
    "Officials in {city} said the annual film festival drew a record {n:,} visitors.",
    "North Korea's women's football team qualified for the Asian Cup final on {day}.",
)
TEAMS = ("Lyon", "Porto", "Celtic", "Ajax", "Napoli", "Benfica", "Feyenoord", "Sevilla")
CITIES = ("Lisbon", "Osaka", "Lyon", "Krakow", "Valencia", "Busan", "Gdansk", "Turin")
COMPANIES = ("Samsung", "TSMC", "ASML", "SK Hynix", "Micron")
TITLES_REL = (
    "{who_short}: North Korean troops in {place}",
    "North Korea sends more soldiers to Russia, says {who_short}",
    "Kremlin denies North Korean troop reports",
    "North Korean losses mount near Kursk",
    "Update: North Korea's role in Russia's war",
)
# Background sentences, built from parts, so two items rarely share long runs of words (the
# syndication check compares word 3-shingles: template-only items would look like copies).
SUBJECTS = (
    "Officials",
    "Local residents",
    "The ministry",
    "Aid groups",
    "Lawmakers",
    "Witnesses",
    "The regional governor",
    "Engineers",
    "Prosecutors",
    "Diplomats",
    "Economists",
    "Volunteers",
    "Farmers",
    "Border guards",
    "Hospital staff",
    "Teachers",
)
VERBS = (
    "reported",
    "described",
    "criticised",
    "welcomed",
    "questioned",
    "announced",
    "investigated",
    "documented",
    "postponed",
    "celebrated",
    "disputed",
    "reviewed",
)
OBJECTS = (
    "new checkpoints",
    "power cuts",
    "a fuel shortage",
    "the rebuilding plan",
    "drone sightings",
    "late wages",
    "the evacuation orders",
    "grain exports",
    "a court ruling",
    "rising prices",
    "the school reopening",
    "damaged bridges",
    "a cyberattack",
    "the census results",
    "water rationing",
    "the budget gap",
)
WHEN = (
    "late on {day}",
    "earlier this week",
    "after a tense night",
    "before dawn",
    "for the {k}th time this year",
    "near {city}",
    "in {city} on {day}",
    "despite the weather",
    "at a briefing in {city}",
    "during the weekend",
)
WIRE_SHARE = 0.05  # items that are a wire story another feed also carries (syndication)
TITLES_OTHER = ("Markets update", "Weather: floods in {city}", "Football: {team} win", "City news")


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        who=rng.choice(SAYS),
        denier=rng.choice(DENIERS),
        place=rng.choice(PLACES),
        day=f"{rng.choice(('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'))}",
        n=rng.randrange(3_000, 15_000, 500),
        n2=rng.randrange(15_000, 20_000, 500),
        k=rng.randrange(2, 5_000),
        m=rng.randrange(100, 4_000, 50),
        p=rng.choice(("two", "three", "several", "a dozen")),
        r=round(rng.uniform(0.1, 4.5), 1),
        team=rng.choice(TEAMS),
        team2=rng.choice(TEAMS),
        a=rng.randrange(0, 5),
        b=rng.randrange(0, 5),
        city=rng.choice(CITIES),
        company=rng.choice(COMPANIES),
        who_short=rng.choice(("Seoul", "Kyiv", "Washington", "NATO")),
    )


def _background(rng: random.Random) -> str:
    when = _fill(rng, rng.choice(WHEN))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {when}."


def _story(rng: random.Random) -> tuple[str, str]:
    relevant = rng.random() < RELEVANT_SHARE
    sentences, titles = (RELEVANT, TITLES_REL) if relevant else (OTHER, TITLES_OTHER)
    parts = [_fill(rng, rng.choice(sentences)) for _ in range(rng.randrange(1, 4))]
    parts += [_background(rng) for _ in range(rng.randrange(2, 5))]
    rng.shuffle(parts[1:])  # keep the lede first
    return _fill(rng, rng.choice(titles)), " ".join(parts)


def item(feed: int, number: int) -> dict[str, str]:
    """Item ``number`` of feed ``feed``: the same on every run."""
    rng = random.Random(f"{feed}:{number}")
    title, text = _story(rng)
    if feed and rng.random() < WIRE_SHARE:  # the previous feed's item, as a wire copy
        _, text = _story(random.Random(f"{feed - 1}:{number}"))
    when = START + dt.timedelta(hours=number * 3 + feed % 24, minutes=feed % 60)
    return {
        "guid": f"https://news{feed % 97}.example/{feed}/{number}",
        "link": f"https://news{feed % 97}.example/articles/{feed}-{number}.html",
        "title": title,
        "text": text,
        "when": when.isoformat(),
        "rfc822": format_datetime(when, usegmt=True),
    }


def generation_items(feed: int, gen: int) -> list[dict[str, str]]:
    """The feed's items, newest first: generation 1 adds NEW_ITEMS to every 10th feed."""
    top = ITEMS_PER_FEED
    if gen >= 1 and feed % CHANGED_EVERY == 0:
        top += NEW_ITEMS
    return [item(feed, n) for n in range(top - 1, top - 1 - ITEMS_PER_FEED, -1)]


def is_atom(feed: int) -> bool:
    return feed % 3 == 1  # a third Atom, the rest RSS 2.0


def body(feed: int, gen: int) -> bytes:
    entries = generation_items(feed, gen)
    title = escape(f"Bench Wire {feed}")
    if is_atom(feed):
        parts = "".join(
            f"<entry><id>{escape(e['guid'])}</id><title>{escape(e['title'])}</title>"
            f'<link href="{escape(e["link"])}"/><updated>{e["when"]}</updated>'
            f"<summary>{escape(e['text'])}</summary></entry>"
            for e in entries
        )
        doc = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{title}</title><id>urn:bench:{feed}</id>"
            f"<updated>{entries[0]['when']}</updated>{parts}</feed>"
        )
    else:
        parts = "".join(
            f'<item><guid isPermaLink="true">{escape(e["guid"])}</guid>'
            f"<title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
            f"<description>{escape(e['text'])}</description>"
            f"<pubDate>{e['rfc822']}</pubDate></item>"
            for e in entries
        )
        doc = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://news{feed % 97}.example/</link>"
            f"<description>Synthetic news</description>{parts}</channel></rss>"
        )
    return doc.encode()


def feed_path(feed: int) -> str:
    return f"/feeds/{feed}.xml"


# ---- the server (its own process) -----------------------------------------------------------


class Feeds:
    """The bodies of every feed, both generations, computed once at start."""

    def __init__(self, n: int) -> None:
        self.gen = 0
        self.stats: Counter[int] = Counter()
        self.docs: dict[tuple[int, int], tuple[bytes, str, str]] = {}
        for feed in range(n):
            for gen in (0, 1):
                if gen == 1 and feed % CHANGED_EVERY != 0:
                    self.docs[feed, 1] = self.docs[feed, 0]
                    continue
                data = body(feed, gen)
                etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
                modified = format_datetime(START + dt.timedelta(days=30 + gen), usegmt=True)
                self.docs[feed, gen] = (data, etag, modified)


def make_app(feeds: Feeds):  # type: ignore[no-untyped-def]
    from aiohttp import web

    async def serve(request: web.Request) -> web.Response:
        try:
            feed = int(request.match_info["feed"])
            data, etag, modified = feeds.docs[feed, feeds.gen]
        except (KeyError, ValueError):
            return web.Response(status=404)
        headers = {"ETag": etag, "Last-Modified": modified}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if (inm is not None and etag in inm) or (inm is None and ims == modified):
            feeds.stats[304] += 1
            return web.Response(status=304, headers=headers)
        feeds.stats[200] += 1
        kind = "application/atom+xml" if is_atom(feed) else "application/rss+xml"
        headers["Content-Type"] = f"{kind}; charset=utf-8"
        return web.Response(body=data, headers=headers)

    async def control(request: web.Request) -> web.Response:
        """GET /_control?gen=G: switch generation; answers and resets the status counts."""
        if "gen" in request.query:
            feeds.gen = int(request.query["gen"])
        counts = f"200={feeds.stats[200]} 304={feeds.stats[304]}"
        feeds.stats.clear()
        return web.Response(text=counts)

    app = web.Application()
    app.router.add_get("/feeds/{feed}.xml", serve)
    app.router.add_get("/_control", control)
    return app


def main(argv: list[str] | None = None) -> None:
    import asyncio

    from aiohttp import web

    parser = argparse.ArgumentParser(description="serve synthetic feeds on 127.0.0.1")
    parser.add_argument("--feeds", type=int, required=True)
    args = parser.parse_args(argv)
    feeds = Feeds(args.feeds)

    async def run() -> None:
        runner = web.AppRunner(make_app(feeds), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        port = runner.addresses[0][1]
        print(port, flush=True)  # the parent reads the port from the first line
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":
    main()
