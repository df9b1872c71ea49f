"""A segment's byte layout as both its reader (``store.storage.segment``) and its writer
(``store.storage.segmentwriter``) know it: the magic, the tables' columns, the byte order. Apart from
the writer, so that opening a library (which reads segments and writes none) does not import the
writer and what it needs."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping

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


def layout(footer: Mapping[str, object]) -> list[tuple[str, int, str]]:
    """(column name, rows, type code) of each table a segment whose footer is ``footer`` holds (its
    counts: ``docs``, ``links``, ``keys``, and ``rank`` and ``pmids`` if it has them), in file order.
    ``KeyError``, ``TypeError``, ``ValueError``: the footer is damaged."""
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
