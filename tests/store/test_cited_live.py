"""``cited>=N`` and the other citation-count comparisons of search answer by the library's live counts.

A record's count grows as later records cite it, and that re-indexes nothing (links are kept apart
from the documents): the count an index document holds is as of its indexing. The comparisons must
agree with the count a hit shows, whichever layer (base, segments, journal) holds the links.
"""

from __future__ import annotations

import operator
import random
from pathlib import Path

import pytest

import store.importer as importer
from store import metrics
from store.importer import import_file
from store.library import Library
from store.search import SearchIndex
from tests.store.bulk_files import cited, pmid, pubmed_xml

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}
COMPARISONS = [
    "cited>=3",
    "cited>3",
    "cited>=1",
    "cited>0.5",
    "cited<2",
    "cited<=2",
    "cited<2.5",
    "cited=0",
    "cited=2",
    "cited=2.5",
    "cited>=0",
    "cited>=1000",
    "cited>=4 AND cells",
    "cited<1 OR cited>5",
]


def _live(lib: Library) -> dict[int, int]:
    """Each document's count worked out from its document and its citing links, by id."""
    counts = {}
    for doc_id, doc in lib.iter_docs():
        reported = [doc.get("citation_count") or 0, *metrics.reported_counts(doc)]
        counts[doc_id] = max(*reported, len(lib.link_ids(doc_id, "cited_by")))
    return counts


def _expected(query: str, counts: dict[int, int], cells: set[int]) -> list[int]:
    def holds(clause: str, count: int) -> bool:
        for op, compare in OPS.items():
            if op in clause:
                return compare(count, float(clause.split(op)[1]))
        raise AssertionError(clause)

    found = []
    for doc_id, count in counts.items():
        if " AND " in query:
            ok = holds(query.split(" AND ")[0], count) and doc_id in cells
        elif " OR " in query:
            ok = any(holds(part, count) for part in query.split(" OR "))
        else:
            ok = holds(query, count)
        if ok:
            found.append(doc_id)
    return sorted(found)


def _check(lib: Library) -> None:
    lib.refresh()
    index = SearchIndex.for_library(lib)
    counts = _live(lib)
    cells = {h.doc_id for h in index.search("cells", limit=100_000).hits}
    assert len(cells) > 100
    for query in COMPARISONS:
        hits = index.search(query, limit=100_000).hits
        assert sorted(h.doc_id for h in hits) == _expected(query, counts, cells), query
        assert all(counts[h.doc_id] == h.cited for h in hits)


def test_a_stub_cited_again_by_a_later_import_is_found_by_its_new_count(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    import_file(lib, pubmed_xml(tmp_path / "a.xml", [(1, [9]), (2, [9])]))
    import_file(lib, pubmed_xml(tmp_path / "b.xml", [(3, [9]), (4, [9])]))
    index = SearchIndex.for_library(lib)
    assert [(h.pmid, h.cited) for h in index.search("cited>=3 NOT 30992990", limit=10).hits] == [(pmid(9), 4)]
    assert pmid(9) not in {h.pmid for h in index.search("cited<4", limit=100).hits}


@pytest.mark.parametrize("layers", ["journal", "segments", "base and segments and journal"])
def test_count_comparisons_agree_with_the_live_counts_in_every_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layers: str
) -> None:
    rng = random.Random(3)
    lib = Library.open(tmp_path / "library.json")
    if layers != "journal":
        monkeypatch.setattr(importer, "FLUSH_AT", 120)  # (batches written as segments)
    first = pubmed_xml(tmp_path / "1.xml", [(i, cited(rng, i, 160, 4)) for i in range(1, 81)])
    import_file(lib, first)
    if layers.startswith("base"):
        assert lib.compact()
    second = pubmed_xml(tmp_path / "2.xml", [(i, cited(rng, i, 200, 5)) for i in range(81, 161)])
    import_file(lib, second)
    monkeypatch.setattr(importer, "FLUSH_AT", 100_000)
    # A small import into the same library: its commit is in the journal.
    import_file(lib, pubmed_xml(tmp_path / "3.xml", [(161, [1, 2, 3, 90]), (162, [1, 2, 150])]))
    _check(lib)
