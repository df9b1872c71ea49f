"""The main screen: search bar, results, the open article with its three panes, and the trail.

Widgets only show things and post messages; this screen routes them: it runs searches (in a worker),
opens articles, and walks the trail. The library loads in a worker after the first paint, so a large
library shows a loading state instead of a blank or frozen terminal; searches can run as soon as
the search index is open, which needs no library at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, OptionList

from store.errors import PmbrowseError
from store.ids import parse_identifier
from store.session import Session
from tui import listing, refresh
from tui.keys import KEYS, SEARCH_HELP
from tui.screens.prompt import PromptScreen
from tui.screens.views import ViewRoutes
from tui.text import citation_text, describe_article, literal, mesh_query, printable, shorten_left, unique
from tui.widgets.article import AbstractView, ArticleHeader
from tui.widgets.footer import KeyFooter
from tui.widgets.lists import ArticleList, LinkList, ResultsList
from tui.widgets.panes import PaneTabs
from tui.widgets.related import RelatedPane
from tui.widgets.trail import StatusLine, TrailBar
from tui.widgets.yearchart import YearChart

# The first screen needs none of the library's machinery: it is imported where it is first used (the
# library and the search index in the loading worker, the online client and the exporters on their
# keys), so the app paints about as soon as a bare Textual app would.
if TYPE_CHECKING:
    from store.library import Library
    from store.marks import Mark, Marks, Screening
    from store.model import Article
    from store.online.events import Event, Progress
    from store.online.report import FetchReport
    from store.search import QuerySyntaxError, Results, SearchIndex
    from store.trail import Trail
    from store.wholefile import Fingerprint
    from tui.screens.export import ExportRequest

    # A fetch or an online search, run in a worker: (library, progress) -> what it did.
    OnlineTask = Callable[[Library, Progress], FetchReport]

PANES = ("abstract", "references", "cited_by", "related")
PANE_LABELS = {
    "abstract": "Abstract",
    "references": "References",
    "cited_by": "Cited by",
    "related": "Related",
}
PANE_WIDGETS = {
    "abstract": "#abstract-view",
    "references": "#references-list",
    "cited_by": "#cited-by-list",
    "related": "#related-pane",
}
FOCUS_ORDER = ("#results", "#abstract-view", "#references-list", "#cited-by-list")
MAX_HITS = 500
REFRESH_SECONDS = 1.0  # how often the app looks for what other processes committed
TOAST_CELLS = 40  # what a line of a notification holds at 80 columns
ONLINE_PREFIX = "pubmed:"
ONLINE_HITS = 50
EMPTY_LINKS = {
    "references": "No references known for this article: its source listed none. A PubMed XML record "
    "with a reference list adds them.",
    "cited_by": "No citing articles known for this article: none of the records in the library cites it.",
}


# A library up to this size is compacted as the app quits (a fifth of a second or so: 333 MB took
# 1.6 s here); a larger one by a ``pmbrowse compact`` started in the background, so that quitting
# never waits for it.
INLINE_COMPACT_BYTES = 48 << 20


def compact_on_quit(library: Library) -> None:
    """Fold a journal grown past its threshold (by fetches and imports in the app) into the library."""
    import contextlib
    import subprocess
    import sys

    if not library.compaction_due:
        return
    if library.storage.base_size <= INLINE_COMPACT_BYTES:
        library.compact_if_due()
        return
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-m", "tui", "--db", str(library.path), "compact"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


class MainScreen(ViewRoutes):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(key.binding() for key in KEYS),
        Binding("escape", "leave_search", "Results", show=False),
    ]

    def __init__(self, library_path: Path, target: str = "") -> None:
        super().__init__()
        self.library_path = library_path
        self.target = target.strip()
        self.session = Session.load(library_path)
        self.library: Library | None = None
        self.index: SearchIndex | None = None
        self.current: int | None = None  # the open article's document id...
        self._current_key = ""  # ...and its identity, which survives merges (document ids may not)
        self.marks: Marks | None = None
        self._citing_count = 0
        self._online_label = ""
        self._fetching = False
        self._pending_query: str | None = None
        self._pending_open: str | None = None  # an identity key to open once the library is loaded
        self._asked = ""  # the identifier the app was started on (pmbrowse 30992990)
        self._missing = ""  # ...when the library does not have it: f fetches it
        self._pending_pane = self.session.pane  # the pane to show when the saved article opens
        self._pending_online: str | None = None  # a pubmed: search asked for before the library loaded
        self.order: str | None = None  # the result order the user chose (None: the query's default)
        self._query = ""  # the query the result list shows, and its title
        self._title = ""
        self._keep_row: list[str] = []  # identity keys of the row to keep highlighted when results come
        self._checking = False  # a check for other processes' changes is running
        self._index_behind = 0
        self._marks_seen: Fingerprint | None = None  # the marks file as this app last read it
        self._open_when_found: list[str] = []  # a row enter was pressed on, to open after a reload
        self._export_target: int | None = None  # the article the export dialog calls "this article"

    @property
    def trail(self) -> Trail:
        return self.session.trail

    # Layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder='Search (/): words, "phrases", Smith J[au], 2018:2020[dp] …',
            id="search",
            compact=True,
        )
        with Horizontal(id="body"):
            yield ResultsList(id="results")
            with Vertical(id="reader"):
                yield ArticleHeader(id="header")
                yield YearChart(id="year-chart")
                yield PaneTabs(PANE_LABELS, "abstract", id="tabs")
                with ContentSwitcher(id="panes", initial="abstract-view"):
                    yield AbstractView(id="abstract-view")
                    yield LinkList("references", id="references-list")
                    yield LinkList("cited_by", id="cited-by-list")
                    yield RelatedPane(id="related-pane")
        with Horizontal(id="bottom"):
            yield TrailBar(id="trail")
            yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ResultsList).border_title = "Results"
        self.query_one(ResultsList).show_message("Loading the library…")
        self.query_one(ArticleHeader).show_welcome("Loading the library…")
        self.query_one(AbstractView).show_message(SEARCH_HELP)
        self.query_one(TrailBar).show_trail(self.trail)
        ident = parse_identifier(self.target) if self.target and " " not in self.target else None
        saved_query = self.session.query
        if saved_query.strip().lower().startswith(ONLINE_PREFIX):
            saved_query = ""  # never go online by ourselves (older sessions saved such queries)
        self._pending_query = saved_query
        self._pending_open = self.trail.current
        if ident is not None:
            self._pending_open = ident.key
            self._asked = ident.value
        elif self.target:
            self._pending_query = self.target
        self.query_one(Input).value = self._pending_query or ""
        self.query_one(ResultsList).focus()
        self.call_after_refresh(self.load_library)

    @work(thread=True, exclusive=True, group="load")
    def load_library(self) -> None:
        """Open the index first (fast, enough to search), then the library (slow when large)."""
        from store.library import Library
        from store.search import SearchIndex

        index = SearchIndex.open_if_fresh(self.library_path)
        if index is not None:
            self.app.call_from_thread(self._index_ready, index)
        try:
            library = Library.open(self.library_path)
            if index is None:
                index = SearchIndex.for_library(library)
            marks, self._marks_seen = refresh.open_marks(self.library_path)
        except (PmbrowseError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._load_failed, str(exc))
            return
        self.app.call_from_thread(self._library_ready, library, index, marks)

    def _index_ready(self, index: SearchIndex) -> None:
        if self.index is None:
            self.index = index
            if self._pending_query is not None:
                query, self._pending_query = self._pending_query, None
                self.run_search(query)

    def _library_ready(self, library: Library, index: SearchIndex, marks: Marks) -> None:
        self.library = library
        self.marks = marks
        self.set_interval(REFRESH_SECONDS, self._check_changes)
        for article_list in self.query(ArticleList):
            article_list.mark_of = self._mark_of
            article_list.redraw()
        if self._pending_online is not None:
            query, self._pending_online = self._pending_online, None
            self._search_online(query)
        self._index_ready(index)
        if self._pending_open:
            key, self._pending_open = self._pending_open, None
            doc_id = library.lookup(key)
            if doc_id is not None:
                self.open_doc(doc_id, visit=key != self.trail.current)
                self.action_pane(self._pending_pane, focus=False)
                return
            if self._asked:
                self._offer_fetch(self._asked)
                return
            self.say(f"{key} is not in the library", severity="warning")
        self.query_one(ArticleHeader).show_welcome()

    def _offer_fetch(self, ident: str) -> None:
        """The app was started on an identifier the library does not have: say so in the pane, and
        let f fetch it (the abstract pane has the focus, so f is for it, not for a result row)."""
        self._missing = ident
        self.query_one(ArticleHeader).show_welcome(f"{ident} is not in the library.")
        self.query_one(AbstractView).show_message(
            f"{ident} is not in the library. Press f to fetch it from PubMed and Europe PMC (online), "
            "with its links; or import its record: pmbrowse import FILE."
        )
        self.action_pane("abstract")

    def _load_failed(self, message: str) -> None:
        self.query_one(ResultsList).show_message(message)
        self.query_one(ArticleHeader).show_welcome(f"The library could not be opened: {message}")
        self.say(message, title="Library", severity="error", timeout=10)

    # Searching -------------------------------------------------------------------------------

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one(ResultsList).focus()
        self.run_search(event.value)

    def run_search(self, query: str) -> None:
        if query.strip().lower().startswith(ONLINE_PREFIX):
            # Not saved as the last query: reopening the app must never go online by itself.
            self._search_online(query.strip()[len(ONLINE_PREFIX) :].strip())
            return
        self.session.query = query
        self.session.save(self.library_path)
        self._query, self._title = query, listing.title(query)
        if self.index is None:
            self._pending_query = query
            self.query_one(ResultsList).show_message("Loading the library… the search runs when it is ready.")
            return
        self.search_worker(self.index, query, self._title, listing.order_for(query, self.order))

    @work(thread=True, exclusive=True, group="search")
    def search_worker(self, index: SearchIndex, query: str, title: str, order: str) -> None:
        from store.search import QuerySyntaxError

        try:
            filters = self.marks.search_filter if self.marks is not None else None
            results = listing.search(index, query, order, MAX_HITS, filters)
        except QuerySyntaxError as exc:
            self.app.call_from_thread(self._syntax_error, exc)
            return
        except (ValueError, OSError) as exc:  # the index refused the query, or could not be read
            self.app.call_from_thread(self._search_failed, str(exc))
            return
        self.app.call_from_thread(self._show_results, title, query, results, order)

    def action_mesh(self) -> None:
        """Pick one of the open article's MeSH headings and search the library for it."""
        if self.library is None or self.current is None or self.library.doc(self.current) is None:
            self.say("Open an article first: m searches by one of its MeSH headings.")
            return
        article = self.library.article(self.current)
        headings = unique(article.mesh)
        if not headings:
            self.say(f"{describe_article(article)} has no MeSH headings.")
            return
        from tui.screens.headings import HeadingsScreen

        def chosen(heading: str | None) -> None:
            if heading:
                query = mesh_query(heading)
                self.query_one(Input).value = query
                self.query_one(ResultsList).focus()
                self.run_search(query)

        self.app.push_screen(HeadingsScreen(headings), chosen)

    def action_order(self) -> None:
        """Switch the result order: relevance, newest first, most cited first."""
        self.order = listing.next_order(self._query, self.order)
        self._search_again()

    def _search_again(self) -> None:
        """Run the search the list shows again (in the order now chosen)."""
        if self.index is not None:
            order = listing.order_for(self._query, self.order)
            self.search_worker(self.index, self._query, self._title, order)

    def _search_failed(self, message: str) -> None:
        results_list = self.query_one(ResultsList)
        results_list.border_title = "Results — the search failed"
        results_list.show_message(f"The search failed: {message}")

    def _show_results(self, title: str, query: str, results: Results, order: str = "") -> None:
        if query and self.index is not None:
            from tui.nohits import no_hits

            empty = no_hits(self.index, query) if not results.hits else ""
        else:
            empty = "The library is empty. Import records with: pmbrowse import FILE..."
        results_list = self.query_one(ResultsList)
        keep, self._keep_row = self._keep_row, []
        results_list.show_results(title, results, empty, listing.ORDER_NAMES.get(order, ""), keep)
        if not keep:
            self._sync_results()

    def _syntax_error(self, exc: QuerySyntaxError) -> None:
        results_list = self.query_one(ResultsList)
        results_list.border_title = "Results — query error"
        results_list.show_message(literal(f"{exc.message}:\n{exc.pointer()}", style="red"))

    # Opening articles --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#results")
    def _open_result(self, event: OptionList.OptionSelected) -> None:
        doc_id = self._row_article(self.query_one(ResultsList), event.option_index, opening=True)
        if doc_id is not None:
            self.open_doc(doc_id)

    @on(OptionList.OptionSelected, "LinkList")
    def _open_link(self, event: OptionList.OptionSelected) -> None:
        assert isinstance(event.option_list, LinkList)
        doc_id = self._row_article(event.option_list, event.option_index, opening=True)
        if doc_id is not None:
            self.open_doc(doc_id)

    def _row_article(self, rows: ArticleList, index: int, opening: bool = False) -> int | None:
        """The article a row shows, found by its identity (document ids change with merges); or None,
        said in a message naming the row. Never another article.

        A row the library does not have (yet: another process just added it) makes the app reload;
        when ``opening`` it, the article opens as soon as the reload has it."""
        keys = rows.keys_at(index)
        if not keys:
            return None  # a row of guidance, not an article
        if self.library is None:
            self.say("The library is still loading; try again in a moment.")
            return None
        doc_id = self.library.find_keys(keys)
        if doc_id is None:
            then = "it opens when the library is read again" if opening else "try again in a moment"
            self.say(
                f"{rows.describe(index)} is not in the library as this app last read it: reloading; {then}.",
                severity="warning",
            )
            self._open_when_found = keys if opening else []
            self.action_reload(quiet=True)
        return doc_id

    def open_doc(self, doc_id: int, *, visit: bool = True) -> None:
        """Show an article; ``visit`` adds it to the trail (dropping what was ahead)."""
        if self.library is None:
            self.say("The library is still loading; try again in a moment.")
            return
        doc = self.library.doc(doc_id)
        if doc is None:
            self.say("That article is no longer in the library.", severity="warning")
            return
        self._missing = ""
        from store.merge import doc_keys

        if visit:
            self.trail.visit(doc_keys(doc)[0])
        self.current = doc_id
        self._current_key = doc_keys(doc)[0]
        self._show_current()
        self.session.save(self.library_path)

    def _show_current(self, keep: bool = False) -> None:
        """Show the open article; ``keep`` (a reload) keeps the link rows' highlight and the scroll."""
        assert self.library is not None and self.current is not None
        library, doc_id = self.library, self.current
        article = library.article(doc_id)
        visited = {library.lookup(key) for key in self.trail.entries} - {None, doc_id}
        counts: dict[str, int] = {}
        for rel, selector in (("references", "#references-list"), ("cited_by", "#cited-by-list")):
            views = library.links(doc_id, rel)
            counts[rel] = len(views)
            flags = [v.target_id in visited for v in views]
            link_list = self.query_one(selector, LinkList)
            row = link_list.highlighted if keep else None
            stay = link_list.keys_at(row) if row is not None else []
            link_list.show_links(views, flags, EMPTY_LINKS[rel], stay)
        tabs = self.query_one(PaneTabs)
        tabs.set_label("references", f"References ({counts['references']})")
        tabs.set_label("cited_by", f"Cited by ({counts['cited_by']})")
        self._citing_count = counts["cited_by"]
        self._show_header(article)
        self.query_one(AbstractView).show_article(article, keep_scroll=keep)
        self.query_one(TrailBar).show_trail(self.trail)
        self.show_neighbourhood()
        if not keep:
            self._sync_results()

    def _sync_results(self) -> None:
        """Keep the result list's highlight on the open article, so that actions on "the highlighted
        row" and on "the open article" agree after opening it by identifier or from the trail."""
        results = self.query_one(ResultsList)
        row = next((n for n, hit in enumerate(results.hits) if hit.doc_id == self.current), None)
        if row is not None:
            results.highlighted = row

    def _show_header(self, article: Article | None = None) -> None:
        assert self.library is not None and self.current is not None
        article = article or self.library.article(self.current)
        self.query_one(ArticleHeader).show_article(article, self._citing_count, self._mark_of(article.keys))

    def _open_key(self, key: str) -> None:
        if self.library is None:
            return
        doc_id = self.library.lookup(key)
        if doc_id is None:
            self.say(f"{key} is not in the library any more", severity="warning")
            return
        self.open_doc(doc_id, visit=False)

    def say(self, message: str, **kwargs: object) -> None:
        """A notification. Its text may hold titles, identifiers or tags: never markup, no escapes."""
        self.notify(printable(message), markup=False, **kwargs)  # type: ignore[arg-type]

    # Actions ---------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_leave_search(self) -> None:
        if self.focused is self.query_one(Input):
            self.query_one(ResultsList).focus()

    def action_pane(self, name: str, focus: bool = True) -> None:
        if name not in PANES:
            return
        self.query_one(PaneTabs).active = name
        if name == "related":
            self.show_related()
        self.query_one(ContentSwitcher).current = PANE_WIDGETS[name].lstrip("#")
        self.session.pane = name
        if focus:
            self.query_one(PANE_WIDGETS[name]).focus()

    @property
    def active_pane(self) -> str:
        return self.query_one(PaneTabs).active

    @on(PaneTabs.Chosen)
    def _tab_clicked(self, event: PaneTabs.Chosen) -> None:
        self.action_pane(event.pane)

    def action_back(self) -> None:
        key = self.trail.back()
        if key is None:
            self.say("Nothing further back on the trail.")
            return
        self._open_key(key)

    def action_forward(self) -> None:
        key = self.trail.forward()
        if key is None:
            self.say("Nothing ahead on the trail.")
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

    # Marks -------------------------------------------------------------------------------------

    def _mark_of(self, keys: list[str]) -> Mark | None:
        return self.marks.get(keys) if self.marks is not None and keys else None

    def _target(self) -> int | None:
        """The article an action is for: the highlighted row of the focused list, else the open one.

        A highlighted row the library cannot find is refused with a message naming it (see
        ``_row_article``), never replaced by another article. None, said, when there is no target.
        """
        highlighted = self._highlighted_row()
        if highlighted is not None:
            return self._row_article(*highlighted)
        if self.library is None:
            self.say("The library is still loading; try again in a moment.")
            return None
        if self.current is None or self.library.doc(self.current) is None:
            self.say("Open or highlight an article first.")
            return None
        return self.current

    def _highlighted_row(self) -> tuple[ArticleList, int] | None:
        """The focused list and its highlighted row, when that row shows an article."""
        focused = self.focused
        row = focused.highlighted if isinstance(focused, ArticleList) else None
        if isinstance(focused, ArticleList) and row is not None and focused.keys_at(row):
            return focused, row
        return None

    def _target_keys(self) -> list[str] | None:
        doc_id = self._target()
        doc = self.library.doc(doc_id) if self.library is not None and doc_id is not None else None
        if doc is None or self.marks is None:
            return None
        from store.merge import doc_keys

        return doc_keys(doc)

    def _marks_changed(self) -> None:
        """Show the new marks in place: the rows keep their highlight, the header is redrawn."""
        for article_list in self.query(ArticleList):
            article_list.redraw()
        if self.current is not None:
            self._show_header()

    def _mark(self, change: Callable[[Marks, list[str]], Mark], keys: list[str] | None = None) -> None:
        """Apply a change to the target article's marks (``keys``: the article a dialog was opened
        for); the rows and the header show the result (a notice each time would cover the list being
        screened). A failed write is a notice."""
        keys = keys or self._target_keys()
        if not keys or self.marks is None:
            return
        try:
            change(self.marks, keys)
        except (PmbrowseError, OSError, ValueError) as exc:
            self.say(f"The mark was not saved: {exc}", severity="error")
            return
        from store.wholefile import fingerprint

        self._marks_seen = fingerprint(self.marks.path)
        self._marks_changed()

    def action_star(self) -> None:
        self._mark(lambda m, k: m.toggle_star(k))

    def action_screen(self, decision: Screening) -> None:
        def change(marks: Marks, keys: list[str]) -> Mark:
            current = marks.get(keys).screening
            return marks.set_screening(keys, None if current == decision else decision)

        self._mark(change)

    def _target_named(self) -> tuple[list[str], str] | None:
        """The target's identity keys, and how a dialog names it (its title and identifier)."""
        doc_id = self._target()
        if doc_id is None or self.library is None or self.marks is None:
            return None
        doc = self.library.doc(doc_id)
        if doc is None:
            return None
        from store.merge import doc_keys
        from store.model import Article

        return doc_keys(doc), describe_article(Article.from_doc(doc))

    def action_tag(self) -> None:
        target = self._target_named()
        if target is None or self.marks is None:
            return
        keys, named = target

        def done(tag: str | None) -> None:
            if not tag or not tag.strip():
                return

            def change(marks: Marks, keys: list[str]) -> Mark:
                return (
                    marks.remove_tag(keys, tag) if marks.get(keys).has_tag(tag) else marks.add_tag(keys, tag)
                )

            self._mark(change, keys)  # the article the dialog named, whatever is highlighted now

        known = ", ".join(self.marks.tags()[:8])
        prompt = f"Tag {named}: one word (a tag it has already is removed)"
        self.app.push_screen(PromptScreen(prompt, placeholder=known), done)

    def action_note(self) -> None:
        target = self._target_named()
        if target is None or self.marks is None:
            return
        keys, named = target

        def done(text: str | None) -> None:
            if text is not None:
                self._mark(lambda m, k: m.set_note(k, text), keys)

        prompt = f"Note on {named} (empty removes it)"
        self.app.push_screen(PromptScreen(prompt, value=self.marks.get(keys).note), done)

    # Copy, open, export ----------------------------------------------------------------------------

    def action_copy(self) -> None:
        doc_id = self._target()
        if self.library is None or doc_id is None:
            return
        text = citation_text(self.library.article(doc_id))
        # An OSC 52 escape: the terminal puts it on the clipboard, over SSH too.
        self.app.copy_to_clipboard(text)
        self.say(text, title="Copied to the clipboard")

    def action_open_page(self) -> None:
        doc_id = self._target()
        if self.library is None or doc_id is None:
            return
        from store.export.citation import article_url

        url = article_url(self.library.article(doc_id))
        if not url:
            self.say("This article has no identifier to open.", severity="warning")
            return
        self.app.open_url(url)
        self.app.copy_to_clipboard(url)
        self.say(f"{url} (also copied, for terminals that cannot open a browser)", title="Opening")

    def action_export(self) -> None:
        if self.library is None:
            self.say("The library is still loading.")
            return
        highlighted = self._highlighted_row()
        if highlighted is not None:
            # The same rule as the other keys: the highlighted row, or a refusal naming it.
            target = self._row_article(*highlighted)
            if target is None:
                return
        else:
            target = self.current if self.current is not None and self.library.doc(self.current) else None
        self._export_target = target
        label = describe_article(self.library.article(target)) if target is not None else None
        from tui.screens.export import ExportScreen, export_folder

        self.app.push_screen(ExportScreen(export_folder(), label, self._export))

    def _export(self, request: ExportRequest) -> str:
        """Do the export the dialog asks for; return why it failed ("" when it did not)."""
        if self.library is None or self.marks is None:
            return "The library is not loaded."
        from store.export.write import render, write_file
        from store.selection import by_marks, by_trail

        if request.what == "article":
            doc_ids = [self._export_target] if self._export_target is not None else []
        elif request.what == "trail":
            doc_ids = by_trail(self.library, self.session)
        elif request.what == "starred":
            doc_ids = by_marks(self.library, self.marks, starred=True)
        else:
            doc_ids = by_marks(self.library, self.marks, screening="included")
        if not doc_ids:
            return "Nothing to export: that selection is empty."
        try:
            rendered = render(self.library, doc_ids, request.format, self.marks)
            write_file(rendered.text, request.path)
        except OSError as exc:
            return f"Could not write {request.path}: {exc.strerror or exc}"
        n = rendered.written
        left_out = f" ({rendered.skipped} left out: the format needs a PMID)" if rendered.skipped else ""
        # The path on a line of its own, shortened from the left: a toast is narrow, and a path split
        # mid-word is hard to read.
        where = shorten_left(str(request.path), TOAST_CELLS)
        self.say(f"{n} article{'s' if n != 1 else ''}{left_out} to\n{where}", title="Exported")
        return ""

    # Online ----------------------------------------------------------------------------------------

    def action_fetch(self) -> None:
        self._fetch(links_depth=0)

    def action_fetch_linked(self) -> None:
        self._fetch(links_depth=1)

    def _fetch(self, links_depth: int) -> None:
        if self._missing and self.current is None and not isinstance(self.focused, ArticleList):
            ident: str = self._missing  # the identifier the app was started on, not in the library
        else:
            doc_id = self._target()
            if self.library is None or doc_id is None:
                return
            doc = self.library.doc(doc_id) or {}
            ident = doc.get("pmid") or doc.get("pmcid") or doc.get("doi") or ""
            if not ident:
                self.say("This article has no PMID, PMCID or DOI to fetch it by.", severity="warning")
                return
        from store.online.fetch import fetch_articles

        self._go_online(
            f"Fetching {ident}",
            lambda lib, progress: fetch_articles(lib, [ident], links_depth=links_depth, progress=progress),
        )

    def _go_online(self, label: str, task: OnlineTask, query: str = "") -> None:
        """Run one fetch or PubMed search in a worker; one at a time (they end in a library write)."""
        assert self.library is not None
        if self._fetching:
            self.say("A fetch is already running; its result will show here when it is stored.")
            return
        self._fetching = True
        self._online_label = label
        self.query_one(StatusLine).show(f"{label}…")
        if query:
            self.query_one(ResultsList).border_title = literal(f"PubMed: {query} — searching online…")
        self.online_worker(self.library, task, query)

    @work(thread=True, exclusive=True, group="online")
    def online_worker(self, library: Library, task: OnlineTask, query: str) -> None:
        try:
            report = task(library, self._online_progress)
        except PmbrowseError as exc:  # OnlineError, or the library busy: nothing was stored
            self.app.call_from_thread(self._online_failed, str(exc), query)
            return
        self.app.call_from_thread(self._fetched, report, query)

    def _search_online(self, query: str) -> None:
        if not query:
            self.say("Type a query after pubmed:", severity="warning")
            return
        if self.library is None:
            self._pending_online = query  # runs when the library has loaded
            self.query_one(ResultsList).show_message(
                "Loading the library… the PubMed search runs when it is ready."
            )
            return
        from store.online.fetch import search_online

        self._go_online(
            f"Searching PubMed for {query}",
            lambda lib, progress: search_online(lib, query, ONLINE_HITS, progress=progress),
            query,
        )

    def _online_progress(self, event: Event) -> None:
        """Called in the worker thread by the online client."""
        from store.online.events import RATE_LIMIT, Step, Waiting

        if isinstance(event, Waiting):
            why = "waiting on the rate limit" if event.reason == RATE_LIMIT else f"retrying: {event.detail}"
            message = f"{event.service}: {why} ({event.seconds:.1f} s)"
        elif isinstance(event, Step):
            message = f"{self._online_label}: {event.stage} {event.done}/{event.total}"
        else:
            return
        self.app.call_from_thread(self.query_one(StatusLine).show, message)

    def _online_failed(self, message: str, query: str = "") -> None:
        self._fetching = False
        self.query_one(StatusLine).show("")
        if query:
            results = self.query_one(ResultsList)
            results.border_title = literal(f"PubMed: {query} — failed, nothing stored")
            results.show_message(f"The PubMed search failed: {message}. Search again, or search the library.")
        self.say(f"{message}. The library was left as it was.", title="Online", severity="error")

    def _fetched(self, report: FetchReport, query: str) -> None:
        """The answer arrived and is stored: update the view in place."""
        self._fetching = False
        self.query_one(StatusLine).show("")
        if self.index is not None:
            self.index.refresh()
        if self.current is not None and self.library is not None:
            # The fetched record may have been merged with another: find the open article again.
            self.current = self.library.lookup(self._current_key)
            if self.current is not None:
                self._show_current()
        elif self._missing and self.library is not None:
            ident = parse_identifier(self._missing)
            doc_id = self.library.lookup(ident.key) if ident is not None else None
            if doc_id is not None:
                self.open_doc(doc_id)
        summary = (
            f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged; "
            f"{report.links_added} new links, {report.stubs_created} new stubs"
        )
        if report.failed:
            summary += f"; not found: {', '.join(f.identifier for f in report.failed)}"
        self.say(summary, title="PubMed search" if query else "Fetched")
        if query and not report.pmids:
            self.query_one(ResultsList).border_title = literal(f"PubMed: {query} — no hits online")
            self.query_one(ResultsList).show_message(f"PubMed found nothing for “{query}”.")
        elif query and self.index is not None:
            # Show what was stored, in the library's own result list (so rows work like any other).
            pmids = " OR ".join(f"{pmid}[pmid]" for pmid in report.pmids)
            title = f"PubMed: {query} ({report.total or 0:,} online, {len(report.pmids)} stored)"
            self._query, self._title = pmids, title
            self.search_worker(self.index, pmids, title, listing.order_for(pmids, self.order or "date"))
        elif self.index is not None:
            self.run_search(self.session.query)  # new records may match the query shown

    # Other processes' changes ---------------------------------------------------------------------

    def _check_changes(self) -> None:
        """Every second: take in what other processes committed (in a thread: it may wait on a lock)."""
        if self.library is not None and not self._checking and not self._fetching:
            self._checking = True
            self.check_worker(self.library, manual=False)

    def action_reload(self, quiet: bool = False) -> None:
        """ctrl+r: take in other processes' changes now."""
        if self.library is None:
            if not quiet:
                self.say("The library is still loading.")
            return
        if self._checking:
            return
        self._checking = True
        self.check_worker(self.library, manual=not quiet)

    @work(thread=True, group="refresh")
    def check_worker(self, library: Library, manual: bool) -> None:
        found = refresh.check(library, self._marks_seen, self._index_behind, marks=self.marks is not None)
        self.app.call_from_thread(self._take_in, found, manual)

    def _take_in(self, found: refresh.Refreshed, manual: bool) -> None:
        """Show what another process changed, in place: the cursor stays on the same article."""
        self._checking = False
        self._index_behind = found.index_behind
        wanted, self._open_when_found = self._open_when_found, []
        if found.problem:
            if manual:
                self.say(f"Could not reload: {found.problem}", severity="warning")
            return
        if manual and not found.changed:
            self.say("Up to date: nothing changed since the library was read.")
        if not found.changed:
            return
        if found.marks is not None:
            self.marks, self._marks_seen = found.marks, found.marks_seen
        if found.index is not None:
            self.index = found.index
        if found.library and self.current is not None and self.library is not None:
            self.current = self.library.lookup(self._current_key)
            if self.current is None:
                self.say(f"{self._current_key} is no longer in the library.", severity="warning")
                self.query_one(ArticleHeader).show_welcome()
        if self.current is not None and (found.library or found.marks is not None):
            self._show_current(keep=True)
        else:
            self._marks_changed()
        if self.index is not None and (found.library or found.index is not None or found.marks is not None):
            results = self.query_one(ResultsList)
            if results.highlighted is not None:
                self._keep_row = results.keys_at(results.highlighted)
            self._search_again()
        if manual:
            self.say("Reloaded: the library's changes are shown.")
        if wanted and found.library and self.library is not None:
            doc_id = self.library.find_keys(wanted)
            if doc_id is not None:
                self.open_doc(doc_id)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.session.save(self.library_path)
        if self.library is not None:
            compact_on_quit(self.library)
        self.app.exit()
