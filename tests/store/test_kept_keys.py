"""The library's answers kept across an import's batches (``store.answers``, ``store.keptkeys``): held
compactly, they answer as the dicts they replace did, and hold what the module docstrings say."""

from __future__ import annotations

import random
import tracemalloc
from array import array

from store.answers import Answers
from store.keptkeys import UNKNOWN, KeptKeys, pmid_of, trim
from store.storage.meta import Meta


def _key(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.75:  # (few PMIDs: the same keys come back, forgotten and put again)
        return f"pmid:{rng.randint(1, 3000)}"
    if pick < 0.85:
        return f"doi:10.1/{rng.randint(1, 300)}"
    return rng.choice(["pmid:0123", "pmid:", "pmid:1234567890", "pmc:PMC7", f"pmid:{rng.randint(1, 3000)}x"])


def _answer(rng: random.Random) -> int | None:
    pick = rng.random()
    if pick < 0.2:
        return None
    if pick < 0.25:  # (too large for a word's low half: kept with the other keys)
        return rng.choice([(1 << 32) - 2, (1 << 32) - 1, 1 << 40])
    return rng.randint(0, 1 << 20)


def _as_word(key: str, answer: int | None) -> bool:
    """Held as a word in the table (else in the dict of the others)."""
    return bool(pmid_of(key)) and (answer is None or answer < (1 << 32) - 2)


def test_kept_keys_answer_as_two_trimmed_dicts_would() -> None:
    """Random look-ups (``holder``), puts, forgets and trims: the answers, their number and their order
    are those of a dict of the PMID keys and a dict of the others, each trimmed of its oldest (the
    tables grow, shift entries back and renumber their order on the way, and start small again)."""
    rng = random.Random(38)
    kept = KeptKeys()
    pmids: dict[str, int | None] = {}
    others: dict[str, int | None] = {}
    for step in range(30_000):
        key = _key(rng)
        pick = rng.random()
        if pick < 0.5:  # (``KeptKeys.holder``: asked only when not kept, then kept)
            answer = _answer(rng)
            expected = pmids.get(key, others.get(key, UNKNOWN))
            asked: list[str] = []
            got = kept.holder(key, lambda k: asked.append(k) or answer)  # noqa: B023
            if expected == UNKNOWN:
                assert asked == [key] and got == answer
                (pmids if _as_word(key, answer) else others)[key] = answer
            else:
                assert asked == [] and got == expected
        elif pick < 0.6:  # (a put: a key kept already keeps its place, or moves to the other kind)
            answer = _answer(rng)
            mine, theirs = (pmids, others) if _as_word(key, answer) else (others, pmids)
            theirs.pop(key, None)
            mine[key] = answer
            kept.put(key, answer)
        elif pick < 0.95:
            kept.pop(key)
            pmids.pop(key, None)
            others.pop(key, None)
        elif pick < 0.952:  # (small tables again: probes that wrap around their end)
            kept.clear()
            pmids.clear()
            others.clear()
        else:
            most = rng.choice([0, 5, 200, 2000])
            kept.trim(most)
            trim(pmids, most)
            trim(others, most)
        if step % 1000 == 0 or pick >= 0.95:
            assert list(kept.items()) == [*pmids.items(), *others.items()]
            assert len(kept) == len(pmids) + len(others)
        assert kept.get(key) == pmids.get(key, others.get(key, UNKNOWN))
    kept.clear()
    assert len(kept) == 0 and list(kept) == [] and kept.get("pmid:1") == UNKNOWN


def test_a_key_forgotten_and_asked_again_is_the_newest() -> None:
    kept = KeptKeys()
    for key, answer in (("pmid:1", 10), ("pmid:2", 20), ("doi:10.1/a", 30)):
        kept.put(key, answer)
    kept.pop("pmid:1")
    kept.put("pmid:1", 11)  # (asked again: its answer may have changed)
    kept.trim(1)
    assert list(kept.items()) == [("pmid:1", 11), ("doi:10.1/a", 30)]


def test_answers_kept_are_those_asked_and_forgotten_when_untrue() -> None:
    """``Answers`` across batches: a key is asked of the library once, answered from what is kept after,
    asked again once a batch's writes (its documents' keys before and after) or a take forgot it."""
    asked: list[str] = []
    library = {"pmid:1": 0, "pmid:2": 1, "doi:10.1/a": 0}

    def ask(key: str) -> int | None:
        asked.append(key)
        return library.get(key)

    answers: Answers[Meta] = Answers()
    for key in ("pmid:1", "pmid:2", "pmid:3", "doi:10.1/a"):
        assert answers.keys.holder(key, ask) == library.get(key)
    assert answers.keys.holder("pmid:1", ask) == 0 and len(asked) == 4
    # A batch wrote document 0 (it lost its DOI) and took pmid:3 (a new stub).
    answers.forget({0: {"pmid": "1"}}, (), {0: b'{"pmid":"1","doi":"10.1/a"}'}, {0}, 10, ["pmid:3"])
    del library["doi:10.1/a"]
    assert [answers.keys.holder(k, ask) for k in ("pmid:1", "pmid:2", "doi:10.1/a", "pmid:3")] == [
        0,
        1,
        None,
        None,
    ]
    assert asked[4:] == ["pmid:1", "doi:10.1/a", "pmid:3"]  # (pmid:2's answer stayed true: not asked)


def test_kept_answers_hold_few_bytes_each() -> None:
    """A full ``Answers`` (as many key answers as meta) holds under 60 bytes a PMID key answer and 110 a
    document's meta, their strings and ints included (as dicts of strings and of tuples: 120 and 197:
    red with those)."""
    entries, rng = 1 << 14, random.Random(1)
    # (made as an import makes them, fresh objects the kept answers alone hold: ints from arrays)
    pmids = array("q", rng.sample(range(1_000_000, 40_000_000), entries))
    ids = array("q", rng.sample(range(3 * entries), entries))
    years = array("q", [rng.randint(1950, 2024) for _ in range(entries)])
    flags = array("q", [rng.choice([2042, 2046, 3, 515, 1563]) for _ in range(entries)])
    answers: Answers[Meta] = Answers()
    i = 0

    def holder(_: str) -> int | None:
        return None if i % 7 == 0 else ids[i]

    def meta(_: int) -> Meta:
        return Meta(flags[i], years[i], 0 if i % 30 else ids[i])

    tracemalloc.start()
    try:
        for i in range(entries):
            answers.keys.holder(f"pmid:{pmids[i]}", holder)
        keys, _ = tracemalloc.get_traced_memory()
        for i in range(entries):
            answers.meta_of(ids[i], meta)
        both, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(answers.keys) == len(answers.meta) == entries
    assert keys / entries < 60, keys / entries
    assert (both - keys) / entries < 110, (both - keys) / entries
