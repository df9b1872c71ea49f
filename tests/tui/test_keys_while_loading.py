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
from tests.tui.helpers import make_app, ready, settle
from tui.screens.main import MainScreen
from tui.screens.snowball import SnowballScreen

SEED = "pmid:30992990"


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "library.json"
    Library.open(path).close()  # the demo library, and its search index
    return path


def held_library(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The app's opening of the library waits to be released: (reached, release)."""
    opened = Library.open.__func__  # type: ignore[attr-defined]
    reached, release = threading.Event(), threading.Event()

    def open_library(cls: type[Library], *args: Any, **kwargs: Any) -> Library:
        reached.set()
        release.wait(10)
        return opened(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Library, "open", classmethod(open_library))
    return reached, release


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


async def test_i_pressed_before_the_library_is_read_is_done_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    reached, release = held_library(monkeypatch)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        try:
            screen = await first_list(pilot, reached)
            assert screen.results.highlighted == 0 and app.focused is screen.results
            await pilot.press("i")
            await pilot.pause()
            assert notices(app)[-1] == "The library is still loading: i is done once it is read."
        finally:
            release.set()
        await ready(pilot)
        await settle(pilot)
    assert Marks.open(demo_path).get([SEED]).screening == "included"


async def test_s_pressed_before_the_library_is_read_opens_the_view_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    reached, release = held_library(monkeypatch)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        try:
            await first_list(pilot, reached)
            await pilot.press("S")
            await pilot.pause()
            assert notices(app)[-1] == "The library is still loading: S is done once it is read."
        finally:
            release.set()
        await settle(pilot)
        assert isinstance(app.screen, SnowballScreen)


async def test_a_key_kept_for_a_row_is_not_done_on_another(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    reached, release = held_library(monkeypatch)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        try:
            screen = await first_list(pilot, reached)
            await pilot.press("s", "down")  # (a star for the first row; then the cursor moves on)
            await pilot.pause()
        finally:
            release.set()
        await ready(pilot)
        await settle(pilot)
        assert screen.results.highlighted == 1
        assert notices(app)[-1] == "s was not done: the list moved while the library was read."
    assert not Marks.open(demo_path).get([SEED]).starred


async def test_enter_pressed_before_the_library_is_read_opens_the_row_once_it_is(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    reached, release = held_library(monkeypatch)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        try:
            await first_list(pilot, reached)
            await pilot.press("enter")
            await pilot.pause()
            assert notices(app)[-1] == "The library is still loading: enter is done once it is read."
        finally:
            release.set()
        screen = await ready(pilot)
        await settle(pilot)
        assert screen.library is not None and screen.current == screen.library.lookup(SEED)
