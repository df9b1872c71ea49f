"""A command's end merge begun as its import commits, in a process of its own.

An import (``pmbrowse import``) commits its batches as segments, then the command ends by merging the
newest run of segments the tiering says is due (``Compactor.plan``: its own batches, most often, into
one segment of the file). That merge ran in the import's process after the commit, alone on one core
(8-15 s of CPU for a file of 100,000 records into a library of 900,000), while the search index's
commit waited for its own library's segment merge on the other (``store.search.feed``): the tenth of
ten files spent more wall time a CPU second than the first. Its inputs are fixed once the import has
committed (segments are immutable; the import holds nothing else to write), so the commit starts it at
once (``start``): the child of a merge beside an import (``store.storage.beside``,
``python -m store.storage.besidechild``) merges the run the end will merge into a segment of its own,
while this process commits the search index; the end's merge then takes that segment
(``take``) in place of merging the run itself, if the run is the same (another writer may have
committed between the two transactions, or the end may fold): else it ends the child, removes its
file and merges as before.

Crash safety is the merge's own (``store.storage.tiering``): the merged segment is a file nobody lists
until the end's listing, renamed over the journal, names it (the commit point); killed before, it is an
orphan the next writer removes (this process's own end spares it while it runs: the committer keeps its
name out of ``remove_orphans``), and the child sees its standard input close and exits; after, the
merged-away segments are. The child writes what ``merge_newest`` would: it is only started when the
newest segment of the run has a top (then the merged segment's top is that one's in both; without one,
``merge_newest`` works one out from the state, which the child does not read), and a segment without a
run fails the child (``write_merged``), which leaves the merge to the end.
"""

from __future__ import annotations

import contextlib
from typing import Any

from store.storage import spilling
from store.storage.beside import Beside
from store.storage.committer import write_listing
from store.storage.files import LibraryFiles
from store.storage.snapshot import Snapshot
from store.storage.tiering import newest_run

# Whether an import's commit starts the end's merge (the tests turn it off to compare).
EARLY = True
# From a run of this many bytes: below, the end's merge takes less than a child's start-up is worth
# (a child is a new interpreter, some 0.1-0.2 s of CPU; a merge writes some 30-50 MB a second).
EARLY_FROM = 16 << 20


def end_run(snap: Snapshot) -> int:
    """How many of the newest segments of ``snap`` (a state whose journal holds no commits: a listing
    just committed) a command's end merges (``Compactor.plan``'s ``MERGE``); 0: it folds, or merges
    nothing."""
    from store.storage.compactor import MAX_SEGMENTS, fold_due  # (it imports this module)

    sizes = [segment.size for segment in snap.segments]
    if fold_due(sizes, snap.base_size):
        return 0
    run = newest_run(sizes)
    if run < 2 or len(sizes) - (run - 1) > MAX_SEGMENTS:
        return 0
    return run


def start(files: LibraryFiles, snap: Snapshot) -> Beside | None:
    """Start merging the run the command's end will merge, for ``snap``, the state an import's commit
    just made (under its write lock); None: nothing to merge, or not here (see the module docstring),
    or it could not be started (the import has committed: whatever fails here, the end merges)."""
    try:
        return _start(files, snap)
    except Exception:
        return None


def _start(files: LibraryFiles, snap: Snapshot) -> Beside | None:
    journal = snap.journal
    if not EARLY or not snap.live_journal or journal is None or snap.generation is None:
        return None
    if journal.docs or journal.links:  # (the end would make them a segment first: ``Compactor.plan``)
        return None
    k = end_run(snap)
    if k < 2 or sum(s.size for s in snap.segments[-k:]) < EARLY_FROM or snap.segments[-1].top() is None:
        return None
    name, writer = spilling.segment_path(files, snap.generation)
    writer.discard()  # (the name only: the child writes it)
    listed = [(segment.name, segment.size) for segment in snap.segments]
    first = len(listed) - k
    return Beside.start(files.segments_path, name, snap.generation, snap.next_id, first, listed[first:])


def take(beside: Beside, files: LibraryFiles, view: Snapshot, run: int, meta: dict[str, Any]) -> bool:
    """Commit the end's merge of the newest ``run`` segments of ``view`` (under the compaction's
    transaction) with the segment ``beside`` wrote, if it merged that very run: a new journal listing
    it in their place (``meta``: its next id and counts), and the merged segments removed. False: it
    merged another run, or failed (the caller merges; ``beside`` is ended either way)."""
    try:
        listed = [(segment.name, segment.size) for segment in view.segments]
        if beside.first != len(listed) - run or len(beside.sources) != run:
            return False
        if (found := beside.result(listed)) is None:
            return False
        first, _end, segment = found
        beside.listed = True  # (never removed from here on: listed, or an orphan the next writer removes)
        write_listing(files, view, [*listed[:first], segment], meta)
        for name, _size in listed[first:]:
            with contextlib.suppress(OSError):
                (files.segments_path / name).unlink()
        return True
    finally:
        beside.end()
