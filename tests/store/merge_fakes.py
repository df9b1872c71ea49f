"""Fakes of what a merge's join of link changes reads (``store.storage.tiering``): segments that hold
link changes and nothing else, and a writer that keeps the joined changes it is given."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from store.storage.tiering import _merge_links, _Newest

SEGMENTS = Path("/lib/library.json.segments")


@dataclass
class NamedSegment:
    """A segment as a join's refusal names it (its path), nothing else."""

    path: Path


def from_segments(*changes: Any) -> list[tuple[Any, bytes]]:
    """Link changes as ``tiering._joined`` takes them: each from its own segment, s0.seg, s1.seg, ..."""
    return [(NamedSegment(SEGMENTS / f"s{n}.seg"), orjson.dumps(c)) for n, c in enumerate(changes)]


class LinkSegment:
    """A merged segment's link changes (and nothing else), as ``tiering._merge_links`` reads them."""

    def __init__(self, name: str, changes: dict[int, bytes]) -> None:
        self.path = SEGMENTS / name
        self.changes = sorted(changes.items())
        n = len(self.changes)
        self.columns = {
            "link_ids": array("I", [d for d, _raw in self.changes]),
            "doc_ids": array("I"),
            "key_ids": array("I"),
            "doc_len": array("I"),
            # (where each change is: its row, as ``read`` below takes it; its counts)
            "link_off": array("Q", range(n)),
            "link_len": array("I", [0] * n),
            "link_refs": array("i", [0] * n),
            "link_cited": array("i", [1] * n),
        }
        self.checksummed = True

    def column(self, name: str) -> array[int]:
        return self.columns[name]

    def read(self, where: tuple[int, int]) -> bytes:
        return self.changes[where[0]][1]


class KeptLinks:
    """A merge's writer that keeps each document's joined link change."""

    def __init__(self) -> None:
        self.links: dict[int, bytes] = {}

    def add_links(self, doc_id: int, raw: bytes, counts: tuple[int, int]) -> None:
        self.links[doc_id] = raw


def merge(*segments: LinkSegment) -> dict[int, bytes]:
    """The link changes of merging ``segments`` (oldest first; document ids below 1000), by document."""
    writer = KeptLinks()
    _merge_links(writer, segments, _Newest(segments, 1000))  # type: ignore[arg-type]
    return writer.links
