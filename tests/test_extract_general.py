"""Claim extraction on news language beyond the dev set: surnames, deflections, vague or
partial figures, and sentences whose subject is not the speaker (invented sentences)."""

from __future__ import annotations

import pytest

from bot.claims.extract import Extractor
from bot.claims.pack import load_pack
from bot.models import Claim


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return Extractor(load_pack("nk-troops"))


def keys(claims: list[Claim]) -> set[tuple[str, str, str, float | None]]:
    return {(c.question, c.actor, c.stance, c.value) for c in claims}


def run(ex: Extractor, text: str) -> set[tuple[str, str, str, float | None]]:
    return keys(ex.extract("Update on North Korea and Russia", text))


# -- a surname alone names the person introduced earlier -------------------------------------


def test_surname_after_full_name(ex: Extractor) -> None:
    got = run(ex, "Pentagon spokeswoman Sabrina Singh said 10,000 North Korean troops were in "
                  "Kursk. Talks went on into the night. Some 2,000 North Korean soldiers were "
                  "wounded, Singh said.")  # fmt: skip
    assert ("casualties.wounded", "us.government", "asserts", 2000) in got


def test_surname_picks_the_right_person(ex: Extractor) -> None:
    got = run(ex, "Ukraine's military intelligence chief Kyrylo Budanov said 3,000 North Korean "
                  "troops were sent. NATO Secretary General Mark Rutte said he was concerned. "
                  "Budanov said about 500 North Korean soldiers had been killed.")  # fmt: skip
    assert ("casualties.killed", "ua.intelligence", "asserts", 500) in got


def test_unknown_surname_is_nobody(ex: Extractor) -> None:
    assert run(
        ex, "Officials met in Kyiv. Smith said 3,000 North Korean troops were fighting."
    ) == (set())


# -- deflections and doubts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "question", "actor", "stance"),
    [
        ("The Kremlin neither confirmed nor denied that North Korean soldiers were sent to Kursk.",
         "troops.deployed", "ru.government", "deflects"),
        ("Peskov referred questions about North Korean troops in Russia to the defence ministry.",
         "troops.deployed", "ru.government", "deflects"),
        ("Pyongyang's foreign ministry said any dispatch of troops to Russia would conform to "
         "international law.", "troops.deployed", "kp.government", "deflects"),
        ("The Pentagon said it did not believe North Korean troops had engaged in combat.",
         "troops.combat", "us.government", "doubts"),
        ("Kremlin spokesman Dmitry Peskov brushed off reports of North Korean troops in Russia.",
         "troops.deployed", "ru.government", "denies"),
    ],
)  # fmt: skip
def test_deflections(ex: Extractor, text: str, question: str, actor: str, stance: str) -> None:
    got = run(ex, text)
    assert (question, actor, stance, None) in got, got


# -- figures that are not the figure ----------------------------------------------------------


def test_fraction_is_no_figure(ex: Extractor) -> None:
    got = run(ex, "Zelenskyy said roughly two thirds of the North Korean casualties were killed.")
    assert all(v is None for *_, v in got), got


def test_vague_hundreds_give_no_value(ex: Extractor) -> None:
    got = run(ex, "A few hundred North Korean soldiers have been killed or wounded, a US "
                  "official said.")  # fmt: skip
    assert ("casualties.total", "us.government", "asserts", None) in got
    assert all(v is None for *_, v in got), got


def test_part_of_a_figure_is_not_a_count(ex: Extractor) -> None:
    got = run(ex, "Some 11,000 North Korean soldiers, among them 300 officers, are in Russia, "
                  "the JCS said.")  # fmt: skip
    assert {v for q, *_, v in got if q == "troops.count"} == {11000}


def test_deserters_are_not_a_count(ex: Extractor) -> None:
    got = run(ex, "HUR said 25 North Korean soldiers defected near the border.")
    assert not [c for c in got if c[0] == "troops.count"], got


