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
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from store.export import EXPORTERS
from store.export.write import FORMATS, WALK_FORMATS
from tui.text import literal

WHAT = {
    "article": "This article",
    "starred": "Starred articles",
    "included": "Included articles",
    "trail": "The trail walked",
}
# File extensions of the walk's formats (the record formats know their own).
WALK_EXTENSIONS = {"edges": "csv", "dot": "dot"}


class Choice(RadioButton):
    """A radio button whose glyph says whether it is chosen (● or ○), not only its colour: it must read
    in a terminal without colours (NO_COLOR)."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else "○"
        return super()._button


@dataclass(frozen=True)
class ExportRequest:
    what: str
    format: str
    path: Path


def extension(fmt: str) -> str:
    return WALK_EXTENSIONS.get(fmt) or EXPORTERS[fmt].extension


def export_folder() -> Path:
    """Where exports go unless the user types another path: their documents folder (else downloads,
    else home), never the folder the app happened to be started in."""
    import platformdirs

    for folder in (platformdirs.user_documents_path(), platformdirs.user_downloads_path()):
        if folder.is_dir():
            return folder
    return Path.home()


class ExportScreen(ModalScreen[ExportRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path, article: str | None, export: Callable[[ExportRequest], str]) -> None:
        """``article`` names the article "This article" is (None: there is none); ``export`` does the
        export and returns "" or, when it failed, why (shown in the dialog)."""
        super().__init__()
        self.folder = folder
        self.article = article
        self.have_article = article is not None
        self.export = export

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Static(literal("Export", style="bold"))
            target = f"This article: {self.article}" if self.article else "No article is open or highlighted."
            yield Static(literal(target), id="export-article")
            with Horizontal():
                with RadioSet(id="export-what"):
                    for key, label in WHAT.items():
                        yield Choice(
                            label,
                            id=f"what-{key}",
                            value=key == ("article" if self.have_article else "starred"),
                            disabled=key == "article" and not self.have_article,
                        )
                with RadioSet(id="export-format"):
                    for n, name in enumerate(FORMATS):
                        yield Choice(name, id=f"format-{name}", value=n == 0)
            yield Static(literal("To the file (edit the path as you like):", style="dim"))
            yield Input(str(self.folder / "pmbrowse-export.bib"), id="export-path", compact=True)
            walk = "edges and dot: the trail and the citations between its articles."
            yield Static(literal(walk, style="dim"))
            yield Static(id="export-error")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

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
