"""The ``?`` help screen: every key of a view, made from the same table as its bindings (the main
view's ``tui.keys.KEYS`` by default; the Snowball view's ``SNOWBALL_KEYS``)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import HELP_ROWS, KEYS, OTHER_KEYS, SEARCH_HELP, TARGET_HELP, Key

Rows = tuple[tuple[tuple[str, ...], str], ...]


def help_table(
    keys: tuple[Key, ...] = KEYS, rows: Rows = HELP_ROWS, other: tuple[tuple[str, str], ...] = OTHER_KEYS
) -> Table:
    """A row per key (``rows``: one row for several keys, by their actions), then the ``other`` keys."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("what it does", ratio=1)
    grouped = {action: n for n, (actions, _help) in enumerate(rows) for action in actions}
    shown: set[int] = set()
    for key in keys:
        group = grouped.get(key.action)
        if group is None:
            table.add_row(key.label, key.help)
        elif group not in shown:
            shown.add(group)
            actions, what = rows[group]
            labels = [k.label for action in actions for k in keys if k.action == action]
            table.add_row(" ".join(labels), what)
    for names, what in other:
        table.add_row(names, what)
    return table


class HelpScreen(ModalScreen[None]):
    # Its rules are here, not in app.tcss: parsed when the screen is first shown, not before the app's
    # first frame (DEFAULT_CSS is scoped to the screen: each selector is taken within it).
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    #help {
        width: 90%;
        max-width: 110;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-title-style: bold;
        padding: 0 1;
        background: $surface;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("escape", "dismiss", "Close"),
        ("question_mark", "dismiss", "Close"),
        ("q", "dismiss", "Close"),
    ]

    def __init__(
        self,
        title: str = "pmbrowse — keys",
        keys: tuple[Key, ...] = KEYS,
        rows: Rows = HELP_ROWS,
        other: tuple[tuple[str, str], ...] = OTHER_KEYS,
        notes: tuple[str, ...] = (TARGET_HELP, SEARCH_HELP),
    ) -> None:
        super().__init__()
        self.title_text, self.keys, self.rows, self.other, self.notes = title, keys, rows, other, notes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            # The title and how to close it go in the frame: every line inside is for the keys.
            scroll.border_title = self.title_text
            scroll.border_subtitle = "escape, ? or q closes this help"
            yield Static(help_table(self.keys, self.rows, self.other))
            yield Static(Text("\n" + "\n\n".join(self.notes), style="italic"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
