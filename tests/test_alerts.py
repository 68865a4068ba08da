"""Alerts say what is new: a first claim, an update, a reversal, a disagreement."""

from __future__ import annotations

import datetime as dt

from bot.alerts import build_alert, claim_flags
from bot.claims.pack import load_pack
from bot.models import Claim, ClaimRecord, Entry

PACK = load_pack("nk-troops")


def record(
    n: int,
    question: str,
    actor: str,
    stance: str,
    value: float | None = None,
    day: dt.date = dt.date(2024, 10, 18),
) -> ClaimRecord:
    when = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    claim = Claim(question, actor, stance, value, said_at=when)
    return ClaimRecord(
        id=n, item_id=n, claim=claim, said_at=when, url=None, title="t", source_name="S"
    )


def test_first_claim_of_an_actor_is_new() -> None:
    flags = claim_flags(PACK, Claim("troops.count", "kr.nis", "asserts", 12000), [])
    assert flags == ["new: first troops.count claim from " + PACK.actor_name("kr.nis")]


def test_a_changed_figure_is_an_update() -> None:
    earlier = [record(1, "troops.count", "kr.nis", "asserts", 11000)]
    [flag] = claim_flags(PACK, Claim("troops.count", "kr.nis", "asserts", 15000), earlier)
    assert flag.startswith("updates") and "11,000" in flag and "15,000" in flag


def test_a_reversed_stance_is_a_contradiction() -> None:
    earlier = [record(1, "troops.deployed", "ru.government", "denies")]
    [flag] = claim_flags(PACK, Claim("troops.deployed", "ru.government", "confirms"), earlier)
    assert flag.startswith("contradicts") and "denies" in flag and "2024-10-18" in flag


def test_same_claim_again_says_nothing() -> None:
    earlier = [record(1, "troops.count", "kr.nis", "asserts", 12000)]
    assert claim_flags(PACK, Claim("troops.count", "kr.nis", "asserts", 12000), earlier) == []


def test_disagreement_with_other_actors() -> None:
    earlier = [
        record(1, "casualties.total", "kr.military", "asserts", 1100),
        record(2, "casualties.total", "ua.government", "asserts", 3000),
        record(3, "casualties.total", "kr.nis", "asserts", 3100),
    ]
    flags = claim_flags(PACK, Claim("casualties.total", "kr.nis", "asserts", 3000), earlier)
    [disagree] = [f for f in flags if f.startswith("disagrees")]
    assert PACK.actor_name("kr.military") in disagree
    assert PACK.actor_name("ua.government") not in disagree  # 3,000 vs 3,000 agrees


def test_alert_names_claims_and_flags() -> None:
    entry = Entry(
        key="k",
        title="NIS: 15,000 sent",
        url="https://news.example/1",
        published=dt.date(2025, 4, 30),
    )
    claim = Claim("troops.count", "kr.nis", "asserts", 15000, qualifier="about")
    alert = build_alert(
        PACK,
        entry,
        "Yonhap",
        "summary",
        [claim],
        [record(1, "troops.count", "kr.nis", "asserts", 11000)],
    )
    assert alert.title == "NIS: 15,000 sent" and alert.source_name == "Yonhap"
    assert len(alert.claims) == 1 and "15,000" in alert.claims[0]
    assert any(f.startswith("updates") for f in alert.flags)
    assert alert.published == "2025-04-30"
