"""Reading a search index its process cannot write to (read-only media, another user's folder).

tantivy takes a lock file (``.tantivy-meta.lock``) in the index's folder to read even a reader's
``meta.json``, and opening it for writing fails there: "Failed to acquire Lockfile ... Read-only file
system". Without this, every search of a library on read-only media rebuilt the whole index in a
temporary folder (3.4 s at 10,000 records, in proportion to the library), and ``pmbrowse check`` said
the index was damaged. A *shadow* is a temporary folder holding a symbolic link to each of the index's
files, and lock files of its own: tantivy reads the index through the links, and locks in the shadow.
It costs a link per file (a few dozen), not a copy. Each opening makes its own shadow (a writer with
access may change the index meanwhile; a shadow sees the files as they were when it was made), removed
when the process ends.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

LOCKS = (".tantivy-meta.lock", ".tantivy-writer.lock")


def cannot_lock(exc: BaseException) -> bool:
    """Whether tantivy failed to open an index because it could not take its lock file."""
    return "Lockfile" in str(exc)


def scratch_folder(folder: Path) -> Path:
    """Where the index that belongs in ``folder`` is built when that folder cannot be written (it is
    missing or stale there), once per process: a folder of the same name in a temporary folder."""
    made = Path(tempfile.mkdtemp(prefix="pmbrowse-index-")) / folder.name
    atexit.register(shutil.rmtree, made.parent, True)
    return made


def shadow(folder: Path) -> Path:
    """A new folder that tantivy reads as the index in ``folder`` (see the module docstring)."""
    made = Path(tempfile.mkdtemp(prefix="pmbrowse-index-shadow-"))
    atexit.register(shutil.rmtree, made, True)
    for entry in folder.iterdir():
        if entry.name not in LOCKS:
            (made / entry.name).symlink_to(entry.resolve())
    for name in LOCKS:
        (made / name).touch()
    return made
