"""A scrolling view that draws only the lines on screen, for lists and maps of thousands of rows.

``VirtualView`` holds what the citation map (``MapView``) and the Snowball candidates
(``CandidateList``) share: the widget's ``virtual_size`` is the whole content, ``render_line`` asks the
subclass for one content line only when it is on screen (``content_line``), crops it to the horizontal
scroll and pads it to the width; ``reveal`` scrolls a content region into view and ``refresh_content``
redraws one. What a cursor is (an index, an article on a grid) and how it moves is each subclass's own.

``RowList`` is a ``VirtualView`` of rows of ``ROW_HEIGHT`` lines with a cursor on one: what the link
panes (``tui.widgets.links.LinkList``) and the Snowball candidates (``CandidateList``) share, written
once: the keys that move the cursor (a row, a page, the ends), where a row is, which row a click is on.
How the cursor is kept and drawn (``move_to``) is each list's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Offset, Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.scrollbar import ScrollBar


class LaidOutOnce(Widget):
    """A widget whose new size lays nothing more out. Textual takes the sizes a layout gives as a change
    that asks for a layout (``virtual_size``): a header of another height, the panes below it and their
    scrollbar asked for a second layout of the whole screen, which found nothing to move (~2,800
    Python calls of an article opened, measured 2026-12-07). Such a widget's own height follows its
    content or its rules, not its virtual size, and the layout placed its children with it."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


class SteadyScrollbars(ScrollView):
    """A scroll view whose scrollbars are drawn again when what they show changed, not at every layout.

    At each layout Textual gives a scroll view its content region as its virtual size, never its own,
    so a scroll view finds its virtual size "changed" every time and refreshes its scrollbars: each
    layout drew every scroll view's scrollbar anew (the result list's, 35 lines, ~3 ms of opening an
    article, measured 2026-12-06; Textual draws a scrollbar whose clip overlaps the frame's, even off
    it). Here the virtual size a layout gives counts as changed only when the view's own changed
    since the last layout (what the scrollbars show follows it), or its size or its container's."""

    _virtual_seen: Size | None = None

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """The vertical scrollbar, made as Textual makes it, of the kind that keeps its styled lines
        (``tui.widgets.scrollbars``: drawn again at each article opened)."""
        if self._vertical_scrollbar is None:
            from tui.widgets.scrollbars import KeptLinesScrollBar  # (when a view first needs one)

            bar = KeptLinesScrollBar(vertical=True, name="vertical", thickness=self.scrollbar_size_vertical)
            bar.display = False
            self._vertical_scrollbar = bar
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        if self.virtual_size == self._virtual_seen:
            virtual_size = self.virtual_size
        self._virtual_seen = self.virtual_size
        return super()._size_updated(size, virtual_size, container_size, layout)


class VirtualView(SteadyScrollbars, can_focus=True):
    """Lines drawn on demand; subclasses set ``virtual_size`` and implement ``content_line``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines_drawn = 0  # content lines rendered (tests check that only the visible ones are)
        self._frame: tuple[Style, int, Offset] | None = None  # (style, width, scroll) while a frame is drawn

    def content_line(self, y: int, width: int) -> Strip | None:
        """Line ``y`` of the content (0 is the first, whatever the scroll), or None where there is none.
        ``width`` is the width on screen; the strip may be wider (it is cropped to the scroll)."""
        raise NotImplementedError

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of a frame asks (the widget's style walks its ancestors' styles: a tenth of
        # a link pane's frame when it was asked for each line), looked up once for the frame.
        self._frame = (self.rich_style, self.scrollable_content_region.width, self.scroll_offset)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    @property
    def frame_style(self) -> Style:
        """The widget's style (looked up once a frame while its lines are drawn)."""
        return self._frame[0] if self._frame is not None else self.rich_style

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        style, width, offset = (
            frame
            if frame is not None
            else (self.rich_style, self.scrollable_content_region.width, self.scroll_offset)
        )
        strip = self.content_line(y + offset.y, width)
        if strip is None:
            return Strip.blank(width, style)
        self.lines_drawn += 1
        x = offset.x
        return strip.crop(x, x + width).extend_cell_length(width, style)

    def reveal(self, region: Region) -> None:
        """Scroll at once, as little as needed, to bring ``region`` (in content coordinates) into view."""
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def refresh_content(self, region: Region) -> None:
        """Redraw ``region`` of the content (in content coordinates), if it is on screen."""
        self.refresh(region.translate(-self.scroll_offset))


class RowList(VirtualView, can_focus=True):
    """Rows of ``ROW_HEIGHT`` lines, drawn on demand, with a cursor on one row (see the module
    docstring). Subclasses say how many rows there are (``row_total``), where the cursor is
    (``cursor_row``) and move it (``move_to``: clamped to the rows, the row revealed)."""

    ROW_HEIGHT: ClassVar[int] = 2
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    @property
    def row_total(self) -> int:
        """How many rows there are (a line of guidance shown instead is none)."""
        raise NotImplementedError

    @property
    def cursor_row(self) -> int | None:
        """The row the cursor is on (None: none)."""
        raise NotImplementedError

    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped to the rows), revealed."""
        raise NotImplementedError

    def row_region(self, index: int) -> Region:
        """Row ``index``, across the view's width, in content coordinates (to redraw it)."""
        return Region(0, index * self.ROW_HEIGHT, self.size.width, self.ROW_HEIGHT)

    def reveal_row(self, index: int) -> None:
        """Scroll row ``index`` into view, vertically only."""
        self.reveal(Region(0, index * self.ROW_HEIGHT, 1, self.ROW_HEIGHT))

    def row_at(self, y: int) -> int | None:
        """The row at line ``y`` of the widget as on screen (a click's, counted from its top edge: a
        border or padding above the rows is not a row), or None off the rows."""
        line = y - self.gutter.top
        index = (line + self.scroll_offset.y) // self.ROW_HEIGHT
        return index if line >= 0 and 0 <= index < self.row_total else None

    def action_move(self, step: int) -> None:
        at = self.cursor_row
        self.move_to((at if at is not None else -1 if step > 0 else 0) + step)

    def action_page(self, step: int) -> None:
        rows = max(1, self.scrollable_content_region.height // self.ROW_HEIGHT)
        self.move_to((self.cursor_row or 0) + step * rows)

    def action_jump(self, index: int) -> None:
        self.move_to(index if index >= 0 else self.row_total - 1)
