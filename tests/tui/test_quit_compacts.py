"""q and ctrl+q quit the same way: the session kept, and what is due compacted (a journal grown past
its threshold by fetches and imports in the app: ``tui.screens.main.quitting``). ctrl+q did not
compact: an app quit that way, time after time, left the journal growing (every open reads it) until
some command's end folded it."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.importer import import_file
from store.library import Library
from tests.conftest import PAGES
from tests.tui.helpers import make_app, ready


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quitting_compacts_what_is_due(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """Seen red before with ctrl+q: the journal still past its threshold after the app ended."""
    lib = Library.open(lib_path)
    import_file(lib, PAGES / "zero_citations.txt")
    lib.close()
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    before = Library.open(lib_path).sizes()[1]
    assert before > 1000  # (the journal holds the import: due)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press(key)
        await pilot.pause()
    assert Library.open(lib_path).sizes()[1] < before / 4  # (made a segment: the journal emptied)
