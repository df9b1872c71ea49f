"""An app that ends before its first search's rows land ends at once.

The loader's thread waits for the first rows before opening the library (``FIRST_ROWS_WAIT``); the
app's exit joins its worker threads (asyncio's shutdown of the default executor), so a thread still
waiting kept a quit at start-up hanging for the whole wait (fix34 saw 9.5 s of a test's teardown).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.tui.helpers import make_app
from tui.screens.main import loading
from tui.screens.main.search import SearchResults


async def test_a_quit_before_the_first_rows_land_does_not_wait_for_them(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first search's rows never land (a search still running as the user quits), and the guard
    # is long: with the thread waiting it out, the exit below would take 30 s.
    monkeypatch.setattr(SearchResults, "_worker", lambda *args, **kwargs: None)
    monkeypatch.setattr(loading, "FIRST_ROWS_WAIT", 30.0)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert not app.main.results.landed.is_set()  # (the loader is waiting for them)
        app.exit()
    # What ``app.run()`` (``asyncio.run``) does before the process can end: join the worker threads.
    asked = time.monotonic()
    await asyncio.get_running_loop().shutdown_default_executor()
    assert time.monotonic() - asked < 10.0
    assert app.main.library is None  # (the library was not opened for an app that had ended)
