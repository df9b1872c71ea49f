"""Keys pressed as the first list appears, before the library is read (large libraries: seconds). The
list is searched from the index first (``tui.screens.main.loading``); a key that needs the library
said "still loading" and was dropped. Now it is kept, said, and done once the library is read: on the
row it was pressed on, and not if the list has moved meanwhile (said)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from store.library import Library
from store.marks import Marks
from tests.tui.helpers import hold, make_app, ready, settle
from tui.screens.main import MainScreen
from tui.screens.snowball import SnowballScreen

SEED = "pmid:30992990"


def notices(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def first_list(pilot: Any, reached: threading.Event) -> MainScreen:
    """The first list shown, the library not read yet."""
    assert await asyncio.to_thread(reached.wait, 10)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    for _ in range(40):
        if screen.results.hits:
            break
        await pilot.pause(0.05)
    assert screen.results.hits and screen.library is None
    return screen


class HeldBack:
    """The app on a library whose opening is held back (by ``held_open``: reached, release)."""

    def __init__(self, app: Any, pilot: Any, held_open: tuple[threading.Event, threading.Event]) -> None:
        self.app, self.pilot, self.held_open = app, pilot, held_open

    async def press(self, *keys: str) -> tuple[MainScreen, str]:
        """``keys`` pressed on the first list, its first row highlighted, then the library let be
        read: the screen and the last notice said before."""
        reached, release = self.held_open
        try:
            screen = await first_list(self.pilot, reached)
            assert screen.results.highlighted == 0 and self.app.focused is screen.results
            await self.pilot.press(*keys)
            await self.pilot.pause()
            return screen, notices(self.app)[-1]
        finally:
            release.set()


@asynccontextmanager
async def held_back(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HeldBack]:
    """The app on ``demo_path``, run until the block ends, the library's opening held back."""
    app = make_app(demo_path)
    held_open = hold(monkeypatch, Library, "open")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        yield HeldBack(app, pilot, held_open)


async def test_i_pressed_before_the_library_is_read_is_done_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with held_back(demo_path, monkeypatch) as held:
        pilot = held.pilot
        _screen, said = await held.press("i")
        assert said == "The library is still loading: i is done once it is read."
        await ready(pilot)
        await settle(pilot)
    assert Marks.open(demo_path).get([SEED]).screening == "included"


async def test_s_pressed_before_the_library_is_read_opens_the_view_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with held_back(demo_path, monkeypatch) as held:
        pilot, app = held.pilot, held.app
        _screen, said = await held.press("S")
        assert said == "The library is still loading: S is done once it is read."
        await settle(pilot)
        assert isinstance(app.screen, SnowballScreen)


async def test_a_key_kept_for_a_row_is_not_done_on_another(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with held_back(demo_path, monkeypatch) as held:
        pilot, app = held.pilot, held.app
        # (a star for the first row; then the cursor moves on)
        screen, _said = await held.press("s", "down")
        await ready(pilot)
        await settle(pilot)
        assert screen.results.highlighted == 1
        assert notices(app)[-1] == "s was not done: the list moved while the library was read."
    assert not any(mark.starred for mark in Marks.open(demo_path).all())  # (nor the row moved to)


async def test_enter_pressed_before_the_library_is_read_opens_the_row_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with held_back(demo_path, monkeypatch) as held:
        pilot = held.pilot
        _screen, said = await held.press("enter")
        assert said == "The library is still loading: enter is done once it is read."
        screen = await ready(pilot)
        await settle(pilot)
        assert screen.library is not None and screen.current == screen.library.lookup(SEED)
