"""The Snowball view's list of candidates: two lines each, drawn only when on screen, a cursor on one.

Each row: the decision the view shows (✔ included, ✘ excluded, ⊘ not retrieved; ``!`` a conflict
between screeners, ``…`` your decision awaiting the second screener, when the view is not blind), how
it was found (``CandidateList.flag_of``: ``new``, the round that first found it, ``db`` a database
search's record), ● a record /
○ a stub, the title and the year; under it the identifier first (so a narrow terminal never cuts the
PMID) and why the candidate is there ("cited by 4 of your 12 included · cites 2", "search PubMed
2026-12-01"). The list shows what it is given and posts messages; what a decision is, and where the
cursor goes after one, is the screen's (``tui.screens.screening``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from store.snowball.engine import Row
from tui.text import printable
from tui.widgets.virtual import RowList

ROW_HEIGHT = 2
MARKS = {
    "included": ("✔", Style(color="green", bold=True)),
    "excluded": ("✘", Style(color="red", bold=True)),
    "not-retrieved": ("⊘", Style(color="yellow", bold=True)),
    "conflict": ("!", Style(color="yellow", bold=True, reverse=True)),
    "awaiting": ("…", Style(dim=True, bold=True)),  # (your decision, awaiting the second screener)
}
DIM = Style(dim=True)
CURSOR = Style(reverse=True)


def _none(index: int) -> str | None:
    return None


def _no_why(row: Row) -> str:
    return ""


def found_flag(row: Row) -> str:
    """``new`` (this round's own record) or the round that first found it (``r1``), from the candidate
    alone; the screen knows more (``CandidateList.flag_of``)."""
    c = row.candidate
    return "new" if not c.known else f"r{c.round}"


def row_label(row: Row) -> str:
    """How a row names its article: ``PMID 12345``, else its PMCID, DOI or label."""
    if row.pmid:
        return f"PMID {row.pmid}"
    return row.pmcid or (f"DOI {row.doi}" if row.doi else row.candidate.label)


class CandidateList(RowList, can_focus=True):
    """Candidates, two lines each, drawn on demand; a cursor on one (its keys: ``RowList``).
    ``mark_of(index)`` says the mark of a row (included, excluded, not-retrieved, conflict, or None);
    ``why_of(row)`` why it is listed."""

    ROW_HEIGHT = ROW_HEIGHT
    DEFAULT_CSS = """
    CandidateList { height: 1fr; }
    """

    @dataclass
    class Highlighted(Message):
        index: int

    @dataclass
    class Chosen(Message):
        index: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.rows: list[Row] = []
        self.cursor = 0
        self.mark_of: Callable[[int], str | None] = _none
        self.why_of: Callable[[Row], str] = _no_why
        self.flag_of: Callable[[Row], str] = found_flag

    def show_rows(self, rows: list[Row], cursor: int = 0) -> None:
        self.rows = rows
        self.cursor = max(0, min(cursor, len(rows) - 1))
        # As wide as the room for the lines (never wider: no horizontal scroll bar for a cut title).
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows) * ROW_HEIGHT)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.reveal_row(self.cursor)
        self.refresh()
        if rows:
            self.post_message(self.Highlighted(self.cursor))

    @property
    def row_total(self) -> int:
        return len(self.rows)

    @property
    def cursor_row(self) -> int | None:
        return self.cursor if self.rows else None

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def content_line(self, y: int, width: int) -> Strip | None:
        index, part = divmod(y, ROW_HEIGHT)
        if not 0 <= index < len(self.rows):
            return None
        row = self.rows[index]
        segments = self._title_line(index, row, width) if part == 0 else self._second_line(row)
        strip = Strip(segments).crop(0, width).extend_cell_length(width)
        if index == self.cursor:
            strip = strip.apply_style(CURSOR)
        return strip

    def _title_line(self, index: int, row: Row, width: int) -> list[Segment]:
        mark, mark_style = MARKS.get(self.mark_of(index) or "", (" ", Style()))
        c = row.candidate
        label = self.flag_of(row)
        flag = f"{label:<4}"
        year = f"  {row.year}" if row.year else ""
        # The year always shows; a title too long for the line ends in an ellipsis, not mid-word.
        room = max(8, width - 2 - len(flag) - 2 - len(year))
        title = printable(row.title or c.label)
        if cell_len(title) > room:
            cut = Text(title)
            cut.truncate(room, overflow="ellipsis")
            title = cut.plain
        return [
            Segment(mark, mark_style),
            Segment(" "),
            Segment(flag, Style(color="green") if label == "new" else DIM),
            Segment("○ " if row.stub else "● ", DIM if row.stub else Style(color="green")),
            Segment(title),
            Segment(year, DIM),
        ]

    def _second_line(self, row: Row) -> list[Segment]:
        why = self.why_of(row)
        text = "        " + printable(" · ".join(p for p in (row_label(row), why) if p))
        return [Segment(text, DIM)]

    def move_to(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(len(self.rows) - 1, index))
        if index == self.cursor:
            return
        before = self.cursor
        self.cursor = index
        self.reveal_row(index)
        self.refresh_row(before)
        self.refresh_row(index)
        self.post_message(self.Highlighted(index))

    def refresh_row(self, index: int) -> None:
        self.refresh_content(self.row_region(index))

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # Consumed here: the view closes on it, and the key must not go on to the list that has
            # the focus on the screen below (which would open its own highlighted row after ours).
            event.stop()
            event.prevent_default()
            if self.current is not None:
                self.post_message(self.Chosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = self.row_at(event.y)
        if index is not None:
            self.move_to(index)
            if event.chain >= 2:
                self.post_message(self.Chosen(index))


__all__ = ["ROW_HEIGHT", "CandidateList", "found_flag", "row_label"]
