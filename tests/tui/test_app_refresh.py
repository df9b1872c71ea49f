"""The app stays true to the library while other processes change it (imports, fetches, marks), and
every action key acts on exactly the highlighted row or refuses, naming it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot

import tui.screens.main.changes
from store.library import Library
from store.marks import Marks
from store.model import Article, Author, Link, Origin
from tests.tui.helpers import border_title, make_app, ready, rows, settle, text_of, until
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList
from tui.widgets.panes import PaneTabs
from tui.widgets.results import ResultsList

SEED = "30992990"
SEED_TITLE = "Exosomes from Mesenchymal Stem/stromal Cells"
NEW_TITLE = "A record another process imported"


@pytest.fixture
def lib_path(tmp_path: Path) -> Path:
    path = tmp_path / "library.json"
    Library.open(path)  # the demo library
    return path


def add_record(path: Path, pmid: str = "111", title: str = NEW_TITLE, cites: str | None = None) -> None:
    """What another process does: open the library itself and commit a record."""
    library = Library.open(path)
    refs = [Link(pmid=cites)] if cites else []
    with library.transaction() as changes:
        changes.put_article(
            Article(pmid=pmid, title=title, authors=[Author("Nunez", "A")], year=2024, references=refs),
            Origin("test"),
        )


async def indexed(pilot: Pilot[None], screen: MainScreen, pmid: str) -> None:
    """Wait until the app's search index has taken in another process's commit of ``pmid`` (Tantivy's
    reader does, by itself, a moment after the commit; the app's library does not: a row it cannot
    find). The search is typed only then: else, typed fast, it may find nothing yet."""
    index = screen.results.index
    assert index is not None
    assert await until(pilot, lambda: pmid in {hit.pmid for hit in index.search("Nunez[au]").hits})


def notices(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


def header(app: object) -> str:
    return text_of(app.screen.query_one("#header"))  # type: ignore[attr-defined]


@pytest.fixture
def no_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app does not look for changes by itself (to see what it does with a stale view)."""
    monkeypatch.setattr(tui.screens.main.changes, "REFRESH_SECONDS", 3600.0)


async def test_a_row_the_app_cannot_find_is_refused_by_name_never_another_article(
    lib_path: Path, no_timer: None
) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        add_record(lib_path)  # the search index is shared, the app's library is not yet reloaded
        await indexed(pilot, screen, "111")
        await pilot.press("slash", *"Nunez[au]", "enter")
        await settle(pilot)
        assert rows(screen.query_one(ResultsList))[0].startswith("● " + NEW_TITLE)
        await pilot.press("s")
        await pilot.pause()
        said = notices(app)
        assert said and f"“{NEW_TITLE}” (PMID 111) is not in the library" in said[-1]
        await settle(pilot)
        assert Marks.open(lib_path).get(["pmid:30992990"]).empty  # the open article was not starred
        await pilot.press("enter")  # the refusal reloaded: now the row opens
        await settle(pilot)
        assert header(app).startswith(NEW_TITLE)
        # enter on a row the app has not read yet reloads, then opens it.
        add_record(lib_path, pmid="112", title="Another record from elsewhere")
        await indexed(pilot, screen, "112")
        await pilot.press("slash", *"Nunez[au]", "enter")
        await settle(pilot)
        results = screen.query_one(ResultsList)
        row = results.row_of(["pmid:112"])
        assert row is not None
        results.highlighted = row
        await pilot.press("enter")
        await settle(pilot)
        assert any("it opens when the library is read again" in m for m in notices(app))
        assert header(app).startswith("Another record from elsewhere")


async def test_every_action_key_refuses_a_stale_row(lib_path: Path, no_timer: None) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        add_record(lib_path)
        await indexed(pilot, screen, "111")
        await pilot.press("slash", *"Nunez[au]", "enter")
        await settle(pilot)
        # A library that does not know the new row (reloading it, as each refusal does, finds nothing).
        screen.library = Library.open(lib_path.with_name("other.json"))
        screen.changes.seen_library()  # (the views show it as it is: a reload finds no change in it)
        for key in ("s", "i", "x", "y", "o", "f", "t", "n", "e"):
            app._notifications.clear()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), key  # no dialog opened for another article
            assert any(f"“{NEW_TITLE}” (PMID 111)" in m for m in notices(app)), key
            await settle(pilot)
        assert Marks.open(lib_path).get(["pmid:30992990"]).empty
        assert app.clipboard == ""


async def test_ctrl_r_reloads_in_place_keeping_the_cursor(lib_path: Path, no_timer: None) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.query_one(ResultsList)
        await pilot.press("down", "down")
        kept = results.keys_at(results.highlighted or 0)
        await pilot.press("c", "down", "down")
        citing = screen.query_one("#cited-by-list", LinkList)
        kept_link = citing.keys_at(citing.highlighted or 0)
        add_record(lib_path, cites=SEED)  # a new article citing the open one
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.query_one(PaneTabs).labels["cited_by"] == "Cited by (6)"
        assert any(NEW_TITLE in r for r in rows(citing))
        assert citing.keys_at(citing.highlighted or 0) == kept_link
        assert results.keys_at(results.highlighted or 0) == kept
        assert " · 12 hits — " in border_title(results)
        assert header(app).startswith(SEED_TITLE)
        app._notifications.clear()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("Up to date" in m for m in notices(app))


async def test_marks_from_another_process_show_within_a_second_or_two(lib_path: Path) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        Marks.open(lib_path).toggle_star(["pmid:30992990"])  # as `pmbrowse mark 30992990 --star` does
        assert await until(pilot, lambda: "★ starred" in header(app), seconds=3)
        # ...and the app's own next change keeps it (it works on the file as it is now).
        await pilot.press("escape")
        await pilot.press("i")
        await pilot.pause()
        mark = Marks.open(lib_path).get(["pmid:30992990"])
        assert mark.starred and mark.screening == "included"


async def test_a_second_process_importing_shows_in_the_running_app(lib_path: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.nbib"
    new.write_text(
        "PMID- 111\nTI  - A record another process imported.\nFAU - Nunez, Ana\nAU  - Nunez A\n"
        "DP  - 2024\nTA  - Test J\n\n",
        encoding="utf-8",
    )
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.query_one(ResultsList)
        await pilot.press("down")
        kept = results.keys_at(results.highlighted or 0)

        def run() -> None:
            subprocess.run(
                [sys.executable, "-m", "tui", "--db", str(lib_path), "import", str(new)],
                check=True,
                capture_output=True,
            )

        importer = threading.Thread(target=run)
        importer.start()
        while importer.is_alive():
            await asyncio.sleep(0.05)
        # Within about a second (the app checks every second), without ctrl+r.
        assert await until(pilot, lambda: " · 12 hits — " in border_title(results), seconds=3)
        assert results.keys_at(results.highlighted or 0) == kept
        assert any(NEW_TITLE in r for r in rows(results))
        row = results.row_of(["pmid:111"])
        assert row is not None
        results.highlighted = row
        results.focus()
        await pilot.press("s")
        await pilot.pause()
        assert Marks.open(lib_path).get(["pmid:111"]).starred
        assert Marks.open(lib_path).get(["pmid:30992990"]).empty
