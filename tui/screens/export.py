"""The export dialog: what (this article, the marked ones, the trail), in which format, to which file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from store.export import EXPORTERS
from store.export.write import FORMATS, WALK_FORMATS
from tui.text import literal

WHAT = {
    "article": "This article",
    "starred": "Starred articles",
    "included": "Included articles",
    "trail": "The trail (the articles walked)",
}
# File extensions of the walk's formats (the record formats know their own).
WALK_EXTENSIONS = {"edges": "csv", "dot": "dot"}


@dataclass(frozen=True)
class ExportRequest:
    what: str
    format: str
    path: Path


def extension(fmt: str) -> str:
    return WALK_EXTENSIONS.get(fmt) or EXPORTERS[fmt].extension


class ExportScreen(ModalScreen[ExportRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path, have_article: bool, export: Callable[[ExportRequest], str]) -> None:
        """``export`` does the export and returns "" or, when it failed, why (shown in the dialog)."""
        super().__init__()
        self.folder = folder
        self.have_article = have_article
        self.export = export

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Static(literal("Export", style="bold"))
            with Horizontal():
                with RadioSet(id="export-what"):
                    for key, label in WHAT.items():
                        yield RadioButton(
                            label,
                            id=f"what-{key}",
                            value=key == ("article" if self.have_article else "starred"),
                            disabled=key == "article" and not self.have_article,
                        )
                with RadioSet(id="export-format"):
                    for n, name in enumerate(FORMATS):
                        yield RadioButton(name, id=f"format-{name}", value=n == 0)
            yield Input(str(self.folder / "pmbrowse-export.bib"), id="export-path")
            yield Static(literal("edges and dot export the trail's citation graph.", style="dim"))
            yield Static(id="export-error")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go")
                yield Button("Cancel", id="export-cancel")

    def _choice(self, radio_set: str) -> str:
        pressed = self.query_one(radio_set, RadioSet).pressed_button
        assert pressed is not None and pressed.id is not None
        return pressed.id.split("-", 1)[1]

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self) -> None:
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value or str(self.folder / "pmbrowse-export"))
        path_input.value = str(path.with_suffix("." + extension(self._choice("#export-format"))))

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-path")
    def _go(self) -> None:
        fmt, what = self._choice("#export-format"), self._choice("#export-what")
        if fmt in WALK_FORMATS and what != "trail":
            self.notify("edges and dot export the trail: choose “The trail”.", severity="warning")
            return
        request = ExportRequest(what, fmt, Path(self.query_one("#export-path", Input).value).expanduser())
        problem = self.export(request)
        if problem:
            self.query_one("#export-error", Static).update(literal(problem, style="bold red"))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
