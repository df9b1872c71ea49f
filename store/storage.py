"""The TinyDB storage behind a library: documents read on demand, commits appended to a journal.

A library is three files (``library.json`` and two beside it):

- ``library.json``, the *base*: plain JSON that TinyDB (or any JSON reader) reads, one document per line
  (``store.fileformat``), as of the last compaction. Its header names its *generation*;
- ``library.json.idx``, the document index of that base (``store.docindex``): where each document's JSON
  is, which documents hold each identifier, the counts. Mapped into memory, never parsed whole;
- ``library.json.journal``, the commits since (``store.journal``).

Why this design (measured, see the README's speed section): a one-document read is one ``pread`` and
one decode whatever the library's size; a commit appends what changed and fsyncs once (time and bytes
in proportion to the change); opening maps the index and reads the journal, which compaction keeps
short. Copy-on-write shard files were the alternative: crash-safe by construction too, but they write
~100× more bytes per import (back-links touch documents all over the library) and make the library a
folder.

Crash safety:

- a commit is one ``write`` + ``fsync`` of lines sealed by a CRC (``store.journal``): a crash leaves it
  sealed or torn, and a torn tail is invisible to readers and cut off by the next writer;
- compaction writes a new base and index under a new generation, fsyncs them, renames the index and
  then the base into place (the base's rename is the commit point), then starts a new journal. A journal
  of another generation than its base is obsolete (its commits are in the base) and is ignored; an index
  of another generation is rebuilt from the base. So a crash at any instant leaves the old state or the
  new one, never a mix;
- damage is not a crash: a commit whose CRC fails with sealed commits after it, or a journal whose
  header is unreadable, is refused (never cut off), and an index whose base changed size or time
  (edited, truncated) is rebuilt from the base, which refuses a base that does not parse.

Concurrency: writers take the write lock (``store.lock``) and first catch up with what other processes
committed; threads of one process take turns. Readers take no lock: they hold open the base, index and
journal they started with, and see only sealed commits, so a reader sees a consistent state while a
writer commits or compacts. ``refresh()`` moves a reader to the newest state.

A library path that is a symbolic link is resolved once: every file is written next to its target.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from store import fileformat
from store.docindex import DocIndex, IndexData, IndexFileError, pairs_of, write_index
from store.errors import LibraryBusyError, LibraryFileError
from store.journal import Replay, doc_line, header_line, read_header, read_tail, replay, seal_line
from store.lock import write_lock
from store.schema import ARTICLES_TABLE, LIBRARY, META_TABLE, SCHEMA_VERSION, check_document
from store.wholefile import fsync_dir, read_library_file

Doc = dict[str, Any]
COUNTS = ("records", "stubs", "links")
# A journal past this many bytes is folded into the base when a command ends (``Library.close``).
COMPACT_MIN = 4 << 20
COMPACT_MAX = 16 << 20
# A commit this large (a bulk import) is written as a new base directly rather than journalled.
REWRITE_BYTES = 64 << 20
REWRITE_DOCS = 20_000
# Compaction copies unchanged documents in slices of at most this many bytes.
RUN_BYTES = 4 << 20


def doc_keys(doc: Mapping[str, Any]) -> list[str]:
    from store.merge import doc_keys as keys_of  # (merge imports the model; keep this module light)

    return keys_of(doc)  # type: ignore[arg-type]


def counts_of(doc: Mapping[str, Any] | None) -> tuple[int, int, int]:
    """What one document adds to the counts: (records, stubs, links). Each link is counted once, at
    the citing end."""
    if doc is None:
        return (0, 0, 0)
    stub = bool(doc.get("stub"))
    return (0 if stub else 1, 1 if stub else 0, len(doc.get("references", ())))


def compact_threshold(base_size: int) -> int:
    """How long the journal may grow before a command's end compacts it (``PMBROWSE_COMPACT_BYTES``
    sets it outright, for tests and for people who want to choose)."""
    if (chosen := os.environ.get("PMBROWSE_COMPACT_BYTES", "")).isdigit():
        return int(chosen)
    return max(COMPACT_MIN, min(COMPACT_MAX, base_size // 8))


@dataclass
class Snapshot:
    """One consistent state of the library: a base (with its index) plus the sealed journal commits."""

    base_fd: int | None = None
    base_map: mmap.mmap | None = None
    base_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the base
    base_size: int = 0
    base_mtime: int = 0
    docs_start: int = 0
    generation: str | None = None
    index: DocIndex | None = None
    journal_fd: int | None = None
    journal_id: tuple[int, int] | None = None
    journal: Replay | None = None
    counts: dict[str, int] | None = None
    next_id: int = 1

    def close(self) -> None:
        for fd in (self.base_fd, self.journal_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.base_fd = self.journal_fd = None
        # The maps are left to the garbage collector: a reader in another thread may still hold a view.


def _file_id(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


class LibraryStorage(Storage):  # type: ignore[misc]
    """A TinyDB storage for one library; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        self.path = Path(os.path.realpath(path))
        self.index_path = self.path.with_name(self.path.name + ".idx")
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.lock_timeout = lock_timeout
        self.notices: list[str] = []  # one-line messages for the user (a migration, a rebuilt index)
        self._threads = threading.RLock()
        self._state = threading.RLock()  # guards swapping the snapshot under readers of other threads
        self._owner: int | None = None
        self._depth = 0
        self._pending: dict[int, Doc | None] = {}
        self._local = threading.local()
        self._snap = Snapshot()
        self._open()

    # Opening -------------------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self._snap.base_fd is not None

    @property
    def generation(self) -> str | None:
        return self._snap.generation

    def _open(self) -> None:
        """Open the newest state on disk (retrying while a compaction swaps files)."""
        for attempt in range(40):
            snap = self._try_open(final=attempt == 39)
            if snap is not None:
                old, self._snap = self._snap, snap
                old.close()
                return
            time.sleep(0.025)

    def _try_open(self, *, final: bool) -> Snapshot | None:
        snap = Snapshot()
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            return snap  # a new library: nothing yet
        except OSError as exc:
            raise LibraryFileError(f"cannot read the library {self.path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise LibraryFileError(f"{self.path} is {kind}, not a library file; choose a file with --db")
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return snap
        except OSError as exc:
            raise LibraryFileError(f"cannot read the library {self.path}: {exc.strerror or exc}") from None
        snap.base_fd = fd
        try:
            st = os.fstat(fd)
            snap.base_id, snap.base_size, snap.base_mtime = _file_id(st), st.st_size, st.st_mtime_ns
            header = self._read_base(snap)
            if header is None:
                seen = (snap.base_id, snap.base_size, snap.base_mtime)
                snap.close()
                return self._needs_rewrite(seen)
            snap.generation = str(header["generation"])
            if not self._open_index(snap) and not final and self.index_path.exists():
                # An index of another generation: maybe a compaction between its two renames (the
                # index first, then the base), so look again before rebuilding it.
                snap.close()
                return None
            if snap.index is None:
                self._rebuild_index(snap)
            self._open_journal(snap)
            try:
                still = _file_id(os.stat(self.path)) == snap.base_id
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
        """Map the base and check its header; None when it must be rewritten (an older schema, or a
        layout other than one document per line)."""
        assert snap.base_fd is not None
        if snap.base_size == 0:
            raise LibraryFileError(
                f"{self.path} is empty, so it is not a pmbrowse library; it was left as it is "
                "(remove it, or choose another file with --db)"
            )
        snap.base_map = mmap.mmap(snap.base_fd, 0, access=mmap.ACCESS_READ)
        header, start = fileformat.read_base_header(snap.base_map[:65536])
        if header is None or header.get("app") != "pmbrowse" or "generation" not in header:
            return None
        schema = header.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool) or schema != SCHEMA_VERSION:
            return None  # read_library_file says what is wrong, or migrates
        if header.get("kind", "library") != "library":
            return None
        snap.docs_start = start
        return header

    def _needs_rewrite(self, seen: tuple[object, int, int]) -> Snapshot | None:
        """A library in an older schema or another JSON layout: read it whole (which checks it and says
        what is wrong, if anything), and write it as a new generation in this version's layout.

        ``seen`` is the file as it was opened; if another process converts (and maybe writes to) it
        meanwhile, that version is the one to open, never overwritten with what was read before."""
        data = read_library_file(self.path, LIBRARY)  # raises LibraryFileError, naming the file
        docs: dict[str, Any] = data.get(ARTICLES_TABLE, {})
        self._apply_own_journal(data[META_TABLE]["1"].get("generation"), docs)
        for doc_id, doc in docs.items():
            if problem := check_document(doc):
                raise LibraryFileError(f"{self.path}: document {doc_id}: {problem}; it was left as it is")
        with self._threads, write_lock(self.path, self.lock_timeout):
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                return None
            if (_file_id(st), st.st_size, st.st_mtime_ns) != seen:
                return None  # converted or changed by another process meanwhile: open that
            pending: dict[int, Doc | None] = {int(i): d for i, d in docs.items()}
            self._write_generation(Snapshot(), pending)
        self.notices.append(
            f"{self.path} was converted to this version's library format (schema {SCHEMA_VERSION})"
        )
        return None  # open it again, now in this layout

    def _apply_own_journal(self, generation: object, docs: dict[str, Any]) -> None:
        """A base of this schema rewritten by another program (TinyDB itself writes one line): the
        journal of its generation still holds the commits made since, so they are applied on top."""
        if not isinstance(generation, str):
            return
        try:
            raw = self.journal_path.read_bytes()
        except OSError:
            return
        journal_generation, start = read_header(raw)
        if journal_generation != generation:
            return
        journal = replay(raw[start:], Replay(generation=generation, end=start), start)
        for doc_id, where in journal.docs.items():
            if where is None:
                docs.pop(str(doc_id), None)
            else:
                docs[str(doc_id)] = self._decode(raw[where[0] : where[0] + where[1]], doc_id)

    def _open_index(self, snap: Snapshot) -> bool:
        """Open the base's index; False when it is of another generation (or damaged, or missing)."""
        try:
            index = DocIndex(self.index_path)
        except IndexFileError:
            return False
        if index.generation != snap.generation:
            index.close()
            return False
        if index.base != (snap.base_size, snap.base_mtime):
            # The base was changed in place (edited, truncated): its offsets are not to be trusted.
            index.close()
            with contextlib.suppress(OSError):
                self.index_path.unlink()
            return False
        snap.index = index
        return True

    def _rebuild_index(self, snap: Snapshot) -> None:
        """Build the index of the base by reading it whole (after a crash mid-compaction, or when the
        index was deleted). Written beside the base when the folder is writable, else kept in memory."""
        assert snap.base_map is not None and snap.generation is not None
        offsets_list: list[tuple[int, int, int]] = []
        pairs: list[int] = []
        counts = [0, 0, 0]
        try:
            for doc_id, offset, length in fileformat.scan_documents(snap.base_map, snap.docs_start):
                doc = self._decode(snap.base_map[offset : offset + length], doc_id)
                offsets_list.append((doc_id, offset, length))
                pairs.extend(pairs_of(doc_id, doc_keys(doc)))
                for i, n in enumerate(counts_of(doc)):
                    counts[i] += n
        except ValueError as exc:
            raise LibraryFileError(f"{self.path} is damaged: {exc}; it was left as it is") from None
        max_id = max((d for d, _, _ in offsets_list), default=0)
        _check_ids(self.path, max_id, len(offsets_list))
        data = _index_data(snap.generation, dict(zip(COUNTS, counts, strict=True)), max_id + 1, max_id)
        data.base = (snap.base_size, snap.base_mtime)
        for doc_id, offset, length in offsets_list:
            data.offsets[doc_id], data.lengths[doc_id] = offset, length
        pairs.sort()
        data.pairs = pairs
        tmp = self.index_path.with_name(f".{self.index_path.name}.{os.getpid()}.tmp")
        try:
            # Under the write lock, if it is free now: a compaction must not have its new index
            # replaced by this one of the old generation (which would only cost another rebuild).
            with write_lock(self.path, 0):
                if fileformat_generation(self.path) == snap.generation:
                    write_index(tmp, data)
                    os.replace(tmp, self.index_path)
                    fsync_dir(self.path.parent)
            if self._open_index(snap):
                return
        except (OSError, LibraryBusyError):
            with contextlib.suppress(OSError):
                tmp.unlink()
        # A read-only folder: keep the index in memory for this process.
        snap.index = _MemoryIndex(data)  # type: ignore[assignment]

    def _open_journal(self, snap: Snapshot) -> None:
        try:
            fd = os.open(self.journal_path, os.O_RDONLY)
        except FileNotFoundError:
            fd = None
        except OSError as exc:
            raise LibraryFileError(f"cannot read {self.journal_path}: {exc.strerror or exc}") from None
        assert snap.index is not None
        snap.counts = dict(snap.index.counts)
        snap.next_id = snap.index.next_id
        snap.journal = Replay()
        if fd is None:
            return
        snap.journal_fd = fd
        snap.journal_id = _file_id(os.fstat(fd))
        raw = read_tail(fd, 0)
        generation, start = read_header(raw)
        snap.journal.generation = generation
        snap.journal.scanned = len(raw)
        if generation is None and raw:
            raise LibraryFileError(
                f"{self.journal_path} is damaged (its first line is not a journal header); the library "
                "was left as it is: restore it from a backup, or remove it to lose the commits it holds"
            )
        if generation != snap.generation:
            return  # obsolete: its commits are in the base already (see the module docstring)
        snap.journal.end = start
        self._replay(snap, raw[start:], start)

    def _replay(self, snap: Snapshot, raw: bytes, at: int) -> None:
        assert snap.journal is not None
        replay(raw, snap.journal, at)
        if snap.journal.damaged is not None:
            raise LibraryFileError(
                f"{self.journal_path} is damaged at byte {snap.journal.damaged} (a commit whose checksum "
                "does not match, with later commits after it); the library was left as it is: restore "
                "the journal from a backup, or cut it at that byte to lose the commits from there on"
            )
        meta = snap.journal.meta
        if meta is not None:
            counts = meta.get("counts")
            if isinstance(counts, dict):
                snap.counts = {k: int(counts.get(k, 0)) for k in COUNTS}
            if isinstance(meta.get("next_id"), int):
                snap.next_id = meta["next_id"]

    # Reading -------------------------------------------------------------------------------------

    def _decode(self, raw: bytes, doc_id: int) -> Doc:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise LibraryFileError(f"{self.path}: document {doc_id} is not valid JSON ({exc.msg})") from None
        if problem := check_document(doc):
            raise LibraryFileError(
                f"{self.path}: document {doc_id}: {problem}; the library was left as it is"
            )
        return doc  # type: ignore[no-any-return]

    def committed(self, doc_id: int) -> Doc | None:
        """A document as last committed (not counting this transaction's pending changes)."""
        raw = self.stored(doc_id)
        return None if raw is None else self._decode(raw, doc_id)

    def stored(self, doc_id: int) -> bytes | None:
        """A document's JSON as last committed, undecoded and unchecked (None: there is none)."""
        with self._state:
            return self._stored(self._snap, doc_id)

    def stored_many(self, doc_ids: Iterable[int]) -> Iterator[tuple[int, bytes | None]]:
        """``stored`` of many documents from one state (one look at the lock, for tight loops: ranking
        related articles reads thousands). Documents the library does not hold are left out; one with
        changes staged by this thread's transaction comes with ``None``: ``get`` it instead."""
        with self._state:
            snap, pending = self._snap, self._own_pending()
            for doc_id in doc_ids:
                if doc_id in pending:
                    yield doc_id, None
                elif (raw := self._stored(snap, doc_id)) is not None:
                    yield doc_id, raw

    def _stored(self, snap: Snapshot, doc_id: int) -> bytes | None:
        journal = snap.journal
        if journal is not None and doc_id in journal.docs:
            where = journal.docs[doc_id]
            if where is None:
                return None
            assert snap.journal_fd is not None
            return os.pread(snap.journal_fd, where[1], where[0])
        if snap.index is None or snap.base_map is None:
            return None
        location = snap.index.location(doc_id)
        if location is None:
            return None
        offset, length = location
        raw = snap.base_map[offset : offset + length]
        if len(raw) != length:
            raise LibraryFileError(f"{self.path} is shorter than its index says; it was left as it is")
        return raw

    def get(self, doc_id: int) -> Doc | None:
        """A document, as this transaction sees it; a new dict each call (callers may change it)."""
        pending = self._own_pending()
        if doc_id in pending:
            doc = pending[doc_id]
            return None if doc is None else orjson.loads(orjson.dumps(doc))  # type: ignore[no-any-return]
        return self.committed(doc_id)

    def holders(self, key: str) -> list[int]:
        """The documents holding identity key ``key``, lowest id first."""
        with self._state:
            snap = self._snap
            found: set[int] = set()
            journal = snap.journal
            overridden = journal.docs if journal is not None else {}
            if journal is not None:
                found.update(journal.keys.get(key, ()))
            if snap.index is not None:
                for doc_id in snap.index.candidates(key):
                    if doc_id not in overridden and doc_id not in found:
                        doc = self.committed(doc_id)  # checks a hash collision away
                        if doc is not None and key in doc_keys(doc):
                            found.add(doc_id)
        pending = self._own_pending()
        if pending:
            for doc_id, doc in pending.items():
                if doc is not None and key in doc_keys(doc):
                    found.add(doc_id)
                else:
                    found.discard(doc_id)
        return sorted(found)

    def ids(self) -> Iterator[int]:
        """Every document id, in order (a walk over the whole library: not for hot paths).

        The ids are those of the state when the walk starts (taken under the state lock: another
        thread may take in new commits meanwhile)."""
        with self._state:
            snap = self._snap
            journal = dict(snap.journal.docs) if snap.journal is not None else {}
            pending = self._own_pending()
            base = set(snap.index.ids()) if snap.index is not None else set()
        present = base | {i for i, where in journal.items() if where is not None}
        present |= {i for i, d in pending.items() if d is not None}
        present -= {i for i, where in journal.items() if where is None}
        present -= {i for i, d in pending.items() if d is None}
        yield from sorted(present)

    def _own_pending(self) -> dict[int, Doc | None]:
        """This transaction's staged changes, seen only by the thread that made them: other threads
        see a commit once it is sealed, never before (it may yet fail)."""
        return self._pending if self._pending and self._owner == threading.get_ident() else {}

    def iter_docs(self) -> Iterator[tuple[int, Doc]]:
        """Every document with its id, in id order, read one at a time."""
        for doc_id in self.ids():
            doc = self.get(doc_id)
            if doc is not None:
                yield doc_id, doc

    @property
    def counts(self) -> dict[str, int]:
        counts = dict(self._snap.counts or dict.fromkeys(COUNTS, 0))
        if self._own_pending():
            for i, n in enumerate(self._pending_delta()):
                counts[COUNTS[i]] += n
        return counts

    @property
    def next_id(self) -> int:
        pending = max(self._own_pending(), default=0) + 1
        return max(self._snap.next_id, pending)

    @property
    def state(self) -> tuple[str | None, int]:
        """What identifies the committed state: (generation, bytes of the journal's sealed commits)."""
        snap = self._snap
        journal = snap.journal
        live = journal is not None and journal.generation == snap.generation and snap.journal_fd is not None
        return (snap.generation, journal.end if live and journal is not None else 0)

    # Staying current -----------------------------------------------------------------------------

    def _on_disk(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None, int]:
        """The base's and the journal's identities as the files are now, and the journal's length
        (None, 0: no such file). Two ``stat`` calls: the change signal of the library."""
        ids: list[tuple[int, int] | None] = []
        size = 0
        for path in (self.path, self.journal_path):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                ids.append(None)
                continue
            ids.append(_file_id(st))
            size = st.st_size
        return ids[0], ids[1], size if ids[1] is not None else 0

    def changed_on_disk(self) -> bool:
        """Whether another process committed (or compacted) since this one last looked."""
        snap = self._snap
        base, journal, size = self._on_disk()
        scanned = snap.journal.scanned if snap.journal is not None else 0
        return base != snap.base_id or journal != snap.journal_id or size != scanned

    def refresh(self) -> bool:
        """Move to the newest committed state. Returns whether anything changed."""
        with self._state:
            if not self.changed_on_disk():
                return False
            before = self.state
            self._catch_up()
            return self.state != before

    def _catch_up(self) -> None:
        """Take in what was committed since: the journal's new commits, or (after a compaction, or a
        first journal) the new files."""
        snap = self._snap
        base, journal, _size = self._on_disk()
        if base == snap.base_id and journal == snap.journal_id:
            if (
                journal is not None
                and snap.journal is not None
                and snap.journal.generation == snap.generation
            ):
                assert snap.journal_fd is not None
                self._replay(snap, read_tail(snap.journal_fd, snap.journal.end), snap.journal.end)
            return
        self._open()

    # TinyDB's Storage contract -------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        header = {"app": "pmbrowse", "schema": SCHEMA_VERSION, "generation": self.generation}
        return {META_TABLE: {"1": header}, ARTICLES_TABLE: DocsView(self)}

    def write(self, data: dict[str, Any]) -> None:
        """TinyDB hands back every table. Our ``ArticleTable`` writes through ``stage`` instead, so this
        only sees whole-table replacements (``drop_tables``, a stock ``Table``): done as one commit."""
        docs = data.get(ARTICLES_TABLE, {})
        if isinstance(docs, DocsView):
            return
        with self.transaction():
            wanted = {int(i): dict(d) for i, d in docs.items()}
            self.stage(wanted, [i for i in self.ids() if i not in wanted])

    def close(self) -> None:
        with self._state:
            self._snap.close()

    # Writing -------------------------------------------------------------------------------------

    def stage(self, changed: Mapping[int, Doc], removed: Iterable[int]) -> None:
        """Changes to commit at the end of the current transaction (or now, outside one)."""
        with self.transaction():
            for doc_id, doc in changed.items():
                self._pending[int(doc_id)] = doc
            for doc_id in removed:
                self._pending[int(doc_id)] = None

    @contextlib.contextmanager
    def transaction(self, lock_timeout: float | None = None) -> Iterator[None]:
        """Hold the write lock; commit what was staged once at the end; drop it all on error.

        ``last_commit()`` then tells the state this thread's commit made."""
        if self._depth and self._owner == threading.get_ident():
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        timeout = self.lock_timeout if lock_timeout is None else lock_timeout
        with self._threads, write_lock(self.path, timeout):
            self._owner = threading.get_ident()
            self._depth = 1
            try:
                with self._state:
                    self._catch_up()
                yield
                self._commit()
            finally:
                self._pending = {}
                self._depth = 0
                self._owner = None

    def _pending_delta(self) -> list[int]:
        delta = [0, 0, 0]
        for doc_id, doc in self._pending.items():
            new, old = counts_of(doc), counts_of(self.committed(doc_id))
            for i in range(3):
                delta[i] += new[i] - old[i]
        return delta

    def last_commit(self) -> tuple[str | None, int] | None:
        """The state this thread's last commit made (None if it made none)."""
        return getattr(self._local, "committed", None)

    def _commit(self) -> None:
        self._local.committed = None
        if not self._pending and self.exists:
            return
        self._commit_pending()
        self._local.committed = self.state

    def _commit_pending(self) -> None:
        snap = self._snap
        counts = self.counts
        next_id = self.next_id
        live = (snap.counts or {}).get("records", 0) + (snap.counts or {}).get("stubs", 0)
        if not self.exists or len(self._pending) > max(REWRITE_DOCS, live // 2):
            # A bulk commit (a large import, changing much of the library): a new base costs no
            # more than journalling it would, and needs no compaction after.
            self._write_generation(snap, self._pending, counts=counts)
            self._pending = {}
            with self._state:
                self._catch_up()
            return
        lines = [
            doc_line(doc_id, [] if doc is None else doc_keys(doc), doc)
            for doc_id, doc in self._pending.items()
        ]
        body = b"".join(lines)
        if len(body) > max(REWRITE_BYTES, snap.base_size // 2):
            self._write_generation(snap, self._pending, counts=counts)
        else:
            self._append(snap, body, {"next_id": next_id, "counts": counts})
        self._pending = {}
        with self._state:
            self._catch_up()

    def _append(self, snap: Snapshot, body: bytes, meta: dict[str, Any]) -> None:
        assert snap.generation is not None
        seq = (snap.journal.commits if snap.journal is not None else 0) + 1
        payload = body + seal_line(body, {"seq": seq, **meta, "time": round(time.time(), 3)})
        journal = snap.journal
        live = journal is not None and journal.generation == snap.generation and snap.journal_fd is not None
        if not live:
            # No journal yet, or one left by a compaction that crashed before replacing it: start anew.
            self._replace_file(self.journal_path, header_line(snap.generation) + payload)
            return
        assert journal is not None
        fd = os.open(self.journal_path, os.O_WRONLY)
        try:
            if _file_id(os.fstat(fd)) != snap.journal_id:
                raise LibraryFileError(
                    f"{self.journal_path} was replaced during a write; nothing was changed"
                )
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

    def _replace_file(self, path: Path, content: bytes, mode: int | None = None) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        fsync_dir(path.parent)

    # Compaction ----------------------------------------------------------------------------------

    @property
    def base_size(self) -> int:
        """The size of the base file this process reads."""
        return self._snap.base_size

    def journal_size(self) -> int:
        journal = self._snap.journal
        return journal.end if journal is not None else 0

    def needs_compaction(self) -> bool:
        return self.journal_size() > compact_threshold(self._snap.base_size)

    def compact(
        self, lock_timeout: float | None = None
    ) -> tuple[tuple[str | None, int], tuple[str | None, int]] | None:
        """Fold the journal into a new base file. Returns the states before and after (the documents
        are the same in both), or None when there was nothing to fold."""
        with self.transaction(lock_timeout):
            snap = self._snap
            if not snap.journal or not snap.journal.commits:
                return None
            before = self.state
            self._write_generation(snap, {}, counts=dict(snap.counts or {}))
            with self._state:
                self._catch_up()
            return before, self.state

    def _write_generation(
        self, snap: Snapshot, pending: Mapping[int, Doc | None], *, counts: dict[str, int] | None = None
    ) -> None:
        """Write the state ``snap`` + ``pending`` as a new base and index, and swap them in (see the
        module docstring for the order, which makes the base's rename the commit point)."""
        generation = secrets.token_hex(8)
        if isinstance(pending, _StreamedDocs):
            self._write_streamed(generation, pending.stream())
            return
        journal = snap.journal.docs if snap.journal is not None else {}
        held = snap.journal.held if snap.journal is not None else {}
        fresh = {i for i in journal} | set(pending)
        base_ids = list(snap.index.ids()) if snap.index is not None else []
        ids = sorted(set(base_ids) | {i for i in journal if journal[i] is not None} | set(pending))
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        base_tmp = folder / f".{self.path.name}.{os.getpid()}.tmp"
        index_tmp = folder / f".{self.index_path.name}.{os.getpid()}.tmp"
        max_id = ids[-1] if ids else 0
        _check_ids(self.path, max_id, len(ids))
        self._remove_stale_temp_files()
        data = _index_data(generation, {}, 0, max_id)
        total = [0, 0, 0]
        pairs: list[int] = []
        try:
            with open(base_tmp, "wb") as fh:
                writer = fileformat.BaseWriter(
                    fh, {"app": "pmbrowse", "schema": SCHEMA_VERSION, "generation": generation}
                )
                k = 0
                while k < len(ids):
                    doc_id = ids[k]
                    if counts is not None and doc_id not in fresh:
                        run = self._base_run(snap, ids, k, fresh)
                        if run > k:  # unchanged documents side by side: copied as one slice
                            self._copy_run(snap, writer, data, ids[k : run + 1])
                            k = run + 1
                            continue
                    k += 1
                    raw, keys, doc = self._source(snap, doc_id, pending, journal, held)
                    if raw is None:
                        continue
                    data.offsets[doc_id] = writer.add(doc_id, raw)
                    data.lengths[doc_id] = len(raw)
                    if doc_id in fresh:
                        pairs.extend(pairs_of(doc_id, keys))
                    if counts is None:
                        for i, n in enumerate(counts_of(doc if doc is not None else orjson.loads(raw))):
                            total[i] += n
                writer.close()
                fh.flush()
                os.fsync(fh.fileno())
            if snap.index is not None:
                pairs.extend(snap.index.pairs_except(fresh))
            pairs.sort()
            data.pairs = pairs
            data.counts = counts if counts is not None else dict(zip(COUNTS, total, strict=True))
            data.next_id = max(max_id + 1, snap.next_id, max(pending, default=0) + 1)
            self._swap_in(generation, base_tmp, index_tmp, data)
        except BaseException:
            for tmp in (base_tmp, index_tmp):
                with contextlib.suppress(OSError):
                    tmp.unlink()
            raise

    def _swap_in(self, generation: str, base_tmp: Path, index_tmp: Path, data: IndexData) -> None:
        """Put a new generation in place: its index, then its base (the commit point), then a new
        journal. The new files keep the old base's permissions."""
        folder = self.path.parent
        try:
            mode: int | None = os.stat(self.path).st_mode & 0o777
        except OSError:
            mode = None
        if mode is not None:
            os.chmod(base_tmp, mode)
        st = os.stat(base_tmp)
        data.base = (st.st_size, st.st_mtime_ns)
        write_index(index_tmp, data)
        if mode is not None:
            os.chmod(index_tmp, mode)
        os.replace(index_tmp, self.index_path)
        os.replace(base_tmp, self.path)  # the commit point
        fsync_dir(folder)
        # The old journal is obsolete now; replace it by an empty one of the new generation. If that
        # fails (a full disk), the commit stands: an obsolete journal is ignored, and the next commit
        # starts a new one.
        with contextlib.suppress(OSError):
            self._replace_file(self.journal_path, header_line(generation), mode)

    def _remove_stale_temp_files(self) -> None:
        """Temp files left by a writer that was killed mid-compaction (library-sized): we hold the lock."""
        for name in (self.path.name, self.index_path.name, self.journal_path.name):
            for stale in self.path.parent.glob(f".{name}.*.tmp"):
                with contextlib.suppress(OSError):
                    stale.unlink()

    def _write_streamed(self, generation: str, docs: Iterator[tuple[int, Doc]]) -> None:
        """``_write_generation`` for a new library whose documents arrive one at a time."""
        from array import array

        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        base_tmp = folder / f".{self.path.name}.{os.getpid()}.tmp"
        index_tmp = folder / f".{self.index_path.name}.{os.getpid()}.tmp"
        offsets, lengths = array("Q", [0]), array("I", [0])
        pairs: list[int] = []
        total = [0, 0, 0]
        try:
            with open(base_tmp, "wb") as fh:
                header = {"app": "pmbrowse", "schema": SCHEMA_VERSION, "generation": generation}
                writer = fileformat.BaseWriter(fh, header)
                for doc_id, doc in docs:
                    if doc_id < len(offsets):
                        raise ValueError("documents must come in increasing id order")
                    gap = doc_id - len(offsets)
                    offsets.extend([0] * gap)
                    lengths.extend([0] * gap)
                    raw = orjson.dumps(doc)
                    offsets.append(writer.add(doc_id, raw))
                    lengths.append(len(raw))
                    pairs.extend(pairs_of(doc_id, doc_keys(doc)))
                    for i, n in enumerate(counts_of(doc)):
                        total[i] += n
                writer.close()
                fh.flush()
                os.fsync(fh.fileno())
            pairs.sort()
            data = IndexData(
                generation=generation,
                counts=dict(zip(COUNTS, total, strict=True)),
                next_id=len(offsets),
                offsets=offsets,
                lengths=lengths,
                pairs=pairs,
            )
            self._swap_in(generation, base_tmp, index_tmp, data)
        except BaseException:
            for tmp in (base_tmp, index_tmp):
                with contextlib.suppress(OSError):
                    tmp.unlink()
            raise

    @staticmethod
    def _base_run(snap: Snapshot, ids: list[int], k: int, fresh: set[int]) -> int:
        """The last position of the run of base documents from ``ids[k]`` that no commit since the base
        changed: they lie side by side in the base file, in id order."""
        index = snap.index
        first = index.location(ids[k]) if index is not None else None
        if index is None or first is None:
            return k - 1
        end = k
        while end + 1 < len(ids) and ids[end + 1] not in fresh:
            location = index.location(ids[end + 1])
            if location is None or location[0] + location[1] - first[0] > RUN_BYTES:
                break  # (a run is copied through memory: a few megabytes at a time)
            end += 1
        return end

    def _copy_run(
        self, snap: Snapshot, writer: fileformat.BaseWriter, data: IndexData, run: list[int]
    ) -> None:
        """Copy unchanged documents with the separators between them in one slice (compaction of a large
        library is mostly this), shifting their offsets."""
        assert snap.index is not None and snap.base_map is not None
        first, last = snap.index.location(run[0]), snap.index.location(run[-1])
        assert first is not None and last is not None
        raw = snap.base_map[first[0] : last[0] + last[1]]
        if len(raw) != last[0] + last[1] - first[0]:
            raise LibraryFileError(f"{self.path} is shorter than its index says; it was left as it is")
        start = writer.add(run[0], raw)
        shift = start - first[0]
        for doc_id in run:
            location = snap.index.location(doc_id)
            assert location is not None
            data.offsets[doc_id] = location[0] + shift
            data.lengths[doc_id] = location[1]

    def _source(
        self,
        snap: Snapshot,
        doc_id: int,
        pending: Mapping[int, Doc | None],
        journal: Mapping[int, tuple[int, int] | None],
        held: Mapping[int, list[str]],
    ) -> tuple[bytes | None, list[str], Doc | None]:
        """A document's JSON for a new base: from ``pending``, the journal, or the base (copied as is)."""
        if doc_id in pending:
            doc = pending[doc_id]
            if doc is None:
                return None, [], None
            return orjson.dumps(doc), doc_keys(doc), doc
        if doc_id in journal:
            where = journal[doc_id]
            if where is None:
                return None, [], None
            assert snap.journal_fd is not None
            return os.pread(snap.journal_fd, where[1], where[0]), held.get(doc_id, []), None
        assert snap.index is not None and snap.base_map is not None
        location = snap.index.location(doc_id)
        if location is None:
            return None, [], None
        offset, length = location
        raw = snap.base_map[offset : offset + length]
        if len(raw) != length:
            raise LibraryFileError(f"{self.path} is shorter than its index says; it was left as it is")
        return raw, [], None


def _check_ids(path: Path, max_id: int, count: int) -> None:
    """Document ids pmbrowse writes are dense; a file with huge ones (edited by hand, or by another
    program) would make the document index as large as its largest id."""
    if max_id >= 1 << 32 or max_id > 64 * (count + 1024):
        raise LibraryFileError(
            f"{path} has document ids up to {max_id} for {count} documents, which pmbrowse never writes; "
            "it was left as it is"
        )


def _index_data(generation: str, counts: dict[str, int], next_id: int, max_id: int) -> IndexData:
    from array import array

    return IndexData(
        generation=generation,
        counts=counts,
        next_id=next_id,
        offsets=array("Q", bytes(8 * (max_id + 1))),
        lengths=array("I", bytes(4 * (max_id + 1))),
        pairs=[],
    )


class _MemoryIndex:
    """An index kept in memory (for a base whose folder cannot be written); same interface as DocIndex."""

    def __init__(self, data: IndexData) -> None:
        self.generation = data.generation
        self.base = data.base
        self.counts = data.counts
        self.next_id = data.next_id
        self.max_id = len(data.offsets) - 1
        self._data = data
        self._keys: dict[int, list[int]] = {}
        for pair in data.pairs:
            self._keys.setdefault(pair >> 32, []).append(pair & 0xFFFFFFFF)

    def location(self, doc_id: int) -> tuple[int, int] | None:
        if 0 < doc_id <= self.max_id and self._data.offsets[doc_id]:
            return self._data.offsets[doc_id], self._data.lengths[doc_id]
        return None

    def candidates(self, key: str) -> list[int]:
        from store.docindex import key_hash

        return list(self._keys.get(key_hash(key), ()))

    def ids(self) -> Iterator[int]:
        return (i for i in range(1, self.max_id + 1) if self._data.offsets[i])

    def pairs_except(self, dropped: set[int]) -> Iterator[int]:
        return (p for p in self._data.pairs if (p & 0xFFFFFFFF) not in dropped)

    def close(self) -> None:
        pass


class DocsView(Mapping[str, Doc]):
    """The ``articles`` table as TinyDB reads it: documents decoded one at a time, on demand."""

    def __init__(self, storage: LibraryStorage) -> None:
        self._storage = storage

    def __getitem__(self, key: str) -> Doc:
        if not (key.isascii() and key.isdigit()):
            raise KeyError(key)
        doc = self._storage.get(int(key))
        if doc is None:
            raise KeyError(key)
        return doc

    def __iter__(self) -> Iterator[str]:
        return (str(i) for i in self._storage.ids())

    def __len__(self) -> int:
        counts = self._storage.counts
        return counts["records"] + counts["stubs"]


class CopyOnWrite(MutableMapping[int, Doc]):
    """What TinyDB's table updaters change: documents are read on first touch and written back only if
    they changed (see ``store.library.ArticleTable``)."""

    def __init__(self, storage: LibraryStorage) -> None:
        self._storage = storage
        self.touched: dict[int, Doc] = {}
        self.originals: dict[int, bytes] = {}
        self.removed: set[int] = set()

    def __getitem__(self, doc_id: int) -> Doc:
        if doc_id in self.removed:
            raise KeyError(doc_id)
        doc = self.touched.get(doc_id)
        if doc is None:
            doc = self._storage.get(doc_id)
            if doc is None:
                raise KeyError(doc_id)
            self.touched[doc_id] = doc
            self.originals[doc_id] = orjson.dumps(doc)
        return doc

    def __setitem__(self, doc_id: int, doc: Doc) -> None:
        self.removed.discard(doc_id)
        self.touched[doc_id] = doc
        self.originals.pop(doc_id, None)

    def __delitem__(self, doc_id: int) -> None:
        self[doc_id]
        self.touched.pop(doc_id, None)
        self.removed.add(doc_id)

    def __iter__(self) -> Iterator[int]:
        ids = [i for i in self._storage.ids() if i not in self.removed]
        extra = [i for i in self.touched if i not in set(ids)]
        return iter(ids + extra)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def changed(self) -> dict[int, Doc]:
        return {
            i: doc
            for i, doc in self.touched.items()
            if i not in self.originals or orjson.dumps(doc) != self.originals[i]
        }


def fileformat_generation(path: Path) -> str | None:
    """The generation named in the header of the base file at ``path`` now (None if unreadable)."""
    try:
        with open(path, "rb") as fh:
            header, _start = fileformat.read_base_header(fh.read(65536))
    except OSError:
        return None
    generation = header.get("generation") if header else None
    return generation if isinstance(generation, str) else None


def committed_state(path: str | os.PathLike[str]) -> tuple[str | None, int] | None:
    """The committed state of the library at ``path`` (as ``LibraryStorage.state`` gives it), read from
    the base's header and the journal alone; None if there is no library in this version's layout."""
    real = Path(os.path.realpath(path))
    try:
        with open(real, "rb") as fh:
            header, _start = fileformat.read_base_header(fh.read(65536))
    except OSError:
        return None
    if header is None or not isinstance(header.get("generation"), str):
        return None
    generation: str = header["generation"]
    try:
        with open(real.with_name(real.name + ".journal"), "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return (generation, 0)
    except OSError:
        return None
    journal_generation, start = read_header(raw)
    if journal_generation != generation:
        return (generation, 0)
    journal = Replay(generation=generation, end=start)
    replay(raw[start:], journal, start)
    return (generation, journal.end)


def write_new_library(path: str | os.PathLike[str], docs: Iterable[tuple[int, Doc]]) -> dict[str, int]:
    """Write a library that does not exist yet from documents already in stored form (links as ids),
    streamed in id order: a bulk load for generated libraries (``bench/``) and conversions. Returns the
    counts. Refuses to replace an existing library."""
    real = Path(os.path.realpath(path))
    if real.exists():
        raise FileExistsError(f"{real} exists")
    storage = LibraryStorage.__new__(LibraryStorage)
    storage.path = real
    storage.index_path = real.with_name(real.name + ".idx")
    storage.journal_path = real.with_name(real.name + ".journal")
    storage.lock_timeout = None
    storage.notices = []
    storage._threads = threading.RLock()
    storage._state = threading.RLock()
    storage._pending = {}
    storage._local = threading.local()
    storage._snap = Snapshot()
    with write_lock(real):
        storage._write_generation(Snapshot(), _StreamedDocs(docs))
    counts = dict(DocIndex(storage.index_path).counts)
    return counts


class _StreamedDocs(Mapping[int, "Doc | None"]):
    """Documents handed over one at a time in id order, as ``_write_generation`` reads them."""

    def __init__(self, docs: Iterable[tuple[int, Doc]]) -> None:
        self._docs = iter(docs)
        self._ids: list[int] | None = None
        self._current: tuple[int, Doc] | None = None

    def __iter__(self) -> Iterator[int]:
        raise TypeError("streamed documents are read once, in order")

    def __len__(self) -> int:
        return 0

    def __getitem__(self, doc_id: int) -> Doc | None:
        raise KeyError(doc_id)

    def stream(self) -> Iterator[tuple[int, Doc]]:
        return self._docs
