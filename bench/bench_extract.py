"""Extraction throughput on a deterministic synthetic mix of ~300-word news items (CPU time).

    .venv/bin/python bench/bench_extract.py [N_ITEMS] [SEED]

`run()` builds its own items from varied sentence templates (claims with different actors,
verbs and figures, background sentences, and the eval README's traps), so the number is
reproducible without the eval sets; it measures `Extractor.extract` alone, not JSON or I/O.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

from bot.claims.extract import Extractor
from bot.claims.pack import load_pack

_SPEAKERS = [
    "South Korea's National Intelligence Service",
    "the NIS",
    "Seoul's Joint Chiefs of Staff",
    "Ukraine's military intelligence chief Kyrylo Budanov",
    "President Volodymyr Zelenskyy",
    "Kremlin spokesman Dmitry Peskov",
    "Pentagon press secretary Pat Ryder",
    "NATO Secretary General Mark Rutte",
    "US State Department spokesman Matthew Miller",
    "Ukraine's special operations forces",
    "Ukrainian Defence Minister Rustem Umerov",
    "analysts at the Institute for the Study of War",
    "lawmaker Lee Seong-kweun, briefed by the NIS,",
]
_VERBS = ["said", "told reporters", "estimated", "reported", "claimed", "wrote on Telegram"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_PLACES = ["Kursk", "Sudzha", "Donetsk", "Kharkiv", "Bryansk", "Vladivostok", "Belgorod"]
_QUALIFIERS = ["about", "some", "up to", "at least", "nearly", "around", "more than", "", ""]
_WORDS = ["ten thousand", "two", "a dozen", "several hundred", "three thousand"]
_CLAIMS = [
    "{n} North Korean troops have been sent to Russia, {s} {v} on {d}.",
    "{S} {v} that {n} North Korean soldiers were now in the {p} region.",
    "{n} North Korean soldiers have been killed in fighting near {p}, {s} {v}.",
    "{S} {v} {n} North Korean soldiers had been wounded since {d}.",
    "North Korean units have entered combat alongside Russian marines near {p}, {s} {v}.",
    "{S} {v} that North Korea had supplied artillery shells and missiles to Russia.",
    "Ukrainian forces captured {n} wounded North Korean soldiers near {p}, {s} {v}.",
    "{S} denied on {d} that any North Korean troops had been deployed to {p}.",
    "{S} could not confirm reports that North Koreans were fighting near {p}.",
    "{n} North Korean soldiers were killed or wounded near {p} last week, according to {s}.",
    "He said the troops had not yet entered combat in {p}.",
    "The agency added that {n} more North Korean troops could arrive in {p} by spring.",
    "{S} {v} on {d} that Pyongyang was preparing to send {n} more soldiers.",
    "Some of the North Korean troops have been moved to {p}, {s} {v}, citing satellite images.",
]
_BACKGROUND = [
    "The weather in {p} has been cold and wet for most of the week.",
    "The two countries signed a mutual defence treaty in Pyongyang in June.",
    "Talks between the delegations lasted for several hours on {d} afternoon.",
    "The village lies about {k} km from {p} and was shelled repeatedly on {d}.",
    "Residents of {p} said power and water supplies had been cut for {k} days.",
    "The summit was attended by leaders from more than {k} countries.",
    "Markets in Seoul closed slightly lower on {d} after a volatile session.",
    "The report was published on the ministry's website late on {d} evening.",
    "Officials are expected to meet again next month to discuss the matter.",
    "The {p} region has seen heavy fighting since Ukraine's incursion in August.",
    "The statement did not mention the reports directly.",
    "Correspondents were not allowed to visit {p} without an escort.",
    "It was the third such meeting this year, and the first since the spring.",
    "Kim Jong Un inspected a factory producing fertiliser, state media showed on {d}.",
    "The exchange on {d} was mediated by the United Arab Emirates.",
    "Prices of food and fuel in {p} have risen by {k}% since the start of the year.",
    "Road and rail links to {p} were repaired over the weekend.",
]
_TRAPS = [
    "North Korea has an army of about 1.2 million troops, one of the largest in the world.",
    "The NIS said the North had shipped 170mm self-propelled guns and 240mm rocket launchers.",
    "North Korea has sent more than {n} containers of munitions to Russia, Seoul said.",
    "Russia and Ukraine swapped {k} prisoners of war each on {d}, officials said.",
    "North Korea launched a ballistic missile that flew about {k} km in 2024, the JCS said.",
    "About {n} people were evacuated from {p}, local authorities said.",
]
_TITLES = [
    "NIS: North Korea sends {n} troops to Russia",
    "North Korean soldiers reported killed near {p}",
    "Kremlin dismisses reports of North Korean troops",
    "Update on the war in Ukraine",
    "Seoul markets close lower",
]
_OFF_TOPIC = [
    "Stocks in Tokyo rose on {d} as exporters gained.",
    "The city council approved a new budget of {k} million for road repairs.",
    "Heavy rain is forecast for the weekend across the region.",
]


def _fill(rng: random.Random, template: str) -> str:
    speaker = rng.choice(_SPEAKERS)
    figure = rng.choice([f"{rng.randint(1, 40) * 500:,}", f"{rng.randint(2, 900)}", *_WORDS])
    text = template.format(
        n=f"{rng.choice(_QUALIFIERS)} {figure}".strip(),
        s=speaker,
        S=speaker[0].upper() + speaker[1:],
        v=rng.choice(_VERBS),
        d=rng.choice(_DAYS),
        p=rng.choice(_PLACES),
        k=rng.randint(2, 400),
    ).replace(",,", ",")
    return text[0].upper() + text[1:]


def build_items(n_items: int, seed: int = 1) -> list[tuple[str, str]]:
    """``n_items`` (title, text) pairs, each about 300 words: claims, background and traps."""
    rng = random.Random(seed)
    items = []
    for i in range(n_items):
        if i % 10 == 9:  # an unrelated item: the relevance check turns it away
            text = " ".join(_fill(rng, rng.choice(_OFF_TOPIC)) for _ in range(25))
            items.append(("Local news", text))
            continue
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < 300:
            r = rng.random()
            pool = _CLAIMS if r < 0.3 else _TRAPS if r < 0.4 else _BACKGROUND
            sentences.append(_fill(rng, rng.choice(pool)))
        items.append((_fill(rng, rng.choice(_TITLES)), " ".join(sentences)))
    return items


def written_items() -> list[tuple[str, str]]:
    """The story's archive and the labelled test sets: news items as written, shorter and
    sparser in claims than the synthetic mix (a second figure, not the target's)."""
    root = Path(__file__).resolve().parent.parent
    paths = [root / "bot/stories/nk-troops.archive.jsonl",
             *sorted((root / "tests/data").glob("claims-*.jsonl"))]  # fmt: skip
    items = []
    for path in paths:
        if not path.exists():
            continue  # an installed copy without the tests
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record = record.get("item", record)
            items.append((record.get("title", ""), record.get("text", "")))
    return items


def reference_loop() -> float:
    """Millions of iterations a second of a plain Python loop: how fast this machine runs
    Python, to compare figures taken on different machines."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return 3.0 / (time.process_time() - start)


def _rate(extractor: Extractor, passes: list[list[tuple[str, str]]]) -> tuple[float, float, float]:
    """CPU seconds of the median pass (each over its own items), its items per second, and
    those of the fastest pass. Other work on a shared machine only ever adds time to a pass:
    the median is the steadier figure, the fastest (what `timeit` reports) the least disturbed."""
    extractor.extract(*passes[0][0])  # warm up lazily built regexes outside the measurement
    times = []
    for items in passes:
        start = time.process_time()
        for title, text in items:
            extractor.extract(title, text)
        times.append(time.process_time() - start)
    seconds = statistics.median(times)
    n = len(passes[0])
    return seconds, n / seconds, n / min(times)


def run(n_items: int = 2000, seed: int = 1, passes: int = 5) -> dict[str, float]:
    """Extract claims from ``passes`` sets of ``n_items`` synthetic items (seeds ``seed``,
    ``seed + 1`` ...: new text each pass, as a running bot sees); CPU seconds and items per
    second of the median pass (and of the fastest). Also the rate on the written items
    (repeated to ``n_items``) and the machine's reference loop."""
    extractor = Extractor(load_pack("nk-troops"))
    sets = [build_items(n_items, seed + i) for i in range(passes)]
    seconds, rate, fastest = _rate(extractor, sets)
    result = {"items": n_items, "passes": passes, "seconds": seconds, "items_per_s": rate,
              "fastest_items_per_s": fastest}  # fmt: skip
    written = written_items()
    if written:
        _, result["written_items_per_s"], _ = _rate(
            extractor, [(written * (n_items // len(written) + 1))[:n_items]]
        )
    result["reference_mloops_per_s"] = reference_loop()
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(run(*args))
