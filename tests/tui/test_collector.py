"""Start-up without the cyclic garbage collector (``tui.collector``): paused until the library is
loaded, then running again (with what start-up made frozen), whether the library opened or not."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.errors import LibraryFileError
from store.library import Library
from tests.tui.helpers import make_app, ready, until
from tests.tui.test_startup import demo_path, watch_library_open
from tui import collector

__all__ = ["demo_path"]  # (a fixture used here)


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


async def test_paused_until_the_library_is_loaded_then_running(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_at_open: list[bool] = []
    watch_library_open(monkeypatch, lambda: running_at_open.append(gc.isenabled()))
    collector.pause()  # (as ``run_app`` does)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert await until(pilot, gc.isenabled)
    assert running_at_open == [False]  # (the first list came, and the library opened, without it)
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
