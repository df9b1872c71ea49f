"""A mark the app cannot write (a full disk, a read-only folder) is said in words, with the file, and
that the marks are as they were; the app goes on, and the next mark is written.

Found by hand (stop 34, an 8 MB tmpfs filled while the app ran): the notice read "The mark was not
saved: [Errno 28] No space left on device: '/tmp/.../library.marks.json'", Python's own form."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import store.wholefile
from store.library import Library
from store.marks import Marks
from tests.tui.helpers import make_app, ready, settle


async def test_a_mark_on_a_full_disk_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()
    marks = f"{tmp_path / 'library.marks.json'}"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), marks)

    app = make_app(path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        monkeypatch.setattr(store.wholefile, "replace_file", full)
        await pilot.press("s")
        await settle(pilot)
        said = [n.message for n in app._notifications if "not saved" in n.message]
        assert said == [
            f"The mark was not saved: No space left on device ({marks}); the marks are as they were"
        ]
        monkeypatch.undo()
        await pilot.press("s")
        await settle(pilot)
    assert [m.starred for m in Marks.open(path)] == [True]
