"""Routing to the views beside the reader: the Related pane and the year chart (``tui.widgets.related``,
``tui.widgets.yearchart``), the citation map (``tui.screens.map``) and citation chasing
(``tui.screens.snowball``).

The main screen mixes this in; each view lives in a module of its own, and this is the one place that
opens them and takes back what they return (an article to open, marks that changed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from tui.widgets.related import RelatedPane
from tui.widgets.yearchart import YearChart

if TYPE_CHECKING:
    from store.library import Library
    from store.marks import Marks
    from store.neighbourhood import CitationYears
    from store.trail import Trail


class ViewRoutes(Screen[None]):
    """The actions that open the neighbourhood and citation-chasing views (see the module docstring)."""

    # What the main screen provides.
    library: Library | None
    marks: Marks | None
    current: int | None

    @property
    def trail(self) -> Trail:
        raise NotImplementedError

    def open_doc(self, doc_id: int, *, visit: bool = True) -> None:
        raise NotImplementedError

    def say(self, message: str, **kwargs: object) -> None:
        raise NotImplementedError

    def action_reload(self, quiet: bool = False) -> None:
        raise NotImplementedError

    @property
    def active_pane(self) -> str:
        raise NotImplementedError

    # The Related pane and the year chart ----------------------------------------------------------

    # The article and library state the chart was last asked for (a change of marks alone keeps it).
    _chart_of: tuple[int, object] | None = None

    def show_neighbourhood(self) -> None:
        """The open article was shown again: the Related pane follows if it is showing; the chart is
        computed again when the article or the library changed."""
        assert self.library is not None and self.current is not None
        if self.active_pane == "related":
            self.show_related()
        wanted = (self.current, self.library.state)
        if wanted != self._chart_of:
            self._chart_of = wanted
            self._chart_worker(self.library, self.current)

    def show_related(self) -> None:
        pane = self.query_one(RelatedPane)  # (while it shows, it takes in a changed library by itself)
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
        if doc_id == self.current:  # (else another article was opened while this one was computed)
            self.query_one(YearChart).show_sparkline(years)

    def on_related_pane_selected(self, event: RelatedPane.Selected) -> None:
        self.open_doc(event.doc_id)

    # The citation map ---------------------------------------------------------------------------

    def action_citation_map(self) -> None:
        from tui.screens.map import MapScreen

        if self.library is None or self.current is None:
            self.say("Open an article first: the map is drawn around it.")
            return
        trail = [i for i in (self.library.lookup(k) for k in self.trail.entries) if i is not None]
        self.app.push_screen(MapScreen(self.library, self.current, trail=trail), self._from_view)

    # Citation chasing ---------------------------------------------------------------------------

    def action_snowball(self) -> None:
        """The Snowball view of the current round (the first from the included articles)."""
        if self.library is None or self.marks is None:
            self.say("The library is still loading; try again in a moment.")
            return
        from tui.screens.snowball import SnowballScreen

        self.app.push_screen(SnowballScreen(self.library, self.marks), self._from_snowball)

    def action_snowball_article(self) -> None:
        """A round from the open article alone."""
        if self.library is None or self.marks is None or self.current is None:
            self.say("Open an article first: it is the seed.")
            return
        from tui.screens.snowball import SnowballScreen

        screen = SnowballScreen(self.library, self.marks, seeds=[self.current], selection="open article")
        self.app.push_screen(screen, self._from_snowball)

    def _from_snowball(self, doc_id: int | None) -> None:
        self.action_reload(quiet=True)  # the view screens articles: the marks changed
        self._from_view(doc_id)

    def _from_view(self, doc_id: int | None) -> None:
        if doc_id is not None and doc_id != self.current:
            self.open_doc(doc_id)
