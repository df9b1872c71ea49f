"""Taking in what changed: imports, fetches and marks from the command line or a second app, and this
app's own writes from another view (a fetch in the Snowball view).

``check`` runs off the UI thread once a second (and on ``ctrl+r``), for the app's one watcher
(``tui.screens.main.changes``). It looks at each file's change signal only, so it is cheap when
nothing changed: ``Library.refresh`` for the records (and ``Library.state``, the library's change
token, for this process's own commits); for the marks, ``store.marks.marks_version`` (each write
replaces the file: a new inode, size or time), and a changed marks file is simply opened again (it is
small); the snowball file (the review's rounds and searches) by ``snowball_version`` too, read again
by the view that shows it; the search index is reopened when the library changed (another writer may
have rebuilt it in a new folder). What a check found goes to every view as one ``LibraryChanged``
message. None of it reads the storage's files itself: the library, the marks and the snowball state
say what changed. What the library said since it was read (``store.notices``: a search index update
that failed after a commit of the app's, a fetch's) is taken too, and shown as the loader shows what
opening it said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from store.errors import PmbrowseError

if TYPE_CHECKING:  # (imported when first used: the app's first paint needs none of them)
    from store.library import Library
    from store.marks import Marks, MarksVersion
    from store.search import SearchIndex
    from store.snowball.state import SnowballVersion

# How many checks in a row may find the search index behind the library before it is rebuilt here
# (another writer updates it right after its own write, so a short lag is normal).
PATIENCE = 3


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a check found. ``marks`` and ``index`` are new objects to use, or None to keep the old."""

    library: bool = False
    marks: Marks | None = None
    marks_seen: MarksVersion | None = None  # the version of the marks file ``marks`` was read from
    index: SearchIndex | None = None
    index_behind: int = 0  # checks in a row that found the index behind the library
    problem: str = ""  # why the check could not finish (the library busy, a file unreadable)
    state: object = None  # the library's state as this check left it
    snowball: bool = False  # the snowball file changed (a round kept or dropped, a search imported)
    snowball_seen: SnowballVersion | None = None  # its version as this check saw it
    notices: tuple[str, ...] = ()  # what the library said since it was read (``store.notices``)

    @property
    def changed(self) -> bool:
        return self.library or self.marks is not None or self.index is not None or self.snowball


@dataclass
class LibraryChanged(Message, bubble=False):
    """Posted by the app's watcher to every screen when a check found a change; each view takes in
    what concerns it. ``marks`` and ``index`` are new objects to use from now on, or None."""

    library: bool  # the records changed
    marks: Marks | None
    marks_seen: MarksVersion | None  # the version of the marks file ``marks`` was read from
    index: SearchIndex | None
    snowball: bool = False  # the snowball file changed: the view that shows the review reads it again


def open_marks(library_path: Path, screener: str | None = None) -> tuple[Marks, MarksVersion | None]:
    """The marks as ``screener`` sees them (``store.marks.default_screener``), with the version of the
    file they were read from (taken first, so that a write in between shows as a change at the next
    check rather than being missed)."""
    from store.marks import Marks, marks_version

    seen = marks_version(library_path)
    return Marks.open(library_path, screener=screener), seen


def check(
    library: Library,
    marks_seen: MarksVersion | None,
    index_behind: int = 0,
    *,
    marks: bool = True,
    state_seen: object = None,
    screener: str | None = None,
    snowball_seen: SnowballVersion | None = None,
) -> Refreshed:
    """Take in what changed since the last check (blocking: call it in a thread).

    ``marks_seen`` is the version of the marks file as this app last read or wrote it;
    ``state_seen`` the library's state at the last check (None: look at other processes only);
    ``screener``: whose marks they are (``open_marks``); ``snowball_seen``: the version of the
    snowball file at the last check.
    """
    from store import notices
    from store.marks import marks_version
    from store.search import SearchIndex
    from store.snowball.state import snowball_version

    try:
        library_changed = library.refresh() or (state_seen is not None and library.state != state_seen)
        new_marks, seen = None, marks_seen
        snowball_now = snowball_version(library.path)
        if marks and marks_version(library.path) != marks_seen:
            new_marks, seen = open_marks(library.path, screener)
        new_index: SearchIndex | None = None
        behind = index_behind
        if library_changed or index_behind:
            new_index = SearchIndex.open_if_fresh(library.path)
            if new_index is None:
                behind += 1
                if behind > PATIENCE:
                    new_index, behind = SearchIndex.for_library(library), 0
            else:
                behind = 0
    except (PmbrowseError, OSError, ValueError) as exc:
        return Refreshed(
            index_behind=index_behind,
            problem=str(exc),
            state=state_seen,
            snowball_seen=snowball_seen,
            notices=tuple(notices.take(library.path)),
        )
    return Refreshed(
        library_changed,
        new_marks,
        seen,
        new_index,
        behind,
        state=library.state,
        snowball=snowball_now != snowball_seen,
        snowball_seen=snowball_now,
        notices=tuple(notices.take(library.path)),  # (a search index update that failed: said once)
    )
