"""The exact PMID column (since stop 34): for each document of the base's index (``store.docindex``),
the PMID its head begins with, so a key look-up of ``pmid:N`` tells a candidate that holds it from a
hash collision without reading its head (``store.storage.holders``).

A value is the document's PMID when its head begins with ``{"pmid":"N"`` (``head_of`` writes the PMID
first), N written as a number is (digits, no leading zero, below 2^32), and the head names no other
``"pmid"``: exactly when ``holds`` tells the key from the head's first bytes. Otherwise it is 0, "not
known here": the head is read, as before the column. So a 0 is never wrong, only slower, and a number
is checked by ``pmbrowse check`` against the head (``store.storage.verify``, as it reads each head).
An index written before the column has none, and is read as before."""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from typing import BinaryIO

PMID_HEAD = b'{"pmid":"'  # (how a head holding a PMID begins: ``head_of`` writes it first)
_LIMIT = 1 << 32


def head_pmid(head: bytes | memoryview) -> int:
    """The PMID the column keeps for a document whose head is ``head`` (0: not known here)."""
    if head[:9] != PMID_HEAD:
        return 0
    raw = bytes(head)
    end = raw.find(b'"', 9)
    digits = raw[9:end]
    if end < 0 or not digits.isdigit() or digits[:1] == b"0" or len(digits) > 10:
        return 0  # (bytes' ``isdigit`` is ASCII's: nothing JSON escapes)
    value = int(digits)
    if value >= _LIMIT or raw.find(b'"pmid"', 2) >= 0:
        return 0
    return value


def key_pmid(key: str) -> int:
    """N of a key ``pmid:N`` with N as the column keeps numbers (0: any other key, answered by heads)."""
    if not key.startswith("pmid:"):
        return 0
    digits = key[5:]
    if not (digits.isascii() and digits.isdigit()) or digits[:1] == "0" or len(digits) > 10:
        return 0
    value = int(digits)
    return value if value < _LIMIT else 0


def from_heads(heads: BinaryIO, offsets: array[int], lengths: array[int]) -> array[int]:
    """The column of documents whose heads are at ``offsets`` (``lengths``: 0, none) in ``heads``: read
    there when it is in memory (a base's index rebuilt from the base file, in halves or not), else
    zeros (an index made by a fold keeps what ``IndexData.add_head`` found)."""
    column = array("I", bytes(4 * len(offsets)))
    if not isinstance(heads, io.BytesIO):
        return column
    with heads.getbuffer() as buffer:
        for doc_id, start, length in _present(offsets, lengths):
            if buffer[start : start + 9] == PMID_HEAD:
                column[doc_id] = head_pmid(buffer[start : start + length])
    return column


def _present(offsets: array[int], lengths: array[int]) -> Iterator[tuple[int, int, int]]:
    for doc_id, length in enumerate(lengths):
        if length:
            yield doc_id, offsets[doc_id], length