def test_victims_of_north_koreans_are_not_their_dead(ex: Extractor) -> None:
    got = run(ex, "North Korean gunners shelled their own lines and killed six Russian "
                  "paratroopers, the SSO said.")  # fmt: skip
    assert not [c for c in got if c[0] == "casualties.killed"], got


def test_rather_than_be_captured_is_no_prisoner(ex: Extractor) -> None:
    got = run(ex, "Many North Korean soldiers blew themselves up rather than be taken prisoner, "
                  "the NIS said.")  # fmt: skip
    assert not [c for c in got if c[0] == "prisoners"], got


def test_military_sites_are_no_count(ex: Extractor) -> None:
    got = run(ex, "Kirby said North Korean troops had been sent to four military sites in the "
                  "Far East.")  # fmt: skip
    assert not [c for c in got if c[0] == "troops.count"], got


@pytest.mark.parametrize(
    "text",
    [
        "With 1.2 million troops under arms, North Korea has one of the largest militaries, "
        "analysts said.",
        "The JCS said the North had sent 240mm multiple rocket launchers to Russia.",
        "Ukraine's army said the strike hit a depot 25 km behind the front, where North Korean "
        "troops were seen.",
        "North Korea has shipped some 20,000 containers of shells to Russia since 2023, the "
        "defence ministry in Seoul said.",
        "Moscow and Kyiv traded 95 prisoners each, Zelenskyy said, days after North Korean "
        "troops were reported in Kursk.",
    ],
)
def test_traps(ex: Extractor, text: str) -> None:
    for c in ex.extract("North Korean troops and Russia", text):
        assert c.question not in ("troops.count", "prisoners") or c.value is None, c


def test_unrelated_items_yield_nothing(ex: Extractor) -> None:
    assert ex.extract("Seoul stocks close higher", "The KOSPI rose 1.2% on Monday.") == []
    assert (
        ex.extract(
            "North Korea fires missile into the sea",
            "North Korea fired a short-range missile into the sea on Friday, Japan's coast "
            "guard said.",
        )
        == []
    )


# -- forms found on news copy written apart from the rules (tests/data/claims-fresh-*.jsonl) --


def test_figure_followed_by_a_comma_keeps_its_thousands(ex: Extractor) -> None:
    got = run(ex, "The number of North Korean troops in Russia has grown to roughly 7,500, the "
                  "NIS told lawmakers on Friday.")  # fmt: skip
    assert ("troops.count", "kr.nis", "asserts", 7500) in got
    assert not any(v == 7 for *_, v in got)


def test_bracketed_short_name_between_speaker_and_verb(ex: Extractor) -> None:
    text = ("Some 900 North Korean soldiers have been killed or wounded, Seoul's Joint Chiefs "
            "of Staff (JCS) said on Tuesday.")  # fmt: skip
    claims = ex.extract("Update on North Korea and Russia", text)
    assert ("casualties.total", "kr.military", "asserts", 900) in keys(claims)
    assert all("(JCS)" in c.quote for c in claims)  # quoted as written


def test_quoted_as_saying_is_attribution(ex: Extractor) -> None:
    got = run(ex, "North Korea has sent about 14,000 troops, the National Intelligence Service "
                  "was quoted as saying.")  # fmt: skip
    assert ("troops.count", "kr.nis", "asserts", 14000) in got


def test_participle_speaks_for_the_sentence_subject(ex: Extractor) -> None:
    got = run(ex, "Putin thanked Kim Jong Un for the help, saying North Korean troops had fought "
                  "bravely near Sudzha.")  # fmt: skip
    assert any(q == "troops.combat" and a == "ru.government" for q, a, *_ in got)
    assert not any(a == "kp.government" for _, a, *_ in got)


def test_part_of_a_larger_figure(ex: Extractor) -> None:
    got = run(ex, "Nearly 2,500 of the estimated 12,000 North Korean soldiers sent there have "
                  "been killed or wounded, Ukraine's military intelligence said.")  # fmt: skip
    assert ("casualties.total", "ua.intelligence", "asserts", 2500) in got
    assert ("troops.count", "ua.intelligence", "asserts", 12000) in got


