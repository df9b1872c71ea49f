"""A bulk transaction's batch written as a segment by a forked child process, off the importing thread.

Writing a batch (``store.storage.spilling.spill``: each document encoded, its meta, head and keys, the
link changes, the tables, the run and the top, fsynced) took a fifth of an import's main thread, which
is the import's critical path (the parse runs in a child of its own: ``store.importer``). So the
batch is written by a child forked with the batch in its memory (nothing to send: the fork is the
copy), while the import goes on with the next batch on the other core. The segment is in the
transaction's view at once as an ``Unwritten`` segment: the first read of it (the next batch's
look-ups, a second or two later) waits for the child, then reads the file as any segment. The next
spill and the commit wait for it too, and take what the child counted (documents, stubs, links) and
the segment into the tally of the transaction's runs. One child at a time.

All or nothing, as before: the segment is the transaction's, listed only by its commit. A child that
fails (its error sent back and raised here: a full disk is the same ``OSError``), exits otherwise or
is killed fails the import, which removes its segments, this one with them: the library as it was. A
transaction that fails while a child writes kills it (SIGKILL), waits for it and removes its file.
The child dies with its parent (``prctl``'s death signal, as the import's parse child), and it holds
the library's write lock while it lives (a ``flock`` belongs to the open file, which the fork shares:
unlike the parse child, it keeps it on purpose), so no other writer can start, and remove its file as
an orphan, before it is gone: a parent killed with ``kill -9`` leaves a file nobody lists, which the
next writer removes.

Only a process whose one Python thread is this one forks (a fork copies one thread: another's locks
would stay held in the child; ``store.storage.halves`` does the same), and only below ``FORK_BELOW``
of memory, on Linux (``resident``); else the batch is written here, as before (the app, whose Textual
driver runs a thread of its own, always does). Native threads Python does not list may be alive: an
import's search index keeps tantivy's writer open, with its threads. The child never calls into
them: it runs Python, orjson and its own file's writes; ``prctl`` is looked up before the fork, so the
child loads no library (``dlopen`` takes a lock such a thread might have held at the fork). An
interrupt is held off from the fork until the segment is tracked (``spilling.spill``): else a child
could be left that nobody waits for, and whose file nobody removes until the next writer.

The child's collector is off: a collection would touch every object it inherited, and copy the parent's
whole heap. What the parent or the child changes while the child lives (the objects the child reads,
whose counts it changes; the next batch's pages) is copied by the kernel: about one batch's memory
more, for one batch's write; the parent indexes the batch before the fork and frees it after the child
is gone, which spares most of the rest.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
import signal
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from store.interrupts import default_in_child
from store.storage.files import Pending
from store.storage.segment import SegmentFile

# Whether batches are written in a child (the tests turn it off to compare, and to write in-process).
FORK = True
# Only while this process holds less than this in memory (resident): the child's pages and those the
# kernel copies while it lives add up to about one batch more (166 MB for the 20k bench slice's first
# batch, counted as the processes' summed PSS), which must not take a large import past its bound.
FORK_BELOW = 1 << 30

Result = tuple[int, dict[str, int], int]  # (the segment's size, the transaction's counts, next id)


def can_fork() -> bool:
    return FORK and hasattr(os, "fork") and threading.active_count() == 1 and resident() < FORK_BELOW


def resident() -> int:
    """This process's resident memory in bytes (Linux's ``/proc``; elsewhere, as if past any bound)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 1 << 62


