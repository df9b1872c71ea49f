"""Libraries in other layouts, converted once; and the document index, rebuilt from the base.

A library of an older schema, or in another JSON layout than one record per line (rewritten by
TinyDB itself, or by hand), is converted when first opened, atomically (a new generation: see
``store.storage.generation``), with a one-line notice. A schema-2 library in the line layout (links
inside the documents) is converted as a stream, one document at a time, so a library of millions of
records converts in bounded memory; other layouts are read whole (they are small: schema 1 predates
large libraries, and TinyDB writes one line). The commits of the library's own journal are applied on
top, so nothing committed since its last compaction is lost.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

import orjson

from store import atomicwrite, fileformat, notices
from store.docindex import DocIndex, IndexFileError
from store.errors import LibraryBusyError, LibraryFileError, os_reason
from store.journal import Replay, read_header, replay
from store.lock import write_lock
from store.merge import doc_keys
from store.schema import (
    ARTICLES_TABLE,
    LIBRARY,
    LINK_FIELDS,
    LINKS_TABLE,
    META_TABLE,
    SCHEMA_VERSION,
    check_document,
    check_links,
)
from store.storage import links as linkrec
from store.storage.basescan import scan_base
from store.storage.files import LibraryFiles
from store.storage.generation import Builder, check_ids
from store.storage.indexwriter import in_memory, restamp, write_index
from store.storage.meta import head_of, meta_of
from store.storage.snapshot import Snapshot, decode_links, index_current
from store.wholefile import read_library_file

Seen = tuple[object, int, int]


def convert(files: LibraryFiles, seen: Seen) -> None:
    """Convert the library at ``files.path`` (as it was when opened: ``seen``) to this version's layout.

    If another process converts (and maybe writes to) it meanwhile, that version is the one to open,
    never overwritten with what was read before."""
    with files.threads, write_lock(files.path, files.lock_timeout):
        try:
            st = os.stat(files.path)
        except FileNotFoundError:
            return
        if ((st.st_dev, st.st_ino), st.st_size, st.st_mtime_ns) != seen:
            return  # converted or changed by another process meanwhile: open that
        with open(files.path, "rb") as fh:
            header, start = fileformat.read_base_header(fh.read(65536))
        if header is not None and header.get("schema") == 2 and header.get("app") == "pmbrowse":
            _convert_stream(files, header, start)
        else:
            _convert_whole(files)
    notices.say(
        files.notices,
        files.path,
        f"{files.path} was converted to this version's library format (schema {SCHEMA_VERSION})",
    )


def _own_journal(files: LibraryFiles, generation: object) -> tuple[bytes, Replay] | None:
    """The commits of the journal that extends the base of ``generation`` (None: there are none)."""
    if not isinstance(generation, str):
        return None
    try:
        raw = files.journal_path.read_bytes()
    except OSError:
        return None
    journal_generation, start = read_header(raw)
    if journal_generation != generation:
        return None
    journal = replay(raw[start:], Replay(generation=generation, end=start), start)
    if journal.damaged is not None:
        raise LibraryFileError(
            f"{files.journal_path} is damaged at byte {journal.damaged}; the library was left as it is"
        )
    return raw, journal


def _split(path: object, doc_id: int, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A schema-2 document as (the document, its link record), both checked."""
    record = {key: doc.pop(key) for key in LINK_FIELDS if key in doc}
    for problem in (check_document(doc), check_links(record)):
        if problem:
            raise LibraryFileError(f"{path}: document {doc_id}: {problem}; it was left as it is")
    return doc, record


def _convert_stream(files: LibraryFiles, header: dict[str, Any], start: int) -> None:
    """A schema-2 library in the line layout, one document at a time (read with ``pread``, never mapped:
    a file cut short meanwhile is an error, not a SIGBUS)."""
    with open(files.path, "rb") as fh:
        _convert_open(files, header, start, fh.fileno())


