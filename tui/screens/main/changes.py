"""The app's one watcher: about once a second (and on ``ctrl+r``, from any view) it looks at the
library's change signal, the marks file and the snowball file (``tui.refresh.check``, in a thread: it
may wait on a lock), and posts one ``LibraryChanged`` to every screen when something changed, which
each view takes in, in place: the main screen (its results, open article, link rows, marks and
counts, and the Related pane), the map, the Snowball view (its rounds too).

It lives on the main screen, which reads the library and is under every other view for the app's
whole life. It tells other processes' changes from this one's: the marks this app writes and the
fetches it makes on the main screen are shown at once and not taken in again; a library write from
another view (a fetch in the Snowball view) is taken in like another process's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.screens.main.parts import Part

if TYPE_CHECKING:
    from store.library import Library
    from store.snowball.state import SnowballVersion
    from tui import refresh
    from tui.screens.main.screen import MainScreen

REFRESH_SECONDS = 1.0  # how often the app looks for what other processes committed


class ChangeWatcher(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self._checking = False  # a check is running
        self._index_behind = 0
        self._state_seen: object = None  # the library's state as the views last took it in
        self._snowball_seen: SnowballVersion | None = None  # the snowball file as the last check saw it
        self._open_when_found: list[str] = []  # a row enter was pressed on, to open after a reload

    def start(self, shown: object = None) -> None:
        """The library has loaded: look every second from now on. ``shown``: the library's state the
        result list was searched in, when that was before the library was opened (the first search
        runs first): a commit made in between is then taken in at the first look."""
        self.seen_library()
        if shown is not None:
            self._state_seen = shown
        if self.screen.library is not None:
            from store.snowball.state import snowball_version

            self._snowball_seen = snowball_version(self.screen.library.path)
        self.screen.set_interval(REFRESH_SECONDS, self._tick)

    def seen_library(self) -> None:
        """The views show the library as it is now (this app just wrote it, and showed the result)."""
        if self.screen.library is not None:
            self._state_seen = self.screen.library.state

    def _tick(self) -> None:
        library = self.screen.library
        if library is not None and not self._checking and not self.screen.online.fetching:
            self._checking = True
            self.in_thread(self._check, library, False, group="refresh", exclusive=False)

    def reload(self, quiet: bool = False, then_open: list[str] | None = None) -> None:
        """Take in what changed now (``ctrl+r``); ``then_open``: the identity keys of an article to
        open once the library as read again has it."""
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
        from tui import refresh  # (not before the first paint: ``tui.screens.main.screen``)

        marking = self.screen.marking
        found = refresh.check(
            library,
            marking.seen,
            self._index_behind,
            marks=marking.marks is not None,
            state_seen=self._state_seen,
            screener=self.screen.screener,
            snowball_seen=self._snowball_seen,
        )
        self.app.call_from_thread(self._found, found, manual)

    def _found(self, found: refresh.Refreshed, manual: bool) -> None:
        """Tell every view what changed; the main screen finds the article ``enter`` was pressed on."""
        self._checking = False
        self._index_behind = found.index_behind
        self._state_seen = found.state
        self._snowball_seen = found.snowball_seen
        wanted, self._open_when_found = self._open_when_found, []
        for line in found.notices:  # (as the loader says what opening the library said)
            self.say(line, title="Library", severity="warning", timeout=20)
        if found.problem:
            if manual:
                self.say(f"Could not reload: {found.problem}", severity="warning")
            return
        if manual and not found.changed:
            self.say("Up to date: nothing changed since the library was read.")
        if not found.changed:
            return
        from tui import refresh

        for screen in self.app.screen_stack:
            screen.post_message(
                refresh.LibraryChanged(
                    found.library, found.marks, found.marks_seen, found.index, snowball=found.snowball
                )
            )
        if manual:
            self.say("Reloaded: the library's changes are shown.")
        if wanted and found.library:
            # (After the main screen has taken the change in: its queue holds the message first.)
            self.screen.call_later(self._open, wanted)

    def _open(self, keys: list[str]) -> None:
        library = self.screen.library
        doc_id = library.find_keys(keys) if library is not None else None
        if doc_id is not None:
            self.screen.reader.open(doc_id)