def test_figure_as_subject_of_a_distant_casualty_verb(ex: Extractor) -> None:
    got = run(ex, "About 650 North Korean soldiers are now believed to have been killed in the "
                  "fighting, the Pentagon said.")  # fmt: skip
    assert ("casualties.killed", "us.government", "asserts", 650) in got
    assert not any(q == "troops.count" for q, *_ in got)


def test_a_figure_with_its_own_purpose_is_not_a_casualty(ex: Extractor) -> None:
    got = run(ex, "Pyongyang sent at least 2,000 more soldiers in March to replace its losses, "
                  "according to the JCS.")  # fmt: skip
    assert ("troops.count", "kr.military", "asserts", 2000) in got
    assert not any(q.startswith("casualties") and v == 2000 for q, _, _, v in got)


def test_refusal_of_the_reports_takes_the_item_topic(ex: Extractor) -> None:
    got = run(
        ex,
        "Seoul said thousands of North Korean troops had been sent to Russia. "
        '"These reports are a fabrication," Kremlin spokesman Dmitry Peskov said.',
    )
    assert ("troops.deployed", "ru.government", "denies", None) in got


def test_refusal_without_reference_is_not_a_claim(ex: Extractor) -> None:
    got = run(ex, "Seoul said thousands of North Korean troops had been sent to Russia. Lavrov "
                  "rejected a Western peace proposal on Tuesday.")  # fmt: skip
    assert not any(a == "ru.government" for _, a, *_ in got)


def test_captured_by_the_other_side(ex: Extractor) -> None:
    got = run(ex, "Ukrainian troops captured three North Korean soldiers near Sudzha, the SBU "
                  "said.")  # fmt: skip
    assert ("prisoners", "ua.intelligence", "asserts", 3) in got
    assert not any(q == "troops.count" for q, *_ in got)


def test_prisoner_in_a_place_named_after_a_side(ex: Extractor) -> None:
    got = run(ex, "Kyiv took one North Korean soldier prisoner in Russia's Belgorod region, "
                  "Zelensky said.")  # fmt: skip
    assert ("prisoners", "ua.government", "asserts", 1) in got


def test_place_opening_the_sentence_qualifies_the_title(ex: Extractor) -> None:
    got = run(ex, "In Kyiv, the defence ministry said North Korean units were fighting in "
                  "Kursk.")  # fmt: skip
    assert any(q == "troops.combat" and a == "ua.government" for q, a, *_ in got)


def test_headline_source_at_the_end(ex: Extractor) -> None:
    claims = ex.extract("Some 1,300 North Korean soldiers killed or wounded - Zelensky", "")
    assert ("casualties.total", "ua.government", "asserts", 1300) in keys(claims)


def test_one_claim_per_polarity(ex: Extractor) -> None:
    claims = ex.extract("Update on North Korea and Russia", "NATO confirmed and said that North "
                        "Korean troops had been sent to Russia.")  # fmt: skip
    deployed = [c for c in claims if c.question == "troops.deployed" and c.actor == "nato"]
    assert len(deployed) == 1


# -- bounds, frames and appositives ------------------------------------------------------------


def test_no_fewer_than_bounds_a_figure_and_denies_nothing(ex: Extractor) -> None:
    got = run(ex, "Washington now thinks not less than 7,000 North Korean soldiers are in "
                  "Russia, the State Department said.")  # fmt: skip
    assert ("troops.count", "us.government", "asserts", 7000) in got
    assert not any(stance == "denies" for _, _, stance, _ in got)


def test_refusal_with_the_speaker_first(ex: Extractor) -> None:
    got = run(ex, "North Korean units were sent to Kursk, Kyiv said. Lavrov said on Friday the "
                  "claims were pure fabrication.")  # fmt: skip
    assert ("troops.deployed", "ru.government", "denies", None) in got


def test_inverted_verb_before_a_full_name(ex: Extractor) -> None:
    got = run(ex, '"There are no North Korean soldiers in Kursk," said Foreign Ministry '
                  "spokeswoman Maria Zakharova.")  # fmt: skip
    assert ("troops.deployed", "ru.government", "denies", None) in got