def _convert_open(files: LibraryFiles, header: dict[str, Any], start: int, fd: int) -> None:
    own = _own_journal(files, header.get("generation"))
    overrides = own[1].docs if own is not None else {}
    try:
        lines = fileformat.file_lines(fd, start, os.fstat(fd).st_size)
        located = {d: (o, len(body)) for _t, d, o, body in fileformat.scan_lines(lines)}
    except ValueError as exc:
        raise LibraryFileError(f"{files.path} is damaged: {exc}; it was left as it is") from None
    for doc_id, where in overrides.items():
        if where is None:
            located.pop(doc_id, None)
    present = sorted(set(located) | {d for d, where in overrides.items() if where is not None})
    max_id = present[-1] if present else 0
    check_ids(files, max_id, len(present))
    next_id = max_id + 1
    if own is not None and own[1].meta is not None and isinstance(own[1].meta.get("next_id"), int):
        next_id = max(next_id, own[1].meta["next_id"])

    def raw_of(doc_id: int) -> bytes:
        where = overrides.get(doc_id)
        if where is not None and own is not None:
            return own[0][where[0] : where[0] + where[1]]
        offset, length = located[doc_id]
        raw = os.pread(fd, length, offset)
        if len(raw) != length:
            raise LibraryFileError(f"{files.path} is shorter than it was; it was left as it is")
        return raw

    builder = Builder(files, max_id)
    try:
        with tempfile.TemporaryFile(dir=files.path.parent) as stash:
            kept: list[tuple[int, int, int, int, int]] = []
            for doc_id in present:
                try:
                    loaded = orjson.loads(raw_of(doc_id))
                except orjson.JSONDecodeError as exc:
                    raise LibraryFileError(
                        f"{files.path}: document {doc_id} is not valid JSON ({exc.msg}); it was left as it is"
                    ) from None
                if not isinstance(loaded, dict):
                    raise LibraryFileError(f"{files.path}: document {doc_id} is not an object")
                doc, record = _split(files.path, doc_id, loaded)
                builder.add_doc(doc_id, orjson.dumps(doc), meta_of(doc), head_of(doc), doc_keys(doc))
                state = linkrec.empty()
                linkrec.apply(state, record)
                raw = linkrec.encode(state)
                if raw is not None:
                    kept.append(
                        (doc_id, stash.tell(), len(raw), len(state["references"]), len(state["cited_by"]))
                    )
                    stash.write(raw)
            builder.start_links()
            for doc_id, offset, length, refs, cited in kept:
                stash.seek(offset)
                builder.add_links(doc_id, stash.read(length), refs, cited)
        builder.finish(next_id)
    except BaseException:
        builder.discard()
        raise


def _convert_whole(files: LibraryFiles) -> None:
    """Any other layout: read whole (``read_library_file`` says what is wrong, if anything, and
    migrates older schemas), the own journal applied on top."""
    data = read_library_file(files.path, LIBRARY)  # raises LibraryFileError, naming the file
    docs: dict[str, Any] = data.get(ARTICLES_TABLE, {})
    link_records: dict[str, Any] = data.get(LINKS_TABLE, {})
    own = _own_journal(files, data[META_TABLE]["1"].get("generation"))
    states: dict[int, linkrec.LinkState] = {}
    for key, record in link_records.items():
        if problem := check_links(record):
            raise LibraryFileError(
                f"{files.path}: the links of document {key}: {problem}; it was left as it is"
            )
        linkrec.apply(states.setdefault(int(key), linkrec.empty()), record)
    if own is not None:
        raw, journal = own
        for doc_id, where in journal.docs.items():
            if where is None:
                docs.pop(str(doc_id), None)
            else:
                doc = orjson.loads(raw[where[0] : where[0] + where[1]])
                if isinstance(doc, dict) and any(k in doc for k in LINK_FIELDS):  # (a version-1 journal)
                    doc, record = _split(files.path, doc_id, doc)
                    states[doc_id] = linkrec.empty()
                    linkrec.apply(states[doc_id], record)
                docs[str(doc_id)] = doc
        for doc_id, wheres in journal.links.items():
            for where in wheres:
                record = decode_links(files.path, raw[where[0] : where[0] + where[1]], doc_id)
                linkrec.apply(states.setdefault(doc_id, linkrec.empty()), record)
    for key, doc in docs.items():
        if problem := check_document(doc):
            raise LibraryFileError(f"{files.path}: document {key}: {problem}; it was left as it is")
    ids = sorted(int(i) for i in docs)
    max_id = ids[-1] if ids else 0
    check_ids(files, max_id, len(ids))
    builder = Builder(files, max_id)
    try:
        for doc_id in ids:
            doc = docs[str(doc_id)]
            builder.add_doc(doc_id, orjson.dumps(doc), meta_of(doc), head_of(doc), doc_keys(doc))
        builder.start_links()
        for doc_id in ids:
            state = states.get(doc_id)
            encoded = linkrec.encode(state) if state is not None else None
            if state is not None and encoded is not None:
                builder.add_links(doc_id, encoded, len(state["references"]), len(state["cited_by"]))
        builder.finish(max_id + 1)
    except BaseException:
        builder.discard()
        raise


# The index, rebuilt ------------------------------------------------------------------------------------


