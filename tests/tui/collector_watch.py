"""Whether the garbage collector runs at two moments of the app's start-up: as the first list is shown,
and as the library is opened (``tui.collector``: paused for the first, running again by the second)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tests.tui.test_startup import watch_library_open
from tui.screens.main.search import SearchResults


def collector_at_start(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """A list that each list shown and each opening of the library adds to, from now on:
    ``("first list", gc.isenabled())`` as the results are shown, ``("library", gc.isenabled())`` as
    the library is opened (in the app's loading thread)."""
    running_at: list[tuple[str, bool]] = []
    shown = SearchResults._show

    def show(results: SearchResults, *args: Any, **kwargs: Any) -> None:
        running_at.append(("first list", gc.isenabled()))
        shown(results, *args, **kwargs)

    monkeypatch.setattr(SearchResults, "_show", show)
    watch_library_open(monkeypatch, lambda: running_at.append(("library", gc.isenabled())))
    return running_at
