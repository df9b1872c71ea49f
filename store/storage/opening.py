"""Opening a library's newest state: the base (converted first if it is of another version or layout),
its index (rebuilt if lost or of another generation), the journal's sealed commits, and the segments
the journal lists. A commit or compaction may swap files while this runs: then it says to look again
(``SWAPPED``: ``store.storage.reader`` does if the files changed), or to wait for the index that a
compaction renames in after its base (``OTHER_GENERATION``).
"""

from __future__ import annotations

import os
import stat
import weakref
from typing import Any

from store import earlyindex, fileformat, notices
from store.atomicwrite import NotARegularFile
from store.docindex import OLDER_VERSION, DocIndex, IndexFileError, open_regular
from store.errors import LibraryFileError
from store.journal import Replay, read_header, read_tail, replay
from store.schema import SCHEMA_VERSION
from store.storage import leftindex
from store.storage.files import LibraryFiles
from store.storage.segment import SegmentError, SegmentFile
from store.storage.snapshot import Snapshot, index_current

REPAIR = "`pmbrowse repair` sets it aside and rebuilds what it held"
# (What a message of a damaged segment ends with: every command that opens the library says it.)
CHECK_AND_REPAIR = "`pmbrowse check` says what is damaged and `pmbrowse repair` mends it"

COUNTS = ("records", "stubs", "links")


