"""The Snowball view: the candidates of the current citation chasing round, to screen, with the counts.

``SnowballScreen(library, marks)`` opens on the newest round kept beside the library; with none yet it
runs one from the included articles (backward and forward) and keeps it. The candidates are listed
best first in a ``CandidateList``, which draws only the lines on screen, so 20,000 candidates scroll at
once. Each row: the decision (✔ ✘), ``new`` or the round that first found it, ● a record / ○ a stub,
the title and year; under it, why it ranks there ("cited by 4 of your 12 included · cites 2").

Keys: ``i``/``x`` screen the highlighted candidate (again: undecided); ``x`` then asks for a reason,
from a list the user extends; ``enter`` hands the candidate back to the app to open (the screen is
dismissed with its document id); ``F`` fetches the records of every candidate that is a stub (one
efetch per 200); ``N`` runs the next round from the included articles (the seeds and the candidates
included), ``d`` chooses its direction, ``L`` first asks iCite for the seeds' links; ``escape``
closes. The counts line (PRISMA 2020) follows every decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from store.errors import OnlineError, PmbrowseError
from store.library import Library
from store.marks import Marks, Screening
from store.model import Article
from store.snowball.counts import Counts, counts_of
from store.snowball.engine import Row, decision_of, decisions, reason, rows_of, run_round, seed_noun
from store.snowball.state import DIRECTIONS, NO_REASON, Round, SnowballFile, SnowballState, keep_round
from tui.refresh import LibraryChanged
from tui.text import literal, printable
from tui.widgets.virtual import VirtualView

if TYPE_CHECKING:
    from store.online.session import Online

ROW_HEIGHT = 2
MARKS = {"included": ("✔", Style(color="green", bold=True)), "excluded": ("✘", Style(color="red", bold=True))}
DIM = Style(dim=True)
CURSOR = Style(reverse=True)


def counts_line(counts: Counts) -> str:
    """The PRISMA numbers of a round on one line, under its candidates."""
    why = ", ".join(f"{n} {r}" for r, n in sorted(counts.excluded.items()))
    return (
        f"identified {counts.identified} · duplicates {counts.duplicates} · already screened "
        f"{counts.already_screened} · earlier rounds {counts.earlier_rounds} · new {counts.records} · "
        f"screened {counts.screened} · included {counts.included} · excluded {counts.excluded_total}"
        + (f" ({why})" if why else "")
        + f" · not retrieved {counts.not_retrieved}"
    )


class CandidateList(VirtualView, can_focus=True):
    """Candidates, two lines each, drawn on demand; a cursor on one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]
    DEFAULT_CSS = """
    CandidateList { height: 1fr; }
    """

    @dataclass
    class Highlighted(Message):
        index: int

    @dataclass
    class Chosen(Message):
        index: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[Row] = []
        self.cursor = 0
        self.seeds = 0
        self.noun = "seeds"
        self.decision_of: Callable[[Row], str | None] = lambda row: None

    def show_rows(self, rows: list[Row], seeds: int, noun: str) -> None:
        self.rows, self.seeds, self.noun = rows, seeds, noun
        self.cursor = 0
        self.virtual_size = Size(self.size.width or 80, len(rows) * ROW_HEIGHT)
        self.scroll_to(0, 0, animate=False)
        self.refresh()
        if rows:
            self.post_message(self.Highlighted(0))

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def content_line(self, y: int, width: int) -> Strip | None:
        index, part = divmod(y, ROW_HEIGHT)
        if not 0 <= index < len(self.rows):
            return None
        row = self.rows[index]
        segments = self._title_line(row, width) if part == 0 else self._reason_line(row)
        strip = Strip(segments).crop(0, width).extend_cell_length(width)
        if index == self.cursor:
            strip = strip.apply_style(CURSOR)
        return strip

    def _title_line(self, row: Row, width: int) -> list[Segment]:
        decision = self.decision_of(row)
        mark, mark_style = MARKS.get(decision or "", (" ", Style()))
        c = row.candidate
        flag = "new " if not c.known else f"r{c.round:<3}"
        year = f"  {row.year}" if row.year else ""
        # The year always shows; a title too long for the line ends in an ellipsis, not mid-word.
        room = max(8, width - 2 - len(flag) - 2 - len(year))
        title = printable(row.title or c.label)
        if cell_len(title) > room:
            cut = Text(title)
            cut.truncate(room, overflow="ellipsis")
            title = cut.plain
        return [
            Segment(f"{mark} ", mark_style),
            Segment(flag, Style(color="green") if not c.known else DIM),
            Segment("○ " if row.stub else "● ", DIM if row.stub else Style(color="green")),
            Segment(title),
            Segment(year, DIM),
        ]

    def _reason_line(self, row: Row) -> list[Segment]:
        why = reason(row.candidate, self.seeds, self.noun)
        label = row.pmid or row.pmcid or row.doi or ""
        text = "        " + printable(" · ".join(p for p in (why, label) if p))
        return [Segment(text, DIM)]

    def move_to(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(len(self.rows) - 1, index))
        if index == self.cursor:
            return
        before = self.cursor
        self.cursor = index
        self.reveal(self._region(index))
        self.refresh_row(before)
        self.refresh_row(index)
        self.post_message(self.Highlighted(index))

    def refresh_row(self, index: int) -> None:
        self.refresh_content(self._region(index))

    def _region(self, index: int) -> Region:
        return Region(0, index * ROW_HEIGHT, self.size.width, ROW_HEIGHT)

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        rows = max(1, (self.scrollable_content_region.height or ROW_HEIGHT) // ROW_HEIGHT)
        self.move_to(self.cursor + step * rows)

    def action_jump(self, index: int) -> None:
        self.move_to(index if index >= 0 else len(self.rows) - 1)

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # Consumed here: the view closes on it, and the key must not go on to the list that has
            # the focus on the screen below (which would open its own highlighted row after ours).
            event.stop()
            event.prevent_default()
            if self.current is not None:
                self.post_message(self.Chosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = (event.y + self.scroll_offset.y) // ROW_HEIGHT
        if 0 <= index < len(self.rows):
            self.move_to(index)
            if event.chain >= 2:
                self.post_message(self.Chosen(index))


class ReasonScreen(ModalScreen[str | None]):
    """Why an article is excluded: one of the reasons so far, or a new one typed (escape: no reason)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "No reason")]
    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    ReasonScreen > Vertical { width: 60; height: auto; max-height: 80%; border: round $accent; padding: 0 1; }
    ReasonScreen OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, reasons: Sequence[str], title: str) -> None:
        super().__init__()
        self.reasons = list(reasons)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(f"Excluded: {self.title_text}", style="bold"))
            yield OptionList(
                *(Option(literal(r), id=str(n)) for n, r in enumerate(self.reasons)), markup=False
            )
            yield Input(placeholder="or type a new reason", id="reason-input")
            yield Static(literal("enter: this reason · escape: no reason", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.reasons[event.option_index])

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(" ".join(event.value.split()) or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


NO_SEEDS = "No seeds: mark the articles you include with i first, then open this view again."
# Most needed first: a narrow terminal cuts the end, and escape is the only way out.
HINTS = (
    "escape close · enter open · i include · x exclude (each moves to the next row) · F fetch stubs · "
    "N next round · d direction · L links online"
)


class SnowballScreen(Screen[int | None]):
    """The current round's candidates; dismissed with the document id of one to open, or None."""

    DEFAULT_CSS = """
    SnowballScreen { layout: vertical; }
    SnowballScreen > #snowball-title { height: 1; text-style: bold; }
    SnowballScreen > #snowball-counts { height: auto; max-height: 2; }
    SnowballScreen > #snowball-details { height: 6; border-top: solid $panel-lighten-2; }
    SnowballScreen > #snowball-hints { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("i", "screen('included')", "Include", show=False),
        Binding("x", "screen('excluded')", "Exclude", show=False),
        Binding("F", "fetch_stubs", "Fetch stubs", show=False),
        Binding("N", "next_round", "Next round", show=False),
        Binding("L", "online_round", "Links online", show=False),
        Binding("d", "cycle_direction", "Direction", show=False),
    ]

    def __init__(
        self,
        library: Library,
        marks: Marks,
        *,
        seeds: Sequence[int] | None = None,
        selection: str = "included",
        direction: str = "both",
        online: Callable[[], Online] | None = None,
    ) -> None:
        """``seeds`` (the open article, say) start a round at once, named ``selection``; without them
        the view opens on the newest round, and new rounds start from the included articles."""
        super().__init__()
        self.library = library
        self.marks = marks
        self.file = SnowballFile.open(library.path)
        self.state = SnowballState()
        self.round: Round | None = None
        self.seeds = list(seeds) if seeds else None
        self.selection = selection if seeds else "included"
        self.direction = direction
        self.sources = ["library"]
        self.online = online  # a factory of online sessions (tests hand one for the local server)
        self.decided: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(literal("Citation chasing"), id="snowball-title")
        yield Static(literal("Loading the candidates…", style="italic"), id="snowball-counts")
        yield CandidateList(id="snowball-list")
        yield Static("", id="snowball-details")
        yield Static(literal(HINTS), id="snowball-hints")

    @property
    def candidates(self) -> CandidateList:
        return self.query_one(CandidateList)

    def on_mount(self) -> None:
        self.candidates.decision_of = self._decision
        self.candidates.focus()
        self.load(run_next=self.seeds is not None)

    # Loading -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="snowball")
    def load(self, run_next: bool = False) -> None:
        """The newest round's rows (running and keeping a round first when there is none, or asked)."""
        try:
            state = self.file.load()
            stored = state.last
            if stored is None or run_next:
                seeds = self._next_seeds()
                if not seeds:
                    self.app.call_from_thread(
                        self._say, "No seeds: mark the articles you include with i first."
                    )
                    return
                result = run_round(
                    self.library,
                    seeds,
                    self.direction,
                    marks=self.marks,
                    state=state,
                    selection=self.selection,
                    sources=self.sources,
                )
                self.sources = ["library"]
                if keep_round(self.file, result.round) is None:
                    message = "Nothing new: no round kept."
                    if stored is None:
                        self.app.call_from_thread(self._say, message)
                        return
                    self.app.call_from_thread(self.notify, message)
                    rows = rows_of(self.library, stored)
                else:
                    stored, rows = result.round, result.rows
                state = self.file.load()
            else:
                rows = rows_of(self.library, stored)
        except PmbrowseError as exc:
            self.app.call_from_thread(self._say, str(exc))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, state, stored, rows)

    def _next_seeds(self) -> list[int]:
        """The seeds given, for the first round; then the included articles (the seeds included and the
        candidates included since)."""
        if self.seeds is not None:
            return self.seeds
        from store.selection import by_marks

        return by_marks(self.library, self.marks, screening="included")

    def _say(self, message: str) -> None:
        self.query_one("#snowball-counts", Static).update(literal(message, style="italic"))

    def _show(self, state: SnowballState, stored: Round, rows: list[Row]) -> None:
        self.state, self.round = state, stored
        self.decided = decisions(self.marks)
        seeds = len(stored.seeds)
        title = (
            f"Citation chasing · round {stored.number} of {len(state.rounds)} · {stored.direction} · "
            f"{seeds} seed{'s' if seeds != 1 else ''} ({stored.selection}) · {len(rows)} candidates"
        )
        self.query_one("#snowball-title", Static).update(literal(title))
        self.candidates.show_rows(rows, seeds, seed_noun(stored.selection))
        self._update_counts()

    def _update_counts(self) -> None:
        if self.round is None:
            return
        counts = counts_of(
            self.round,
            ((row.candidate.keys, row.stub) for row in self.candidates.rows if not row.candidate.known),
            lambda keys: decision_of(keys, self.decided),
            lambda keys: self.state.reason_of(keys) or NO_REASON,
        )
        self.query_one("#snowball-counts", Static).update(literal(counts_line(counts)))

    def _decision(self, row: Row) -> str | None:
        return decision_of(row.candidate.keys, self.decided)

    def on_library_changed(self, event: LibraryChanged) -> None:
        """Marks made elsewhere (another process, or the main screen) show here too: the app's watcher
        posts them within a second, or at once on ctrl+r."""
        if event.marks is not None:
            self.marks = event.marks
            self.decided = decisions(self.marks)
            self.candidates.refresh()
            self._update_counts()

    # Details -----------------------------------------------------------------------------------

    @on(CandidateList.Highlighted)
    def highlighted(self, event: CandidateList.Highlighted) -> None:
        row = self.candidates.current
        details = self.query_one("#snowball-details", Static)
        doc = self.library.doc(row.doc_id) if row is not None and row.doc_id is not None else None
        if row is None or doc is None:
            details.update(literal(row.title or row.candidate.label) if row is not None else "")
            return
        article = Article.from_doc(doc)
        text = literal(article.title or row.candidate.label, style="bold")
        who = ", ".join(a.name for a in article.authors[:3]) + (" et al" if len(article.authors) > 3 else "")
        meta = " · ".join(m for m in (who, article.journal, str(article.year or "")) if m)
        if meta:
            text.append("\n" + printable(meta), style="dim")
        abstract = article.abstract_text
        text.append(
            "\n" + printable(abstract) if abstract else "\nNo abstract in the library (F fetches it)."
        )
        details.update(text)

    @on(CandidateList.Chosen)
    def chosen(self, event: CandidateList.Chosen) -> None:
        row = self.candidates.current
        if row is not None and row.doc_id is not None:
            self.dismiss(row.doc_id)

    # Screening ---------------------------------------------------------------------------------

    def action_screen(self, decision: Screening) -> None:
        row = self.candidates.current
        if row is None:
            return
        new: Screening | None = None if self._decision(row) == decision else decision
        mark = self.marks.set_screening(row.candidate.keys, new)
        for key in (*row.candidate.keys, *mark.keys):
            if new is None:
                self.decided.pop(key, None)
            else:
                self.decided[key] = new
        if new != "excluded":
            self._give_reason(row, None)
        self.candidates.refresh_row(self.candidates.cursor)
        self._update_counts()
        if new == "excluded":
            self.app.push_screen(
                ReasonScreen(self.state.reasons, row.title or row.candidate.label),
                lambda why: self._give_reason(row, why),
            )
        elif new == "included":
            self.candidates.action_move(1)

    def _give_reason(self, row: Row, why: str | None) -> None:
        if why is None and self.state.reason_of(row.candidate.keys) is None:
            return
        self.state = self.file.change(lambda state: _with_reason(state, row.candidate.keys, why))
        self._update_counts()
        if why is not None:
            self.candidates.action_move(1)

    # Online and rounds -------------------------------------------------------------------------

    def action_next_round(self) -> None:
        self.seeds, self.selection = None, "included"
        self._say(f"Running the next round ({self.direction}) from the included articles…")
        self.load(run_next=True)

    def action_cycle_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self.notify(f"The next round goes {self.direction} (N runs it, L with links online)")

    def action_online_round(self) -> None:
        self.seeds, self.selection = None, "included"
        seeds = self._next_seeds()
        if not seeds:
            self._say(NO_SEEDS)
            return
        self._say(f"Asking iCite for the links of {len(seeds)} seeds…")
        self.online_round(seeds)

    @work(thread=True, exclusive=True, group="snowball-fetch")
    def online_round(self, seeds: list[int]) -> None:
        from store.snowball.online import fill_links

        try:
            fill = fill_links(self.library, seeds, online=self.online() if self.online else None)
        except PmbrowseError as exc:
            self.app.call_from_thread(self.notify, f"{exc}; the library was left as it was", severity="error")
            self.app.call_from_thread(self._update_counts)
            return
        self.app.call_from_thread(
            self.notify, f"{fill.links_added} new links for {fill.asked} seeds ({fill.requests} requests)"
        )
        self.sources = ["library", "icite"]
        self.app.call_from_thread(self.load, True)

    def action_fetch_stubs(self) -> None:
        pmids = [r.pmid for r in self.candidates.rows if r.stub and r.pmid]
        if not pmids:
            self.notify("No candidate is a stub with a PMID: nothing to fetch.")
            return
        self.notify(f"Fetching {len(pmids)} records from PubMed…")
        self.fetch_stubs(pmids)

    @work(thread=True, exclusive=True, group="snowball-fetch")
    def fetch_stubs(self, pmids: list[str]) -> None:
        from store.snowball.online import fetch_records

        try:
            report = fetch_records(self.library, pmids, online=self.online() if self.online else None)
        except OnlineError as exc:
            self.app.call_from_thread(self.notify, f"{exc}; the library was left as it was", severity="error")
            return
        done = f"Fetched {len(report.added)} records ({report.requests} requests)"
        if report.failed:
            done += f"; {len(report.failed)} not to be had"
        self.app.call_from_thread(self.notify, done)
        self.app.call_from_thread(self.load)

    def action_close(self) -> None:
        self.dismiss(None)


def _with_reason(state: SnowballState, keys: Sequence[str], why: str | None) -> SnowballState:
    state.set_reason(keys, why)
    return state


__all__ = ["CandidateList", "ReasonScreen", "SnowballScreen"]
