"""The pmbrowse Textual app."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.keys import KEYS, Key
from tui.screens.main import MainScreen


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

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the app's first (pushing it over a blank one would draw twice)."""
        return self.main

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

    def action_reload(self) -> None:
        self.main.action_reload()

    async def _run(self, screen: Screen[Any], action: str) -> None:
        await screen.run_action(action)