def test_a_militarys_intelligence_speaks_for_that_military(ex: Extractor) -> None:
    got = run(ex, "About 1,500 North Korean troops reached Vladivostok, South Korea's defence "
                  "intelligence said.")  # fmt: skip
    assert ("troops.count", "kr.military", "asserts", 1500) in got
    got = run(ex, "Ukraine's military intelligence said 2,500 North Korean soldiers were sent.")
    assert ("troops.count", "ua.intelligence", "asserts", 2500) in got


def test_put_the_toll_at_is_an_estimate(ex: Extractor) -> None:
    got = run(ex, "Britain's defence intelligence puts the number of North Korean soldiers "
                  "killed at roughly 2,000. The US put pressure on Pyongyang.")  # fmt: skip
    assert ("casualties.killed", "us.government", "asserts", 2000) not in got
    got = run(ex, "The Pentagon put the North Korean death toll at about 1,200.")
    assert ("casualties.killed", "us.government", "asserts", 1200) in got


def test_appositive_casualty_after_a_comma(ex: Extractor) -> None:
    got = run(ex, "The North Korean unit lost about 40 soldiers, all of them killed, in one "
                  "week, Kyiv's special forces said.")  # fmt: skip
    assert ("troops.count", "ua.military", "asserts", 40) not in got
    got = run(ex, "North Korean units lost 120 men — killed or wounded — near Sudzha, HUR said.")
    assert ("casualties.total", "ua.intelligence", "asserts", 120) in got


def test_a_figure_with_its_own_noun_counts_that_noun(ex: Extractor) -> None:
    got = run(ex, "North Korean troops are drilling at three separate firing ranges, the NIS "
                  "said.")  # fmt: skip
    assert not any(q == "troops.count" for q, *_ in got)


def test_two_plus_two_is_not_a_figure(ex: Extractor) -> None:
    got = run(ex, "North Korean troops in Russia were discussed at 2+2 talks in Seoul, the "
                  "ministry said.")  # fmt: skip
    assert not any(q == "troops.count" for q, *_ in got)


def test_a_new_contingent_refers_to_the_troops(ex: Extractor) -> None:
    got = run(ex, "North Korea has sent more soldiers, Yonhap reported. The latest contingent "
                  "numbers about 2,000, the agency said.")  # fmt: skip
    assert any(q == "troops.count" and v == 2000 for q, _, _, v in got)


def test_workers_are_counted(ex: Extractor) -> None:
    got = run(ex, "Pyongyang will send 6,000 military workers to Kursk, the Kremlin said.")
    assert ("troops.count", "ru.government", "asserts", 6000) in got


# -- hearsay, shared subjects, definite reports, names -----------------------------------------


def test_said_to_show_is_hearsay_not_a_speaker(ex: Extractor) -> None:
    got = run(ex, "Lavrov dismissed video footage said to show North Korean soldiers in "
                  "Kursk as staged.")  # fmt: skip
    assert not any(stance == "asserts" for _, _, stance, _ in got)


def test_a_clause_without_a_subject_shares_the_one_before(ex: Extractor) -> None:
    got = run(ex, "The North Korean troops have reached the Kursk region but have not yet "
                  "seen combat, the JCS said.")  # fmt: skip
    assert ("troops.combat", "kr.military", "denies", None) in got


def test_the_report_refers_back_to_its_source(ex: Extractor) -> None:
    text = ("South Korea's NIS briefed lawmakers on Tuesday. About 1,000 more North Korean "
            "soldiers were sent in July, the report said.")  # fmt: skip
    assert ("troops.count", "kr.nis", "asserts", 1000) in run(ex, text)
    alone = "About 1,000 more North Korean soldiers were sent in July, the report said."
    assert ("troops.count", "media", "asserts", 1000) in run(ex, alone)


def test_a_pronoun_after_its_subjects_own_clause(ex: Extractor) -> None:
    got = run(ex, "Zelensky said North Korean troops were fighting. NATO took a cautious line; "
                  "it said it could not confirm North Koreans were in combat.")  # fmt: skip
    assert ("troops.combat", "nato", "doubts", None) in got
    assert ("troops.combat", "ua.government", "doubts", None) not in got


