"""The main screen: search bar, results, the open article with its three panes, and the trail.

Widgets only show things and post messages; this screen routes them: it runs searches (in a worker),
opens articles, and walks the trail. The library loads in a worker after the first paint, so a large
library shows a loading state instead of a blank or frozen terminal; searches can run as soon as
the search index is open, which needs no library at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, TabbedContent, TabPane

from store.errors import PmbrowseError
from store.ids import parse_identifier
from store.library import Library
from store.merge import doc_keys
from store.search import QuerySyntaxError, Results, SearchIndex
from store.session import Session
from store.trail import Trail
from tui.keys import KEYS, SEARCH_HELP
from tui.text import literal
from tui.widgets.article import AbstractView, ArticleHeader
from tui.widgets.lists import ArticleList, LinkList, ResultsList
from tui.widgets.trail import TrailBar

PANES = ("abstract", "references", "cited_by")
PANE_WIDGETS = {"abstract": "#abstract-view", "references": "#references-list", "cited_by": "#cited-by-list"}
FOCUS_ORDER = ("#results", "#abstract-view", "#references-list", "#cited-by-list")
MAX_HITS = 500
EMPTY_LINKS = {
    "references": "No references known for this article: its source listed none. A PubMed XML record "
    "with a reference list adds them.",
    "cited_by": "No citing articles known for this article: none of the records in the library cites it.",
}


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(key.binding() for key in KEYS),
        ("escape", "leave_search", "Results"),
    ]

    def __init__(self, library_path: Path, target: str = "") -> None:
        super().__init__()
        self.library_path = library_path
        self.target = target.strip()
        self.session = Session.load(library_path)
        self.library: Library | None = None
        self.index: SearchIndex | None = None
        self.current: int | None = None  # the open article's document id
        self._pending_query: str | None = None
        self._pending_open: str | None = None  # an identity key to open once the library is loaded
        self._pending_pane = self.session.pane  # (mounting the tabs reports the default tab as active)

    @property
    def trail(self) -> Trail:
        return self.session.trail

    # Layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder='Search (/): words, "phrases", Smith J[au], 2018:2020[dp] …',
            id="search",
            compact=True,
            select_on_focus=False,
        )
        with Horizontal(id="body"):
            yield ResultsList(id="results")
            with Vertical(id="reader"):
                yield ArticleHeader(id="header")
                with TabbedContent(id="panes", initial="abstract"):
                    with TabPane("Abstract", id="abstract"):
                        yield AbstractView(id="abstract-view")
                    with TabPane("References", id="references"):
                        yield LinkList("references", id="references-list")
                    with TabPane("Cited by", id="cited_by"):
                        yield LinkList("cited_by", id="cited-by-list")
        yield TrailBar(id="trail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ResultsList).border_title = "Results"
        self.query_one(ResultsList).show_message("Loading the library…")
        self.query_one(ArticleHeader).show_welcome("Loading the library…")
        self.query_one(AbstractView).show_message(SEARCH_HELP)
        self.query_one(TrailBar).show_trail(self.trail)
        ident = parse_identifier(self.target) if self.target and " " not in self.target else None
        if ident is not None:
            self._pending_open = ident.key
            self._pending_query = self.session.query
        elif self.target:
            self._pending_query = self.target
        else:
            self._pending_query = self.session.query
            self._pending_open = self.trail.current
        self.query_one(Input).value = self._pending_query or ""
        self.query_one(ResultsList).focus()
        self.call_after_refresh(self._load)

    def _load(self) -> None:
        self.load_library()

    @work(thread=True, exclusive=True, group="load")
    def load_library(self) -> None:
        """Open the index first (fast, enough to search), then the library (slow when large)."""
        index = SearchIndex.open_if_fresh(self.library_path)
        if index is not None:
            self.app.call_from_thread(self._index_ready, index)
        try:
            library = Library.open(self.library_path)
            if index is None:
                index = SearchIndex.for_library(library)
        except PmbrowseError as exc:
            self.app.call_from_thread(self._load_failed, str(exc))
            return
        self.app.call_from_thread(self._library_ready, library, index)

    def _index_ready(self, index: SearchIndex) -> None:
        if self.index is None:
            self.index = index
            if self._pending_query is not None:
                query, self._pending_query = self._pending_query, None
                self.run_search(query)

    def _library_ready(self, library: Library, index: SearchIndex) -> None:
        self.library = library
        self._index_ready(index)
        self.index = index
        if self._pending_open:
            key, self._pending_open = self._pending_open, None
            doc_id = library.index.get(key)
            if doc_id is not None:
                self.open_doc(doc_id, visit=key != self.trail.current)
                self.action_pane(self._pending_pane, focus=False)
                return
            self.notify(f"{key} is not in the library", severity="warning")
        self.query_one(ArticleHeader).show_welcome()

    def _load_failed(self, message: str) -> None:
        self.query_one(ResultsList).show_message(message)
        self.query_one(ArticleHeader).show_welcome(f"The library could not be opened: {message}")
        self.notify(message, title="Library", severity="error", timeout=10, markup=False)

    # Searching -------------------------------------------------------------------------------

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one(ResultsList).focus()
        self.run_search(event.value)

    def run_search(self, query: str) -> None:
        self.session.query = query
        self.session.save(self.library_path)
        if self.index is None:
            self._pending_query = query
            self.query_one(ResultsList).show_message("Loading the library… the search runs when it is ready.")
            return
        self.search_worker(self.index, query)

    @work(thread=True, exclusive=True, group="search")
    def search_worker(self, index: SearchIndex, query: str) -> None:
        try:
            results = index.search(query, limit=MAX_HITS, sort="relevance" if query.strip() else "cited")
        except QuerySyntaxError as exc:
            self.app.call_from_thread(self._syntax_error, exc)
            return
        self.app.call_from_thread(self._show_results, query, results)

    def _show_results(self, query: str, results: Results) -> None:
        self.query_one(ResultsList).show_results(query, results)

    def _syntax_error(self, exc: QuerySyntaxError) -> None:
        results_list = self.query_one(ResultsList)
        results_list.border_title = "Results — query error"
        results_list.show_message(literal(f"{exc.message}:\n{exc.pointer()}", style="red"))

    # Opening articles --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#results")
    def _open_result(self, event: OptionList.OptionSelected) -> None:
        hit = self.query_one(ResultsList).hit(event.option_index)
        if hit is not None:
            self.open_doc(hit.doc_id)

    @on(OptionList.OptionSelected, "LinkList")
    def _open_link(self, event: OptionList.OptionSelected) -> None:
        assert isinstance(event.option_list, LinkList)
        view = event.option_list.view(event.option_index)
        if view is None:
            return
        if view.target_id is None:
            self.notify("This link names no article the library can find.", severity="warning")
            return
        self.open_doc(view.target_id)

    def open_doc(self, doc_id: int, *, visit: bool = True) -> None:
        """Show an article; ``visit`` adds it to the trail (dropping what was ahead)."""
        if self.library is None:
            self.notify("The library is still loading; try again in a moment.")
            return
        doc = self.library.doc(doc_id)
        if doc is None:
            self.notify("That article is no longer in the library.", severity="warning")
            return
        if visit:
            self.trail.visit(doc_keys(doc)[0])
        self.current = doc_id
        self._show_current()
        self.session.save(self.library_path)

    def _show_current(self) -> None:
        assert self.library is not None and self.current is not None
        library, doc_id = self.library, self.current
        article = library.article(doc_id)
        visited = set(self.trail.entries)
        counts: dict[str, int] = {}
        for rel, selector in (("references", "#references-list"), ("cited_by", "#cited-by-list")):
            views = library.links(doc_id, rel)
            counts[rel] = len(views)
            flags = [
                v.target_id is not None and self._key_of(v.target_id) in visited and v.target_id != doc_id
                for v in views
            ]
            self.query_one(selector, LinkList).show_links(views, flags, EMPTY_LINKS[rel])
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("references").label = f"References ({counts['references']})"  # type: ignore[assignment]
        tabs.get_tab("cited_by").label = f"Cited by ({counts['cited_by']})"  # type: ignore[assignment]
        self.query_one(ArticleHeader).show_article(article, counts["cited_by"])
        self.query_one(AbstractView).show_article(article)
        self.query_one(TrailBar).show_trail(self.trail)

    def _key_of(self, doc_id: int) -> str | None:
        doc = self.library.doc(doc_id) if self.library else None
        return doc_keys(doc)[0] if doc else None

    def _open_key(self, key: str) -> None:
        if self.library is None:
            return
        doc_id = self.library.index.get(key)
        if doc_id is None:
            self.notify(f"{key} is not in the library any more", severity="warning")
            return
        self.open_doc(doc_id, visit=False)

    # Actions ---------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_leave_search(self) -> None:
        if self.focused is self.query_one(Input):
            self.query_one(ResultsList).focus()

    def action_pane(self, name: str, focus: bool = True) -> None:
        if name not in PANES:
            return
        self.query_one(TabbedContent).active = name
        self.session.pane = name
        if focus:
            self.query_one(PANE_WIDGETS[name]).focus()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id in PANES:
            self.session.pane = event.pane.id

    def action_back(self) -> None:
        key = self.trail.back()
        if key is None:
            self.notify("Nothing further back on the trail.")
            return
        self._open_key(key)

    def action_forward(self) -> None:
        key = self.trail.forward()
        if key is None:
            self.notify("Nothing ahead on the trail.")
            return
        self._open_key(key)

    def action_cycle(self, step: int) -> None:
        widgets: list[Widget] = [self.query_one(selector) for selector in FOCUS_ORDER]
        focused = self.focused
        current = next(
            (n for n, w in enumerate(widgets) if focused is w or (focused and w in focused.ancestors)), -1
        )
        if current < 0 and step < 0:
            current = 0
        target = FOCUS_ORDER[(current + step) % len(FOCUS_ORDER)]
        pane = next((name for name, selector in PANE_WIDGETS.items() if selector == target), None)
        if pane is not None:
            self.action_pane(pane)
        else:
            self.query_one(target).focus()

    def action_cursor(self, step: int) -> None:
        focused = self.focused
        if isinstance(focused, ArticleList):
            focused.action_cursor_down() if step > 0 else focused.action_cursor_up()
        elif isinstance(focused, AbstractView):
            focused.scroll_relative(y=step, animate=False)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.session.save(self.library_path)
        self.app.exit()
