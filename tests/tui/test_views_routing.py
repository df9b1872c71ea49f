"""The views opened from the main screen (Snowball, map, Related) hand back exactly one article."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SEED
from tests.tui.helpers import make_app, ready
from tui.screens.snowball import SnowballScreen
from tui.widgets.candidates import CandidateList


async def test_enter_in_the_snowball_view_opens_only_that_candidate(lib_path: Path) -> None:
    app = make_app(lib_path, SEED.stem)  # the demo article, PMID 30992990
    async with app.run_test(size=(120, 40)) as pilot:
        main = await ready(pilot)
        await pilot.press("r")  # the references list has the focus, a row highlighted
        await pilot.pause()
        await pilot.press("ctrl+b")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        assert isinstance(app.screen, SnowballScreen)
        listing = app.screen.query_one(CandidateList)
        listing.move_to(2)
        wanted = listing.rows[2].doc_id
        await pilot.press("enter")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        assert app.screen is main
        assert main.current == wanted  # not the row the references list had highlighted
        assert len(main.trail.entries) == 2


async def test_snowball_rows_keep_their_year_and_cut_titles_with_an_ellipsis(lib_path: Path) -> None:
    app = make_app(lib_path, SEED.stem)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+b")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        listing = app.screen.query_one(CandidateList)
        width = listing.scrollable_content_region.width
        for n, row in enumerate(listing.rows):
            line = "".join(s.text for s in listing._title_line(n, row, width))
            assert len(line) <= width
            if row.year:
                assert line.endswith(str(row.year))
            if len(row.title) > width:
                assert "…" in line


async def test_quitting_the_app_makes_a_long_journal_a_segment(lib_path: Path, monkeypatch) -> None:
    from store.importer import import_file
    from store.library import Library
    from tests.conftest import PAGES

    import_file(Library.open(lib_path), PAGES / "zero_citations.txt")
    journal = lib_path.with_name("library.json.journal")
    assert b"1000002" in journal.read_bytes()
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert b"1000002" not in journal.read_bytes()
    (segment,) = lib_path.with_name("library.json.segments").iterdir()
    assert b"1000002" in segment.read_bytes()


async def test_the_tag_dialog_names_its_article_and_tags_that_one(lib_path: Path) -> None:
    from textual.widgets import Input, Static

    from store.marks import Marks
    from tests.tui.helpers import text_of
    from tui.screens.prompt import PromptScreen
    from tui.widgets.links import LinkList

    app = make_app(lib_path, SEED.stem)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await ready(pilot)
        await pilot.press("r")
        await pilot.pause()
        refs = main.query_one("#references-list", LinkList)
        refs.highlighted = 0
        first, second = refs.keys_at(0), refs.keys_at(1)
        title = main.library.article(main.library.find_keys(first) or 0).title  # type: ignore[union-attr]
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        question = " ".join(text_of(s) for s in app.screen.query(Static))
        assert title[:30] in question
        refs.highlighted = 1  # the list below moves meanwhile (another process's change, say)
        app.screen.query_one(Input).value = "chosen"
        await pilot.press("enter")
        await pilot.pause()
        marks = Marks.open(lib_path)
        assert marks.get(first).has_tag("chosen") and not marks.get(second).has_tag("chosen")


def test_quitting_on_a_large_library_compacts_in_the_background(lib_path: Path, monkeypatch) -> None:
    import subprocess

    from store.importer import import_file
    from store.library import Library
    from tests.conftest import PAGES
    from tui.screens.main import quitting

    lib = Library.open(lib_path)
    import_file(lib, PAGES / "zero_citations.txt")
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    monkeypatch.setattr(quitting, "INLINE_COMPACT_BYTES", 0)  # every library counts as large
    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv, **kw: started.append(argv))
    quitting.compact_on_quit(lib)
    assert started and started[0][-4:] == ["--db", str(lib.path), "compact", "--due"]
    assert b"1000002" not in lib_path.read_bytes()  # not compacted here: quitting did not wait
