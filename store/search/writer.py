"""What a writer of the search index is given: tantivy's indexing budget and its threads.

tantivy's ``Index.writer(heap_size, num_threads)`` splits the budget among its indexing threads
(``min(cores, 8)`` when not given: two here), each arena filling to its share before it writes a
segment, and holds it for the writer's life (a bulk import's whole run). Kept apart from
``store.search.index`` so that the choice and its measurements are in one place.
"""

from __future__ import annotations

from typing import Any

# What an import's feed, a commit's update and a catch-up get (``open_writer``). 128 MB split between two
# threads was some 110 MB of every import's memory floor. Measured (stop 33, load 10-17) importing the first
# 30,000 records of the 100k bench file into an empty library, interleaved, 3-4 rounds each: 128 MB in two
# threads 424-428 MB peak, 25.2-27.4 s of CPU, 4 segments; 64 MB in two 406-413 MB, 26.0-27.7 s, 6-7 segments;
# 32 MB in two threads of 16 MB (tantivy's floor is 15 MB a thread) 378-383 MB, 28.4-30.4 s, 11 segments
# (more, smaller segments merged as it goes); 32 MB in one thread 376-377 MB, 26.8-29.1 s (some 5% more than
# 128 MB, within the noise), 6 segments. One thread is enough there: the import's own thread is the bound.
# Searches of the 4- and 11-segment indexes took the same time. Measured again (stop 34, load 10-20, the
# same 30,000 records, one thread against two of 16 MB, interleaved, 3 rounds): 30.7-31.1 s of CPU and
# 420-424 MB peak against 35.0-36.0 s and 462-479 MB (the two threads 15% more CPU and some 45 MB more).
WRITER_HEAP = 32_000_000
WRITER_THREADS = 1
# A rebuild is bound by tantivy's work (of 7 s of CPU for the 80,000 documents above, 2.5-3 s are this
# process's thread): it keeps two threads, and the budget it had (it is no import's floor).
REBUILD_HEAP = 128_000_000


def open_writer(index: Any, *, collect: bool = False) -> Any:
    """A writer of the tantivy ``index`` for an import or an update (see ``WRITER_HEAP``); ``collect``:
    first remove the files writers killed before their commit left (an import's feed and a catch-up)."""
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
    if collect:
        # tantivy removes them only at a writer's commit, so each writer killed again before its own (an
        # import killed while it indexes: a segment of up to WRITER_HEAP) left its files beside them.
        # Its own collection, under the writer's lock: only files its .managed.json lists and its
        # meta.json does not. 0.5 ms of CPU (2.6 ms wall) at 100k documents: not asked by an update,
        # whose commit collects anyway.
        try:
            writer.garbage_collect_files()
        except BaseException:
            let_go(writer)  # (else held while the error is: by its traceback's frame, this one)
            raise
    return writer


def let_go(writer: Any) -> None:
    """Drop what ``writer`` added since its last commit and release the index's lock now.

    tantivy's ``rollback`` keeps the lock (the writer stays usable); only consuming the writer
    (``wait_merging_threads``) or its object's end lets go, and a writer a traceback still refers to
    would keep a rebuild or the next writer out (LockBusy)."""
    try:
        writer.rollback()
    finally:  # (a rollback that raised, on a full disk, still lets go)
        writer.wait_merging_threads()


def rebuild_writer(index: Any) -> Any:
    """A writer of the tantivy ``index`` for a rebuild of it whole (see ``REBUILD_HEAP``)."""
    return index.writer(heap_size=REBUILD_HEAP)
