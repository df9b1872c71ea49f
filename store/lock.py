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
from collections.abc import Iterator
from pathlib import Path

from store.errors import LibraryBusyError

DEFAULT_TIMEOUT = float(os.environ.get("PMBROWSE_LOCK_TIMEOUT", "5"))
# The lock files this process holds open: a forked child must close them, or it would keep the lock
# (a flock belongs to the open file, which the child shares) after its parent dies.
_HELD: set[int] = set()


def close_inherited_locks() -> None:
    """In a forked child: let go of the parent's lock files (closing does not unlock them for the
    parent, which still has them open)."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
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


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
