"""The first page's thread begins the document index's check first thing (``store.earlyindex``): what
the storage did not take is closed when the page ends, also when its search failed before the storage
opened (the loader then does what failed again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import earlyindex
from tests.store.test_early_index import closes_recorded
from tui import firstpage


def test_an_index_begun_is_closed_when_the_first_page_fails(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(page: firstpage.FirstPage, target: str) -> None:
        raise RuntimeError("the session could not be read")

    closed = closes_recorded(monkeypatch)
    monkeypatch.setattr(firstpage, "_search", fails)
    firstpage._work(demo_path, "")
    assert len(closed) == 1  # (begun, then closed: not left open with its map and thread)
    assert earlyindex.take(earlyindex.index_path(demo_path)) is None
