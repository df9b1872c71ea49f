"""What ``pmbrowse check`` (``store.storage.verify``) asks of a segment beyond its documents and link
changes: that its most-cited run (``store.storage.segment``) is its documents' order in the state it
completed, and that a link change's counts in its table are the change's (its documents' rows are
compared with them where they are decoded). Reads use the tables instead of what they stand for, and
the tables have no checksum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.errors import LibraryFileError
from store.storage.links import RELS
from store.storage.runs import Tally
from store.storage.segment import SegmentError
from store.storage.snapshot import Snapshot

REPAIR = "`pmbrowse repair` mends it"


def change_counts(record: Mapping[str, Any]) -> tuple[int, int]:
    """How a link change (decoded) changes its document's (references, citing) counts: what its
    segment's table keeps (``store.storage.links.Change.counts``: the targets it adds, less those it
    removes)."""
    removed = record.get("removed") or {}
    refs, cited = (len(record.get(rel) or ()) - len(removed.get(rel) or ()) for rel in RELS)
    return refs, cited


def check_runs(snap: Snapshot, problems: list[str], limit: int, whole: int) -> None:
    """Each segment's run (``store.storage.segment``): its checksum, its order, and its keys those of
    the documents it touches in the state it completed (the base and the segments up to it). One tally
    of every document (``limit``: the library's next id) is taken through the layers once, oldest
    first, each run compared when its segment is reached: each layer is read once (it was read again
    for each newer run: S^2/2 layers for S segments). The keys of the first ``whole`` segments alone
    are compared: after a segment left out (damaged, said already), the state each newer one completed
    cannot be told, and its run would be blamed for it."""
    tally = Tally.whole(snap.index, limit)
    for i, segment in enumerate(snap.segments):
        if i < whole:
            tally.segment(segment)
        if not segment.has_run:
            continue
        try:
            segment.load_run()
            found = [key for key, _doc_id in segment.run()]
        except SegmentError as exc:
            problems.append(f"the segment {exc}; {REPAIR}")
            continue
        except LibraryFileError as exc:
            problems.append(str(exc))
            continue
        if i < whole and found != tally.run(
            sorted({*segment.column("doc_ids"), *segment.column("link_ids")})
        ):
            problems.append(
                f"the segment {segment.path} is damaged (its most-cited order is not its documents' "
                f"order); {REPAIR}"
            )
