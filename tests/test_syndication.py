"""Syndicated copies: one wire story in five outlets gives one alert naming the five."""

from __future__ import annotations

from feeds import Story, relevant, rss
from feedserver import FeedServer

from bot.app import App
from bot.dedupe import signature, similarity
from bot.models import Alert, Request
from handlers import dispatch

WIRE = (
    "North Korea has sent more troops to Russia, South Korea's National Intelligence Service "
    "said on Wednesday, adding that about 3,000 additional soldiers had been deployed to the "
    "Kursk region in January and February. The spy agency told lawmakers in a closed-door "
    "briefing that the new arrivals appeared to be replacing units that suffered heavy losses "
    "in fighting with Ukrainian forces. Pyongyang has not acknowledged the deployment and "
    "Moscow declined to comment on the report."
)
OUTLETS = ["Wire One", "Daily Two", "Herald Three", "Times Four", "Post Five"]
HEADLINES = [
    "North Korea sends 3,000 more troops to Russia, Seoul says",
    "Seoul: Pyongyang deploys thousands more soldiers to Kursk",
    "NIS says North Korea sent additional troops to Russia",
    "More North Korean troops arrive in Russia - spy agency",
    "South Korea: 3,000 more North Korean soldiers in Kursk",
]


def copy(i: int) -> Story:
    """Outlet i's version of the wire story: its headline, a byline, some trimmed."""
    text = f"By staff and wires. {WIRE}"
    if i % 2:
        text = text.rsplit(" Pyongyang", 1)[0]  # the last paragraph cut
    return Story(
        guid=f"wire-{i}",
        title=HEADLINES[i],
        text=text,
        link=f"https://outlet{i}.example/nk/wire",
    )


def test_copies_are_similar_and_other_stories_are_not() -> None:
    sigs = [signature(copy(i).title, copy(i).text) for i in range(5)]
    assert all(s is not None for s in sigs)
    values = [s.values for s in sigs if s]
    assert min(similarity(values[0], v) for v in values[1:]) >= 0.5
    other = signature(relevant(1).title, relevant(1).text)
    assert other is not None and similarity(values[0], other.values) < 0.2
    assert signature("Short", "North Korea troops") is None  # too short to compare


class Recorder:
    platform = "test"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def publish(self, channel: str, alert: Alert, key: str) -> str:
        self.alerts.append(alert)
        return key


async def test_five_copies_in_five_sources_give_one_alert(
    app: App, feed_server: FeedServer
) -> None:
    recorder = Recorder()
    app.add_publisher(recorder)
    await app.ledger.subscribe("test", "c1", app.pack.id, "instant", "t")
    routes = []
    for i, name in enumerate(OUTLETS):
        routes.append(feed_server.serve(f"/f{i}", rss([], title=name)))
        await app.add_source(feed_server.url(f"/f{i}"), name, "t")
    for i, route in enumerate(routes[:4]):
        route.body = rss([copy(i)], title=OUTLETS[i])
    reports = await app.poll(force=True)
    assert sum(r.new_items for r in reports) == 4 and sum(r.alerts for r in reports) == 1

    # The fifth copy arrives while the alert is still queued: the alert names it too.
    routes[4].body = rss([copy(4)], title=OUTLETS[4])
    await app.poll(force=True)
    await app.delivery.deliver_once()
    [alert] = recorder.alerts
    assert sorted([alert.source_name, *alert.also_reported_by]) == sorted(OUTLETS)

    # All five stay in the ledger as appearances of one cluster, headed by the first.
    found = [(await app.ledger.items_by_url(app.pack.id, copy(i).link or ""))[0] for i in range(5)]
    head = min(i.id for i in found)
    assert {i.cluster_id for i in found} == {head}

    # A sixth copy after delivery: stored, not alerted again.
    routes[0].body = rss([copy(0), Story("wire-again", "Again: " + HEADLINES[0], WIRE)])
    [report] = [r for r in await app.poll(force=True) if r.new_items]
    assert report.alerts == 0
    await app.delivery.deliver_once()
    assert len(recorder.alerts) == 1

    # !why on a copy says which item was posted instead; on the first, where it was posted.
    first = next(i for i in found if i.id == head)
    later = next(i for i in found if i.id != head)
    reply = await dispatch(Request(command="why", args=later.url or ""), app.services)
    assert "a duplicate of" in reply.text and first.source_name in reply.text
    assert "Posted to test:c1" in reply.text
    reply = await dispatch(Request(command="why", args=first.url or ""), app.services)
    assert "duplicate" not in reply.text and "Also carried by 4 other outlets" in reply.text
    assert "Posted to test:c1" in reply.text