def file_id(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


# Why a try did not open the library (``try_open``): what it read was swapped under it (a new base or
# journal renamed in, and what the old one listed removed; or the library converted): look again.
SWAPPED = "swapped"
# (Or ``OTHER_GENERATION``, below: a base whose index is of another generation while a writer holds the
# lock, which may be a compaction between its two renames, the base's first, for an instant. A crash
# there left the new index beside the library: ``store.storage.leftindex`` puts it in place.)


def try_open(files: LibraryFiles, *, final: bool) -> Snapshot | str:
    """The newest state on disk, opened; or why not yet (``SWAPPED``, ``OTHER_GENERATION``: look again).
    ``final``: the last try, which says what it met (rebuilds the index, names a damaged segment)."""
    snap = Snapshot(files.path)
    try:
        mode = os.stat(files.path).st_mode
    except FileNotFoundError:
        return snap  # a new library: nothing yet
    except OSError as exc:
        raise LibraryFileError(f"cannot read the library {files.path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise LibraryFileError(f"{files.path} is {kind}, not a library file; choose a file with --db")
    try:
        fd = os.open(files.path, os.O_RDONLY)
    except FileNotFoundError:
        return snap
    except OSError as exc:
        raise LibraryFileError(f"cannot read the library {files.path}: {exc.strerror or exc}") from None
    snap.base_fd = fd
    assert snap.base_file is not None
    snap.base_file.own()  # (a library dropped unclosed closes it as it is freed: ``store.openfile``)
    try:
        st = os.fstat(fd)
        snap.base_id, snap.base_size, snap.base_mtime = file_id(st), st.st_size, st.st_mtime_ns
        header = _read_base(snap)
        if header is None:
            seen = (snap.base_id, snap.base_size, snap.base_mtime)
            snap.close()
            from store.storage import conversion

            conversion.convert(files, seen)
            return SWAPPED  # open it again, now in this version's layout
        snap.generation = str(header["generation"])
        why = _open_index(files, snap, st)
        if why == OTHER_GENERATION and not final:
            # Maybe a compaction between its two renames (the base first, then the index), so look
            # again before rebuilding it.
            snap.close()
            return OTHER_GENERATION
        if snap.index is None:
            from store.storage import conversion

            snap.index = conversion.rebuild_index(files, snap, "" if why == OTHER_GENERATION else why)
        snap.reindex = snap.index.on_damage = Reindex(files, snap)  # (a damaged block: ``store.indexcheck``)
        _open_journal(files, snap)
        if not _open_segments(files, snap, final=final):
            snap.close()
            return SWAPPED
        try:
            still = file_id(os.stat(files.path)) == snap.base_id
        except FileNotFoundError:
            still = False
        if not still and not final:
            # A compaction replaced the base after we opened it, and the journal we read may be
            # the new one (whose commits our base lacks): start again from the new base.
            snap.close()
            return SWAPPED
        return snap
    except BaseException:
        snap.close()
        raise


def _read_base(snap: Snapshot) -> dict[str, Any] | None:
    """Check the base's header; None when it must be converted (an older schema, or a layout other
    than one record per line). The base is read with ``pread`` as it is needed, never mapped (a base
    cut short under a reader is then a short read, said in one line, never a SIGBUS)."""
    assert snap.base_fd is not None
    if snap.base_size == 0:
        raise LibraryFileError(
            f"{snap.path} is empty, so it is not a pmbrowse library; it was left as it is "
            "(remove it, or choose another file with --db)"
        )
    header, start = fileformat.read_base_header(os.pread(snap.base_fd, 65536, 0))
    if header is None or header.get("app") != "pmbrowse" or "generation" not in header:
        return None
    schema = header.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema != SCHEMA_VERSION:
        return None  # the conversion says what is wrong, or converts
    if header.get("kind", "library") != "library":
        return None
    snap.docs_start = start
    return header


OTHER_GENERATION = "is of another generation"


def _open_index(files: LibraryFiles, snap: Snapshot, base: os.stat_result) -> str:
    """Open the base's index into ``snap``; else say why not ("" when it is missing,
    ``OTHER_GENERATION``, or what is wrong with it: it is rebuilt, with a notice saying so). A FIFO or a
    device in its place is refused (``LibraryFileError``): it is not pmbrowse's to replace."""
    try:
        # (the app's first page began opening and checking it first thing: ``store.earlyindex``)
        early = earlyindex.take(files.index_path) if files.check_index_later else None
        index = early or DocIndex(files.index_path, check_later=files.check_index_later)
    except NotARegularFile as exc:
        raise LibraryFileError(
            f"{files.index_path} is {exc.what}, not a file pmbrowse wrote; {REPAIR}"
        ) from None
    except IndexFileError as exc:
        if not os.path.lexists(files.index_path):
            return ""
        if exc.reason == OLDER_VERSION:
            return "was written by another version of pmbrowse"
        return f"is damaged ({exc.reason})"
    if index.generation != snap.generation:
        index.close()
        # A compaction between its two renames, for an instant (look again), or killed there: then
        # its new index is left beside the library (``store.storage.leftindex``).
        assert snap.generation is not None
        assert snap.base_fd is not None
        found = leftindex.put_in_place(files, snap.generation, snap.base_fd)
        if found == leftindex.BUSY:
            return OTHER_GENERATION
        if found == leftindex.NONE_LEFT:
            return ""  # (rebuilt at once: nothing else will put one in place)
        return _open_index(files, snap, base)
    if not index_current(index, files.index_path, base):
        # A copied library (new times), or a base changed in place (edited, truncated): then the
        # index's offsets are not to be trusted. Which of the two the base's bytes tell.
        index.close()
        from store.storage import conversion

        reused = conversion.reuse_index(files, snap, index)
        if isinstance(reused, str):
            return reused
        snap.index = reused
        return ""
    snap.index = index
    return ""


def _open_journal(files: LibraryFiles, snap: Snapshot) -> None:
    journal_path = files.journal_path
    try:
        fd: int | None = open_regular(journal_path)
    except FileNotFoundError:
        fd = None
    except NotARegularFile as exc:
        raise LibraryFileError(f"{journal_path} is {exc.what}, not a file pmbrowse wrote; {REPAIR}") from None
    except OSError as exc:
        raise LibraryFileError(f"cannot read {journal_path}: {exc.strerror or exc}") from None
    assert snap.index is not None
    snap.counts = dict(snap.index.counts)
    snap.next_id = snap.index.next_id
    snap.journal = Replay(start={"counts": dict(snap.index.counts), "next_id": snap.index.next_id})
    if fd is None:
        return
    snap.journal_fd = fd
    assert snap.journal_file is not None
    snap.journal_file.own()
    snap.journal_id = file_id(os.fstat(fd))
    try:
        raw = read_tail(fd, 0)
    except OSError as exc:
        raise LibraryFileError(f"cannot read {journal_path}: {exc.strerror or exc}") from None
    generation, start = read_header(raw)
    snap.journal.generation = generation
    snap.journal.scanned = len(raw)
    if generation is None and raw:
        damaged(files, snap, f"{journal_path} is damaged (its first line is not a journal header)")
        return
    if generation != snap.generation:
        return  # obsolete: its commits are in the base already (see ``store.storage``)
    snap.journal.end = start
    replay_into(files, snap, raw[start:], start)


def damaged(files: LibraryFiles, snap: Snapshot, what: str) -> None:
    """Damage in the journal: reads go on from the last good commit, with a one-line notice; writes
    are refused (``store.storage.committer``) until ``pmbrowse repair``."""
    if not snap.damage:
        notices.say(
            files.notices,
            files.path,
            f"{what}; the library is read as it was before it, and changes are refused until "
            "`pmbrowse repair` (which keeps the damaged bytes aside)",
        )
    snap.damage = what


def _open_segments(files: LibraryFiles, snap: Snapshot, *, final: bool) -> bool:
    """Open the segments the journal lists (False: one is missing, perhaps removed by a compaction
    since the journal was read: look again)."""
    if not snap.live_journal or snap.journal is None:
        return True
    for name, size in snap.journal.segments[len(snap.segments) :]:
        try:
            segment = SegmentFile(files.segments_path / name, size)
        except SegmentError as exc:
            if not final:
                return False
            raise LibraryFileError(
                f"the library's segment {exc} (the journal {files.journal_path} lists it); "
                f"the library was left as it is; {CHECK_AND_REPAIR}"
            ) from None
        if segment.generation != snap.generation:
            raise LibraryFileError(
                f"{files.segments_path / name} belongs to another version of the library "
                f"than {snap.path}; the library was left as it is; {CHECK_AND_REPAIR}"
            )
        snap.segments.append(segment)
    return True


def replay_into(files: LibraryFiles, snap: Snapshot, raw: bytes, at: int) -> None:
    assert snap.journal is not None
    replay(raw, snap.journal, at)
    if snap.journal.damaged is not None:
        damaged(files, snap, f"{files.journal_path} is damaged: {snap.journal.problem}")
    meta = snap.journal.meta
    if meta is not None:  # (checked by ``replay``: numbers of 0 or more)
        snap.counts = {k: meta["counts"][k] for k in COUNTS}
        snap.next_id = meta["next_id"]


class Reindex:
    """A state's ``reindex``: rebuilds the index from the base when what it says does not match what is
    read. It holds the base (its ``OpenFile`` and what the header and ``fstat`` said), not the state:
    held by the state, it made a cycle that only the garbage collector frees, which the app pauses
    (``tui.collector``), and, passed on to every state a catch-up makes from that one
    (``dataclasses.replace``), it kept the state the library was opened in (its journal's tables) for
    as long as any of them lived. It holds the library's files weakly for the same reason: the files'
    current state holds it (``files.snap.reindex``), so a library let go was freed only at the
    collector's next pass. A state read after its library was let go (a reader still holding it)
    rebuilds through files of its own, which say their notice to no one."""

    __slots__ = ("base", "files", "lock_timeout")

    def __init__(self, files: LibraryFiles, snap: Snapshot) -> None:
        self.files = weakref.ref(files)
        self.lock_timeout = files.lock_timeout
        self.base = Snapshot(  # (the same ``OpenFile``: given with its descriptor)
            snap.path,
            base_file=snap.base_file,
            base_fd=snap.base_fd,
            base_id=snap.base_id,
            base_size=snap.base_size,
            base_mtime=snap.base_mtime,
            docs_start=snap.docs_start,
            generation=snap.generation,
        )

    def __call__(self, reason: str) -> DocIndex:
        from store.storage import conversion

        assert self.base.base_file is not None
        with self.base.base_file.held():  # (``FileClosed`` once closed: never another file's bytes)
            files = self.files() or LibraryFiles(self.base.path, self.lock_timeout)
            index = conversion.rebuild_index(files, self.base, f"is damaged: {reason}")
            index.on_damage = self
            return index
