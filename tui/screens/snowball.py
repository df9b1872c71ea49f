"""The Snowball view: a review's records to screen — a round's candidates at title/abstract, or every
report sought at full text — with the screener, the stage and the counts above them.

``SnowballScreen(library, marks)`` opens on the newest round kept beside the library; with none yet it
runs one from the included articles (backward and forward) and keeps it. Opened on ``seeds`` (``ctrl+b``
from one article) it shows a **preview**: the round is computed and kept nowhere, so it counts in no
report, until ``K`` keeps it (``store.snowball.engine.preview_round`` / ``keep_preview``; issue 16,
defect 2). A preview takes no decisions: keep it first, so what is screened is counted where it was
found.

**What is listed** (issue 16, defect 14): at title/abstract, the round's candidates that the screener
has not decided when the list is loaded; candidates screened before the round ran are not records of
it, and with those screened since they are counted above the list, not listed (``a`` lists every
candidate). At full text (``t``): the reports the review seeks (``store.snowball.sought``), those
without a full-text decision. A decision made here leaves its row in place, marked, until the list is
loaded again, so it can be seen and changed.

**Who and which stage.** Decisions are the app's screener's (``pmbrowse --screener NAME`` or
``PMBROWSE_SCREENER``; the title names them), at the stage the title names: ``i`` ``x`` ``u`` and, at
full text, ``r`` (not retrieved) record that stage's decision. A named screener is blind, as on the
command line: they see their own decisions and the resolutions. ``b`` shows the review's decisions
instead, with the conflicts between screeners marked ``!`` and counted in the header; ``c`` lists only
the conflicts; a decision on a conflict then resolves it (a final decision,
``store.snowball.screening``).

The keys, and how a decision and the cursor behave, are ``tui.keys.SNOWBALL_KEYS`` and
``tui.screens.screening`` (the main view follows the same rules). ``P`` shows the review's PRISMA 2020
flow (``tui.screens.flow``); ``N`` runs the next round from the included articles, ``d`` chooses its
direction, ``L`` first asks iCite for the seeds' links, ``F`` fetches the stubs' records, ``[`` ``]``
show the other rounds; ``enter`` hands the candidate back to the app to open; ``escape`` closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from store.errors import PmbrowseError
from store.library import Library
from store.marks import Marks, MarksVersion
from store.model import Article
from store.snowball.engine import (
    Preview,
    RoundResult,
    Row,
    keep_preview,
    preview_round,
    reason,
    rows_of,
    run_round,
    seed_noun,
)
from store.snowball.review import AWAITING_SECOND, describe, standing_text
from store.snowball.screening import (
    EXCLUDED,
    FULL_TEXT,
    NOT_RETRIEVED,
    STAGE_NAMES,
    TITLE_ABSTRACT,
    Decision,
    Stage,
    Viewer,
    outcome,
    screener_name,
)
from store.snowball.state import DIRECTIONS, Round, SnowballFile, SnowballState, keep_round
from tui.keys import SNOWBALL_HELP, SNOWBALL_KEYS, SNOWBALL_OTHER, Key
from tui.refresh import LibraryChanged
from tui.screens.screening import NOTHING_BELOW, ask_reason, changed, next_to_screen, unchanged
from tui.screens.snowball_online import NO_SEEDS, SnowballOnline, Work
from tui.text import literal, not_saved, printable
from tui.widgets.candidates import CandidateList, found_flag, row_label
from tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from store.online.session import Online

NO_ROUND = "No round yet: N runs one from the included articles (L with their links from iCite)."
IN_PREVIEW = "A preview counts nowhere: K keeps it as a round, then its candidates can be screened."
Records = dict[str, tuple[Decision, ...]]  # identity key -> an article's decision records


class SnowballScreen(Screen[int | None]):
    """The records to screen; dismissed with the document id of one to open, or None."""

    KEY_TABLE: ClassVar[tuple[Key, ...]] = SNOWBALL_KEYS
    DEFAULT_CSS = """
    SnowballScreen { layout: vertical; }
    SnowballScreen > #snowball-title { height: auto; max-height: 2; text-style: bold; }
    SnowballScreen > #snowball-counts { height: auto; max-height: 2; color: $text-muted; }
    SnowballScreen > #snowball-details { height: 6; border-top: solid $panel-lighten-2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [key.binding() for key in SNOWBALL_KEYS]

    def __init__(
        self,
        library: Library,
        marks: Marks,
        *,
        seeds: Sequence[int] | None = None,
        selection: str = "included",
        direction: str = "both",
        online: Callable[[], Online] | None = None,
        wrote: Callable[[MarksVersion | None], None] | None = None,
    ) -> None:
        """``seeds`` (the open article, say) start a preview at once, named ``selection``; without them
        the view opens on the newest round, and new rounds start from the included articles.
        ``wrote(before)`` is called after each decision written here, with the marks file's
        version just before the write (the app's watcher is told the file as written is this
        app's unless another process had changed it since it last looked: taken in as another
        process's, each decision would have every row read again here and the main screen's lists
        redrawn under the view)."""
        super().__init__()
        self.wrote = wrote
        self.library = library
        self.marks = marks
        self.file = SnowballFile.open(library.path)
        self.state = SnowballState()
        self.seeds = list(seeds) if seeds else None
        self.selection = selection if seeds else "included"
        self.direction = direction
        self.remote = SnowballOnline(self)  # L and F
        self.online = online  # a factory of online sessions (tests hand one for the local server)
        self.preview: Preview | None = None
        self.stage: Stage = TITLE_ABSTRACT
        self.blind = marks.viewer.blind
        self.round: Round | None = None  # the round shown (title/abstract), or the preview's
        self.show_all = False
        self.only_conflicts = False  # (c) only the rows in conflict between screeners
        # Loading or running a round. Not ``loading``: that is Textual's reactive on every widget (a
        # screen too), which covered the view with a loading indicator and kept the details below the
        # list from being repainted as the cursor moved.
        self.busy = True
        self.all_rows: list[Row] = []  # every row of the round (or every report sought)
        self.found: dict[int, str] = {}  # (full text) id of a row -> how it was found
        self._searched_in: tuple[object, set[str]] = (None, set())  # (a state, the keys its searches name)
        # The rows listed, and what each shows: the decision (and reason) and whether in conflict.
        self.rows: list[Row] = []
        self.seen: list[tuple[str | None, str]] = []
        self.conflicts: list[bool] = []
        self.waiting: list[bool] = []  # (the viewer's own decision, awaiting the second screener)
        self.not_listed = 0

    def compose(self) -> ComposeResult:
        yield Static(literal("Citation chasing"), id="snowball-title")
        yield Static(literal("Loading the candidates…", style="italic"), id="snowball-counts")
        yield CandidateList(id="snowball-list")
        yield Static("", id="snowball-details")
        yield KeyFooter(SNOWBALL_KEYS, lines=2)

    @property
    def candidates(self) -> CandidateList:
        return self.query_one(CandidateList)

    @property
    def viewer(self) -> Viewer:
        """How the view shows decisions: blind or not (``b``), with the review's two-screener stages
        (without them one screener's decision would show as the review's outcome)."""
        return Viewer(self.marks.screener, self.blind, self.marks.paired)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification shown as written, never as markup: the view's messages hold keys (``[`` and
        ``]``), titles, reasons, screeners' names, and services' and files' own words (an error a
        service states). ``markup`` is taken and ignored, so that no caller can ask for markup."""
        super().notify(printable(message), title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        self.candidates.mark_of = self._mark
        self.candidates.why_of = self._why
        self.candidates.flag_of = self._flag
        self.candidates.focus()
        self.remote.app = self.app
        self.load(first=True)

    # Loading -----------------------------------------------------------------------------------

    def start(self, message: str) -> None:
        self.say(message)
        self.busy = True  # (after ``say``, which ends a load: said, it is no longer busy)

    @work(thread=True, exclusive=True, group="snowball")
    def load(self, *, run_next: bool = False, keep: bool = False, first: bool = False) -> None:
        """The rows to show: the round asked for (running and keeping one first when there is none, or
        ``run_next``), the preview (computed, or kept when ``keep``), or the reports sought."""
        try:
            if first:
                self.file.move_reasons(self.marks)  # (version 1 kept them apart from the decisions)
            state = self.file.load()
            if self.stage == FULL_TEXT:
                self._load_full_text(state)
                return
            if first and self.seeds is not None:
                preview = preview_round(
                    self.library,
                    self.seeds,
                    self.direction,
                    marks=self.marks,
                    state=state,
                    selection=self.selection,
                )
                self._shown(state, preview.result.round, preview.result.rows, preview)
                return
            if keep and self.preview is not None:
                self._keeping("K", partial(self._keep_preview, self.preview))
                return
            stored = self._round_in(state)
            if stored is None or run_next:
                # (N pressed is followed from its key; the first round, run as the view opens, from here)
                key: Work = "N" if run_next else "first"
                if key == "first" and not self.remote.begin(key):
                    return
                result = self._next_round(state)
                if result is not None:
                    self._keeping(key, partial(self._keep_next, result, stored))
                return
            self._shown(state, stored, None)
        except (PmbrowseError, OSError) as exc:  # (OSError: the snowball file not written, a full disk)
            self.app.call_from_thread(self.say, str(exc))

    def _round_in(self, state: SnowballState) -> Round | None:
        if self.round is not None and self.preview is None:
            return state.round(self.round.number) or state.last
        return state.last

    def _keeping(self, key: Work, keep: Callable[[], None]) -> None:
        """(In ``load``) ``keep`` a round (``N``, or ``K``: the preview) and show it, as ``L`` stores:
        not once the view has closed; from its start until it is shown, or its failure said, the view
        does not close (``SnowballOnline.leave``)."""
        with self.remote.storing(key) as go:
            if not go:
                return
            try:
                keep()
            except (PmbrowseError, OSError) as exc:
                self.app.call_from_thread(self.say, str(exc))

    def _keep_preview(self, preview: Preview) -> None:
        result = keep_preview(self.library, preview, self.file, self.marks)
        if not result.kept:
            self.app.call_from_thread(self.notify, "Nothing new since the preview: no round kept.")
            state = self.file.load()
            self._shown(state, state.last, None)
            return
        self.app.call_from_thread(self.notify, f"Kept as round {result.round.number}.")
        self._shown(self.file.load(), result.round, result.rows)

    def _next_round(self, state: SnowballState) -> RoundResult | None:
        """A round run from the included articles (None: no seeds, said)."""
        seeds = self.next_seeds()
        if not seeds:
            self.app.call_from_thread(self.say, NO_SEEDS)
            return None
        return run_round(
            self.library,
            seeds,
            self.direction,
            marks=self.marks,
            state=state,
            selection=self.selection,
        )

    def _keep_next(self, result: RoundResult, stored: Round | None) -> None:
        """Keep the round run and show it; with nothing new, the round shown stays (said)."""
        if keep_round(self.file, result.round) is None:
            message = "Nothing new: no round kept."
            if stored is None:
                self.app.call_from_thread(self.say, message)
                return
            self.app.call_from_thread(self.notify, message)
        else:
            stored = result.round
        self._shown(self.file.load(), stored, None)

    def _load_full_text(self, state: SnowballState) -> None:
        from store.snowball.sought import reports_sought

        sought = reports_sought(self.library, state, self._screenings, self.marks.paired)
        rows = rows_of(self.library, Round(0, "", "", "", [], [], candidates=[s.candidate for s in sought]))
        found = {id(row): s.found for row, s in zip(rows, sought, strict=True)}
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, state, None, rows, found, None)

    def _shown(
        self,
        state: SnowballState,
        stored: Round | None,
        rows: list[Row] | None,
        preview: Preview | None = None,
    ) -> None:
        """Show ``stored`` (its ``rows``, read here when None) from the worker: ``preview`` is the
        preview it is, if it is one."""
        if stored is None:
            self.app.call_from_thread(self.say, NO_ROUND)
            return
        if rows is None:
            rows = rows_of(self.library, stored)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, state, stored, rows, {}, preview)

    def next_seeds(self) -> list[int]:
        """The seeds given, for a preview; then the included articles (the review's, whoever runs the
        round: the seeds included and the candidates included since)."""
        from store.selection import by_marks

        review = Marks(self.marks.storage, screener="", blind=False)  # (the review's decisions, not a view)
        return by_marks(self.library, review, screening="included")

    @property
    def _screenings(self) -> list[tuple[tuple[str, ...], tuple[Decision, ...]]]:
        return self.marks.screenings()

    def say(self, message: str) -> None:
        self.busy = False
        self.query_one("#snowball-counts", Static).update(literal(message, style="italic"))

    def show(
        self,
        state: SnowballState,
        stored: Round | None,
        rows: list[Row],
        found: dict[int, str],
        preview: Preview | None,
    ) -> None:
        """What a worker read, shown (on the UI thread: workers set none of the view's state)."""
        self.state, self.round, self.all_rows, self.found = state, stored, rows, found
        self.preview = preview
        self.busy = False
        self._list()

    def _records(self) -> Records:
        records: Records = {}
        for keys, decisions in self._screenings:
            for key in keys:
                records.setdefault(key, decisions)
        return records

    def _list(self, keep: Sequence[str] = ()) -> None:
        """List the rows still to screen (all of them, with ``a``), each with what it shows; the cursor
        on the row with ``keep``'s keys, if listed."""
        records = self._records()
        viewer, stage = self.viewer, self.stage
        self.rows, self.seen, self.conflicts, self.waiting = [], [], [], []
        self.not_listed = 0
        for row in self.all_rows:
            decisions = self._of(records, row)
            seen = viewer.visible(decisions, stage)
            conflict = not self.blind and outcome(decisions, stage).conflict
            earlier = stage == TITLE_ABSTRACT and row.candidate.known == "screened"
            waiting = self._waiting(decisions)
            if self.only_conflicts and not conflict:
                continue
            if not self.show_all and (earlier or seen[0] is not None or waiting):
                self.not_listed += 1
                continue
            self.rows.append(row)
            self.seen.append(seen)
            self.conflicts.append(conflict)
            self.waiting.append(waiting)
        wanted = set(keep)
        cursor = next((n for n, r in enumerate(self.rows) if wanted & set(r.candidate.keys)), 0)
        self.candidates.show_rows(self.rows, cursor)
        self._details(self.candidates.current)
        if not self.rows:
            self._details(None)
            left = (
                "c lists the other rows"
                if self.only_conflicts
                else "a lists every candidate"
                if self.not_listed
                else "N runs the next round"
            )
            self.query_one("#snowball-details", Static).update(
                literal(f"Nothing listed is left to screen here: {left}.", style="italic")
            )
        self._update_title()
        self._update_counts()

    def _waiting(self, decisions: Sequence[Decision]) -> bool:
        """Whether the viewer's own decision at the stage shown is recorded and awaits the second
        screener (seen only when not blind: the unnamed screener, or ``b``)."""
        if self.blind:
            return False
        found = outcome(decisions, self.stage, self.stage in self.marks.paired)
        return found.awaiting and self.marks.screener in found.votes

    @staticmethod
    def _of(records: Records, row: Row) -> tuple[Decision, ...]:
        return next((records[k] for k in row.candidate.keys if k in records), ())

    # What the view shows -------------------------------------------------------------------------

    def _mark(self, index: int) -> str | None:
        if not 0 <= index < len(self.seen):
            return None
        decision = self.seen[index][0]
        if decision is None and self.waiting[index]:
            return "awaiting"
        return decision or ("conflict" if self.conflicts[index] else None)

    def _flag(self, row: Row) -> str:
        """How a row was found, as README's *Doing a review* says: ``new`` (the round's own record),
        ``r1`` (the round that first found it), ``db`` (a database search's record: at title/abstract
        one a round met already screened, which no round found first; at full text every report the
        searches found), ``—`` (screened before any round found it, not from a search: marked while
        browsing, a seed given by hand)."""
        c = row.candidate
        if self.stage == FULL_TEXT:  # (the reports sought: a search's record is one of round 0)
            return f"r{c.round}" if c.round else "db"
        if c.known == "screened" and self.round is not None and c.round == self.round.number:
            return "db" if self._searched().intersection(c.keys) else "—"
        return found_flag(row)

    def _searched(self) -> set[str]:
        """Every identity key the database searches name (read once per snowball state)."""
        if self._searched_in[0] is not self.state:
            keys = {k for search in self.state.searches for entry in search.entries for k in entry}
            self._searched_in = (self.state, keys)
        return self._searched_in[1]

    def _why(self, row: Row) -> str:
        if self.stage == FULL_TEXT:
            return self.found.get(id(row), "")
        seeds = len(self.round.seeds) if self.round is not None else 0
        return reason(row.candidate, seeds, seed_noun(self.round.selection if self.round else ""))

    def _who(self) -> str:
        """``screener ann (blind)``; ``(unblind)`` once ``b`` shows the review's decisions (the unnamed
        screener, alone, is not blind and sees them anyway)."""
        who = f"screener {screener_name(self.marks.screener)}"
        if self.blind:
            return f"{who} (blind)"
        return f"{who} (unblind)" if self.marks.screener else who

    def _update_title(self) -> None:
        stage = STAGE_NAMES[self.stage]
        if self.stage == FULL_TEXT:
            title = f"Full text · the reports sought, both arms · {self._who()}"
        elif self.round is None:
            title = "Citation chasing"
        else:
            stored = self.round
            seeds = len(stored.seeds)
            head = (
                "Preview (counts nowhere: K keeps it)"
                if self.preview is not None
                else f"Round {stored.number} of {len(self.state.rounds)}"
            )
            title = (
                f"{head} · {stored.direction} · {seeds} seed{'s' if seeds != 1 else ''} "
                f"({stored.selection}) · {stage} · {self._who()}"
            )
        self.query_one("#snowball-title", Static).update(literal(title))

    def _update_counts(self) -> None:
        if self.busy:
            return
        listed = len(self.rows)
        # (the viewer's own decision awaiting the second screener is decided, by them: not theirs to
        # screen, and not yet the review's)
        waiting = sum(self.waiting)
        to_screen = sum(
            1 for (decision, _), w in zip(self.seen, self.waiting, strict=True) if not decision and not w
        )
        tally: dict[str, int] = {}
        for decision, _ in self.seen:
            if decision is not None:
                tally[decision] = tally.get(decision, 0) + 1
        parts = [f"to screen {to_screen} of {listed}"]
        if waiting:
            parts.append(f"{waiting} {AWAITING_SECOND}")
        if self.show_all:  # (else where no row is hidden, ``a`` shows nothing for it)
            parts.insert(0, "every candidate listed (a lists those left to screen)")
        if self.only_conflicts:
            parts.insert(0, "conflicts only (c lists every row)")
        parts += [
            f"{name} {tally[name]}" for name in ("included", "excluded", "not-retrieved") if name in tally
        ]
        conflicts = sum(self.conflicts)
        if not self.blind and (conflicts or self.marks.screener):
            parts.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''}")
        if self.not_listed:
            parts.append(f"{self.not_listed} screened already, not listed (a lists all)")
        stored = self.round
        if self.stage == TITLE_ABSTRACT and stored is not None:
            parts.append(f"{len(stored.new)} new of {stored.identified} links")
        self._counts_line(" · ".join(parts))

    def _counts_line(self, line: str) -> None:
        """The counts above the list: laid out again only when the line needs another height (one
        line or two), so a decision repaints the counts without the list below them."""
        counts = self.query_one("#snowball-counts", Static)
        width = max(1, counts.size.width)
        height = 1 if cell_len(line) <= width else 2
        counts.update(literal(line), layout=height != counts.size.height)

    def on_library_changed(self, event: LibraryChanged) -> None:
        """Marks made elsewhere (another process, or the main screen) show here too: the app's watcher
        posts them within a second, or at once on ctrl+r. The rows stay; what they show is read again.
        A change of the snowball file (a round kept or dropped by ``pmbrowse snowball`` in another
        shell) is read again too (``rounds_changed``)."""
        if event.snowball:
            self.read_rounds()
        if event.marks is None:
            return
        self.marks = event.marks
        records = self._records()
        for n, row in enumerate(self.rows):
            decisions = self._of(records, row)
            self.seen[n] = self.viewer.visible(decisions, self.stage)
            self.conflicts[n] = not self.blind and outcome(decisions, self.stage).conflict
            self.waiting[n] = self._waiting(decisions)
        self.candidates.refresh()
        self._update_counts()
        self._details(self.candidates.current)

    @work(thread=True, exclusive=True, group="snowball-rounds")
    def read_rounds(self) -> None:
        try:
            state = self.file.load()
        except PmbrowseError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="warning")
            return
        self.app.call_from_thread(self.rounds_changed, state)

    def rounds_changed(self, state: SnowballState) -> None:
        """The review's rounds as the snowball file holds them now: a round kept elsewhere is counted
        in the title and said (``]`` shows it); the round shown dropped elsewhere is said and the view
        goes to the newest one left; at full text, the reports sought are listed again. The rows of the
        round shown stay as they are (a decision made here stays listed until the list is loaded)."""
        if self.busy:
            return  # (the load under way reads the file itself)
        before = {r.number for r in self.state.rounds}
        after = {r.number for r in state.rounds}
        added, dropped = sorted(after - before), sorted(before - after)
        self.state = state
        if not added and not dropped:
            return
        elsewhere = [f"Round {n} was kept elsewhere" for n in added]
        elsewhere += [f"round {n} was dropped elsewhere" for n in dropped]
        said = "; ".join(elsewhere)
        said = said[0].upper() + said[1:]
        shown = self.round.number if self.round is not None and self.preview is None else None
        if self.stage == FULL_TEXT:
            self.notify(f"{said}: the reports sought are listed again.")
            self.start("Loading the reports sought…")
            self.load()
        elif self.preview is None and not state.rounds:
            # (Not run again here, as opening the view on no round does: the reviewer dropped it.)
            self.round, self.all_rows = None, []
            self._list()
            self.say(f"{said}: no round now; N runs one from the included articles.")
        elif self.preview is None and (shown is None or shown in dropped):
            self.notify(f"{said}: showing the newest round.")
            self.round = None
            self.start("Loading the round…")
            self.load()
        else:
            self.notify(f"{said}{': ] shows it' if added and shown is not None else ''}.")
            self._update_title()

    # Details -----------------------------------------------------------------------------------

    @on(CandidateList.Highlighted)
    def highlighted(self, event: CandidateList.Highlighted) -> None:
        self._details(self.candidates.current)

    def _details(self, row: Row | None) -> None:
        """The highlighted row's decision, title, authors and abstract below the list. Its height is
        fixed (6 lines), so an update needs no layout: only the details are repainted, not the list
        above them, after every key."""
        details = self.query_one("#snowball-details", Static)
        if row is None:
            details.update("", layout=False)
            return
        doc = self.library.doc(row.doc_id) if row.doc_id is not None else None
        text = literal("")
        decided = self._decided_line(self.candidates.cursor)
        if decided:
            text.append(printable(decided) + "\n", style="italic")
        if doc is None:
            text.append(printable(row.title or row.candidate.label), style="bold")
            details.update(text, layout=False)
            return
        article = Article.from_stored(doc, row.doc_id)
        text.append(printable(article.title or row.candidate.label), style="bold")
        who = ", ".join(a.name for a in article.authors[:3]) + (" et al" if len(article.authors) > 3 else "")
        meta = " · ".join(m for m in (who, article.journal, str(article.year or "")) if m)
        if meta:
            text.append("\n" + printable(meta), style="dim")
        abstract = article.abstract_text
        text.append(
            "\n" + printable(abstract) if abstract else "\nNo abstract in the library (F fetches it)."
        )
        details.update(text, layout=False)

    def _decided_line(self, index: int) -> str:
        """The highlighted row's decision as the view shows it; a conflict's votes when not blind."""
        if not 0 <= index < len(self.rows):
            return ""
        decision, why = self.seen[index]
        if self.conflicts[index]:
            from store.snowball.review import vote_text

            decisions = self._of(self._records(), self.rows[index])
            votes = "; ".join(vote_text(v) for v in outcome(decisions, self.stage).votes.values())
            return f"Conflict: {votes} — a decision here resolves it"
        if decision is None and self.waiting[index]:
            decisions = self._of(self._records(), self.rows[index])
            vote = next(iter(outcome(decisions, self.stage, True).votes.values()))
            return f"{describe(vote.decision, vote.reason).capitalize()} by you, {AWAITING_SECOND}"
        if decision is None:
            return ""

        return f"{describe(decision, why).capitalize()} at {STAGE_NAMES[self.stage]}"

    @on(CandidateList.Chosen)
    def chosen(self, event: CandidateList.Chosen) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.candidates.current
        if row is not None and row.doc_id is not None and self.remote.leave():
            self.dismiss(row.doc_id)

    # Screening ---------------------------------------------------------------------------------

    def action_screen(self, decision: Literal["included", "excluded", "not-retrieved", "undecided"]) -> None:
        """``i`` ``x`` ``u`` ``r`` on the highlighted row (the rules: ``tui.screens.screening``)."""
        kind = None if decision == "undecided" else decision
        if self.busy:
            self.notify("Loading: try again in a moment.")
            return
        if self.preview is not None:
            self.notify(IN_PREVIEW)
            return
        if kind == NOT_RETRIEVED and self.stage != FULL_TEXT:
            self.notify("Not retrieved is a full-text decision: t switches to the full-text stage.")
            return
        index = self.candidates.cursor
        row = self.candidates.current
        if row is None:
            return
        seen, why_now = self.seen[index]
        conflict = self.conflicts[index]
        if kind != EXCLUDED and not conflict and (same := unchanged(kind, seen)):
            self.notify(same, markup=False)
            return
        rows = self.rows
        ask_reason(
            self,
            kind,
            row_label(row) + ": " + (row.title or row.candidate.label),
            self._reasons,
            why_now if seen == EXCLUDED else "",
            lambda why: self._record(rows, index, kind, why),
        )

    def _reasons(self) -> list[str]:
        return self.state.offered_reasons(self.marks.reasons())

    def _record(self, rows: list[Row], index: int, kind: str | None, why: str) -> None:
        """Record the decision on row ``index`` of ``rows`` (if they are still the rows listed), then
        the cursor rule."""
        if rows is not self.rows:
            self.notify("The list was loaded again meanwhile: nothing was recorded.", severity="warning")
            return
        row = rows[index]
        seen, why_now = self.seen[index]
        resolve = self.conflicts[index]
        if not resolve and (same := unchanged(kind, seen, why_now, why)):
            self.notify(same, markup=False)
            return
        before = self.marks.version()
        try:
            mark = self.marks.set_screening(
                row.candidate.keys,
                kind,  # type: ignore[arg-type]
                reason=why or None,
                stage=self.stage,
                final=resolve,
            )
        except (PmbrowseError, OSError, ValueError) as exc:
            self.notify(not_saved("decision", exc), severity="error", markup=False)
            return
        if self.wrote is not None:
            self.wrote(before)
        self.seen[index] = self.viewer.visible(mark.decisions, self.stage)
        self.conflicts[index] = not self.blind and outcome(mark.decisions, self.stage).conflict
        self.waiting[index] = self._waiting(mark.decisions)
        self.candidates.refresh_row(index)
        self._update_counts()
        if resolve:
            self.notify(
                f"Resolved: {describe(kind, why)}, by {screener_name(self.marks.screener)}", markup=False
            )
        elif said := changed(row_label(row), seen, why_now, kind, why):
            self.notify(said, markup=False)
        elif kind is not None and self.waiting[index]:
            # (recorded, with no outcome yet: the row shows no mark, so the decision is said at once)
            self.notify(f"{row_label(row)}: {standing_text(mark, self.marks.screener)}", markup=False)
        if kind is None:
            self._details(row)
            return
        following = next_to_screen(
            index, len(rows), lambda n: self.seen[n][0] is None and not self.waiting[n]
        )
        if following is None:
            self.notify(NOTHING_BELOW)
            self._details(row)
        else:
            self.candidates.move_to(following)

    # The view: stage, blindness, what is listed, rounds ---------------------------------------------

    def action_stage(self) -> None:
        if self.preview is not None:
            self.notify(IN_PREVIEW)
            return
        self.stage = FULL_TEXT if self.stage == TITLE_ABSTRACT else TITLE_ABSTRACT
        self.start(f"Loading the {'reports sought' if self.stage == FULL_TEXT else 'round'}…")
        self._update_title()
        self.load()

    def action_blind(self) -> None:
        self.blind = not self.blind
        if self.blind:
            self.only_conflicts = False  # (a blind screener sees no conflicts)
        self.notify(
            "Blind: your own decisions (and the resolutions) only."
            if self.blind
            else "The review's decisions, with the conflicts between screeners (!): "
            "a decision on one resolves it."
        )
        self._list(self._current_keys())

    def action_conflicts(self) -> None:
        """``c``: only the conflicts between screeners (the review's decisions shown: unblind), to
        resolve them one after the other; again, every row."""
        if self.preview is not None:
            self.notify(IN_PREVIEW)
            return
        self.only_conflicts = not self.only_conflicts
        if self.only_conflicts and self.blind:
            self.blind = False
            self.notify("The review's decisions are shown (b: blind again): the conflicts need them.")
        self._list(self._current_keys())

    def action_list_all(self) -> None:
        self.show_all = not self.show_all
        self._list(self._current_keys())

    def _current_keys(self) -> tuple[str, ...]:
        row = self.candidates.current
        return row.candidate.keys if row is not None else ()

    def action_round(self, step: int) -> None:
        if self.stage == FULL_TEXT or self.preview is not None or self.round is None:
            self.notify("[ and ] go from round to round at the title/abstract stage.")
            return
        numbers = [r.number for r in self.state.rounds]
        at = numbers.index(self.round.number) if self.round.number in numbers else len(numbers) - 1
        if not 0 <= at + step < len(numbers):
            self.notify("No round " + ("before" if step < 0 else "after") + " this one.")
            return
        self.round = self.state.rounds[at + step]
        self.start(f"Loading round {self.round.number}…")
        self.load()

    def action_flow(self) -> None:
        from tui.screens.flow import FlowScreen

        self.app.push_screen(FlowScreen(self.library, self.marks))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen("Snowball view — keys", SNOWBALL_KEYS, (), SNOWBALL_OTHER, (SNOWBALL_HELP,))
        )

    # Online and rounds -------------------------------------------------------------------------

    def action_keep(self) -> None:
        if self.busy:  # (N or L under way: the preview may be replaced, or kept beside their round)
            self.notify("Loading: try again in a moment.")
            return
        if self.preview is None:
            self.notify("This round is kept already: K keeps a preview (ctrl+b in the main view).")
            return
        self.start("Keeping the preview as a round…")
        self.remote.track("K", self.load(keep=True))

    def action_next_round(self) -> None:
        # (a preview shown stays one until the round replaces it: there may be no seeds, or no round)
        self.seeds, self.selection = None, "included"
        self.stage = TITLE_ABSTRACT
        self.start(f"Running the next round ({self.direction}) from the included articles…")
        self.remote.track("N", self.load(run_next=True))

    def action_cycle_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self.notify(f"The next round goes {self.direction} (N runs it, L with links online)")

    def action_online_round(self) -> None:
        self.remote.links_then_round()

    def done_loading(self, no_round: str = NO_ROUND) -> None:
        """A load or an online request ended without new rows: the counts of the rows shown, or, with
        no round to show, ``no_round`` (not "to screen 0 of 0")."""
        if self.round is None and self.stage == TITLE_ABSTRACT:
            self.say(no_round)
            return
        self.busy = False
        self._update_counts()

    def action_fetch_stubs(self) -> None:
        self.remote.fetch_stubs()

    def action_close(self) -> None:
        if self.remote.leave():  # (not while L or F stores: said)
            self.dismiss(None)


__all__ = ["SnowballScreen"]
