"""A relevance ranking does not depend on how the index's documents are grouped into segments (which
its writer's memory budget and tantivy's merges decide): a range clause (``[dp]``, a metric compared)
adds the same to every hit, in a segment whose every document is in the range as in any other."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from store.search.compile import compile_query
from store.search.index import SearchIndex
from store.search.query import parse_query


def _scores(folder: Path, query: str) -> dict[int, float]:
    """The score of each hit of ``query`` in an index of two segments: doc 1 and 2 (both 2009, RCR 2.0)
    in the first, 3 (2009, RCR 2.0) and 4 (2010, RCR 0.5) in the second, all titled "stem"."""
    index = SearchIndex._open_folder(folder)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for batch in (((1, 2009, 2.0), (2, 2009, 2.0)), ((3, 2009, 2.0), (4, 2010, 0.5))):
        for doc_id, year, rcr in batch:
            doc = {"doc_id": doc_id, "title": "stem", "year": year, "rcr": rcr}
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


@pytest.mark.parametrize("query", ["stem AND 2009[dp]", "stem AND 2005:2009[dp]", "stem AND rcr>=1.5"])
def test_a_range_adds_the_same_score_in_every_segment(tmp_path: Path, query: str) -> None:
    scores = _scores(tmp_path, query)
    assert set(scores) == {1, 2, 3}
    # (before: docs 1 and 2, whose segment is all in the range, scored 1 less than doc 3)
    assert len(set(scores.values())) == 1, scores
