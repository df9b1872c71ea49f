"""What ``store.search.fields.index_document`` puts in the search index for a document: the terms of a
compound surname, and the citation metrics of the documents that hold them and of none other (it
skips reading metrics for a document without any, which is every record and stub an import makes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tantivy

from store.search.fields import ANALYZER, FOLDED, SCHEMA, add_to, index_document


def _fields(doc: dict[str, Any], citing: int = 0) -> dict[str, list[Any]]:
    return {name: sorted(values) for name, values in index_document(7, doc, citing).to_dict().items()}


def test_a_compound_surname_is_found_whole_and_by_its_last_part() -> None:
    doc = {"authors": [{"last": "García-López", "initials": "M"}, {"last": "Smith"}, {"last": ""}]}
    fields = _fields(doc)
    assert fields["author_last"] == ["garcia_lopez", "lopez", "smith"]
    assert fields["author_full"] == ["garcia_lopez m", "lopez m"]


def test_metrics_are_indexed_for_a_document_that_holds_them() -> None:
    doc = {
        "title": "T",
        "citation_count": 3,
        "metrics": {
            "icite": {"citation_count": 12, "relative_citation_ratio": 1.5, "is_clinical": True},
            "europepmc": {"citation_count": 9},
        },
    }
    fields = _fields(doc, citing=4)
    assert fields["cited"] == [12]
    assert fields["rcr"] == [1.5]
    assert fields["has_metrics"] == [1] and fields["clinical"] == [1]


def test_a_document_without_metrics_has_none_indexed() -> None:
    fields = _fields({"title": "T", "citation_count": 3}, citing=4)
    assert fields["cited"] == [4]
    assert not {"rcr", "percentile", "apt", "clinical", "research", "has_metrics"} & set(fields)


DOCS: list[dict[str, Any]] = [
    {  # a record
        "pmid": "11",
        "pmcid": "PMC5",
        "doi": "10.1/AB",
        "title": 'Stem cells \u201cin\u201d the colon: \\ "quoted" \x1f',
        "abstract": [{"text": "Markers predict relapse.", "label": "RESULTS"}, {"text": "Café au lait."}],
        "authors": [
            {"last": "García-López", "fore": "María", "initials": "M"},
            {"last": "Group X", "collective": True},
        ],
        "journal": "Gut",
        "journal_title": "Gut Journal",
        "mesh": ["Colonic Neoplasms/pathology*", "Neoplastic Stem Cells"],
        "keywords": ["relapse", "niche"],
        "year": 2018,
        "citation_count": 40,
    },
    {
        "title": "A stub",
        "authors": [{"last": "Bruno", "initials": "S"}],
        "journal": "J",
        "year": 2009,
        "stub": True,
    },
    {"title": "", "journal_title": "Only a title", "year": None},  # (nothing else known)
    {  # names the author-terms cache does not keep: too long, no fore name (None), a collective
        "title": "Uncached names",
        "authors": [
            {"last": "Lopez-" + "y" * 200, "fore": "Ana", "initials": "A"},
            {"last": "Ruiz", "fore": None, "initials": "R"},
            {"last": "The Movement Disorder Study Group", "collective": True},
        ],
        "year": 2001,
    },
    {  # a document with citation metrics (a tantivy.Document: floats)
        "pmid": "12",
        "title": "Measured",
        "citation_count": 3,
        "metrics": {"icite": {"citation_count": 2, "relative_citation_ratio": 0.5, "is_clinical": False}},
        "year": 2003,
    },
]


def _terms_and_stored(add: Any) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    index = tantivy.Index(SCHEMA)
    index.register_tokenizer(FOLDED, ANALYZER)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for n, doc in enumerate(DOCS, 1):
        add(writer, n, doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    terms = {f: sorted(searcher.terms_with_prefix(f, "")) for f in TEXT_FIELDS}
    for f in INT_FIELDS:
        for value in (0, 1, 2, 3, 40, 2001, 2003, 2009, 2018):
            terms[f"{f}={value}"] = [searcher.search(tantivy.Query.term_query(SCHEMA, f, value), 10).count]
    hits = searcher.search(tantivy.Query.all_query(), 10).hits
    stored = {str(searcher.doc(addr)["doc_id"][0]): searcher.doc(addr).to_dict() for _score, addr in hits}
    return terms, stored


TEXT_FIELDS = [
    *(
        "pmid",
        "pmcid",
        "doi",
        "doi_key",
        "keys",
        "title",
        "abstract",
        "author",
        "journal",
        "mesh",
        "keywords",
    ),
    *("author_last", "author_full", "mesh_words", "journal_name", "first_author"),
]
INT_FIELDS = ["doc_id", "year", "cited", "stub", "has_abstract"]


def test_a_document_added_as_json_is_indexed_as_a_tantivy_document() -> None:
    """``add_to`` gives tantivy each document as one JSON text (a third of the calls a stub cost): the
    terms of every field and what is stored are those of the ``tantivy.Document`` of the same fields."""
    by_json = _terms_and_stored(add_to)
    by_document = _terms_and_stored(lambda w, n, doc: w.add_document(index_document(n, doc)))
    assert by_json == by_document
    assert by_json[0]["author_last"]  # (the terms were read)


# What stop 36's ``index_document`` (one ``add_text``/``add_integer`` call a value, before documents were
# added as JSON) put in the index for ``DOCS``: made by running that code (9d6f8fe) on them. The
# index's version was not raised with the change, so old and new documents share one index (an update,
# a catch-up): the new code must make the same terms.
STOP_36 = Path(__file__).parents[1] / "data" / "search_terms_stop36.json"


def test_the_terms_and_stored_fields_are_those_stop_36_made() -> None:
    terms, stored = _terms_and_stored(add_to)
    made = json.loads(json.dumps({"terms": terms, "stored": stored}))
    assert made == json.loads(STOP_36.read_text(encoding="utf-8"))


def test_the_author_cache_does_not_keep_collectives() -> None:
    """A consortium's name has a key for every run of its words (78 for 12 words, ~10 KB): a file of
    distinct ones kept in the 65,536-entry cache would hold ~700 MB for the life of the process."""
    import tracemalloc

    from store.search.fields import _one_author, index_fields

    _one_author.cache_clear()
    words = [f"w{k}" for k in range(11)]
    docs = [{"authors": [{"last": " ".join([f"c{n}", *words]), "collective": True}]} for n in range(800)]
    tracemalloc.start()
    try:
        for n, doc in enumerate(docs):
            index_fields(n, doc)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1_000_000  # (kept: 800 x ~10 KB = ~8 MB)


@pytest.mark.parametrize("letter", ["w", "ω", "𝐚"])  # (one, two and four bytes a character)
def test_the_heading_cache_holds_at_most_its_budget(letter: str) -> None:
    """MeSH headings' terms are kept within ``HEADINGS_BUDGET``: 16,384 hostile 200-character headings
    of many short words, kept by count alone, held 232 MB (~14 KB each) for the life of the process;
    counted as one byte a character, four-byte ones held ~60 MB in a budget of 16 (review of stop 38)."""
    import tracemalloc

    from store.search.fields import _HEADINGS, HEADINGS_BUDGET, MAX_CACHED, analyze, mesh_word_terms

    _HEADINGS.made.clear()
    _HEADINGS.held = 0
    headings = [" ".join(f"{n}{letter}{k}" for k in range(40))[:MAX_CACHED] for n in range(12_000)]
    tracemalloc.start()
    try:
        fullest = 0  # (what is held when the cache counts itself 90% full: its count is true)
        for heading in headings:
            mesh_word_terms([heading])
            if not fullest and _HEADINGS.held >= 0.9 * HEADINGS_BUDGET:
                fullest = tracemalloc.get_traced_memory()[0]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert _HEADINGS.made  # (kept, within the budget)
    assert 0.8 * HEADINGS_BUDGET < fullest < 1.1 * HEADINGS_BUDGET
    assert held < HEADINGS_BUDGET * 1.1  # (by count alone: 12,000 x ~14 KB = ~170 MB)
    again = mesh_word_terms([headings[-1]])
    assert again == [f"{word}\x1f{headings[-1]}" for word in analyze(headings[-1])]
