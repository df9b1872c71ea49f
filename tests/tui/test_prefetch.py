"""The first page searched by a second process while the app starts (``tui.prefetch``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store.library import Library
from store.model import Article, Origin
from store.search import SearchIndex
from tests.store.old_libraries import write_v2_library
from tests.tui.helpers import make_app, ready, rows, settle
from tui import listing
from tui.app import PmbrowseApp
from tui.prefetch import Page, Prefetch

SEED_TITLE = "Exosomes from Mesenchymal Stem/stromal Cells"
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)")  # (escape sequences, taken out)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "library.json"
    Library.open(path).close()  # the demo library, and its search index
    return path


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def files_of(path: Path) -> dict[str, bytes]:
    """Every file of the library's folder, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def test_the_child_searches_the_page_the_app_would(demo_path: Path) -> None:
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None and prefetch.pid != os.getpid()
    page = prefetch.page()
    assert page is not None and reaped(prefetch.pid)
    index = SearchIndex.open_with_counts(demo_path)
    assert index is not None
    order = listing.order_for("", None)
    here = listing.search(index, "", order, listing.MAX_HITS)
    assert (page.query, page.order, page.state) == ("", order, Library.open(demo_path).state)
    assert page.results == here and page.results.hits[0].title.startswith(SEED_TITLE)
    assert prefetch.page() is None  # (only the first call has the page)


