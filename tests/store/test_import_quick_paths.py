"""Quick paths of an import's hot loops, each the same as the loop it replaces: ``links.apply`` and
``Change.between`` in C for their usual cases (a base record read into an empty state; a state only
added to) give what the loops written out one target at a time give, in the same order, for records of
every shape (random, repeats and all); a batch's last document made is found in C."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from store.storage import links as linkrec
from store.storage.links import RELS, Change, LinkState, shared


def _applied_slowly(state: LinkState, record: Mapping[str, Any]) -> None:
    """``apply`` as it was before its quick paths (stop 39): one target at a time."""
    for rel, ids in (record.get("removed") or {}).items():
        for target in ids:
            state[rel].pop(target, None)
    for rel in RELS:
        for target in record.get(rel) or ():
            if target not in state[rel]:
                state[rel][target] = ()
    for rel, by_source in (record.get("link_sources") or {}).items():
        targets = state[rel]
        for source, ids in by_source.items():
            for target in ids:
                have = targets.get(target)
                if have is None:
                    continue
                if not have:
                    targets[target] = shared((source,))
                elif source not in have:
                    targets[target] = shared((*have, source))


Targets = dict[str, dict[int, tuple[str, ...]]]


def _between_slowly(before: LinkState, after: LinkState) -> tuple[Targets, Targets, dict[str, set[int]]]:
    added: dict[str, dict[int, tuple[str, ...]]] = {}
    more: dict[str, dict[int, tuple[str, ...]]] = {}
    removed: dict[str, set[int]] = {}
    for rel in RELS:
        old, new = before[rel], after[rel]
        gone = {t for t in old if t not in new}
        if gone:
            removed[rel] = gone
        for target, sources in new.items():
            had = old.get(target)
            if had is None:
                added.setdefault(rel, {})[target] = sources
            elif sources != had:
                extra = tuple(s for s in sources if s not in had)
                if extra:
                    more.setdefault(rel, {})[target] = extra
    return added, more, removed


def _record(rng: random.Random, *, change: bool) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if change and rng.random() < 0.3:
        record["removed"] = {rel: rng.sample(range(1, 30), rng.randint(0, 4)) for rel in RELS}
    sources: dict[str, dict[str, list[int]]] = {}
    for rel in RELS:
        if rng.random() < 0.8:
            ids = [rng.randint(1, 30) for _ in range(rng.randint(1, 12))]  # (repeats too)
            record[rel] = ids
            shape = rng.random()
            if shape < 0.5:
                sources[rel] = {"pubmed": list(ids)}  # (the usual: one source gave them all)
            elif shape < 0.7:
                sources[rel] = {"pubmed": ids[: len(ids) // 2], "europepmc": ids[len(ids) // 3 :]}
            elif shape < 0.8:
                sources[rel] = {"pubmed": list(reversed(ids))}  # (the same targets, not the same list)
            elif shape < 0.85:
                sources[rel] = {"pubmed": [*ids, 99]}  # (a source for a target it does not hold)
            elif shape < 0.9:
                sources[rel] = {"pubmed": ids[: len(ids) // 2]}  # (one source, for some targets)
    if sources:
        record["link_sources"] = sources
    return record


def test_apply_is_the_loops_for_records_of_every_shape() -> None:
    rng = random.Random(40)
    for _ in range(3000):
        quick, slow = linkrec.empty(), linkrec.empty()
        for n in range(rng.randint(1, 4)):
            record = _record(rng, change=n > 0)
            linkrec.apply(quick, record)
            _applied_slowly(slow, record)
            for rel in RELS:
                assert list(quick[rel].items()) == list(slow[rel].items()), record


def test_between_is_the_loops_for_states_added_to_and_not() -> None:
    rng = random.Random(41)
    for _ in range(3000):
        before = linkrec.empty()
        linkrec.apply(before, _record(rng, change=False))
        after = {rel: dict(targets) for rel, targets in before.items()}
        linkrec.apply(after, _record(rng, change=rng.random() < 0.5))  # (added to, or dropped from too)
        change = Change.between(before, after)
        added, more, removed = _between_slowly(before, after)
        assert (change.added, change.more_sources, change.removed) == (added, more, removed)
        assert [list(t.items()) for t in change.added.values()] == [list(t.items()) for t in added.values()]


def test_a_batch_s_last_document_made_is_its_highest_not_removed() -> None:
    from store.storage.spilling import _last_made

    assert _last_made({}) == -1
    assert _last_made({3: {"title": "a"}, 9: {"title": "b"}, 5: None}) == 9
    assert _last_made({3: {"title": "a"}, 9: None, 5: {"title": "c"}}) == 5
    assert _last_made({9: None, 4: None}) == -1
