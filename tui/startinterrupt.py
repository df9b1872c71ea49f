"""How ``pmbrowse`` takes an interrupt: Ctrl-C, and alike a hang-up (SIGHUP: the terminal or the SSH
connection gone) or a polite kill (SIGTERM).

A hang-up or a kill used to end the process where it stood, as kill -9 does: the library stayed
whole (its commits are atomic), but one that came between the library's commit and its search
index's left the index of the state before, and the next search rebuilt it whole (190 s at a million
records); and nothing was said. Taken as a Ctrl-C, either now stops a command at a safe point: an
import not yet committed is undone, one committed keeps its index in step (``store.interrupts``).
A signal whose handler was "ignore" when ``pmbrowse`` started stays ignored: ``nohup pmbrowse
import …`` goes on after a hang-up, as it asks to.

Only the process's main thread takes signals, and this module imports nothing beyond the
interpreter's own (``tui.cli`` imports it before anything else: see there)."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

# Taken as Ctrl-C is (SIGINT first: its handler is the one a command is given back).
TAKEN = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StartInterrupt:
    """Ctrl-C from the moment ``main`` runs until the app has the terminal (where ctrl+c is a key), and again
    once it has given it back, taken at a safe point rather than wherever the interpreter is: a
    ``KeyboardInterrupt`` raised inside an import (``tui.cli``'s own, Textual's, or the first page's thread's,
    ``tui.firstpage``) was seen to be swallowed by the import machinery and the app then hang on "Loading the
    library…", to end with a traceback, or, the first page's thread killed at exit in its native code, to
    crash (SIGSEGV). Here the first ctrl-C is noted, and ``check`` raises it once Textual is imported and
    again when the app has ended; one pressed while the app starts asks it to quit. A second ctrl-C before the
    app exists is raised at once. A command takes ctrl-C where it lands once its modules are imported
    (``release``: it says what it committed, ``store.errors``); a hang-up or a kill then raises
    ``KeyboardInterrupt`` as Ctrl-C does. On the way out the first page's thread is waited for, so that
    nothing it writes (a library converted, an index rebuilt) is cut short, and each signal's handler
    is the one it had.

    ``as_the_app_ended``: the ctrl-C came once the app had been ready for keys (it ended, or was ending): the
    session may have stored things, and nothing was stopped by it."""

    def __init__(self) -> None:
        self.pressed = False
        self.as_the_app_ended = False
        self.app: App[Any] | None = None
        self.command: str | None = None  # (the subcommand run, if any: ``interrupted`` says what it did)
        self._before: dict[int, Any] = {}  # each signal taken, with its handler before
        self._held = False

    def __enter__(self) -> StartInterrupt:
        for sig in TAKEN:
            handler = signal.getsignal(sig)
            if sig == signal.SIGINT or handler is signal.SIG_DFL:  # (not one ignored, or another's)
                self._before[sig] = signal.signal(sig, self._sigint)
        self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            from tui import firstpage

            firstpage.finish()
        finally:
            self._restore()
            for sig, handler in self._before.items():
                signal.signal(sig, handler)

    def release(self) -> None:
        """Ctrl-C taken as usual from now on (raised where it lands), a hang-up or a kill likewise; one
        noted before is raised now."""
        self._restore()
        self.check()

    def _restore(self) -> None:
        if self._held:
            self._held = False
            for sig, handler in self._before.items():
                signal.signal(sig, handler if sig == signal.SIGINT else signal.default_int_handler)

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt

    def _sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed and self.app is None:
            raise KeyboardInterrupt
        if not self.pressed and getattr(self.app, "was_ready", False):
            self.as_the_app_ended = True
        self.pressed = True
        if self.app is not None:
            asyncio = sys.modules.get("asyncio")  # (imported with Textual; not imported here)
            try:  # (the app's event loop, when it runs: this handler runs in its thread)
                loop = asyncio.get_running_loop() if asyncio is not None else None
            except RuntimeError:
                loop = None
            if loop is not None:
                loop.call_soon_threadsafe(self.app.exit)
            # (else not started, or ended: ``check`` follows)
