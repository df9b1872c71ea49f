"""Link lists, link counts and years read from a document's stored JSON without decoding all of it.

Ranking related articles needs, for each of thousands of candidates, only how many references and
citing articles it has; a whole document (title, abstract, authors...) costs ~25 µs to decode and
check, finding two short lists in its bytes ~2 µs. The bytes come from ``LibraryStorage.stored_many``
(the documents as committed, from one state); a document with changes staged by a transaction in
progress comes without bytes, and callers decode it the usual way.

Why searching the bytes is exact: documents are written by orjson, compactly, and in JSON a quote
inside a string is always escaped, so ``"references":[`` can only be the top-level key (the
``link_sources`` object has ``"references":{``). Anything unexpected (spaces, a value that is not a
list of integers) gives ``None`` and the caller decodes the document instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import orjson

if TYPE_CHECKING:
    from store.library import Library


class Totals(NamedTuple):
    """A document's link counts and year: what ranking needs of a candidate."""

    references: int
    cited_by: int
    year: int | None


_KEYS = {"references": b'"references":[', "cited_by": b'"cited_by":['}
_YEAR = b'"year":'
_NUMBER = re.compile(rb"\d+(?=[,}])|null(?=[,}])")


def stored_bytes(library: Library, doc_id: int) -> bytes | None:
    """The committed JSON of a document as stored, or None (no such document, or a change staged by
    this thread's transaction: decode the document instead)."""
    for _doc_id, raw in library.storage.stored_many((doc_id,)):
        return raw
    return None


def _span(raw: bytes, rel: str) -> tuple[int, int] | None:
    """Where the list of ``rel`` is in ``raw`` (from ``[`` to after ``]``); (0, 0) when there is none."""
    key = _KEYS[rel]
    at = raw.find(key)
    if at < 0:
        # No list; but the key written some other way (with a space) means: decode it instead.
        return (0, 0) if raw.find(b'"' + rel.encode() + b'"') < 0 else None
    start = at + len(key) - 1
    end = raw.find(b"]", start)
    return None if end < 0 else (start, end + 1)


def link_ids(raw: bytes, rel: str) -> tuple[int, ...] | None:
    """The ids of a stored list (each once), or None when the bytes are not as expected."""
    span = _span(raw, rel)
    if span is None:
        return None
    if span == (0, 0):
        return ()
    try:
        ids = orjson.loads(raw[span[0] : span[1]])
    except orjson.JSONDecodeError:
        return None
    if not all(type(i) is int for i in ids):
        return None
    return tuple(dict.fromkeys(ids))


def link_count(raw: bytes, rel: str) -> int | None:
    """How many ids a stored list holds (lists are stored without repeats), or None as above."""
    span = _span(raw, rel)
    if span is None:
        return None
    start, end = span
    if end - start <= 2:
        return 0
    return raw.count(b",", start, end) + 1


def year(raw: bytes) -> int | bool | None:
    """The document's year; None when it has none; False when the bytes are not as expected."""
    at = raw.find(_YEAR)
    if at < 0:
        return None
    found = _NUMBER.match(raw, at + len(_YEAR))
    if found is None:
        return False
    return None if found.group() == b"null" else int(found.group())


_REFS, _CITED = _KEYS["references"], _KEYS["cited_by"]


def totals(raw: bytes) -> tuple[int, int, int | None] | None:
    """(references, citing articles, year) of a stored document in one pass over its bytes, or None
    when the bytes are not as expected. The hot path of ranking: one call per candidate."""
    at = raw.rfind(_REFS)  # (the lists are stored near the end)
    if at < 0:
        if raw.find(b'"references"') >= 0:  # the key written some other way
            return None
        references = 0
    else:
        start = at + len(_REFS)
        end = raw.find(b"]", start)
        if end < 0:
            return None
        references = raw.count(b",", start, end) + 1 if end > start else 0
    at = raw.rfind(_CITED)
    if at < 0:
        if raw.find(b'"cited_by"') >= 0:
            return None
        cited_by = 0
    else:
        start = at + len(_CITED)
        end = raw.find(b"]", start)
        if end < 0:
            return None
        cited_by = raw.count(b",", start, end) + 1 if end > start else 0
    found = year(raw)
    if found is False:
        return None
    return references, cited_by, found if isinstance(found, int) else None


def totals_of(library: Library, doc_ids: Iterable[int]) -> tuple[dict[int, Totals], list[int]]:
    """``totals`` of many documents at once, from one state of the library: (what was found, the ids
    to decode instead: bytes not as expected, or changes staged). Documents the library does not hold
    are in neither. Most of the time of ranking thousands of candidates."""
    found: dict[int, Totals] = {}
    decode: list[int] = []
    for doc_id, raw in library.storage.stored_many(doc_ids):
        got = totals(raw) if raw is not None else None
        if got is None:
            decode.append(doc_id)
        else:
            found[doc_id] = Totals(*got)
    return found, decode
