"""A library's compaction as its callers ask for it (``Library.compact``: ``pmbrowse compact``, a
command's end, the app as it quits): the search index told of the new state once it is in, and a
Ctrl-C once it is in said to be after its commit (``InterruptedAfterCommit``), whoever asked.

The compaction runs inside a transaction taken here (the compactor's own is then a nested one), so
that the state it starts from is read under the write lock: no other process commits until the lock
is let go, so a state that moved from it is this compaction's commit. That tells a compaction that went
through from one that did not when a Ctrl-C lands where the committer cannot say (``Committer``
converts one between its commit point and its end: ``InterruptedAfterCommit``), as the lock is let go;
a Ctrl-C while the search index is told comes after the commit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from store.errors import InterruptedAfterCommit

State = tuple[str | None, int]

_last = threading.local()  # (``folded``)


def folded() -> int:
    """The bytes of journal the last compaction this thread made folded in: the journal's sealed length
    in the state it began from, read under the write lock (``pmbrowse compact`` says it; read before the
    lock, another process's commits meanwhile were left out of it)."""
    return int(getattr(_last, "journal", 0))


def compact(
    path: Path,
    transaction: Callable[[], AbstractContextManager[object]],
    state: Callable[[], State],
    fold: Callable[[], tuple[State, State] | None],
) -> bool:
    """``fold()`` (the compactor's ``compact``: the states before and after, or None when there was
    nothing to do) inside ``transaction()``, then the search index of the library at ``path`` told
    (``SearchIndex.after_compaction``); whether there was anything to fold. ``state()``: the committed
    state the library's reader sees."""
    began: State | None = None
    states = None
    layers = None
    try:
        with transaction():
            began = state()
            states = fold()
            if states is not None:
                _last.journal = states[0][1]
                # (read under the lock: the journal on disk is the one this compaction made)
                from store.search.catchup import layers_on_disk

                layers = layers_on_disk(path, states[1], None)
        if states is None:
            return False
        from store.search.index import SearchIndex

        with contextlib.suppress(Exception):  # (a stale index is rebuilt when next needed)
            SearchIndex.after_compaction(path, *states, layers)
        return True
    except KeyboardInterrupt as exc:
        if isinstance(exc, InterruptedAfterCommit):
            raise
        if states is None and (began is None or state() == began):
            raise  # (before its commit: the library is as it was)
        raise InterruptedAfterCommit() from exc
