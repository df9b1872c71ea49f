"""The first page is a screenful of the terminal the app starts in (``firstpage.screenful``): enough
rows to fill the result list at that size, and no more (Textual wraps every row it is given before the
first frame, visible or not). A list shown later is given the rows that fill it as it is then:
tests/tui/test_first_rows_fill.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.search import Hit
from tests.tui.helpers import make_app, ready
from tui import firstpage
from tui.widgets.rows import hit_row


def test_without_a_terminal_the_first_page_is_the_most_rows() -> None:
    assert firstpage.screenful(None) == firstpage.MAX_ROWS
    assert firstpage.screenful(0) == firstpage.MAX_ROWS  # (a terminal that says no size)
    assert firstpage.screenful(500) == firstpage.MAX_ROWS


def test_a_hit_is_two_lines_at_least() -> None:
    """(What ``screenful`` counts on: half the terminal's lines in rows fill it.)"""
    hit = Hit(1, None, "1", None, None, "T", None, "", "", 0, False, 0)  # (no byline: the least)
    assert "\n" in hit_row(hit).plain


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 60)])
async def test_a_screenful_fills_the_result_list(demo_path: Path, size: tuple[int, int]) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        results = (await ready(pilot)).results
        shown = results.scrollable_content_region.height  # (the lines the list shows)
    rows = firstpage.screenful(size[1])
    assert 2 * rows >= shown + 1, (rows, shown)  # every line shown, the last row's first line too
    assert rows <= firstpage.MAX_ROWS
