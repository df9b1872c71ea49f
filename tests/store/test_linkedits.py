"""The links a unit of work changes (store.linkedits) and how they are written (store.storage.links):
new documents built without a read, batches of a bulk import reading what earlier batches made."""

from __future__ import annotations

from pathlib import Path

import orjson

from store.library import Library, check_storage
from store.linkedits import LinkEdits
from store.model import Article, Link, Origin
from store.storage.links import Change, LinkState, empty, encode, shared


def test_a_new_document_s_links_are_built_without_a_read_and_written_in_full() -> None:
    stored = {3: {"references": {}, "cited_by": {1: ("pubmed",)}}}
    read: list[int] = []

    def reader(doc_id: int) -> LinkState:
        read.append(doc_id)
        return {rel: dict(targets) for rel, targets in stored.get(doc_id, empty()).items()}

    edits = LinkEdits(reader, fresh_from=10)
    assert edits.connect_all(10, "references", [(3, ["pubmed"]), (11, ["pubmed"]), (3, ["europepmc"])]) == 2
    assert edits.connect(11, "references", 10, None) == 2
    assert edits.connect(10, "references", 10, ["pubmed"]) == 0  # (a self-citation is no link)
    assert edits.connect(10, "references", 11, ["pubmed"]) == 0  # (nothing new)
    assert read == []  # neither new document was read, nor the cited stored one
    found = edits.changes(set())
    assert orjson.loads(found[10].encode()) == {
        "references": [3, 11],
        "cited_by": [11],
        "link_sources": {"references": {"pubmed": [3, 11], "europepmc": [3]}},
    }
    assert orjson.loads(found[11].encode()) == {
        "references": [10],
        "cited_by": [10],
        "link_sources": {"cited_by": {"pubmed": [10]}},
    }
    # The stored document gets a change: the citing end, with its sources in the order learnt.
    assert orjson.loads(found[3].encode()) == {
        "cited_by": [10],
        "link_sources": {"cited_by": {"pubmed": [10], "europepmc": [10]}},
    }
    assert found[10].counts == (2, 1) and found[3].counts == (0, 1)


def test_a_new_document_merged_away_writes_no_links() -> None:
    edits = LinkEdits(lambda doc_id: empty(), fresh_from=10)
    edits.connect(10, "references", 11, ["pubmed"])
    edits.unlink(11, "cited_by", 10)
    edits.state(10)["references"].pop(11)
    assert edits.changes({10}) == {}


def test_link_sources_are_grouped_by_source_in_the_order_learnt() -> None:
    one, both = shared(["a"]), shared(("a", "b"))
    assert one is shared(("a",)) and shared(["a", "a"]) is one
    mixed = {"references": {1: one, 2: both, 3: one}, "cited_by": {}}
    assert orjson.loads(encode(mixed) or b"") == {
        "references": [1, 2, 3],
        "link_sources": {"references": {"a": [1, 2, 3], "b": [2]}},
    }
    same = {"references": {5: both, 4: both}, "cited_by": {7: ()}}
    assert orjson.loads(encode(same) or b"") == {
        "references": [5, 4],
        "cited_by": [7],
        "link_sources": {"references": {"a": [5, 4], "b": [5, 4]}},
    }
    change = Change()
    change.add("references", 9, ("b",))
    change.add_sources("references", 4, ("b",))
    assert orjson.loads(change.encode()) == {
        "references": [9],
        "link_sources": {"references": {"b": [9, 4]}},
    }


def test_a_later_batch_reads_the_links_an_earlier_batch_made(tmp_path: Path) -> None:
    # A bulk import writes its batches as it goes: a record made by the first batch is a stored document
    # for the second, whose links are read before they are added to (not taken for new ones).
    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(
            Article(pmid="1", title="A", references=[Link(pmid="9", sources=["pubmed"])]), Origin("pubmed")
        )
        changes.flush()
        changes.put_article(
            Article(
                pmid="1",
                title="A",
                references=[Link(pmid="9", sources=["pubmed"]), Link(pmid="8", sources=["europepmc"])],
            ),
            Origin("pubmed"),
        )
        changes.put_article(Article(pmid="2", title="B", references=[Link(pmid="1")]), Origin("pubmed"))
    for again in (lib, Library.open(path)):
        record = again.find("1")
        assert record is not None
        assert [v.pmid for v in again.links(record, "references")] == ["9", "8"]
        assert [v.pmid for v in again.links(record, "cited_by")] == ["2"]
        assert again.link_counts(record) == (2, 1)
        assert again.stats().links == 3
    assert check_storage(path).problems == []


def test_a_change_is_written_the_same_whichever_way_it_is_encoded() -> None:
    """``Change.encode`` writes the usual change (new targets of one relation, all from the same
    sources) by a shorter path: its bytes are those the whole path writes, as stored before it."""
    pubmed, both = shared(["pubmed"]), shared(["pubmed", "europepmc"])
    cases: list[tuple[Change, bytes]] = []

    one = Change()
    one.add("cited_by", 7, pubmed)
    cases.append((one, b'{"cited_by":[7],"link_sources":{"cited_by":{"pubmed":[7]}}}'))
    several = Change()
    for target in (9, 4, 12):
        several.add("references", target, both)
    cases.append(
        (
            several,
            b'{"references":[9,4,12],"link_sources":{"references":{"pubmed":[9,4,12],"europepmc":[9,4,12]}}}',
        )
    )
    bare = Change()
    bare.add("cited_by", 3, ())
    cases.append((bare, b'{"cited_by":[3]}'))
    mixed = Change()  # (two sets of sources: the whole path)
    mixed.add("cited_by", 5, pubmed)
    mixed.add("cited_by", 6, both)
    cases.append((mixed, b'{"cited_by":[5,6],"link_sources":{"cited_by":{"pubmed":[5,6],"europepmc":[6]}}}'))
    removing = Change()
    removing.add("cited_by", 8, pubmed)
    removing.remove("references", 2)
    cases.append(
        (
            removing,
            b'{"removed":{"references":[2]},"cited_by":[8],"link_sources":{"cited_by":{"pubmed":[8]}}}',
        )
    )
    for change, stored in cases:
        assert change.encode() == stored
        state = empty()
        state["references"][2] = pubmed
        Change.of([orjson.loads(stored)]).apply_to(state)  # (and it reads back as the change it was)
        expected = empty()
        expected["references"][2] = pubmed
        change.apply_to(expected)
        assert state == expected