def test_a_cue_inside_a_units_name(ex: Extractor) -> None:
    got = run(ex, "North Korean troops were attached to Russia's 810th Guards Assault Brigade "
                  "near Kursk, Kyiv said.")  # fmt: skip
    assert not any(q == "troops.combat" for q, *_ in got)


def test_the_other_sides_troops_in_a_place(ex: Extractor) -> None:
    got = run(ex, "Two North Korean soldiers were taken prisoner by Ukrainian troops in the "
                  "Kursk region, Zelensky said.")  # fmt: skip
    assert ("troops.deployed", "ua.government", "asserts", None) not in got
    assert ("prisoners", "ua.government", "asserts", 2) in got


# -- figures with no noun of their own -------------------------------------------------------


def test_a_group_of_figure(ex: Extractor) -> None:
    got = run(ex, "The NIS said the next North Korean contingent, of roughly 1,800, is due in "
                  "Russia next month.")  # fmt: skip
    assert ("troops.count", "kr.nis", "asserts", 1800) in got


def test_a_figure_of_them_after_soldiers(ex: Extractor) -> None:
    got = run(ex, "Pyongyang has deployed about 12,000 soldiers to Russia and about 3,000 of "
                  "them are near the front, the JCS said.")  # fmt: skip
    assert ("troops.count", "kr.military", "asserts", 3000) in got


def test_the_figure_it_sent(ex: Extractor) -> None:
    got = run(ex, "Half of the 14,000 Pyongyang dispatched last year have returned home, "
                  "Budanov said.")  # fmt: skip
    assert ("troops.count", "ua.intelligence", "asserts", 14000) in got
    got = run(ex, "The 14 regions North Korean troops passed through were named, Budanov said.")
    assert not any(q == "troops.count" for q, *_ in got)


# -- questions answered, acts that acknowledge, transcripts -----------------------------------


def test_a_question_answered_with_a_refusal(ex: Extractor) -> None:
    got = run(ex, "Asked if North Korean soldiers had joined the fighting, the Pentagon's Pat "
                  "Ryder said he was unable to confirm that.")  # fmt: skip
    assert ("troops.combat", "us.government", "doubts", None) in got
    got = run(ex, "Asked if North Korean soldiers had joined the fighting, Ryder smiled and "
                  "said the briefing was over.")  # fmt: skip
    assert not any(q == "troops.combat" for q, *_ in got)


def test_a_commemoration_acknowledges_the_dead(ex: Extractor) -> None:
    got = run(ex, "Kim Jong Un mourned the North Korean soldiers who died in Kursk, KCNA said.")
    assert ("casualties.killed", "kp.government", "confirms", None) in got


def test_a_transcript_speaker_label(ex: Extractor) -> None:
    got = run(ex, "GEN. RYDER: Our estimate is that roughly 1,500 North Korean troops have "
                  "been wounded.")  # fmt: skip
    assert ("casualties.wounded", "us.government", "asserts", 1500) in got


# -- more frames: gapped doubts, long estimates, objects of prepositions, ranks --------------


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("The State Department said it could not at this stage verify that North Korean troops "
         "were fighting in Kursk.", ("troops.combat", "us.government", "doubts", None)),
        ("The Pentagon put the number of North Korean soldiers stationed in Kursk at about "
         "9,000.", ("troops.count", "us.government", "asserts", 9000)),
        ("Zakharova lashed out at the Security Council, saying no North Korean troops had "
         "been sent to Russia.", ("troops.deployed", "ru.government", "denies", None)),
        ("MAJ. GEN. RYDER: About 700 North Korean soldiers have been wounded so far.",
         ("casualties.wounded", "us.government", "asserts", 700)),
        ("Roughly 4,500 North Korean infantrymen crossed into Russia, the NIS said.",
         ("troops.count", "kr.nis", "asserts", 4500)),
        ("North Korean units reached the Kursk border area last week, Budanov said.",
         ("troops.deployed", "ua.intelligence", "asserts", None)),
        ("Pyongyang's envoy said any such step would be in line with the norms of international "
         "law when asked about North Korean troops in Russia.",
         ("troops.deployed", "kp.government", "deflects", None)),
        ("Ukraine's military intelligence briefed reporters on Monday. The directorate now "
         "counts some 13,000 North Korean soldiers in Russia.",
         ("troops.count", "ua.intelligence", "asserts", 13000)),
    ],
)  # fmt: skip
def test_more_frames(ex: Extractor, text: str, claim: tuple[str, str, str, float | None]) -> None:
    assert claim in run(ex, text)


