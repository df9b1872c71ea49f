"""What the reader, committer and compactor of one library share: its files, the state this process
sees, the changes staged by the transaction in progress, and the locks that order them."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from store import atomicwrite
from store.lock import write_lock
from store.storage.links import Change
from store.storage.segment import SegmentFile
from store.storage.snapshot import Snapshot

Doc = dict[str, object]


@dataclass
class Pending:
    """The changes staged by the transaction in progress, seen only by the thread that makes them:
    other threads see a commit once it is sealed, never before (it may yet fail)."""

    owner: int | None = None
    depth: int = 0
    docs: dict[int, Doc | None] = field(default_factory=dict)  # None: removed
    links: dict[int, Change] = field(default_factory=dict)
    # A bulk transaction writes its batches as segments as it goes (``Committer.spill``): those written
    # so far, the state they make (as its owner sees it: ``view``), and its counts and next id.
    segments: list[tuple[SegmentFile, int]] = field(default_factory=list)
    view: Snapshot | None = None
    counts: dict[str, int] = field(default_factory=dict)
    next_id: int = 0
    committed: bool = False  # (its segments are listed in the journal: they are the library's now)
    tally: object = None  # (the keys of the state so far, for the segments' runs: ``spilling``)

    def mine(self) -> bool:
        return self.owner == threading.get_ident()

    def clear(self) -> None:
        self.docs = {}
        self.links = {}
        self.segments = []
        self.view = None
        self.counts = {}
        self.next_id = 0
        self.committed = False
        self.tally = None


class LibraryFiles:
    """One library's files (a path that is a symbolic link is resolved once: every file is written next
    to its target) and the state shared by the parts of its storage."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float | None) -> None:
        self.path = Path(os.path.realpath(path))
        self.index_path = self.sibling(".idx")
        self.journal_path = self.sibling(".journal")
        self.segments_path = self.sibling(".segments")
        self.lock_timeout = lock_timeout
        self.check_index_later = False  # (``open_storage``'s ``check_later``, while it opens)
        self.notices: list[str] = []  # one-line messages for the user (a conversion, a rebuilt index)
        self.threads = threading.RLock()  # writers of this process take turns
        self.state = threading.RLock()  # guards swapping the snapshot under readers of other threads
        self.snap = Snapshot(self.path)
        self.pending = Pending()
        self.local = threading.local()  # each thread's last commit (``Committer.last_commit``)

    def sibling(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    def temp(self, path: Path) -> Path:
        """A temp file beside ``path`` (``.NAME.PID.tmp``: a writer killed mid-write leaves it, and the
        next writer, holding the lock, removes it)."""
        return atomicwrite.temp_path(path)

    @contextlib.contextmanager
    def write_lock_now(self) -> Iterator[None]:
        """The write lock, if it is free now (else ``LibraryBusyError``), for a reader that mends a
        derived file (the document index); nothing to take if this thread's transaction holds it: asked
        again, on another open file, it would be busy, and this thread is then no compaction between its
        two renames, which is what the lock keeps such a mend from."""
        pending = self.pending
        if pending.depth and pending.mine():
            yield
            return
        with write_lock(self.path, 0):
            yield

    def remove_stale_temp_files(self) -> None:
        """Temp files left by a writer that was killed mid-write: we hold the lock."""
        for path in (self.path, self.index_path, self.journal_path):
            atomicwrite.remove_temp_files(path)

    def replace_file(self, path: Path, content: bytes, mode: int | None = None) -> None:
        """Write ``content`` as ``path`` atomically (``store.atomicwrite``; never into a FIFO or a
        device found there: the library's files are read back)."""
        atomicwrite.replace_file(path, content, mode=mode, special=False)

    def base_mode(self) -> int | None:
        """The permission bits of the base file (new files get the same), or None."""
        try:
            return os.stat(self.path).st_mode & 0o777
        except OSError:
            return None
