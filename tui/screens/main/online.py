"""Online: fetching an article and its links (``f``, ``F``) and searching PubMed (``pubmed: QUERY``).

One at a time (each ends in a library write), in a thread worker; the status line shows its stage
and any wait on the rate limit. What was stored is shown in place when it ends: the open article
again, the hits of a PubMed search in the result list (so their rows work like any other), or the
query shown again (new records may match it). A link list a service ended early is said as the
command line says it ("N of M links stored"), in a notification that stays until dismissed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from store.errors import PmbrowseError
from store.ids import parse_identifier
from tui.screens.main.parts import Part
from tui.text import literal
from tui.widgets.lists import ArticleRows
from tui.widgets.trail import StatusLine

if TYPE_CHECKING:
    from store.library import Library
    from store.online.events import Event, Progress
    from store.online.report import FetchReport
    from tui.screens.main.screen import MainScreen

    # A fetch or an online search, run in a worker: (library, progress) -> what it did.
    OnlineTask = Callable[[Library, Progress], FetchReport]

ONLINE_HITS = 50


class Online(Part):
    def __init__(self, screen: MainScreen) -> None:
        super().__init__(screen)
        self.fetching = False
        self._label = ""
        self._stage = ""  # (the status line's of the fetch's stage, shown again when a wait ends)
        self._shown = 0  # (lines shown: a wait's end shows the stage again only if none came since)
        self._pending: str | None = None  # a PubMed search asked for before the library loaded

    def library_ready(self) -> None:
        """The library has loaded: run the PubMed search that waited for it."""
        if self._pending is not None:
            query, self._pending = self._pending, None
            self.search(query)

    def fetch(self, links_depth: int) -> None:
        """Fetch the target (or the identifier the app was started on, which the library lacks)."""
        reader = self.screen.reader
        if reader.missing and reader.current is None and not isinstance(self.screen.focused, ArticleRows):
            ident: str = reader.missing
        else:
            doc_id = self.screen.marking.target()
            library = self.screen.library
            if library is None or doc_id is None:
                return
            doc = library.doc(doc_id) or {}
            ident = doc.get("pmid") or doc.get("pmcid") or doc.get("doi") or ""
            if not ident:
                self.say("This article has no PMID, PMCID or DOI to fetch it by.", severity="warning")
                return
        from store.online.fetch import fetch_articles

        self._go(
            f"Fetching {ident}",
            lambda lib, progress: fetch_articles(lib, [ident], links_depth=links_depth, progress=progress),
        )

    def search(self, query: str) -> None:
        if not query:
            self.say("Type a query after pubmed:", severity="warning")
            return
        if self.screen.library is None:
            self._pending = query  # runs when the library has loaded
            self.screen.results.show_message("Loading the library… the PubMed search runs when it is ready.")
            return
        from store.online.fetch import search_online

        self._go(
            f"Searching PubMed for {query}",
            lambda lib, progress: search_online(lib, query, ONLINE_HITS, progress=progress),
            query,
        )

    def _go(self, label: str, task: OnlineTask, query: str = "") -> None:
        """Run one fetch or PubMed search in a worker; one at a time (they end in a library write)."""
        assert self.screen.library is not None
        if self.fetching:
            self.say("A fetch is already running; its result will show here when it is stored.")
            return
        self.fetching = True
        self._label = label
        self._show(f"{label}…")
        if query:
            self.screen.results.border_title = literal(f"PubMed: {query} — searching online…")
        self.in_thread(self._work, self.screen.library, task, query, group="online")

    def _work(self, library: Library, task: OnlineTask, query: str) -> None:
        try:
            report = task(library, self._progress)
        except PmbrowseError as exc:  # OnlineError, or the library busy: nothing was stored
            self.app.call_from_thread(self._failed, str(exc), query)
            return
        self.app.call_from_thread(self._fetched, report, query)

    def _progress(self, event: Event) -> None:
        """Called in the worker thread by the online client."""
        from store.online.events import RATE_LIMIT, Step, Waiting

        if isinstance(event, Waiting):
            why = "waiting on the rate limit" if event.reason == RATE_LIMIT else f"retrying: {event.detail}"
            message = f"{event.service}: {why} ({event.seconds:.1f} s)"
            self.app.call_from_thread(self._show, message, event.seconds)
        elif isinstance(event, Step):
            self.app.call_from_thread(self._show, f"{self._label}: {event.stage} {event.done}/{event.total}")

    def _show(self, message: str, waiting: float | None = None) -> None:
        """Show a stage of the fetch, or a wait (``waiting``: its seconds) that gives the line back to
        the stage when it ends: a request that waited for its slot then waits for its answer, which
        may be long, and the line said "waiting on the rate limit" all that time."""
        self._shown += 1
        self.screen.query_one(StatusLine).show(message)
        if waiting is None:
            self._stage = message
        else:
            shown = self._shown
            self.screen.set_timer(waiting, lambda: self._waited(shown))

    def _waited(self, shown: int) -> None:
        if self.fetching and shown == self._shown:  # (nothing shown since the wait's line)
            self._show(self._stage)

    def _failed(self, message: str, query: str = "") -> None:
        self.fetching = False
        self.screen.query_one(StatusLine).show("")
        if query:
            results = self.screen.results
            results.border_title = literal(f"PubMed: {query} — failed, nothing stored")
            results.show_message(f"The PubMed search failed: {message}. Search again, or search the library.")
        self.say(f"{message}. The library was left as it was.", title="Online", severity="error")

    def _fetched(self, report: FetchReport, query: str) -> None:
        """The answer arrived and is stored: update the view in place."""
        self.fetching = False
        screen, reader, results = self.screen, self.screen.reader, self.screen.results
        screen.query_one(StatusLine).show("")
        if results.index is not None:
            results.index.refresh()
        if reader.current is not None:
            reader.open_again()
        elif reader.missing and screen.library is not None:
            ident = parse_identifier(reader.missing)
            doc_id = screen.library.lookup(ident.key) if ident is not None else None
            if doc_id is not None:
                reader.open(doc_id)
        summary = (
            f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged; "
            f"{report.links_added} new links, {report.stubs_created} new stubs"
        )
        if report.failed:
            summary += f"; not found: {', '.join(f.identifier for f in report.failed)}"
        self.say(summary, title="PubMed search" if query else "Fetched")
        # A list a service ended early is stored as far as it came, and said, as the command line says
        # it (and exits 4): ``Europe PMC ended the citing articles of PMID 1 early: 25 of 810 links
        # stored``. It stays up until dismissed: fetching again adds the rest.
        for shortfall in report.incomplete:
            self.say(
                f"{shortfall}; fetch again for the rest", title="Incomplete", severity="error", timeout=3600
            )
        for warning in report.warnings:
            self.say(warning, title="Online", severity="warning", timeout=30)
        if query and not report.pmids:
            results.border_title = literal(f"PubMed: {query} — no hits online")
            results.show_message(f"PubMed found nothing for “{query}”.")
        elif query and results.index is not None:
            # Show what was stored, in the library's own result list (so rows work like any other).
            pmids = " OR ".join(f"{pmid}[pmid]" for pmid in report.pmids)
            title = f"PubMed: {query} ({report.total or 0:,} online, {len(report.pmids)} stored)"
            results.show_query(pmids, title, "date")
        elif results.index is not None:
            screen.search(screen.session.query)  # new records may match the query shown
        screen.changes.seen_library()  # (shown: the watcher need not take it in again)