def test_the_other_sides_dead_after_an_auxiliary(ex: Extractor) -> None:
    got = run(ex, "Ukraine said six Russian paratroopers had been killed by North Korean fire "
                  "near Sudzha.")  # fmt: skip
    assert not any(q == "casualties.killed" for q, *_ in got)


def test_positions_abandoned_are_not_a_deployment(ex: Extractor) -> None:
    got = run(ex, "Eleven North Korean soldiers abandoned their positions near Kursk, HUR said.")
    assert not any(q == "troops.count" for q, *_ in got)


# -- growing totals, casualty figures, questions, hearsay, refusals of a named cue ------------


def test_a_total_that_grows_to_a_figure(ex: Extractor) -> None:
    got = run(ex, "Sybiha said 11,000 North Korean soldiers were in Kursk and warned the total "
                  "could climb to about 14,000.")  # fmt: skip
    assert ("troops.count", "ua.government", "asserts", 14000) in got


def test_a_casualty_figure_is_not_a_troop_count(ex: Extractor) -> None:
    got = run(ex, "Ukrainian forces captured three North Korean soldiers near Sudzha, HUR said.")
    assert ("troops.count", "ua.intelligence", "asserts", 3) not in got
    got = run(ex, "HUR said 1,500 wounded North Korean soldiers had been flown home.")
    assert ("troops.count", "ua.intelligence", "asserts", 1500) not in got


def test_a_refusal_takes_the_cue_it_names(ex: Extractor) -> None:
    got = run(ex, "Kyiv said North Korean troops had reached Kursk. Seoul's defence ministry "
                  "said it could not confirm that any fighting had taken place.")  # fmt: skip
    assert ("troops.combat", "kr.military", "doubts", None) in got


def test_negation_a_few_words_before_the_cue(ex: Extractor) -> None:
    got = run(ex, "The JCS said the North Korean troops have not yet been sent to the front "
                  "line.")  # fmt: skip
    assert ("troops.combat", "kr.military", "denies", None) in got


def test_a_question_claims_nothing(ex: Extractor) -> None:
    got = run(ex, 'Q: Has the Pentagon seen North Korean troops fighting in Kursk? MR. KIRBY: '
                  "We have seen no evidence of that.")  # fmt: skip
    assert not any(stance == "asserts" for _, _, stance, _ in got)


def test_agentless_hearsay_is_the_outlets_report(ex: Extractor) -> None:
    got = run(ex, "Pyongyang is widely believed to have sent some 12,000 soldiers to Russia.")
    assert ("troops.count", "media", "asserts", 12000) in got


def test_a_relaying_lawmaker_named_again_by_surname(ex: Extractor) -> None:
    got = run(ex, "Lawmaker Park Sun-won told reporters after an NIS briefing that 11,000 North "
                  "Korean troops were in Russia. Talks resumed later. About 1,100 North Korean "
                  "soldiers have been wounded, Park said.")  # fmt: skip
    assert ("casualties.wounded", "kr.nis", "asserts", 1100) in got


def test_a_place_after_the_speaker_is_not_the_speaker(ex: Extractor) -> None:
    got = run(ex, "The Joint Chiefs of Staff in Seoul said 1,000 more North Korean troops had "
                  "been sent to Russia.")  # fmt: skip
    assert ("troops.count", "kr.military", "asserts", 1000) in got
    assert not any(actor == "kr.government" for _, actor, _, _ in got)


