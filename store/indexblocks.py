"""The document index's columns and key table checked a block at a time (index files since stop 49).

Until stop 49 an index carried one CRC-32 of all its columns and key tables, and any command that read
one value of them checked them whole: 67-73 MB at a million records, ~27 ms of CPU, so ``pmbrowse
show`` of one article cost more the larger the library. An index written since (``PMBIDX05``) keeps a
CRC-32 of each block, and a read checks only the blocks its values are in, each once:

- the columns are cut into blocks of ``ROWS`` document ids, and the columns read together (a
  document's place in the base, its link record's, its link counts, its meta, its head's place, its
  PMID, the most-cited order) make one *group*: one CRC-32 per group and block, of the block's slice of
  each of the group's columns in turn. ``location`` asks one bytearray whether its block of the
  ``doc_off``/``doc_len`` group was checked (an import asks it hundreds of thousands of times);
- the key table (hashes and ids, sorted by hash) is cut into blocks of ``KEYS`` keys, with one CRC-32
  of each block's hashes and ids, and the first hash of each block (its *fence*): a look-up finds its
  block among the fences and checks that block (and the next, if its key runs on into it), ~6 KB;
- the tables of CRC-32s and fences are read whole at opening, checked against the CRC-32 the header
  keeps of them (~125 KB at a million records);
- a head carries its own CRC-32 (``head_crc``), as before.

A whole-library pass (``DocIndex.column``, ``cited_order``, ``key_hashes``, ``ids``, ``pairs_except``)
checks every block of what it reads; ``pmbrowse check`` checks every block and the body's CRC-32.
A block that does not match is said (``BlockCheck.rows``/``keys`` return what is wrong) before any
value of it is used: ``DocIndex`` then has the index rebuilt from the base (``DocIndex.on_damage``).

Threads share an index: a block's mark is set only once it was checked (one byte, set whole), and two
threads that check one block at once only check it twice.

Layout of the tables (after the PMID column, before the heads; integers little-endian)::

    u32 × (len(GROUPS) × row blocks)    a CRC-32 per group and block, group after group
    u32 × key blocks                    a CRC-32 per block of the key table
    padding to 8 bytes
    u64 × key blocks                    each key block's first hash (fences)
    padding to 8 bytes
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Mapping, Sequence

SHIFT = 9
ROWS = 1 << SHIFT  # document ids a block (a block of ``doc_off`` and ``doc_len``: 6 KB)
KEYS = 512  # keys a block of the key table (6 KB)

# The columns read together, one group each (``GROUP_OF``); a group's number is its place here.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("doc_off", "doc_len"),
    ("link_off", "link_len"),
    ("refs", "cited"),
    ("flags", "year", "citation"),
    ("head_off", "head_len", "head_crc"),
    ("pmid",),
    ("order",),
)
LOC, LINK, COUNTS, META, HEAD, PMID, ORDER = range(len(GROUPS))
GROUP_OF = {name: g for g, names in enumerate(GROUPS) for name in names}
KEYTABLE = len(GROUPS)  # (``BlockCheck.seen[KEYTABLE]``: the key table's blocks checked)


def row_blocks(rows: int) -> int:
    return (rows + ROWS - 1) >> SHIFT


def key_blocks(keys: int) -> int:
    return (keys + KEYS - 1) // KEYS


def all_checked(rows: int) -> list[bytearray]:
    """``BlockCheck.seen`` of an index without blocks (PMBIDX04): every one checked, the keys one block."""
    return [bytearray(b"\1") * row_blocks(rows) for _names in GROUPS] + [bytearray(b"\1")]


def _padded(raw: bytes) -> bytes:
    return raw + bytes(-len(raw) % 8)


def _group_crc(parts: Sequence[tuple[memoryview, int]], b: int) -> int:
    """The CRC-32 of block ``b`` of a group (``parts``: each column's bytes and its values' size)."""
    crc = 0
    for raw, size in parts:
        crc = zlib.crc32(raw[size * (b << SHIFT) : size * ((b + 1) << SHIFT)], crc)
    return crc


def _key_crc(hashes: memoryview, ids: memoryview, b: int) -> int:
    return zlib.crc32(
        ids[4 * b * KEYS : 4 * (b + 1) * KEYS], zlib.crc32(hashes[8 * b * KEYS : 8 * (b + 1) * KEYS])
    )


def tables(
    columns: Mapping[str, memoryview], sizes: Mapping[str, int], hashes: memoryview, ids: memoryview
) -> bytes:
    """The tables of a new index (see the module's docstring): ``columns`` each column's bytes (as
    written, little-endian) and ``sizes`` its values' size; ``hashes`` and ``ids`` the key table's."""
    rows = len(columns["doc_off"]) // sizes["doc_off"]
    keys = len(hashes) // 8
    crcs = array("I")
    for names in GROUPS:
        parts = [(columns[name], sizes[name]) for name in names]
        crcs.extend(_group_crc(parts, b) for b in range(row_blocks(rows)))
    crcs.extend(_key_crc(hashes, ids, b) for b in range(key_blocks(keys)))
    fences = array(
        "Q",
        (int.from_bytes(hashes[8 * b * KEYS : 8 * b * KEYS + 8], "little") for b in range(key_blocks(keys))),
    )
    return _padded(crcs.tobytes()) + _padded(fences.tobytes())


def _first(hashes: memoryview, b: int) -> int:
    """The first hash of key block ``b`` (its fence)."""
    return int.from_bytes(hashes[8 * b * KEYS : 8 * b * KEYS + 8], "little")


def tables_size(rows: int, keys: int) -> int:
    crcs = 4 * (len(GROUPS) * row_blocks(rows) + key_blocks(keys))
    return crcs + -crcs % 8 + 8 * key_blocks(keys)


class BlockCheck:
    """The blocks of one mapped index, their CRC-32s, and which were checked (``seen``: one bytearray
    per group, then one of the key blocks; 1: checked)."""

    __slots__ = ("_crcs", "_hashes", "_ids", "_map", "_parts", "_view", "fences", "seen")

    def __init__(
        self,
        view: memoryview,
        at: Mapping[str, tuple[int, int]],
        rows: int,
        keys: tuple[int, int],
        tables_at: int,
    ) -> None:
        """``view``: the whole file; ``at``: each column's offset and values' size; ``rows``: its
        values; ``keys``: the key table's offset and number of keys; ``tables_at``: the tables' offset
        (checked already against the header's CRC-32)."""
        self._view = view
        self._parts = [
            [(view[at[n][0] : at[n][0] + at[n][1] * rows], at[n][1]) for n in names] for names in GROUPS
        ]
        pos, n = keys
        self._hashes, self._ids = view[pos : pos + 8 * n], view[pos + 8 * n : pos + 12 * n]
        nb, nk = row_blocks(rows), key_blocks(n)
        count = len(GROUPS) * nb + nk
        self._crcs = view[tables_at : tables_at + 4 * count].cast("I")
        fences_at = tables_at + 4 * count + (-4 * count) % 8
        self.fences = view[fences_at : fences_at + 8 * nk].cast("Q")
        self.seen = [bytearray(nb) for _names in GROUPS] + [bytearray(nk)]

    def views(self) -> list[memoryview]:
        """Its views of the map (released before the map is closed)."""
        got = [raw for parts in self._parts for raw, _size in parts]
        return [*got, self._hashes, self._ids, self._crcs, self.fences]

    def rows(self, group: int, b: int) -> str:
        """Check block ``b`` of ``group`` (what is wrong with it; '' nothing: marked checked)."""
        nb = len(self.seen[group])
        if _group_crc(self._parts[group], b) != self._crcs[group * nb + b]:
            return f"its {'/'.join(GROUPS[group])} block {b} does not match its checksum"
        self.seen[group][b] = 1
        return ""

    def keys(self, b: int) -> str:
        """Check block ``b`` of the key table (what is wrong with it; '' nothing)."""
        crc_at = len(GROUPS) * len(self.seen[0]) + b
        if _key_crc(self._hashes, self._ids, b) != self._crcs[crc_at]:
            return f"its key table's block {b} does not match its checksum"
        if _first(self._hashes, b) != self.fences[b]:
            return f"its key table's block {b} does not begin where its fence says"
        self.seen[-1][b] = 1
        return ""

    def group(self, group: int) -> str:
        """Check every block of ``group`` not checked yet (what is wrong; '' nothing)."""
        seen = self.seen[group]
        b = seen.find(0)  # (the unchecked found in C: a pass over a checked group costs one scan)
        while b >= 0:
            if damage := self.rows(group, b):
                return damage
            b = seen.find(0, b + 1)
        return ""

    def all_keys(self) -> str:
        seen = self.seen[-1]
        b = seen.find(0)  # (as ``group``: ``KeyHashes`` asks this at every read of a hash)
        while b >= 0:
            if damage := self.keys(b):
                return damage
            b = seen.find(0, b + 1)
        return ""
