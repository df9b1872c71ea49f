"""A batch's hand-over (``Answers.forget``, written out for speed: it answers as the plain loops it
replaced did), and the links' two ends (``LinkEdits.connect_all``): what it adds to a stored
document's change, ``Change.add`` written out there, pinned as ``Change.add`` makes it."""

from __future__ import annotations

from store.answers import Answers
from store.linkedits import LinkEdits
from store.storage.links import Change, empty
from store.storage.meta import Meta


def _meta(n: int) -> Meta:
    return Meta(n, 2000 + n, 0)


def test_forget_drops_the_meta_of_every_document_held_whichever_side_is_smaller() -> None:
    for held in ({1, 3, 5}, set(range(100))):
        answers: Answers[Meta] = Answers()
        for doc_id in range(10):
            answers.meta_of(doc_id, _meta)
        answers.forget({}, [7], {}, held, 100)
        assert list(answers.meta) == [d for d in range(10) if d not in held and d != 7]


def test_forget_reads_nothing_when_no_key_is_kept() -> None:
    """An import into a new library keeps no key's answer: how a changed document was (not JSON here)
    is not read, and nothing is left to forget."""
    answers: Answers[Meta] = Answers()
    answers.forget({4: {"pmid": "4"}}, [5], {4: b"not json", 5: b"not json"}, {4}, 10, ["pmid:4"])
    assert len(answers.keys) == 0 and answers.gone_keys == set()


def test_forget_still_forgets_the_keys_a_batch_made_untrue() -> None:
    answers: Answers[Meta] = Answers()
    answers.keys.holder("pmid:1", lambda key: 4)
    answers.keys.holder("pmid:2", lambda key: 5)
    answers.keys.holder("pmid:3", lambda key: 6)
    answers.forget({4: {"pmid": "1"}}, [5], {4: b'{"pmid":"9"}', 5: b'{"pmid":"2"}'}, {4}, 10)
    assert dict(answers.keys.items()) == {"pmid:3": 6}


def test_connect_all_to_stored_documents_adds_changes_as_change_add_does() -> None:
    """A link to a stored document (an earlier batch's) adds to its change: the same change, in the
    same order, as ``Change.add`` and ``Change.add_sources`` make, sources shared."""
    stored = {1: empty(), 2: empty(), 3: empty()}
    stored[1]["references"][2] = stored[2]["cited_by"][1] = ("pubmed",)
    edits = LinkEdits(lambda doc_id: {rel: dict(t) for rel, t in stored[doc_id].items()}, 10)
    edits.connect_all(1, "references", [(2, ["europepmc"]), (3, ["pubmed"]), (3, ["europepmc"])])
    edits.connect_all(10, "references", [(3, ["pubmed"]), (11, None)])
    expected = {2: Change(), 3: Change()}
    expected[2].add_sources("cited_by", 1, ("pubmed", "europepmc"))
    expected[3].add("cited_by", 1, ("pubmed",))
    expected[3].add_sources("cited_by", 1, ("pubmed", "europepmc"))
    expected[3].add("cited_by", 10, ("pubmed",))
    changes = edits.changes(set())
    for doc_id in (2, 3):
        assert (changes[doc_id].added, changes[doc_id].more_sources) == (
            expected[doc_id].added,
            expected[doc_id].more_sources,
        )
    assert list(changes[3].added["cited_by"]) == [1, 10]
    assert changes[1].added == {"references": {3: ("pubmed", "europepmc")}}
    assert changes[1].more_sources == {"references": {2: ("europepmc",)}}
    assert changes[10].added == {"references": {3: ("pubmed",), 11: ()}, "cited_by": {}}
    assert changes[11].added == {"references": {}, "cited_by": {10: ()}}
