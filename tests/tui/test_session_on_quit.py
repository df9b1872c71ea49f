"""Where the user was survives quitting straight after a move (a reviewer's finding, stop 23; the test
failed before the fix). The session is saved in a worker soon after the walk stops
(``tui.screens.main.keeping``); a save whose worker was queued but not started when the app ended was
lost: the screen's workers are cancelled as it unmounts, and the screen saved on unmount only when the
save's timer had not fired yet."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

from store.session import session_path
from tests.tui.helpers import make_app, ready, until

SEED = "30992990"


async def test_the_last_position_survives_quitting_while_its_save_waits_for_a_thread(lib_path: Path) -> None:
    """The default thread pool busy (other workers: the year chart, Related, a load) when the save's
    worker is queued; then ctrl+q. The file must hold the article opened last."""
    app = make_app(lib_path, SEED)
    release = threading.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await until(pilot, lambda: not screen.keeper.pending)
        loop = asyncio.get_running_loop()
        # Every thread of the default pool busy: a thread worker started now waits in its queue.
        busy = [loop.run_in_executor(None, release.wait) for _ in range((os.cpu_count() or 1) + 40)]
        try:
            await pilot.press("c", "enter")
            trail = screen.trail.to_json()
            assert len(trail["entries"]) == 2  # type: ignore[arg-type]
            assert await until(pilot, lambda: not screen.keeper.pending)  # (its timer fired: queued)
            await pilot.press("ctrl+q")
        finally:
            release.set()
            await asyncio.gather(*busy)
    saved = json.loads(session_path(lib_path).read_text())
    assert saved["trail"] == trail


async def test_a_session_file_whose_trail_is_not_a_list_opens_on_an_empty_trail(lib_path: Path) -> None:
    """A session file edited by hand or damaged, its trail's entries not a list: the app opens as on
    a first start (an empty trail), never a traceback. Seen red before: ``TypeError: 'NoneType' object
    is not iterable`` from ``Trail.from_json`` as the screen was built (and, ``tui.firstpage``'s thread
    reading the same file, a second traceback from it); a string was taken for a list of its letters."""
    from store.session import Session

    for entries in (None, 5, "30992990", {"30992990": 1}):
        session_path(lib_path).write_text(json.dumps({"query": "", "trail": {"entries": entries}}))
        assert Session.load(lib_path).trail.entries == [], entries
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.trail.entries == []
