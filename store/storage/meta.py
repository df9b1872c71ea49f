"""What the storage keeps about each document besides its JSON: flags, year, citation count, head.

These are derived from the document when it is written and kept in the document index (and in each
segment's tables), so that the questions asked of thousands of documents at once are answered
without decoding any of them:

- an import linking to a record asks whether it is a stub and which fields it holds (a stub grows with
  what a link says of it, gaps only): ``flags``;
- ranking related articles asks its year: ``year``;
- a link pane draws a row from the *head*: identifiers, title, the first authors and how many there
  are, journal, year, stub or not: a few hundred bytes of JSON instead of the whole document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from store.metrics import reported_counts
from store.model import author_name

STUB = 1
# One bit per field a link entry can tell of its target (``store.merge.stub_from_link``): whether the
# document holds it.
FIELD_BITS = {
    "pmid": 2,
    "pmcid": 4,
    "doi": 8,
    "title": 16,
    "journal": 32,
    "volume": 64,
    "issue": 128,
    "pages": 256,
    "year": 512,
    "authors": 1024,
}
_field_bit = FIELD_BITS.get
HEAD_AUTHORS = 3  # names a head keeps (a row shows the first; some records list thousands)
MAX_YEAR = 0xFFFF
MAX_CITATION = 0xFFFFFFFF


class Meta(NamedTuple):
    flags: int
    year: int  # 0: none
    citation: int  # the largest citation count a source reported (``store.metrics``); 0: none

    @property
    def stub(self) -> bool:
        return bool(self.flags & STUB)


def fields_of(entry: Mapping[str, Any]) -> int:
    """The field bits of what a document or link entry holds (non-empty fields only)."""
    bits = 0
    # (over what the entry holds, not over every field asked of it: most entries are stubs of a few keys)
    for key, value in entry.items():
        bit = _field_bit(key)
        if bit and value not in (None, "", []):
            bits |= bit
    return bits


def meta_of(doc: Mapping[str, Any]) -> Meta:
    """The meta of a stored document."""
    year = doc.get("year")
    given = doc.get("citation_count")
    citation = given if type(given) is int else 0
    if doc.get("metrics") is not None:  # (most documents have none: an import's are fetched later, if ever)
        citation = max([citation, *reported_counts(doc)])
    return Meta(
        (STUB if doc.get("stub") else 0) | fields_of(doc),
        year if type(year) is int and 0 < year <= MAX_YEAR else 0,
        min(max(citation, 0), MAX_CITATION),
    )


def head_of(doc: Mapping[str, Any]) -> bytes:
    """The head of a stored document (see the module docstring), as JSON."""
    head: dict[str, Any] = {}
    for key in ("pmid", "pmcid", "doi", "title", "journal", "year"):
        value = doc.get(key)
        if value not in (None, ""):
            head[key] = value
    authors = doc.get("authors") or ()
    if authors:
        head["authors"] = [author_name(a) for a in authors[:HEAD_AUTHORS]]
        head["n_authors"] = len(authors)
    if doc.get("stub"):
        head["stub"] = True
    return orjson.dumps(head)


def counts_of(doc: Mapping[str, Any] | None) -> tuple[int, int]:
    """What one document adds to the library's counts: (records, stubs)."""
    if doc is None:
        return (0, 0)
    return (0, 1) if doc.get("stub") else (1, 0)
