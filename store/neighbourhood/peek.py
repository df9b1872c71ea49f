"""Link lists, link counts and years read from a document's stored JSON without decoding all of it.

Ranking related articles needs, for each of thousands of candidates, only how many references and
citing articles it has; a whole document (title, abstract, authors...) costs ~25 µs to decode and
check, finding two short lists in its bytes ~2 µs. ``LibraryStorage`` has no public call for the
bytes of a document, so ``stored_bytes`` follows ``LibraryStorage.committed`` step by step (journal
first, then the base through the document index); if the storage changes shape, or the document has
uncommitted changes of a transaction in progress, it answers ``None`` and callers decode the document
the usual way. (A store-side ``link_counts(doc_id)``, or counts kept in the document index, would make
this module unnecessary.)

Why searching the bytes is exact: documents are written by orjson, compactly, and in JSON a quote
inside a string is always escaped, so ``"references":[`` can only be the top-level key (the
``link_sources`` object has ``"references":{``). Anything unexpected (spaces, a value that is not a
list of integers) gives ``None`` and the caller decodes the document instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

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
    """The committed JSON of a document as stored, or None (no such document, a pending change, or a
    storage this module does not know: decode the document instead)."""
    storage: Any = library.storage
    try:
        if doc_id in storage._pending:
            return None
        with storage._state:
            snap = storage._snap
            journal = snap.journal
            if journal is not None and doc_id in journal.docs:
                where = journal.docs[doc_id]
                if where is None or snap.journal_fd is None:
                    return None
                return os.pread(snap.journal_fd, where[1], where[0])
            if snap.index is None or snap.base_map is None:
                return None
            location = snap.index.location(doc_id)
            if location is None:
                return None
            offset, length = location
            return snap.base_map[offset : offset + length]  # type: ignore[no-any-return]
    except (AttributeError, TypeError, ValueError, OSError):
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


_YEAR_VALUE = re.compile(rb'"year":(?:(\d+)|null)[,}]')


def totals_of(library: Library, doc_ids: Iterable[int]) -> tuple[dict[int, Totals], list[int]]:
    """``totals`` of many documents at once: (what was found, the ids to decode instead). Documents
    the library does not hold are in neither. One lock and one look at the storage for the batch,
    the loop kept tight: this is most of the time of ranking thousands of candidates."""
    found: dict[int, Totals] = {}
    decode: list[int] = []
    storage: Any = library.storage
    try:
        with storage._state:
            pending = storage._pending
            snap = storage._snap
            journal = snap.journal.docs if snap.journal is not None else {}
            journal_fd = snap.journal_fd
            location = snap.index.location if snap.index is not None else None
            base = snap.base_map
            refs_key, cited_key, year_value = _REFS, _CITED, _YEAR_VALUE
            for doc_id in doc_ids:
                if doc_id in pending:
                    decode.append(doc_id)
                    continue
                if doc_id in journal:
                    where = journal[doc_id]
                    if where is None:
                        continue
                    raw = os.pread(journal_fd, where[1], where[0])
                else:
                    at = location(doc_id) if location is not None else None
                    if at is None or base is None:
                        continue
                    raw = base[at[0] : at[0] + at[1]]
                at = raw.rfind(refs_key)
                if at < 0:
                    references = 0
                    if raw.find(b'"references"') >= 0:
                        decode.append(doc_id)
                        continue
                else:
                    start = at + 14
                    end = raw.find(b"]", start)
                    references = raw.count(b",", start, end) + 1 if end > start else 0
                at = raw.rfind(cited_key)
                if at < 0:
                    cited_by = 0
                    if raw.find(b'"cited_by"') >= 0:
                        decode.append(doc_id)
                        continue
                else:
                    start = at + 12
                    end = raw.find(b"]", start)
                    cited_by = raw.count(b",", start, end) + 1 if end > start else 0
                year = year_value.search(raw)
                if year is None:
                    if raw.find(b'"year"') >= 0:
                        decode.append(doc_id)
                        continue
                    found[doc_id] = Totals(references, cited_by, None)
                else:
                    digits = year.group(1)
                    found[doc_id] = Totals(references, cited_by, int(digits) if digits else None)
    except (AttributeError, TypeError, ValueError, OSError):
        done = set(found)
        return found, [i for i in doc_ids if i not in done]
    return found, decode
