"""The citation map: an article's two-hop neighbourhood, references left, citing articles right, by year.

``MapScreen(library, doc_id, trail=())`` lays the map out in a thread (``store.neighbourhood.layout``)
and shows it in a ``MapView``, which draws only the lines on screen (a map of thousands of articles
scrolls at once). The arrow keys (and h j k l) move between articles, the edges of the highlighted
one drawn beside it and the articles it links to in bold; ``enter`` re-centres the map on it; ``o``
closes the map handing back the highlighted article, ``escape`` the one it is centred on (for the app
to open). Articles on the trail (and those re-centred on here) are in italics. When the library
changes (a fetch fills the neighbourhood in), the map is laid out again in place: the app's watcher
posts ``LibraryChanged`` within a second (or at once on ``ctrl+r``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static

from store.library import Library
from store.neighbourhood import GraphReader, MapLayout, layout_map
from store.neighbourhood.layout import COLUMNS, GUTTER, PER_COLUMN, YEAR_WIDTH, MapGrid
from tui.refresh import LibraryChanged
from tui.text import printable
from tui.widgets.virtual import VirtualView

# Kinds of segment (see ``MapGrid``) as styles that read in a monochrome terminal too.
STYLES: dict[str, Style] = {
    "year": Style(dim=True),
    "header": Style(bold=True, underline=True),
    "centre": Style(bold=True, underline=True),
    "focus": Style(reverse=True, bold=True),
    "linked": Style(bold=True),
    "trail": Style(italic=True),
    "stub": Style(dim=True),
    "node": Style(),
    "edge": Style(bold=True),
    "space": Style(),
}


class MapView(VirtualView, can_focus=True):
    """The map's lines, drawn on demand; a cursor on one article."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("home", "home", "Centre", show=False),
    ]
    DEFAULT_CSS = """
    MapView { height: 1fr; }
    """

    @dataclass
    class Highlighted(Message):
        doc_id: int

    @dataclass
    class Chosen(Message):
        doc_id: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.layout_data: MapLayout | None = None
        self.grid: MapGrid | None = None
        self.trail: set[int] = set()

    def show_layout(self, layout: MapLayout, trail: Sequence[int] = ()) -> None:
        self.layout_data = layout
        self.trail = set(trail)
        self.grid = MapGrid(layout, self._column_width())
        self.virtual_size = Size(self.grid.width, layout.height)
        self.scroll_to(0, 0, animate=False)
        self._reveal()
        self.refresh()
        self.post_message(self.Highlighted(self.grid.focus))

    def _column_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width or 80
        return max(8, (width - YEAR_WIDTH - (len(COLUMNS) - 1) * GUTTER) // len(COLUMNS))

    def on_resize(self, event: events.Resize) -> None:
        if self.grid is not None and self.layout_data is not None:
            focus = self.grid.focus
            self.grid = MapGrid(self.layout_data, self._column_width())
            self.grid.focus = focus
            self.virtual_size = Size(self.grid.width, self.layout_data.height)
            self._reveal()
            self.refresh()

    @property
    def focus_id(self) -> int | None:
        return self.grid.focus if self.grid is not None else None

    def content_line(self, y: int, width: int) -> Strip | None:
        grid = self.grid
        if grid is None or not 0 <= y < grid.layout.height:
            return None
        segments = [Segment(text, STYLES.get(kind)) for text, kind in grid.line(y, self.trail)]
        return Strip(segments, grid.width)

    def _reveal(self) -> None:
        grid = self.grid
        if grid is None:
            return
        node = grid.layout.nodes[grid.focus]
        self.reveal(Region(grid.x_of(node.column), node.row, grid.column_width, 1))

    def action_move(self, d_column: int, d_row: int) -> None:
        grid = self.grid
        if grid is None:
            return
        target = grid.layout.step(grid.focus, d_column, d_row)
        self.highlight(target)

    def action_home(self) -> None:
        if self.grid is not None:
            self.highlight(self.grid.layout.centre)

    def highlight(self, doc_id: int) -> None:
        grid = self.grid
        if grid is None or doc_id not in grid.layout.nodes or doc_id == grid.focus:
            return
        grid.focus = doc_id
        self._reveal()
        self.refresh()
        self.post_message(self.Highlighted(doc_id))

    def key_enter(self) -> None:
        if self.grid is not None:
            self.post_message(self.Chosen(self.grid.focus))

    def on_click(self, event: events.Click) -> None:
        grid = self.grid
        if grid is None:
            return
        x = event.x + self.scroll_offset.x - YEAR_WIDTH
        row = event.y + self.scroll_offset.y
        step = grid.column_width + GUTTER
        if x < 0 or x % step >= grid.column_width:
            return
        k = x // step
        if k < len(COLUMNS):
            doc_id = grid.layout.at(COLUMNS[k], row)
            if doc_id is not None:
                self.highlight(doc_id)
                if event.chain >= 2:
                    self.post_message(self.Chosen(doc_id))


def describe(layout: MapLayout, doc_id: int) -> Text:
    """Two lines on the highlighted article: its title, then who, where, when and its links on the map."""
    placed = layout.nodes[doc_id]
    node = placed.node
    text = Text()
    text.append("○ " if node.stub else "● ", style="dim" if node.stub else "green")
    text.append(printable(node.title or node.label), style="bold")
    who = node.first_author + (" et al" if node.authors > 1 else "")
    links = len(layout.neighbours(doc_id))
    meta = [
        who,
        node.journal,
        str(node.year or "no year"),
        node.label,
        f"{links} link{'s' if links != 1 else ''} on the map",
    ]
    text.append("\n" + printable(" · ".join(m for m in meta if m)), style="dim")
    return text


HINTS = "←→↑↓ move · enter re-centre · o open · home back to the centre · escape close"


class MapScreen(Screen[int]):
    """The map of ``doc_id``'s neighbourhood. Dismissed with an article id for the app to open: the
    highlighted one (``o``), or the one the map is centred on (``escape``: the same as it was opened
    on unless ``enter`` re-centred it)."""

    DEFAULT_CSS = """
    MapScreen { layout: vertical; }
    MapScreen > #map-title { height: 1; text-style: bold; }
    MapScreen > #map-header { height: 1; }
    MapScreen > #map-details { height: 2; }
    MapScreen > #map-hints { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("o", "open", "Open", show=False),
    ]

    @dataclass
    class Recentred(Message):
        """The map moved to another article (the app may add it to the trail)."""

        doc_id: int

    def __init__(
        self,
        library: Library,
        doc_id: int,
        trail: Sequence[int] = (),
        per_column: int = PER_COLUMN,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.library = library
        self.reader = GraphReader(library)
        self.centre = doc_id
        self.visited: list[int] = [*trail, doc_id] if not trail or trail[-1] != doc_id else list(trail)
        self.per_column = per_column
        self.layout_data: MapLayout | None = None
        self._state_seen: object = None  # the library's state the map was laid out from
        self._keep_focus: int | None = None  # the article to highlight again after laying out anew

    def compose(self) -> ComposeResult:
        yield Static("", id="map-title", markup=False)
        yield Static("", id="map-header", markup=False)
        yield MapView(id="map-view")
        yield Static("", id="map-details", markup=False)
        yield Static(HINTS, id="map-hints", markup=False)

    def on_mount(self) -> None:
        self.query_one(MapView).focus()
        self.lay_out(self.centre)

    def on_library_changed(self, event: LibraryChanged) -> None:
        if event.library:
            self.check_library()

    def check_library(self) -> None:
        """Lay the map out again, in place, when the library changed (a fetch filled it in)."""
        if self.library.state != self._state_seen:
            self._keep_focus = self.view.focus_id
            self.lay_out(self.centre)

    @property
    def view(self) -> MapView:
        return self.query_one(MapView)

    def lay_out(self, doc_id: int) -> None:
        self._state_seen = self.library.state
        if self.layout_data is None or doc_id != self.centre:
            self.query_one("#map-title", Static).update(Text("Laying out the map…", style="italic"))
        self._work(doc_id)

    def reload(self) -> None:
        """Lay the map out again around the same article (the library changed)."""
        self.lay_out(self.centre)

    @work(thread=True, exclusive=True, group="map")
    def _work(self, doc_id: int) -> None:
        layout = layout_map(self.reader, doc_id, per_column=self.per_column)
        self.app.call_from_thread(self._show, doc_id, layout)

    def _show(self, doc_id: int, layout: MapLayout | None) -> None:
        if layout is None:
            self.query_one("#map-title", Static).update(Text("This article is no longer in the library."))
            return
        self.centre = doc_id
        self.layout_data = layout
        node = layout.nodes[doc_id].node
        title = Text("Map of ", style="bold")
        title.append(printable(node.title or node.label), style="bold")
        title.append(f"  ({len(layout)} articles)", style="dim")
        self.query_one("#map-title", Static).update(title)
        view = self.view
        view.show_layout(layout, self.visited)
        keep, self._keep_focus = self._keep_focus, None
        if keep is not None:
            view.highlight(keep)
        assert view.grid is not None
        header = Text()
        for text, kind in view.grid.header():
            header.append(text, style=STYLES.get(kind))
        self.query_one("#map-header", Static).update(header)

    def on_map_view_highlighted(self, event: MapView.Highlighted) -> None:
        if self.layout_data is not None and event.doc_id in self.layout_data.nodes:
            self.query_one("#map-details", Static).update(describe(self.layout_data, event.doc_id))

    def on_map_view_chosen(self, event: MapView.Chosen) -> None:
        if event.doc_id == self.centre:
            return
        if event.doc_id not in self.visited:
            self.visited.append(event.doc_id)
        self.post_message(self.Recentred(event.doc_id))
        self.lay_out(event.doc_id)

    def action_open(self) -> None:
        """Close the map, handing back the highlighted article (for the app to open)."""
        focus = self.view.focus_id
        self.dismiss(focus if focus is not None else self.centre)

    def action_close(self) -> None:
        self.dismiss(self.centre)
