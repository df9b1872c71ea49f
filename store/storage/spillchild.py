"""A bulk transaction's batch written as a segment by a forked child process, off the importing thread.

Writing a batch (``store.storage.spilling.spill``: each document encoded, its meta, head and keys, the
link changes, the tables, the run and the top, fsynced) took a fifth of an import's main thread, which
is the import's critical path (the parse runs in a child of its own: ``store.importer``). So the
batch is written by a child forked with the batch in its memory (nothing to send: the fork is the
copy), while the import goes on with the next batch on the other core. The segment is in the
transaction's view at once as an ``Unwritten`` segment: the first read of it (the next batch's
look-ups, a second or two later) waits for the child, then reads the file as any segment. The next
spill and the commit wait for it too, and take what the child counted (documents, stubs, links) and
the segment into the tally of the transaction's runs. One child at a time.

All or nothing, as before: the segment is the transaction's, listed only by its commit. A child that
fails (its error sent back and raised here: a full disk is the same ``OSError``), exits otherwise or
is killed fails the import, which removes its segments, this one with them: the library as it was. A
transaction that fails while a child writes kills it (SIGKILL), waits for it and removes its file.
The child dies with its parent (``prctl``'s death signal, as the import's parse child), and it holds
the library's write lock while it lives (a ``flock`` belongs to the open file, which the fork shares:
unlike the parse child, it keeps it on purpose), so no other writer can start, and remove its file as
an orphan, before it is gone: a parent killed with ``kill -9`` leaves a file nobody lists, which the
next writer removes.

The child is forked as ``store.storage.forked`` says (one Python thread, Linux, only below
``FORK_BELOW`` of memory: else the batch is written here, as before; the app, whose Textual driver
runs a thread of its own, always does). An interrupt is held off from the fork until the segment is
tracked (``spilling.spill``): else a child could be left that nobody waits for, and whose file nobody
removes until the next writer.

What the parent or the child changes while the child lives (the objects the child reads,
whose counts it changes; the next batch's pages) is copied by the kernel: about one batch's memory
more, for one batch's write; the parent indexes the batch before the fork and frees it after the child
is gone, which spares most of the rest.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from store.storage import forked
from store.storage.files import Pending
from store.storage.segment import SegmentFile

# Whether batches are written in a child (the tests turn it off to compare, and to write in-process).
FORK = True
# Only while this process holds less than this in memory (resident): the child's pages and those the
# kernel copies while it lives add up to about one batch more (166 MB for the 20k bench slice's first
# batch, counted as the processes' summed PSS), which must not take a large import past its bound.
FORK_BELOW = 1 << 30

Result = tuple[int, dict[str, int], int]  # (the segment's size, the transaction's counts, next id)


def can_fork() -> bool:
    return FORK and forked.can_fork(FORK_BELOW)


class Unwritten(SegmentFile):
    """A segment a child is writing: named at once, read once the child is done (``settle``)."""

    def __init__(
        self, path: Path, pid: int, fd: int, pending: Pending, on_written: Callable[[], None], batch: object
    ) -> None:
        # (none of ``SegmentFile.__init__`` yet: the file is not there; any attribute that it sets,
        # asked for first, waits for the child: ``__getattr__``)
        self.path = path
        self.name = path.name
        self._child: tuple[int, int] | None = (pid, fd)
        self._pending = pending
        self._on_written: Callable[[], None] | None = on_written
        # (the batch, kept from being freed while the child lives: freeing writes to its pages, which
        # the kernel would then copy, the child holding the old ones: one batch's memory more)
        self._batch: object = batch

    def __getattr__(self, attr: str) -> Any:
        # (only for attributes not set: before ``settle``, all of a segment's own; after it, those a
        # ``SegmentFile`` sets only later, which are then rightly missing)
        if attr.startswith("__") or self.__dict__.get("_child") is None:
            raise AttributeError(attr)
        self.settle()
        return object.__getattribute__(self, attr)

    @property
    def waiting(self) -> bool:
        return self.__dict__.get("_child") is not None

    def settle(self) -> None:
        """Wait for the child; open the segment it wrote and take in what it counted (it failed: its
        error, or ``OSError`` saying how it ended; the transaction then fails and removes the file)."""
        child = self.__dict__.get("_child")
        if child is None:
            return
        pid, fd = child
        self._child = None
        try:
            try:
                size, counts, next_id = _result(forked.finish(pid, fd, DOING, "it was written"))
            finally:
                self._batch = None  # (the child is gone: freeing it copies nothing)
            SegmentFile.__init__(self, self.path, size, by_block=False)  # (``spilling._opened``)
        except BaseException:  # (not the transaction's: ``spilling.discard`` would not remove it; an
            # interrupt while waiting: the child was killed and waited for)
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise
        pending = self._pending
        pending.counts.clear()
        pending.counts.update(counts)
        pending.next_id = max(pending.next_id, next_id)
        pending.segments.append((self, size))
        # (dropped once run: it closes over this segment, a cycle that kept each batch's open file and
        # the transaction's tally until the next full collection, past the commit)
        on_written, self._on_written = self._on_written, None
        if on_written is not None:
            on_written()

    def abandon(self) -> None:
        """The transaction fails while the child writes: kill it, wait for it, remove its file."""
        child = self.__dict__.get("_child")
        if child is not None:
            pid, fd = child
            self._child = None
            forked.end(pid)
            self._batch = None
            with contextlib.suppress(OSError):
                os.close(fd)
        self._on_written = None
        with contextlib.suppress(OSError):
            self.path.unlink()

    def close(self) -> None:
        if self.__dict__.get("_child") is not None:
            self.abandon()
            return
        if "_fd" in self.__dict__:
            super().close()

    def __del__(self) -> None:
        self.close()


DOING = "writing a batch of the import"


def _result(value: Any) -> Result:
    size, counts, next_id = value
    return int(size), {str(k): int(v) for k, v in counts.items()}, int(next_id)


def fork(
    path: Path, pending: Pending, write: Callable[[], Result], on_written: Callable[[], None], batch: object
) -> Unwritten:
    """Fork a child that runs ``write`` (it writes ``path``, fsynced) and sends back what it returns;
    the segment as the parent reads it meanwhile (holding ``batch``, what ``write`` writes, until the
    child is done)."""
    pid, fd = forked.start(write)
    return Unwritten(path, pid, fd, pending, on_written, batch)
