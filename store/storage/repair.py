"""Repairing a library's storage (``pmbrowse repair``): everything it still holds written as a new
generation, what it cannot read set aside (renamed or linked to ``NAME.damaged-<UTC time>``), never
deleted.

Under the write lock:

1. a FIFO, device, folder or link to one in place of the document index or the journal is renamed
   aside;
2. the base is read whole (``store.storage.basescan``); if some of its records cannot be read (or it
   is cut off), a base of the same generation is written from those that can, the old one set aside
   first (so the journal, which extends that generation, still applies);
3. the journal's commits whose checksums match are kept (``store.journal.salvage``), and of those, the
   documents and link changes that decode; if anything was left out, the journal is set aside whole
   (a hard link, so the bytes stay as they were) before it is replaced;
4. all of it — base, segments, the kept commits — is written as a new generation
   (``store.storage.generation.write_state``), counted anew; its rename is the commit point, so a
   repair killed at any instant leaves the library as it was, or repaired, and whatever it had set
   aside. One that fails before it (a full disk) takes back the copies it kept of files still in place
   (``store.storage.setaside.copies_taken_back``): run again and again, it leaves nothing new.
"""

from __future__ import annotations

import contextlib
import os
import stat
from array import array
from pathlib import Path

from store.atomicwrite import kind_of
from store.docindex import DocIndex, open_regular
from store.errors import LibraryFileError
from store.journal import Replay, read_header, read_tail, salvage
from store.lock import write_lock
from store.schema import ARTICLES_TABLE
from store.storage import links as linkrec
from store.storage.basescan import base_layout, scan_base
from store.storage.files import LibraryFiles
from store.storage.fold import write_state
from store.storage.generation import Builder
from store.storage.indexwriter import in_memory
from store.storage.mending import mend
from store.storage.meta import head_of, meta_of
from store.storage.segment import SegmentError, SegmentFile
from store.storage.segmentids import TableDamage, check_all
from store.storage.segmentwriter import DOC_COLUMNS, LINK_COLUMNS
from store.storage.setaside import copies_taken_back
from store.storage.setaside import set_aside as set_aside  # (imported from here: ``store.library``)
from store.storage.snapshot import Snapshot, decode, decode_links


def repair(path: Path, lock_timeout: float | None = None) -> list[str]:
    """Repair the storage of the library at ``path`` (see the module docstring); returns what was
    done, one line each."""
    files = LibraryFiles(path, lock_timeout)
    done: list[str] = []
    with files.threads, write_lock(files.path, lock_timeout):
        for file in (files.index_path, files.journal_path):
            with contextlib.suppress(FileNotFoundError):
                mode = os.stat(file).st_mode
                if not stat.S_ISREG(mode):
                    aside = set_aside(file)
                    done.append(f"set aside {file} as {aside.name} (it was {kind_of(mode)})")
        fd = open_regular(files.path)
        try:
            generation, start = _header(files, fd)
            scan = scan_base(files.path, fd, os.fstat(fd), generation, start, lenient=True)
            if scan.problems:
                with copies_taken_back(files):
                    done += _salvage_base(files, fd, generation, start, scan.skipped)
        finally:
            os.close(fd)
        with copies_taken_back(files):
            commits = _generation(files, start, generation, done)
        index = DocIndex(files.index_path)
        counts = index.counts
        index.close()
        done.append(
            f"wrote {files.path.name} anew with its index: {counts['records']:,} records, "
            f"{counts['stubs']:,} stubs, {counts['links']:,} links"
            + (f" ({commits} commits of the journal folded in)" if commits else "")
        )
    return done


