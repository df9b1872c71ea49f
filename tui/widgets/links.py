"""The link panes (references, citing articles): rows drawn on demand, as they come on screen (an
article can have ten thousand citing articles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from store.ids import identity_keys
from tui.text import describe, literal
from tui.widgets.lists import MarkOf, no_marks
from tui.widgets.rows import link_lines
from tui.widgets.strips import line_strip
from tui.widgets.virtual import RowList

if TYPE_CHECKING:
    from store.library import Library, LinkView


class LinkList(RowList, can_focus=True):
    """References or citing articles of the open article: two lines a row, drawn as they come on
    screen, built from the library then (``Library.rows``: the targets' heads, a page at a time).

    Opening an article with ten thousand citing articles reads their ids (one record) and builds the
    rows of the first screenful, nothing more; the rest are built as they scroll into view. A row is two
    lines: the title, cut with an ellipsis when it is longer than the line (rows of one height are what
    lets a list of any length be drawn without building it), and what the row's second line says."""

    # (with RowList's: the keys that move the cursor)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "choose", "Open", show=False)]
    ROW_HEIGHT = 2
    # Rows built at a time, at least: the rows on screen (a screenful; opening an article builds no
    # more than it shows: the library reads each target's head).
    PAGE = 16
    # Lines kept as drawn (a few screens: each strip is a dozen objects the garbage collector walks
    # at every full collection while it lives; 4,096 of them were ~50,000 objects).
    KEPT_LINES = 512
    COMPONENT_CLASSES: ClassVar[set[str]] = {"link-list--cursor"}
    # The look of the result list (an OptionList), so the panes and the list read alike.
    DEFAULT_CSS = """
    LinkList {
        color: $foreground;
        overflow-x: hidden;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .link-list--cursor {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .link-list--cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    @dataclass
    class Chosen(Message):
        """A row was chosen (enter, or a click): open its article."""

        rows: LinkList
        index: int

    def __init__(self, rel: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.rel = rel
        self.mark_of: MarkOf = no_marks
        self.library: Library | None = None
        self.doc_id = 0
        self._ids: list[int] = []  # the targets' document ids, in the order the links were learnt
        self.visited: set[int] = set()
        # What ``show_links`` was asked to show while the pane was hidden: read when it is shown or asked.
        self._waiting: tuple[str, int | None] | None = None
        self.message: Text | None = None  # a line of guidance instead of rows
        self._cursor: int | None = None
        self._built: dict[int, LinkView] = {}
        self._drawn: dict[int, list[Text]] = {}
        # Lines as drawn, by (row, line, width, cursor on it, focused): scrolling redraws them often.
        self._strips: dict[tuple[int, int, int, bool, bool], Strip] = {}

    def show_links(
        self, library: Library, doc_id: int, visited: set[int], empty: str, keep: int | None = None
    ) -> None:
        """Show the links of ``doc_id``; ``keep``: the target to stay on (after a reload). A hidden pane
        reads them when it is shown (``Panes``, before its first frame) or asked (``ids``): the open
        article's other pane read them at every open (321 of the 3,570 Python calls of opening the famous
        article from one of its references, Cited by showing, measured 2026-12-07)."""
        self.library, self.doc_id, self.visited = library, doc_id, visited
        self._waiting = (empty, keep)
        if self.display:
            self.load()

    def load(self) -> None:
        """Read and show the links ``show_links`` was given, if they wait (the pane was hidden)."""
        if self._waiting is None or self.library is None:
            return
        (empty, keep), self._waiting = self._waiting, None
        self._ids = self.library.link_ids(self.doc_id, self.rel)
        self._built, self._drawn, self._strips = {}, {}, {}
        if not self.ids:
            self.show_message(empty)
            return
        self.message = None
        row = self.ids.index(keep) if keep is not None and keep in self.ids else 0
        self._resize(len(self.ids))
        self._cursor = row
        if keep is None:
            self.scroll_to(0, 0, animate=False)
        self.reveal_cursor()
        self.refresh()

    def show_message(self, message: str | Text) -> None:
        """Replace the rows with one line of guidance (not selectable)."""
        self._ids, self._built, self._drawn, self._strips = [], {}, {}, {}
        self._waiting = None
        self.message = literal(message, style="italic") if isinstance(message, str) else message
        self._cursor = None
        self._resize(1, height=1)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def ids(self) -> list[int]:
        """The targets' document ids, in the order the links were learnt (read now if they wait)."""
        self.load()
        return self._ids

    def kept_target(self) -> int | None:
        """The target the cursor is on, to stay on at a reload (the one to stay on, if the links wait:
        a pane not shown since the article opened has none)."""
        if self._waiting is not None:
            return self._waiting[1]
        row = self._cursor
        return self._ids[row] if row is not None and row < len(self._ids) else None

    def _resize(self, rows: int, height: int = ROW_HEIGHT) -> None:
        """The rows' height as the list's virtual size. Set as Textual's would be (``virtual_size``)
        it asks for a layout of the whole screen (~2 ms and a repaint of every widget it moves, at each
        open of an article with another count of links), where only the scrollbar follows: the list's
        size does not depend on its rows. So the scrollbar is told here, and a layout happens only if
        it appears or goes (``_refresh_scrollbars``, from ``_scroll_update``)."""
        size = Size(self.size.width or 80, rows * height)
        if size == self.virtual_size:
            return
        self.set_reactive(LinkList.virtual_size, size)
        if self.display and self.is_mounted and self.container_size:
            self._scroll_update(size)
            self._virtual_seen = size  # (drawn: the next layout need not draw the scrollbar again)
        self.refresh()

    # Rows ------------------------------------------------------------------------------------------

    def view(self, index: int) -> LinkView | None:
        """The link in row ``index``, built (with the rows around it) when first asked for."""
        if not 0 <= index < len(self.ids) or self.library is None:
            return None
        found = self._built.get(index)
        if found is None:
            # From this row down, the rows not built yet: a screen is drawn from its top line, so the
            # first asked for is the top one on screen (scrolling up asks for the row above it).
            page = max(self.PAGE, self.size.height // self.ROW_HEIGHT + 1)
            built = self._built
            # The ids were read once, when the links were shown; a row is placed by its target (one the
            # library no longer holds has no row: the rows after it must not move up into its place).
            where = {
                target: n for n, target in enumerate(self.ids[index : index + page], index) if n not in built
            }
            for row in self.library.rows(where):
                if row.target_id is not None:
                    self._built.setdefault(where[row.target_id], row)
            found = self._built.get(index)
        return found

    def _text(self, index: int) -> list[Text] | None:
        """Row ``index`` as drawn, a Text a line."""
        drawn = self._drawn.get(index)
        if drawn is None:
            view = self.view(index)
            if view is None:
                return None
            drawn = self._drawn[index] = list(
                link_lines(view, view.target_id in self.visited, self.mark_of(_view_keys(view)))
            )
        return drawn

    def row_text(self, index: int) -> str:
        """Row ``index`` as plain text (both lines), or the guidance shown instead of rows."""
        self.load()
        if self.message is not None:
            return self.message.plain
        lines = self._text(index)
        return "\n".join(line.plain for line in lines) if lines is not None else ""

    @property
    def row_count(self) -> int:
        self.load()
        return len(self.ids) if self.message is None else 1

    @property
    def row_total(self) -> int:
        return len(self.ids)

    @property
    def cursor_row(self) -> int | None:
        return self.highlighted

    def content_line(self, y: int, width: int) -> Strip | None:
        if self.message is not None:
            return self._strip(self.message, width) if y == 0 else None
        index, part = divmod(y, self.ROW_HEIGHT)
        key = (index, part, width, index == self.highlighted, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            lines = self._text(index)
            if lines is None:
                return None
            line = lines[part] if part < len(lines) else Text()
            if len(self._strips) >= self.KEPT_LINES:
                self._strips = {}
            strip = self._strips[key] = self._strip(line, width, cursor=key[3])
        return strip

    def _strip(self, line: Text, width: int, cursor: bool = False) -> Strip:
        """One line, cut to ``width`` (an ellipsis) and padded to it, in the widget's style with the
        cursor's above it and the line's own spans above both: one strip, made once
        (``tui.widgets.strips``: applying each style to a strip makes another strip, with its caches)."""
        style = self.frame_style
        if cursor:
            style += self.get_component_rich_style("link-list--cursor")
        return line_strip(line, width, style, self.app.console)

    def keys_at(self, index: int) -> list[str]:
        view = self.view(index)
        return _view_keys(view) if view else []

    def describe(self, index: int) -> str:
        view = self.view(index)
        return describe(view.title, view.pmid, view.pmcid, view.doi) if view else "That row"

    def redraw(self) -> None:
        """Draw the rows again (after marks changed), keeping the highlight."""
        self._drawn, self._strips = {}, {}
        self.refresh()

    # The cursor ------------------------------------------------------------------------------------

    @property
    def highlighted(self) -> int | None:
        """The row the cursor is on (None: no rows)."""
        self.load()
        return self._cursor

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        if index is None or not self.ids:
            self._cursor = None
            self.refresh()
        else:
            self._move_to(index)

    def row_of(self, keys: list[str]) -> int | None:
        """The row showing the article with any of these identity keys."""
        doc_id = self.library.find_keys(keys) if self.library is not None else None
        return self.ids.index(doc_id) if doc_id is not None and doc_id in self.ids else None

    def move_to(self, index: int) -> None:
        self._move_to(index)

    def _move_to(self, index: int) -> None:
        if not self.ids:
            return
        self._cursor = max(0, min(index, len(self.ids) - 1))
        self.reveal_cursor()
        self.refresh()

    def reveal_cursor(self) -> None:
        if self.highlighted is not None:
            self.reveal_row(self.highlighted)

    def action_cursor_down(self) -> None:  # (as an OptionList's: the main screen moves any list so)
        self.action_move(1)

    def action_cursor_up(self) -> None:
        self.action_move(-1)

    def action_choose(self) -> None:
        if self.highlighted is not None and self.ids:
            self._chosen(self.highlighted)

    def _chosen(self, index: int) -> None:
        """Row ``index`` was chosen: said to the screen, which opens it. Posted here, the message
        went up through the pane's four containers, a turn of each one's queue (~600 Python calls
        of each open from a pane, measured 2026-12-06); nothing between handles it."""
        self.screen.post_message(self.Chosen(self, index))

    def key_enter(self, event: events.Key) -> None:
        """Enter opens the row here: the key went back up to the app, whose bindings then found this
        list's (``choose``), widget by widget (~1.3 ms of an open, measured 2026-12-06)."""
        event.stop()
        event.prevent_default()
        self.action_choose()

    def on_click(self, event: events.Click) -> None:
        if self.message is None:
            index = self.row_at(event.y)
            if index is not None:
                self._move_to(index)
                self._chosen(index)

    def notify_style_update(self) -> None:
        self._strips = {}  # (a theme or style changed: the lines are drawn anew)
        super().notify_style_update()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _view_keys(view: LinkView) -> list[str]:
    return identity_keys(view.pmid, view.pmcid, view.doi, title=view.title, year=view.year)
