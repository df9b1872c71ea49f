"""The ``m`` picker: the open article's MeSH headings; enter searches the library for one of them."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.screens.dialog import dialog_css
from tui.text import literal


class HeadingsScreen(ModalScreen[str | None]):
    """Answers with the heading chosen (None: escape)."""

    # (its own rules: ``tui.screens.dialog``)
    DEFAULT_CSS = (
        dialog_css("HeadingsScreen", "headings")
        + """
    #headings-list {
        height: auto;
        max-height: 20;
    }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel"), ("m", "cancel", "Cancel")]

    def __init__(self, headings: list[str]) -> None:
        super().__init__()
        self.headings = headings

    def compose(self) -> ComposeResult:
        with Vertical(id="headings"):
            yield Static(literal("Search the library by a MeSH heading", style="bold"))
            yield OptionList(
                *(Option(literal(h), id=str(n)) for n, h in enumerate(self.headings)), id="headings-list"
            )
            yield Static(literal("enter: search · escape: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.headings[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
