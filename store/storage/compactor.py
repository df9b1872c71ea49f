"""Compaction: what a command's end does with what was committed since the base (journal, segments).

Every command reads the journal whole when it opens the library (``store.journal``), so the journal is
kept short: a command (or the app) that ends with the journal past its threshold turns it into a
segment (``store.storage.spilling.start``, what a bulk import does with the journal before its first
batch), and the base is left as it is. What then happens to the segments is the tiering's rule
(``Compactor.plan``): a run of similar newest segments is merged into one (``store.storage.tiering``),
and all of them are folded into a new base (``store.storage.fold``) only when they hold four times
what the base holds, or would be too many layers. So the base is rewritten when the library has
grown about fivefold since it was written (each record is rewritten a bounded number of times), never
because of one command that adds a small share of it: in a library of a million records, the
command whose commit takes the journal past its threshold writes about the journal's size, not the
library's 4 GB, and a file of a tenth of the library writes about its own size.

A bulk import (``pmbrowse import``: ``Committer.beside_rule``) makes its end's merge beside itself:
after each batch it asks the tiering's rule stated for before its end (``beside_run``: the run the
end would merge if the import ended now, the import's batches so far its newest segments); once that
run reaches two or more of the segments the library listed when the import began, it only grows with
more batches, so the end would merge it: a child process merges it now (those segments and the
import's batches so far), on the second core, while the import parses and writes
(``store.storage.beside``), and the import's commit lists the merged segment in their place (one
rename commits both). The end then applies its rule, unchanged, to the layers as the commit left them
(it merges the batches written after). Nothing is merged beside an import whose end (or commit) folds.

``pmbrowse compact`` folds everything into a new base on demand. The new generation is written by
``store.storage.generation``: unchanged documents and link records are copied as bytes, changed ones
written anew, and the base's rename is the commit point. Turning the journal into a segment and
merging segments commit as a bulk import does: a new journal listing the segments, renamed over the
old one (see ``store.storage.tiering``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from store import fileformat, notices
from store.errors import os_reason
from store.journal import header_line
from store.storage import endmerge, spilling
from store.storage.beside import Beside
from store.storage.committer import Committer, write_listing
from store.storage.files import LibraryFiles
from store.storage.fold import write_state
from store.storage.generation import remove_old_segments
from store.storage.reader import Reader
from store.storage.snapshot import Snapshot
from store.storage.tiering import merge_newest, newest_run

FOLD, MERGE, SEGMENT = "fold", "merge", "segment"

# A journal past this many bytes is turned into a segment when a command ends (``Library.close``).
# Every command replays the journal when it opens the library: 30-45 ms of CPU a megabyte, at any
# size. Turning it into a segment costs the command that does it some 50 ms and 150 ms a megabyte
# (at 1M records; its index reopened included), once, and each segment is a layer reads look at
# until the tiering merges it (a few small ones cost nothing measurable). With commands committing
# 2-25 KB each, a command's share of both is least between a quarter and half a megabyte; the
# quarter halves the worst command's replay (docs/speed.md, "The journal made a segment"). The same
# at every size: what a command reads when it opens the library does not grow with the library.
COMPACT_BYTES = 256 << 10
# Segments (what bulk imports wrote, and journals turned into segments) are folded into the base when
# they hold FOLD_SHARE times what the base does, so that each record is rewritten a bounded number of
# times however many files are imported (the library grows about fivefold between folds); or when
# there would be more than MAX_SEGMENTS (each is a layer a read looks at) after merging the newest run of
# similar segments into one (``store.storage.tiering``), which is what a command's end does between
# folds (one file of 100,000 records makes some 12-18 batches). A fold costs the whole library and a
# merge what it merges: with files of one size imported one after another, folding when the segments
# hold as much as the base (FOLD_SHARE 1, before) rewrote the library at the 2nd, 4th and 8th file
# (8 files' worth at the 8th); at 3, the first ten files rewrote at most four files' worth at once
# (the 4th folded, the 7th and the 10th merged three files' worth each) and 1.9 files' worth a file,
# against 2.35. At 4 (stop 48, with tiering.SHARE 3.5 and the merge beside begun once the batches hold
# a file's segment): segments hold ~1.2 times what a base holds of the same records, so the 5th folds
# (five files' worth), the 9th merges four files' segments beside its import, and the others their own
# batches and little else: the tenth of ten files of one size writes 0.95 times what
# the first does, against 1.55, and the ten end with two segments beside the base, as at 3, which
# reads as fast (the ten-file proxy, docs/speed.md). In the long run they differ little (a fold of
# the library every so often is what bounds the layers); the segments stay three or fewer for ten
# files, as before.
FOLD_SHARE = 4
MAX_SEGMENTS = 16


def fold_due(sizes: list[int], base_size: int) -> bool:
    """Whether segments of ``sizes`` (bytes) are to be folded into a base of ``base_size`` for their size
    (``Compactor.plan``'s rule; a bulk commit asks it too: ``Committer.fold_rule``)."""
    return bool(sizes) and sum(sizes) >= FOLD_SHARE * base_size


def beside_run(listed: list[int], added: list[int], base_size: int) -> int:
    """How many of the newest listed segments (``listed``: their sizes, oldest first, as a bulk import
    found them) the import merges beside itself (``store.storage.beside``), asked after each of its
    batches (``added``: the sizes of its own segments so far, the journal's commits made one included):
    the tiering's rule stated for before the import's end. The command's end merges the newest run of
    segments in which each holds less than 1/SHARE of their total (``tiering.newest_run``), the import's
    batches the newest of them; each further batch only adds to that total (and is smaller than the
    older segments), so once the run as the batches so far make it reaches two or more of the listed
    segments, the end's run holds it too: it is merged beside the import (those segments and the
    batches so far) once the batches hold about a file's segment (the biggest listed one of the run),
    and the end merges the batches written after (or what else its rule then takes): a batch or two,
    which the next file's end takes in with its own. 0: no such run yet, or the batches do not yet
    hold a file's segment, or the end (or the import's commit) folds: a fold takes every segment, with
    nothing merged beside it; or the listed segments of the run hold less than the batches so far:
    leftovers of an earlier end (a batch or two it did not merge), whose merge with the batches
    would be merged again by the end (it is smaller than the batches still to come), the batches so far
    written a third time and nothing taken off the end. The 8th of ten files of the proxy series met
    two such leftovers: 227 → 203 MB written (3 rounds, stop 36)."""
    sizes = [*listed, *added]
    if fold_due(sizes, base_size):
        return 0
    run = newest_run(sizes)
    if len(sizes) - max(run - 1, 0) > MAX_SEGMENTS:  # (too many layers even merged: ``plan`` folds)
        return 0
    k = run - len(added)
    if k < 2 or not max(listed[-k:]) <= sum(added) <= sum(listed[-k:]):
        # (segments that hold less than the import's batches so far are leftovers of an end that merged
        # beside, a batch or two: merged with those batches now, their merge is part of the end's run
        # and merged again there, the batches so far written three times for nothing taken off the end.
        # And not before the batches hold about a file's segment (the biggest of the run): begun at
        # half of one, the batches after it, half a file's, were merged by the end into a segment of
        # their own, too big for the next file's batches to take in (0.5 + 1.2 < 3.5 × 0.5), and the
        # library ended the ten-file proxy with four segments; begun at one, the batch or two left are
        # taken in by the next file's end, and it ends with three.)
        return 0
    return k


def compact_threshold(base_size: int) -> int:
    """How long the journal may grow before a command's end turns it into a segment (the same whatever
    ``base_size``; ``PMBROWSE_COMPACT_BYTES`` sets it outright, for tests and for people who want to
    choose)."""
    del base_size  # (a threshold that grew with the library made every command read more in a larger one)
    if (chosen := os.environ.get("PMBROWSE_COMPACT_BYTES", "")).isdigit():
        return int(chosen)
    return COMPACT_BYTES


def base_generation(files: LibraryFiles) -> str | None:
    """The generation the base file on disk says it is of (None: unreadable, or none said)."""
    try:
        with open(files.path, "rb") as fh:
            header, _start = fileformat.read_base_header(fh.read(65536))
    except (OSError, ValueError):
        return None
    generation = header.get("generation") if header else None
    return generation if isinstance(generation, str) else None


class Compactor:
    """Compaction of one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles, reader: Reader, committer: Committer) -> None:
        self.files = files
        self.reader = reader
        self.committer = committer

    @staticmethod
    def fold_due(sizes: list[int], base_size: int) -> bool:
        """``fold_due`` (the rule a bulk commit asks: ``Committer.fold_rule``)."""
        return fold_due(sizes, base_size)

    @staticmethod
    def beside_run(listed: list[int], added: list[int], base_size: int) -> int:
        """``beside_run`` (the rule a bulk import asks after each batch: ``Committer.beside_rule``)."""
        return beside_run(listed, added, base_size)

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
        """What a command's end should do: ``SEGMENT`` (the journal, past its threshold, into a segment,
        merged with the newest run of segments if they make one), ``MERGE`` (the newest segments into
        one), ``FOLD`` (a new base: the segments, the journal's included, hold FOLD_SHARE times what the
        base holds, or are too many layers even merged) or ``""`` (nothing)."""
        if not self.reader.exists:
            return ""
        sizes = [segment.size for segment in self.reader.snap.segments]
        journal = self.journal_size() > compact_threshold(self.base_size)
        if journal:
            sizes.append(self.journal_size())  # (about the size of the segment it becomes)
        if fold_due(sizes, self.base_size):
            return FOLD
        run = newest_run(sizes)
        if len(sizes) - max(run - 1, 0) > MAX_SEGMENTS:  # (too many layers, even merged)
            return FOLD
        if journal:
            return SEGMENT
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
        early, self.committer.end_merge = self.committer.end_merge, None  # (``store.storage.endmerge``)
        try:
            return self._compact(lock_timeout, full, early)
        finally:
            if early is not None:
                early.end()

    def _compact(
        self, lock_timeout: float | None, full: bool, early: Beside | None
    ) -> tuple[tuple[str | None, int], tuple[str | None, int]] | None:
        with self.committer.transaction(lock_timeout):
            snap = self.reader.snap
            if not snap.journal or not (snap.journal.commits or snap.segments):
                return None
            plan = FOLD if full else self.plan()
            if not plan:
                return None
            before = self.reader.state
            if plan == FOLD:
                counts = dict(snap.counts or {})
                try:
                    write_state(self.files, snap, {}, {}, next_id=snap.next_id, counts=counts)
                except OSError as exc:
                    self._after_its_commit(snap, exc)
            else:
                self._to_segments(snap, early)
            self.reader.catch_up()
            return before, self.reader.state

    def _after_its_commit(self, snap: Snapshot, exc: OSError) -> None:
        """A fold whose new index could not be renamed in (a full disk) once its new base was, which is
        its commit point (``store.storage.generation``): the compaction is in, and what the swap had
        left to do is done here (the obsolete journal made a new one, the old generation's segments
        removed: on a full disk they are what frees it), said in a notice. The index left is of the old
        generation: the next open rebuilds it from the base. Raised again if the base is not in."""
        generation = base_generation(self.files)
        if generation is None or generation == snap.generation:
            raise exc
        files = self.files
        with contextlib.suppress(OSError):  # (as the swap does: an obsolete journal is ignored)
            files.replace_file(files.journal_path, header_line(generation), files.base_mode())
        remove_old_segments(files, generation)
        notices.say(
            files.notices,
            files.path,
            f"the compaction is in {files.path.name}, but its new index could not be written "
            f"({os_reason(exc)}): it is rebuilt from {files.path.name} when the library is next opened",
        )

    def _to_segments(self, snap: Snapshot, early: Beside | None) -> None:
        """The journal's commits into a segment, and the newest run of segments merged into one, the
        base left as it is; committed by a new journal listing the segments (inside the transaction).
        ``early``: that merge begun as an import committed (``store.storage.endmerge``), taken if it
        merged this run."""
        files = self.files
        spilling.start(files, snap)  # (the journal's commits as a segment of this transaction)
        view = files.pending.view
        assert view is not None
        run = newest_run([segment.size for segment in view.segments])
        meta: dict[str, Any] = {"next_id": view.next_id, "counts": dict(view.counts or {})}
        if run > 1 and not (early is not None and endmerge.take(early, files, view, run, meta)):
            merge_newest(files, view, run)
        elif run <= 1:
            write_listing(files, view, [(segment.name, segment.size) for segment in view.segments], meta)
        files.pending.committed = True  # (listed, or merged into what is: nothing left to commit or remove)
