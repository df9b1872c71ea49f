"""The document index of the library the app starts on, opened before anything else of start-up's
first page (``tui.firstpage``), and handed to the storage that opens it.

The index's columns and keys are checked against their CRC-32 in a thread (``DocIndex``
``check_later``: ``zlib.crc32`` lets go of the interpreter's lock, so on the other core), begun at the
first read of a column (since stop 47: a first list from the newest segment's top reads none, and is
not held up by a check of 72.7 MB at a million records), and the first page waits for that check
before it shows what it read. That is an index written before stop 49 (``PMBIDX04``); one written
since is checked by the block as it is read (``store.indexblocks``), and has no such check to wait for.
Opened here, first, a check the first page begins runs beside the search index's modules' import
(30-45 ms, which only the interpreter's one lock runs).

Nothing is trusted sooner: the index taken is the one ``DocIndex(path, check_later=True)`` would
have opened, its check under way, and whoever takes it waits for that check (``verify``) before it
shows what it read, as before. It is taken only if the file at its path is still the one it opened
(device, inode, size, times): an index replaced since (rebuilt, folded: written aside and renamed) is
closed and the new one opened as ever. Taken once; a failure to open here is no answer (the storage
opens it again and says what is wrong).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from store.docindex import DocIndex, IndexFileError

_lock = threading.Lock()
_begun: dict[str, tuple[DocIndex, tuple[int, ...]]] = {}


def index_path(library: Path | str) -> Path:
    """Where the document index of the library at ``library`` is (as ``LibraryFiles.index_path``: a
    symbolic link resolved)."""
    real = Path(os.path.realpath(library))
    return real.with_name(real.name + ".idx")


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def begin(library: Path | str) -> None:
    """Open the document index of the library at ``library`` and begin its check, for ``take``."""
    path = index_path(library)
    try:
        index = DocIndex(path, check_later=True)
    except (IndexFileError, OSError):
        return
    try:
        stat = index.file_stat()
    except OSError:
        stat = None
    if stat is None:
        index.close()
        return
    seen = _identity(stat)
    with _lock:
        old = _begun.pop(str(path), None)
        _begun[str(path)] = (index, seen)
    if old is not None:
        old[0].close()


def take(path: Path) -> DocIndex | None:
    """The index begun for the index file at ``path``, if it is still the file there (None: none was
    begun, or the file was replaced since; the one begun is then closed)."""
    with _lock:
        begun = _begun.pop(str(path), None)
    if begun is None:
        return None
    index, seen = begun
    try:
        same = _identity(os.stat(path)) == seen
    except OSError:
        same = False
    if same:
        return index
    index.close()
    return None


def discard() -> None:
    """Close what was begun and not taken (the first page failed before it opened the storage)."""
    with _lock:
        left = list(_begun.values())
        _begun.clear()
    for index, _seen in left:
        index.close()
