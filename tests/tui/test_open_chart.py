"""Opening an article lays the screen out only as its sizes ask: the year chart (a sparkline: one line
at any width) follows the article without a layout, and a header of another height lays it out once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual._compositor import Compositor

from store.library import Library
from tests.store.bulk_files import pmid
from tests.tui.helpers import cited_thrice, citing_shown, make_app, until
from tui.widgets.yearchart import Sparkline, YearChart

LONG = "A title long enough to wrap in the header " * 4


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records 1 and 2 (headers of one height), cited by 30 and 20 of the records 3..32; record 33 (a
    title that wraps in the header) cited by ten of them."""
    return cited_thrice(tmp_path_factory.mktemp("chart") / "library.json", (30, 20, 10), 3, 33, LONG)


def _note(chart: YearChart) -> str:
    content = chart.content
    return content.note if isinstance(content, Sparkline) else ""


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one at each layout of the screen (``Compositor.reflow``)."""
    reflows: list[int] = []
    reflow = Compositor.reflow

    def counting(self: Compositor, *args: object) -> object:
        reflows.append(1)
        return reflow(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Compositor, "reflow", counting)
    return reflows


async def test_the_chart_follows_the_article_without_a_layout(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(two, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        chart = screen.query_one("#year-chart", YearChart)
        assert await until(pilot, lambda: _note(chart) == "30 here")
        assert chart.size.height == 1
        reflows = _counting(monkeypatch)
        for doc, note in ((pmid(2), "20 here"), (pmid(1), "30 here")):
            screen.open_doc(Library.open(two).find(doc))  # type: ignore[arg-type]
            assert await until(pilot, lambda note=note: _note(chart) == note)  # type: ignore[misc]
            await pilot.pause()
            await pilot.pause()
            assert reflows == [], doc
            assert chart.size.height == 1


async def test_a_header_of_another_height_lays_the_screen_out_once(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layout gives the header, the panes and the pane's scrollbar their new sizes; taking them
    asked Textual for a second layout of the whole screen, which found nothing to move."""
    app = make_app(two, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        chart = screen.query_one("#year-chart", YearChart)
        header, panes = screen.query_one("#header"), screen.query_one("#panes")
        pane, tabs = screen.query_one("#cited-by-list"), screen.query_one("#tabs")
        assert await until(pilot, lambda: _note(chart) == "30 here")
        height, rows = header.size.height, pane.size.height
        reflows = _counting(monkeypatch)
        for doc, note, grown in ((pmid(33), "10 here", True), (pmid(1), "30 here", False)):
            reflows.clear()
            screen.open_doc(Library.open(two).find(doc))  # type: ignore[arg-type]
            assert await until(pilot, lambda note=note: _note(chart) == note)  # type: ignore[misc]
            for _ in range(3):
                await pilot.pause()
            assert reflows == [1], doc
            assert (header.size.height > height) == grown and (pane.size.height < rows) == grown
            assert chart.region.y == header.region.bottom and tabs.region.y == chart.region.bottom
            assert panes.region.y == tabs.region.bottom and pane.region.bottom == panes.region.bottom