# -- figures listed after a summary noun, spelled fractions, expectations, titles of a body ---


def test_each_casualty_figure_goes_with_its_own_word(ex: Extractor) -> None:
    got = run(ex, "HUR put North Korean losses at about 200 killed and 900 wounded.")
    assert ("casualties.killed", "ua.intelligence", "asserts", 200) in got
    assert ("casualties.wounded", "ua.intelligence", "asserts", 900) in got
    assert ("casualties.total", "ua.intelligence", "asserts", 200) not in got


def test_half_a_dozen(ex: Extractor) -> None:
    got = run(ex, "Half a dozen North Korean soldiers were captured near Kursk, Kyiv said.")
    assert ("prisoners", "ua.government", "asserts", 6) in got


def test_number_as_a_verb(ex: Extractor) -> None:
    got = run(ex, "North Korean troops in Russia now number at least 13,000, the NIS said.")
    assert ("troops.count", "kr.nis", "asserts", 13000) in got


def test_an_expectation_is_not_a_claim(ex: Extractor) -> None:
    got = run(ex, "The NIS said it expected Russia to send the North Korean troops into combat "
                  "within weeks.")  # fmt: skip
    assert not any(q == "troops.combat" for q, *_ in got)


def test_a_title_takes_the_body_named_before_it(ex: Extractor) -> None:
    got = run(ex, "About 2,500 North Korean troops were wounded, said Jake Sullivan, the White "
                  "House national security adviser.")  # fmt: skip
    assert ("casualties.wounded", "us.government", "asserts", 2500) in got
    got = run(ex, "Gerasimov told President Putin that North Korean troops fought near Kursk.")
    # (Russia's military speaking of North Korea's troops in its war admits it: own_side.)
    assert ("troops.combat", "ru.military", "confirms", None) in got


def test_a_headline_figure_before_its_trailing_source(ex: Extractor) -> None:
    got = keys(ex.extract("About 300 North Korean soldiers killed in Russia: HUR", ""))
    assert ("casualties.killed", "ua.intelligence", "asserts", 300) in got
    assert not any(actor == "ru.government" for _, actor, _, _ in got)


def test_soldiers_lost_are_not_a_dispatch(ex: Extractor) -> None:
    got = run(ex, "North Korea lost some 700 soldiers near Kursk in a week, the NIS said.")
    assert ("troops.count", "kr.nis", "asserts", 700) not in got


# -- a side speaking of its own troops admits what it says -----------------------------------


def test_own_side_statements_confirm(ex: Extractor) -> None:
    got = run(ex, "General Valery Gerasimov said soldiers of the Korean People's Army had fought "
                  "side by side with Russian units in the Kursk region.")  # fmt: skip
    assert ("troops.combat", "ru.military", "confirms", None) in got
    # Having fought there, they were sent: the admission admits both.
    assert ("troops.deployed", "ru.military", "confirms", None) in got
    got = run(ex, "KCNA said the units had fought in Kursk on Kim Jong Un's orders, and Kim "
                  "mourned the loss of nine soldiers, the agency said.")  # fmt: skip
    assert ("troops.combat", "kp.government", "confirms", None) in got
    # Another side saying the same asserts it; a side's denial stays a denial.
    got = run(ex, "Ukraine's military intelligence said North Korean troops had fought in "
                  "Kursk. Pyongyang denied that its soldiers were in Russia.")  # fmt: skip
    assert ("troops.combat", "ua.intelligence", "asserts", None) in got
    assert ("troops.deployed", "kp.government", "denies", None) in got


# -- a transcript's turn speaks for its speaker until the next label --------------------------


def test_a_transcript_turn_keeps_its_speaker(ex: Extractor) -> None:
    got = run(ex, "Q: Are they fighting yet?\n\nMAJ. GEN. RYDER: Thanks for the question. We "
                  "can now confirm that North Korean soldiers have been engaged in combat "
                  "operations in Kursk.\n\nQ: Seoul says 3,000 North Korean troops were sent. "
                  "Is that right?")  # fmt: skip
    assert ("troops.combat", "us.government", "confirms", None) in got
    # The questioner's turn is nobody's claim.
    assert not any(q == "troops.count" and a == "us.government" for q, a, _, _ in got)


