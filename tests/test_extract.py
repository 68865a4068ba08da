"""Claim extraction: attribution, relays, numbers, stances and traps, on invented sentences.

The dev set of ../shared/eval is also run through the scorer's own matching logic.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
from pathlib import Path

import pytest

from bot.claims.cli import run_extract
from bot.claims.extract import Extractor
from bot.claims.pack import load_pack
from bot.models import Claim

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return Extractor(load_pack("nk-troops"))


def keys(claims: list[Claim]) -> set[tuple[str, str, str, float | None]]:
    return {(c.question, c.actor, c.stance, c.value) for c in claims}


def run(ex: Extractor, text: str, title: str = "Update on North Korea and Russia") -> set:
    return keys(ex.extract(title, text))


# -- attribution ------------------------------------------------------------------------------


def test_trailing_said_with_title_and_name(ex: Extractor) -> None:
    claims = ex.extract(
        "Update",
        "About 7,000 North Korean soldiers have been moved to the border area, Russia's deputy "
        "defence minister Alexei Petrov said on Friday.",
    )
    assert keys(claims) == {("troops.count", "ru.military", "asserts", 7000)}
    assert claims[0].speaker == "Alexei Petrov"
    assert claims[0].qualifier == "about"


def test_leading_told_reporters(ex: Extractor) -> None:
    got = run(ex, "Seoul's Joint Chiefs of Staff told reporters that 2,000 North Korean troops had "
                  "been sent to Russia in January.")  # fmt: skip
    assert ("troops.count", "kr.military", "asserts", 2000) in got


def test_according_to_and_inverted_said(ex: Extractor) -> None:
    assert ("troops.combat", "ua.intelligence", "asserts", None) in run(
        ex, "According to HUR, North Korean units have joined assaults near Sudzha."
    )
    assert ("casualties.killed", "kr.nis", "asserts", 300) in run(
        ex,
        "Some 300 North Korean soldiers have been killed, said the National Intelligence Service.",
    )


def test_quote_before_speaker(ex: Extractor) -> None:
    got = run(ex, '"North Korean soldiers are already fighting in Kursk," Ukraine\'s foreign '
                  "minister Andriy Sybiha wrote on X.")  # fmt: skip
    assert got == {("troops.combat", "ua.government", "asserts", None)}


def test_pronoun_and_agency_refer_back(ex: Extractor) -> None:
    text = (
        "The Pentagon spoke on Tuesday about the situation in Kursk. "
        "The weather there has been cold. "
        "It said some 10,000 North Korean troops were now in the region. "
        "The agency added that they had not yet entered combat."
    )
    got = run(ex, text)
    assert ("troops.count", "us.government", "asserts", 10000) in got
    assert ("troops.combat", "us.government", "denies", None) in got


def test_list_of_speakers(ex: Extractor) -> None:
    got = run(ex, "Both Moscow and Pyongyang have denied that North Korea supplied artillery "
                  "shells to Russia.")  # fmt: skip
    assert got == {
        ("arms.supply", "ru.government", "denies", None),
        ("arms.supply", "kp.government", "denies", None),
    }


# -- relayed claims ---------------------------------------------------------------------------


def test_lawmaker_briefed_by_nis(ex: Extractor) -> None:
    got = run(ex, "About 600 North Korean soldiers have been killed, lawmaker Park Jin-ho told "
                  "reporters after a closed-door briefing by the spy agency.")  # fmt: skip
    assert got == {("casualties.killed", "kr.nis", "asserts", 600)}


def test_lawmaker_relaying_budanov(ex: Extractor) -> None:
    got = run(ex, "Around 1,000 North Korean troops were wounded last month, Kyrylo Budanov told "
                  "a South Korean lawmaker, who relayed the figure to reporters.")  # fmt: skip
    assert got == {("casualties.wounded", "ua.intelligence", "asserts", 1000)}


def test_media_reports(ex: Extractor) -> None:
    assert run(
        ex, "Ukrainian media reported that 12 North Korean soldiers had died in a strike."
    ) == {("casualties.killed", "media", "asserts", 12)}


def test_outlet_citing_source(ex: Extractor) -> None:
    got = run(ex, "Yonhap, citing the NIS, reported that 3,000 more North Korean troops had "
                  "arrived in Russia.")  # fmt: skip
    assert got == {("troops.count", "kr.nis", "asserts", 3000)}


def test_unattributed_body_sentence_yields_nothing(ex: Extractor) -> None:
    assert run(ex, "North Korean troops are fighting in Kursk.") == set()


def test_unattributed_headline_is_media(ex: Extractor) -> None:
    got = keys(
        ex.extract("North Korea sends 4,000 more troops to Russia", "No details were given.")
    )
    assert got == {("troops.count", "media", "asserts", 4000)}


# -- numbers and ranges -----------------------------------------------------------------------


def test_ranges_and_qualifiers(ex: Extractor) -> None:
    [c] = ex.extract("x", "Between 1,000 and 3,000 additional North Korean soldiers were sent, "
                          "the NIS said.")  # fmt: skip
    assert (c.question, c.actor, c.value, c.value_high) == ("troops.count", "kr.nis", 1000, 3000)
    [c] = ex.extract("x", "The NIS said it believed at least 3,000 North Korean troops had been "
                          "deployed.")  # fmt: skip
    assert (c.value, c.qualifier) == (3000, "at least")


def test_killed_wounded_and_total(ex: Extractor) -> None:
    got = run(ex, "About 100 North Korean soldiers have been killed and 1,000 wounded, the NIS "
                  "said, while the JCS put total casualties at 1,100.")  # fmt: skip
    assert ("casualties.killed", "kr.nis", "asserts", 100) in got
    assert ("casualties.wounded", "kr.nis", "asserts", 1000) in got
    got = run(ex, "At least 30 North Korean soldiers were killed or wounded, HUR said.")
    assert got == {("casualties.total", "ua.intelligence", "asserts", 30)}


def test_prisoners(ex: Extractor) -> None:
    got = run(ex, "Ukrainian special forces captured two wounded North Korean soldiers, the SBU "
                  "said.")  # fmt: skip
    assert ("prisoners", "ua.intelligence", "asserts", 2) in got


# -- stances ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "question", "actor", "stance"),
    [
        ("Kremlin spokesman Dmitry Peskov dismissed reports of North Korean troops in Russia as "
         "fake news.", "troops.deployed", "ru.government", "denies"),
        ("NATO could not confirm that North Korean soldiers had been sent to Russia.",
         "troops.deployed", "nato", "doubts"),
        ("The Pentagon said it had no evidence that North Korean troops were fighting.",
         "troops.combat", "us.government", "doubts"),
        ("The Pentagon said North Korean troops were not yet in combat.",
         "troops.combat", "us.government", "denies"),
        ("Peskov declined to comment on reports that North Korean troops were deployed.",
         "troops.deployed", "ru.government", "deflects"),
        ("KCNA acknowledged for the first time that North Korean troops had fought in Kursk.",
         "troops.combat", "kp.government", "confirms"),
    ],
)  # fmt: skip
def test_stances(ex: Extractor, text: str, question: str, actor: str, stance: str) -> None:
    got = run(ex, text)
    assert (question, actor, stance, None) in got, got


# -- traps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "North Korea has an army of 1.2 million troops, one of the largest in the world, "
        "analysts said.",
        "The NIS said North Korea had shipped 170mm self-propelled guns to Russia in 2024.",
        "Ukraine's military said the base was 30 km from the front, where North Korean troops "
        "were seen in 2024.",
        "Ukraine and Russia exchanged 205 prisoners of war each, officials said.",
        "North Korea launched a ballistic missile into the sea, the JCS said.",
        "Russia and Ukraine swapped 150 prisoners on Friday, Zelenskyy said, a week after North "
        "Korea's leader visited Moscow.",
    ],
)
def test_traps_yield_no_troop_figures(ex: Extractor, text: str) -> None:
    for c in ex.extract("North Korean troops and Russia", text):
        assert c.value is None or c.question != "troops.count", c
        assert c.question != "prisoners", c


def test_containers_are_not_a_headcount(ex: Extractor) -> None:
    got = run(ex, "North Korea has sent more than 13,000 containers of munitions to Russia, "
                  "South Korea's defence ministry said.")  # fmt: skip
    assert got == {("arms.supply", "kr.military", "asserts", None)}


def test_unrelated_articles_yield_nothing(ex: Extractor) -> None:
    swap = "Ukraine and Russia exchanged 205 prisoners of war each on Friday."
    assert ex.extract("Ukraine and Russia swap 205 prisoners each", swap) == []
    parade = "Kim Jong Un attended a parade in Pyongyang, KCNA said."
    assert ex.extract("North Korea marks party anniversary", parade) == []


def test_said_at_and_dedupe(ex: Extractor) -> None:
    when = dt.datetime(2024, 10, 18, tzinfo=dt.UTC)
    claims = ex.extract(
        "NIS: 12,000 North Korean troops sent to Russia",
        "North Korea has sent 12,000 troops to Russia, the NIS said. The agency said 12,000 "
        "North Korean soldiers were involved.",
        when,
    )
    assert [(c.question, c.actor, c.value) for c in claims] == [("troops.count", "kr.nis", 12000)]
    assert claims[0].said_at == when
    assert "the NIS said" in claims[0].quote


# -- the CLI and the dev set ------------------------------------------------------------------


def test_cli_reports_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    item = {"id": "x1", "title": "NIS: troops", "published": "2024-10-18T00:00:00Z",
            "text": "North Korea has sent 1,500 troops to Russia, the NIS said."}  # fmt: skip
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"item": item}) + "\n{oops\n" + json.dumps(item) + "\n[1]\n")
    out = io.StringIO()
    assert run_extract(str(path), "nk-troops", out) == 1
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 2 and rows[0]["item_id"] == "x1" and rows[0]["value"] == 1500
    assert set(rows[0]) == {"item_id", "question", "actor", "stance", "value", "value_high",
                            "qualifier", "speaker", "quote", "confidence"}  # fmt: skip
    err = capsys.readouterr().err
    assert "line 2" in err and "line 4" in err


def _scorer():  # the shared scorer, loaded as it is (no copy of its logic)
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (EVAL / "claims-dev.jsonl").exists(), reason="no shared eval set")
def test_dev_set_f1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert run_extract(str(EVAL / "claims-dev.jsonl"), "nk-troops", out) == 0
    score = _scorer()
    cases = score.read_jsonl(str(EVAL / "claims-dev.jsonl"))
    preds = [json.loads(line) for line in out.getvalue().splitlines()]
    f1 = score.score(cases, preds)
    capsys.readouterr()
    assert f1 >= 0.85


FRESH = sorted((Path(__file__).parent / "data").glob("claims-fresh-*.jsonl"))
# The later sets have had fewer rules drawn from them (F1 when first scored: d 0.56, e 0.68,
# f 0.66, g 0.71, h 0.83, i 0.73, j 0.62, and no rule from h): lower floors, against regressions.
FLOOR = {"claims-fresh-d": 0.65, "claims-fresh-e": 0.65, "claims-fresh-f": 0.65,
         "claims-fresh-g": 0.65, "claims-fresh-i": 0.7, "claims-fresh-j": 0.6}  # fmt: skip


def _matched(gold: list[dict], preds: list[dict]) -> tuple[int, int, int]:
    """(matched, gold that counts, predictions that count) for one item, matched one to one
    as ../shared/eval/README.md describes (question, actor, polarity, value within 1%)."""
    polarity = {"asserts": 1, "confirms": 1, "denies": -1, "doubts": 0, "deflects": 0}

    def fits(g: dict, p: dict) -> bool:
        if (g["question"], g["actor"]) != (p["question"], p["actor"]):
            return False
        if polarity[g["stance"]] != polarity[p["stance"]]:
            return False
        if g.get("value") is None:
            return True
        lo = p.get("value")
        hi = p.get("value_high") or lo
        return lo is not None and lo * 0.99 <= g["value"] <= hi * 1.01

    free = list(preds)
    matched = optional = 0
    for g in sorted(gold, key=lambda g: bool(g.get("optional"))):
        hit = next((p for p in free if fits(g, p)), None)
        if hit is not None:
            free.remove(hit)
            matched += not g.get("optional")
            optional += bool(g.get("optional"))
    counted = len(preds) - optional
    return matched, sum(not g.get("optional") for g in gold), counted


@pytest.mark.parametrize("path", FRESH, ids=lambda p: p.stem)
def test_fresh_labelled_items(path: Path, ex: Extractor) -> None:
    """News items written and labelled apart from the rules, in the dev set's format: the
    extractor must generalise (F1 measured the way the eval scorer does)."""
    tp = n_gold = n_pred = 0
    for line in path.read_text().splitlines():
        case = json.loads(line)
        item = case["item"]
        preds = [
            {"question": c.question, "actor": c.actor, "stance": c.stance, "value": c.value,
             "value_high": c.value_high}
            for c in ex.extract(item["title"], item["text"])
        ]  # fmt: skip
        m, g, p = _matched(case["gold"], preds)
        tp, n_gold, n_pred = tp + m, n_gold + g, n_pred + p
    precision, recall = tp / n_pred, tp / n_gold
    f1 = 2 * precision * recall / (precision + recall)
    floor = FLOOR.get(path.stem, 0.75)
    assert f1 >= floor, f"{path.name}: F1 {f1:.3f} (P {precision:.3f} R {recall:.3f})"
