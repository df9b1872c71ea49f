"""The ``?`` help screen: every key, made from the same table as the bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import HELP_ROWS, KEYS, OTHER_KEYS, SEARCH_HELP, TARGET_HELP


def help_table() -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("what it does", ratio=1)
    grouped = {action: n for n, (actions, _help) in enumerate(HELP_ROWS) for action in actions}
    shown: set[int] = set()
    for key in KEYS:
        group = grouped.get(key.action)
        if group is None:
            table.add_row(key.label, key.help)
        elif group not in shown:
            shown.add(group)
            actions, what = HELP_ROWS[group]
            labels = [k.label for action in actions for k in KEYS if k.action == action]
            table.add_row(" ".join(labels), what)
    for keys, what in OTHER_KEYS:
        table.add_row(keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        ("escape", "dismiss", "Close"),
        ("question_mark", "dismiss", "Close"),
        ("q", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            # The title and how to close it go in the frame: every line inside is for the keys.
            scroll.border_title = "pmbrowse — keys"
            scroll.border_subtitle = "escape, ? or q closes this help"
            yield Static(help_table())
            yield Static(Text("\n" + TARGET_HELP + "\n\n" + SEARCH_HELP, style="italic"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
