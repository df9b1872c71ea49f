"""Reading a library: opening its newest state, staying current, and every read, as the committed
state plus (for the thread inside a transaction) what that transaction has staged.

Readers take no lock: they hold open the base, index, segments and journal they started with, and see
only sealed commits, so a reader sees a consistent state while a writer commits or compacts.
``refresh()`` moves to the newest state; opening retries while a compaction swaps files.
"""

from __future__ import annotations

import mmap
import os
import stat
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from store import fileformat
from store.docindex import DocIndex, IndexFileError
from store.errors import LibraryFileError
from store.journal import Replay, read_header, read_tail, replay
from store.merge import doc_keys
from store.schema import SCHEMA_VERSION
from store.storage import conversion
from store.storage import links as linkrec
from store.storage.files import Doc, LibraryFiles
from store.storage.meta import Meta, counts_of, head_of, meta_of
from store.storage.segment import SegmentError, SegmentFile
from store.storage.snapshot import Snapshot

COUNTS = ("records", "stubs", "links")


def file_id(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


class Reader:
    """Reads one library (see the module docstring)."""

    def __init__(self, files: LibraryFiles) -> None:
        self.files = files
        self.open()

    @property
    def snap(self) -> Snapshot:
        return self.files.snap

    @property
    def exists(self) -> bool:
        return self.snap.base_fd is not None

    # Opening ---------------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the newest state on disk (retrying while a compaction swaps files)."""
        for attempt in range(40):
            snap = self._try_open(final=attempt == 39)
            if snap is not None:
                old, self.files.snap = self.files.snap, snap
                old.close()
                return
            time.sleep(0.025)

    def _try_open(self, *, final: bool) -> Snapshot | None:
        files = self.files
        snap = Snapshot(files.path)
        try:
            mode = os.stat(files.path).st_mode
        except FileNotFoundError:
            return snap  # a new library: nothing yet
        except OSError as exc:
            raise LibraryFileError(f"cannot read the library {files.path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise LibraryFileError(f"{files.path} is {kind}, not a library file; choose a file with --db")
        try:
            fd = os.open(files.path, os.O_RDONLY)
        except FileNotFoundError:
            return snap
        except OSError as exc:
            raise LibraryFileError(f"cannot read the library {files.path}: {exc.strerror or exc}") from None
        snap.base_fd = fd
        try:
            st = os.fstat(fd)
            snap.base_id, snap.base_size, snap.base_mtime = file_id(st), st.st_size, st.st_mtime_ns
            header = self._read_base(snap)
            if header is None:
                seen = (snap.base_id, snap.base_size, snap.base_mtime)
                snap.close()
                conversion.convert(files, seen)
                return None  # open it again, now in this version's layout
            snap.generation = str(header["generation"])
            if not self._open_index(snap) and not final and files.index_path.exists():
                # An index of another generation: maybe a compaction between its two renames (the
                # index first, then the base), so look again before rebuilding it.
                snap.close()
                return None
            if snap.index is None:
                snap.index = conversion.rebuild_index(files, snap)
            self._open_journal(snap)
            if not self._open_segments(snap, final=final):
                snap.close()
                return None
            try:
                still = file_id(os.stat(files.path)) == snap.base_id
            except FileNotFoundError:
                still = False
            if not still and not final:
                # A compaction replaced the base after we opened it, and the journal we read may be
                # the new one (whose commits our base lacks): start again from the new base.
                snap.close()
                return None
            return snap
        except BaseException:
            snap.close()
            raise

    def _read_base(self, snap: Snapshot) -> dict[str, Any] | None:
        """Map the base and check its header; None when it must be converted (an older schema, or a
        layout other than one record per line)."""
        assert snap.base_fd is not None
        if snap.base_size == 0:
            raise LibraryFileError(
                f"{snap.path} is empty, so it is not a pmbrowse library; it was left as it is "
                "(remove it, or choose another file with --db)"
            )
        snap.base_map = mmap.mmap(snap.base_fd, 0, access=mmap.ACCESS_READ)
        header, start = fileformat.read_base_header(snap.base_map[:65536])
        if header is None or header.get("app") != "pmbrowse" or "generation" not in header:
            return None
        schema = header.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool) or schema != SCHEMA_VERSION:
            return None  # the conversion says what is wrong, or converts
        if header.get("kind", "library") != "library":
            return None
        snap.docs_start = start
        return header

    def _open_index(self, snap: Snapshot) -> bool:
        """Open the base's index; False when it is of another generation (or damaged, or missing)."""
        try:
            index = DocIndex(self.files.index_path)
        except IndexFileError:
            return False
        if index.generation != snap.generation:
            index.close()
            return False
        if index.base != (snap.base_size, snap.base_mtime):
            # The base was changed in place (edited, truncated): its offsets are not to be trusted.
            index.close()
            return False
        snap.index = index
        return True

    def _open_journal(self, snap: Snapshot) -> None:
        journal_path = self.files.journal_path
        try:
            fd = os.open(journal_path, os.O_RDONLY)
        except FileNotFoundError:
            fd = None
        except OSError as exc:
            raise LibraryFileError(f"cannot read {journal_path}: {exc.strerror or exc}") from None
        assert snap.index is not None
        snap.counts = dict(snap.index.counts)
        snap.next_id = snap.index.next_id
        snap.journal = Replay()
        if fd is None:
            return
        snap.journal_fd = fd
        snap.journal_id = file_id(os.fstat(fd))
        raw = read_tail(fd, 0)
        generation, start = read_header(raw)
        snap.journal.generation = generation
        snap.journal.scanned = len(raw)
        if generation is None and raw:
            raise LibraryFileError(
                f"{journal_path} is damaged (its first line is not a journal header); the library was left "
                "as it is: restore it from a backup, or remove it to lose the commits it holds"
            )
        if generation != snap.generation:
            return  # obsolete: its commits are in the base already (see ``store.storage``)
        snap.journal.end = start
        self._replay(snap, raw[start:], start)

    def _open_segments(self, snap: Snapshot, *, final: bool) -> bool:
        """Open the segments the journal lists (False: one is missing, perhaps removed by a compaction
        since the journal was read: look again)."""
        if not snap.live_journal or snap.journal is None:
            return True
        for name, size in snap.journal.segments[len(snap.segments) :]:
            try:
                segment = SegmentFile(self.files.segments_path / name, size)
            except SegmentError as exc:
                if not final:
                    return False
                raise LibraryFileError(
                    f"the library's segment {exc} (the journal {self.files.journal_path} lists it); "
                    "the library was left as it is"
                ) from None
            if segment.generation != snap.generation:
                raise LibraryFileError(
                    f"{self.files.segments_path / name} belongs to another version of the library "
                    f"than {snap.path}; the library was left as it is"
                )
            snap.segments.append(segment)
        return True

    def _replay(self, snap: Snapshot, raw: bytes, at: int) -> None:
        assert snap.journal is not None
        replay(raw, snap.journal, at)
        if snap.journal.damaged is not None:
            raise LibraryFileError(
                f"{self.files.journal_path} is damaged at byte {snap.journal.damaged} (a commit whose "
                "checksum does not match, with later commits after it); the library was left as it is: "
                "restore the journal from a backup, or cut it at that byte to lose the commits from there on"
            )
        meta = snap.journal.meta
        if meta is not None:
            counts = meta.get("counts")
            if isinstance(counts, dict):
                snap.counts = {k: int(counts.get(k, 0)) for k in COUNTS}
            if isinstance(meta.get("next_id"), int):
                snap.next_id = meta["next_id"]

    # Staying current -------------------------------------------------------------------------------

    def _on_disk(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None, int]:
        """The base's and the journal's identities as the files are now, and the journal's length
        (None, 0: no such file). Two ``stat`` calls: the change signal of the library."""
        ids: list[tuple[int, int] | None] = []
        size = 0
        for path in (self.files.path, self.files.journal_path):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                ids.append(None)
                continue
            ids.append(file_id(st))
            size = st.st_size
        return ids[0], ids[1], size if ids[1] is not None else 0

    def changed_on_disk(self) -> bool:
        """Whether another process committed (or compacted) since this one last looked."""
        snap = self.snap
        base, journal, size = self._on_disk()
        scanned = snap.journal.scanned if snap.journal is not None else 0
        return base != snap.base_id or journal != snap.journal_id or size != scanned

    def refresh(self) -> bool:
        """Move to the newest committed state. Returns whether anything changed."""
        with self.files.state:
            if not self.changed_on_disk():
                return False
            before = self.state
            self.catch_up()
            return self.state != before

    def catch_up(self) -> None:
        """Take in what was committed since: the journal's new commits, or (after a compaction, or a
        new journal) the new files."""
        with self.files.state:
            snap = self.snap
            base, journal, _size = self._on_disk()
            if base == snap.base_id and journal == snap.journal_id:
                if journal is not None and snap.live_journal:
                    assert snap.journal is not None and snap.journal_fd is not None
                    self._replay(snap, read_tail(snap.journal_fd, snap.journal.end), snap.journal.end)
                return
            self.open()

    @property
    def state(self) -> tuple[str | None, int]:
        """What identifies the committed state: (generation, bytes of the journal's sealed commits)."""
        snap = self.snap
        journal = snap.journal
        return (snap.generation, journal.end if snap.live_journal and journal is not None else 0)

    # Reading ---------------------------------------------------------------------------------------

    def current(self) -> Snapshot:
        """The state this thread reads: the committed one, or for the thread inside a bulk transaction,
        that plus the batches it wrote as segments so far."""
        pending = self.files.pending
        if pending.view is not None and pending.mine():
            return pending.view
        with self.files.state:
            return self.snap

    def _own(self) -> dict[int, Doc | None]:
        pending = self.files.pending
        return pending.docs if pending.docs and pending.mine() else {}

    def _own_links(self) -> dict[int, linkrec.Change]:
        pending = self.files.pending
        return pending.links if pending.links and pending.mine() else {}

    def committed(self, doc_id: int) -> Doc | None:
        """A document as last committed (not counting this transaction's staged changes)."""
        return self.current().doc(doc_id)

    def get(self, doc_id: int) -> Doc | None:
        """A document, as this transaction sees it; a new dict each call (callers may change it)."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            return None if doc is None else orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]
        return self.committed(doc_id)

    def meta(self, doc_id: int) -> Meta | None:
        """A document's flags, year and citation count (see ``store.storage.meta``), or None."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            return None if doc is None else meta_of(doc)
        return self.current().meta(doc_id)

    def head(self, doc_id: int) -> dict[str, Any] | None:
        """A document's head (see ``store.storage.meta``), decoded; None: no such document."""
        pending = self._own()
        if doc_id in pending:
            doc = pending[doc_id]
            raw = None if doc is None else head_of(doc)
        else:
            raw = self.current().head(doc_id)
        return None if raw is None else orjson.loads(raw)  # type: ignore[no-any-return]

    def heads(self, doc_ids: Iterable[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        """``head`` of many documents from one state (those the library holds)."""
        pending = self._own()
        snap = self.current()
        for doc_id in doc_ids:
            if doc_id in pending:
                head = self.head(doc_id)
                if head is not None:
                    yield doc_id, head
            elif (raw := snap.head(doc_id)) is not None:
                yield doc_id, orjson.loads(raw)

    def holders(self, key: str) -> list[int]:
        """The documents holding identity key ``key``, lowest id first."""
        found = self.current().holders(key)
        for doc_id, doc in self._own().items():
            if doc is not None and key in doc_keys(doc):
                found.add(doc_id)
            else:
                found.discard(doc_id)
        return sorted(found)

    def ids(self) -> Iterator[int]:
        """Every document id, in order (a walk over the whole library: not for hot paths). The ids are
        those of the state when the walk starts."""
        present = self.current().ids()
        for doc_id, doc in self._own().items():
            (present.add if doc is not None else present.discard)(doc_id)
        yield from sorted(present)

    def iter_docs(self) -> Iterator[tuple[int, Doc]]:
        """Every document with its id, in id order, read one at a time."""
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                yield doc_id, doc

    def link_state(self, doc_id: int) -> linkrec.LinkState:
        """A document's links with the sources of each, as this transaction sees them."""
        state = self.current().link_state(doc_id)
        change = self._own_links().get(doc_id)
        if change is not None:
            change.apply_to(state)
        return state

    def link_ids(self, doc_id: int, rel: str) -> list[int]:
        if doc_id in self._own_links():
            return list(self.link_state(doc_id)[rel])
        return self.current().link_ids(doc_id, rel)

    def link_counts(self, doc_id: int) -> tuple[int, int]:
        """(references, citing articles) of a document, from the counts kept (no link record read)."""
        refs, cited = self.current().link_counts(doc_id)
        change = self._own_links().get(doc_id)
        if change is not None:
            r, c = change.counts
            refs, cited = refs + r, cited + c
        return refs, cited

    @property
    def counts(self) -> dict[str, int]:
        pending = self.files.pending
        spilled = pending.view is not None and pending.mine()
        counts = dict(pending.counts if spilled else self.snap.counts or dict.fromkeys(COUNTS, 0))
        own = self._own()
        for doc_id, doc in own.items():
            new, old = counts_of(doc), counts_of(self.committed(doc_id))
            counts["records"] += new[0] - old[0]
            counts["stubs"] += new[1] - old[1]
        counts["links"] += sum(change.counts[0] for change in self._own_links().values())
        return counts

    @property
    def next_id(self) -> int:
        pending = self.files.pending
        spilled = pending.next_id if pending.view is not None and pending.mine() else 0
        return max(self.snap.next_id, spilled, max(self._own(), default=0) + 1)
