"""The result list repaints only the rows a moving highlight leaves and comes to (``ResultsList``):
what is on screen afterwards is what a whole repaint draws."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import make_app, ready
from tui.widgets.results import ResultsList


async def test_a_moving_highlight_paints_as_a_whole_repaint(demo_library: object, lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        results = screen.query_one(ResultsList)
        results.focus()
        await pilot.pause()
        assert results.option_count >= 4

        async def painted() -> str:
            await pilot.pause()
            return app.export_screenshot()

        for move in ("down", "down", "up", "end", "home"):
            await pilot.press(move)
            shown = await painted()
            results.refresh()  # (everything drawn again)
            assert await painted() == shown, move
        results.highlighted = 3  # as when the list follows an article opened elsewhere
        shown = await painted()
        results.refresh()
        assert await painted() == shown
        assert results.highlighted == 3
