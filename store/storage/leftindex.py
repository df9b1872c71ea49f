"""The index a compaction wrote and did not put in place: a crash between its two renames.

A compaction (``store.storage.generation``) writes its new index beside the library as a temp file
(``.library.json.idx.PID.tmp``), renames its new base in (the commit point), then renames the index in.
Killed between the two, it leaves the new base, the old generation's index, and the new base's index,
whole, in that temp file. Opening such a library waited ~1 s of looks (a live compaction is between
its renames only for an instant), then rebuilt the index by reading the base whole: 8 s for a base of
214 MB, at the first open after the crash.

Now the opening takes the write lock, if it is free, and puts the temp file in place when it is this
base's index: checked as every index is opened (``DocIndex``: the CRC-32s of its header, columns and
keys; each head's as it is read), of this base's generation, made for its size and time, and for its
bytes: the base's CRC-32 against the one the index recorded (a base edited in place since, its size and
time put back, is what the index's change time tells otherwise, ``snapshot.index_current``, and a
renamed temp file's change time is new; 0.35 s for 214 MB, where a rebuild takes 8 s). A write lock
held by another open file may be a compaction about to rename its own index in: that is still looked
at again (``store.storage.reader``), and so is a lock this process cannot take for want of the right
to write its file, while another holds it (``lock.held``). A free lock and no such file: nothing will
put an index in place, so the index is rebuilt at once, without the looks. A transaction's own thread,
which holds the lock, catching up with the library (one open before the crash) puts the index in place
as it is (``LibraryFiles.write_lock_now``, as the index's rebuild does: that thread is no compaction
between its renames; ``Committer`` catches up before it removes the temp files writers killed left,
this one among them).
"""

from __future__ import annotations

import os
from pathlib import Path

from store import atomicwrite, fileformat, indexheader
from store.docindex import DocIndex, IndexFileError
from store.errors import LibraryBusyError
from store.lock import held
from store.storage.files import LibraryFiles

# What ``put_in_place`` found.
PUT = "put in place"  # (or one of this base's generation is there now: open it again)
NONE_LEFT = "none left"  # (the lock is free: nothing else will put one in place)
BUSY = "busy"  # (another open file holds the lock: maybe a compaction between its renames)


def put_in_place(files: LibraryFiles, generation: str, base_fd: int) -> str:
    """Put in place an index that a writer left beside the library for its base (``base_fd``, open, of
    ``generation``), under the write lock."""
    try:
        with files.write_lock_now():
            return _under_lock(files, generation, base_fd)
    except LibraryBusyError:
        return BUSY
    except OSError:
        # (a read-only folder or lock file: then this process can put nothing in place, but another
        # may be writing; as a lock that cannot be asked about, looked at again)
        return NONE_LEFT if held(files.path) is False else BUSY


def _under_lock(files: LibraryFiles, generation: str, base_fd: int) -> str:
    base = os.fstat(base_fd)
    try:
        now = os.stat(files.path)
    except FileNotFoundError:
        return BUSY
    if (now.st_dev, now.st_ino) != (base.st_dev, base.st_ino):
        return BUSY  # (the base was replaced since it was opened: look again)
    header = indexheader.read_header(files.index_path)
    if header is not None and header.get("generation") == generation:
        return PUT  # (another opener, or the compaction itself, put it in place since it was read)
    crc: int | None = None
    for left in sorted(files.index_path.parent.glob(f".{files.index_path.name}.*.tmp")):
        index = _index_of(left, generation, base)
        if index is None:
            continue
        if crc is None:
            crc = fileformat.file_crc(base_fd, base.st_size)
        if index.base_crc == crc and _same(os.fstat(base_fd), base):
            index.close()
            atomicwrite.rename(left, files.index_path)
            atomicwrite.fsync_dir(files.path.parent)
            return PUT
        index.close()
    return NONE_LEFT


def _index_of(path: Path, generation: str, base: os.stat_result) -> DocIndex | None:
    """The index in ``path`` if it is whole, of ``generation``, made for ``base``'s size and time."""
    try:
        index = DocIndex(path, whole=True)  # (a FIFO or a device is refused; every block checked)
    except (OSError, IndexFileError):
        return None
    if index.generation == generation and index.base == (base.st_size, base.st_mtime_ns):
        return index
    index.close()
    return None


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ctime_ns) == (b.st_size, b.st_mtime_ns, b.st_ctime_ns)
