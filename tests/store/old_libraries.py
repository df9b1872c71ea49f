"""Libraries as older versions of pmbrowse wrote them, for the tests of their conversion."""

from __future__ import annotations

from pathlib import Path

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
