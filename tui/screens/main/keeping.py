"""Keeping the session file (``store.session``) in step with where the user is, off the UI thread.

Opening an article or running a search changes where the user is; writing the session file each time
(atomically, with two fsyncs) cost the UI thread a few milliseconds an open, more on a busy disk. So
a change asks for a save ``DELAY`` seconds later, and a change meanwhile pushes it back: a walk
through ten articles writes once. The file is written in a thread, from the session as encoded on the
UI thread when the save was due; only the newest save asked for is written. Quitting saves at once,
however the app ends (the screen saves as it unmounts: a save's worker queued and not yet started is
cancelled with the screen). A crash can lose the position of the last ``DELAY`` seconds, nothing
else: the file is replaced atomically, never left half written.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from store.session import Session
from tui.screens.main.parts import Part

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.screens.main.screen import MainScreen


class SessionKeeper(Part):
    """Saves the screen's session soon after it changes (see the module docstring)."""

    DELAY = 0.5  # seconds

    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self._timer: Timer | None = None
        self._asked = 0  # saves asked for: a thread writes only the newest
        self._lock = threading.Lock()
        self._written: bytes | None = None  # what this screen wrote last (under the lock)

    @property
    def pending(self) -> bool:
        """Whether a save is asked for and not yet written."""
        return self._timer is not None

    def save_soon(self) -> None:
        """The session changed: save it ``DELAY`` seconds after the last change."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.screen.set_timer(self.DELAY, self._due, name="save the session")

    def save_now(self, *, unless_written: bool = False) -> None:
        """Save it now, on this thread (quitting); ``unless_written``: not if this screen wrote it as it
        is already (the screen unmounting after q saved it)."""
        self._stop()
        self._asked += 1
        content = self.screen.session.encoded()
        with self._lock:
            if not (unless_written and content == self._written):
                Session.write(self.screen.library_path, content)
                self._written = content

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _due(self) -> None:
        self._timer = None
        self._asked += 1
        self.in_thread(
            self._write, self.screen.session.encoded(), self._asked, group="session", exclusive=False
        )

    def _write(self, content: bytes, asked: int) -> None:
        with self._lock:
            if asked == self._asked:  # (else a newer save follows, or quitting wrote it)
                Session.write(self.screen.library_path, content)
                self._written = content
