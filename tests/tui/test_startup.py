"""Start-up: what the first screen needs is all that is imported before it paints."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store.library import Library
from store.marks import Marks
from store.model import Article, Origin
from store.session import Session
from tests.tui.helpers import imported_by, make_app, ready, rows, settle
from tui.screens.main import MainScreen

# Modules the first paint does without: the library and its storage, the search engine, the
# parsers, the online client, the exporters, the citation graph's computations (the Related pane,
# the map), and the subcommands.
LATER = (
    "store.library",
    "store.storage",
    "store.search",
    "tantivy",
    "store.formats",
    "store.importer",
    "lxml",
    "rispy",
    "bibtexparser",
    "orjson",
    "store.online",
    "httpx",
    "store.export",
    "store.neighbourhood",
    "tui.commands.importing",
    "tui.commands.searching",
)


def test_opening_the_app_imports_none_of_the_library_machinery() -> None:
    assert imported_by("import tui.cli, tui.app", LATER) == []


async def test_the_main_screen_is_the_first_screen(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)):
        assert isinstance(app.screen, MainScreen) and len(app.screen_stack) == 1  # nothing under it


# The first content: the result list is filled before the library is opened ---------------------------

SEED_TITLE = "Exosomes from Mesenchymal Stem/stromal Cells"


def watch_library_open(monkeypatch: pytest.MonkeyPatch, before: Callable[[], None]) -> None:
    """Run ``before()`` each time the library is opened (in the app's loading thread)."""
    opened = Library.open.__func__  # type: ignore[attr-defined]

    def open_library(cls: type[Library], *args: Any, **kwargs: Any) -> Library:
        before()
        return opened(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Library, "open", classmethod(open_library))


async def test_the_result_list_is_filled_before_the_library_is_opened(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(demo_path)
    shown_then: list[list[str]] = []
    watch_library_open(monkeypatch, lambda: shown_then.append([h.title for h in app.main.results.hits]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert len(shown_then) == 1 and shown_then[0] and shown_then[0][0].startswith(SEED_TITLE)
        assert rows(screen.results)[0].startswith("● " + SEED_TITLE)  # (then the marks' column)


async def test_a_query_on_marks_left_from_last_time_finds_them(demo_path: Path) -> None:
    """The first search runs before the marks are read: one that filters on them runs again with them."""
    marks = Marks.open(demo_path)
    with marks.transaction():
        marks.set_star(["pmid:30992990"], True)
    session = Session.load(demo_path)
    session.query = "is:starred"
    session.save(demo_path)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await settle(pilot)
        shown = rows(screen.results)
        assert len(shown) == 1 and shown[0].startswith("● ★ " + SEED_TITLE)


async def test_a_commit_between_the_first_search_and_the_library_is_taken_in(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process commits after the list was searched and before the library is read: the views
    were filled from the older state, so the first look takes the change in (here ctrl+r's)."""

    done: list[bool] = []

    def another_process_imports() -> None:
        if done:  # (its own open, and the app's)
            return
        done.append(True)
        library = Library.open(demo_path)
        with library.transaction() as changes:
            changes.put_article(Article(pmid="111", title="A record imported meanwhile"), Origin("test"))
        library.close()

    watch_library_open(monkeypatch, another_process_imports)
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert not any("imported meanwhile" in row for row in rows(screen.results))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("imported meanwhile" in row for row in rows(screen.results))


def test_the_whole_library_list_ranks_the_library_once(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no query the list is the records, then the stubs; with the page full of records the stubs
    are not searched: the total is the index's count of documents (no hit read, so no stub's count of
    citing articles either: ``tests/tui/test_first_page_total.py``)."""
    from store.search import SearchIndex
    from tui import listing

    index = SearchIndex.open_with_counts(demo_path)
    assert index is not None
    asked: list[tuple[str, str, int]] = []
    search = SearchIndex.search

    def recording(self: SearchIndex, query: Any, **kwargs: Any) -> Any:
        asked.append((query, kwargs["sort"], kwargs["limit"]))
        return search(self, query, **kwargs)

    monkeypatch.setattr(SearchIndex, "search", recording)
    everything = listing.search(index, "", "cited", 500)
    page = listing.search(index, "", "cited", 1)  # (the demo holds one record, and its stubs)
    assert asked == [
        ("is:full", "cited", 500),
        ("is:stub", "cited", 499),
        ("is:full", "cited", 1),
    ]
    assert page.total == everything.total == len(Library.open(demo_path))
    assert [h.doc_id for h in page.hits] == [everything.hits[0].doc_id] and not page.hits[0].stub


def test_the_index_opened_with_its_counts_reads_the_journal_once(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's first search needs the live counts: the storage they come from is opened first and
    tells whether the index is fresh (the journal is not read a second time for that)."""
    import store.search.index as index_module
    from store.search import SearchIndex

    def no(path: object) -> None:
        raise AssertionError("committed_state read the journal again")

    monkeypatch.setattr(index_module, "committed_state", no)
    index = SearchIndex.open_with_counts(demo_path)
    assert index is not None and index.state == Library.open(demo_path).state
    assert index.citations() is not None
    assert index.search("", sort="cited").hits[0].title.startswith(SEED_TITLE)
    # A stale index is not opened.
    other = Library.open(demo_path)
    with other.transaction() as changes:
        changes.put_article(Article(pmid="112", title="Newer"), Origin("test"))
    index_module.forget_index(demo_path)
    assert SearchIndex.open_with_counts(demo_path) is None


async def test_a_long_result_list_shows_a_screenful_first(demo_path: Path) -> None:
    """Textual measures every row as it is added: the rows that fill the list first, the rest after the
    next refresh, or at once when a row among them is highlighted."""
    from store.search import Hit, Results

    hits = [
        Hit(n, None, str(1000 + n), None, None, f"Article {n}", 2020, "J", "Smith J", 1, False, 0)
        for n in range(1, 201)
    ]
    app = make_app(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.results
        results.show_results("All", Results(hits, 200), "")
        # (The rows that fill the list: two lines each here, the list 35 lines high.)
        assert results.option_count == 18
        await pilot.pause()
        await pilot.pause()
        assert results.option_count == 200 and "Article 200" in rows(results)[-1]
        results.show_results("All", Results(hits, 200), "")
        results.highlighted = 150
        assert results.option_count == 200 and results.highlighted == 150
        assert results.row_of(["pmid:1180"]) == 179


def in_a_terminal(library: Path, until: str) -> str:
    """``pmbrowse --db LIBRARY`` started in a pseudo-terminal (120x40), as a user starts it: the text it
    draws (escape sequences taken out) until ``until`` is among it; then it is asked to quit."""
    import contextlib
    import os
    import pty
    import re
    import select
    import signal
    import time

    def readable(fd: int, seconds: float) -> bool:
        poll = select.poll()  # (not select: this process may hold more files than select names)
        poll.register(fd, select.POLLIN)
        return bool(poll.poll(seconds * 1000))

    pid, fd = pty.fork()
    if pid == 0:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.execvpe(sys.executable, [sys.executable, "-m", "tui", "--db", str(library)], env)
    seen, end = b"", time.monotonic() + 60
    text = ""
    try:
        while until not in text and time.monotonic() < end:
            if readable(fd, 1):
                try:
                    seen += os.read(fd, 1 << 16)
                except OSError:
                    break
                text = re.sub(
                    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)", "", seen.decode(errors="replace")
                )
        os.write(fd, b"q")
    finally:
        for _ in range(100):
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            if readable(fd, 0.1):
                with contextlib.suppress(OSError):
                    os.read(fd, 1 << 16)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return text


def test_the_app_in_a_terminal_shows_the_first_page(demo_path: Path) -> None:
    """The whole start, as a user runs it: ``pmbrowse --db PATH`` in a pseudo-terminal draws the list."""
    assert SEED_TITLE[:16] in in_a_terminal(demo_path, SEED_TITLE[:16])


def test_the_first_frame_in_a_terminal_holds_the_first_page(demo_path: Path) -> None:
    """The first page is searched while the app is imported (``tui.firstpage``) and shown in the
    screen's first frame: no frame with the list still loading (its title "Results") reaches the
    terminal before the rows. Seen red before: the loading frame, then the rows 3 frames later."""
    text = in_a_terminal(demo_path, SEED_TITLE[:16])
    before = text[: text.index(SEED_TITLE[:16])]
    assert "hits — All articles" in before and "Results" not in before, before
