"""The reader's column (its header, year chart, tabs and panes) is mounted after the first paint
(``Reader._mount_panes``): the first frame (the search bar and the result list) does without it, and
what needs it waits for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tui.helpers import make_app, ready, until
from tui.screens.main.reader import Reader

# The reader's column: none of it is made for the first frame.
COLUMN = ("#header", "#year-chart", "#tabs", "#panes", "#abstract-view", "#cited-by-list", "#related-pane")


async def test_the_first_frame_is_painted_before_the_reader_column_is_mounted(demo_path: Path) -> None:
    """Composing, styling and drawing the column was ~15 ms of the first frame's time (docs/speed.md)."""
    app = make_app(demo_path)
    at_first_frame: list[list[str]] = []
    display = app._display

    def counted(screen: Any, renderable: Any) -> None:
        if renderable is not None and not at_first_frame:
            at_first_frame.append([s for s in COLUMN if screen.query(s)])
        display(screen, renderable)

    app._display = counted  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert [s for s in COLUMN if screen.query(s)] == list(COLUMN)
        assert screen.query_one("#results").display
    assert at_first_frame == [[]]


async def test_the_first_frame_is_painted_before_the_hidden_panes_are_mounted(demo_path: Path) -> None:
    app = make_app(demo_path)
    frames: list[int] = []
    at_mount: list[int] = []
    display = app._display

    def counted(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            frames.append(1)
        display(screen, renderable)

    app._display = counted  # type: ignore[method-assign]
    mount = Reader._mount_panes

    async def mount_panes(self: Reader) -> None:
        at_mount.append(len(frames))
        await mount(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Reader, "_mount_panes", mount_panes)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot)
            assert screen.reader.panes_mounted
            assert screen.query_one("#cited-by-list").display is False
            assert screen.query_one("#abstract-view").display is True
    assert at_mount and at_mount[0] >= 1


async def test_the_library_and_tab_wait_for_the_hidden_panes(demo_path: Path) -> None:
    """A library read before the panes are mounted is taken in once they are (its article lists get
    the marks); ``tab`` before then does nothing."""
    held: list[Reader] = []

    async def hold(self: Reader) -> None:
        held.append(self)

    mount = Reader._mount_panes
    app = make_app(demo_path, "pmid:30992990")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Reader, "_mount_panes", hold)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.main
            assert await until(pilot, lambda: held and not app.workers._workers)
            assert screen.library is None  # (read, and waiting for the panes)
            focused = screen.focused
            await pilot.press("tab")
            assert screen.focused is focused
            await mount(held[0])
            assert await until(pilot, lambda: screen.library is not None)
            screen = await ready(pilot)
            assert screen.reader.current is not None  # (the article it was started on is open)
            marks = screen.marking.mark_of
            assert screen.query_one("#cited-by-list").mark_of == marks  # type: ignore[attr-defined]


async def test_a_pressed_before_the_column_is_mounted_is_done_once_it_is(demo_path: Path) -> None:
    """``a`` (the abstract pane, focused) in the first frames, before the column is there: done once it
    is mounted, not an error."""
    held: list[Reader] = []

    async def hold(self: Reader) -> None:
        held.append(self)

    mount = Reader._mount_panes
    app = make_app(demo_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Reader, "_mount_panes", hold)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await until(pilot, lambda: bool(held))
            await pilot.press("a")
            assert not app.main.query("#abstract-view")
            await mount(held[0])
            screen = await ready(pilot)
            assert screen.focused is screen.query_one("#abstract-view")
