"""A relevance ranking does not depend on how the index's documents are grouped into segments (which
its writer's memory budget and tantivy's merges decide): a range clause (``[dp]``, a metric or a count
compared) adds the same to every hit, in a segment whose every document is
in the range as in any other."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from store.search.compile import compile_query
from store.search.index import SearchIndex
from store.search.query import parse_query

# (doc id, year, rcr, percentile, apt, cited): the first segment's two documents are alike, so each
# range below holds all of it and some of the second (a range holding all of a segment was the case
# tantivy scored 0 where it scored 1 elsewhere)
SEGMENTS = (
    ((1, 2009, 2.0, 80.0, 0.75, 3), (2, 2009, 2.0, 80.0, 0.75, 3)),
    ((3, 2009, 2.0, 80.0, 0.75, 3), (4, 2010, 0.5, 10.0, 0.25, 1), (5, 2011, 9.0, 99.0, 0.95, 7)),
)


def _scores(folder: Path, query: str) -> dict[int, float]:
    """The score of each hit of ``query`` in an index of the two ``SEGMENTS``, all titled "stem"."""
    index = SearchIndex._open_folder(folder)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for segment in SEGMENTS:
        for doc_id, year, rcr, percentile, apt, count in segment:
            doc = {"doc_id": doc_id, "title": "stem", "year": year, "rcr": rcr}
            doc |= {"percentile": percentile, "apt": apt, "cited": count}
            writer.add_json(orjson.dumps(doc).decode())
        writer.commit()  # (one segment a commit)
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    compiled = compile_query(parse_query(query), None, query)
    return {
        int(searcher.doc(addr)["doc_id"][0]): round(float(score), 5)
        for score, addr in searcher.search(compiled, limit=10).hits
    }


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ("stem AND 2009[dp]", {1, 2, 3}),
        ("stem AND 2005:2009[dp]", {1, 2, 3}),
        ("stem AND rcr>=1.5", {1, 2, 3, 5}),
        ("stem AND rcr=2", {1, 2, 3}),
        ("stem AND rcr<=3", {1, 2, 3, 4}),
        ("stem AND rcr<2.5", {1, 2, 3, 4}),
        ("stem AND percentile>=50", {1, 2, 3, 5}),
        ("stem AND apt>0.5", {1, 2, 3, 5}),
        ("stem AND cited>=2.5", {1, 2, 3, 5}),
        ("stem AND cited<3.5", {1, 2, 3, 4}),
        ("stem AND cited=3", {1, 2, 3}),
        ("stem AND cited>2", {1, 2, 3, 5}),
        ("stem AND cited<=3", {1, 2, 3, 4}),
    ],
)
def test_a_range_adds_the_same_score_in_every_segment(tmp_path: Path, query: str, hits: set[int]) -> None:
    scores = _scores(tmp_path, query)
    assert set(scores) == hits
    # (before: docs 1 and 2, whose segment is all in the range, scored 1 less than the others)
    assert len(set(scores.values())) == 1, scores