async def test_the_app_shows_the_page_before_it_opens_the_index(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefetch = Prefetch.start(demo_path, "")  # (forked before the patch below)
    app = PmbrowseApp(demo_path, prefetch=prefetch)
    shown_then: list[list[str]] = []
    opened = SearchIndex.open_with_counts.__func__  # type: ignore[attr-defined]

    def open_index(cls: type[SearchIndex], path: Path) -> SearchIndex | None:
        shown_then.append([h.title for h in app.main.results.hits])
        return opened(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(SearchIndex, "open_with_counts", classmethod(open_index))

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert len(shown_then) == 1 and shown_then[0][0].startswith(SEED_TITLE)
        assert rows(screen.results)[0].startswith("● " + SEED_TITLE)
        # The list is searched here from then on (its index is open, no search waits for it).
        assert screen.results.index is not None and screen.results.pending is None
        screen.search("exosomes")
        await settle(pilot)
        assert screen.results.title_text == "exosomes" and screen.results.hits
    assert reaped(prefetch.pid)  # type: ignore[union-attr]


class Searched(Prefetch):
    """A prefetch whose child was done before the app started (its page read already)."""

    def __init__(self, page: Page) -> None:
        super().__init__(-1, -1, page.query)
        self._page: Page | None = page

    def ready(self) -> bool:
        return self._page is not None

    def page(self, wait: float = 0.0) -> Page | None:
        page, self._page = self._page, None
        return page


async def test_a_page_there_when_the_screen_mounts_is_in_the_first_frame(demo_path: Path) -> None:
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None
    page = prefetch.page()
    assert page is not None
    app = PmbrowseApp(demo_path, prefetch=Searched(page))
    first: list[list[str]] = []
    display = app._display

    def displayed(screen: Any, renderable: Any) -> None:
        if renderable is not None and not first:
            first.append(rows(app.main.results))
        display(screen, renderable)

    app._display = displayed  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
    assert first and first[0] and first[0][0].startswith("● " + SEED_TITLE)


async def test_a_commit_after_the_page_was_searched_is_taken_in(demo_path: Path) -> None:
    """The list shows the page as the child read the library; another process commits before the app
    opens it: the watcher starts from the page's state, so its first look takes the commit in."""
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None
    page = prefetch.page()
    assert page is not None
    library = Library.open(demo_path)
    with library.transaction() as changes:
        changes.put_article(Article(pmid="111", title="A record imported meanwhile"), Origin("test"))
    library.close()
    app = PmbrowseApp(demo_path, prefetch=Searched(page))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert not any("imported meanwhile" in row for row in rows(screen.results))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("imported meanwhile" in row for row in rows(screen.results))


async def test_a_page_of_another_query_is_not_shown(demo_path: Path) -> None:
    """The app was started on a query the page was not searched for: the app searches it itself."""
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None
    page = prefetch.page()
    assert page is not None
    app = make_app(demo_path, "no such words anywhere")
    app.main.loader.prefetch = Searched(page)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await settle(pilot)
        assert screen.results.title_text == "no such words anywhere" and not screen.results.hits


def test_what_the_child_leaves_to_the_app(demo_path: Path, tmp_path: Path) -> None:
    # A search of PubMed, or no library yet: no child at all.
    assert Prefetch.start(demo_path, "pubmed: exosomes") is None
    assert Prefetch.start(tmp_path / "none.json", "") is None
    # A query on the marks (the child has none) or with a syntax error: no page.
    for query in ("is:starred", "exosomes tag:todo", 'title:"unclosed'):
        prefetch = Prefetch.start(demo_path, query)
        assert prefetch is not None
        assert prefetch.page() is None and reaped(prefetch.pid), query
    # Words, and the filters on what a record is, are searched.
    for query in ("exosomes", "is:full"):
        prefetch = Prefetch.start(demo_path, query)
        assert prefetch is not None
        page = prefetch.page()
        assert page is not None and page.results.hits, query


def test_the_child_leaves_an_older_library_as_it_was(tmp_path: Path) -> None:
    """Opening a library of an older layout converts it: the child never does (the app does, with the
    lock that takes), and says it has no page."""
    path = tmp_path / "library.json"
    write_v2_library(path)
    before = files_of(path)
    prefetch = Prefetch.start(path, "")
    assert prefetch is not None and prefetch.page() is None and reaped(prefetch.pid)
    assert files_of(path) == before


def child_does(monkeypatch: pytest.MonkeyPatch, what: Callable[[], Any]) -> None:
    """Make the child (forked after this) do ``what`` when it opens the index."""

    def open_index(cls: type[SearchIndex], path: Path) -> None:
        what()

    monkeypatch.setattr(SearchIndex, "open_with_counts", classmethod(open_index))


def test_a_child_that_dies_gives_no_page(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child_does(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGKILL))
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None and prefetch.page() is None and reaped(prefetch.pid)


def test_a_child_too_slow_is_not_waited_for(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child_does(monkeypatch, lambda: time.sleep(30))
    prefetch = Prefetch.start(demo_path, "")
    assert prefetch is not None
    start = time.monotonic()
    assert prefetch.page(wait=0.2) is None
    assert time.monotonic() - start < 5 and reaped(prefetch.pid)  # (killed, not waited for)


def test_the_command_searches_first_what_the_app_opens_on(demo_path: Path) -> None:
    """``pmbrowse [QUERY | ID]`` forks the child for the query the list will show (``first_query``)."""
    from store.session import Session
    from tui.cli import start_prefetch

    session = Session.load(demo_path)
    session.query = "exosomes"
    session.save(demo_path)
    for target, query in (("", "exosomes"), ("30992990", "exosomes"), ("stem cells", "stem cells")):
        prefetch = start_prefetch(demo_path, target)
        assert prefetch is not None and prefetch.query == query, target
        page = prefetch.page()
        assert page is not None and page.query == query
    assert start_prefetch(demo_path, "pubmed: exosomes") is None
    session.query = "pubmed: exosomes"  # (saved by an older version: never searched again by itself)
    session.save(demo_path)
    prefetch = start_prefetch(demo_path, "")
    assert prefetch is not None and prefetch.query == ""
    assert prefetch.page() is not None


def test_a_process_with_many_files_open_gets_its_page(demo_path: Path) -> None:
    """The pipe's descriptor may be past what ``select`` can name (1024)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this process may not open 1,200 files")
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        prefetch = Prefetch.start(demo_path, "")
        assert prefetch is not None
        start = time.monotonic()
        while not prefetch.ready() and time.monotonic() - start < 30:
            time.sleep(0.01)
        page = prefetch.page()
        assert page is not None and page.results.hits
    finally:
        for fd in held:
            os.close(fd)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_app_in_a_terminal_shows_the_first_page(demo_path: Path) -> None:
    """The whole start, as a user runs it: ``pmbrowse --db PATH`` in a pseudo-terminal draws the list."""
    import pty
    import sys

    from tui.prefetch import readable  # (poll: this process may hold more files than select names)

    pid, fd = pty.fork()
    if pid == 0:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.execvpe(sys.executable, [sys.executable, "-m", "tui", "--db", str(demo_path)], env)
    seen, end = b"", time.monotonic() + 60
    text = ""
    try:
        while SEED_TITLE[:16] not in text and time.monotonic() < end:
            if readable(fd, 1):
                try:
                    seen += os.read(fd, 1 << 16)
                except OSError:
                    break
                text = re.sub(
                    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)", "", seen.decode(errors="replace")
                )
        assert SEED_TITLE[:16] in text
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
