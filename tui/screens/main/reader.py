"""The reader: the open article (its header, year chart, abstract, references, citing articles and
Related pane), the trail walked to it, back and forward, and which pane shows.

A widget, the right-hand column. It owns two reactive attributes: ``article``, the open article, and
``pane``, the pane showing. The tabs are bound to ``pane``; the screen watches ``article`` (the trail
line, the result list's highlight and the saved session follow it). Opening an article sets
``article`` (every time, the same one too: it is shown afresh); a reload or a fetch shows it again in
place (``show_current(keep=True)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.screens.main.parts import Column, say
from tui.text import describe_article, mesh_query, unique
from tui.widgets.lists import MarkOf

# (The column's widgets and modules come after the first paint: ``Reader._mount_panes``.)
if TYPE_CHECKING:
    from store.library import Library
    from store.model import Article
    from store.neighbourhood import CitationYears
    from store.trail import Trail
    from tui.widgets.article import AbstractView, ArticleHeader
    from tui.widgets.panes import PaneTabs
    from tui.widgets.related import RelatedPane

PANES = ("abstract", "references", "cited_by", "related")
PANE_LABELS = dict(zip(PANES, ("Abstract", "References", "Cited by", "Related"), strict=True))
PANE_WIDGETS = {
    "abstract": "#abstract-view",
    "references": "#references-list",
    "cited_by": "#cited-by-list",
    "related": "#related-pane",
}
# What a pane's key says when no article is open (the abstract pane shows the search help then).
NO_ARTICLE = {
    "references": "Open an article first: r shows the papers it cites.",
    "cited_by": "Open an article first: c shows the articles citing it.",
    "related": "Open an article first: l shows the articles most related to it.",
}
EMPTY_LINKS = {
    "references": "No references known for this article: its source listed none. A PubMed XML record "
    "with a reference list adds them.",
    "cited_by": "No citing articles known for this article: none of the records in the library cites it.",
}


@dataclass(frozen=True, slots=True)
class OpenArticle:
    doc_id: int
    key: str  # its identity, which survives merges (document ids may not)


class Reader(Column):
    """The open article and its panes (see the module docstring)."""

    # (Neither repaints the column itself: its widgets repaint what they show.)
    article: reactive[OpenArticle | None] = reactive(None, always_update=True, init=False, repaint=False)
    pane: reactive[str] = reactive("abstract", init=False, repaint=False)

    @dataclass
    class SearchFor(Message):
        """Search the library for this (a MeSH heading of the open article was chosen)."""

        query: str

    def __init__(self, trail: Trail, mark_of: MarkOf, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.trail = trail
        self.mark_of = mark_of
        self.library: Library | None = None
        self.missing = ""  # the identifier the app was started on, when the library does not have it
        self._citing_count = 0
        # The article and library state the chart was last asked for (a change of marks alone keeps it).
        self._chart_of: tuple[int, object] | None = None
        self._trail_ids: tuple[object, dict[str, int | None]] = (None, {})  # (state, key -> document)
        self.panes_mounted = False  # (the column's widgets: ``_mount_panes``)
        self._after_panes: list[Callable[[], object]] = []
        self.display = False  # (empty until then, blank in the first frame: not drawn, ~1k calls)

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_panes)

    async def _mount_panes(self) -> None:
        """The whole column (header, year chart, tabs, panes), mounted once the first frame (the search
        bar and the result list) is painted: it was ~15 ms of that frame's CPU (measured 2026-12-05).
        Until then what shows an article or a pane waits for it (``after_panes``: ``Loading._ready``,
        ``Loading._failed``, ``ask_pane``), and ``tab`` does nothing (``MainScreen.action_cycle``)."""
        if not self.is_attached:
            return
        from tui.keys import SEARCH_HELP
        from tui.widgets.article import AbstractView, ArticleHeader
        from tui.widgets.links import LinkList
        from tui.widgets.panes import Panes, PaneTabs
        from tui.widgets.related import RelatedPane
        from tui.widgets.yearchart import YearChart

        header = ArticleHeader(id="header")
        abstract = AbstractView(id="abstract-view")
        panes: list[Widget] = [
            LinkList("references", id="references-list"),
            LinkList("cited_by", id="cited-by-list"),
            RelatedPane(id="related-pane"),
        ]
        for pane in panes:
            pane.display = False  # (as the switcher shows only its current pane)
        switcher = Panes(abstract, *panes, id="panes", initial=PANE_WIDGETS[self.pane][1:])
        tabs = PaneTabs(PANE_LABELS, self.pane, id="tabs")
        await self.mount_all([header, YearChart(id="year-chart"), tabs, switcher])
        self.display = True
        if not self.is_attached or not abstract.children:  # (the app ended meanwhile: left unmade)
            return
        header.show_welcome("Loading the library…")
        abstract.show_message(SEARCH_HELP)
        self.panes_mounted = True
        waiting, self._after_panes = self._after_panes, []
        for callback in waiting:
            callback()

    def after_panes(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the column is mounted (now, if it is: ``_mount_panes``)."""
        if self.panes_mounted:
            callback()
        else:
            self._after_panes.append(callback)

    @property
    def current(self) -> int | None:
        """The open article's document id."""
        return self.article.doc_id if self.article is not None else None

    # Opening ---------------------------------------------------------------------------------------

    def open(self, doc_id: int, *, visit: bool = True) -> None:
        """Show an article; ``visit`` adds it to the trail (dropping what was ahead)."""
        if self.library is None:
            say(self, "The library is still loading; try again in a moment.")
            return
        doc = self.library.doc(doc_id)
        if doc is None:
            say(self, "That article is no longer in the library.", severity="warning")
            return
        self.missing = ""
        from store.merge import doc_keys

        key = doc_keys(doc)[0]
        if visit:
            self.trail.visit(key)
        self.article = OpenArticle(doc_id, key)

    def watch_article(self, article: OpenArticle | None) -> None:
        if article is not None:
            self.show_current()

    def open_at_start(self, key: str, asked: str, pane: str) -> None:
        """The library has loaded: open the article the app was started on (or left open last time),
        in the pane it had; say so when the library does not have it (``asked``: f fetches it)."""
        assert self.library is not None
        doc_id = self.library.lookup(key)
        if doc_id is not None:
            self.open(doc_id, visit=key != self.trail.current)
            self.show_pane(pane, focus=False)
            return
        if asked:
            self.missing = asked
            self._header().show_welcome(f"{asked} is not in the library.")
            # (The abstract pane gets the focus, so f is for it, not for a result row.)
            self._abstract().show_message(
                f"{asked} is not in the library. Press f to fetch it from PubMed and Europe PMC "
                "(online), with its links; or import its record: pmbrowse import FILE."
            )
            self.show_pane("abstract")
            return
        say(self, f"{key} is not in the library", severity="warning")
        self._header().show_welcome()

    def find_again(self) -> bool:
        """After the library changed: find the open article again by its identity (a merge may have
        given it another document id). False, said, when it is gone."""
        if self.article is None or self.library is None:
            return False
        key = self.article.key
        doc_id = self.library.lookup(key)
        self.set_reactive(Reader.article, OpenArticle(doc_id, key) if doc_id is not None else None)
        if doc_id is None:
            say(self, f"{key} is no longer in the library.", severity="warning")
            self._header().show_welcome()
        return doc_id is not None

    def open_again(self) -> None:
        """After a fetch: show the open article afresh (the fetched record may have been merged with
        another: it is found again by its identity)."""
        if self.article is None or self.library is None:
            return
        doc_id = self.library.lookup(self.article.key)
        if doc_id is None:
            self.set_reactive(Reader.article, None)
        else:
            self.article = OpenArticle(doc_id, self.article.key)

    def _open_key(self, key: str) -> None:
        if self.library is None:
            return
        doc_id = self.library.lookup(key)
        if doc_id is None:
            say(self, f"{key} is not in the library any more", severity="warning")
            return
        self.open(doc_id, visit=False)

    def back(self) -> None:
        key = self.trail.back()
        if key is None:
            say(self, "Nothing further back on the trail.")
            return
        self._open_key(key)

    def forward(self) -> None:
        key = self.trail.forward()
        if key is None:
            say(self, "Nothing ahead on the trail.")
            return
        self._open_key(key)

    def on_related_pane_selected(self, event: RelatedPane.Selected) -> None:
        event.stop()
        self.open(event.doc_id)

    # Showing ---------------------------------------------------------------------------------------

    def show_current(self, keep: bool = False) -> None:
        """Show the open article; ``keep`` (a reload) keeps the link rows' highlight and the scroll."""
        assert self.library is not None and self.current is not None
        from tui.widgets.links import LinkList  # (imported with the column: ``_mount_panes``)

        library, doc_id = self.library, self.current
        article = library.article(doc_id)
        visited = self._visited() - {doc_id}
        # The counts are kept in the library's index; the panes build their rows as they are drawn.
        refs, cited = library.link_counts(doc_id)
        for rel, selector in (("references", "#references-list"), ("cited_by", "#cited-by-list")):
            link_list = self.query_one(selector, LinkList)
            stay = link_list.kept_target() if keep else None
            link_list.show_links(library, doc_id, visited, EMPTY_LINKS[rel], stay)
        tabs = self._tabs()
        tabs.set_label("references", f"References ({refs})")
        tabs.set_label("cited_by", f"Cited by ({cited})")
        self._citing_count = cited
        self.show_header(article)
        self._abstract().show_article(article, keep_scroll=keep)
        self._show_neighbourhood()

    def _visited(self) -> set[int]:
        """The documents on the trail (their keys looked up once per state of the library: a long
        trail is looked up on every open otherwise)."""
        assert self.library is not None
        if self._trail_ids[0] != self.library.state:
            self._trail_ids = (self.library.state, {})
        known = self._trail_ids[1]
        for key in self.trail.entries:
            if key not in known:
                known[key] = self.library.lookup(key)
        return {doc for key in self.trail.entries if (doc := known[key]) is not None}

    def show_header(self, article: Article | None = None) -> None:
        """Draw the header again (its marks line follows the marks)."""
        if self.library is None or self.current is None:
            return
        article = article or self.library.article(self.current)
        self._header().show_article(article, self._citing_count, self.mark_of(article.keys))

    def _show_neighbourhood(self) -> None:
        """The Related pane follows if it is showing; the chart is computed again when the article or
        the library changed."""
        assert self.library is not None and self.current is not None
        if self.pane == "related":
            self.show_related()
        wanted = (self.current, self.library.state)
        if wanted != self._chart_of:
            self._chart_of = wanted
            # After the panes are painted: the chart of an article with ten thousand citing articles
            # is tens of milliseconds of Python in its thread, which would hold back the first paint.
            self.call_after_refresh(self._chart_worker, self.library, self.current)

    def show_related(self) -> None:
        pane = self._related()  # (while it shows, it takes in a changed library by itself)
        if self.library is None or self.current is None:
            return
        if pane.doc_id != self.current:
            pane.show(self.library, self.current)
        else:
            pane.check_library()  # (the library may have changed while it was hidden)

    @work(thread=True, exclusive=True, group="chart")
    def _chart_worker(self, library: Library, doc_id: int) -> None:
        from store.neighbourhood import GraphReader, citation_years

        years = citation_years(GraphReader(library), doc_id)
        self.app.call_from_thread(self._show_chart, doc_id, years)

    def _show_chart(self, doc_id: int, years: CitationYears | None) -> None:
        if doc_id != self.current:
            return  # (another article was opened while this one was computed)
        # (No chart when the thread ends as the app shuts down, the panes already taken down.)
        from tui.widgets.yearchart import YearChart

        for chart in self.query("#year-chart").results(YearChart):
            chart.show_sparkline(years)

    # Panes -----------------------------------------------------------------------------------------

    def show_pane(self, name: str, focus: bool = True) -> None:
        if name not in PANES:
            return
        if name == "related":
            self.show_related()
        self.pane = name
        if focus:
            self.query_one(PANE_WIDGETS[name]).focus()

    def ask_pane(self, name: str, focus: bool = True) -> None:
        """A pane asked for by its key or its tab: with no article open, a pane of its links has nothing
        to show, so it is not shown (nor focused) and the reader says to open one first."""
        if name in NO_ARTICLE and self.current is None:
            if self.library is None:
                say(self, "The library is still loading; try again in a moment.")
            else:
                say(self, NO_ARTICLE[name])
            return
        self.after_panes(partial(self.show_pane, name, focus))  # (``a`` in the first frames)

    def watch_pane(self, pane: str) -> None:
        if self.panes_mounted:  # (else they are mounted showing it: ``_mount_panes``)
            from textual.widgets import ContentSwitcher

            if pane == "abstract":
                self._abstract().show_pending()  # (not made while hidden: ``AbstractView``)
            self.query_one("#panes", ContentSwitcher).current = PANE_WIDGETS[pane].lstrip("#")
            self._tabs().active = pane

    def on_pane_tabs_chosen(self, event: PaneTabs.Chosen) -> None:
        event.stop()
        self.ask_pane(event.pane)

    def show_welcome(self, message: str | None = None) -> None:
        """The header's line when no article is open (``message``, or the welcome)."""
        header = self._header()
        header.show_welcome() if message is None else header.show_welcome(message)

    # The column's widgets (after the first paint: ``_mount_panes``) ---------------------------------

    def _header(self) -> ArticleHeader:
        from tui.widgets.article import ArticleHeader

        return self.query_one("#header", ArticleHeader)

    def _abstract(self) -> AbstractView:
        from tui.widgets.article import AbstractView

        return self.query_one("#abstract-view", AbstractView)

    def _tabs(self) -> PaneTabs:
        from tui.widgets.panes import PaneTabs

        return self.query_one("#tabs", PaneTabs)

    def _related(self) -> RelatedPane:
        from tui.widgets.related import RelatedPane

        return self.query_one("#related-pane", RelatedPane)

    def mesh(self) -> None:
        """Pick one of the open article's MeSH headings, to search the library for it."""
        if self.library is None or self.current is None or self.library.doc(self.current) is None:
            say(self, "Open an article first: m searches by one of its MeSH headings.")
            return
        article = self.library.article(self.current)
        headings = unique(article.mesh)
        if not headings:
            say(self, f"{describe_article(article)} has no MeSH headings.")
            return
        from tui.screens.headings import HeadingsScreen

        def chosen(heading: str | None) -> None:
            if heading:
                self.post_message(self.SearchFor(mesh_query(heading)))

        self.app.push_screen(HeadingsScreen(headings), chosen)
