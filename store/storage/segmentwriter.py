"""Writing a segment (``store.storage.segment`` describes the layout and reads it): its documents, link
changes and heads as they come, then its tables, their checksums, its run and its footer (with its top),
fsynced."""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import orjson

from store.storage.columns import Pairs, Table
from store.storage.indexwriter import pairs_of
from store.storage.meta import Meta
from store.storage.pmids import head_pmid
from store.storage.segmentformat import BLOCK, PMID_COLUMNS, SORTED, blocked, layout
from store.storage.segmentformat import DOC_COLUMNS as DOC_COLUMNS
from store.storage.segmentformat import LINK_COLUMNS as LINK_COLUMNS
from store.storage.segmentformat import MAGIC as MAGIC
from store.storage.segmentformat import REMOVED_LENGTH as REMOVED_LENGTH
from store.storage.segmentformat import RUN_COLUMNS as RUN_COLUMNS
from store.storage.segmentformat import little as little
from store.storage.top import Top


class SegmentWriter:
    """Writes one segment: documents (and removals) and link changes, each at most once, any order."""

    # Whether it writes the PMID column (``store.storage.pmids``; False: as before stop 35, which the
    # tests of segments written then set).
    pmids = True

    def __init__(self, path: Path, generation: str) -> None:
        self.path = path
        self.generation = generation
        # (a larger buffer than 8 KiB: an import writes hundreds of thousands of small pieces, a link change
        # each; not more: a merge of segments counts its memory by the row, tests/store/test_tiering.py)
        self._fh: BinaryIO = open(path, "wb", buffering=1 << 16)  # noqa: SIM115 (closed by finish or discard)
        self._pos = 0
        # (see ``columns``: why; each document's row ends with its PMID, ``store.storage.pmids``, kept in
        # a table of its own)
        self._docs, self._links = Table(DOC_COLUMNS + PMID_COLUMNS), Table(LINK_COLUMNS)
        self._pairs = Pairs()
        self._run: Sequence[int] | None = None
        self._top: Top | None = None

    def _put(self, raw: bytes) -> int:
        at = self._pos
        self._fh.write(raw)
        self._pos += len(raw)
        return at

    def add_doc(self, doc_id: int, raw: bytes, meta: Meta, head: bytes, keys: Iterable[str]) -> None:
        # (once a document of every batch an import writes: ``_put`` and ``Table.add`` written out here)
        at = self._pos
        write = self._fh.write
        write(raw)
        write(head)
        head_at = at + len(raw)
        self._pos = head_at + len(head)
        flags, year, citation = meta
        row = (doc_id, at, len(raw), head_at, len(head), citation, flags, year, head_pmid(head))
        self._docs.flat.extend(row)
        self._pairs.extend(pairs_of(doc_id, keys))

    def add_pairs(self, pairs: Iterable[int]) -> None:
        """Identity key pairs (``(key hash << 32) | doc id``) of documents added without their keys."""
        self._pairs.extend(pairs)

    def remove_doc(self, doc_id: int) -> None:
        self._docs.add(doc_id, 0, REMOVED_LENGTH, 0, 0, 0, 0, 0, 0)

    def add_links(self, doc_id: int, raw: bytes, counts: tuple[int, int]) -> None:
        self._links.add(doc_id, self._put(raw), len(raw), counts[0], counts[1])

    def set_run(self, keys: Sequence[int]) -> None:
        """The segment's run (see the module docstring): the ``cited_key`` of each document it touches
        and the library holds, as of the state it completes, largest first."""
        self._run = keys

    def set_top(self, top: Top | None) -> None:
        """The segment's top (``store.storage.top``): None, none."""
        self._top = top

    def finish(self) -> int:
        """Write the tables and the footer, fsync; returns the file's size."""
        fh = self._fh
        pos = self._pad(self._pos)
        docs, links = self._docs.columns(), self._links.columns()
        hashes, ids = self._pairs.in_order()
        counts: dict[str, object] = {"docs": len(docs["ids"]), "links": len(links["ids"]), "keys": len(ids)}
        columns = {"doc_" + n: c for n, c in docs.items()} | {"link_" + n: c for n, c in links.items()}
        columns |= {"key_hashes": hashes, "key_ids": ids}
        if self.pmids:
            counts["pmids"] = True
        if self._run is not None:
            keys = self._run
            counts["rank"] = len(keys)
            columns["rank_ids"] = array("I", (0xFFFFFFFF - (k & 0xFFFFFFFF) for k in keys))
            columns["rank_count"] = array("I", (k >> 48 for k in keys))
            columns["rank_year"] = array("H", ((k >> 32) & 0xFFFF for k in keys))
        counts["block"] = BLOCK
        columns |= block_tables(layout(counts), columns, BLOCK)
        where: dict[str, int] = {}
        crcs: dict[str, int] = {}
        run_crc = 0
        for name, _rows, _code in layout(counts):  # (the order ``store.storage.segmentformat`` says)
            raw = little(columns[name])
            where[name] = pos
            if name.startswith("rank_"):  # (the run has one checksum, of its columns one after the other)
                run_crc = zlib.crc32(raw, run_crc)
            else:
                crcs[name] = zlib.crc32(raw)
            pos = self._pad(pos + fh.write(raw))
        if self._run is not None:
            counts["rank_crc"] = run_crc
        footer = orjson.dumps(
            {
                "generation": self.generation,
                **counts,
                "at": where,
                "crc": crcs,
                **({"top": self._top.footer()} if self._top is not None else {}),
            }
        )
        fh.write(footer + struct.pack("<I", len(footer)) + MAGIC)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        return os.stat(self.path).st_size

    def _pad(self, pos: int) -> int:
        gap = (-pos) % 8
        self._fh.write(b"\0" * gap)
        return pos + gap

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # (closing flushes what is buffered: on a full disk, fails)
            self._fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def block_tables(
    found: list[tuple[str, int, str]], columns: dict[str, array[int]], block: int
) -> dict[str, array[int]]:
    """The blocks' tables (``store.storage.segmentformat``: ``block_crcs``, ``block_fences``) of a
    segment whose tables are ``found`` (``layout``'s, with ``block``: the blocks' size) and hold
    ``columns``."""
    crcs, fences = array("I"), array("Q")
    for name, blocks, per in blocked(found, block):
        raw = memoryview(little(columns[name]))
        crcs.extend(zlib.crc32(raw[b * block : (b + 1) * block]) for b in range(blocks))
        if name in SORTED:
            fences.extend(iter(columns[name][::per]))  # (an array of another type is not taken)
    return {"block_crcs": crcs, "block_fences": fences}
