"""A TinyDB storage for small pmbrowse files (the marks file): load once, serve reads from memory,
write the whole file atomically. (The library itself, which can be large, is ``store.storage``.)

TinyDB's own ``JSONStorage`` re-parses the whole file on every read and rewrites it in place on every
write, so a crash mid-write can leave half a file. This storage instead

- parses the file once (orjson, with the garbage collector paused: millions of small objects);
- serves every ``read()`` from that in-memory dict;
- inside a transaction, holds writes until the transaction ends and then writes once;
- writes with ``store.atomicwrite.replace_file`` (a temp file in the same folder, fsynced, renamed over
  the old one, the folder fsynced; through a symbolic link to its target), so a reader (or a crash)
  sees either the old file or the new one, never a mix;
- refuses a FIFO, a device or a folder in place of the file, before opening it (reading a FIFO or
  ``/dev/zero`` would never end);
- refuses to load (and so never overwrites) a file that is not a pmbrowse library, saying why.

Concurrency: a transaction takes the write lock (``store.lock``) and, if another process replaced the
file since we read it, reloads it first, so two writers never lose each other's changes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from store import fileformat
from store.atomicwrite import (
    NotARegularFile,
    check_regular,
    fsync_dir,
    prepare_file,
    remove_temp_files,
    replace_file,
    target_of,
)
from store.errors import LibraryFileError
from store.lock import write_lock
from store.schema import LIBRARY, META_TABLE, Layout, kind_of

Data = dict[str, dict[str, Any]]
Fingerprint = tuple[int, int, int]


def fingerprint(path: Path) -> Fingerprint | None:
    """What identifies one version of the file on disk: each atomic replace makes a new inode."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects.

    Loading or importing a large library allocates objects without cycles; the collector would
    otherwise scan the whole growing heap again and again (seconds at 100k records). On the way
    out, what was built is frozen (moved out of the collector's sight) before collection resumes:
    otherwise the first collection after would scan all of it at once, a pause of seconds.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def read_library_file(path: Path, layout: Layout = LIBRARY) -> Data:
    """Parse and check a library (or another ``layout``'s) file; raise LibraryFileError saying what is
    wrong and where."""
    noun = layout.noun
    try:
        check_regular(path)
        raw = path.read_bytes()
    except NotARegularFile as exc:
        raise LibraryFileError(f"cannot read the {noun} {path}: it is {exc.what}, not a file") from None
    except OSError as exc:
        raise LibraryFileError(f"cannot read the {noun} {path}: {exc.strerror or exc}") from None
    if not raw or raw.isspace():  # (isspace stops at the first other byte; strip would copy it all)
        raise LibraryFileError(
            f"{path} is empty, so it is not a pmbrowse {noun}; it was left as it is "
            "(remove it, or choose another file with --db)"
        )
    try:
        with paused_gc():
            data = fileformat.load(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{path} is not a pmbrowse {noun}: invalid JSON at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}); it was left as it is"
        ) from None
    problem = _check_shape(data, layout)
    if problem:
        raise LibraryFileError(f"{path} is not a pmbrowse {noun}: {problem}; it was left as it is")
    assert isinstance(data, dict)
    schema = data[META_TABLE]["1"]["schema"]
    if schema > layout.version:
        raise LibraryFileError(
            f"{path} was written by a newer pmbrowse ({layout.kind} schema {schema}; this version reads "
            f"up to {layout.version}); upgrade pmbrowse to open it"
        )
    try:
        return layout.migrate(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise LibraryFileError(
            f"{path} is not a usable pmbrowse {noun}: {exc}; it was left as it is"
        ) from None


def _check_shape(data: object, layout: Layout) -> str:
    if not isinstance(data, dict):
        return f"the top level is a JSON {type(data).__name__}, not an object of tables"
    meta = data.get(META_TABLE)
    header = meta.get("1") if isinstance(meta, dict) else None
    if not isinstance(header, dict) or header.get("app") != "pmbrowse":
        return f"it has no pmbrowse header (table {META_TABLE!r})"
    if not isinstance(header.get("schema"), int):
        return "its header has no schema version"
    if (kind := kind_of(header)) != layout.kind:
        return f"it is a pmbrowse {kind} file"
    for name, table in data.items():
        if not isinstance(table, dict):
            return f"table {name!r} is not a JSON object"
        for doc_id, doc in table.items():
            if not isinstance(doc, dict) or not (doc_id.isascii() and doc_id.isdecimal()):
                return f"table {name!r} has a malformed document (id {doc_id!r})"
    return ""


class WholeFileStorage(Storage):  # type: ignore[misc]
    """A TinyDB storage for one small pmbrowse file of the given ``layout`` (see ``store.schema``)."""

    def __init__(
        self, path: str | os.PathLike[str], *, lock_timeout: float | None = None, layout: Layout = LIBRARY
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.layout = layout
        self._depth = 0
        self._dirty = False
        self._owner: int | None = None  # the thread inside a transaction
        self._threads = threading.Lock()
        self._seen: Fingerprint | None = None
        self._staged = False  # (written to a temp file that ``store.intent`` renames into place)
        self._data: Data = self._load()

    @property
    def seen(self) -> Fingerprint | None:
        """The fingerprint of the file as this process last read or wrote it."""
        return self._seen

    @property
    def exists(self) -> bool:
        """Whether the library file is on disk (it is not until the first write of a new library)."""
        return self._seen is not None

    def _load(self) -> Data:
        seen = fingerprint(self.path)
        data = self.layout.new_data() if seen is None else read_library_file(self.path, self.layout)
        self._seen = seen
        return data

    # TinyDB's Storage contract ---------------------------------------------------------------

    def read(self) -> Data:
        return self._data

    def write(self, data: Data) -> None:
        self._data = data
        if self._depth and self._owner == threading.get_ident():
            self._dirty = True
        else:
            with self.transaction():
                self._dirty = True

    def close(self) -> None:
        pass

    # Transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[bool]:
        """Hold the write lock; write once at the end if anything changed; roll back on error.

        Yields True when the file had been replaced by another process and was reloaded, so the
        caller can rebuild whatever it derived from the old data.
        """
        if self._depth and self._owner == threading.get_ident():
            self._depth += 1
            try:
                yield False
            finally:
                self._depth -= 1
            return
        # Threads of this process take turns (the app fetches in workers); other processes are kept
        # out by the file lock.
        with self._threads, write_lock(self.path, self.lock_timeout):
            self._owner = threading.get_ident()
            reloaded = False
            if fingerprint(self.path) != self._seen:
                self._data = self._load()
                reloaded = True
            self._depth = 1
            try:
                yield reloaded
                self.flush()
            except BaseException:
                if self._dirty or self._staged:
                    # The file on disk is the last good state: go back to it.
                    self._data = self._load()
                raise
            finally:
                self._depth = 0
                self._dirty = False
                self._staged = False
                self._owner = None

    def flush(self) -> bool:
        """Inside a transaction: write now if anything changed. Returns whether it wrote."""
        if not self._dirty:
            return False
        self._flush()
        self._dirty = False
        return True

    def stage(self, suffix: str) -> tuple[Path, Path] | None:
        """Inside a transaction: write what changed to a temp file beside the file, for ``store.intent``
        to rename into place when the library has committed, rather than at the end of the transaction.
        Returns (the temp file, the file), or None when nothing changed."""
        if not self._dirty:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staged = prepare_file(self.path, fileformat.dump(self._data), suffix=suffix)
        self._dirty, self._staged = False, True
        return staged

    def committed_elsewhere(self) -> None:
        """The temp file ``stage`` wrote was renamed into place: it is what this storage holds now."""
        self._staged = False
        self._seen = fingerprint(self.path)

    def _flush(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = fileformat.dump(self._data)
        remove_temp_files(target_of(self.path))  # (left by a writer that was killed: we hold the lock)
        replace_file(self.path, payload, special=False)
        self._seen = fingerprint(self.path)


__all__ = ["WholeFileStorage", "fingerprint", "fsync_dir", "paused_gc", "read_library_file"]
