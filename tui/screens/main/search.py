"""Search and results: the query the list shows, its order, the search index, and the search itself.

A widget, the result list. It owns the query and its title, the order the user chose (``order``, a
reactive attribute: changing it searches again), the search index once it is open, a query asked for
before it was, and the article to stay on when the rows come again. Searches run in a thread worker;
what the list shows comes from ``tui.listing`` (the search, the order in force, the title).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.reactive import reactive

from tui import listing
from tui.text import literal
from tui.widgets.results import ResultsList

if TYPE_CHECKING:
    from store.search import QuerySyntaxError, Results, SearchIndex
    from store.search.index import MarkLookup


class SearchResults(ResultsList):
    """The result list and the search behind it (see the module docstring)."""

    # The result order the user chose (None: the query's default).
    order: reactive[str | None] = reactive(None, init=False)

    def __init__(
        self,
        filters: Callable[[], MarkLookup | None],
        open_article: Callable[[], int | None],
        **kwargs: object,
    ) -> None:
        """``filters``: the marks' search filters (None until the marks are read); ``open_article``:
        the open article, which the list highlights when new rows come."""
        super().__init__(**kwargs)
        self.filters = filters
        self.open_article = open_article
        self.index: SearchIndex | None = None
        self.query_text = ""  # the query the list shows, and its title
        self.title_text = ""
        self.pending: str | None = None  # a query asked for before the index was open
        self._keep_row: list[str] = []  # identity keys of the row to keep highlighted when results come
        # Clear while a search's rows are awaited (the loader opens the library once the first are shown).
        self.landed = threading.Event()
        self.landed.set()

    def on_mount(self) -> None:
        if self.index is None:  # (not when the first page was shown already: ``show_first``)
            self.border_title = "Results"
            self.show_message("Loading the library…")

    def index_ready(self, index: SearchIndex) -> str | None:
        """The search index is open: the query that waited for it, to run now (the screen routes it:
        it may be a PubMed search)."""
        if self.index is not None:
            return None
        self.index = index
        query, self.pending = self.pending, None
        return query

    def show_first(self, index: SearchIndex, query: str, results: Results, order: str) -> None:
        """Show the first page, searched before the screen was built (``tui.firstpage``)."""
        self.index, self.pending = index, None
        self.query_text, self.title_text = query, listing.title(query)
        self.landed.clear()
        self._show(self.title_text, query, results, order)

    def search(self, query: str) -> None:
        self.query_text, self.title_text = query, listing.title(query)
        if self.index is None:
            self.pending = query
            self.show_message("Loading the library… the search runs when it is ready.")
            return
        self._start(self.index, query, self.title_text, listing.order_for(query, self.order))

    def show_query(self, query: str, title: str, default_order: str) -> None:
        """Show what ``query`` finds under ``title`` (in ``default_order`` unless the user chose one)."""
        if self.index is not None:
            self.query_text, self.title_text = query, title
            order = listing.order_for(query, self.order or default_order)
            self._start(self.index, query, title, order)

    def search_again(self, keep_row: bool = False) -> None:
        """Run the search the list shows again (in the order now chosen); ``keep_row``: stay on the
        highlighted article (a reload)."""
        if self.index is None:
            return
        if keep_row and self.highlighted is not None:
            self._keep_row = self.keys_at(self.highlighted)
        order = listing.order_for(self.query_text, self.order)
        self._start(self.index, self.query_text, self.title_text, order)

    def next_order(self) -> None:
        """Switch the result order: relevance, newest first, most cited first, highest RCR first."""
        self.order = listing.next_order(self.query_text, self.order)

    def watch_order(self) -> None:
        self.search_again()

    def follow(self, doc_id: int | None) -> None:
        """Keep the highlight on the open article, so that actions on "the highlighted row" and on "the
        open article" agree after opening it by identifier or from the trail."""
        row = next((n for n, hit in enumerate(self.hits) if hit.doc_id == doc_id), None)
        if row is not None:
            self.highlighted = row

    def _start(self, index: SearchIndex, query: str, title: str, order: str) -> None:
        self.landed.clear()
        self._worker(index, query, title, order)

    @work(thread=True, exclusive=True, group="search")
    def _worker(self, index: SearchIndex, query: str, title: str, order: str) -> None:
        from store.search import QuerySyntaxError

        try:
            results = listing.search(index, query, order, listing.MAX_HITS, self.filters())
        except QuerySyntaxError as exc:
            self.app.call_from_thread(self._syntax_error, exc)
            return
        except (ValueError, OSError) as exc:  # the index refused the query, or could not be read
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, title, query, results, order)

    def _show(self, title: str, query: str, results: Results, order: str = "") -> None:
        if query and self.index is not None:
            from tui.nohits import no_hits

            empty = no_hits(self.index, query) if not results.hits else ""
        else:
            empty = "The library is empty. Import records with: pmbrowse import FILE..."
        keep, self._keep_row = self._keep_row, []
        self.show_results(title, results, empty, listing.ORDER_NAMES.get(order, ""), keep)
        if not keep:
            self.follow(self.open_article())
        self.call_after_refresh(self.landed.set)  # (once the rows are on their way to the terminal)

    def _failed(self, message: str) -> None:
        self.border_title = "Results — the search failed"
        self.show_message(f"The search failed: {message}")
        self.landed.set()

    def _syntax_error(self, exc: QuerySyntaxError) -> None:
        self.border_title = "Results — query error"
        self.show_message(literal(f"{exc.message}:\n{exc.pointer()}", style="red"))
        self.landed.set()
