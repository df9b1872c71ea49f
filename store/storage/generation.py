"""Writing a new generation of a library: a new base file and its index, swapped in atomically.

Compaction, the conversion of older layouts and the first commit of a new library all end here. The
new base and index are written under temp names and fsynced; then the base is renamed into place
(the commit point), then the index, then a new journal of the new generation replaces the old one
(a compaction whose index rename fails finishes the rest itself: ``store.storage.compactor``). A
journal of another generation than its base is obsolete (its commits are in the base) and ignored;
an index of another generation is rebuilt from the base. So a crash at any instant leaves the old
state or the new one, never a mix. Segments of an older generation are
garbage once the new base is in place, and are removed.

Documents and link records the new base takes over unchanged are copied as bytes, in slices of up to
``RUN_BYTES`` (a compaction of a large library is mostly this), with their meta and heads taken from
the old index. What goes in, in which order, is ``store.storage.fold``'s.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from store import atomicwrite, fileformat
from store.docindex import COLUMNS, DocIndex
from store.errors import LibraryFileError
from store.journal import header_line
from store.schema import LINKS_TABLE, SCHEMA_VERSION
from store.storage.columns import Pairs
from store.storage.files import LibraryFiles
from store.storage.indexwriter import IndexData, new_columns, pairs_of, write_index
from store.storage.meta import STUB, Meta

RUN_BYTES = 4 << 20
# Records added one by one are written this many at a time at most (or ``RUN_BYTES`` of them): what is
# held until then costs ~150 bytes a record besides its bytes (small records, stubs, are most of a fold).
# (The heads of a run of the old base copied as one slice are written with it, however many.)
HELD_RECORDS = 256
COUNTS = ("records", "stubs", "links")
# The columns a builder of link records alone fills (``Builder.links_apart``), in the order it writes
# them to its file of columns (``end_apart``).
LINK_COLUMNS = (("link_off", "Q"), ("link_len", "I"), ("refs", "I"), ("cited", "I"))


def check_ids(files: LibraryFiles, max_id: int, count: int) -> None:
    """Document ids pmbrowse writes are dense; a file with huge ones (edited by hand, or by another
    program) would make the document index as large as its largest id."""
    if max_id >= 1 << 32 or max_id > 64 * (count + 1024):
        raise LibraryFileError(
            f"{files.path} has document ids up to {max_id} for {count} documents, which pmbrowse never "
            "writes; it was left as it is"
        )


@dataclass
class Old:
    """The base a new generation copies unchanged records from."""

    index: DocIndex
    fd: int  # the old base, open (read with ``pread``)

    def slice(self, start: int, end: int, files: LibraryFiles) -> bytes:
        raw = os.pread(self.fd, end - start, start)
        if len(raw) != end - start:
            raise LibraryFileError(f"{files.path} is shorter than its index says; it was left as it is")
        return raw


class Builder:
    """Writes a new base and its index: documents in id order, then link records in id order."""

    def __init__(
        self,
        files: LibraryFiles,
        max_id: int,
        *,
        generation: str | None = None,
        apart: tuple[Path, int] | None = None,
    ) -> None:
        """``apart``: a builder of link records alone, into that file from that place (``links_apart``)."""
        self.files = files
        if apart is None:
            self.generation = generation or secrets.token_hex(8)
            files.path.parent.mkdir(parents=True, exist_ok=True)
            files.remove_stale_temp_files()
            self.base_tmp = files.temp(files.path)
            self.index_tmp = files.temp(files.index_path)
            header: dict[str, object] = {
                "app": "pmbrowse",
                "schema": SCHEMA_VERSION,
                "generation": self.generation,
            }
            heads: BinaryIO = tempfile.TemporaryFile(dir=files.path.parent)  # noqa: SIM115
            columns = new_columns(max_id)
            self._fh: BinaryIO = open(self.base_tmp, "wb")  # noqa: SIM115 (closed by finish or discard)
            self.writer = fileformat.BaseWriter(self._fh, header)
        else:  # (into another builder's base file, open anew: ``discard`` is that builder's to call)
            self.generation, self.base_tmp, self.index_tmp = "", apart[0], apart[0]
            heads, columns = io.BytesIO(), new_columns(max_id, LINK_COLUMNS)
            self._fh = open(self.base_tmp, "r+b")  # noqa: SIM115 (closed by end_apart)
            self._fh.seek(apart[1])
            self.writer = fileformat.BaseWriter(self._fh, None, at=apart[1])
        self.data = IndexData(self.generation, {}, 0, columns, Pairs(), heads)
        self.totals = [0, 0, 0]
        self.max_seen = 0
        self._links = apart is not None
        self._run = _Added()  # (records added one by one, written as one slice: ``_write_held``)
        self._heads: list[bytes] = []  # (heads not yet written to ``data.heads``, which end at ``_heads_at``)
        self._heads_at = 0
        self._held = 0  # (bytes of both held)

    @classmethod
    def links_apart(cls, files: LibraryFiles, base: Path, at: int, max_id: int) -> Builder:
        """A builder of link records alone (``store.storage.foldlinks``' child), writing them into the
        file ``base`` from ``at``, where the links table of the builder writing ``base`` starts: as a
        builder after ``start_links``, only the link columns (``LINK_COLUMNS``) held; ``end_apart``
        ends it."""
        return cls(files, max_id, apart=(base, at))

    def end_apart(self, columns: Path) -> tuple[int, int, int]:
        """End a builder of link records alone: its columns written to the file ``columns``; the
        position past its records, their CRC-32 and the links they hold (what ``take_links`` takes)."""
        self._write_held()
        self._fh.close()
        with open(columns, "wb") as fh:
            for name, _code in LINK_COLUMNS:
                fh.write(self.data.columns[name])
        return self.writer.position, self.writer.crc, self.totals[2]

    def take_links(self, columns: int, made: tuple[int, int, int]) -> None:
        """After ``start_links``: the link records a builder of link records alone wrote into this
        builder's file from where it now is (``made``: what its ``end_apart`` returned), stepped over,
        and its columns (``columns``: their file, open) read in."""
        assert self._links and not self._run.ids, "link records taken in before any is added"
        end, crc, links = made
        self._write_held()
        self.writer.skip_table_body(end - self.writer.position, crc)
        at = 0
        for name, _code in LINK_COLUMNS:
            view = memoryview(self.data.columns[name]).cast("B")
            filled = 0
            while filled < len(view):  # (read into the column in place: no copy of it held)
                got = os.preadv(columns, [view[filled:]], at + filled)
                if got <= 0:
                    raise OSError(f"the link columns written apart for {self.files.path} were cut short")
                filled += got
            at += filled
        self.totals[2] += links

    def grow(self, doc_id: int) -> None:
        """Make room for documents up to ``doc_id`` (when the last id is not known beforehand)."""
        columns = self.data.columns
        more = doc_id + 1 - len(columns["doc_off"])
        if more > 0:
            for name, code in COLUMNS:
                columns[name].extend(array(code, bytes(array(code).itemsize * more)))

    def add_doc(
        self,
        doc_id: int,
        raw: bytes,
        meta: Meta,
        head: bytes,
        keys: list[str] | None,
        pmid: int | None = None,
    ) -> None:
        """Add a document (``keys``: its identity keys, or None when the caller adds its key pairs;
        ``pmid``: its head's, when the caller has it: ``IndexData.note_head``)."""
        c = self.data.columns
        self._run.add(doc_id, raw)
        c["doc_len"][doc_id] = len(raw)
        c["flags"][doc_id], c["year"][doc_id], c["citation"][doc_id] = meta
        self._add_head(doc_id, head, pmid)
        if keys is not None:
            self.data.pairs.extend(pairs_of(doc_id, keys))
        self.totals[1 if meta.flags & STUB else 0] += 1
        if doc_id > self.max_seen:
            self.max_seen = doc_id
        self._held += len(raw) + len(head)
        if self._held >= RUN_BYTES or len(self._run.ids) >= HELD_RECORDS:
            self._write_held()

    def _add_head(self, doc_id: int, head: bytes, pmid: int | None = None) -> None:
        """``IndexData.add_head``, the head written later with others (``_write_held``)."""
        self.data.note_head(doc_id, head, self._heads_at, pmid)
        self._heads.append(head)
        self._heads_at += len(head)

    def _write_held(self) -> None:
        """Write the records and heads added one by one and not written yet: the records as one slice
        (the same bytes as one by one, and the same CRC-32: it runs on over what is written), each
        record's offset then known; the heads in one write (a write and a CRC each cost some 10 us a
        document of a fold)."""
        run = self._run
        if run.ids:
            first = self.writer.add(run.ids[0], b"".join(run.parts))
            column = self.data.columns["link_off" if self._links else "doc_off"]
            for doc_id, at in zip(run.ids, run.starts, strict=True):
                column[doc_id] = first + at
            self._run = _Added()
        if self._heads:
            self.data.heads.write(b"".join(self._heads))
            self._heads = []
        self._held = 0

    def copy_docs(self, old: Old, run: list[int]) -> None:
        """Copy documents of the old base that lie side by side, unchanged, as one slice."""
        self._write_held()
        first, last = old.index.location(run[0]), old.index.location(run[-1])
        assert first is not None and last is not None
        shift = self.writer.add(run[0], old.slice(first[0], last[0] + last[1], self.files)) - first[0]
        c = self.data.columns
        for doc_id in run:
            location = old.index.location(doc_id)
            assert location is not None
            c["doc_off"][doc_id], c["doc_len"][doc_id] = location[0] + shift, location[1]
            meta = Meta(*old.index.meta(doc_id))
            c["flags"][doc_id], c["year"][doc_id], c["citation"][doc_id] = meta
            self._add_head(doc_id, old.index.head(doc_id))
            self.totals[1 if meta.flags & STUB else 0] += 1
        self.max_seen = max(self.max_seen, run[-1])
        self._write_held()  # (the run's heads in one write: a run of stubs' heads is some 40,000)

    def start_links(self) -> None:
        self._write_held()
        self.writer.next_table(LINKS_TABLE)
        self._links = True

    def add_links(self, doc_id: int, raw: bytes, refs: int, cited: int) -> None:
        c = self.data.columns
        self._run.add(doc_id, raw)
        c["link_len"][doc_id] = len(raw)
        c["refs"][doc_id], c["cited"][doc_id] = refs, cited
        self.totals[2] += refs
        self._held += len(raw)
        if self._held >= RUN_BYTES or len(self._run.ids) >= HELD_RECORDS:
            self._write_held()

    def copy_links(self, old: Old, run: list[int]) -> None:
        self._write_held()
        first, last = old.index.link_location(run[0]), old.index.link_location(run[-1])
        assert first is not None and last is not None
        shift = self.writer.add(run[0], old.slice(first[0], last[0] + last[1], self.files)) - first[0]
        c = self.data.columns
        for doc_id in run:
            location = old.index.link_location(doc_id)
            assert location is not None
            c["link_off"][doc_id], c["link_len"][doc_id] = location[0] + shift, location[1]
            refs, cited = old.index.link_counts(doc_id)
            c["refs"][doc_id], c["cited"][doc_id] = refs, cited
            self.totals[2] += refs

    def finish(self, next_id: int, counts: dict[str, int] | None = None, *, journal: bool = True) -> None:
        """Write the index and swap the new generation in (see the module docstring). ``journal``:
        start a new journal (not when the generation is the old one's, written anew by a repair: its
        journal still extends it)."""
        if not self._links:
            self.start_links()
        self._write_held()
        self.writer.close()
        self.data.base_crc = self.writer.crc
        self._fh.flush()
        self._fh.truncate()  # (nothing past its end: what a child wrote there, ``foldlinks``, if it ran on)
        os.fsync(self._fh.fileno())
        self._fh.close()
        self.data.pairs.sort()
        self.data.counts = counts if counts is not None else dict(zip(COUNTS, self.totals, strict=True))
        self.data.next_id = max(next_id, self.max_seen + 1)
        self._swap_in(journal)

    def discard(self) -> None:
        # (Closing flushes what is buffered: on a full disk that fails too, and the temp files, which
        # hold the disk full, are removed all the same.)
        with contextlib.suppress(OSError):
            self._fh.close()
        with contextlib.suppress(OSError):
            self.data.heads.close()
        for tmp in (self.base_tmp, self.index_tmp):
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _swap_in(self, journal: bool) -> None:
        files = self.files
        mode = files.base_mode()
        if mode is not None:
            os.chmod(self.base_tmp, mode)
        st = os.stat(self.base_tmp)
        self.data.base = (st.st_size, st.st_mtime_ns)
        write_index(self.index_tmp, self.data)
        self.data.heads.close()
        if mode is not None:
            os.chmod(self.index_tmp, mode)
        atomicwrite.rename(self.base_tmp, files.path)  # the commit point
        atomicwrite.rename(self.index_tmp, files.index_path)  # (after its base: see the docstring)
        atomicwrite.fsync_dir(files.path.parent)
        if not journal:
            return
        # The old journal is obsolete now; replace it by an empty one of the new generation. If that
        # fails (a full disk), the commit stands: an obsolete journal is ignored, and the next commit
        # starts a new one.
        with contextlib.suppress(OSError):
            files.replace_file(files.journal_path, header_line(self.generation), mode)
        remove_old_segments(files, self.generation)


class _Added:
    """Records added one by one, not written yet: what ``BaseWriter.add`` is given for them as one
    slice (each record after the first with the prefix the writer would have written before it), and
    where each starts in it."""

    __slots__ = ("ids", "parts", "size", "starts")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.parts: list[bytes] = []
        self.starts: list[int] = []
        self.size = 0

    def add(self, doc_id: int, raw: bytes) -> None:
        if self.ids:
            prefix = b',\n"%d":' % doc_id
            self.parts.append(prefix)
            self.size += len(prefix)
        self.ids.append(doc_id)
        self.starts.append(self.size)
        self.parts.append(raw)
        self.size += len(raw)


def remove_old_segments(files: LibraryFiles, generation: str) -> None:
    """Segments of other generations than ``generation`` (their commits are in its base)."""
    folder = files.segments_path
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if not entry.name.startswith(generation + "."):
            with contextlib.suppress(OSError):
                entry.unlink()
    with contextlib.suppress(OSError):
        if not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
