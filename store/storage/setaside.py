"""What ``pmbrowse repair`` cannot use, kept aside (``NAME.damaged-<UTC time>``), never deleted; and a
repair's step that fails taking back the copies it kept of files still in place as they were.

A repair keeps a file aside by renaming it (a FIFO where the journal should be: it is not in the
library's place any more), or, where the file stays in use until the new generation replaces it (a
journal some of whose commits are left out, a segment read past its damage, a base written anew from
what can be read), by a hard link to it, or a copy where links cannot be made. On a full disk, the new
generation's write fails after those copies were made: each run left one more, and the library's
folder changed, so the command could not say the library was left as it was (stop 35). The copies are
taken back when the step that made them fails before its commit point (``copies_taken_back``).
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from store.atomicwrite import rename
from store.storage.files import LibraryFiles


def set_aside(path: Path, *, copy: bool = False, into: Path | None = None, name: str = "") -> Path:
    """Rename ``path`` (or with ``copy``, hard-link it, or copy it where links cannot be made) to
    ``NAME.damaged-<UTC time>`` beside it (or in folder ``into``, as ``name``), never over anything;
    returns the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder, name = into or path.parent, name or path.name
    aside = folder / f"{name}.damaged-{stamp}"
    n = 1
    while os.path.lexists(aside):
        n += 1
        aside = folder / f"{name}.damaged-{stamp}-{n}"
    if not copy:
        rename(path, aside)
        return aside
    try:
        os.link(path, aside)
    except OSError:
        try:
            shutil.copyfile(path, aside)
        except BaseException:
            with contextlib.suppress(OSError):  # (a copy cut short, by a full disk: not left behind)
                os.unlink(aside)
            raise
    return aside


@contextlib.contextmanager
def copies_taken_back(files: LibraryFiles) -> Iterator[None]:
    """A repair's step that fails (a full disk) takes back the copies it kept aside (``set_aside``
    with ``copy``: hard links, or copies) of files still in place as they were, the base not replaced
    since the step began: the library is then as it was, and a repair run again on a full disk does
    not leave one more ``NAME.damaged-*`` each time. What was renamed aside is not in place any more,
    and stays aside; so does all once the step's new base is in (its commit point)."""
    folder = files.path.parent
    before = set(os.listdir(folder))
    base = _identity(files.path)
    try:
        yield
    except BaseException:
        if base is not None and _identity(files.path) == base:
            for name in set(os.listdir(folder)) - before:
                original = _original(files, name)
                if original is not None and _same(folder / name, original):
                    with contextlib.suppress(OSError):
                        os.unlink(folder / name)
        raise


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _original(files: LibraryFiles, name: str) -> Path | None:
    """The file a copy ``name`` set aside beside the library was made of (``set_aside``'s names)."""
    kept, found, _stamp = name.rpartition(".damaged-")
    if not found:
        return None
    segments = files.segments_path.name + "."
    if kept.startswith(segments):
        return files.segments_path / kept.removeprefix(segments)
    return files.path.parent / kept


def _same(aside: Path, original: Path) -> bool:
    """Whether ``aside`` is a hard link to ``original``, or a copy of it byte for byte."""
    try:
        if os.path.samefile(aside, original):
            return True
        return stat.S_ISREG(os.lstat(aside).st_mode) and filecmp.cmp(aside, original, shallow=False)
    except OSError:
        return False
