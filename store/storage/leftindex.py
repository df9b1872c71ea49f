"""The index a compaction wrote and did not put in place: a crash between its two renames.

A compaction (``store.storage.generation``) writes its new index beside the library as a temp file
(``.library.json.idx.PID.tmp``), renames its new base in (the commit point), then renames the index in.
Killed between the two, it leaves the new base, the old generation's index, and the new base's index,
whole, in that temp file. Opening such a library waited ~1 s of looks (a live compaction is between
its renames only for an instant), then rebuilt the index by reading the base whole: 7.8 s for a base of
214 MB, at the first open after the crash.

Now the opening takes the write lock, if it is free, and puts the temp file in place when it is this
base's index: checked as every index is opened (``DocIndex``: the CRC-32s of its header, columns and
keys; each head's as it is read), of this base's generation, made for its size and time. A write lock
held by another process may be a compaction about to rename its own index in: that is still looked at
again (``store.storage.reader``). A free lock and no such file: nothing will put an index in place, so
the index is rebuilt at once, without the looks.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from store import atomicwrite
from store.docindex import DocIndex, IndexFileError
from store.errors import LibraryBusyError
from store.lock import write_lock
from store.storage.files import LibraryFiles

# What ``put_in_place`` found.
PUT = "put in place"
NONE_LEFT = "none left"  # (the lock is free: nothing else will put one in place)
BUSY = "busy"  # (a writer holds the lock: maybe a compaction between its renames)


def put_in_place(files: LibraryFiles, generation: str, base: os.stat_result) -> str:
    """Put in place an index that a writer left beside the library for this base (``base``: the
    base's ``fstat`` as it was opened, of ``generation``), under the write lock."""
    try:
        with write_lock(files.path, 0):
            with contextlib.suppress(OSError):
                now = os.stat(files.path)
                if (now.st_dev, now.st_ino) != (base.st_dev, base.st_ino):
                    return BUSY  # (the base was replaced since it was opened: look again)
            for left in sorted(files.index_path.parent.glob(f".{files.index_path.name}.*.tmp")):
                if _is_index_of(left, generation, base):
                    atomicwrite.rename(left, files.index_path)
                    atomicwrite.fsync_dir(files.path.parent)
                    return PUT
    except LibraryBusyError:
        return BUSY
    except OSError:
        pass  # (a read-only folder: no writer there either, and nothing can be put in place)
    return NONE_LEFT


def _is_index_of(path: Path, generation: str, base: os.stat_result) -> bool:
    try:
        index = DocIndex(path)  # (a FIFO or a device is refused)
    except (OSError, IndexFileError):
        return False
    try:
        return index.generation == generation and index.base == (base.st_size, base.st_mtime_ns)
    finally:
        index.close()
