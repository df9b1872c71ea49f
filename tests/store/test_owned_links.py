"""A stored document given links in a relation that holds none (a record whose stub a reference list
named before, now given its own references) is not read (``LinkEdits._own``): its kept counts say every
link is new to it, so its change says all there is to say; its citing articles, which can be hundreds,
are neither read nor compared at the commit. What the library holds after is what reading it in full
gave, batch by batch, and so are a batch's size and a record imported again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.linkedits import LinkEdits
from store.storage.links import LinkState, empty
from tests.store.bulk_files import pubmed_xml
from tests.store.helpers import count_calls


def test_a_stored_document_without_references_is_given_them_unread() -> None:
    stored: dict[int, LinkState] = {5: {"references": {}, "cited_by": {1: ("pubmed",), 2: ("pubmed",)}}}
    read: list[int] = []

    def reader(doc_id: int) -> LinkState:
        read.append(doc_id)
        return {rel: dict(targets) for rel, targets in stored.get(doc_id, empty()).items()}

    def counts(doc_id: int) -> tuple[int, int]:
        state = stored.get(doc_id, empty())
        return len(state["references"]), len(state["cited_by"])

    sizes = []
    for given in (None, counts):  # (as before: read in full; now: unread)
        read.clear()
        edits = LinkEdits(reader, fresh_from=10, counts=given)
        edits.connect(3, "references", 5, ["pubmed"])  # (5 a cited end first: its change)
        assert (
            edits.connect_all(5, "references", [(6, ["pubmed"]), (10, ["pubmed"]), (6, ["europepmc"])]) == 2
        )
        assert edits.connect(5, "references", 6, ["pubmed"]) == 0  # (nothing new: its change knows)
        sizes.append(edits.size())
        found = {doc_id: orjson.loads(change.encode()) for doc_id, change in edits.changes(set()).items()}
        assert found[5] == {
            "references": [6, 10],
            "cited_by": [3],
            "link_sources": {
                "references": {"pubmed": [6, 10], "europepmc": [6]},
                "cited_by": {"pubmed": [3]},
            },
        }
        assert read == ([3, 5] if given is None else [])  # (neither has references stored: both unread)
    assert sizes[0] == sizes[1]  # (counted one, as when read in full: the batches are the same)


def test_the_kept_counts_are_asked_once_a_document_and_relation() -> None:
    """A record's reference list gives it one link a reference: its kept counts were asked at each
    (seen red: 30 asks for 30 references); once is enough, as they do not change within a batch."""
    asked: list[int] = []

    def counts(doc_id: int) -> tuple[int, int]:
        asked.append(doc_id)
        return 0, 2

    edits = LinkEdits(lambda doc_id: empty(), fresh_from=100, counts=counts)
    for target in range(40, 70):
        edits.connect(5, "references", target, ["pubmed"])
    assert asked == [5]
    edits.connect(5, "cited_by", 9, ["pubmed"])  # (another relation, 2 kept: asked, then read in full)
    assert asked == [5, 5]
    assert len(orjson.loads(edits.changes(set())[5].encode())["references"]) == 30


def _contents(lib: Library) -> list[Any]:
    return [
        (
            doc_id,
            {k: v for k, v in doc.items() if k != "origins"},
            lib.link_state(doc_id),
            lib.link_counts(doc_id),
        )
        for doc_id, doc in lib.iter_docs()
    ]


def _import_later_records(
    tmp_path: Path, name: str, links_at: int, monkeypatch: pytest.MonkeyPatch
) -> Library:
    # File 1: records 1-30 cite 100-109 (stubs); file 2: the records 100-109, each citing 1-3 and 200,
    # record 100 twice (its second copy in a later batch when batches are small).
    first = pubmed_xml(
        tmp_path / f"{name}-1.xml", [(i, [100 + i % 10, 100 + (i + 3) % 10]) for i in range(1, 31)]
    )
    later = [(i, [1, 2, 3, 200]) for i in range(100, 110)] + [(100, [1, 4, 201])]
    second = pubmed_xml(tmp_path / f"{name}-2.xml", later)
    lib = Library.open(tmp_path / f"{name}.json", demo=False)
    import_paths(lib, [str(first)])
    monkeypatch.setattr(importer, "LINKS_AT", links_at, raising=False)
    import_paths(lib, [str(second)])
    return lib


def test_records_of_stubs_are_given_their_references_unread_and_hold_what_a_full_read_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched = _import_later_records(tmp_path, "batched", 4, monkeypatch)
    whole = _import_later_records(tmp_path, "whole", 1_000_000, monkeypatch)
    contents = _contents(batched)
    assert contents == _contents(whole)
    for _doc_id, _doc, state, counts in contents:
        assert counts == (len(state["references"]), len(state["cited_by"]))
    record = batched.lookup("pmid:20000100")
    assert record is not None
    refs = [batched.lookup(f"pmid:{20_000_000 + i}") for i in (1, 2, 3, 200, 4, 201)]
    assert list(batched.link_state(record)["references"]) == refs
    assert len(batched.link_state(record)["cited_by"]) == 6  # (records 10, 20, 30 and 7, 17, 27)
    # The stubs' links are not read to give them their references (read in full before: 10 reads).
    reads = count_calls(monkeypatch, Library, "link_state")
    again = Library.open(tmp_path / "again.json", demo=False)
    import_paths(again, [str(tmp_path / "whole-1.xml")])
    import_paths(again, [str(tmp_path / "whole-2.xml")])
    assert reads[0] == 0
    assert _contents(again) == _contents(whole)
