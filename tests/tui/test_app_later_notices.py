"""What the library says after the app has loaded (a search index update that failed after a commit:
``store.search.feed``) is shown in the app, by the watcher's next look (``tui.refresh.check`` takes
it, as the loader takes what opening said); it was shown only as the app loaded (stop 30). And a search
index the watcher replaces is closed (its library files let go), not left to a finalizer."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Origin
from store.search.index import SORTS, SearchIndex
from tests.tui.helpers import make_app, ready, until
from tests.tui.test_app_refresh import add_record


def _notices(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


async def test_an_index_update_that_fails_in_the_app_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.library is not None

        def full(*_args: object, **_kwargs: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(SearchIndex, "after_write", full)
        with screen.library.transaction() as changes:  # (as a fetch in the app commits)
            changes.put_article(Article(pmid="111", title="Fetched in the app"), Origin("test"))
        monkeypatch.undo()
        said = "the search index could not be updated (No space left on device)"
        assert await until(pilot, lambda: any(said in m for m in _notices(app)), seconds=6), _notices(app)
    assert len([m for m in _notices(app) if said in m]) == 1  # (once)


async def test_a_replaced_search_index_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        old = screen.results.index
        assert old is not None
        old.search("exosomes")  # (its citation counts read: the library's files opened)
        assert old._opened
        add_record(path)  # (another process's commit: the watcher opens the index again)
        assert await until(pilot, lambda: screen.results.index is not old, seconds=6)
        assert await until(pilot, lambda: not old._opened)


@pytest.mark.parametrize("sort", SORTS)
def test_a_search_under_way_when_its_index_is_closed_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """(The app closes a replaced index while a search of its results' worker may still read it: the
    search answers as it would have, its counts read from mappings that live until freed. A guard: it
    held before the app closed replaced indexes, for every sort order, on a library with segments.)"""
    from tests.store.test_segment_damage import with_segments

    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)
    path, _segments = with_segments(tmp_path, monkeypatch)
    library = Library.open(path)
    index = SearchIndex.for_library(library)
    expected = index.search("water", sort=sort)
    assert expected.hits
    real = SearchIndex._hit
    closed = []

    def hit(*args: object) -> object:
        if not closed:
            closed.append(True)
            index.close()  # (as the app's main thread does, replacing it)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(SearchIndex, "_hit", staticmethod(hit))
    assert index.search("water", sort=sort) == expected and closed
    index.close()
    library.close()
