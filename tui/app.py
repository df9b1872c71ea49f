"""The pmbrowse Textual app."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.keys import KEYS
from tui.screens.main import MainScreen


class PmbrowseApp(App[None]):
    """Search, read, and walk the citation graph of the library at ``library_path``."""

    CSS_PATH = "app.tcss"
    TITLE = "pmbrowse"
    # ctrl+r in every view (the main screen's own binding comes first there): the one watcher
    # (``tui.screens.main.changes``) looks now, and every view takes in what changed.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "reload", "Reload", show=False)]

    def __init__(self, library_path: Path, target: str = "", notice: str = "", note: str = "") -> None:
        """``notice``: a line to show at the start (that a new library is being created, and where);
        ``note``: a line beside the results of the search ``target`` (a command that may have been
        meant)."""
        super().__init__()
        self.main = MainScreen(library_path, target, note)
        self.notice = notice

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the app's first (pushing it over a blank one would draw twice)."""
        return self.main

    def on_mount(self) -> None:
        if self.notice:
            self.main.say(self.notice, title="New library", timeout=10)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every action of the key table, by name."""
        ours = {key.description for key in KEYS}
        # Textual's own commands, less those ours name again ("Quit" and "Quit (q)" would both show).
        yield from (c for c in super().get_system_commands(screen) if c.title not in ours)
        for key in (k for k in KEYS if not k.action.startswith("app.")):  # (not the palette itself)
            yield SystemCommand(f"{key.description} ({key.label})", key.help, partial(self._run, key.action))

    def action_reload(self) -> None:
        self.main.action_reload()

    async def _run(self, action: str) -> None:
        await self.main.run_action(action)
