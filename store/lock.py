"""An advisory lock that lets one process at a time write a library file.

The lock is a ``flock`` on a sidecar file (``library.json.lock``) next to the library, so it is held
only while a write transaction runs and is released by the kernel if the writer dies. The holder's
PID is written into the file so the message to a second writer can name it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from store.errors import LibraryBusyError

DEFAULT_TIMEOUT = float(os.environ.get("PMBROWSE_LOCK_TIMEOUT", "5"))
# The lock files this process holds open: a forked child must let go of them, or it would keep the lock
# (a flock belongs to the open file, which the child shares) after its parent dies
# (``let_go_of_inherited_files``).
_HELD: set[int] = set()


def let_go_of_inherited_files(keep: Iterable[int]) -> None:
    """In a forked child that works on its own files (an import's parser): every file descriptor it
    inherited but the standard streams and ``keep`` pointed at ``/dev/null`` (``dup2``), so that it holds
    none of its parent's open files. A ``flock`` belongs to the open file, and is let go only when every
    process that has it open closes it: the parent's lock files (this module's) would stay held after
    the parent died, and the search index's (tantivy takes its meta lock on a file it opens, and lets go
    by closing it) would stay held while the child lives: the parent, waiting for that lock, stopped
    reading the child's pipe, and the child, its pipe full, waited for the parent (a hang seen in the
    suite, stop 44). The numbers stay taken, pointing at ``/dev/null``: an object of the parent's that
    closes its file later closes that, never a file this child opened since under the same number.
    Without ``/proc`` (not Linux), only this module's lock files are let go."""
    keep = {0, 1, 2, *keep}
    try:
        inherited = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        inherited = list(_HELD)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in inherited:
            if fd not in keep and fd != null:
                with contextlib.suppress(OSError):  # (the listing's own number, closed since, too: no matter)
                    os.dup2(null, fd)
    finally:
        os.close(null)
    _HELD.clear()


def lock_path(library_path: Path) -> Path:
    return library_path.with_name(library_path.name + ".lock")


@contextlib.contextmanager
def write_lock(library_path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the library's write lock; raise LibraryBusyError if another process keeps it past ``timeout``."""
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    path = lock_path(library_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    _HELD.add(fd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    by = f" (pid {holder})" if holder else ""
                    raise LibraryBusyError(
                        f"{library_path} is being written by another pmbrowse process{by}; "
                        "nothing was changed, try again when it has finished"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            # (Past the holder's commit: a PID left in the file is read only while the lock is held,
            # so a truncate that fails, an I/O error, must not fail the command: it lets go all the same.)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _HELD.discard(fd)
        os.close(fd)


def held(library_path: Path) -> bool | None:
    """Whether another open file holds the library's write lock, asked without writing anything (a
    shared lock tried on the lock file opened for reading: for a process that may not write it). No
    lock file: not held; None: it cannot be read, so this cannot be told."""
    try:
        fd = os.open(lock_path(library_path), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # (lets go of the shared lock, if it was taken)
    return False


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
