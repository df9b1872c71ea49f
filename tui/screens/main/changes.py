"""Other processes' changes: about once a second (and on ``ctrl+r``) the app looks at the library's
change signal and the marks file (``tui.refresh.check``, in a thread: it may wait on a lock), and the
screen shows what changed in place, the cursor kept on the same article."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui import refresh
from tui.screens.main.parts import Part

if TYPE_CHECKING:
    from store.library import Library
    from tui.screens.main.screen import MainScreen

REFRESH_SECONDS = 1.0  # how often the app looks for what other processes committed


class Changes(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self._checking = False  # a check is running
        self._index_behind = 0
        self._open_when_found: list[str] = []  # a row enter was pressed on, to open after a reload

    def start(self) -> None:
        """The library has loaded: look every second from now on."""
        self.screen.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        library = self.screen.library
        if library is not None and not self._checking and not self.screen.online.fetching:
            self._checking = True
            self.in_thread(self._check, library, False, group="refresh", exclusive=False)

    def reload(self, quiet: bool = False, then_open: list[str] | None = None) -> None:
        """Take in other processes' changes now (``ctrl+r``); ``then_open``: the identity keys of an
        article to open once the library as read again has it."""
        if then_open is not None:
            self._open_when_found = then_open
        library = self.screen.library
        if library is None:
            if not quiet:
                self.say("The library is still loading.")
            return
        if self._checking:
            return
        self._checking = True
        self.in_thread(self._check, library, not quiet, group="refresh", exclusive=False)

    def _check(self, library: Library, manual: bool) -> None:
        marking = self.screen.marking
        found = refresh.check(library, marking.seen, self._index_behind, marks=marking.marks is not None)
        self.app.call_from_thread(self._take_in, found, manual)

    def _take_in(self, found: refresh.Refreshed, manual: bool) -> None:
        """Show what another process changed, in place: the cursor stays on the same article."""
        self._checking = False
        self._index_behind = found.index_behind
        wanted, self._open_when_found = self._open_when_found, []
        if found.problem:
            if manual:
                self.say(f"Could not reload: {found.problem}", severity="warning")
            return
        if manual and not found.changed:
            self.say("Up to date: nothing changed since the library was read.")
        if not found.changed:
            return
        self.screen.take_in(found)
        if manual:
            self.say("Reloaded: the library's changes are shown.")
        library = self.screen.library
        if wanted and found.library and library is not None:
            doc_id = library.find_keys(wanted)
            if doc_id is not None:
                self.screen.reader.open(doc_id)
