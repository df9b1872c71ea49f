"""The two lists of rows with a cursor, the link panes (``LinkList``) and the Snowball candidates
(``CandidateList``), move it by the same keys, written once (``tui.widgets.virtual.RowList``): a row, a
page, the ends, and a click on a row."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from store.library import Library
from store.snowball.engine import run_round
from tests.store.snowball.graph import SEEDS, build, ids
from tui.widgets.candidates import CandidateList
from tui.widgets.links import LinkList
from tui.widgets.virtual import RowList

# (key, the row the cursor is on after it) with 2 rows to a page and 5 rows
MOVES = [
    ("down", 1),
    ("j", 2),
    ("k", 1),
    ("pagedown", 3),
    ("pagedown", 4),
    ("pageup", 2),
    ("home", 0),
    ("up", 0),
    ("end", 4),
    ("down", 4),
]


class Lists(App[None]):
    CSS = "LinkList, CandidateList { height: 6; }"  # (a LinkList's border takes 2: 2 rows a page)

    def __init__(self, path: Path, which: str) -> None:
        super().__init__()
        self.path, self.which = path, which

    def compose(self) -> ComposeResult:
        yield LinkList("references") if self.which == "links" else CandidateList()

    def on_mount(self) -> None:
        if self.which == "links":
            library = Library.open(self.path)  # (the demo article: 5 references)
            seed = library.find("30992990")
            assert seed is not None
            self.query_one(LinkList).show_links(library, seed, set(), "none")
        else:
            library, _ = build(self.path)
            rows = run_round(library, ids(library, *SEEDS)).rows[:5]
            listing = self.query_one(CandidateList)
            listing.styles.height = 4  # (no border: 2 rows a page)
            listing.show_rows(rows)
        self.query_one(RowList).focus()


@pytest.mark.parametrize("which", ["links", "candidates"])
async def test_both_lists_move_the_cursor_by_the_same_keys(tmp_path: Path, which: str) -> None:
    app = Lists(tmp_path / "lib.json", which)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        listing = app.query_one(RowList)
        assert listing.row_total == 5 and listing.cursor_row == 0
        assert listing.scrollable_content_region.height // listing.ROW_HEIGHT == 2
        for key, row in MOVES:
            await pilot.press(key)
            assert (key, listing.cursor_row) == (key, row)
        await pilot.press("home")
        region = listing.scrollable_content_region
        await pilot.click(listing, offset=(region.x - listing.region.x + 2, region.y - listing.region.y + 2))
        await pilot.pause()
        assert listing.cursor_row == 1  # (the second row: lines 2 and 3)


@pytest.mark.parametrize("which", ["links", "candidates"])
async def test_a_click_on_either_line_of_a_row_is_on_that_row(tmp_path: Path, which: str) -> None:
    """Scrolled to the end, each line of the two rows on screen: the row it is part of (a LinkList's
    border is above its first row: a click's line counts from the widget's top, not its rows')."""
    app = Lists(tmp_path / "lib.json", which)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        listing = app.query_one(RowList)
        await pilot.press("end")
        await pilot.pause()
        first = listing.scroll_offset.y // listing.ROW_HEIGHT
        region = listing.scrollable_content_region
        for line in range(2 * listing.ROW_HEIGHT):
            offset = (region.x - listing.region.x + 2, region.y - listing.region.y + line)
            await pilot.click(listing, offset=offset)
            await pilot.pause()
            assert (line, listing.cursor_row) == (line, first + line // listing.ROW_HEIGHT)
