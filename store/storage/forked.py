"""One piece of a writer's work done by a forked child, beside the writer, and what it made sent back.

Two writers use it: an import's batch written as a segment (``store.storage.spillchild``) and a fold's
link records written beside its documents (``store.storage.foldlinks``). What holds for both:

- Only a process whose one Python thread is this one forks (a fork copies one thread: another's locks
  would stay held in the child), on Linux (``resident``), below a bound of memory the caller gives:
  ``can_fork``. Native threads Python does not list may be alive (an import's search index keeps
  tantivy's writer open): the child never calls into them; ``prctl`` is looked up before the fork, so
  the child loads no library (``dlopen`` takes a lock such a thread might have held at the fork).
- The child's collector is off (a collection would touch every object it inherited, and copy the
  parent's whole heap); the interrupts end it at once and silently (``default_in_child``: a Ctrl-C at
  the terminal reaches both, and the parent says what happened); it dies with its parent (``prctl``'s
  death signal); it never returns into the parent's code (``os._exit``). It holds the library's write
  lock while it lives (a ``flock`` belongs to the open file, which the fork shares), so no other writer
  can start, and remove its files as orphans, before it is gone.
- What the work returns is sent back marshalled; an error, pickled, is raised again in the parent
  (``outcome``); a child that ends otherwise is an ``Ended`` (an ``OSError``) saying how it ended.
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
from typing import Any

from store.interrupts import default_in_child


class Ended(OSError):
    """The child ended without sending what its work made or its error (killed, or it exited)."""


def can_fork(below: int) -> bool:
    """Whether this process may fork a child for a piece of its work: one Python thread, and less
    than ``below`` bytes resident."""
    return hasattr(os, "fork") and threading.active_count() == 1 and resident() < below


def resident() -> int:
    """This process's resident memory in bytes (Linux's ``/proc``; elsewhere, as if past any bound)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 1 << 62


def start(work: Callable[[], Any]) -> tuple[int, int]:
    """Fork a child that runs ``work`` and sends back what it returns (marshalled) or its error; the
    child's pid and the pipe's end to read that from (``finish``, or ``end`` to give up on it)."""
    prctl = _prctl()  # (resolved here: the child loads nothing, below)
    parent = os.getpid()
    r, w = os.pipe()
    try:
        with warnings.catch_warnings():
            # (Python 3.12 warns of a fork with other threads alive: the search index's native writer
            # threads may be, and the child never calls into them: see the module's docstring)
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise
    if pid:
        os.close(w)
        return pid, r
    status = 1
    try:  # (the child: never back into the parent's code, whatever happens: ``os._exit``)
        os.close(r)
        gc.disable()
        default_in_child()
        _die_with_parent(prctl, parent)
        try:
            message: tuple[str, Any] = ("ok", work())
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


def finish(pid: int, fd: int, doing: str, before: str = "it was done") -> Any:
    """Wait for the child and return what its work returned, or raise its error (an ``OSError``
    naming what it was ``doing`` if it ended otherwise). Interrupted while waiting: the child is
    killed and waited for, and the interrupt goes on."""
    try:
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read()
    except BaseException:
        end(pid)
        raise
    return outcome(raw, end(pid, kill=False), doing, before)


def end(pid: int, *, kill: bool = True) -> int:
    """Wait for the child (killed first, with ``kill``); its wait status (-1: already waited for)."""
    if kill:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return -1


def outcome(raw: bytes, status: int, doing: str, before: str = "it was done") -> Any:
    """What the child sent, given how it ended: what its work returned, or its error raised here
    (``doing``: what the child was doing, and ``before`` what, for the error of a child that sent
    none)."""
    try:
        kind, value = marshal.loads(raw)
    except (EOFError, ValueError, TypeError):
        kind, value = "", None
    if kind == "ok" and status == 0:
        return value
    if kind == "error" and isinstance(value, tuple) and len(value) == 2:
        pickled, text = value
        try:
            error = pickle.loads(pickled) if pickled is not None else None
        except Exception:  # (a type whose arguments do not pickle back: its text, below)
            error = None
        if isinstance(error, BaseException):
            raise error
        raise OSError(f"{doing} failed: {text}")
    how = f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "ended"
    raise Ended(f"the process {doing} {how} before {before}")


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
