"""The app's first page of results, searched by a second process while the app starts.

Python runs one thread at a time, so a search in a thread of the app only takes turns with Textual's
start (its imports, the first layout and paint). At 100,000 records, opening the search index with
the library's live citation counts and ranking the whole library most cited first is about as much
CPU as the app's own start; a child process does it on another core meanwhile, so that the list is
filled about when the first frame is painted rather than after it.

The child is forked before Textual is imported (no thread runs yet, so forking is safe), and only
reads: it searches a library already in this version's layout (one of an older layout is converted
by the app, which opens it with the lock that takes), with an index that is fresh, for the query the
list will show, in its default order, without the marks (a query on marks is left to the app, which
reads them). It sends the page down a pipe with the library's state it was read in, and exits. The
app shows the page if it is the one the list waits for (in its first frame, when the child is done by
the time the screen is mounted, as it is up to tens of thousands of records on a free core), then
opens the index and the library itself;
the watcher starts from the page's state, so a commit made meanwhile is taken in at its first look.
Whenever the child has no page to give (no library yet, a stale index, a query on marks or in error,
a child that died), the app searches as it does without it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui import listing

if TYPE_CHECKING:
    from store.search import Results

# How long the app waits for the child's page before searching by itself (a guard: the page comes
# in well under a second at 100,000 records).
WAIT = 10.0


@dataclass(frozen=True)
class Page:
    """The first page of ``query`` in ``order``, searched in the library's state ``state``."""

    query: str
    order: str
    state: tuple[str | None, int]
    results: Results


class Prefetch:
    """A child process searching for the first page (see the module docstring)."""

    def __init__(self, pid: int, fd: int, query: str) -> None:
        self.pid = pid
        self.query = query
        self._fd: int | None = fd

    @classmethod
    def start(cls, library_path: Path, query: str, limit: int = listing.MAX_HITS) -> Prefetch | None:
        """Fork the child that searches ``query`` in the library at ``library_path``; None when there is
        nothing it could search (a PubMed search, no library yet) or the fork failed."""
        if listing.online_query(query) is not None or not library_path.is_file():
            return None
        try:
            read, write = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        if pid == 0:  # the child: never returns
            os.close(read)
            _search(library_path, query, limit, write)
        os.close(write)
        return cls(pid, read, query)

    def ready(self) -> bool:
        """Whether the child has begun to send its page, or has ended: ``page`` then returns at once
        (the page is written in one go, from memory)."""
        return self._fd is not None and readable(self._fd, 0)

    def page(self, wait: float = WAIT) -> Page | None:
        """The child's page once it has sent it (None: it had none to give, or none came in ``wait``
        seconds); the child is reaped. Only the first call waits: later ones return None."""
        fd, self._fd = self._fd, None
        if fd is None:
            return None
        data = bytearray()
        end = time.monotonic() + wait
        try:
            while (left := end - time.monotonic()) > 0:
                if not readable(fd, left):
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                data += chunk
            else:
                data.clear()  # (too late: the app searches by itself)
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
        except OSError:
            data.clear()
        finally:
            os.close(fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        if not data:
            return None
        try:
            page = pickle.loads(data)
        except Exception:  # (a page cut short: the child died while writing it)
            return None
        return page if isinstance(page, Page) and page.query == self.query else None


def readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has data or is at its end, waiting up to ``timeout`` seconds (``poll``, not
    ``select``: a process may hold more files than ``select`` can name)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, int(timeout * 1000))))


def _search(library_path: Path, query: str, limit: int, out: int) -> None:
    """The child: search, write the page to ``out``, and exit without running the app's exit handlers."""
    try:
        if not listing.needs_marks(query):
            from store.search import SearchIndex

            index = SearchIndex.open_with_counts(library_path, convert=False)
            if index is not None and index.state is not None:
                order = listing.order_for(query, None)
                results = listing.search(index, query, order, limit)
                data = pickle.dumps(Page(query, order, index.state, results))
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view) :]
    except BaseException:  # (nothing to give: the app searches by itself, and says what is wrong)
        pass
    finally:
        os._exit(0)
