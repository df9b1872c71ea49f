"""Committing: transactions that stage documents and link changes, then commit them at once.

A commit appends the changed documents, the link changes and a seal (CRC-32) to the journal and fsyncs
once: a crash or ``kill -9`` at any instant leaves the commit sealed or not there at all, and a torn
tail is ignored (and cut off by the next writer). A commit that changes much of the library (a bulk
import) is written as a new generation instead (``store.storage.generation.write_state``): a new base
costs no more than journalling it would, and needs no compaction after.

Writers take the write lock (``store.lock``) and first catch up with what other processes committed;
threads of one process take turns.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from store.errors import LibraryFileError
from store.journal import doc_line, header_line, link_line, seal_line
from store.lock import write_lock
from store.merge import doc_keys
from store.storage.files import Doc, LibraryFiles
from store.storage.generation import write_state
from store.storage.links import Change
from store.storage.reader import Reader, file_id
from store.storage.snapshot import Snapshot

# A commit this large (a bulk import) is written as a new base directly rather than journalled.
REWRITE_BYTES = 64 << 20
REWRITE_DOCS = 20_000


class Committer:
    """Transactions on one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles, reader: Reader) -> None:
        self.files = files
        self.reader = reader

    def stage(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None:
        """Documents to commit at the end of the current transaction (or now, outside one)."""
        with self.transaction():
            pending = self.files.pending
            for doc_id, doc in changed.items():
                pending.docs[int(doc_id)] = doc
            for doc_id in removed:
                pending.docs[int(doc_id)] = None

    def stage_links(self, changes: Mapping[int, Change]) -> None:
        """Link changes to commit with the current transaction (one per document and transaction)."""
        with self.transaction():
            pending = self.files.pending
            for doc_id, change in changes.items():
                if doc_id in pending.links:
                    raise ValueError(f"document {doc_id}'s links were staged twice in one transaction")
                if change:
                    pending.links[doc_id] = change

    @contextlib.contextmanager
    def transaction(self, lock_timeout: float | None = None) -> Iterator[None]:
        """Hold the write lock; commit what was staged once at the end; drop it all on error.

        ``last_commit()`` then tells the state this thread's commit made."""
        files = self.files
        pending = files.pending
        if pending.depth and pending.mine():
            pending.depth += 1
            try:
                yield
            finally:
                pending.depth -= 1
            return
        timeout = files.lock_timeout if lock_timeout is None else lock_timeout
        with files.threads, write_lock(files.path, timeout):
            pending.owner = threading.get_ident()
            pending.depth = 1
            try:
                files.remove_stale_temp_files()  # (left by a writer killed mid-compaction)
                self.reader.catch_up()
                yield
                self._commit()
            finally:
                pending.clear()
                pending.depth = 0
                pending.owner = None

    def last_commit(self) -> tuple[str | None, int] | None:
        """The state this thread's last commit made (None if it made none)."""
        return getattr(self.files.local, "committed", None)

    def _commit(self) -> None:
        files, reader = self.files, self.reader
        files.local.committed = None
        pending = files.pending
        if not pending.docs and not pending.links and reader.exists:
            return
        snap = reader.snap
        counts, next_id = reader.counts, reader.next_id
        live = (snap.counts or {}).get("records", 0) + (snap.counts or {}).get("stubs", 0)
        if not reader.exists or len(pending.docs) > max(REWRITE_DOCS, live // 2):
            # A bulk commit (a large import, changing much of the library): a new base costs no
            # more than journalling it would, and needs no compaction after.
            write_state(files, snap, pending.docs, pending.links, next_id=next_id, counts=counts)
        else:
            lines = [
                doc_line(d, [] if doc is None else doc_keys(doc), doc) for d, doc in pending.docs.items()
            ]
            lines += [link_line(d, change.counts, change.encode()) for d, change in pending.links.items()]
            body = b"".join(lines)
            if len(body) > max(REWRITE_BYTES, snap.base_size // 2):
                write_state(files, snap, pending.docs, pending.links, next_id=next_id, counts=counts)
            else:
                self._append(snap, body, {"next_id": next_id, "counts": counts})
        pending.clear()
        reader.catch_up()
        files.local.committed = reader.state

    def _append(self, snap: Snapshot, body: bytes, meta: dict[str, Any]) -> None:
        assert snap.generation is not None
        journal = snap.journal
        seq = (journal.commits if journal is not None else 0) + 1
        payload = body + seal_line(body, {"seq": seq, **meta, "time": round(time.time(), 3)})
        path = self.files.journal_path
        if not snap.live_journal:
            # No journal yet, or one left by a compaction that crashed before replacing it: start anew.
            self.files.replace_file(path, header_line(snap.generation) + payload)
            return
        assert journal is not None
        fd = os.open(path, os.O_WRONLY)
        try:
            if file_id(os.fstat(fd)) != snap.journal_id:
                raise LibraryFileError(f"{path} was replaced during a write; nothing was changed")
            os.ftruncate(fd, journal.end)  # cut off a torn tail (only the lock holder writes)
            written = os.pwrite(fd, payload, journal.end)
            if written != len(payload):
                raise OSError(28, "short write (is the disk full?)")
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, journal.end)
            raise
        finally:
            os.close(fd)
