"""One watcher takes in other processes' changes for every view: the main screen, the Snowball view,
the map. Here the other process is a real one (``python -m tui mark``), as a reviewer's second shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.widgets import Static

from store.library import Library
from store.marks import Marks
from tests.tui.helpers import make_app, open_snowball, ready, settle, text_of, until
from tui.screens.snowball import SnowballScreen
from tui.widgets.candidates import CandidateList

SEED = "30992990"


def mark_elsewhere(lib_path: Path, pmid: str, flag: str) -> None:
    """``pmbrowse mark PMID FLAG`` in a process of its own."""
    subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(lib_path), "mark", pmid, flag],
        check=True,
        capture_output=True,
    )


def decision(screen: SnowballScreen, pmid: str) -> str | None:
    index = next(n for n, r in enumerate(screen.rows) if r.pmid == pmid)
    return screen.seen[index][0]


def counts(screen: SnowballScreen) -> str:
    return text_of(screen.query_one("#snowball-counts", Static))


def seeded(lib_path: Path) -> str:
    """The demo library with its article included (the seed); the PMID of one of its candidates."""
    library = Library.open(lib_path)
    Marks.open(lib_path).set_screening([f"pmid:{SEED}"], "included")
    doc_id = library.find(SEED)
    assert doc_id is not None
    return next(v.pmid for v in library.links(doc_id, "cited_by") if v.pmid)


async def test_the_snowball_view_takes_in_marks_from_another_process_on_ctrl_r(lib_path: Path) -> None:
    candidate = seeded(lib_path)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        assert decision(screen, candidate) is None
        assert "excluded" not in counts(screen)
        mark_elsewhere(lib_path, candidate, "--exclude")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.screen is screen
        assert decision(screen, candidate) == "excluded"
        assert counts(screen).startswith("to screen 9 of 10 · excluded 1 · ")
        # The view's own next decision works on the marks as they are now: the other one stays.
        listing = screen.query_one(CandidateList)
        other = next(r for r in listing.rows if r.pmid and r.pmid != candidate)
        listing.move_to(listing.rows.index(other))
        await pilot.press("i")
        await settle(pilot)
        marks = Marks.open(lib_path)
        assert marks.get([f"pmid:{candidate}"]).screening == "excluded"
        assert marks.get([f"pmid:{other.pmid}"]).screening == "included"


async def test_the_snowball_view_takes_in_marks_from_another_process_by_itself(lib_path: Path) -> None:
    candidate = seeded(lib_path)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        mark_elsewhere(lib_path, candidate, "--include")
        # Within about a second (the app looks every second), without ctrl+r.
        assert await until(pilot, lambda: decision(screen, candidate) == "included", seconds=3)
        assert counts(screen).startswith("to screen 9 of 10 · included 1 · ")
        # The main screen below took it in too: its result row shows the mark.
        await pilot.press("escape")
        await settle(pilot)
        assert "✔" in text_of(app.screen.query_one("#results"))


async def test_the_map_and_the_related_pane_take_in_another_process_import(lib_path: Path) -> None:
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN, hand_built
    from tests.tui.helpers import rows
    from tui.screens.map import MapScreen
    from tui.widgets.related import RelatedPane

    hand_built(Library.open(lib_path, demo=False))
    app = make_app(lib_path, "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await settle(pilot)
        pane = app.screen.query_one(RelatedPane)
        assert not any("Record 6" in row for row in rows(pane.related_list))
        await pilot.press("g")
        await settle(pilot)
        map_screen = app.screen
        assert isinstance(map_screen, MapScreen)
        other = Library.open(lib_path, demo=False)  # another process: a new article citing 1 and 10
        with other.transaction() as changes:
            changes.put_article(
                Article(pmid="6", title="Record 6", year=2020, references=[Link(pmid="1"), Link(pmid="10")]),
                ORIGIN,
            )
        other.close()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert map_screen.layout_data is not None
        new = map_screen.library.find("6")
        assert new is not None and new in map_screen.layout_data.nodes  # laid out again, in place
        await pilot.press("escape")
        await settle(pilot)
        assert any("Record 6" in row for row in rows(pane.related_list))  # (it shares reference 10)


async def test_a_write_of_this_app_from_another_view_is_taken_in(lib_path: Path) -> None:
    """As a fetch in the Snowball view writes through the library object the main screen shares:
    ``Library.refresh`` sees no other process, but the views must still show it."""
    from store.model import Article, Link, Origin
    from tests.tui.helpers import border_title
    from tui.widgets.panes import PaneTabs

    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.library is not None
        assert screen.query_one(PaneTabs).labels["cited_by"] == "Cited by (5)"
        with screen.library.transaction() as changes:
            changes.put_article(
                Article(pmid="111", title="Written here", year=2024, references=[Link(pmid=SEED)]),
                Origin("t"),
            )
        results = screen.query_one("#results")
        assert await until(pilot, lambda: " · 12 hits — " in border_title(results), seconds=3)
        assert screen.query_one(PaneTabs).labels["cited_by"] == "Cited by (6)"


def pmbrowse_elsewhere(lib_path: Path, *words: str) -> None:
    """``pmbrowse WORDS`` in a process of its own."""
    subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(lib_path), *words], check=True, capture_output=True
    )


async def test_defect_4_the_snowball_view_takes_in_rounds_kept_and_dropped_in_another_process(
    tmp_path: Path,
) -> None:
    """Issue 16, defect 4: the snowball file is watched too. A round kept by ``pmbrowse snowball`` in
    another shell is counted in the title and said; the round shown, dropped there, is said and the
    view goes to the newest left; no round left is said, and none is run in its place."""
    from tests.store.snowball.graph import build

    lib_path = tmp_path / "lib.json"
    build(lib_path)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        title = lambda: text_of(screen.query_one("#snowball-title", Static))  # noqa: E731
        notices = lambda: [n.message for n in app._notifications]  # noqa: E731
        assert title().startswith("Round 1 of 1 ·")
        pmbrowse_elsewhere(lib_path, "mark", "20", "--include")
        pmbrowse_elsewhere(lib_path, "snowball")  # round 2: 40, which 20 cites
        assert await until(pilot, lambda: title().startswith("Round 1 of 2 ·"), seconds=3)
        assert "Round 2 was kept elsewhere: ] shows it." in notices()
        await pilot.press("right_square_bracket")
        await settle(pilot)
        new = [r.candidate.label for r in screen.rows if not r.candidate.known]
        assert title().startswith("Round 2 of 2 ·") and new == ["40"]
        pmbrowse_elsewhere(lib_path, "snowball", "drop", "2", "--yes")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "Round 2 was dropped elsewhere: showing the newest round." in notices()
        assert title().startswith("Round 1 of 1 ·") and "40" not in [r.candidate.label for r in screen.rows]
        pmbrowse_elsewhere(lib_path, "snowball", "drop", "1", "--yes")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert (
            counts(screen)
            == "Round 1 was dropped elsewhere: no round now; N runs one from the included articles."
        )
        assert screen.rows == []
        await settle(pilot)
        from store.snowball.state import SnowballFile

        assert SnowballFile.open(lib_path).load().rounds == []  # (none run in its place)


async def test_a_decision_in_the_snowball_view_is_not_taken_in_as_another_process_change(
    lib_path: Path,
) -> None:
    """The Snowball view's own writes are this app's: the watcher does not read them back as another
    process's (which had every row of the view read again and the main screen's lists redrawn under
    it, within a second of each key: with 10,000 candidates, the next key waited for that). The main
    screen shows the decision once the view closes."""
    candidate = seeded(lib_path)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        marks = screen.marks
        listing = screen.query_one(CandidateList)
        listing.move_to(next(n for n, r in enumerate(listing.rows) if r.pmid == candidate))
        await pilot.press("i")
        await until(pilot, lambda: screen.marks is not marks, seconds=2.5)  # (two looks of the watcher)
        assert screen.marks is marks  # not read again: nothing changed but what this app wrote
        assert Marks.open(lib_path).get([f"pmid:{candidate}"]).screening == "included"
        await pilot.press("escape")
        await settle(pilot)
        main = app.screen
        assert (
            main.marking.marks is marks
            and main.marking.mark_of([f"pmid:{candidate}"]).screening == "included"
        )


async def test_a_decision_that_merges_another_process_change_leaves_it_to_be_taken_in(
    lib_path: Path,
) -> None:
    """Another process decided an article, and before the watcher's next look this app records a
    decision in the Snowball view (the write merges the other's in): the other decision is still
    taken in at the next look, not passed over as this app's own write."""
    candidate = seeded(lib_path)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        watcher = app.main.changes
        watcher._checking = True  # (the watcher holds off: the next two steps fall between two looks)
        mark_elsewhere(lib_path, candidate, "--exclude")
        listing = screen.query_one(CandidateList)
        listing.move_to(next(n for n, r in enumerate(listing.rows) if r.pmid and r.pmid != candidate))
        await pilot.press("i")
        watcher._checking = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert decision(screen, candidate) == "excluded"