def _generation(files: LibraryFiles, start: int, generation: str, done: list[str]) -> int:
    """The new generation written from what the base, the segments and the journal hold that can be
    read (what cannot, set aside); the journal's commits folded in."""
    fd = open_regular(files.path)
    st = os.fstat(fd)
    snap = Snapshot(files.path, base_fd=fd, base_size=st.st_size, docs_start=start, generation=generation)
    try:
        scan = scan_base(files.path, fd, st, generation, start)
        snap.base_id, snap.base_mtime = (st.st_dev, st.st_ino), st.st_mtime_ns
        snap.index = in_memory(scan.data)
        snap.counts, snap.next_id = dict(scan.data.counts), scan.data.next_id
        journal_cut = _journal(files, snap, done)
        meta = snap.journal.meta if snap.journal is not None and snap.live_journal else None
        next_id = max(snap.next_id, int((meta or {}).get("next_id", 0)))
        gap = _segments(files, snap, next_id, done)
        commits = snap.journal.commits if snap.journal is not None and snap.live_journal else 0
        changes = _agreeing(files, snap, gap, journal_cut, done)
        write_state(files, snap, {}, changes, next_id=next_id, counts=None, derive=done)
    finally:
        snap.close()
    return commits


def _header(files: LibraryFiles, fd: int) -> tuple[str, int]:
    found = base_layout(fd)
    if found is None:
        raise LibraryFileError(
            f"{files.path} is not a library in this version's layout; open it once (`pmbrowse stats`) "
            "to convert it, then repair it"
        )
    return found


def _salvage_base(files: LibraryFiles, fd: int, generation: str, start: int, skipped: int) -> list[str]:
    """A base of the same generation from the records of the old one that can be read."""
    st = os.fstat(fd)
    builder = Builder(files, 0, generation=generation)
    try:
        links = False

        def add(table: str, doc_id: int, raw: bytes) -> None:
            nonlocal links
            if table == ARTICLES_TABLE:
                doc = decode(files.path, raw, doc_id)
                from store.merge import doc_keys

                builder.grow(doc_id)
                builder.add_doc(doc_id, raw, meta_of(doc), head_of(doc), doc_keys(doc))  # type: ignore[arg-type]
                return
            if not links:
                builder.start_links()
                links = True
            record = decode_links(files.path, raw, doc_id)
            refs = len(dict.fromkeys(record.get("references") or ()))  # type: ignore[call-overload]
            cited = len(dict.fromkeys(record.get("cited_by") or ()))  # type: ignore[call-overload]
            builder.grow(doc_id)
            builder.add_links(doc_id, raw, refs, cited)

        scan_base(files.path, fd, st, generation, start, lenient=True, on_record=add)
        aside = set_aside(files.path, copy=True)
        builder.finish(0, journal=False)
    except BaseException:
        builder.discard()
        raise
    return [
        f"set aside {files.path} as {aside.name}: {skipped} of its records could not be read; "
        f"{files.path.name} was written anew from the others"
    ]


def _journal(files: LibraryFiles, snap: Snapshot, done: list[str]) -> bool:
    """Read what can be read of the journal into ``snap``; set the journal aside if anything was
    left out (and say whether it was)."""
    try:
        fd = open_regular(files.journal_path)
    except FileNotFoundError:
        snap.journal = Replay()
        return False
    snap.journal_fd = fd
    st = os.fstat(fd)
    snap.journal_id = (st.st_dev, st.st_ino)
    raw = read_tail(fd, 0)
    journal_generation, start = read_header(raw)
    left_out: list[str] = []
    if journal_generation is None and raw:
        # A damaged header: read on as though it named the base (its seals say whether it did).
        start = raw.find(b"\n") + 1 if b"\n" in raw else len(raw)
        left_out.append("its first line (not a journal header)")
        journal_generation = snap.generation
    if journal_generation != snap.generation:
        snap.journal = Replay(generation=journal_generation)
        return False  # (obsolete: its commits are in the base)
    found = salvage(raw[start:], start, snap.generation)
    journal = found.replay
    left_out += found.left_out
    for doc_id, where in list(journal.docs.items()):
        if where is None:
            continue
        try:
            decode(files.journal_path, raw[where[0] : where[0] + where[1]], doc_id)
        except LibraryFileError:
            del journal.docs[doc_id]
            left_out.append(f"document {doc_id} of commit {journal.commit_at(where[0])} (not valid)")
    for doc_id, wheres in list(journal.links.items()):
        good = []
        for where in wheres:
            try:
                decode_links(files.journal_path, raw[where[0] : where[0] + where[1]], doc_id)
                good.append(where)
            except LibraryFileError:
                left_out.append(f"the links of document {doc_id} in commit {journal.commit_at(where[0])}")
        journal.links[doc_id] = good
    snap.journal = journal
    if left_out or found.loosened:
        aside = set_aside(files.journal_path, copy=True)
        what = "; ".join(left_out + [f"{c} (taken, counted anew)" for c in found.loosened])
        done.append(f"set aside {files.journal_path} as {aside.name} (left out: {what})")
        return True
    return False


