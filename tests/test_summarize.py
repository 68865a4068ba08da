"""Summaries: claim sentences first, else the lead; about two sentences, under the limit."""

from __future__ import annotations

from bot.models import Claim
from bot.summarize import LIMIT, summarize


def claim(quote: str) -> Claim:
    return Claim(question="troops.count", actor="kr.nis", stance="asserts", quote=quote)


def test_lead_when_no_claims_about_two_sentences() -> None:
    text = "First sentence here. Second sentence is here too. Third one follows. Fourth."
    assert (
        summarize("T", text)
        == "First sentence here. Second sentence is here too. Third one follows."
    )
    long = " ".join(
        f"Sentence number {i} says something long enough to matter here, and some more words too."
        for i in range(9)
    )
    out = summarize("T", long)
    assert out.count(".") == 2 and len(out) < LIMIT


def test_claim_sentences_first_in_text_order_without_repeats() -> None:
    text = "The weather is fine. Seoul said 12,000 were sent. Kyiv said 11,000 were there."
    claims = [
        claim("Kyiv said 11,000 were there"),
        claim("Seoul said 12,000 were sent."),
        claim("Kyiv said 11,000 were there"),
    ]
    assert summarize("T", text, claims) == (
        "Seoul said 12,000 were sent. Kyiv said 11,000 were there. The weather is fine."
    )


def test_title_repeated_as_first_sentence_is_skipped_and_spacing_cleaned() -> None:
    text = "Seoul: troops in Russia.\n\n  The  NIS   briefed lawmakers.  "
    assert summarize("Seoul: troops in Russia", text) == "The NIS briefed lawmakers."
    assert summarize("Only a title", "Only a title") == ""
    assert summarize("T", "") == ""


def test_abbreviations_do_not_split_and_overlong_text_is_cut() -> None:
    text = "Mr. Kim said on Oct. 5 that the U.S. agreed. Then more."
    assert summarize("T", text).startswith("Mr. Kim said on Oct. 5 that the U.S. agreed.")
    out = summarize("T", "word " * 400)
    assert len(out) <= LIMIT and out.endswith("…")
    assert len(summarize("T", "x" * 1000)) <= LIMIT
