"""A link change that only adds targets (the cited end of a link to a stored document: what an import
holds for each document its batch's records cite, some 300,000 a batch into a large library) holds
one dict of its own, not three: its other parts are one shared read-only empty mapping until written
(``store.storage.links.Change``). And a write to one change's parts never shows in another's."""

from __future__ import annotations

import tracemalloc

import pytest

from store.linkedits import LinkEdits
from store.storage.links import Change, LinkState, empty


def _weight_of_cited_ends(n: int) -> float:
    """Bytes a change, as ``LinkEdits`` holds the cited ends of one record's reference list."""

    def reader(_doc_id: int) -> LinkState:
        raise AssertionError("a cited end's links are not read")

    edits = LinkEdits(reader, fresh_from=10**9)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        edits.connect_all(10**9, "references", [(target, ["pubmed"]) for target in range(n)])
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(edits.changes(set())) == n + 1
    return held / n


def test_a_cited_ends_change_holds_one_dict_of_its_own() -> None:
    # Measured (Python 3.11): 688 bytes a change with three dicts, 560 with one (an empty dict is 64).
    assert _weight_of_cited_ends(20_000) < 620


def test_the_parts_of_one_change_are_written_apart_from_every_other() -> None:
    one, other = Change(), Change()
    one.remove("references", 5)
    one.add_sources("cited_by", 9, ("pubmed",))
    assert dict(one.removed) == {"references": {5}}
    assert dict(one.more_sources) == {"cited_by": {9: ("pubmed",)}}
    assert not other.removed and not other.more_sources and not other
    assert other.encode() == b"{}"
    # The shared empty parts cannot be written past ``Change``'s own methods.
    with pytest.raises(TypeError):
        other.removed["references"] = {1}  # type: ignore[index]


def test_a_change_between_two_states_keeps_what_was_dropped_and_the_new_sources() -> None:
    before, after = empty(), empty()
    before["references"] = {1: ("pubmed",), 2: ("pubmed",)}
    after["references"] = {1: ("pubmed", "europepmc"), 3: ("pubmed",)}
    change = Change.between(before, after)
    assert dict(change.removed) == {"references": {2}}
    assert dict(change.more_sources) == {"references": {1: ("europepmc",)}}
    state = empty()
    state["references"] = dict(before["references"])
    change.apply_to(state)
    assert state == after
    assert not Change().more_sources and not Change().removed  # (still empty: nothing shared was written)
