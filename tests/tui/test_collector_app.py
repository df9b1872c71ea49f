"""The app pauses the garbage collector itself (``PmbrowseApp.on_load``, ``tui.collector``): started any
way (here a headless ``run_test``, no ``pmbrowse`` around it), it is paused until the first list is
shown, running when the library is opened, and what it froze is given back as the app ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.collector_watch import collector_at_start
from tests.tui.helpers import make_app, ready
from tui import collector
from tui.screens.main.search import SearchResults


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    """Whatever a test (or one before it) does, the test process's collector runs, nothing frozen, its
    threshold as the interpreter had it (a ``pmbrowse`` run in the process before leaves it raised, as
    ``pmbrowse`` does, ending with the app)."""
    collector.release()
    gc.unfreeze()
    gc.enable()
    yield
    collector.release()
    gc.unfreeze()
    gc.enable()


async def test_an_app_started_headless_pauses_the_collector_as_pmbrowse_does(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_at = collector_at_start(monkeypatch)
    assert gc.isenabled()  # (nobody paused it before the app)
    before = gc.get_threshold()
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert gc.get_freeze_count() > 0  # (start-up's objects, frozen once the first list was shown)
        assert gc.get_threshold()[0] == collector.YOUNG
    assert running_at[:2] == [("first list", False), ("library", True)]
    # Ended: the collector runs as it did, and scans again what the app froze.
    assert gc.isenabled() and not collector.paused() and gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


async def test_an_app_that_ends_before_its_first_list_leaves_the_collector_running(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SearchResults, "_show", lambda *args, **kwargs: None)  # (never shown)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    assert gc.isenabled() and not collector.paused() and gc.get_freeze_count() == 0


async def test_pmbrowse_paused_it_first_the_app_leaves_it_frozen(demo_path: Path) -> None:
    """(``pmbrowse`` ends with the app: the interpreter's last collection is spared start-up's objects.)"""
    collector.pause()  # (as ``run_app`` does, before it imports the app)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
    assert gc.isenabled() and gc.get_freeze_count() > 0


async def test_an_app_after_a_pmbrowse_start_leaves_the_threshold_as_it_found_it(demo_path: Path) -> None:
    """A resume that did not raise the threshold (raised already, by an earlier start that kept it, as
    ``pmbrowse`` does) puts back nothing as the app ends (it once put back that earlier start's)."""
    collector.pause()
    collector.resume()  # (an earlier start, as ``pmbrowse``'s: never released)
    before = gc.get_threshold()
    assert before[0] == collector.YOUNG
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
    assert gc.get_threshold() == before
    gc.set_threshold(700, *before[1:])
