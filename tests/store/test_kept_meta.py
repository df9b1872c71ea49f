"""Documents' meta kept across an import's batches (``store.keptmeta``, ``Answers.meta``): held as a code
a document in arrays, they answer as the trimmed dict they replace did (the same answers, asked of the
library as seldom, forgotten and trimmed to the newest alike) and weigh what the module docstring says."""

from __future__ import annotations

import random
import tracemalloc
from array import array

import pytest

import store.keptmeta as keptmeta
from store.answers import Answers
from store.keptkeys import trim
from store.keptmeta import PAGE, KeptMeta
from store.storage.meta import Meta


def _ids(rng: random.Random) -> int:
    pick = rng.random()
    if pick < 0.8:  # (few ids: the same come back, forgotten and asked again)
        return rng.randrange(3000)
    if pick < 0.95:  # (ids where the arrays grow, the last kept, and the first not kept)
        return rng.choice([PAGE - 1, PAGE, 5 * PAGE + 7, keptmeta.FLAT - 1, keptmeta.FLAT])
    return rng.randrange(PAGE, 40 * PAGE)


def test_kept_meta_answers_as_a_trimmed_dict_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random asks (``meta_of``), forgets, trims and clears: the answers, what is asked of the library,
    the number kept and their order are those of the ``dict`` ``Answers`` held before (stop 38), each
    meta the one object however many documents have it; past ``SHARED`` distinct metas (5 here) a meta is
    kept apart, as it is."""
    monkeypatch.setattr(keptmeta, "SHARED", 5)
    monkeypatch.setattr(keptmeta, "FLAT", 48 * PAGE)  # (ids from there on asked each time)
    rng = random.Random(49)
    library: dict[int, Meta | None] = {}
    kept: KeptMeta[Meta] = KeptMeta()
    model: dict[int, Meta | None] = {}
    for step in range(40_000):
        doc_id = _ids(rng)
        pick = rng.random()
        if pick < 0.5:
            if doc_id not in library or rng.random() < 0.05:  # (what the library says of it changes)
                library[doc_id] = None if rng.random() < 0.1 else Meta(rng.randrange(8), 2000, 0)
            asked: list[int] = []

            def ask(d: int) -> Meta | None:
                asked.append(d)  # noqa: B023
                return library[d]

            got = kept.meta_of(doc_id, ask)
            if doc_id in model:
                assert asked == [] and got is model[doc_id]
            else:
                assert asked == [doc_id] and got == library[doc_id]
                if doc_id < keptmeta.FLAT:
                    model[doc_id] = got
        elif pick < 0.9:
            kept.pop(doc_id)
            model.pop(doc_id, None)
        elif pick < 0.901:
            kept.clear()
            model.clear()
        else:
            most = rng.choice([0, 3, 100, 1000, 5000])
            kept.trim(most)
            trim(model, most)
        assert kept.get(doc_id) is model.get(doc_id)
        if step % 500 == 0 or pick >= 0.9:
            assert list(kept.items()) == list(model.items())
            assert len(kept) == len(model)
    assert list(kept) == list(model)


def test_one_object_each_distinct_meta() -> None:
    kept: KeptMeta[Meta] = KeptMeta()
    first = kept.meta_of(1, lambda _: Meta(2, 2001, 0))
    second = kept.meta_of(70_000, lambda _: Meta(2, 2001, 0))
    assert first is second
    assert kept.meta_of(2, lambda _: None) is None and kept.meta_of(2, lambda _: Meta(3, 3, 3)) is None


def test_an_id_from_flat_on_is_asked_each_time() -> None:
    """(a library's ids are dense from 0: one of under 32M documents gets nowhere near; the answer is
    still the library's, and the arrays stay as they were)"""
    kept: KeptMeta[Meta] = KeptMeta()
    asked: list[int] = []

    def ask(doc_id: int) -> Meta:
        asked.append(doc_id)
        return Meta(2, 0, 0)

    far = keptmeta.FLAT
    for _ in range(2):
        assert kept.meta_of(far, ask) == Meta(2, 0, 0)
    assert asked == [far, far] and len(kept) == 0 and kept.get(far) is None and len(kept.codes) == 0


def test_the_hot_paths_probe_answers_as_get() -> None:
    """``Changes._link`` reads ``metas[codes[id]]`` (an IndexError or None: ask ``meta_of``), not a
    Python call: a kept shared meta is found so, an id past the arrays or a meta kept apart raises
    IndexError, an id not kept gives None; the arrays are grown and cleared in place, never replaced
    (the hot path holds them)."""
    kept: KeptMeta[Meta] = KeptMeta()
    codes, metas = kept.codes, kept.metas
    shared = kept.meta_of(3, lambda _: Meta(2, 2001, 0))
    assert metas[codes[3]] is shared and metas[codes[4]] is None
    assert kept.meta_of(5, lambda _: None) is None and metas[codes[5]] is None
    with pytest.raises(IndexError):
        metas[codes[PAGE]]
    for doc_id in range(keptmeta.SHARED + 10):  # (past ``SHARED`` distinct metas: kept apart)
        kept.meta_of(PAGE + doc_id, lambda d: Meta(2, d, 0))
    assert kept.codes is codes and kept.metas is metas and len(codes) == 2 * PAGE
    apart = PAGE + keptmeta.SHARED + 5
    assert kept.get(apart) == Meta(2, apart, 0)
    with pytest.raises(IndexError):
        metas[codes[apart]]
    kept.clear()
    assert kept.codes is codes and kept.metas is metas and len(codes) == 0 and metas == [None, None]


@pytest.mark.parametrize("held_as", [set, dict])
@pytest.mark.parametrize("before", [10, 200])
def test_answers_forget_the_metas_a_batch_held_or_removed_and_keep_the_newest(
    held_as: type, before: int
) -> None:
    """``Answers.forget``: a document the batch held (changed or not: a set or a mapping of them) or
    removed is asked again; the rest stay, the newest ``most`` (from the fewer side: the metas kept, or
    the documents held)."""
    answers: Answers[Meta] = Answers()
    asked: list[int] = []

    def ask(doc_id: int) -> Meta:
        asked.append(doc_id)
        return Meta(2, 1990 + doc_id % 30, 0)

    for doc_id in range(before):
        answers.meta_of(doc_id, ask)
    held = held_as.fromkeys(range(0, 100, 3)) if held_as is dict else set(range(0, 100, 3))
    answers.forget({}, [1, 2], {}, held, before // 2)
    # (forgotten: every third below 100 and 1, 2; then the oldest of the rest trimmed to half as many)
    left = [d for d in range(before) if d not in held and d not in (1, 2)][-(before // 2) :]
    assert list(answers.meta) == left
    asked.clear()
    for doc_id in range(before):
        answers.meta_of(doc_id, ask)
    assert asked == [d for d in range(before) if d not in left]


def test_kept_metas_weigh_a_few_bytes_each() -> None:
    """An ``Answers`` holding 1 << 17 documents' meta (an import into a large library asks half its
    documents', ids dense from 0; metas made as the index makes them, fresh objects, few distinct) weighs
    under 24 bytes an answer, arrays and all (as the dict of stop 38: ~77 bytes; red with it)."""
    entries, rng = 1 << 17, random.Random(2)
    ids = array("q", rng.sample(range(2 * entries), entries))
    years = array("q", [rng.randint(1950, 2024) for _ in range(entries)])
    flags = array("q", [rng.choice([2042, 2046, 3, 515, 1563]) for _ in range(entries)])
    answers: Answers[Meta] = Answers()
    i = 0

    def meta(_: int) -> Meta:
        return Meta(flags[i], years[i], 0)

    tracemalloc.start()
    try:
        for i in range(entries):
            answers.meta_of(ids[i], meta)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(answers.meta) == entries
    assert held / entries < 24, held / entries
