"""``pmbrowse check``: every file of a library looked at against the others, one line per problem.

As ``PRAGMA integrity_check`` and ``git fsck`` do, it reads everything and changes nothing:

- the base file, each record decoded and checked (``store.schema``), its CRC-32 against the one its
  document index keeps; the document index against what the base says (every column, the key
  tables, the heads, the counts; its PMID column against its heads); the journal's commits
  (checksums, seals that add up, each document and link change decoded) and the segments it lists;
  both ends of every link, and that every link leads to a document (``store.storage.verify``,
  through ``store.library``);
- the marks file and the snowball file: regular files pmbrowse can read;
- the search index: readable, and fresh for the library's state (a stale one is caught up at the next
  search, or rebuilt after a compaction: ``store.search.catchup``; so it is said but is not damage).

A healthy library of 100,000 records is checked in a few seconds (``bench``: see the README).
``pmbrowse repair`` (``store.repair``) mends what this finds.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from store.docindex import open_regular
from store.errors import PmbrowseError
from store.library import Library, check_storage
from store.marks import Marks, marks_path
from store.snowball.state import SnowballFile, snowball_path
from store.storage.segmentids import TableDamage as TableDamage  # (what an import's reads say of damage)


@dataclass
class Findings:
    """What ``check`` found: problems (one line each, naming the file) and what it looked at."""

    problems: list[str] = field(default_factory=list)
    looked_at: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not damage (a stale search index)


def not_a_file(path: Path) -> str:
    """'' when ``path`` is a regular file or missing; else what it is, in one line."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return ""
    from store.atomicwrite import kind_of

    return f"{path} is {kind_of(mode)}, not a file pmbrowse wrote"


def segments_as_listed(path: Path) -> bool:
    """Whether each segment the journal lists is there, of the size it lists: what opening the library
    asks of them first (a segment cut short by a copy interrupted or a full disk, or removed, is
    damage it says in one line). Cheap: the journal (kept short) read, each segment stat'ed; a table
    damaged inside a segment of the right size is ``check``'s (each table read against its checksum:
    1 ms a megabyte). False also when the journal cannot be read: opening the library says why."""
    from store.journal import read_tail

    real = Path(os.path.realpath(path))
    try:
        fd = open_regular(real.with_name(real.name + ".journal"))
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        raw = read_tail(fd, 0)
    except OSError:
        return False
    finally:
        os.close(fd)
    # (Its ``S`` lines alone, found by ``find``, not the whole journal replayed: a listing is written
    # as a new journal, so they are whole. One this misreads only opens the library, which says.)
    listed: list[tuple[str, int]] = []
    at = raw.find(b"\nS\t")
    while at >= 0:
        end = raw.find(b"\n", at + 1)
        parts = raw[at + 3 : end if end >= 0 else len(raw)].split(b"\t")
        if end < 0 or len(parts) != 2 or not parts[1].isdigit():
            return False
        listed.append((parts[0].decode("utf-8", "replace"), int(parts[1])))
        at = raw.find(b"\nS\t", end)
    folder = real.with_name(real.name + ".segments")
    for name, size in listed:
        try:
            st = os.stat(folder / name)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return False
    return True


def before_import(library: Library) -> str:
    """The first damage found in what an import will read of the library's segments ('' none), in one
    line naming the segment and the table: see ``store.storage.segmentcheck.before_import`` (what
    ``pmbrowse import`` asks before it writes; it costs what the import reads anyway, not the library).
    Damage elsewhere in the segments is not looked for: the import commits beside it, and ``check``
    names it."""
    from store.storage.segmentcheck import before_import as check_segments

    # (The state the library opened: its segments keep what is read of them, so the import's own
    # reads of these tables are these.)
    snap = library._reader.snap
    return check_segments(snap.segments, snap.next_id)


def check(path: Path) -> Findings:
    """Look at every file of the library at ``path`` (see the module docstring)."""
    found = Findings()
    storage = check_storage(path)
    found.problems += storage.problems
    found.looked_at += storage.looked_at
    loads: list[tuple[str, Path, Callable[[], object]]] = [
        ("marks", marks_path(path), lambda: len(Marks.open(path).all())),
        ("snowball file", snowball_path(path), lambda: len(SnowballFile.open(path).load().rounds)),
    ]
    for what, file, load in loads:
        if problem := not_a_file(file):
            found.problems.append(problem)
            continue
        if not file.exists():
            continue
        try:
            load()
        except (PmbrowseError, OSError, ValueError) as exc:
            found.problems.append(f"{file}: {exc}" if str(file) not in str(exc) else str(exc))
            continue
        found.looked_at.append(what)
    if storage.state is not None:
        _check_search(path, storage.state, found)
    return found


def _check_search(path: Path, state: tuple[str | None, int], found: Findings) -> None:
    from store.search.index import index_folder, read_meta
    from store.search.meta import META

    folder = index_folder(path)
    if not folder.exists():
        return  # (made at the first search)
    meta = read_meta(folder)
    if meta is None and not (folder / META).exists():  # (marked stale: ``forget_index``, an update failed)
        found.notes.append(f"the search index {folder} was marked stale; the next search rebuilds it")
        return
    if meta is None:
        found.problems.append(f"the search index {folder} cannot be read; `pmbrowse repair` rebuilds it")
        return
    if meta.get("library") != list(state):
        found.notes.append(
            f"the search index {folder} is of another state of the library (the next search catches it "
            "up, indexing again what changed since, or rebuilds it after a compaction; `pmbrowse repair` "
            "rebuilds it now)"
        )
        return
    from store.search.index import SearchIndex

    # (The state the base's own bytes say, not the one its document index says: a copied library's
    # index can look older than its base, to be rebuilt at the next open, its search index still true.)
    index = SearchIndex.open_if_fresh(path, state)
    if index is None:
        found.problems.append(
            f"the search index {folder} does not hold what its record says; `pmbrowse repair` rebuilds it"
        )
        return
    found.looked_at.append(f"the search index ({index.count():,} documents)")
