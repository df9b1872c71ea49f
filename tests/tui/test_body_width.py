"""The main screen's columns (the result list and the reader, ``#body``) span the whole width of the
terminal. They were two columns short at every size, the screen's background showing at the right
edge: Textual's vertical layout resolves the width of each of the screen's children (``1fr``) less the
widest horizontal margin among them, the search bar's (``margin: 0 1``), so ``#body`` is given its
width in percent of the screen's instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import make_app, ready


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_columns_span_the_screen(lib_path: Path, size: tuple[int, int]) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        width = size[0]
        body = screen.query_one("#body").region
        results, reader = screen.query_one("#results").region, screen.query_one("#reader").region
        assert (body.x, body.width) == (0, width)
        assert (results.x, results.right, reader.right) == (0, reader.x, width)
        search = screen.query_one("#search").region
        assert (search.x, search.right) == (1, width - 1)  # (its margins, as they were)
