"""Start-up without the cyclic garbage collector (``tui.collector``): paused until the first content is
shown, then running again (with what start-up made frozen) before the library is opened."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.errors import LibraryFileError
from store.library import Library
from tests.tui.collector_watch import collector_at_start
from tests.tui.helpers import make_app, ready, until
from tui import collector


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    """Whatever a test does, the test process's collector runs after it, nothing frozen."""
    yield
    collector.resume()
    gc.unfreeze()
    gc.enable()


def test_resume_runs_it_again_only_after_pause() -> None:
    collector.pause()
    assert not gc.isenabled() and collector.paused()
    collector.resume()
    assert gc.isenabled() and not collector.paused() and gc.get_freeze_count() > 0
    gc.disable()  # (stopped by someone else: resume leaves it so)
    collector.resume()
    assert not gc.isenabled()


async def test_paused_for_the_first_list_running_when_the_library_opens(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_at = collector_at_start(monkeypatch)
    collector.pause()  # (as ``run_app`` does)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
    assert running_at[:2] == [("first list", False), ("library", True)]
    assert not collector.paused()


async def test_running_again_when_the_library_cannot_be_opened(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> Library:
        raise LibraryFileError("the library cannot be read (a test)")

    monkeypatch.setattr(Library, "open", refuse)
    collector.pause()
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await until(pilot, gc.isenabled)
        assert app.main.library is None
