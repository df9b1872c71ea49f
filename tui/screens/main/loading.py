"""Loading: what the app was started on, and the library read in a worker after the first paint.

The first content comes first: the search index opens (fast, and enough to search), and the query the
app was started on, or the last one, runs at once and fills the result list. Started from the command
line, that was done in a thread while the app was imported (``tui.firstpage``): the rows are then shown
before the screen's first frame, which holds them (measured 2026-12-04 at load 8-11, 9 starts each, the
first title 0.87-0.99x the time it took when the index was opened and searched after the first frame, in
two threads one after the other, a loading frame painted meanwhile). Only then are the library and the
marks opened (slow when large: the screen shows a loading state meanwhile, never a blank or frozen
terminal): opening them beside the first search would only share the same cores (and the interpreter's
lock) with it and delay it. Then the article the app was started on, or the one left open last time,
opens in the pane it had; a search that filters on marks (``is:starred``) runs again with them; and the
watcher starts from the state the list was searched in, so that a commit made meanwhile by another
process is taken in at its first look.

(The first page was once searched by a child process forked before Textual was imported, to use
another core while the app started. Measured on and off on the 2-core machine, loaded, at 2026-12-03
20:36-20:53, 5 and 7 starts each way: within the noise at every size, the same CPU time, and no
faster on average, so it was removed; a start on a quiet machine with a free core was not measured.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from store.errors import PmbrowseError
from store.ids import parse_identifier
from tui import collector, firstpage, listing
from tui.screens.main.parts import Part
from tui.widgets.lists import ArticleRows, article_lists

if TYPE_CHECKING:
    from store.library import Library
    from store.marks import Marks, MarksVersion
    from store.search import Hit, Results, SearchIndex
    from tui.screens.main.screen import MainScreen

# How long the library waits for the first search's rows before opening anyway (a guard: they come in
# well under a second at 100,000 records).
FIRST_ROWS_WAIT = 10.0
# How often that wait looks whether the app has ended: its exit joins the loader's thread (asyncio's
# shutdown of the worker threads), so a quit before the first rows would otherwise wait the whole guard.
GONE_LOOK = 0.05
# How long the screen waits, before its first frame, for the first page searched while the app was
# imported (``tui.firstpage``): it is shown in that frame. Longer, and a loading line is painted first.
FIRST_PAGE_WAIT = 0.5


class Loading(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self._open: str | None = None  # an identity key to open once the library is loaded
        self._asked = ""  # the identifier the app was started on (pmbrowse 30992990)
        self._pane = screen.session.pane  # the pane to show when that article opens
        self._page: firstpage.FirstPage | None = None  # what ``tui.firstpage`` found
        # The first page shown, a screenful (``firstpage.ROWS``): (its query, order and rows as shown),
        # until the whole page is searched (``_rest_of_page``).
        self._screenful: tuple[str, str, list[Hit]] | None = None
        self._read = False  # the library read (or failed to be): no key is kept for it any more
        # Keys pressed before the library was read (``keep``): the key, what it does, and the row it was
        # pressed on (the list, the row, the row's identity keys), if it is for one.
        self._kept: list[tuple[str, Callable[[], None], tuple[ArticleRows, int, list[str]] | None]] = []

    def start(self, target: str) -> str:
        """Read the library for the app started on ``target`` (a query, an identifier or nothing);
        return the query to show in the search bar."""
        session = self.screen.session
        ident = parse_identifier(target) if target and " " not in target else None
        query = listing.first_query(target, session.query)
        self._open = session.trail.current
        if ident is not None:
            self._open, self._asked = ident.key, ident.value
        self.screen.results.pending = query
        page = firstpage.take(self.screen.library_path, FIRST_PAGE_WAIT)
        if page is not None:
            self._page = page
            if page.index is not None and page.results is not None and page.query == query:
                self._show_first(query, page.index, page.results, page.order)
                if len(page.results.hits) < min(page.results.total, listing.MAX_HITS):
                    self._screenful = (query, page.order, self.screen.results.hits)
        # (After the first paint: opening the library at once would share the first paint's time.)
        self.screen.call_after_refresh(self.in_thread, self._load, group="load")
        return query

    def _show_first(self, query: str, index: SearchIndex, results: Results, order: str) -> None:
        """The first page, searched while the app was imported, shown before the first frame (as
        ``MainScreen.search`` would: the query kept for next time)."""
        self.screen.session.query = query
        self.screen.keeper.save_soon()
        self.screen.results.show_first(index, query, results, order)

    def _load(self) -> None:
        """The index and the first search first (the first content), then the library and the marks."""
        from store.search import SearchIndex

        path = self.screen.library_path
        # (The first page's thread, if still at work, is waited for: not the index opened twice.)
        page = self._page or firstpage.take(path, None)
        index = page.index if page is not None and page.opened else SearchIndex.open_with_counts(path)
        if index is not None:
            landed = self.app.call_from_thread(self._index_ready, index)
            if landed is not None and not self._wait_for(landed):
                return  # (the app ended: no library to open for it)
            self._rest_of_page(index)
        # The first content is shown (or, without a fresh index, comes after the library): start-up's
        # garbage is done with (``tui.collector``; opening the library, or converting it, may be long).
        collector.resume()
        from store.library import Library
        from tui import refresh

        try:
            library = Library.open(path)
            if index is None:
                index = SearchIndex.for_library(library)
            marks, seen = refresh.open_marks(path, self.screen.screener)
        except (PmbrowseError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._ready, library, index, marks, seen)

    def _wait_for(self, landed: threading.Event) -> bool:
        """Wait for the first rows up to ``FIRST_ROWS_WAIT``; False if the app ended meanwhile."""
        deadline = time.monotonic() + FIRST_ROWS_WAIT
        while not landed.wait(GONE_LOOK):
            if self._gone():
                return False
            if time.monotonic() >= deadline:
                break
        return True

    def _rest_of_page(self, index: SearchIndex) -> None:
        """The first page was a screenful (``firstpage.ROWS``: found, and drawn, in the first frame's
        time): the whole page now, shown on the row then highlighted, unless other rows came since."""
        if self._screenful is None:
            return
        (query, order, shown), self._screenful = self._screenful, None
        try:
            results = listing.search(index, query, order, listing.MAX_HITS, None)
        except (PmbrowseError, ValueError, OSError):
            return  # (the screenful stays; the next search says what is wrong)
        self.app.call_from_thread(self._show_rest, shown, results, order)

    def _show_rest(self, shown: list[Hit], results: Results, order: str) -> None:
        rows = self.screen.results
        if self._gone() or rows.hits is not shown:  # (another search's rows, or the same searched again)
            return
        keep = rows.keys_at(rows.highlighted) if rows.highlighted is not None else []
        rows.show_results(rows.title_text, results, "", listing.ORDER_NAMES.get(order, ""), keep)

    def _index_ready(self, index: SearchIndex) -> threading.Event | None:
        """The index is open: run the query that waited for it. Returns what to wait on before opening
        the library (set once that search's rows are shown), or None when no search of the library
        runs (the list has its index already, or the query went to PubMed)."""
        if self._gone():
            return None
        results = self.screen.results
        query = results.index_ready(index)
        if query is None:
            return None
        self.screen.search(query)
        return None if results.landed.is_set() else results.landed

    def _gone(self) -> bool:
        """The screen is being taken down (the app ends, a headless ``run_test`` among them): what the
        loader's thread brings back now has no widgets to go to, and is dropped."""
        return not self.screen.is_running

    def _ready(self, library: Library, index: SearchIndex, marks: Marks, seen: MarksVersion | None) -> None:
        firstpage.usual_switches()
        if self._gone():
            return
        screen = self.screen
        if not screen.reader.panes_mounted:  # (after the first paint: ``Reader._mount_panes``)
            screen.reader.after_panes(lambda: self._ready(library, index, marks, seen))
            return
        screen.library = library
        # What opening it said (converted, its index rebuilt, damage), as a command prints it: by this
        # open or an earlier one of the app's (the first page's, the search index's), each once.
        from store import notices

        for line in notices.take(library.path):
            self.say(line, title="Library", severity="warning", timeout=20)
        screen.marking.take(marks, seen)
        screen.changes.start(index.state)
        for article_list in article_lists(screen):
            article_list.mark_of = screen.marking.mark_of
            article_list.redraw()
        screen.online.library_ready()
        results = screen.results
        if results.index is not None and listing.needs_marks(results.query_text):
            results.search_again(keep_row=True)  # (it ran before the marks were read)
        else:
            self._index_ready(index)
        if self._open:
            key, self._open = self._open, None
            screen.reader.open_at_start(key, self._asked, self._pane)
        else:
            screen.reader.show_welcome()
        self._read = True
        if self._kept:
            screen.call_after_refresh(self._run_kept)

    def keep(self, key: str, run: Callable[[], None], *, row: bool = True) -> bool:
        """A key pressed before the library is read (the first list is searched from the index first,
        and a large library takes seconds to read): ``run`` (what it does) is kept, said, and run once
        the library is read. ``row``: it acts on the highlighted row, and only on that row (not kept
        without one: it says what it says without the library). False: not kept (run it now)."""
        if self._read or self.screen.library is not None:
            return False
        at = self.screen.marking.highlighted_row()
        if row and at is None:
            return False
        where = (at[0], at[1], at[0].keys_at(at[1])) if row and at is not None else None
        self._kept.append((key, run, where))
        self.say(f"The library is still loading: {key} is done once it is read.")
        return True

    def _run_kept(self) -> None:
        """The keys kept while the library was read, each done, in order; one kept for a row is done
        only while that row is still the one highlighted (else it would act on another article)."""
        kept, self._kept = self._kept, []
        for key, run, where in kept:
            if where is not None:
                rows, row, keys = where
                now = self.screen.marking.highlighted_row()  # (of the focused list)
                if now is None or now[0] is not rows or now[1] != row or rows.keys_at(row) != keys:
                    self.say(f"{key} was not done: the list moved while the library was read.")
                    continue
            run()

    def _failed(self, message: str) -> None:
        firstpage.usual_switches()
        if self._gone():
            return
        if not self.screen.reader.panes_mounted:  # (after the first paint: ``Reader._mount_panes``)
            self.screen.reader.after_panes(lambda: self._failed(message))
            return
        self._read, self._kept = True, []  # (what was kept is not done: the failure is said)
        self.screen.results.show_message(message)
        self.screen.reader.show_welcome(f"The library could not be opened: {message}")
        self.say(message, title="Library", severity="error", timeout=10)
