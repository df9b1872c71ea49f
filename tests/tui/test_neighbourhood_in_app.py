"""The Related pane, the chart and the map inside the app: ``l``, ``b``, ``enter``, ``g``, ``o``."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from tests.store.citation_graphs import hand_built
from tests.tui.helpers import make_app, ready, rows, settle
from tui.screens.map import MapScreen
from tui.widgets.related import RelatedPane
from tui.widgets.yearchart import YearChart


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_related_chart_and_map_in_the_app(lib_path: Path, size: tuple[int, int]) -> None:
    hand_built(Library.open(lib_path, demo=False))
    app = make_app(lib_path, "1")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await settle(pilot)
        chart = app.screen.query_one(YearChart)
        assert chart.content.note == "4 here"  # type: ignore[attr-defined]
        await pilot.press("l")
        await settle(pilot)
        pane = app.screen.query_one(RelatedPane)
        assert rows(pane.related_list)[0].startswith("0.612 ○ Stub 20")
        await pilot.press("b", "b")  # -> coupling
        await settle(pilot)
        assert rows(pane.related_list)[0].startswith("0.866 ● Record 5")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.current == app.screen.library.find("5")  # type: ignore[attr-defined]
        await pilot.press("backspace")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, MapScreen)
        await pilot.press("right", "o")
        await settle(pilot)
        assert not isinstance(app.screen, MapScreen)
        opened = app.screen.current  # type: ignore[attr-defined]
        assert opened == app.screen.library.find("2")  # type: ignore[attr-defined]
