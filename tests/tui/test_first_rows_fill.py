"""The result list is given the rows that fill it, and no more, before the frame that shows them:
Textual wraps every row it is given (to measure it) before that frame, shown or not, and most of a
hit's rows wrap to four or more lines in the list's width (at 120x40, 21 rows were given where 8
show). Each row's lines are counted at least (``rows.least_lines``, at the list's widest:
``ResultsList._view``), so the rows given always fill the list: before it is laid out (the first page,
shown in the first frame) and after (a search)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App
from textual.screen import Screen

from store.search import Hit, Results
from tests.tui.helpers import make_app, ready, titled_library
from tui import firstpage
from tui.widgets.results import ResultsList
from tui.widgets.rows import least_lines

SIZES = [(80, 24), (120, 40), (160, 60)]
WORDS = "of the effects of exosomal microRNA on tumour growth in a cohort study "


def _title(n: int) -> str:
    return f"Article {n}: {WORDS * (1 + n % 2)}".strip()  # (two or three lines at 120x40, and more)


@pytest.fixture
def long_titles(tmp_path: Path) -> Path:
    return titled_library(tmp_path / "library.json", [_title(n) for n in range(1, 101)])


def _first_frames(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Each frame sent while the list has rows: (rows given, their lines, the lines the list shows)."""
    frames: list[tuple[int, int, int]] = []
    display = App._display

    def displaying(self: App[Any], screen: Screen[Any], renderable: Any) -> None:
        results = self.screen.query(ResultsList)
        if renderable is not None and results and results.first().hits:
            rows = results.first()
            shown = rows.scrollable_content_region.height
            frames.append((rows.option_count, rows.virtual_size.height, shown))
        display(self, screen, renderable)

    monkeypatch.setattr(App, "_display", displaying)
    return frames


def _check(frame: tuple[int, int, int]) -> None:
    given, their_lines, shown = frame
    assert their_lines >= shown, frame  # (filled: no line of the list left blank for a frame)
    assert given <= -(-shown // 3) + 1, frame  # (each row here wraps to three lines or more)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_first_page_gives_the_rows_that_fill_the_list(
    long_titles: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    frames = _first_frames(monkeypatch)
    firstpage.start(long_titles, "")
    app = make_app(long_titles)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        assert len(screen.results.hits) == 100  # (the rest followed)
    assert frames, "no frame with rows"
    _check(frames[0])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_search_gives_the_rows_that_fill_the_list(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    hits = [
        Hit(n, None, str(n), None, None, _title(n), 2020, "J", "Smith J", 1, False, 0) for n in range(200)
    ]
    app = make_app(demo_path)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        frames = _first_frames(monkeypatch)
        screen.results.show_results("All", Results(hits, 200), "")
        await pilot.pause()
        assert frames
        _check(frames[0])
        await pilot.pause()
        assert screen.results.option_count == 200  # (the rest after that frame)


def test_a_rows_least_lines() -> None:
    row = Text("● " + "x" * 50 + "\n  Smith J · J · 2020")
    assert least_lines(row, 26) == 2 + 1  # (52 cells: two lines at least; the byline one)
    assert least_lines(row, 52) == 1 + 1
    assert least_lines(Text("界" * 10 + "\n"), 10) == 2 + 1  # (wide: 20 cells; an empty line is one)
