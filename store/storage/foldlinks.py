"""A fold's link records written by a forked child, beside its documents (``store.storage.fold``).

A fold writes a new base's documents, then its link records, each in id order. In one process the other
core idles (at an import's commit its parse child is done), and the link records are most of a fold's
work: for a new library's first 40,000 records with reference lists, 2.0 s of the fold's 4.1 s of CPU,
the documents 1.6 s. So a large fold (``BESIDE_FROM`` documents or more) forks a child as it starts,
which writes the link records into the new base itself, from where they will start (worked out first:
``store.storage.foldsize``; ``Builder.links_apart``: the bytes the fold would write, from the same code,
``fold._write_links``), and its four index columns into a file of their own, while this process writes
the documents; this process then steps over the records (``Builder.take_links``: the base and its CRC
as one process writes them, byte for byte), reads the columns in and removes their file. (Until stop
45 the child wrote its records to a file of their own, copied in after the documents: the link table
written twice, 0.4 GB more for a fold of 400,000 records.)

The two processes write one file, each its own part: this process's documents end where the child's
records start. If they do not (``Misplaced``: the place was worked out wrong), the documents may lie
under records the child wrote: the child is ended and the fold done again in one process.

The child reads the layers through the fold's state as forked: their open files are read with
``pread`` (the two processes share the files' offsets: a ``read`` or a ``seek`` of one would move the
other's); every segment is written and opened before the fork (one a batch writer child still wrote
would be waited for by a process that is not its parent: then no child). It opens the new base anew
(its own offset).

Failures: an error the child meets (a damaged layer, a full disk) is raised here as the fold would
have raised it, and the fold fails as it would have. A child that ends without its answer (killed:
the kernel's out-of-memory killer) is no failure of the fold: this process writes the link records
itself, the same bytes at the same place, as ``store.storage.halves`` reads a half whose child failed.
The fold failing or interrupted kills the child, waits for it and removes its file (the new base is
the fold's, removed with it); this process killed, the child dies with it (``store.storage.forked``),
and the files (``.NAME.PID.tmp``, as any writer's temp file) are removed by the next writer.

Not for a repair (it derives the documents anew and may leave some out, their links with them: the
documents come first), nor in a process with another Python thread (the app), nor at or past
``FORK_BELOW`` of memory: ``store.storage.forked``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from store.atomicwrite import temp_path
from store.interrupts import held_off
from store.storage import forked
from store.storage.files import LibraryFiles
from store.storage.generation import Builder
from store.storage.layer import Segment

# Whether a large fold writes its link records in a child (the tests turn it off to compare).
BESIDE = True
# From this many documents (below it the fork costs more than it spares: some 10 ms for a process of a
# few hundred megabytes, against 0.5 s of link records for 10,000 records with reference lists).
BESIDE_FROM = 20_000
# Only while this process holds less than this in memory (resident): what the child makes (four
# columns, 20 bytes a document) and the pages the kernel copies while it lives must not take a large
# fold past its bound (measured: docs/speed.md).
FORK_BELOW = 1 << 30
DOING = "writing the link records of a fold"


class Misplaced(Exception):
    """The documents of a fold did not end where its link records were written (``foldsize``)."""


class LinksBeside:
    """A child writing a fold's link records (``start``); taken in (``into``) or given up (``abandon``)."""

    def __init__(self, pid: int, fd: int, files: LibraryFiles, at: int) -> None:
        self._child: tuple[int, int] | None = (pid, fd)
        self.path = temp_path(files.path, pid=pid)  # (the name the child gives its columns' file)
        self.at = at

    @staticmethod
    def wanted(documents: int, segments: Iterable[Segment]) -> bool:
        """Whether a fold of ``documents`` would write its link records in a child (``start``): not a
        small fold (fewer than ``BESIDE_FROM``), nor while a segment is still being written, nor in a
        process that may not fork."""
        if not BESIDE or documents < BESIDE_FROM or any(getattr(s, "waiting", False) for s in segments):
            return False
        return forked.can_fork(FORK_BELOW)

    @classmethod
    def start(
        cls, files: LibraryFiles, max_id: int, base: Path, at: int, write: Callable[[Builder], None]
    ) -> LinksBeside | None:
        """Fork a child that runs ``write`` with a builder of link records alone, writing into the new
        base ``base`` from ``at`` (``max_id``: the fold's last id); None: a fork that failed."""

        def work() -> tuple[int, int, int]:  # (in the child)
            part = Builder.links_apart(files, base, at, max_id)
            write(part)
            return part.end_apart(temp_path(files.path))

        with held_off():  # (a Ctrl-C between the fork and this object would leave a child nobody tracks)
            try:
                pid, fd = forked.start(work)
            except OSError:  # (no process to be had: the fold writes them itself)
                return None
            return cls(pid, fd, files, at)

    def into(self, builder: Builder) -> bool:
        """Wait for the child and take the link records it wrote into ``builder`` (after its
        ``start_links``); False: the child ended without them (the caller writes them, at the same
        place). Its error, raised here; ``Misplaced`` where the documents did not end at its place."""
        if builder.writer.position != self.at:
            self.abandon()
            raise Misplaced(f"the documents of {builder.files.path}'s fold end at {builder.writer.position}")
        child, self._child = self._child, None
        assert child is not None
        try:
            try:
                made = forked.finish(*child, DOING, "they were written")
            except forked.Ended:
                return False
            columns = os.open(self.path, os.O_RDONLY)
            try:
                builder.take_links(columns, made)
            finally:
                os.close(columns)
            return True
        finally:
            with contextlib.suppress(OSError):
                self.path.unlink()

    def abandon(self) -> None:
        """The fold failed or was interrupted: kill the child, wait for it, remove its file."""
        child, self._child = self._child, None
        if child is not None:
            forked.end(child[0])
            with contextlib.suppress(OSError):
                os.close(child[1])
        with contextlib.suppress(OSError):
            self.path.unlink()
