"""Catching the search index up with the commits it missed, instead of rebuilding it whole.

The index is committed after the library (``store.search.feed``): Ctrl-C, SIGTERM and SIGHUP are held
off between the two (``store.interrupts``), but a ``kill -9`` or a power cut there leaves an index of
the state before. Until stop 31 the next search then rebuilt the whole index (190 s at a million
records). Now the index's record (``pmbrowse-index.json``) also says which *layers* it reflects: the
segments the journal listed, and the journal itself up to the state's end (its length and the CRC-32
of its bytes to there). A document changed since then is in a layer the index has not seen:

- in the same journal (its bytes to the recorded end unchanged) after that end: only those documents;
- in a journal rewritten since (a listing of segments renamed over it: a bulk import, a merge, the
  journal made a segment), anywhere in it;
- in a segment not listed then (segment names are random and never reused), anywhere in it: a
  journal's commits made a segment, an import's batches, a merge of segments listed then.

Those documents are indexed again as they are now (removed ones dropped), in one tantivy commit, and
the record written for the state read (``catch_up``). Re-indexing a document that did not change is
harmless, so where a layer cannot be told apart it is taken whole. A base of another generation (a
fold: ``pmbrowse compact``, a command's end, an import into an empty library) holds every document
anew: the index is then rebuilt as before, and a record without layers (written by an earlier version)
too.

The layers are recorded with each write of the record. Where the index is written after the library's
lock was let go (``after_write``, ``IndexFeed.commit``), they are taken from the state the library
holds when it is the one the record names (its journal's bytes read through the snapshot's own
descriptor: a journal another process renamed in since is another file; since stop 32). Otherwise
(another thread committed since) they are read from the journal on disk, which another process may
have rewritten meanwhile: they are recorded only when the journal there has a commit ending at the
state's end whose seal names the library's next id as the state has it (a listing of another import's
segments would name another), else the record has none and a missed commit after it costs a rebuild,
as before. From the disk, the journal's bytes to the state's end are read for their CRC-32; from the
snapshot, the CRC is kept running as its commits are taken in (``crc_through``: the journal read
whole once, then each new commit's bytes; since stop 33: it was read whole at each write).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

from store.docindex import open_regular
from store.errors import PmbrowseError
from store.interrupts import held_off
from store.journal import Replay, read_header
from store.notices import say
from store.search.fields import add_to
from store.search.meta import index_folder, read_meta, write_meta
from store.search.writer import let_go, open_writer
from store.storage import open_storage
from store.storage.reader import state_of
from store.storage.snapshot import Snapshot

Layers = dict[str, Any]
State = tuple[str | None, int]
T = TypeVar("T")


class Layered(Protocol):
    """What ``layers_now`` needs of a library (``store.library.Library`` is one)."""

    @property
    def path(self) -> Path: ...

    @property
    def state(self) -> tuple[str | None, int]: ...

    @property
    def next_id(self) -> int: ...


def catch_up(library_path: Path, open_index: Callable[[], Any]) -> tuple[Any, tuple[str | None, int]] | None:
    """Bring the index of the library at ``library_path`` (``open_index()``: its tantivy index) to the
    library's committed state, indexing again the documents of the layers it has not seen; the index
    and that state, or None when that cannot be told, or fails. The caller holds the index's lock. Its
    writer is an update's (``open_writer``: tantivy's automatic threads split the budget in two)."""
    folder = index_folder(library_path)
    meta = read_meta(folder)
    if meta is None or not isinstance(meta.get("layers"), dict) or not isinstance(meta.get("library"), list):
        return None
    try:
        storage = open_storage(library_path)
    except (PmbrowseError, OSError):
        return None
    try:
        snap = storage.reader.current()
        state = storage.reader.state
        if not meta["library"] or meta["library"][0] != state[0]:
            return None  # (a fold since, every document in a new base; or a base edited in place)
        changed = changed_since(meta["layers"], snap)
        if changed is None:
            return None
        index = open_index()
        if index.searcher().num_docs == 0 and meta.get("docs"):
            return None  # (tantivy's own meta.json lost: it made an empty index)
        layers = layers_of_snapshot(snap)
        with held_off():  # (short: a cut here leaves the record as it was, and the next search again)
            if changed:
                writer = open_writer(index, collect=True)  # (what killed writers left: removed)
                try:
                    for doc_id in sorted(changed):
                        writer.delete_documents_by_term("doc_id", doc_id)
                        doc = snap.doc(doc_id)
                        if doc is not None:
                            add_to(writer, doc_id, doc, snap.link_counts(doc_id)[1])
                except BaseException:
                    let_go(writer)  # (its lock let go: the caller rebuilds)
                    raise
                writer.commit()
                writer.wait_merging_threads()
                index.reload()
            write_meta(folder, state, int(index.searcher().num_docs), layers)
        return index, state
    except (PmbrowseError, ValueError, OSError):
        return None
    finally:
        storage.close()


def missed_fold(folder: Path, meta: dict[str, Any] | None, state: State) -> str:
    """What to say of an index (in ``folder``, its record ``meta``) rebuilt whole for the library's
    ``state`` because it is of the library before a fold ('' when it is not: none yet, unreadable, or
    of the same base)."""
    if meta is None or not isinstance(meta.get("library"), list) or not meta["library"]:
        return ""
    if meta["library"][0] == state[0]:
        return ""
    return (
        f"the search index {folder} was of the library before its records were folded into a new base "
        "(a compaction or an import it missed: a process stopped between the two); it was rebuilt whole"
    )


def rebuilt(library: Layered, rebuild: Callable[[Any], T]) -> T:
    """``rebuild(library)``, for an index that could not be caught up: one of the library before a fold
    it missed (a kill -9 between a compaction's or an import's new base and the index's record) is said,
    as opening the library says what it rebuilt (``store.notices``: a command prints it on stderr, the
    app shows it as it loads), since rebuilding costs minutes at a million records (until stop 32 it
    was silent). The caller holds the index's lock."""
    folder = index_folder(library.path)
    line = missed_fold(folder, read_meta(folder), library.state)
    index = rebuild(library)
    if line:
        say(getattr(library, "notices", []), library.path, line)
    return index


def layers_now(library: Layered, state: tuple[str | None, int]) -> Layers | None:
    """The layers of ``state`` when the library is at that state: from the state it holds (its
    snapshot's journal, through the snapshot's own descriptor), else read from the journal on disk (its
    next id then checks the commit found there: see the module docstring); else None."""
    try:
        if library.state != state:
            return None
        # (The state the library holds, when it is this one: its journal's own bytes, read through
        # its own descriptor, whatever another process renamed in since.)
        snap = getattr(getattr(library, "_reader", None), "snap", None)
        if isinstance(snap, Snapshot) and state_of(snap) == state:
            return layers_of_snapshot(snap)
        return layers_on_disk(library.path, state, library.next_id)
    except (PmbrowseError, OSError):
        return None


def generation_of(state_name: str | None) -> str | None:
    """The generation in a state's first part (``GENERATION.CRC``)."""
    return state_name.split(".", 1)[0] if state_name else None


def layers_of(raw: bytes, end: int, next_id: int | None = None) -> Layers | None:
    """The layers of a journal whose bytes begin with ``raw``, as of its commit ending at ``end``: the
    segments it lists and the CRC-32 of its bytes to ``end``; None when no commit ends there (or,
    ``next_id`` given, that commit's seal names another next id)."""
    if len(raw) < end:
        return None
    _generation, start = read_header(raw)
    if start == 0 or end < start:
        return None
    if end > start:
        line_start = raw.rfind(b"\n", 0, end - 1) + 1
        if raw[end - 1 : end] != b"\n" or not raw.startswith(b"#\t", line_start):
            return None
        if next_id is not None:
            try:
                seal = orjson.loads(raw[line_start:end].split(b"\t", 2)[2])
            except (IndexError, orjson.JSONDecodeError):
                return None
            if not isinstance(seal, dict) or seal.get("next_id") != next_id:
                return None
    segments: list[str] = []
    pos = start
    while raw.startswith(b"S\t", pos) and pos < end:  # (a listing comes first: ``store.journal``)
        line_end = raw.find(b"\n", pos)
        segments.append(raw[pos + 2 : line_end].split(b"\t")[0].decode("utf-8", "replace"))
        pos = line_end + 1
    return {"end": end, "crc": zlib.crc32(raw[:end]), "segments": segments}


def no_journal() -> Layers:
    return {"end": 0, "crc": 0, "segments": []}


def layers_on_disk(library_path: Path, state: tuple[str | None, int], next_id: int | None) -> Layers | None:
    """The layers of ``state`` as read from the journal on disk now (see the module docstring)."""
    if state[1] == 0:
        return no_journal()
    real = Path(os.path.realpath(library_path))
    try:
        fd = open_regular(real.with_name(real.name + ".journal"))
    except OSError:
        return None
    try:
        raw = os.pread(fd, state[1], 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    generation, _start = read_header(raw)
    if generation is None or generation != generation_of(state[0]):
        return None
    return layers_of(raw, state[1], next_id)


def layers_of_snapshot(snap: Snapshot) -> Layers | None:
    """The layers of an open state (read through its own descriptor: no other process's rewrite)."""
    journal = snap.journal
    if not snap.live_journal or journal is None or snap.journal_file is None:
        return no_journal()
    crc = crc_through(journal, snap.journal_file.pread)
    return {"end": journal.end, "crc": crc, "segments": [name for name, _size in journal.segments]}


def crc_through(journal: Replay, read: Callable[[int, int], bytes]) -> int:
    """The CRC-32 of a state's journal's bytes to its end, ``read(length, offset)`` reading those not yet
    counted: all of them the first time, then only the commits taken in since, as the count is kept in
    the journal's tables (``Replay.crc``), which each new state copies (``store.storage.reader``).
    Until stop 33 the journal was read to its end again at each write of the index's record."""
    known = journal.crc
    at, crc = known if known is not None and known[0] <= journal.end else (0, 0)
    if at < journal.end:
        raw = read(journal.end - at, at)
        if len(raw) != journal.end - at:
            raise OSError(f"the journal is shorter than its commits ({at + len(raw)} of {journal.end} bytes)")
        crc = zlib.crc32(raw, crc)
        journal.crc = (journal.end, crc)  # (one assignment: a thread reading it sees the old or the new)
    return crc


def changed_since(recorded: Layers, snap: Snapshot) -> set[int] | None:
    """The documents a state's layers may have changed since the ``recorded`` ones (see the module
    docstring); None when that cannot be told (a record of another shape)."""
    try:
        end, crc, listed = int(recorded["end"]), int(recorded["crc"]), set(recorded["segments"])
    except (KeyError, TypeError, ValueError):
        return None
    changed: set[int] = set()
    for segment in snap.segments:
        if segment.name not in listed:
            changed.update(doc_id for doc_id, _removed in segment.ids())
    journal = snap.journal
    if not snap.live_journal or journal is None or snap.journal_file is None:
        return changed
    same = 0 < end <= journal.end and zlib.crc32(snap.journal_file.pread(end, 0)) == crc
    for doc_id, where in journal.docs.items():
        if not same or where is None or where[0] >= end:  # (a removal's place is not kept: taken again)
            changed.add(doc_id)
    return changed