def _segments(files: LibraryFiles, snap: Snapshot, next_id: int, done: list[str]) -> int | None:
    """The segments the journal lists that can be read; the others set aside (among them those whose
    tables name ids past ``next_id``, or out of order: which document each row is cannot be told).
    Returns where the first set aside was among those kept (None: none was)."""
    gap: int | None = None
    if not snap.live_journal or snap.journal is None:
        return gap
    for name, size in snap.journal.segments:
        path = files.segments_path / name
        try:
            segment = _segment(path, size, snap.generation, next_id)
        except SegmentError as exc:
            try:  # (its tables made anew from its documents, where they can be told apart)
                segment, what = mend(path, str(snap.generation), next_id)
            except SegmentError as why:
                if os.path.lexists(path):
                    # (out of the segments' folder, which the new generation empties)
                    aside = set_aside(path, into=files.path.parent, name=f"{files.segments_path.name}.{name}")
                    done.append(f"set aside the segment {name} as {aside.name} ({exc}{_why(why, exc, path)})")
                gap = len(snap.segments) if gap is None else gap
                continue
            # (its bytes kept as they were, a hard link: the new generation empties the folder)
            aside = set_aside(
                path, copy=True, into=files.path.parent, name=f"{files.segments_path.name}.{name}"
            )
            done.append(
                f"read the segment {name} past its damage ({exc}): {what}; every document it holds is "
                f"kept (its bytes as they were kept aside as {aside.name})"
            )
        segment, bad = _without_bad_links(segment, str(snap.generation))
        if bad:
            aside = set_aside(
                path, copy=True, into=files.path.parent, name=f"{files.segments_path.name}.{name}"
            )
            shown = ", ".join(str(d) for d in bad[:5]) + (" and more" if len(bad) > 5 else "")
            done.append(
                f"left out the link changes of {len(bad)} documents in the segment {name} ({shown}: not "
                f"valid); every document it holds is kept, their links made to agree from the other ends "
                f"(its bytes as they were kept aside as {aside.name})"
            )
            gap = len(snap.segments) if gap is None else gap  # (``_agreeing`` walks it and what is newer)
        snap.segments.append(segment)
    return gap


def _without_bad_links(segment: SegmentFile, generation: str) -> tuple[SegmentFile, list[int]]:
    """The segment without its link changes that do not decode, and whose they were. Its tables
    intact, such a change was kept and stopped the repair's fold (``fold._compose``): ``check`` said
    `repair` mended it, and `repair` said the same line. Left out, the document's links are made to
    agree from their other ends (a commit changed both ends together: ``_agreeing``)."""
    ids = segment.column("link_ids")
    bad: list[int] = []
    for i, doc_id in enumerate(ids):
        try:
            change = segment.link_change(doc_id)
            if change is not None:
                decode_links(segment.path, change, doc_id)
        except LibraryFileError:
            bad.append(i)
    if not bad:
        return segment, []
    left = set(bad)
    columns = {f"doc_{name}": segment.column(f"doc_{name}") for name, _code in DOC_COLUMNS}
    for name, code in LINK_COLUMNS:
        column = segment.column(f"link_{name}")
        columns[f"link_{name}"] = array(code, (v for i, v in enumerate(column) if i not in left))
    fd = open_regular(segment.path)
    try:
        kept = SegmentFile.mended(segment.path, fd, os.fstat(fd).st_size, generation, columns)
    except BaseException:
        os.close(fd)
        raise
    segment.close()
    return kept, [ids[i] for i in bad]