# -- wording seen in reports beyond the labelled sets -----------------------------------------


def test_none_of_them_negates(ex: Extractor) -> None:
    got = run(ex, "None of the North Korean soldiers has gone to the front so far, the NIS said.")
    assert ("troops.combat", "kr.nis", "denies", None) in got
    got = run(ex, "The NIS said North Korean troops were in Kursk, but none had entered combat.")
    assert ("troops.combat", "kr.nis", "denies", None) in got


def test_deserters_are_not_a_dispatch(ex: Extractor) -> None:
    got = run(ex, "Some 18 North Korean soldiers had abandoned their unit near Bryansk, "
                  "Ukraine's military intelligence said.")  # fmt: skip
    assert not any(q == "troops.count" for q, _, _, _ in got)


def test_a_diplomat_speaks_for_his_country(ex: Extractor) -> None:
    got = run(ex, "A North Korean diplomat rejected reports that Pyongyang had sent troops to "
                  "Russia, calling them groundless rumours.")  # fmt: skip
    assert ("troops.deployed", "kp.government", "denies", None) in got


def test_a_worry_about_what_may_happen_is_no_claim(ex: Extractor) -> None:
    got = run(ex, "It is a real worry that Moscow may use North Korean troops on the battlefield "
                  "in Kursk, the Pentagon said.")  # fmt: skip
    assert not any(q == "troops.combat" for q, _, _, _ in got)


def test_a_long_estimate_frame(ex: Extractor) -> None:
    got = run(ex, "Seoul's intelligence service had earlier put the number of North Korean "
                  "engineers sent for the demining work at about 1,000.")  # fmt: skip
    assert ("troops.count", "kr.nis", "asserts", 1000) in got


def test_what_may_be_sent_is_no_claim(ex: Extractor) -> None:
    got = run(ex, "He warned that Pyongyang could send more troops to Russia, the NIS said. "
                  "In May, North Korea sent 3,000 more soldiers, the agency said.")  # fmt: skip
    # The warning claims nothing; "In May" is a date, not a modal.
    assert got == {("troops.count", "kr.nis", "asserts", 3000)}
    got = run(ex, "Pyongyang may send more soldiers to Russia, the NIS said.")
    assert not any(q == "troops.deployed" for q, _, _, _ in got)


def test_an_admitted_loss_admits_the_deployment(ex: Extractor) -> None:
    got = run(ex, "Nine North Korean soldiers were killed clearing mines in Russia's Kursk "
                  "region, KCNA said.")  # fmt: skip
    assert got == {("casualties.killed", "kp.government", "confirms", 9),
                   ("troops.deployed", "kp.government", "confirms", None)}  # fmt: skip
    # Another side's count of the dead admits nothing for North Korea.
    got = run(ex, "Nine North Korean soldiers were killed in Kursk, the NIS said.")
    assert got == {("casualties.killed", "kr.nis", "asserts", 9)}


def test_not_only_but_also_is_one_clause(ex: Extractor) -> None:
    got = run(ex, "North Korea is sending Russia not only its soldiers but also ballistic "
                  "missiles, Ukraine's foreign minister said.")  # fmt: skip
    assert ("arms.supply", "ua.government", "asserts", None) in got
    got = run(ex, "Pyongyang is handing Moscow weapons as well as people, Zelensky said.")
    assert ("arms.supply", "ua.government", "asserts", None) in got


def test_a_place_opening_the_sentence_qualifies_the_title(ex: Extractor) -> None:
    got = run(ex, "Kyiv said North Korean troops were fighting. In Seoul, however, the Defence "
                  "Ministry said it did not believe the North Koreans were fighting.")  # fmt: skip
    assert any(a == "kr.military" and q == "troops.combat" for q, a, _, _ in got)
    assert not any(a == "ua.government" and s == "doubts" for _, a, s, _ in got)
