"""The pmbrowse Textual app."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui import collector
from tui.keys import KEYS, Key
from tui.screens.main import MainScreen
from tui.text import literal

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.theme import Theme

    from tui.screens.snowball_online import Work


class PmbrowseApp(App[None]):
    """Search, read, and walk the citation graph of the library at ``library_path``."""

    CSS_PATH = "app.tcss"
    TITLE = "pmbrowse"
    # ctrl+r in every view (the main screen's own binding comes first there): the one watcher
    # (``tui.screens.main.changes``) looks now, and every view takes in what changed.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "reload", "Reload", show=False)]

    def __init__(
        self,
        library_path: Path,
        target: str = "",
        notice: str = "",
        note: str = "",
        screener: str | None = None,
    ) -> None:
        """``notice``: a line to show at the start (that a new library is being created, and where);
        ``note``: a line beside the results of the search ``target`` (a command that may have been
        meant); ``screener``: who records the screening decisions (default: ``PMBROWSE_SCREENER``,
        else the unnamed screener)."""
        super().__init__()
        self.main = MainScreen(library_path, target, note, screener=screener)
        self.notice = notice
        self._quitting: list[str] | None = None  # (quitting once a commit is done: what is said meanwhile)
        self._commits: dict[Work, None] = {}  # (the commits it waits for, in order)
        # Its screen was shown and took keys: a ctrl-C from now on comes as it ends (``tui.cli``).
        self.was_ready = False
        self._collector_owned = False  # (the app paused the collector: ``on_load``)

    @property
    def current_theme(self) -> Theme:
        """The theme in use, looked up by its name. Textual's copies its table of some twenty themes
        at each look-up, and every line of every widget drawn looks it up (its ANSI colours): ~7 µs a
        line, ~0.5 ms of each frame that draws the reader's column (measured 2026-12-06). A name
        Textual's way would not find at once (a list of names) is looked up its way."""
        theme = self._registered_themes.get(self.theme)
        return theme if theme is not None else super().current_theme

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the app's first (pushing it over a blank one would draw twice)."""
        return self.main

    def on_ready(self) -> None:
        self.was_ready = True

    def on_load(self) -> None:
        """The garbage collector is paused from the app's start until its first content is shown
        (``tui.collector``), whoever starts it (``pmbrowse`` paused it earlier, before importing
        Textual; a headless ``run_test``, the bench or a program of one's own did not)."""
        self._collector_owned = collector.pause()

    def on_unmount(self) -> None:
        """(The collector as it was, if the app paused it: ``tui.collector.release``.)"""
        if self._collector_owned:
            self._collector_owned = False
            collector.release()

    def on_mount(self) -> None:
        if self.notice:
            self.main.say(self.notice, title="New library", timeout=10)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every action of the view's key table, by name: the main view's
        (``tui.keys.KEYS``), or the table of the view on top (``KEY_TABLE``: the Snowball view's)."""
        keys: tuple[Key, ...] = getattr(screen, "KEY_TABLE", KEYS)
        target: Screen[Any] = screen if hasattr(screen, "KEY_TABLE") else self.main
        ours = {key.description for key in keys}
        # Textual's own commands, less those ours name again ("Quit" and "Quit (q)" would both show).
        yield from (c for c in super().get_system_commands(screen) if c.title not in ours)
        for key in (k for k in keys if not k.action.startswith("app.")):  # (not the palette itself)
            yield SystemCommand(
                f"{key.description} ({key.label})", key.help, partial(self._run, target, key.action)
            )

    async def action_quit(self) -> None:
        """ctrl+q (and the palette's Quit), from any view: as q in the main view (``MainScreen.quit``:
        the session written, what is due compacted), unless a commit of a Snowball view is under way.
        It cannot be stopped (all or nothing), and the app ended before it did: it went on unseen, the
        terminal given back while the process still wrote. The app says so, quits once it is done,
        and says on the terminal what it did (what the views said meanwhile)."""
        from tui.screens.snowball_online import COMMITS

        storing = self._storing()
        if not storing:
            self.main.quit()
            return
        if self._quitting is None:
            self._quitting = []
            self.set_interval(0.1, self._quit_when_stored)
        super().notify(  # (not said again on the terminal)
            f"pmbrowse quits once {COMMITS[storing[0]]} is done: a commit is all or nothing, it cannot "
            "be stopped now.",
            severity="warning",
            markup=False,
        )
        self._commits.update(dict.fromkeys(storing))

    def _storing(self) -> list[Work]:
        from tui.screens.snowball import SnowballScreen

        return [
            key
            for screen in self.screen_stack
            if isinstance(screen, SnowballScreen)
            for key in screen.remote.storing_now()
        ]

    def _quit_when_stored(self) -> None:
        from tui.screens.snowball_online import COMMITS

        if self._quitting is None or self._storing():
            return
        done = " and ".join(COMMITS[key] for key in self._commits)
        said = "; ".join(self._quitting)
        self.main.quit(literal(f"pmbrowse: quit after {done}" + (f": {said}" if said else ".")))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """(What is said while the app waits to quit is said on the terminal too: ``action_quit``.)"""
        if self._quitting is not None:
            self._quitting.append(message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_reload(self) -> None:
        self.main.action_reload()

    async def _run(self, screen: Screen[Any], action: str) -> None:
        await screen.run_action(action)