def _why(why: SegmentError, exc: SegmentError, path: Path) -> str:
    """Why a segment could not be read past its damage, unless that is what was said already."""
    detail = str(why).removeprefix(f"{path} ").removeprefix("is damaged ").removeprefix("(").removesuffix(")")
    return "" if str(why) == str(exc) else f"; not read past it: {detail}"


def _segment(path: Path, size: int, generation: str | None, next_id: int) -> SegmentFile:
    """A listed segment, opened, of this generation, with the tables that say where each document
    and link change is, and which, matching their checksums (the rest is derived anew)."""
    segment = SegmentFile(path, size)
    if segment.generation != generation:
        segment.close()
        raise SegmentError(f"{path} is of another generation")
    try:
        check_all(segment, next_id, ordered=True, keys=False)
        for column in ("doc_off", "doc_len", "link_off", "link_len"):
            segment.column(column)
    except TableDamage as exc:
        segment.close()
        raise SegmentError(f"{segment.path} is damaged ({exc.what})") from None
    return segment


def _agreeing(
    files: LibraryFiles, snap: Snapshot, gap: int | None, journal_cut: bool, done: list[str]
) -> dict[int, linkrec.Change]:
    """The link changes that make both ends of every link agree again after a layer was set aside (a
    segment, from ``gap`` on among those kept; commits of the journal, ``journal_cut``), one line in
    ``done`` saying how many. A commit changes both ends of a link together, so the links a later
    layer changes lost their other end where it was in what was set aside, and those alone can
    disagree: a link one end lists is added to the other end (nothing is lost), one to a document the
    library no longer holds is dropped (the layers that held it are kept aside first, hard links: the
    new generation folds them in). The documents whose links the layers after the gap change are
    looked at, each with the ends it names."""
    if gap is None and not journal_cut:
        return {}
    later: set[int] = set()
    newer = snap.segments[len(snap.segments) if gap is None else gap :]
    for segment in newer:
        later.update(segment.counted())
    if snap.journal is not None and snap.live_journal:
        later.update(snap.journal.links)
    present = snap.ids()
    states: dict[int, linkrec.LinkState] = {}

    def state(doc_id: int) -> linkrec.LinkState:
        found = states.get(doc_id)
        if found is None:
            found = states[doc_id] = snap.link_state(doc_id)
        return found

    changes: dict[int, linkrec.Change] = {}
    added = dropped = 0
    for doc_id in sorted(later & present):
        for rel in linkrec.RELS:
            for target, sources in list(state(doc_id)[rel].items()):
                if target not in present:
                    changes.setdefault(doc_id, linkrec.Change()).remove(rel, target)
                    dropped += 1
                    continue
                other = state(target)[linkrec.INVERSE[rel]]
                if doc_id not in other:
                    changes.setdefault(target, linkrec.Change()).add(linkrec.INVERSE[rel], doc_id, sources)
                    other[doc_id] = sources  # (once: its own walk, if it is one of ``later``, sees it)
                    added += 1
    if dropped:
        for segment in newer:  # (out of the segments' folder, which the new generation empties)
            name = f"{files.segments_path.name}.{segment.name}"
            aside = set_aside(segment.path, copy=True, into=files.path.parent, name=name)
            done.append(
                f"kept the segment {segment.name} aside as {aside.name} (it links to what was set aside)"
            )
        if snap.journal is not None and snap.journal.links and not journal_cut:  # (else aside already)
            aside = set_aside(files.journal_path, copy=True)
            done.append(
                f"kept {files.journal_path.name} aside as {aside.name} (it links to what was set aside)"
            )
    if added or dropped:
        done.append(
            f"made both ends of the links agree after what was set aside: {added} ends added, "
            f"{dropped} links to documents no longer held dropped"
        )
    return changes
