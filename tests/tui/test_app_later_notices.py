"""What the library says after the app has loaded (a search index update that failed after a commit:
``store.search.feed``) is shown in the app, by the watcher's next look (``tui.refresh.check`` takes
it, as the loader takes what opening said); it was shown only as the app loaded (stop 30)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Origin
from store.search.index import SearchIndex
from tests.tui.helpers import make_app, ready, until


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
