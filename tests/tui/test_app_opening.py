"""What opening an article costs the UI thread: the link list read once, the trail line measured in
proportion to the trail, the session file written in another thread and once for a walk."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import store.session
from store.library import Library
from store.session import session_path
from store.trail import Trail
from tests.tui.helpers import make_app, ready, rows, until
from tui.screens.main.keeping import SessionKeeper
from tui.widgets.links import LinkList
from tui.widgets.trail import trail_line

SEED = "30992990"


@pytest.mark.parametrize("width", [20, 40, 60, 200])
@pytest.mark.parametrize("position", [0, 3, 9])
def test_the_trail_line_drops_from_the_start_only_what_does_not_fit(position: int, width: int) -> None:
    labels = [f"{10**n}" for n in range(10)]
    labels[position] = f"[{labels[position]}]"
    for first in range(position + 1):  # the fewest entries dropped that make it fit
        expected = "Trail: " + ("… › " if first else "") + " › ".join(labels[first:])
        if len(expected) <= width:
            break
    entries = [f"pmid:{10**n}" for n in range(10)]
    assert trail_line(Trail(entries, position), width).plain == expected


async def test_opening_an_article_reads_its_link_lists_once(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panes keep the ids they read when the article opened and build their rows from them (a
    famous article's list is ten thousand ids: it was read again for every page of rows)."""
    reads: list[tuple[int, str]] = []
    link_ids = Library.link_ids

    def counting(self: Library, doc_id: int, rel: str) -> list[int]:
        reads.append((doc_id, rel))
        return link_ids(self, doc_id, rel)

    monkeypatch.setattr(Library, "link_ids", counting)
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        reads.clear()
        assert screen.current is not None
        screen.open_doc(screen.current)
        await pilot.press("c")
        await pilot.pause()
        citing = rows(screen.query_one("#cited-by-list", LinkList))
        await pilot.press("r")
        await pilot.pause()
        references = rows(screen.query_one("#references-list", LinkList))
        assert len(citing) == 5 and len(references) == 5 and all(citing + references)
        assert sorted(reads) == sorted([(screen.current, "references"), (screen.current, "cited_by")])


async def test_the_session_is_written_off_the_ui_thread_once_for_a_walk(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening articles does not write the session file on the UI thread (a write and two fsyncs
    each time); it is written in another thread soon after the walk stops, and at once on quitting."""
    writes: list[tuple[str, bytes]] = []
    replace = store.session.replace_file

    def recording(path: Path, data: bytes, **kwargs: object) -> None:
        writes.append((threading.current_thread().name, data))
        replace(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.session, "replace_file", recording)
    monkeypatch.setattr(SessionKeeper, "DELAY", 2.0)  # (a loaded machine may take a while between keys)
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await until(pilot, lambda: not screen.keeper.pending)
        await until(pilot, lambda: writes)
        writes.clear()
        seed = screen.current
        await pilot.press("c")
        for _ in range(3):  # a walk: to a citing article and back, three times
            await pilot.press("enter")
            await pilot.press("backspace")
        await pilot.press("enter")
        assert screen.current != seed
        assert not writes or all(name != threading.main_thread().name for name, _ in writes)
        assert await until(pilot, lambda: not screen.keeper.pending and writes, SessionKeeper.DELAY * 8)
        await pilot.pause(0.2)
        # Seven opens: written fewer times than that (once, unless the machine was slow between keys),
        # never on the UI thread, and the file holds where the walk ended.
        assert 1 <= len(writes) < 7 and all(name != threading.main_thread().name for name, _ in writes)
        saved = json.loads(session_path(lib_path).read_text())
        assert saved["trail"] == screen.trail.to_json() and saved["pane"] == "cited_by"
        walked = len(writes)
        # Quitting writes at once, whatever is pending.
        await pilot.press("backspace")
        await pilot.press("q")
    saved = json.loads(session_path(lib_path).read_text())
    assert saved["trail"]["position"] == 0 and len(writes) == walked + 1


async def test_a_save_still_waiting_is_written_when_the_app_ends_otherwise(lib_path: Path) -> None:
    """Ending the app by another key than q (ctrl+q, the palette's quit) right after opening an
    article still leaves the session where the user was."""
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("c", "enter")
        assert screen.keeper.pending
        trail = screen.trail.to_json()
        app.exit()
    saved = json.loads(session_path(lib_path).read_text())
    assert saved["trail"] == trail and len(trail["entries"]) == 2  # type: ignore[arg-type]
