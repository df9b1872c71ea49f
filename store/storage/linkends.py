"""The other ends of the links of documents a repair leaves out (``fold.write_state``'s ``derive``).

A repair leaves out a segment's document that does not decode. Its own link record goes with it, but
the documents it cites and those citing it kept it in theirs: `check` then found the links not agreeing
at both ends and said `repair` mended it, which made the same library again. Those records are
composed from their state with the left-out documents taken out (``fold._write_links``).
"""

from __future__ import annotations

from collections.abc import Iterable

from store.errors import LibraryFileError
from store.storage.links import RELS, LinkState
from store.storage.snapshot import Snapshot


def of(snap: Snapshot, left: Iterable[int]) -> dict[int, set[int]]:
    """Each document linked with one of ``left``: which of them (from their own link state)."""
    ends: dict[int, set[int]] = {}
    for gone in left:
        try:
            state = snap.link_state(gone)
        except LibraryFileError:  # (its links do not decode either: those who name it are not found)
            continue
        for rel in RELS:
            for target in state[rel]:
                ends.setdefault(target, set()).add(gone)
    return ends


def drop(state: LinkState, gone: Iterable[int]) -> None:
    """``state`` without its links to ``gone``."""
    for doc_id in gone:
        for rel in RELS:
            state[rel].pop(doc_id, None)
