"""The search bar is compact (one line, no border, no padding: what ``Input(compact=True)`` gives)
by the app's own CSS (``tui/app.tcss``'s ``#search``), not by Textual's internal class name
(``-textual-compact``), which a later Textual may rename: set by hand, it skipped the restyle that
``compact=True`` does before the bar is mounted, but tied the app to that name. Compared with a bar
Textual makes compact itself, on whatever Textual runs (CI runs the lowest versions too), focused and
not (``Input:focus`` draws a border; the app's rule must win over it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Input

from tests.tui.helpers import make_app, ready, settle


def _look(bar: Input) -> tuple[Any, ...]:
    styles = bar.styles
    return (
        bar.size.height,
        tuple(
            edge[0]
            for edge in (styles.border_top, styles.border_right, styles.border_bottom, styles.border_left)
        ),
        tuple(styles.padding),
    )


class _Reference(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="reference", compact=True)


async def _reference_looks() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    app = _Reference()
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.query_one(Input)
        bar.blur()
        await pilot.pause()
        blurred = _look(bar)
        bar.focus()
        await pilot.pause()
        return blurred, _look(bar)


async def test_the_search_bar_looks_as_textuals_compact_bar_focused_or_not(lib_path: Path) -> None:
    blurred, focused = await _reference_looks()
    assert blurred == focused == (1, ("", "", "", ""), (0, 0, 0, 0))  # (what compact means)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        bar = screen.query_one("#search", Input)
        assert not any(name.startswith("-textual-") for name in bar.classes)
        assert screen.focused is not bar
        assert _look(bar) == blurred
        await pilot.press("slash")
        await settle(pilot)
        assert screen.focused is bar
        assert _look(bar) == focused
