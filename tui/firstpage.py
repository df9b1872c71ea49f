"""The app's first page of results, worked out in a thread while Textual is imported.

The first content the app shows is its result list: the search index opened and the query it starts
on run. ``tui.cli.run_app`` starts that here, in a thread, before it imports the app (most of
start-up's time), so that the screen can show the rows in its first frame (``take``, from
``tui.screens.main.loading``) rather than a loading line, then the rows some frames later after the
index was opened and searched in two more threads in turn.

The thread imports the search index and the library's storage, which neither Textual nor the app's
modules import before the app has started; the few small ``store`` modules both threads import
(``store.session``, ``store.trail``, ``store.atomicwrite``, ``store.ids``) import none of the app's,
so one thread may wait for the other to finish importing one, never in a cycle. ``tui.cli`` waits for
the thread before it ends (``finish``), and keeps ctrl-C from landing in either's imports.

Nothing here is required: an index that is not there or not fresh (the library is opened first), a
query that searches PubMed, or an error leaves ``index`` or ``results`` None, and the loader does what
is missing as it always did (and says any error).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tui import listing

if TYPE_CHECKING:
    from store.search import Results, SearchIndex


# The rows searched for the first frame: a screenful of the terminal the app starts in (``screenful``),
# of which the result list is given those that fill it (``ResultsList.redraw``: a row is often four
# lines or more; at 120x40, 8 of 21). The rest of the page (``listing.MAX_HITS``) is searched after the
# first paint (``Loading``): each row found costs a read of the search index's document (500: ~9 ms of
# CPU at 10,000 records), and Textual wraps each row given as it is added, visible or not.
MAX_ROWS = 60


def screenful(lines: int | None) -> int:
    """The rows that fill a terminal of ``lines`` lines (None, or none: not known, ``MAX_ROWS``): a hit's
    row is two lines at least (``tui.widgets.rows.hit_row``), so half the lines and one more for a row
    cut at the bottom."""
    return MAX_ROWS if not lines or lines < 0 else min(MAX_ROWS, lines // 2 + 1)


def _terminal_lines() -> int | None:
    """The height of the terminal on standard output (None: it is not one)."""
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).lines if sys.__stdout__ is not None else None
    except (OSError, ValueError):  # (not a terminal, or closed)
        return None


ROWS = screenful(_terminal_lines())


class FirstPage:
    """What the thread found: the index (None: none fresh, or ``opened`` False: opening it failed),
    and the first query's rows in ``order`` (None: not searched).

    (A plain class, not a dataclass: making a dataclass's methods took 0.27 ms of start-up's CPU.)"""

    __slots__ = ("index", "opened", "order", "path", "query", "results")

    def __init__(self, path: Path, query: str) -> None:
        self.path, self.query, self.order, self.opened = path, query, "", False
        self.index: SearchIndex | None = None
        self.results: Results | None = None


class _Started:
    thread: threading.Thread | None = None
    page: FirstPage | None = None


def start(path: Path, target: str) -> None:
    """Open the index of the library at ``path`` and search what the app started on ``target`` opens
    on (``listing.first_query``), in a thread."""
    thread = threading.Thread(target=_work, args=(path, target), name="first-page")
    _Started.thread, _Started.page = thread, None
    thread.start()


# How often the threads take turns holding the interpreter while the app starts (Python's default: every
# 5 ms). Up to the library read, four threads run at once: the screen's, this module's, the loader's and
# Textual's writer, which writes each frame to the terminal in a few system calls; after each, a thread
# waited up to the interval for the interpreter, held by another that computes. The first frame reached
# the terminal 8.6-9.9 ms after it was made (medians, 8 starts each at load 7-9; a bare Textual app:
# 4.6-6.0 ms), 4.0-5.4 ms with a 1 ms interval.
START_SWITCH = 0.001


class _Switch:
    usual: float | None = None


def quick_switches() -> None:
    """The threads take turns every ``START_SWITCH`` seconds until ``usual_switches`` (once the library
    is read, or the app has ended)."""
    import sys

    if _Switch.usual is None:
        _Switch.usual = sys.getswitchinterval()
        sys.setswitchinterval(START_SWITCH)


def usual_switches() -> None:
    """Python's interval again (if ``quick_switches`` changed it)."""
    import sys

    if _Switch.usual is not None:
        sys.setswitchinterval(_Switch.usual)
        _Switch.usual = None


def finish() -> None:
    """Wait for the thread, if it is still at work (the app has ended, or was never started): it may be
    writing (a library converted, an index rebuilt), which an interpreter that ends must not cut short."""
    thread = _Started.thread
    if thread is not None:
        thread.join()


def _work(path: Path, target: str) -> None:
    page = FirstPage(path, "")
    try:
        # First: the document index's check (an index written before stop 49: 72.7 MB at a million
        # records; since, by the block) runs on the other core while the search index's modules are
        # imported below (``store.earlyindex``).
        from store import earlyindex

        earlyindex.begin(path)
        try:
            _search(page, target)
        finally:
            earlyindex.discard()  # (what the storage did not take: it failed before, or opened no index)
    except Exception:  # (the loader does what failed again, and says what is wrong)
        page.results = None
    finally:
        _Started.page = page


def _search(page: FirstPage, target: str) -> None:
    from store.session import Session

    page.query = listing.first_query(target, Session.load(page.path).query)
    from store.search import SearchIndex

    page.index = SearchIndex.open_with_counts(page.path)
    page.opened = True
    if page.index is not None and listing.online_query(page.query) is None:
        page.order = listing.order_for(page.query, None)
        page.results = listing.search(page.index, page.query, page.order, ROWS, None)


def take(path: Path, wait: float | None) -> FirstPage | None:
    """The first page of the library at ``path``, waiting up to ``wait`` seconds for it (None: until it
    is done); None when it was not started, is another library's, or is not done by then (then it may
    be taken later). Taken once."""
    thread = _Started.thread
    if thread is None:
        return None
    thread.join(wait)
    page = _Started.page
    if thread.is_alive() or page is None or page.path != path:
        return None
    _Started.thread = _Started.page = None
    return page
