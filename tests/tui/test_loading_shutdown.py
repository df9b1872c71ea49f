"""The library read after the app has begun to end: what the loader's thread brings back is dropped.

A headless ``run_test`` (or an app quit at once) can end while the library is still being read: the
screen's widgets are taken down first, and the thread's ``_ready`` then ran on a screen without them
(``NoMatches`` for ``ArticleHeader``)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.tui.helpers import make_app
from tests.tui.test_startup import watch_library_open
from tui.screens.main.loading import Loading
from tui.widgets.article import ArticleHeader


async def test_a_library_read_as_the_app_ends_is_dropped(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opening = threading.Event()  # the loader's thread is inside ``Library.open``
    header_gone = threading.Event()  # the screen's widgets are being taken down
    handing_back = threading.Event()  # the thread hands the library to the screen
    raised: list[BaseException] = []
    done = threading.Event()
    ready = Loading._ready

    def spied_ready(loading: Loading, *args: Any) -> None:
        try:
            ready(loading, *args)
        except BaseException as exc:
            raised.append(exc)
            raise
        finally:
            done.set()

    def header_unmounts(header: ArticleHeader) -> None:
        header_gone.set()
        handing_back.wait(10)  # (the library comes back while the screen is taken down)

    monkeypatch.setattr(Loading, "_ready", spied_ready)
    monkeypatch.setattr(ArticleHeader, "on_unmount", header_unmounts, raising=False)

    def open_waits() -> None:
        opening.set()
        header_gone.wait(10)

    watch_library_open(monkeypatch, open_waits)
    app = make_app(demo_path)
    call_from_thread = app.call_from_thread

    def calling(callback: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(callback, "__name__", "") == "spied_ready":
            handing_back.set()
        return call_from_thread(callback, *args, **kwargs)

    monkeypatch.setattr(app, "call_from_thread", calling)
    async with app.run_test(size=(120, 40)):
        # (Ended only once the library is being read: ended sooner, before the first rows landed,
        # the thread rightly opens no library at all, and there is nothing handed back to test.)
        assert await asyncio.to_thread(opening.wait, 10), "the library was never opened"
        assert app.main.library is None  # (still being read as the app ends)
    assert handing_back.is_set(), "the library was never handed back"
    await asyncio.to_thread(done.wait, 10)
    assert done.is_set() and raised == []
