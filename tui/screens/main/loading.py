"""Loading: what the app was started on, and the library read in a worker after the first paint.

The search index opens first (fast, and enough to search: the query the app was started on, or the
last one, runs at once); then the library and the marks (slow when large: the screen shows a loading
state meanwhile, never a blank or frozen terminal). Then the article the app was started on, or the
one left open last time, opens in the pane it had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.errors import PmbrowseError
from store.ids import parse_identifier
from tui import refresh
from tui.screens.main.online import online_query
from tui.screens.main.parts import Part
from tui.widgets.article import ArticleHeader
from tui.widgets.lists import article_lists

if TYPE_CHECKING:
    from store.library import Library
    from store.marks import Marks
    from store.search import SearchIndex
    from store.wholefile import Fingerprint
    from tui.screens.main.screen import MainScreen


class Loading(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self._open: str | None = None  # an identity key to open once the library is loaded
        self._asked = ""  # the identifier the app was started on (pmbrowse 30992990)
        self._pane = screen.session.pane  # the pane to show when that article opens

    def start(self, target: str) -> str:
        """Read the library for the app started on ``target`` (a query, an identifier or nothing);
        return the query to show in the search bar."""
        session = self.screen.session
        ident = parse_identifier(target) if target and " " not in target else None
        query = session.query
        if online_query(query) is not None:
            query = ""  # never go online by ourselves (older sessions saved such queries)
        self._open = session.trail.current
        if ident is not None:
            self._open, self._asked = ident.key, ident.value
        elif target:
            query = target
        self.screen.results.pending = query
        self.screen.call_after_refresh(self.in_thread, self._load, group="load")
        return query

    def _load(self) -> None:
        """Open the index first (fast, enough to search), then the library (slow when large)."""
        from store.library import Library
        from store.search import SearchIndex

        path = self.screen.library_path
        index = SearchIndex.open_if_fresh(path)
        if index is not None:
            self.app.call_from_thread(self._index_ready, index)
        try:
            library = Library.open(path)
            if index is None:
                index = SearchIndex.for_library(library)
            marks, seen = refresh.open_marks(path)
        except (PmbrowseError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._ready, library, index, marks, seen)

    def _index_ready(self, index: SearchIndex) -> None:
        query = self.screen.results.index_ready(index)
        if query is not None:
            self.screen.search(query)

    def _ready(self, library: Library, index: SearchIndex, marks: Marks, seen: Fingerprint | None) -> None:
        screen = self.screen
        screen.library = library
        screen.marking.take(marks, seen)
        screen.changes.start()
        for article_list in article_lists(screen):
            article_list.mark_of = screen.marking.mark_of
            article_list.redraw()
        screen.online.library_ready()
        self._index_ready(index)
        if self._open:
            key, self._open = self._open, None
            screen.reader.open_at_start(key, self._asked, self._pane)
        else:
            screen.query_one(ArticleHeader).show_welcome()

    def _failed(self, message: str) -> None:
        self.screen.results.show_message(message)
        self.screen.query_one(ArticleHeader).show_welcome(f"The library could not be opened: {message}")
        self.say(message, title="Library", severity="error", timeout=10)
