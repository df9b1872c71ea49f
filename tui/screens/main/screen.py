"""The main screen: it composes the parts (see ``tui.screens.main``) and routes.

Its widgets post messages and it sends each to the part it concerns; its key actions (the key table,
``tui.keys``) are one line each, handing the key to its part. What it holds itself is what every part
shares: the library (once ``loading.py`` has read it) and the session (the query, trail and pane
kept for next time).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Region
from textual.reactive import Reactive
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, OptionList

from store.session import Session
from tui.keys import KEYS
from tui.listing import online_query
from tui.screens.main.changes import ChangeWatcher
from tui.screens.main.exporting import Exporting
from tui.screens.main.keeping import SessionKeeper
from tui.screens.main.loading import Loading
from tui.screens.main.marking import Marking
from tui.screens.main.online import Online
from tui.screens.main.parts import Columns, CoveredScreen, say
from tui.screens.main.quitting import compact_on_quit
from tui.screens.main.reader import PANE_WIDGETS, OpenArticle, Reader
from tui.screens.main.search import SearchResults
from tui.screens.main.views import Views
from tui.widgets.footer import KeyFooter
from tui.widgets.lists import ArticleRows
from tui.widgets.results import ArticleList
from tui.widgets.trail import StatusLine, TrailBar

# The first screen needs none of the library's machinery: it is imported where it is first used (the
# library and the search index in the loading worker, the online client and the exporters on their
# keys, the watcher of other processes' changes, ``tui.refresh``, once the library is read), so the app
# paints about as soon as a bare Textual app would (tests/tui/test_startup_imports.py).
if TYPE_CHECKING:
    from rich.text import Text

    from store.library import Library
    from store.marks import Screening
    from store.trail import Trail
    from tui import refresh
    from tui.widgets.links import LinkList

KEY_OF_ACTION = {key.action: key.label.split(" / ")[0] for key in KEYS}  # ("screen('included')": "i")
FOCUS_ORDER = ("#results", "#abstract-view", "#references-list", "#cited-by-list")


class MainScreen(CoveredScreen):
    # Textual repaints the whole screen when the focus moves (its ``focused`` repaints): a key that focuses
    # a pane (``a``, ``r``, ``c``, tab) re-rendered every widget. The widgets whose look depends on the
    # focus repaint themselves (``:focus`` styles are applied to them and their ancestors as it moves).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    # The result list has the focus from the start: Textual gives it as the screen is composed, before the
    # first frame. Focused in ``on_mount`` instead, the search bar had it first (the app's default, the
    # first focusable widget), and the move restyled both and their ancestors once more.
    AUTO_FOCUS = "#results"
    FRAME_WAIT = 0.2  # seconds (``after_frame``)
    BINDINGS: ClassVar[list[BindingType]] = [
        *(key.binding() for key in KEYS),
        Binding("escape", "leave_search", "Results", show=False),
    ]

    def __init__(
        self,
        library_path: Path,
        target: str = "",
        note: str = "",
        *,
        screener: str | None = None,
    ) -> None:
        """``target``: a query or an identifier to open on; ``note``: what to say beside its results
        (in the status line, until the next search); ``screener``: who records screening decisions
        (``store.marks.default_screener``)."""
        super().__init__()
        self.library_path = library_path
        self.screener = screener
        self.target = target.strip()
        self.note = note
        self.session = Session.load(library_path)
        self._library: Library | None = None
        self._following = False  # (the trail line and the result list follow after the next frame)
        self._after_frame: list[Callable[[], object]] = []  # (``after_frame``)
        self._frame_timer: Timer | None = None  # (``after_frame``: its wait at most)
        self._resumed = False  # (``_on_screen_resume``)
        self.loader = Loading(self)
        self.marking = Marking(self)
        self.online = Online(self)
        self.exporting = Exporting(self)
        self.views = Views(self)
        self.changes = ChangeWatcher(self)
        self.keeper = SessionKeeper(self)
        self.results = SearchResults(self.marking.search_filter, lambda: self.reader.current, id="results")
        self.reader = Reader(self.trail, self.marking.mark_of, id="reader")

    @property
    def trail(self) -> Trail:
        return self.session.trail

    @property
    def library(self) -> Library | None:
        return self._library

    @library.setter
    def library(self, library: Library | None) -> None:
        self._library = self.reader.library = library

    @property
    def current(self) -> int | None:
        """The open article's document id."""
        return self.reader.current

    @property
    def active_pane(self) -> str:
        return self.reader.pane

    def compose(self) -> ComposeResult:
        # Compact (one line, no border) by app.tcss's #search rule: ``Input(compact=True)`` adds Textual's
        # own class as the bar is made, which styles it there and then, before it is mounted.
        yield Input(placeholder='Search (/): words, "phrases", Smith J[au], 2018:2020[dp] …', id="search")
        self.results.set_reactive(Widget.has_focus, self.app.app_focus)  # (styled as AUTO_FOCUS will)
        with Columns(id="body"):
            yield self.results
            yield self.reader
        with Horizontal(id="bottom"):
            yield TrailBar(id="trail")
            yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(TrailBar).show_trail(self.trail)
        self.watch(self.reader, "article", self._opened, init=False)
        self.watch(self.reader, "pane", self._pane_shown, init=False)
        self.query_one(Input).value = self.loader.start(self.target)
        if self.note:  # (once the screen has its size: the status line fits the note to it)
            self.call_after_refresh(self.query_one(StatusLine).show, self.note)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """(Run before Textual's own.) On the first resume, Textual restyles every widget, each styled as
        it was mounted just before: a tenth of the app's own start-up calls, skipped (not in Textual 6.0)."""
        if not self._resumed:
            self._resumed, event.refresh_styles = True, False

    def on_unmount(self) -> None:
        """The app ends another way than by q or ctrl+q (``quit``: a ctrl-C as it starts, an error): the
        session is written now, always. Not only when a save's timer is still waiting: once it has fired, the
        save's worker may be queued behind other threads and not started, and the screen's workers
        are cancelled as it unmounts (that save was lost). After q (which saved) it is not written twice."""
        self.keeper.save_now(unless_written=True)

    def on_library_changed(self, event: refresh.LibraryChanged) -> None:
        """What changed (another process's write, or this app's in another view), shown in place: the
        cursor stays on the same article."""
        if not (event.library or event.marks is not None or event.index is not None):
            return  # (only the snowball file: the Snowball view's)
        if event.marks is not None:
            self.marking.take(event.marks, event.marks_seen)
        if event.index is not None:
            old, self.results.index = self.results.index, event.index
            if old is not None and old is not event.index:
                old.close()  # (its library files let go now, not when a finalizer frees it)
        if event.library:
            self.reader.find_again()
        if self.reader.current is not None and (event.library or event.marks is not None):
            self.reader.show_current(keep=True)
        else:
            self.marking.show_marks()
        self.results.search_again(keep_row=True)

    # Routing ---------------------------------------------------------------------------------------

    def search(self, query: str) -> None:
        """Search the library, or PubMed for ``pubmed: QUERY``."""
        online = online_query(query)
        if online is not None:
            # Not saved as the last query: reopening the app must never go online by itself.
            self.online.search(online)
            return
        self.session.query = query
        self.keeper.save_soon()
        self.results.search(query)

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.online.fetching:
            self.query_one(StatusLine).show("")  # (a note on the search the app was started on)
        self.results.focus()
        self.search(event.value)

    @on(Reader.SearchFor)
    def _search_for(self, event: Reader.SearchFor) -> None:
        self.query_one(Input).value = event.query
        self.results.focus()
        self.search(event.query)

    @on(OptionList.OptionSelected, "#results")
    def _row_chosen(self, event: OptionList.OptionSelected) -> None:
        assert isinstance(event.option_list, ArticleList)
        self._open_row(event.option_list, event.option_index)

    # (By its handler's name, not ``@on(LinkList.Chosen)``: the link panes' module is imported after the
    # first paint, with the reader's column, not with this one: tests/tui/test_startup_imports.py.)
    def on_link_list_chosen(self, event: LinkList.Chosen) -> None:
        self._open_row(event.rows, event.index)

    def _open_row(self, rows: ArticleRows, index: int) -> None:
        if self.loader.keep("enter", partial(self._open_row, rows, index)):
            return
        doc_id = self.marking.row_article(rows, index, opening=True)
        if doc_id is not None:
            self.reader.open(doc_id)

    def _opened(self, article: OpenArticle | None) -> None:
        """An article was opened: the session is kept; the trail line and the result list follow it in
        the frame after the one that paints the article. Textual repaints, in a frame, the box around
        all that changed: the trail line (bottom left) with the reader (right) made it the whole
        screen, the result list and its scrollbar drawn again with them, more so when the list scrolled
        to the opened article (about a fifth of the CPU time from the key to the painted pane of an
        article with ten thousand citing articles, measured 2026-12-06). They come a frame later (a
        sixtieth of a second or so), drawn alone."""
        self.keeper.save_soon()
        if not self._following:
            self._following = True
            self.after_frame(self._follow)

    def _follow(self) -> None:
        """The trail line and the result list's highlight follow the open article (``_opened``), if
        they have not already (``settle``)."""
        if not self._following:
            return
        self._following = False
        self.query_one(TrailBar).show_trail(self.trail)
        self.results.follow(self.reader.current)

    def settle(self) -> None:
        """What follows the open article, done now: an action about to read the highlighted row (a key
        typed ahead of the frame: back, then mark) is for the article opened, not the row before."""
        self._follow()

    def after_frame(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the screen's next frame is drawn (``render_lines``): for what changed
        with a change that repaints; within ``FRAME_WAIT`` seconds whatever happens."""
        if not self._after_frame:
            self._frame_timer = self.set_timer(self.FRAME_WAIT, self._frame_drawn)
        self._after_frame.append(callback)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Every frame of the screen draws the screen itself (its background, under every widget).
        self._frame_drawn()
        return super().render_lines(crop)

    def _frame_drawn(self) -> None:
        """What waits for a frame runs after it, in the screen's turn (``after_frame``)."""
        if self._frame_timer is not None:  # (else, left running, it would run the next open's early)
            self._frame_timer.stop()
            self._frame_timer = None
        waiting, self._after_frame = self._after_frame, []
        for callback in waiting:
            self.call_later(callback)

    def _pane_shown(self, pane: str) -> None:
        self.session.pane = pane
        self.keeper.save_soon()

    def open_doc(self, doc_id: int, *, visit: bool = True) -> None:
        self.reader.open(doc_id, visit=visit)

    def say(self, message: str, **kwargs: object) -> None:
        say(self, message, **kwargs)

    # Key actions (see tui.keys) --------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_leave_search(self) -> None:
        if self.focused is self.query_one(Input):
            self.results.focus()

    def action_cycle(self, step: int) -> None:
        if not self.reader.panes_mounted:  # (in the first frames: ``Reader._mount_panes``)
            return
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
            self.reader.show_pane(pane)
        else:
            self.query_one(target).focus()

    def action_cursor(self, step: int) -> None:
        from tui.widgets.article import AbstractView  # (the reader's: after the first paint)

        focused = self.focused
        if isinstance(focused, ArticleRows):
            focused.action_cursor_down() if step > 0 else focused.action_cursor_up()
        elif isinstance(focused, AbstractView):
            focused.scroll_relative(y=step, animate=False)

    def action_pane(self, name: str, focus: bool = True) -> None:
        self.reader.ask_pane(name, focus)

    def action_back(self) -> None:
        self.reader.back()

    def action_forward(self) -> None:
        self.reader.forward()

    def action_mesh(self) -> None:
        self.reader.mesh()

    def action_order(self) -> None:
        self.results.next_order()

    def _when_read(self, action: str, run: Callable[[], None], *, row: bool = True) -> None:
        """``run`` now, or (pressed before the library is read) once it is (``Loading.keep``)."""
        if not self.loader.keep(KEY_OF_ACTION[action], run, row=row):
            run()

    def action_star(self) -> None:
        self._when_read("star", self.marking.star)

    def action_screen(self, decision: Screening | Literal["undecided"]) -> None:
        run = partial(self.marking.decide, None if decision == "undecided" else decision)
        self._when_read(f"screen('{decision}')", run)

    def action_tag(self) -> None:
        self._when_read("tag", self.marking.tag)

    def action_note(self) -> None:
        self._when_read("note", self.marking.note)

    def action_copy(self) -> None:
        self.exporting.copy()

    def action_open_page(self) -> None:
        self.exporting.open_page()

    def action_export(self) -> None:
        self.exporting.export()

    def action_fetch(self) -> None:
        self.online.fetch(links_depth=0)

    def action_fetch_linked(self) -> None:
        self.online.fetch(links_depth=1)

    def action_citation_map(self) -> None:
        self.views.citation_map()

    def action_snowball(self) -> None:
        self._when_read("snowball", self.views.snowball, row=False)

    def action_snowball_article(self) -> None:
        self.views.snowball_article()

    def action_reload(self, quiet: bool = False) -> None:
        """ctrl+r: take in other processes' changes now."""
        self.changes.reload(quiet)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.quit()

    def quit(self, message: Text | None = None) -> None:
        """End the app, as q and ctrl+q both do (``PmbrowseApp.action_quit``): the session written,
        and what is due compacted (``compact_on_quit``: a fifth of a second or so, or in the background
        on a large library). ctrl+q once only ended the app: quitting always that way left the journal
        growing past its threshold (read at every open) until some command's end folded it."""
        self.keeper.save_now()
        if self.library is not None:
            compact_on_quit(self.library)
        self.app.exit(message=message)


__all__ = ["MainScreen"]
