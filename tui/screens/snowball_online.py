"""The Snowball view's online keys: ``L`` (the seeds' links from iCite, then the next round, as one
commit) and ``F`` (the records of the candidates that are stubs).

``L`` works as ``pmbrowse snowball --online`` does, through the same store functions: every request
first, nothing stored (``store.snowball.online.ask_links``); then what the service said and the round
run on it are one commit (``fill_and_round``): killed anywhere, the library holds both or neither. A
fill with a list a service ended early is stored alone, as far as it came, and runs no round; the view
says what is missing. The workers read and compute; what the view shows is set on the UI thread.

``F`` asks PubMed for every record first, then stores them all in one transaction
(``store.snowball.online.ask_records``).

**Closing the view while L or F works** (``leave``; escape, or enter on a candidate; ``N`` and ``K``,
which keep a round, likewise, and the first round, run as the view opens with none yet:
``SnowballScreen.load``). While they ask,
the view closes and they end with it: nothing is stored (a thread cannot be stopped, so it looks
before storing), and the view says so as it closes ("L stopped with the view: nothing stored"): the
user who leaves a view expects its pending work gone, not stored later unseen. Once one has begun to
store, its commit cannot be stopped half-way (all or nothing): the view does not close, says that it
is storing, and says what was stored when it is done; escape then closes it. Either way the user is
told which happened. (``L`` pressed again replaces the ``L`` under way in the same way: the first
stores nothing unless it has begun storing.) Quitting the app (ctrl+q) while a commit is under way
waits for it likewise, says so, and says on the terminal what it did (``PmbrowseApp.action_quit``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Literal

from textual.worker import Worker, get_current_worker

from store.errors import PmbrowseError
from store.snowball.engine import Preview, preview_round
from store.snowball.screening import TITLE_ABSTRACT
from store.snowball.state import Round, SnowballState
from tui.console import counted

if TYPE_CHECKING:
    from textual.app import App

    from store.snowball.online import LinkFill
    from tui.screens.snowball import SnowballScreen

SOURCES = ("icite",)  # where L asks for the seeds' links
NO_SEEDS = "No seeds: mark the articles you include with i first, then open this view again."
# (N and K keep a round, and the view opened with none yet keeps the first: ``SnowballScreen.load``)
Work = Literal["L", "F", "N", "K", "first"]
Phase = Literal["asking", "storing", "ended"]
STORING = {
    "L": "L is storing the links and the round it asked for: a commit is all or nothing, it cannot be "
    "stopped now. The view says when it is done; escape then closes it.",
    "F": "F is storing the records it fetched: a commit is all or nothing, it cannot be stopped now. "
    "The view says when it is done; escape then closes it.",
    "N": "N is keeping the round it ran: it cannot be stopped now. The view shows it when it is done; "
    "escape then closes it.",
    "K": "K is keeping the preview as a round: it cannot be stopped now. The view shows it when it is "
    "done; escape then closes it.",
    "first": "The view is keeping the first round it ran: it cannot be stopped now. The view shows it when "
    "it is done; escape then closes it.",
}
# What each commit is, for quitting while it is under way (``tui.app.PmbrowseApp.action_quit``).
COMMITS = {
    "L": "L's commit (the links and the round it asked for)",
    "F": "F's commit (the records it fetched)",
    "N": "N's commit (the round it ran)",
    "K": "K's commit (the preview kept as a round)",
    "first": "the commit of the view's first round",
}
FIRST_STOPPED = "The first round stopped with the view: nothing stored; it runs when the view opens again."


def _stopped(key: Work) -> str:
    return FIRST_STOPPED if key == "first" else f"{key} stopped with the view: nothing stored."


class SnowballOnline:
    """``L`` and ``F`` of a Snowball view (``screen``), their workers run on it (they end with it)."""

    def __init__(self, screen: SnowballScreen) -> None:
        self.screen = screen
        self.closed = False  # (the view left: what is still asking stores nothing)
        self._gate = threading.Lock()  # (closing and beginning to store: one before the other)
        self._phases: dict[Worker[None], tuple[Work, Phase]] = {}
        self.app: App[object] | None = (
            None  # (the view's, once mounted: ``begin`` speaks after it has closed)
        )

    def _in_thread(self, key: Work, work: partial[None]) -> None:
        # (a group each: L pressed again replaces the L under way, F does not; a cancelled L stores nothing)
        name = work.func.__name__
        self.track(
            key, self.screen.run_worker(work, name=name, group=f"snowball{name}", exclusive=True, thread=True)
        )

    def track(self, key: Work, worker: Worker[None]) -> None:
        """Follow ``worker`` (``key``'s work, just started) for ``leave``."""
        with self._gate:  # (the worker may be storing already: its phase is newer)
            self._phases.setdefault(worker, (key, "asking"))

    def begin(self, key: Work) -> bool:
        """(In a worker) ``key``'s work begins, followed for ``leave`` from now; False when the view has
        closed already (said here: it closed before ``leave`` could know of it)."""
        worker = get_current_worker()
        with self._gate:
            closed = self.closed
            if not closed:
                self._phases.setdefault(worker, (key, "asking"))
        if closed:
            assert self.app is not None  # (set as the view was mounted: a closed view has no app)
            self.app.call_from_thread(self.screen.notify, _stopped(key), severity="warning")
        return not closed

    @contextmanager
    def storing(self, key: Work) -> Iterator[bool]:
        """(In a worker) whether to store: not once the view has closed or the worker was replaced;
        from then on, until the block ends, the view does not close (``leave``)."""
        worker = get_current_worker()
        with self._gate:
            go = not (self.closed or worker.is_cancelled)
            self._phases[worker] = (key, "storing" if go else "ended")
        try:
            yield go
        finally:
            with self._gate:
                self._phases[worker] = (key, "ended")

    def storing_now(self) -> list[Work]:
        """The work whose commit is under way (it cannot be stopped: all or nothing)."""
        with self._gate:
            return [
                key
                for worker, (key, phase) in self._phases.items()
                if phase == "storing" and not worker.is_finished
            ]

    def leave(self) -> bool:
        """Whether the view may close now (see the module docstring): not while L or F stores (said);
        otherwise what they were asking is dropped, and said."""
        with self._gate:
            # (a worker that has ended, having stored nothing, asks nothing: no seeds, a request failed)
            live = [
                (key, phase)
                for worker, (key, phase) in self._phases.items()
                if not (worker.is_cancelled or worker.is_finished)
            ]
            storing = [key for key, phase in live if phase == "storing"]
            if not storing:
                self.closed = True
        if storing:
            self.screen.notify(STORING[storing[0]], severity="warning", timeout=10)
            return False
        for key in sorted({key for key, phase in live if phase == "asking"}):
            self.screen.notify(_stopped(key), severity="warning")
        return True

    # L ---------------------------------------------------------------------------------------------

    def links_then_round(self) -> None:
        """``L``: the next round from the included articles, with their links asked of iCite first."""
        screen = self.screen
        # (a preview shown stays one until the round replaces it: L may fail, or keep nothing)
        screen.seeds, screen.selection = None, "included"
        seeds = screen.next_seeds()
        if not seeds:
            screen.say(NO_SEEDS)
            return
        screen.start(f"Asking iCite for the links of {counted(len(seeds), 'seed')}…")
        self._in_thread("L", partial(self._ask_and_round, seeds, screen.direction))

    def _ask_and_round(self, seeds: list[int], direction: str) -> None:
        """(A worker) ask, then store with the round (see the module docstring). What was stored is
        said before the view may close (``leave``)."""
        from store.snowball.online import ask_links, fill_and_round

        screen = self.screen
        library, marks, file = screen.library, screen.marks, screen.file
        try:
            online = screen.online() if screen.online else None
            answers = ask_links(library, seeds, sources=SOURCES, online=online)
        except (PmbrowseError, OSError) as exc:
            screen.app.call_from_thread(self._failed, str(exc))
            return
        with self.storing("L") as go:
            if not go:  # (the view closed, or L was pressed again, while asking: store nothing)
                return
            try:
                fill, done, kept = fill_and_round(
                    library,
                    answers,
                    file,
                    lambda seeds, state: preview_round(
                        library,
                        seeds,
                        direction,
                        marks=marks,
                        state=state,
                        selection="included",
                        sources=["library", *SOURCES],
                    ),
                )
                state = file.load()
            except (PmbrowseError, OSError) as exc:  # (one commit: all or nothing)
                screen.app.call_from_thread(self._failed, str(exc))
                return
            screen.app.call_from_thread(self._done, fill, done, kept, state)

    def _failed(self, problem: str) -> None:
        if self.closed:  # (said as it closed: nothing stored)
            return
        self.screen.notify(f"{problem}; the library was left as it was", severity="error")
        self.screen.done_loading()

    def _done(self, fill: LinkFill, done: Preview | None, kept: Round | None, state: SnowballState) -> None:
        """What ``L`` did, said; the round it kept shown (none kept: the round shown stays)."""
        screen = self.screen
        screen.notify(
            f"{counted(fill.links_added, 'new link')} for {counted(fill.asked, 'seed')} "
            f"({counted(fill.requests, 'request')})"
        )
        if fill.without_pmid:
            shown = ", ".join(fill.without_pmid[:5]) + (", …" if len(fill.without_pmid) > 5 else "")
            screen.notify(f"No PMID for {shown}: their links were not asked.", severity="warning")
        for warning in fill.warnings:
            screen.notify(warning, severity="warning")
        if done is None:
            said = (
                "No round run: a list came incomplete (stored as far as it came); L asks again for the whole."
            )
            screen.notify(said + "\n" + "\n".join(fill.incomplete), severity="warning", timeout=30)
            screen.state = state
            screen.done_loading(said)
            return
        if kept is None:
            screen.notify("Nothing new: no round kept.")
            if screen.round is None:
                screen.say("Nothing new: no round kept.")
                return
            screen.start("Loading the round…")
            screen.load()
            return
        screen.stage = TITLE_ABSTRACT
        screen.show(state, kept, done.result.rows, {}, None)

    # F ---------------------------------------------------------------------------------------------

    def fetch_stubs(self) -> None:
        """``F``: the PubMed records of the candidates listed that are stubs with a PMID."""
        pmids = [r.pmid for r in self.screen.rows if r.stub and r.pmid]
        if not pmids:
            self.screen.notify("No candidate listed is a stub with a PMID: nothing to fetch.")
            return
        self.screen.notify(f"Fetching {counted(len(pmids), 'record')} from PubMed…")
        self.fetch(pmids)

    def fetch(self, pmids: list[str]) -> None:
        self._in_thread("F", partial(self._fetch, pmids))

    def _fetch(self, pmids: list[str]) -> None:
        """(A worker) every request first, then one transaction: all or nothing; nothing once the view
        has closed (see the module docstring). What was stored is said before the view may close."""
        from store.snowball.online import ask_records

        screen = self.screen
        try:
            online = screen.online() if screen.online else None
            answers = ask_records(pmids, online=online)
        except (PmbrowseError, OSError) as exc:
            screen.app.call_from_thread(self._fetch_failed, f"{exc}; the library was left as it was")
            return
        with self.storing("F") as go:
            if not go:
                return
            try:
                report = answers.commit(screen.library)
            except (PmbrowseError, OSError) as exc:
                screen.app.call_from_thread(self._fetch_failed, f"{exc}; the library was left as it was")
                return
            done = f"Fetched {counted(len(report.added), 'record')} ({counted(report.requests, 'request')})"
            if report.failed:
                done += f"; {len(report.failed)} not to be had"
            screen.app.call_from_thread(screen.notify, done)
            screen.app.call_from_thread(self._reload_rows)

    def _fetch_failed(self, problem: str) -> None:
        if not self.closed:  # (said as it closed: nothing stored)
            self.screen.notify(problem, severity="error")

    def _reload_rows(self) -> None:
        if self.screen.preview is None:
            self.screen.load()


__all__ = ["SnowballOnline"]
