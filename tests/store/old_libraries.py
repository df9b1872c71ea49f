"""Libraries as older versions of pmbrowse wrote them, for the tests of their conversion."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from store import fileformat


def write_v1_library(path: Path) -> dict[str, object]:
    """A library as schema 1 wrote it: link entries (identifiers and text) on both ends."""
    data = {
        "_meta": {"1": {"app": "pmbrowse", "schema": 1}},
        "articles": {
            "1": {
                "pmid": "100",
                "title": "Citing",
                "references": [
                    {"pmid": "200", "title": "Cited", "sources": ["page"]},
                    {"title": "Known only by its citation text", "year": 1999},
                ],
            },
            "2": {"pmid": "200", "title": "Cited", "stub": True, "cited_by": [{"pmid": "100"}]},
            "3": {
                "title": "Known only by its citation text",
                "year": 1999,
                "stub": True,
                "cited_by": [{"pmid": "100"}],
            },
        },
    }
    path.write_bytes(fileformat.dump(data))  # type: ignore[arg-type]
    return data


def write_v2_library(path: Path) -> None:
    """A library as schema 2 wrote it (one document per line, links as ids inside the documents, which
    sources gave them by source), with a journal of version 1 holding one commit since."""
    import zlib

    import orjson

    docs = {
        1: {
            "pmid": "100",
            "title": "Citing",
            "references": [2, 3],
            "link_sources": {"references": {"page": [2], "pubmed": [2, 3]}},
        },
        2: {
            "pmid": "200",
            "title": "Cited",
            "stub": True,
            "cited_by": [1],
            "link_sources": {"cited_by": {"page": [1], "pubmed": [1]}},
        },
        3: {
            "title": "Known only by its citation text",
            "year": 1999,
            "stub": True,
            "cited_by": [1],
            "link_sources": {"cited_by": {"pubmed": [1]}},
        },
    }
    with open(path, "wb") as fh:
        writer = fileformat.BaseWriter(fh, {"app": "pmbrowse", "schema": 2, "generation": "g2"})
        for doc_id, doc in docs.items():
            writer.add(doc_id, orjson.dumps(doc))
        writer.close()
    # One commit since: record 4 cites 200 (by europepmc), and 200 gained the link.
    changed = {
        4: {
            "pmid": "400",
            "title": "Later",
            "references": [2],
            "link_sources": {"references": {"europepmc": [2]}},
        },
        2: {
            **docs[2],
            "cited_by": [1, 4],
            "link_sources": {"cited_by": {"page": [1], "pubmed": [1], "europepmc": [4]}},
        },
    }
    body = b"".join(
        b"%d\t%s\t%s\n" % (doc_id, orjson.dumps([f"pmid:{doc['pmid']}"]), orjson.dumps(doc))
        for doc_id, doc in changed.items()
    )
    seal = b"#\t%08x\t%s\n" % (
        zlib.crc32(body),
        orjson.dumps({"seq": 1, "next_id": 5, "counts": {"records": 2, "stubs": 2, "links": 3}}),
    )
    journal = path.with_name(path.name + ".journal")
    journal.write_bytes(orjson.dumps({"journal": 1, "generation": "g2"}) + b"\n" + body + seal)


def write_v2_docs(path: Path, docs: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """A library of ``docs`` (in id order, links as ids inside them) as schema 2 wrote it; opening it
    converts it."""
    import orjson

    with open(path, "wb") as fh:
        writer = fileformat.BaseWriter(fh, {"app": "pmbrowse", "schema": 2, "generation": "v2"})
        for doc_id, doc in docs:
            writer.add(doc_id, orjson.dumps(doc))
        writer.close()
