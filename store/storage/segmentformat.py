"""A segment's byte layout as both its reader (``store.storage.segment``) and its writer
(``store.storage.segmentwriter``) know it: the magic, the tables' columns, the byte order. Apart from
the writer, so that opening a library (which reads segments and writes none) does not import the
writer and what it needs."""

from __future__ import annotations

import sys
from array import array

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


def little(column: array[int]) -> bytes:
    """A column's bytes as the file holds them (little-endian)."""
    if sys.byteorder != "little":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()
