"""A segment's byte layout as both its reader (``store.storage.segment``) and its writer
(``store.storage.segmentwriter``) know it: the magic, the tables' columns, the byte order. Apart from
the writer, so that opening a library (which reads segments and writes none) does not import the
writer and what it needs.

The *run* (``store.storage.citations``): the documents the segment touches that the library then held,
largest ``cited_key`` first as of the state it completes, as (id, count, year); the footer has how
many (``rank``) and their CRC-32 (``rank_crc``). Segments written before runs have none; readers that
do not know the table ignore it (nothing else changed), so no library has to be rebuilt either way.

The *PMID column* (``store.storage.pmids``, since stop 35; the footer says ``"pmids":true``): each
document's PMID where its head begins with it, 0 where not known (removals, stubs without one), so a
key look-up of ``pmid:N`` tells a candidate from a hash collision without reading its head, as the
base's index does. It is made from the heads as they are written (every writer: a batch, a merge, the
journal made a segment; mending makes it anew), and compared with each head ``pmbrowse check`` reads
(``row``). Segments written before it have none and are read through their heads, as before; older
readers ignore it (its name is not one they place).

The *top* (``store.storage.top``, since stop 31): the first documents of "most cited first" over the
whole state the segment completes, kept in the footer (``top``); read from the newest segment only, for
the app's first list. Segments written before tops have none, and older readers ignore the key.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator, Mapping

MAGIC = b"PMBSEG01"
REMOVED_LENGTH = 0xFFFFFFFF
DOC_COLUMNS = (
    ("ids", "I"),
    ("off", "Q"),
    ("len", "I"),
    ("head_off", "Q"),
    ("head_len", "I"),
    ("citation", "I"),
    ("flags", "H"),
    ("year", "H"),
)
LINK_COLUMNS = (("ids", "I"), ("off", "Q"), ("len", "I"), ("refs", "i"), ("cited", "i"))
RUN_COLUMNS = (("ids", "I"), ("count", "I"), ("year", "H"))
KEY_COLUMNS = (("hashes", "Q"), ("ids", "I"))
PMID_COLUMNS = (("pmid", "I"),)  # (``store.storage.pmids``: one a document, ``doc_pmid``)

# Every table a segment can hold, in the order the writer writes them (each padded to 8): the footer's
# key that says it is there and how many rows it has, its columns' prefix, its columns. The one
# description the reader places a footer's tables by, the writer writes them by, and
# ``store.storage.mending`` works out where they are by from a footer cut before where it says (until
# stop 35 each wrote it out: a table added to one broke the other). Optional tables: the run ("rank",
# its row count; since stop 25), the PMID column ("pmids": true, the documents' rows; since stop 35).
TABLES = (
    ("docs", "doc_", DOC_COLUMNS),
    ("links", "link_", LINK_COLUMNS),
    ("keys", "key_", KEY_COLUMNS),
    ("pmids", "doc_", PMID_COLUMNS),
    ("rank", "rank_", RUN_COLUMNS),
)
REQUIRED = ("docs", "links", "keys")

# The blocks (since stop 47; the footer's ``block``: their size in bytes, BLOCK as written): each
# column of the tables above but the run's, cut in blocks of ``block`` bytes, has a CRC-32 a block
# (``block_crcs``: every column's in file order), and each sorted column (``SORTED``) the first value
# of each of its blocks (``block_fences``), after the tables above. A look-up then reads and checks
# the blocks it needs, not its columns whole (at a million records a segment's columns are tens of
# megabytes, and ``show`` read 67 MB of them). Their counts follow from the other tables': not kept.
BLOCK = 1024
SORTED = ("doc_ids", "link_ids", "key_hashes")


def layout(footer: Mapping[str, object]) -> list[tuple[str, int, str]]:
    """(column name, rows, type code) of each table a segment whose footer is ``footer`` holds (its
    counts: ``docs``, ``links``, ``keys``, and ``rank``, ``pmids`` and ``block`` if it has them), in
    file order. ``KeyError``, ``TypeError``, ``ValueError``: the footer is damaged."""
    found = _tables(footer)
    block = footer.get("block")
    if block is not None:
        crcs, fences = block_counts(found, block_size(block))
        found += [("block_crcs", crcs, "I"), ("block_fences", fences, "Q")]
    return found


def block_size(said: object) -> int:
    """A footer's ``block``, checked (``TypeError``, ``ValueError``: damaged)."""
    size = _count(said)
    if size < 64 or size & (size - 1) or size > 1 << 24:
        raise ValueError(f"its block size is {size}")
    return size


def blocked(found: list[tuple[str, int, str]], block: int) -> Iterator[tuple[str, int, int]]:
    """(column name, blocks, rows a block) of each column of ``found`` (``layout``'s) cut in blocks, in
    the order their CRC-32s are kept: the tables' but the run's and the blocks' own."""
    for name, rows, code in found:
        if name.startswith(("rank_", "block_")):
            continue
        per = block // array(code).itemsize
        yield name, -(-rows // per), per


def block_counts(found: list[tuple[str, int, str]], block: int) -> tuple[int, int]:
    """How many block CRC-32s and fences a segment with the tables ``found`` keeps."""
    crcs = fences = 0
    for name, blocks, _per in blocked(found, block):
        crcs += blocks
        fences += blocks if name in SORTED else 0
    return crcs, fences


def _tables(footer: Mapping[str, object]) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for key, prefix, columns in TABLES:
        said = footer[key] if key in REQUIRED else footer.get(key)  # (KeyError: it has no such count)
        if said is None:
            continue
        if key == "pmids":
            if said is not True:
                raise ValueError("its pmids is not true")
            rows = _count(footer.get("docs"))
        else:
            rows = _count(said)
        found += [(prefix + name, rows, code) for name, code in columns]
    return found


def _count(said: object) -> int:
    if type(said) is not int or said < 0:  # (JSON's true is not a count)
        raise TypeError(f"a table's count is {said!r}")
    return said


def little(column: array[int]) -> bytes:
    """A column's bytes as the file holds them (little-endian)."""
    if sys.byteorder != "little":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()
