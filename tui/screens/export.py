"""The export dialog: what (this article, the marked ones, the trail), in which format, to which file.

The file's default name names what is exported (``pmbrowse-pmid-30992990.bib``, ``pmbrowse-starred.ris``,
``pmbrowse-included.csv``, ``pmbrowse-trail.dot``: ``store.selection.selection_label``), in the user's
documents folder, and is never a file that is there: a taken name gets a number
(``pmbrowse-starred-2.ris``; ``store.export.write.default_export_path``), and the file is written only
if nothing is there when it is (``write_new_file``). It follows the choices until the path is edited;
then a new format changes only its extension. A path typed that names a file that is there is asked
about: the dialog says so, and pressing Export again on the same path replaces it (issue 16, defect 9:
the dialog overwrote ``pmbrowse-export.<ext>`` without asking, whatever the selection).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from store.export.write import FORMATS, WALK_FORMATS, default_export_path
from tui.screens.dialog import dialog_css
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
    replace: bool = False  # the user said to replace a file that is there (else it is never written over)


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
    # (its own rules: ``tui.screens.dialog``)
    DEFAULT_CSS = (
        dialog_css("ExportScreen", "export")
        + """
    #export-path {
        margin: 0 0 1 0;
    }
    #export-buttons Button {
        margin: 0 0 0 2;
    }
    #export Horizontal {
        height: auto;
    }
    #export RadioSet {
        width: 1fr;
        height: auto;
    }
    #export-buttons {
        height: auto;
        align-horizontal: right;
    }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(
        self,
        folder: Path,
        article: str | None,
        export: Callable[[ExportRequest], str],
        names: Mapping[str, str] | None = None,
    ) -> None:
        """``article`` names the article "This article" is (None: there is none); ``export`` does the
        export and returns "" or, when it failed, why (shown in the dialog); ``names``: each choice's
        name in a file name (``store.selection.selection_label``: ``pmid-30992990``, ``starred``...)."""
        super().__init__()
        self.folder = folder
        self.article = article
        self.have_article = article is not None
        self.export = export
        self.names = dict(names or {})
        self.suggested = ""  # the default path the field holds, until the user edits it
        self.confirm: Path | None = None  # a file that is there, which Export again would replace

    def default_path(self, what: str, fmt: str) -> Path:
        """Where ``what`` in ``fmt`` goes unless the user says otherwise: named for it, never a file
        that is there."""
        return default_export_path(self.folder, self.names.get(what, what), extension(fmt))

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
            self.suggested = str(self.default_path("article" if self.have_article else "starred", FORMATS[0]))
            yield Input(self.suggested, id="export-path", compact=True)
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

    @on(RadioSet.Changed)
    def _choice_changed(self) -> None:
        """A new default name for the new choice; a path the user edited only gets the format's
        extension."""
        path_input = self.query_one("#export-path", Input)
        fmt = self._choice("#export-format")
        if path_input.value == self.suggested:
            self.suggested = str(self.default_path(self._choice("#export-what"), fmt))
            path_input.value = self.suggested
        elif path_input.value:
            path_input.value = str(Path(path_input.value).with_suffix("." + extension(fmt)))
        self.confirm = None

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-path")
    def _go(self) -> None:
        fmt, what = self._choice("#export-format"), self._choice("#export-what")
        if fmt in WALK_FORMATS and what != "trail":
            self.notify("edges and dot export the trail: choose “The trail”.", severity="warning")
            return
        path = Path(self.query_one("#export-path", Input).value).expanduser()
        replace = self.confirm == path
        if not replace and path.is_file():
            self.confirm = path
            self._problem(f"{path.name} is there already: Export again replaces it, or edit the name.")
            return
        problem = self.export(ExportRequest(what, fmt, path, replace=replace))
        if problem:
            self.confirm = path if path.is_file() else None
            self._problem(problem)
            return
        self.dismiss(ExportRequest(what, fmt, path, replace=replace))

    def _problem(self, problem: str) -> None:
        self.query_one("#export-error", Static).update(literal(problem, style="bold red"))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