class Unwritten(SegmentFile):
    """A segment a child is writing: named at once, read once the child is done (``settle``)."""

    def __init__(
        self, path: Path, pid: int, fd: int, pending: Pending, on_written: Callable[[], None], batch: object
    ) -> None:
        # (none of ``SegmentFile.__init__`` yet: the file is not there; any attribute that it sets,
        # asked for first, waits for the child: ``__getattr__``)
        self.path = path
        self.name = path.name
        self._child: tuple[int, int] | None = (pid, fd)
        self._pending = pending
        self._on_written: Callable[[], None] | None = on_written
        # (the batch, kept from being freed while the child lives: freeing writes to its pages, which
        # the kernel would then copy, the child holding the old ones: one batch's memory more)
        self._batch: object = batch

    def __getattr__(self, attr: str) -> Any:
        # (only for attributes not set: before ``settle``, all of a segment's own; after it, those a
        # ``SegmentFile`` sets only later, which are then rightly missing)
        if attr.startswith("__") or self.__dict__.get("_child") is None:
            raise AttributeError(attr)
        self.settle()
        return object.__getattribute__(self, attr)

    @property
    def waiting(self) -> bool:
        return self.__dict__.get("_child") is not None

    def settle(self) -> None:
        """Wait for the child; open the segment it wrote and take in what it counted (it failed: its
        error, or ``OSError`` saying how it ended; the transaction then fails and removes the file)."""
        child = self.__dict__.get("_child")
        if child is None:
            return
        pid, fd = child
        self._child = None
        try:
            with os.fdopen(fd, "rb") as fh:
                raw = fh.read()
        except BaseException:  # (an interrupt while waiting: the child ended, its file removed)
            _end(pid)
            self._batch = None
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise
        status = _end(pid, kill=False)
        self._batch = None  # (the child is gone: freeing it copies nothing)
        try:
            size, counts, next_id = _outcome(raw, status)
            SegmentFile.__init__(self, self.path, size)
        except BaseException:  # (not the transaction's: ``spilling.discard`` would not remove it)
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise
        pending = self._pending
        pending.counts.clear()
        pending.counts.update(counts)
        pending.next_id = max(pending.next_id, next_id)
        pending.segments.append((self, size))
        # (dropped once run: it closes over this segment, a cycle that kept each batch's open file and
        # the transaction's tally until the next full collection, past the commit)
        on_written, self._on_written = self._on_written, None
        if on_written is not None:
            on_written()

    def abandon(self) -> None:
        """The transaction fails while the child writes: kill it, wait for it, remove its file."""
        child = self.__dict__.get("_child")
        if child is not None:
            pid, fd = child
            self._child = None
            _end(pid)
            self._batch = None
            with contextlib.suppress(OSError):
                os.close(fd)
        self._on_written = None
        with contextlib.suppress(OSError):
            self.path.unlink()

    def close(self) -> None:
        if self.__dict__.get("_child") is not None:
            self.abandon()
            return
        if "_fd" in self.__dict__:
            super().close()

    def __del__(self) -> None:
        self.close()


def _end(pid: int, *, kill: bool = True) -> int:
    """Wait for the child (killed first, with ``kill``); its wait status (-1: already waited for)."""
    if kill:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return -1


def _outcome(raw: bytes, status: int) -> Result:
    """What the child sent, given how it ended: its result, or its error raised here."""
    try:
        kind, value = marshal.loads(raw)
    except (EOFError, ValueError, TypeError):
        kind, value = "", None
    if kind == "ok" and status == 0:
        size, counts, next_id = value
        return int(size), {str(k): int(v) for k, v in counts.items()}, int(next_id)
    if kind == "error" and isinstance(value, tuple) and len(value) == 2:
        pickled, text = value
        try:
            error = pickle.loads(pickled) if pickled is not None else None
        except Exception:  # (a type whose arguments do not pickle back: its text, below)
            error = None
        if isinstance(error, BaseException):
            raise error
        raise OSError(f"writing a batch of the import failed: {text}")
    how = f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "ended"
    raise OSError(f"the process writing a batch of the import {how} before it was written")


def fork(
    path: Path, pending: Pending, write: Callable[[], Result], on_written: Callable[[], None], batch: object
) -> Unwritten:
    """Fork a child that runs ``write`` (it writes ``path``, fsynced) and sends back what it returns;
    the segment as the parent reads it meanwhile (holding ``batch``, what ``write`` writes, until the
    child is done)."""
    prctl = _prctl()  # (resolved here: the child loads nothing, below)
    parent = os.getpid()
    r, w = os.pipe()
    try:
        with warnings.catch_warnings():
            # (Python 3.12 warns of a fork with other threads alive: the search index's native writer
            # threads are, and the child never calls into them: see the module's docstring)
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise
    if pid:
        os.close(w)
        return Unwritten(path, pid, r, pending, on_written, batch)
    status = 1
    try:  # (the child: never back into the parent's code, whatever happens: ``os._exit``)
        os.close(r)
        gc.disable()
        default_in_child()
        _die_with_parent(prctl, parent)
        try:
            message: tuple[str, Result | tuple[bytes | None, str]] = ("ok", write())
            status = 0
        except BaseException as exc:
            try:
                pickled: bytes | None = pickle.dumps(exc)
            except Exception:
                pickled = None
            message = ("error", (pickled, f"{type(exc).__name__}: {exc}"))
        with contextlib.suppress(OSError), os.fdopen(w, "wb") as out:
            out.write(marshal.dumps(message))
    finally:
        os._exit(status)


def _prctl() -> Callable[..., int] | None:
    """Linux's ``prctl``, looked up once, in the parent: loading a library (``dlopen``) in a child
    forked while other threads ran could wait forever on a lock one of them held at the fork."""
    global _PRCTL
    if _PRCTL is False:
        try:
            import ctypes

            _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _PRCTL = None
    found: Callable[..., int] | None = _PRCTL
    return found


_PRCTL: Any = False  # (False: not looked up yet; None: there is none)


def _die_with_parent(prctl: Callable[..., int] | None, parent: int) -> None:
    """Linux: SIGKILL to this process when its parent dies (prctl PR_SET_PDEATHSIG; as
    ``store.importer``'s parse child); a parent already gone (its pid taken before the fork: read
    here, a parent dead by then would be the one this child was given to): exit at once."""
    if prctl is not None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:
        os._exit(1)
