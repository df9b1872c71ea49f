"""Compaction: folding what was committed since the base (journal, segments) into a new base.

A command (or the app) that ends with the journal past its threshold, or the segments past theirs,
compacts (``Library.close``): a new base, or only the newest segments merged into one
(``store.storage.tiering``), whichever ``Compactor.plan`` says; ``pmbrowse compact`` makes a new base
on demand. The new generation is written by ``store.storage.generation``:
unchanged documents and link records are copied as bytes, changed ones written anew, and the base's
rename is the commit point.
"""

from __future__ import annotations

import os

from store.storage.committer import Committer
from store.storage.files import LibraryFiles
from store.storage.fold import write_state
from store.storage.reader import Reader
from store.storage.tiering import merge_newest, newest_run

FOLD, MERGE = "fold", "merge"

# A journal past this many bytes is folded into the base when a command ends (``Library.close``).
COMPACT_MIN = 4 << 20
COMPACT_MAX = 16 << 20
# Segments (what bulk imports wrote) are folded into the base when they hold as much as the base does,
# so that each record is rewritten a bounded number of times however many files are imported (the
# base doubles at most once per fold); or when there would be more than this many (each is a layer a
# read looks at) after merging the newest run of similar segments into one (``store.storage.tiering``),
# which is what a command's end does between folds (one file of 100,000 records makes some 18 batches).
MAX_SEGMENTS = 16


def compact_threshold(base_size: int) -> int:
    """How long the journal may grow before a command's end compacts it (``PMBROWSE_COMPACT_BYTES``
    sets it outright, for tests and for people who want to choose)."""
    if (chosen := os.environ.get("PMBROWSE_COMPACT_BYTES", "")).isdigit():
        return int(chosen)
    return max(COMPACT_MIN, min(COMPACT_MAX, base_size // 8))


class Compactor:
    """Compaction of one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles, reader: Reader, committer: Committer) -> None:
        self.files = files
        self.reader = reader
        self.committer = committer

    @property
    def base_size(self) -> int:
        """The size of the base file this process reads."""
        return self.reader.snap.base_size

    def journal_size(self) -> int:
        journal = self.reader.snap.journal
        return journal.end if journal is not None else 0

    def segments_size(self) -> int:
        return sum(segment.size for segment in self.reader.snap.segments)

    def plan(self) -> str:
        """What a command's end should do: ``FOLD`` (a new base), ``MERGE`` (the newest segments into one,
        the base left as it is: ``store.storage.tiering``) or ``""`` (nothing)."""
        if not self.reader.exists:
            return ""
        segments = self.reader.snap.segments
        if self.journal_size() > compact_threshold(self.base_size) or (
            bool(segments) and self.segments_size() >= self.base_size
        ):
            return FOLD
        run = newest_run([s.size for s in segments])
        if len(segments) - max(run - 1, 0) > MAX_SEGMENTS:  # (too many layers, even merged)
            return FOLD
        return MERGE if run > 1 else ""

    def due(self) -> bool:
        """Whether the journal has grown past its threshold, or the segments past theirs."""
        return bool(self.plan())

    def compact(
        self, lock_timeout: float | None = None, *, full: bool = True
    ) -> tuple[tuple[str | None, int], tuple[str | None, int]] | None:
        """Fold the journal and the segments into a new base file (``full``), or do what ``plan`` says.
        Returns the states before and after (the documents are the same in both), or None when there
        was nothing to do."""
        with self.committer.transaction(lock_timeout):
            snap = self.reader.snap
            if not snap.journal or not (snap.journal.commits or snap.segments):
                return None
            plan = FOLD if full else self.plan()
            if not plan:
                return None
            before = self.reader.state
            if plan == FOLD:
                write_state(self.files, snap, {}, {}, next_id=snap.next_id, counts=dict(snap.counts or {}))
            else:
                merge_newest(self.files, snap, newest_run([s.size for s in snap.segments]))
            self.reader.catch_up()
            return before, self.reader.state
