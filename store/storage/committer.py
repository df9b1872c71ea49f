"""Committing: transactions that stage documents and link changes, then commit them at once.

A commit appends the changed documents, the link changes and a seal (CRC-32) to the journal and fsyncs
once: a crash or ``kill -9`` at any instant leaves the commit sealed or not there at all, and a torn
tail is ignored (and cut off by the next writer).

A bulk transaction (a large import) writes its batches as segments as it goes
(``store.storage.spilling``); its commit rewrites the journal to list them (a new journal file,
fsynced, renamed over the old one: the rename is the commit point). A commit to a library that does
not exist yet writes its first generation (``store.storage.generation.write_state``).

Writers take the write lock (``store.lock``) and first catch up with what other processes committed;
threads of one process take turns. A library whose journal is damaged is not written to (reads go on
from its last good commit) until ``pmbrowse repair``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from store import atomicwrite
from store.errors import InterruptedAfterCommit, LibraryFileError
from store.journal import doc_line, header_line, link_line, seal_line, segment_line
from store.lock import write_lock
from store.merge import doc_keys
from store.storage import spilling
from store.storage.beside import Beside
from store.storage.files import Doc, LibraryFiles
from store.storage.fold import write_state
from store.storage.links import Change
from store.storage.opening import file_id
from store.storage.reader import Reader
from store.storage.snapshot import Snapshot

# A commit this large is written as a segment rather than journalled (every opening of the library
# reads the journal whole).
SEGMENT_BYTES = 16 << 20
SEGMENT_DOCS = 20_000
# What a staged document takes at least in the segment it would be written to (its JSON, its head and
# its row of the tables): a bulk commit's lower bound for its last batch (``Committer._fold_due``).
STAGED_DOC_BYTES = 64


class Committer:
    """Transactions on one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles, reader: Reader) -> None:
        self.files = files
        self.reader = reader
        # When the process ends with what is due folded (``Library.close``), the rule that says whether
        # segments of some sizes are folded into a base of some size (``Compactor.fold_due``): a bulk
        # commit that makes a fold due is then committed as that fold (``_fold``). None (the default):
        # a library kept open need not.
        self.fold_rule: Callable[[list[int], int], bool] | None = None
        # (The same commands) how many of the newest listed segments a bulk transaction merges beside
        # itself, given their sizes, its own segments' so far and the base's (``Compactor.beside_run``;
        # ``store.storage.beside``); None: none. The merge running, for the transaction in progress:
        # ``_beside``.
        self.beside_rule: Callable[[list[int], list[int], int], int] | None = None
        self._beside: Beside | None = None
        # The command's end merge, begun as its import committed (``store.storage.endmerge``).
        self.end_merge: Beside | None = None
        # Damage a fold at commit met (``_fold``): the transaction committed as a listing of segments,
        # and this is said once it has (``_commit``).
        self._fold_damage: LibraryFileError | None = None

    def stage(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None:
        """Documents to commit at the end of the current transaction (or now, outside one)."""
        with self.transaction():
            pending = self.files.pending
            for doc_id, doc in changed.items():
                pending.docs[int(doc_id)] = doc
            for doc_id in removed:
                pending.docs[int(doc_id)] = None

    def spill(self, docs: Mapping[int, Doc | None], changes: Mapping[int, Change]) -> None:
        """Write a batch of the transaction in progress (documents, ``None`` for a removed one, and link
        changes) as a segment now, out of memory; it is committed with the transaction."""
        self._spill(docs, changes, beside=True)

    def _spill(self, docs: Mapping[int, Doc | None], changes: Mapping[int, Change], *, beside: bool) -> None:
        """(``beside``: a batch of an import, which goes on: written by a child, ``spilling.spill``;
        else the commit's last batch, read back at once: written here)"""
        pending = self.files.pending
        if not (pending.depth and pending.mine()):
            raise RuntimeError("spill is for the thread inside a transaction")
        if pending.view is None:
            spilling.start(self.files, self.reader.snap)
        spilling.spill(self.files, docs, changes, child=beside)
        # (The index's pages the batch touched, let go: mapped pages stay resident until dropped, so the
        # import held all it had touched of the index, more the larger the library: at a million
        # records 68 MB after a batch, 25 now. Touched again, a page costs a minor fault.)
        if (index := self.reader.snap.index) is not None:
            index.release()
        if beside and self._beside is None:  # (a batch of an import: it goes on, and may merge beside)
            self._start_beside(self.reader.snap)

    def _start_beside(self, snap: Snapshot) -> None:
        """Start merging the run the command's end would merge, as the batches written so far make it,
        beside the transaction (``store.storage.beside``), once ``beside_rule`` says it reaches two or
        more of the segments of ``snap`` (the state the transaction began from): those, and the
        transaction's own segments so far."""
        rule = self.beside_rule
        if rule is None or not snap.live_journal or snap.journal is None or snap.generation is None:
            return
        pending = self.files.pending
        listed = list(snap.journal.segments)
        own = [(segment.name, size) for segment, size in pending.segments]
        # (Only the batches written count: the one a child is writing is seen at the next batch. Counted
        # at once, at the least a batch so far held, the merge beside started a batch earlier, left
        # other batches to the end, and the proxy series' 8th file wrote 204 MB, not 174: stop 40.)
        k = rule([size for _name, size in listed], [size for _name, size in own], snap.base_size)
        if k < 2:
            return
        name, writer = spilling.segment_path(self.files, snap.generation)
        writer.discard()  # (the name only: the child writes it)
        first = len(listed) - k
        self._beside = Beside.start(
            self.files.segments_path, name, snap.generation, pending.next_id, first, [*listed, *own][first:]
        )

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
            snap: Snapshot | None = None
            had_folder = True
            try:
                # (catching up first: an index a compaction killed between its renames left is one
                # of the temp files, put in place as it opens the new base, ``store.storage.leftindex``)
                self.reader.catch_up()
                files.remove_stale_temp_files()  # (left by a writer killed mid-compaction)
                snap = self.reader.snap
                if snap.damage:
                    # (a commit after damage would cut it off, or bury it under commits that assume it)
                    raise LibraryFileError(
                        f"{snap.damage}; nothing was changed: run `pmbrowse repair` first (it keeps the "
                        "damaged bytes aside and brings back what the journal still holds)"
                    )
                listed = [n for n, _ in snap.journal.segments] if snap.live_journal and snap.journal else []
                early = [self.end_merge.path.name] if self.end_merge is not None else []
                spilling.remove_orphans(files, [*listed, *early])  # (the end's merge beside: its own)
                # (a segments folder this transaction makes, on its first batch, goes with it if it
                # fails: a failed import on a full disk left an empty one behind)
                had_folder = files.segments_path.is_dir()
                yield
                self._commit()
                if pending.segments and self.beside_rule is not None and files.local.committed is not None:
                    from store.storage import endmerge  # (it imports this module)

                    self.end_merge = endmerge.start(files, self.reader.snap)  # (an import's command ends)
            except BaseException as exc:
                if not pending.committed and snap is not None and self._past_commit_point(snap):
                    # (interrupted between a commit point and the line that marks it: a listing
                    # renamed in, a seal fsynced; its segments are the library's now, not to remove)
                    pending.committed = True
                if not pending.committed:
                    spilling.discard(files, folder=not had_folder)
                elif isinstance(exc, KeyboardInterrupt) and not isinstance(exc, InterruptedAfterCommit):
                    raise InterruptedAfterCommit() from exc
                raise
            finally:
                if self._beside is not None:
                    beside, self._beside = self._beside, None
                    beside.end()
                pending.clear()
                pending.depth = 0
                pending.owner = None

    def _past_commit_point(self, snap: Snapshot) -> bool:
        """Whether the files on disk moved past ``snap``, the state this transaction began from. Only
        the lock holder writes, so a move is this transaction's commit: a new base or journal renamed
        in (a first generation, a fold, a listing of segments), or a seal appended and fsynced
        (``_append`` cuts off what it wrote unless its fsync returned)."""
        base_id, journal_id, journal_size = self.reader._on_disk()
        if base_id != snap.base_id or journal_id != snap.journal_id:
            return True
        return snap.journal is not None and journal_size > snap.journal.end

    def last_commit(self) -> tuple[str | None, int] | None:
        """The state this thread's last commit made (None if it made none)."""
        return getattr(self.files.local, "committed", None)

    def _commit(self) -> None:
        files, reader = self.files, self.reader
        files.local.committed = None
        self._fold_damage = None
        pending = files.pending
        spilling.settle(files)  # (the last batch's child: its segment and counts)
        if pending.committed:
            return  # (a compaction listed the segments itself: ``Compactor``)
        if not pending.docs and not pending.links and not pending.segments and reader.exists:
            return
        snap = reader.snap
        counts, next_id = reader.counts, reader.next_id
        try:
            self._commit_as(snap, next_id, counts)
        except BaseException:
            if reader._on_disk()[0] != snap.base_id:  # (interrupted past a new base's rename, its commit
                spilling.discard(files)  # point: the transaction's segments are in it)
                pending.committed = True
            raise
        pending.docs, pending.links = {}, {}
        reader.catch_up()
        files.local.committed = reader.state
        if self._fold_damage is not None:
            self._say_fold_damage(self._fold_damage)

    def _say_fold_damage(self, damage: LibraryFileError) -> None:
        """Say, once, the damage a fold at commit met (the transaction committed as a listing of
        segments): the notice of a compaction due that met damage, and its marker for the layers this
        commit left, so that the command's end does not try the same fold again and say it twice
        (``store.storage.duedamage``)."""
        from store.storage import duedamage

        self._fold_damage = None
        snap = self.reader.snap
        layers = duedamage.layers_of(snap.base_id, list(snap.journal.segments) if snap.journal else [])
        self.files.notices.append(duedamage.say(self.files.path, layers, damage))

    def _commit_as(self, snap: Snapshot, next_id: int, counts: dict[str, int]) -> None:
        """Commit what is staged as a first generation, a sealed commit appended to the journal, a new
        base (``_fold``) or a listing of segments; ``pending.committed`` once its commit point passed."""
        pending = self.files.pending
        if not self.reader.exists:
            write_state(self.files, snap, pending.docs, pending.links, next_id=next_id, counts=counts)
            pending.committed = True
        else:
            body = b""
            # (Thousands of documents are a bulk commit: no need to write out its lines to measure them.)
            if not pending.segments and len(pending.docs) + len(pending.links) < SEGMENT_DOCS:
                docs = [
                    doc_line(d, [] if doc is None else doc_keys(doc), doc) for d, doc in pending.docs.items()
                ]
                links = [link_line(d, change.counts, change.encode()) for d, change in pending.links.items()]
                body = b"".join(docs + links)
            if pending.segments or not body or len(body) > SEGMENT_BYTES:
                if not self._fold(snap, next_id, counts):
                    if pending.docs or pending.links or not pending.segments:
                        self._spill(pending.docs, pending.links, beside=False)
                    self._list_segments(snap, {"next_id": next_id, "counts": counts})
            else:
                self._append(snap, body, {"next_id": next_id, "counts": counts})
                pending.committed = True

    def _fold(self, snap: Snapshot, next_id: int, counts: dict[str, int]) -> bool:
        """Commit a bulk transaction as a new base when the command's end would fold it into one
        (``fold_rule``, its last batch counted at its least): the last batch goes into the
        fold from memory, not written as a segment and read back, and the command's end has nothing
        left to do (an import into an empty library wrote its records twice, and read them back once).
        Returns whether it did; a fold that fails before its commit point (the base's rename: a full
        disk) leaves the transaction to commit as a listing of segments, as before. So does damage the
        fold meets in what it copies (a document or link change of an older segment that does not
        decode): the listing does not read the older segments, so the import commits, the damage
        where it was, said once (``_say_fold_damage``; until stop 31 the whole import failed on it)."""
        if self.fold_rule is None:
            return False
        pending = self.files.pending
        view = pending.view if pending.view is not None else snap
        sizes = [segment.size for segment in view.segments]
        if pending.view is None and snap.live_journal and snap.journal is not None and snap.journal.commits:
            sizes.append(snap.journal.end)  # (its commits would be made a segment first: ``spilling.start``)
        staged = sum(STAGED_DOC_BYTES for doc in pending.docs.values() if doc is not None)
        if not self.fold_rule([*sizes, staged], view.base_size):
            return False
        if self._beside is not None:  # (the fold takes every segment: a merge beside it is no use)
            beside, self._beside = self._beside, None
            beside.end()
        try:
            write_state(self.files, view, pending.docs, pending.links, next_id=next_id, counts=counts)
        except LibraryFileError as exc:
            if self.reader._on_disk()[0] != snap.base_id:
                raise  # (not before its commit point: cannot be, a fold's damage is met before it)
            self._fold_damage = exc
            return False
        except OSError:
            if self.reader._on_disk()[0] == snap.base_id:
                return False
            # (Past its commit point, the new base in place: what failed after it, its index's rename,
            # is made good by the next opening, as a kill there is; its segments are in the base.)
            spilling.discard(self.files)
        pending.committed = True  # (the transaction's segments are in the base, and removed)
        return True

    def _list_segments(self, snap: Snapshot, meta: dict[str, Any]) -> None:
        """Commit a bulk transaction: a new journal listing the segments of the library and those the
        transaction wrote (the journal's own commits are in the first of those: ``spilling.start``)."""
        assert snap.journal is not None
        listed = list(snap.journal.segments) if snap.live_journal else []
        listed += [(segment.name, size) for segment, size in self.files.pending.segments]
        beside, merged = self._beside, None
        if beside is not None and (found := beside.result(listed)) is not None:
            # (the merge beside the transaction in the place of the segments it merged, the library's
            # and the transaction's first: one rename commits both; ``store.storage.beside``)
            first, end, segment = found
            merged, listed = listed[first:end], [*listed[:first], segment, *listed[end:]]
            beside.listed = True
        try:
            write_listing(self.files, snap, listed, meta)
        except OSError:
            if self.reader._on_disk()[1] == snap.journal_id:
                if beside is not None:
                    beside.listed = False  # (not listed: removed with the transaction)
                raise
            # (past its commit point, the listing renamed in: what failed after it, the folder's fsync,
            # leaves the commit standing, as ``_fold`` does)
        self.files.pending.committed = True
        for name, _size in merged or ():
            with contextlib.suppress(OSError):
                (self.files.segments_path / name).unlink()

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
        durable, written = False, 0
        try:
            if file_id(os.fstat(fd)) != snap.journal_id:
                raise LibraryFileError(f"{path} was replaced during a write; nothing was changed")
            os.ftruncate(fd, journal.end)  # cut off a torn tail (only the lock holder writes)
            written = os.pwrite(fd, payload, journal.end)
            if written != len(payload):
                raise OSError(28, "short write (is the disk full?)")
            os.fsync(fd)
            durable = True
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt) and written == len(payload) and not durable:
                # (Ctrl-C once the whole commit is written, its fsync returned or not: made durable and
                # left to stand, not cut off; other processes may have read it already)
                with contextlib.suppress(OSError):
                    os.fsync(fd)
                    durable = True
            if not durable:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, journal.end)
            raise
        finally:
            os.close(fd)


def write_listing(
    files: LibraryFiles, snap: Snapshot, listed: list[tuple[str, int]], meta: dict[str, Any]
) -> None:
    """Replace the journal by one commit listing the segments ``listed`` (name, size), sealed with
    ``meta`` (next id, counts): a new file, fsynced, renamed over the old one (the commit point). The
    journal's own commits must be in one of the segments."""
    assert snap.generation is not None and snap.journal is not None
    body = b"".join(segment_line(name, size) for name, size in listed)
    if listed:
        # The segments' names durable before the journal that lists them (a power cut could else leave
        # it naming a file whose folder entry was lost): their folder, and the folder it is in (the
        # first import made it).
        atomicwrite.fsync_dir(files.segments_path)
        atomicwrite.fsync_dir(files.path.parent)
    seq = (snap.journal.commits if snap.live_journal else 0) + 1
    seal = seal_line(body, {"seq": seq, **meta, "time": round(time.time(), 3)})
    files.replace_file(files.journal_path, header_line(snap.generation) + body + seal, files.base_mode())
