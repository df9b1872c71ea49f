"""Keys pressed as the first list appears, before the library is read (large libraries: seconds). The
list is searched from the index first (``tui.screens.main.loading``); a key that needs the library
said "still loading" and was dropped. Now it is kept, said, and done once the library is read: on the
row it was pressed on, and not if the list has moved meanwhile (said)."""

from __future__ import annotations

import asyncio
import threading
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


async def pressed_before_the_library_is_read(
    pilot: Any, held_open: tuple[threading.Event, threading.Event], *keys: str
) -> tuple[MainScreen, str]:
    """``keys`` pressed on the first list, its first row highlighted, the library held back (by
    ``held_open``: reached, release), then let be read: the screen and the last notice said before."""
    reached, release = held_open
    try:
        screen = await first_list(pilot, reached)
        assert screen.results.highlighted == 0 and pilot.app.focused is screen.results
        await pilot.press(*keys)
        await pilot.pause()
        return screen, notices(pilot.app)[-1]
    finally:
        release.set()


async def test_i_pressed_before_the_library_is_read_is_done_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    held_open = hold(monkeypatch, Library, "open")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        _screen, said = await pressed_before_the_library_is_read(pilot, held_open, "i")
        assert said == "The library is still loading: i is done once it is read."
        await ready(pilot)
        await settle(pilot)
    assert Marks.open(demo_path).get([SEED]).screening == "included"


async def test_s_pressed_before_the_library_is_read_opens_the_view_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    held_open = hold(monkeypatch, Library, "open")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        _screen, said = await pressed_before_the_library_is_read(pilot, held_open, "S")
        assert said == "The library is still loading: S is done once it is read."
        await settle(pilot)
        assert isinstance(app.screen, SnowballScreen)


async def test_a_key_kept_for_a_row_is_not_done_on_another(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    held_open = hold(monkeypatch, Library, "open")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        # (a star for the first row; then the cursor moves on)
        screen, _said = await pressed_before_the_library_is_read(pilot, held_open, "s", "down")
        await ready(pilot)
        await settle(pilot)
        assert screen.results.highlighted == 1
        assert notices(app)[-1] == "s was not done: the list moved while the library was read."
    assert not any(mark.starred for mark in Marks.open(demo_path).all())  # (nor the row moved to)


async def test_enter_pressed_before_the_library_is_read_opens_the_row_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    held_open = hold(monkeypatch, Library, "open")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        _screen, said = await pressed_before_the_library_is_read(pilot, held_open, "enter")
        assert said == "The library is still loading: enter is done once it is read."
        screen = await ready(pilot)
        await settle(pilot)
        assert screen.library is not None and screen.current == screen.library.lookup(SEED)