def rebuild_index(files: LibraryFiles, snap: Snapshot, reason: str = "") -> DocIndex:
    """Build the index of the base by reading it whole (after a crash mid-compaction, or when the index
    was deleted, damaged, or does not match the base: ``reason`` then says how, and a one-line notice
    says it was rebuilt). Written beside the base when it can be, else kept in memory for this process;
    the notice then says so and why (a full disk, a read-only folder, another process writing the
    library), so that no one takes a file left damaged for one mended."""
    assert snap.base_fd is not None and snap.generation is not None
    st = os.fstat(snap.base_fd)
    data = scan_base(files.path, snap.base_fd, st, snap.generation, snap.docs_start).data
    if (st.st_size, st.st_mtime_ns) != (snap.base_size, snap.base_mtime):
        raise LibraryFileError(f"{files.path} changed while it was read; it was left as it is")
    rebuilt = f"{files.index_path} {reason}; it was rebuilt from {files.path.name}"
    unsaved = f"{files.path.name} was changed meanwhile by another process"  # (a compaction's new generation)
    tmp = files.temp(files.index_path)
    try:
        # Under the write lock, if it is free now: a compaction must not have its new index replaced by
        # this one of the old generation (which would only cost another rebuild).
        with files.write_lock_now():
            if _generation_now(files) == snap.generation:
                write_index(tmp, data)
                atomicwrite.rename(tmp, files.index_path)
                atomicwrite.fsync_dir(files.path.parent)
        index = DocIndex(files.index_path)
        if index.generation == snap.generation and index_current(index, files.index_path, st):
            if reason:
                notices.say(files.notices, files.path, rebuilt)
            return index
        index.close()
    except LibraryBusyError:
        unsaved = "another process is writing the library"
    except OSError as exc:
        unsaved = os_reason(exc)
    except IndexFileError as exc:
        unsaved = f"it did not read back whole: {exc}"
    with contextlib.suppress(OSError):
        tmp.unlink()
    if reason:
        notices.say(
            files.notices, files.path, f"{rebuilt} for this command only (it could not be saved: {unsaved})"
        )
    return in_memory(data)


def reuse_index(files: LibraryFiles, snap: Snapshot, old: DocIndex) -> DocIndex | str:
    """The index ``old``, which does not match the base's size and times (or is older than it), put
    back in use when the base holds the bytes it was built from: a copied library (``cp -r`` gives the
    copies new times, and may copy the index before the base). The base's CRC-32 is checked against
    the one the index recorded (~0.7 s for 450 MB, where a rebuild takes 5-15 s), and the index is
    written again saying the base's new size and times (its columns and heads copied as they are).
    Else why it is to be rebuilt: the bytes differ (the base was changed since), or the index cannot
    be written here (a read-only folder, the library busy)."""
    assert snap.base_fd is not None
    st = os.fstat(snap.base_fd)
    changed = f"is older than {files.path.name}, which was changed since"
    if old.base[0] != st.st_size or _stamp(st) != (snap.base_size, snap.base_mtime):
        return changed
    if not os.access(files.path.parent, os.W_OK):  # (not read whole for a CRC to no end: it is rebuilt)
        return f"does not say {files.path.name}'s new times (a copy?) and cannot be written again here"
    crc = fileformat.file_crc(snap.base_fd, st.st_size)
    if crc != old.base_crc or _stamp(os.fstat(snap.base_fd)) != _stamp(st):  # (changed while read)
        return changed
    tmp = files.temp(files.index_path)
    try:
        with files.write_lock_now():  # (as ``rebuild_index``: never over a compaction's new index)
            if _generation_now(files) != snap.generation:
                return "is of another generation"  # (``opening.OTHER_GENERATION``: look again)
            with open(files.index_path, "rb") as source, open(tmp, "wb") as target:
                if not restamp(source, target, old.generation, old.base_crc, _stamp(st)):
                    return "was replaced or damaged while it was read"
                target.flush()
                os.fsync(target.fileno())
            atomicwrite.rename(tmp, files.index_path)
            atomicwrite.fsync_dir(files.path.parent)
        index = DocIndex(files.index_path, check_later=files.check_index_later)
        if (
            index.generation == snap.generation
            and index.base_crc == crc
            and index_current(index, files.index_path, st)
        ):
            return index
        index.close()
    except (OSError, LibraryBusyError, IndexFileError):
        pass
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return f"does not say {files.path.name}'s new times (a copy?) and could not be written again here"


def _stamp(st: os.stat_result) -> tuple[int, int]:
    """What an index records of its base: its size and modification time."""
    return (st.st_size, st.st_mtime_ns)


def _generation_now(files: LibraryFiles) -> str | None:
    try:
        with open(files.path, "rb") as fh:
            header, _start = fileformat.read_base_header(fh.read(65536))
    except OSError:
        return None
    generation = header.get("generation") if header else None
    return generation if isinstance(generation, str) else None
