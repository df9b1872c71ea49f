"""``store.heldkeys.HeldKeys``, the identity keys of a bulk import's earlier batches held compactly,
answers as the dict it replaced: every key exactly (a PMID key written otherwise, a DOI differing in
one character), None kept as an answer, a later answer replacing an earlier, a document id too large
for a PMID's word."""

from __future__ import annotations

import random

from store.heldkeys import UNKNOWN, HeldKeys


def _keys(rng: random.Random) -> list[str]:
    keys = [f"pmid:{rng.randrange(1, 10**9)}" for _ in range(3000)]
    keys += [f"pmid:{n}" for n in range(1, 400)]  # (neighbours: one run of slots)
    keys += ["pmid:0123", "pmid:123", "pmid:1234567890", "pmid:", "pmid:١٢٣", "pmid:12a", "pmid: 12"]
    keys += [f"doi:10.{rng.randrange(1000, 9999)}/x.{n}" for n in range(2000)]
    keys += [f"pmc:PMC{n}" for n in range(500)] + ["cite:0123abcd", "doi:10.1/é", "doi:10.1/\udcff"]
    return keys


def test_held_keys_answer_as_a_dict_does() -> None:
    rng = random.Random(5)
    keys = _keys(rng)
    model: dict[str, int | None] = {}
    held = HeldKeys(300)  # (some answers recalled as a dict: the same either way)
    for _ in range(6):  # (batches: each gives keys, takes some back, re-gives some)
        batch: dict[str, int | None] = {}
        for key in rng.sample(keys, 1500):
            batch[key] = rng.choice([None, rng.randrange(0, 10**6), rng.randrange(0, 3), 2**32 - 2, 2**40])
        held.update(batch)
        model.update(batch)
        assert len(held) >= len(model)
        for key in [*keys, "pmid:7", "doi:10.1/e", "doi:10.1/É", "pmid:00", "nothing"]:
            assert held.get(key) == model.get(key, UNKNOWN), key


def test_a_pmid_key_s_answer_goes_back_to_the_word_after_a_large_id() -> None:
    held = HeldKeys()
    held.update({"pmid:5": 2**33})
    assert held.get("pmid:5") == 2**33
    held.update({"pmid:5": 7})
    assert held.get("pmid:5") == 7
    held.update({"pmid:5": None})
    assert held.get("pmid:5") is None
