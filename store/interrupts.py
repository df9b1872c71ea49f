"""Interrupts held off while a short step that must not be cut runs to its end.

After the library's commit, a command brings its search index in step (``store.search.feed``): a
Ctrl-C landing there left the index of the state before, and the next search rebuilt the whole index
from the library (190 s at a million records), though the library had all it needed. The step is
short (the index's own commit), so an interrupt that comes during it is noted and delivered as soon
as it ends: the command then stops as it would have a moment later, its commit and index both whole.

Held: SIGINT (Ctrl-C), SIGTERM (a polite kill) and SIGHUP (the terminal, or the SSH connection, gone).
A signal whose handler is "ignore" stays ignored (a job started in the background, ``nohup``). Each
is delivered again with the handler it had (``signal.raise_signal``), so what it does is what it would
have done, only later. Signals reach only the main thread: elsewhere this holds nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

HELD = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def held_off() -> Iterator[None]:
    """Run the block with the interrupts above noted, not acted on; deliver the first noted after it
    (also when the block raised: the exception comes first, the interrupt is then dropped)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    before: dict[int, Any] = {}
    try:
        for sig in HELD:
            handler = signal.getsignal(sig)
            if handler is signal.SIG_IGN or handler is None:  # (None: not set from Python)
                continue
            before[sig] = signal.signal(sig, note)
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    if noted:
        signal.raise_signal(noted[0])


def default_in_child() -> None:
    """In a forked child working for its parent (an import's parser): the interrupts above end it at
    once and silently, as they would any program, unless ignored. It inherited its parent's handlers,
    which raise ``KeyboardInterrupt`` where it lands: a Ctrl-C typed at the terminal (sent to both)
    printed the child's traceback above the parent's one line, and the parent's ``terminate`` (SIGTERM)
    no longer ended it. The parent says what happened."""
    for sig in HELD:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)
