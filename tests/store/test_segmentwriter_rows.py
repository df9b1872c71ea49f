"""``SegmentWriter.add_doc`` writes a document's bytes and row itself (once a document of every batch an
import writes: no ``_put`` or ``Table.add`` calls): the same row, the same places and the same key
pairs as those calls and ``pairs_of`` write, and the segment reads each document back."""

from __future__ import annotations

from pathlib import Path

import orjson

from store.merge import doc_keys
from store.model import Doc
from store.storage.columns import Pairs, Table
from store.storage.indexwriter import pairs_of
from store.storage.meta import head_of, meta_of
from store.storage.pmids import head_pmid
from store.storage.segment import SegmentFile
from store.storage.segmentformat import PMID_COLUMNS
from store.storage.segmentwriter import DOC_COLUMNS, SegmentWriter

DOCS: list[Doc] = [
    {"pmid": "31234567", "doi": "10.1000/a", "pmcid": "PMC99", "title": "A", "year": 2001},
    {"pmid": "7", "title": "A stub", "year": 1999, "stub": True},
    {"doi": "10.1000/b", "title": "No PMID", "citation_count": 12},
    {"title": "No key at all"},
]


def test_add_doc_writes_the_rows_places_and_pairs_the_generic_calls_write(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path / "g.rows.seg", "g")
    rows, pairs = Table(DOC_COLUMNS + PMID_COLUMNS), Pairs()
    at = 0
    for doc_id, doc in zip((3, 10, 11, 40), DOCS, strict=True):
        raw, meta, head, keys = orjson.dumps(doc), meta_of(doc), head_of(doc), doc_keys(doc)
        writer.add_doc(doc_id, raw, meta, head, keys)
        head_at = at + len(raw)
        rows.add(
            doc_id, at, len(raw), head_at, len(head), meta.citation, meta.flags, meta.year, head_pmid(head)
        )
        pairs.extend(pairs_of(doc_id, keys))
        at = head_at + len(head)
    assert writer._docs.flat == rows.flat
    assert writer._pairs == pairs
    writer.finish()
    segment = SegmentFile(tmp_path / "g.rows.seg")
    for i, doc in enumerate(DOCS):
        raw, meta, head = segment.row(i)
        assert (orjson.loads(raw), meta, bytes(head)) == (doc, meta_of(doc), head_of(doc))
