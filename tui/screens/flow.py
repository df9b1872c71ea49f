"""The review's PRISMA 2020 flow diagram in the app (``P`` in the Snowball view): the same text
``pmbrowse snowball report`` prints (``store.snowball.diagram.flow_text``), drawn for the width of the
screen and scrolled with the keys (it is taller than a terminal of 24 lines). Its numbers are the
review's, whoever looks: every screener's decisions as agreed or resolved, as the report counts them.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from store.errors import PmbrowseError
from store.library import Library
from store.marks import Marks
from store.snowball.diagram import flow_text
from store.snowball.flow import Flow, flow
from store.snowball.state import SnowballFile
from tui.text import literal

NARROWEST = 60  # what flow_text draws at the least


class FlowScreen(ModalScreen[None]):
    """The flow diagram, scrolled with ↑ ↓ page up / page down home end; escape, P or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,P", "close", "Close", show=False),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("down,j", "scroll(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("home", "end(0)", "Top", show=False),
        Binding("end", "end(1)", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    FlowScreen { align: center middle; }
    FlowScreen > VerticalScroll { width: 100%; height: 100%; border: round $accent; padding: 0 1;
                                  scrollbar-size-vertical: 1; }
    FlowScreen #flow-text { width: auto; }
    """

    def __init__(self, library: Library, marks: Marks) -> None:
        super().__init__()
        self.library = library
        self.marks = marks
        self.done: Flow | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="flow") as scroll:
            scroll.border_title = "PRISMA 2020 flow"
            scroll.border_subtitle = "↑↓ scroll · escape closes"
            yield Static(literal("Counting…", style="italic"), id="flow-text")

    def on_mount(self) -> None:
        self.count()

    @work(thread=True, exclusive=True)
    def count(self) -> None:
        """Read the review (in a thread: the flow reads every decision, and the library where keys do
        not tell which article an entry is)."""
        try:
            done = flow(self.library, SnowballFile.open(self.library.path).load(), self.marks)
        except PmbrowseError as exc:
            self.app.call_from_thread(self._say, str(exc))
            return
        self.app.call_from_thread(self._show, done)

    def _say(self, message: str) -> None:
        self.query_one("#flow-text", Static).update(literal(message, style="italic"))

    def _show(self, done: Flow) -> None:
        self.done = done
        self._draw()

    def on_resize(self) -> None:
        if self.done is not None:
            self._draw()

    def _draw(self) -> None:
        assert self.done is not None
        scroll = self.query_one(VerticalScroll)
        # The room inside the frame and its padding, less the scroll bar's column (it is there once the
        # diagram is drawn: the diagram is taller than a screen).
        room = scroll.scrollable_content_region.width - (0 if scroll.show_vertical_scrollbar else 1)
        width = max(NARROWEST, room)
        self.query_one("#flow-text", Static).update(literal(flow_text(self.done, width).rstrip("\n")))

    def action_scroll(self, step: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=step, animate=False)

    def action_page(self, step: int) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_relative(y=step * max(1, scroll.scrollable_content_region.height - 1), animate=False)

    def action_end(self, bottom: int) -> None:
        scroll = self.query_one(VerticalScroll)
        (scroll.scroll_end if bottom else scroll.scroll_home)(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["FlowScreen"]
