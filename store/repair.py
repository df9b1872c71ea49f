"""``pmbrowse repair``: every derived file rebuilt from the base and the journal; what cannot be read
set aside, never deleted.

What it does, in order (each step said in one line):

- anything that is not a regular file where a library's file should be (a FIFO, a link to a device, a
  folder) is renamed aside (``NAME.damaged-<UTC time>``) — the journal's commits it cannot read are
  then lost to the library, but not deleted;
- a command killed mid-commit across files (``store.intent``) is settled first, as before any write;
- the library's storage (``store.storage.repair``): a base whose records cannot all be read is written
  anew from those that can (the old one set aside); the journal's commits whose checksums match are
  kept (a damaged one, and a tail cut by a crash, left out: the old journal is set aside whole); all of
  it is written as a new generation of the base with its document index, counted anew;
- the search index is rebuilt;
- a marks or snowball file pmbrowse cannot read is set aside (its bytes kept) so the library can be
  used again; the README says how to look at what was set aside.

Repair holds the library's write lock throughout; killed at any instant, it leaves the library as it
was or as repaired (the new generation's rename is the commit point), and whatever it had set aside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from store.check import not_a_file
from store.errors import PmbrowseError, os_reason
from store.intent import settle
from store.library import Library, repair_storage, set_aside
from store.marks import Marks, marks_path
from store.snowball.state import SnowballFile, snowball_path


def repair(path: Path) -> list[str]:
    """Repair the library at ``path``; returns what was done, one line each."""
    # A command killed mid-commit across files is finished or undone first (``store.intent``): the
    # new generation moves the library's commit token on, which would otherwise roll it forward.
    settle(path, Library.commit_token)
    done = repair_storage(path)
    loads: list[tuple[Path, Callable[[], object]]] = [
        (marks_path(path), lambda: Marks.open(path).all()),
        (snowball_path(path), lambda: SnowballFile.open(path).load()),
    ]
    for file, load in loads:
        problem = not_a_file(file)
        if not problem and file.exists():
            try:
                load()
            except (PmbrowseError, OSError, ValueError) as exc:
                problem = str(exc)
        if problem:
            aside = set_aside(file)
            why = problem.removesuffix("; it was left as it is")
            done.append(f"set aside {file} as {aside.name} ({why}); a new one is started")
    from store.search.index import SearchIndex, forget_index

    forget_index(path)
    library = Library.open(path, demo=False)
    try:
        try:
            index = SearchIndex.for_library(library)
        except OSError as exc:  # (a full disk: what was repaired stays so)
            raise IndexNotRebuilt(done, exc) from None
        done.append(f"rebuilt the search index ({index.count():,} documents)")
    finally:
        library.close()
    return done


class IndexNotRebuilt(PmbrowseError):
    """The library's files were repaired (``done``: what was done), its search index not rebuilt (a
    full disk). Before stop 35 the command said the index's failure alone, and not what was repaired
    and set aside."""

    def __init__(self, done: list[str], exc: OSError) -> None:
        super().__init__(
            f"the library's files were repaired, but its search index could not be rebuilt "
            f"({os_reason(exc)}); the next search rebuilds it, or `pmbrowse repair` once there is room"
        )
        self.done = done
