"""The first page searched while the app is imported (``tui.firstpage``) is a screenful of rows
(``firstpage.ROWS``): each row found reads the search index's document, and only a screenful is drawn
in the first frame. The whole page (``listing.MAX_HITS``) is searched after the first paint, before the
library is read, and the highlighted row is kept."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.tui.helpers import border_title, make_app, ready, titled_library, until
from tui import firstpage, listing
from tui.screens.main.loading import Loading


@pytest.fixture
def many(tmp_path: Path) -> Path:
    return titled_library(tmp_path / "library.json", [f"Article number {n}" for n in range(1, 151)])


async def test_the_first_page_is_a_screenful_and_the_rest_follows(
    many: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[int] = []
    first = Loading._show_first

    def show_first(self: Loading, query: str, index: Any, results: Any, order: str) -> None:
        shown.append(len(results.hits))
        first(self, query, index, results, order)

    monkeypatch.setattr(Loading, "_show_first", show_first)
    firstpage.start(many, "")
    app = make_app(many)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert await until(pilot, lambda: len(screen.results.hits) == 150)
        title = border_title(screen.results)
    assert shown == [firstpage.ROWS]
    assert "150 hits" in title and "shown" not in title, title


async def test_the_row_moved_to_before_the_rest_came_stays_highlighted(
    many: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    search = listing.search

    def held(index: Any, query: str, order: str, limit: int, marks: Any = None) -> Any:
        if limit == listing.MAX_HITS:  # (the rest of the page: held until the row has moved)
            release.wait(10)
        return search(index, query, order, limit, marks)

    monkeypatch.setattr(listing, "search", held)
    firstpage.start(many, "")
    app = make_app(many)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        assert await until(pilot, lambda: len(screen.results.hits) == firstpage.ROWS)
        await pilot.press("down", "down", "down")
        moved = screen.results.highlighted
        assert moved is not None and moved > 0
        keys = screen.results.keys_at(moved)
        release.set()
        assert await until(pilot, lambda: len(screen.results.hits) == 150)
        await ready(pilot)
        highlighted = screen.results.highlighted
        assert highlighted is not None and screen.results.keys_at(highlighted) == keys


async def test_the_threads_take_turns_as_usual_once_the_library_is_read(many: Path) -> None:
    """(``firstpage.quick_switches``, as ``tui.cli.run_app`` starts the app: only until then.)"""
    import sys

    usual = sys.getswitchinterval()
    firstpage.quick_switches()
    try:
        firstpage.start(many, "")
        app = make_app(many)
        async with app.run_test(size=(120, 40)) as pilot:
            assert sys.getswitchinterval() == firstpage.START_SWITCH
            await ready(pilot)
            assert sys.getswitchinterval() == usual
    finally:
        firstpage.usual_switches()  # (whatever happened: not the rest of the tests)
