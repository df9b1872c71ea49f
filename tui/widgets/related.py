"""The Related pane: the articles most related to the open one, by co-citation, coupling or both.

Self-contained: give it a library and a document id with ``show(library, doc_id)``; it computes the
rows in a thread (``store.neighbourhood.related``), shows a score and the reason on each row, and posts
``RelatedPane.Selected`` when a row is chosen with ``enter`` or a click. ``b`` switches what the rows
are ranked by. When the library changes (a fetch or an import), ``check_library()`` recomputes the
rows in place, the highlighted article kept (``reload()`` even when the library did not change): the
main screen calls it when the app's watcher reports a change while the pane shows, and when the pane
is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.text import printable

# The neighbourhood's machinery is imported when the pane first computes (the app's first screen
# composes the pane, hidden, and needs none of it: ~10 ms of the start).
if TYPE_CHECKING:
    from typing_extensions import Self  # (typing.Self is Python 3.11+)

    from store.library import Library
    from store.neighbourhood.nodes import GraphReader
    from store.neighbourhood.related import Related

# The modes (``store.neighbourhood.related.MODES``, in its order) as the pane names them.
MODE_LABELS = {"cocitation": "co-citation", "coupling": "coupling", "both": "both"}
LIMIT = 50


def related_row(row: Related) -> Text:
    """``0.612 ● Title`` then ``      co-cited 3× · shares 2 references`` and the byline, dimmed."""
    node = row.node
    text = Text()
    text.append(f"{row.score:.3f} ", style="bold")
    text.append("○ " if node.stub else "● ", style="dim" if node.stub else "green")
    text.append(printable(node.title or node.label))
    text.append("\n      " + row.why, style="italic")
    who = node.first_author + (" et al" if node.authors > 1 else "")
    meta = " · ".join(p for p in (who, node.journal, str(node.year or ""), node.label) if p)
    text.append("\n      " + printable(meta), style="dim")
    return text


def mode_line(mode: str, count: int | None) -> Text:
    """``By:  co-citation  [coupling]  both   (b) · 12 articles``"""
    text = Text("By: ", style="bold")
    for name, label in MODE_LABELS.items():
        text.append(f"[{label}]" if name == mode else f" {label} ", style="reverse" if name == mode else "")
        text.append(" ")
    text.append(" (b)", style="dim")
    if count is not None:
        text.append(f" · {count} article{'s' if count != 1 else ''}", style="dim")
    return text


class RelatedList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class RelatedPane(Vertical):
    """The mode line above a list of related articles."""

    DEFAULT_CSS = """
    RelatedPane { height: 1fr; }
    RelatedPane > #related-mode { height: auto; }
    RelatedPane > RelatedList { height: 1fr; scrollbar-gutter: stable; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "switch_mode", "By", show=False),
    ]

    mode: reactive[str] = reactive("both", init=False)

    @dataclass
    class Selected(Message):
        """A related article was chosen (``enter`` or a click)."""

        doc_id: int

    @dataclass
    class Loaded(Message):
        """The rows were (re)computed."""

        doc_id: int
        count: int

    def __init__(self, *, mode: str = "both", limit: int = LIMIT, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.set_reactive(RelatedPane.mode, mode)
        self.limit = limit
        self.library: Library | None = None
        self.doc_id: int | None = None
        self.rows: list[Related] = []
        self._reader: GraphReader | None = None
        self._state_seen: object = None  # the library's state the rows were computed from

    def check_library(self) -> None:
        """Recompute in place when the library changed since (a fetch filled the neighbourhood in)."""
        if self.library is not None and self.doc_id is not None and self.library.state != self._state_seen:
            self.reload()

    def compose(self) -> ComposeResult:
        yield Static(mode_line(self.mode, None), id="related-mode", markup=False)
        yield RelatedList(id="related-list", markup=False)

    @property
    def related_list(self) -> RelatedList:
        return self.query_one(RelatedList)

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focusing the pane focuses its list (so a screen can treat the pane as one widget)."""
        self.related_list.focus(scroll_visible)
        return self

    def show(self, library: Library, doc_id: int) -> None:
        """Compute and show the articles related to ``doc_id``."""
        if library is not self.library:
            from store.neighbourhood.nodes import GraphReader

            self.library = library
            self._reader = GraphReader(library)
        self.doc_id = doc_id
        self._message("Finding related articles…")
        self._compute(keep=None)

    def reload(self) -> None:
        """Recompute for the same article (the library changed), keeping the highlighted row."""
        if self.doc_id is None:
            return
        highlighted = self.related_list.highlighted
        keep = self.rows[highlighted].node.doc_id if highlighted is not None and self.rows else None
        self._compute(keep=keep)

    def watch_mode(self) -> None:
        self.query_one("#related-mode", Static).update(mode_line(self.mode, None))
        self.reload()

    def action_switch_mode(self) -> None:
        from store.neighbourhood.related import MODES

        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]

    def _compute(self, keep: int | None) -> None:
        if self._reader is None or self.doc_id is None:
            return
        self._state_seen = self._reader.library.state
        self._work(self._reader, self.doc_id, self.mode, keep)

    @work(thread=True, exclusive=True, group="related")
    def _work(self, reader: GraphReader, doc_id: int, mode: str, keep: int | None) -> None:
        from store.neighbourhood.related import related

        rows = related(reader, doc_id, mode, limit=self.limit)
        self.app.call_from_thread(self._show_rows, doc_id, mode, rows, keep)

    def _show_rows(self, doc_id: int, mode: str, rows: list[Related], keep: int | None) -> None:
        if doc_id != self.doc_id or mode != self.mode:
            return  # (a newer request is on its way)
        self.rows = rows
        self.query_one("#related-mode", Static).update(mode_line(mode, len(rows)))
        if not rows:
            self._message(self._none_message(mode))
        else:
            self.related_list.set_options([Option(related_row(r)) for r in rows])
            ids = [r.node.doc_id for r in rows]
            self.related_list.highlighted = ids.index(keep) if keep in ids else 0
        self.post_message(self.Loaded(doc_id, len(rows)))

    def _message(self, message: str) -> None:
        self.related_list.set_options([Option(Text(message, style="italic"), disabled=True)])

    @staticmethod
    def _none_message(mode: str) -> str:
        reason = {
            "cocitation": "No article in the library cites this one together with another.",
            "coupling": "No other article in the library lists any of its references.",
            "both": "No article in the library cites it with another or shares its references.",
        }[mode]
        return f"{reason} Fetching its links (f, F) brings more in."

    @on(OptionList.OptionSelected, "#related-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.rows):
            self.post_message(self.Selected(self.rows[event.option_index].node.doc_id))
