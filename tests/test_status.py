"""Status aggregation and its chat replies, on ClaimRecords built by hand (no ledger, no mocks)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from bot.claims.pack import StoryPack, parse_pack
from bot.claims.status import (
    question_detail,
    summarize,
    timeline,
)
from bot.claims.status_format import (
    STATUS_BUDGET,
    actor_label,
    claims_reply,
    fmt_value,
    question_reply,
    status_reply,
    timeline_reply,
)
from bot.claims.topics import resolve_topic
from bot.models import Claim, ClaimRecord

ACTORS = [
    ("kr.nis", "South Korea's National Intelligence Service", ["NIS", "spy agency"], "NIS"),
    ("kr.military", "South Korean military", ["JCS", "Joint Chiefs of Staff"], "JCS"),
    ("kr.government", "South Korean government", ["Seoul", "presidential office"], None),
    ("ua.government", "Ukrainian government", ["Zelenskyy", "Umerov"], "Ukraine"),
    ("ua.intelligence", "Ukrainian military intelligence", ["HUR", "GUR", "Budanov"], "HUR"),
    ("ua.military", "Ukrainian armed forces", ["General Staff"], None),
    ("ru.government", "Russian government", ["Kremlin", "Putin", "Peskov"], "Russia"),
    ("ru.military", "Russian military", ["Gerasimov"], None),
    ("kp.government", "North Korean government", ["Pyongyang", "KCNA"], "North Korea"),
    ("us.government", "US government", ["Pentagon", "White House"], "US"),
    ("nato", "NATO", ["Rutte"], None),
    ("media", "Media reports", [], None),
    ("experts", "Analysts", ["think tank"], None),
]
QUESTIONS = [
    ("troops.deployed", "Troops sent to Russia", False, ["deploy", "dispatch"]),
    ("troops.count", "Number of troops", True, ["troops", "soldiers"]),
    ("troops.combat", "Troops in combat", False, ["combat", "fighting"]),
    ("casualties.killed", "Killed", True, ["killed", "dead"]),
    ("casualties.wounded", "Wounded", True, ["wounded", "injured"]),
    ("casualties.total", "Casualties", True, ["casualties", "losses"]),
    ("prisoners", "Prisoners", True, ["captured", "prisoners"]),
    ("arms.supply", "Arms supplies", False, ["shells", "missiles"]),
]


def make_pack() -> StoryPack:
    raw = {
        "id": "nk-troops",
        "title": "North Korean troops in Russia's war against Ukraine",
        "actors": [
            {"id": i, "name": n, "aliases": a, **({"short": s} if s else {})}
            for i, n, a, s in ACTORS
        ],
        "questions": [
            {"id": i, "label": lbl, "numeric": num, "cues": c} for i, lbl, num, c in QUESTIONS
        ],
    }
    return parse_pack(raw)


PACK = make_pack()
_ids = itertools.count(1)


def rec(
    question: str,
    actor: str,
    stance: str,
    date: str,
    value: float | None = None,
    *,
    value_high: float | None = None,
    qualifier: str | None = None,
    outlet: str = "Yonhap",
    item: int | None = None,
    confidence: float = 0.5,
) -> ClaimRecord:
    n = next(_ids)
    return ClaimRecord(
        id=n,
        item_id=item if item is not None else 1000 + n,
        claim=Claim(question, actor, stance, value, value_high, qualifier, confidence=confidence),
        said_at=dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC),
        url=f"https://news.invalid/{n}",
        title=f"item {n}",
        source_name=outlet,
    )


NOW = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)

RUSSIA = [
    rec("troops.deployed", "ru.government", "denies", "2024-10-10", outlet="Reuters"),
    rec("troops.deployed", "ru.government", "denies", "2024-10-11", outlet="News.az"),
    rec("troops.deployed", "ru.government", "deflects", "2024-10-21", outlet="Interfax"),
    rec("troops.deployed", "ru.government", "confirms", "2025-04-28", outlet="TASS"),
]
NIS_COUNTS = [
    rec("troops.count", "kr.nis", "asserts", "2024-10-23", 3000, qualifier="about"),
    rec("troops.count", "kr.nis", "asserts", "2024-11-20", 11000, qualifier="about"),
    rec("troops.count", "kr.nis", "asserts", "2025-04-30", 15000, qualifier="about"),
]


def qstatus(records: list[ClaimRecord], qid: str):  # type: ignore[no-untyped-def]
    return next(q for q in summarize(PACK, records, NOW).questions if q.question == qid)


def test_latest_claim_per_actor_and_range() -> None:
    records = [
        *NIS_COUNTS,
        rec("troops.count", "us.government", "asserts", "2024-11-18", 11000),
        rec("troops.count", "kr.military", "asserts", "2025-03-27", 11000),
        rec("troops.count", "ua.government", "asserts", "2024-10-17", 10000),
    ]
    q = qstatus(records, "troops.count")
    latest = {p.actor: p.value for p in q.positions}
    assert latest == {
        "kr.nis": 15000,
        "us.government": 11000,
        "kr.military": 11000,
        "ua.government": 10000,
    }
    assert q.positions[0].actor == "kr.nis"  # newest first
    assert (q.low, q.high) == (10000, 15000)
    assert q.contest == "value"  # 15,000 against 10,000 is more than 25% apart


def test_range_claim_counts_its_upper_end() -> None:
    q = qstatus(
        [
            rec("troops.count", "media", "asserts", "2025-02-27", 1000, value_high=3000),
            rec("troops.count", "kr.military", "asserts", "2025-03-27", 3000, qualifier="at least"),
        ],
        "troops.count",
    )
    assert (q.low, q.high) == (1000, 3000)
    assert fmt_value(1000, 3000) == "1,000–3,000"
    assert fmt_value(11000, None, "about") == "about 11,000"


def test_russia_denial_to_confirmation_is_a_change() -> None:
    q = qstatus(RUSSIA, "troops.deployed")
    assert [(c.before.stance, c.after.stance) for c in q.changes] == [
        ("deflects", "confirms"),
        ("denies", "deflects"),
    ]
    (latest,) = q.latest_changes
    assert latest.kind == "stance"
    assert latest.after.said_at.date() == dt.date(2025, 4, 28)
    # A repeated denial by another outlet is not a change; the run starts at its first report.
    assert q.changes[1].before.said_at.date() == dt.date(2024, 10, 10)
    assert q.positions[0].stance == "confirms"


def test_value_change_of_the_same_actor() -> None:
    q = qstatus(NIS_COUNTS, "troops.count")
    assert [(c.before.value, c.after.value, c.kind) for c in q.changes] == [
        (11000, 15000, "value"),
        (3000, 11000, "value"),
    ]
    text = question_reply(PACK, q).text
    assert "NIS: about 11,000 (2024-11-20) → about 15,000 (2025-04-30)" in text


def test_claim_without_a_figure_does_not_change_the_figure() -> None:
    records = [*NIS_COUNTS, rec("troops.count", "kr.nis", "asserts", "2025-05-01")]
    assert len(qstatus(records, "troops.count").changes) == 2


def test_many_outlets_repeating_one_actor_are_one_origin() -> None:
    outlets = [f"Outlet {n}" for n in range(50)]
    records = [
        rec("casualties.killed", "kr.nis", "asserts", "2024-12-19", 100, outlet=o) for o in outlets
    ]
    q = qstatus(records, "casualties.killed")
    assert q.origins.total == 1
    assert q.origins.support == ("kr.nis",)
    assert (q.reports, q.outlets) == (50, 50)
    assert not q.changes
    assert "1 origin (1 for)" in question_reply(PACK, q).text


def test_origins_count_distinct_actors_by_latest_polarity() -> None:
    records = [
        *RUSSIA,
        rec("troops.deployed", "kr.nis", "asserts", "2024-10-18"),
        rec("troops.deployed", "kr.nis", "asserts", "2024-10-18", outlet="KBS"),
        rec("troops.deployed", "nato", "doubts", "2024-10-16"),
        rec("troops.deployed", "kp.government", "denies", "2024-10-22"),
    ]
    q = qstatus(records, "troops.deployed")
    assert q.origins.support == ("kr.nis", "ru.government")
    assert q.origins.deny == ("kp.government",)
    assert q.origins.doubt == ("nato",)
    assert q.contest == "polarity"


def test_contested_clears_when_latest_claims_agree() -> None:
    records = [
        *RUSSIA,
        rec("troops.deployed", "kr.nis", "asserts", "2024-10-18"),
        rec("troops.deployed", "nato", "doubts", "2024-10-16"),
        rec("troops.deployed", "nato", "confirms", "2024-10-28"),
    ]
    assert not qstatus(records, "troops.deployed").contested
    # As of November 2024 Russia still deflected: contested then.
    then = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    q = next(q for q in summarize(PACK, records, then).questions if q.question == "troops.deployed")
    assert q.contest == "polarity"
    assert all(p.said_at <= then for p in q.positions)


def test_close_figures_are_not_contested() -> None:
    records = [
        rec("troops.count", "us.government", "asserts", "2024-11-18", 11000),
        rec("troops.count", "kr.nis", "asserts", "2024-11-20", 11000),
        rec("troops.count", "ua.intelligence", "asserts", "2024-10-24", 12000),
    ]
    assert not qstatus(records, "troops.count").contested


def test_several_figures_in_one_item_keep_the_headline_one() -> None:
    records = [
        rec("troops.count", "kr.nis", "asserts", "2024-10-18T09:00", 12000, item=9),
        rec("troops.count", "kr.nis", "asserts", "2024-10-18T09:00", 1500, item=9),
    ]
    q = qstatus(records, "troops.count")
    assert q.positions[0].value == 12000
    assert not q.changes


def test_timeline_collapses_repeats_oldest_first() -> None:
    records = [
        rec("troops.count", "kr.nis", "asserts", "2024-11-20", 11000, outlet="Reuters"),
        rec("troops.count", "us.government", "asserts", "2024-11-18", 11000),
        rec("troops.count", "kr.nis", "asserts", "2024-11-21", 11000, outlet="Yonhap"),
        rec("troops.count", "kr.nis", "asserts", "2024-11-22", 11000, outlet="KBS"),
        rec("troops.count", "kr.nis", "asserts", "2025-04-30", 15000),
        *RUSSIA,
    ]
    entries = timeline(PACK, records, "troops.count")
    assert [(e.position.actor, e.position.value, e.reports) for e in entries] == [
        ("us.government", 11000, 1),
        ("kr.nis", 11000, 3),
        ("kr.nis", 15000, 1),
    ]
    assert entries[1].sources == ("Reuters", "Yonhap", "KBS")
    assert entries[1].last_said_at.date() == dt.date(2024, 11, 22)
    assert [e.change for e in entries] == ["first", "first", "value"]
    everything = timeline(PACK, records)
    russia = [e for e in everything if e.position.actor == "ru.government"]
    assert [(e.position.stance, e.reports, e.change) for e in russia] == [
        ("denies", 2, "first"),
        ("deflects", 1, "stance"),
        ("confirms", 1, "stance"),
    ]
    dates = [e.position.said_at for e in everything]
    assert dates == sorted(dates)
    text = timeline_reply(PACK, everything).text
    assert "2024-10-10 troops.deployed: Russia denies ×2 to 2024-10-11" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("troops.count", ("question", "troops.count")),
        ("  Troops.Count ", ("question", "troops.count")),
        ("casualties", ("question", "casualties.total")),
        ("troops", ("question", "troops.deployed")),
        ("killed", ("question", "casualties.killed")),
        ("kill", ("question", "casualties.killed")),
        ("prisoners", ("question", "prisoners")),
        ("arms", ("question", "arms.supply")),
        ("losses", ("question", "casualties.total")),
        ("kr.nis", ("actor", "kr.nis")),
        ("nis", ("actor", "kr.nis")),
        ("NIS", ("actor", "kr.nis")),
        ("russia", ("actor", "ru.government")),
        ("Kremlin", ("actor", "ru.government")),
        ("nato", ("actor", "nato")),
        ("pentagon", ("actor", "us.government")),
        ("budanov", ("actor", "ua.intelligence")),
        ("north korean", ("actor", "kp.government")),
        ("", None),
        ("!!!", None),
        ("banana", None),
    ],
)
def test_resolve_topic(text: str, expected: tuple[str, str] | None) -> None:
    assert resolve_topic(PACK, text) == expected


def _busy_ledger() -> list[ClaimRecord]:
    """Every actor on every question, with figures, changes and long outlet names."""
    records = []
    for qn, (qid, _, numeric, _) in enumerate(QUESTIONS):
        for an, (aid, *_) in enumerate(ACTORS):
            for step in range(3):
                value = float(1000 * (an + 1) + 100 * step) if numeric else None
                stance = "denies" if (an + step + qn) % 5 == 0 else "asserts"
                records.append(
                    rec(
                        qid,
                        aid,
                        stance,
                        f"2025-0{step + 1}-1{an % 10}",
                        value,
                        qualifier="more than" if an % 2 else "about",
                        outlet=f"A Rather Long Outlet Name {an}",
                    )
                )
    return records


def test_status_reply_fits_one_message_with_many_actors() -> None:
    status = summarize(PACK, _busy_ledger(), NOW)
    reply = status_reply(PACK, status)
    assert len(reply.text) < STATUS_BUDGET
    assert len(reply.fields) == len(QUESTIONS) <= 25
    assert all(len(f.value) <= 1024 for f in reply.fields)
    assert "contested" in reply.text
    assert reply.text.count("[troops.count]") == 1


def test_status_reply_keeps_detail_when_there_is_room() -> None:
    records = [
        *RUSSIA,
        *NIS_COUNTS,
        rec("troops.count", "us.government", "asserts", "2024-11-18", 11000),
    ]
    reply = status_reply(PACK, summarize(PACK, records, NOW))
    assert len(reply.text) < STATUS_BUDGET
    assert "about 15,000" in reply.text
    assert "3,000–15,000" not in reply.text  # the range is over latest claims only
    assert "11,000–15,000" in reply.text
    assert "Russia: deflects (2024-10-21) → confirms (2025-04-28)" in reply.text
    assert "No claims yet: troops.combat" in reply.text


def test_status_reply_on_an_empty_ledger() -> None:
    reply = status_reply(PACK, summarize(PACK, [], NOW))
    assert "No claims" in reply.text


def test_question_detail_and_reply() -> None:
    q = question_detail(PACK, "troops.deployed", [*RUSSIA, *NIS_COUNTS])
    assert q.question == "troops.deployed"
    assert q.reports == len(RUSSIA)
    text = question_reply(PACK, q).text
    assert "Russia confirms (2025-04-28) · TASS" in text
    assert "Russia: denies (2024-10-10) → deflects (2024-10-21)" in text


def test_claims_reply_newest_first_with_links() -> None:
    records = [*RUSSIA, *NIS_COUNTS]
    reply = claims_reply(PACK, records, ("actor", "ru.government"))
    assert reply.lines[0].startswith("[1] 2025-04-28 troops.deployed: Russia confirms")
    assert len(reply.lines) == len(RUSSIA)
    assert [link.url for link in reply.links] == [r.url for r in reversed(RUSSIA)]
    limited = claims_reply(PACK, records, None, limit=2)
    assert len(limited.links) == 2
    assert limited.lines[-1] == "… 5 older claims not shown"
    assert claims_reply(PACK, records, ("question", "prisoners")).lines == ("No claims found.",)


def test_status_reply_counts_the_handlers_footer() -> None:
    status = summarize(PACK, _busy_ledger(), NOW)
    footer = "27/27 sources polling (3 failing) · last poll 4 minutes ago · 12,345 relevant items"
    reply = status_reply(PACK, status, footer=footer)
    assert reply.footer == footer
    assert len(reply.text) < STATUS_BUDGET


def test_actor_labels_come_from_the_pack_data() -> None:
    raw = {
        "id": "s",
        "title": "t",
        "actors": [
            {
                "id": "kr.nis",
                "name": "South Korea's National Intelligence Service",
                "aliases": ["National Intelligence Service", "NIS"],
            },
            {"id": "ru.government", "name": "Russia's government (Kremlin)"},
            {"id": "kp.government", "name": "North Korea's government and state media"},
            {"id": "us.government", "name": "US government"},
            {"id": "kr.x", "name": "Short", "short": "SX"},
            {"id": "experts", "name": "A very long name for analysts and think tanks"},
        ],
    }
    pack = parse_pack(raw)
    labels = [actor_label(pack, a["id"]) for a in raw["actors"]]
    assert labels == ["NIS", "Kremlin", "North Korea", "US government", "SX", "experts"]
    assert actor_label(pack, "unknown.actor") == "unknown.actor"


def test_the_shipped_archive_is_well_formed() -> None:
    path = Path(__file__).resolve().parent.parent / "bot" / "stories" / "nk-troops.archive.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 45
    keys = {"id", "url", "outlet", "published", "title", "text"}
    assert all(set(item) == keys and all(item.values()) for item in items)
    assert len({item["id"] for item in items}) == len(items)
    dates = [dt.datetime.fromisoformat(item["published"].replace("Z", "+00:00")) for item in items]
    assert dates == sorted(dates)
    assert dates[0] < dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    assert dates[-1] >= dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert all(item["url"].endswith("/" + item["id"]) for item in items)
