"""Joining a document's link record and link changes into one (``store.storage.fold``, and the merge of
segments, ``store.storage.tiering``), and the change a transaction wrote moments ago taken as the
record it makes, unread.

An import into an empty library writes its batches as segments and folds them into the new base at its
commit (``store.storage.committer``): nearly every document's links are then one change of a segment
this transaction wrote, with no base record: its new targets, all from one source (what
``Change.encode`` writes). The record that change makes is its own bytes (the general join decodes it,
checks every id, joins and encodes it again: some 15 us a document, a tenth of the fold); so the fold
takes those bytes as they are, as it takes the documents of its own segments unchecked
(``fold._written``), when their shape is that one, seen in the bytes (``plain_record``).
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

import orjson

from store.storage import links as linkrec

# The plain shape (``plain_record``), one relation or both, matched whole in C: a list's ids are digits
# with no leading zero, a comma between each two; the one source's name in quotes, printable ASCII that
# JSON does not escape (another name, rare, is left to the join: a flipped high bit in it, which breaks
# its UTF-8, was taken until stop 40); each list given again under the source, the same bytes (``\1``,
# ``\2``); the citing list's sources there exactly when the citing list is (``(?(2)...)``).
_IDS = rb"\[([1-9][0-9]*(?:,[1-9][0-9]*)*)\]"
# (the same with every id of nine digits at most: under 2**32, in range as ``check_links`` wants it, seen
# in the bytes; a longer one, which no library of today holds, is left to the decoding check)
_SHORT_IDS = rb"\[([1-9][0-9]{0,8}(?:,[1-9][0-9]{0,8})*)\]"
_SOURCE = rb'"([\x20\x21\x23-\x5b\x5d-\x7e]*)"'  # (printable ASCII but a quote and a backslash)


def _plain(ids: bytes) -> dict[int, re.Pattern[bytes]]:
    """The plain shape's expressions, by the change's third byte, with ``ids`` for a list of ids."""
    return {
        ord("r"): re.compile(
            rb'\{"references":%s(?:,"cited_by":%s)?,"link_sources":\{"references":\{%s:\[\1\]\}'
            rb'(?(2),"cited_by":\{"\3":\[\2\]\})\}\}' % (ids, ids, _SOURCE)
        ),
        ord("c"): re.compile(
            rb'\{"cited_by":%s,"link_sources":\{"cited_by":\{%s:\[\1\]\}\}\}' % (ids, _SOURCE)
        ),
    }


_PLAIN, _SHORT_PLAIN = _plain(_IDS), _plain(_SHORT_IDS)


def plain_record(raw: bytes) -> tuple[bytes, int, int] | None:
    """``raw``, a link change ``Change.encode`` wrote, as the link record it makes on a document with no
    links before it, with (references, citing) counts; None when it is not of the plain shape
    (``{"references":L,"cited_by":M,"link_sources":{"references":{"S":L},"cited_by":{"S":M}}}``, one
    relation or both, each list not empty, one source ``S`` for both), whose record is the change
    itself: the join of one change without repeats (``joined_record``) makes the same dict, in the same
    order, and so the same bytes. Only for a change of this transaction: its ids are seen to be plain
    numbers, each once, in the bytes (a flipped bit, ``[12q,45]`` or ``[123.45]``, is left to the join,
    which refuses it naming its segment; ``[45,45]`` too, which it makes ``[45]``), not checked against
    the state (one at or past its next id is taken).

    The shape is one regular expression's, matched in C (stop 40: sliced and compared in Python, it was
    2.2% of the main thread's samples importing 20k records into an empty library)."""
    pattern = _PLAIN.get(raw[2]) if len(raw) > 2 else None
    found = pattern.fullmatch(raw) if pattern is not None else None
    if found is None:
        return None
    first = _distinct(found[1])
    if pattern is _PLAIN[ord("c")] or not first:
        return (raw, 0, first) if first else None
    second = found[2]
    if second is None:
        return raw, first, 0
    return (raw, first, count) if (count := _distinct(second)) else None


def plain_change(raw: bytes) -> tuple[bytes, bytes | None, bytes | None] | None:
    """A link change of the plain shape (``plain_record``'s) whose ids are each of nine digits at most,
    as (its source, its references' ids, its citing ids: each list's bytes between its brackets, None
    when it has none); None: any other change. Such a change is one ``decoding.usual`` passes, and so
    ``check_links``: a dict of a relation or both, each given again under one source, every id an int
    in [1, 2**32), seen in the bytes, matched in C (a merge of segments checks hundreds of thousands of
    changes: decoded and walked, they were a third of its CPU)."""
    pattern = _SHORT_PLAIN.get(raw[2]) if len(raw) > 2 else None
    found = pattern.fullmatch(raw) if pattern is not None else None
    if found is None:
        return None
    if pattern is _SHORT_PLAIN[ord("c")]:
        return found[2], None, found[1]
    return found[3], found[1], found[2]


def joined_plain(raws: list[bytes]) -> tuple[bytes, tuple[int, int]] | None:
    """Plain changes (``plain_change``; oldest first) of one source joined into one, with its counts:
    the bytes ``decoding.usual_joined`` makes of them (each relation's ids in the order learnt, each once:
    the ids are digits with no leading zero, so equal bytes are equal ids), made of their bytes, not
    decoded and encoded again. None: one is not plain, or their sources differ."""
    source = None
    given: tuple[list[bytes], list[bytes]] = ([], [])
    for raw in raws:
        parts = plain_change(raw)
        if parts is None or (source is not None and parts[0] != source):
            return None
        source, refs, cited = parts
        if refs is not None:
            given[0].append(refs)
        if cited is not None:
            given[1].append(cited)
    listed, by_source, counts = [], [], [0, 0]
    for rel, name in enumerate((b"references", b"cited_by")):
        if not given[rel]:
            continue
        joined = b",".join(given[rel])
        ids = joined.split(b",")
        distinct = dict.fromkeys(ids)
        if len(distinct) != len(ids):
            joined = b",".join(distinct)
        counts[rel] = len(distinct)
        listed.append(b'"%s":[%s]' % (name, joined))
        by_source.append(b'"%s":{"%s":[%s]}' % (name, source, joined))
    if not listed:
        return None
    return b'{%s,"link_sources":{%s}}' % (b",".join(listed), b",".join(by_source)), (counts[0], counts[1])


def _distinct(ids: bytes) -> int:
    """How many ids a plain list holds; 0 when one repeats, which only damage makes (``[45,47]`` with a
    bit flipped is ``[45,45]``): the join keeps each once, so such a change is left to it. The ids are
    digits with no leading zero: equal bytes, equal ids."""
    parts = ids.split(b",")
    return len(parts) if len(set(parts)) == len(parts) else 0


def joined_links(records: list[dict[str, Any]], *, changes: bool) -> tuple[bytes | None, int, int]:
    """Link records or changes (decoded, oldest first) that remove nothing, joined into one: the targets
    of each relation in the order learnt, the sources of each, with (references, citing) counts. This
    is what applying them one by one makes (``linkrec.apply``, ``Change.of``), without walking every
    link's sources in Python. ``changes``: they are changes, and so is the result (sources given for
    targets they do not list are sources new to older targets, and kept; a change that removes
    something is composed by ``Change.of``); else records, and so is the result (such sources are
    dropped, as ``apply`` drops them; None: no links)."""
    if changes and any("removed" in record for record in records):
        change = linkrec.Change.of(records)
        return change.encode(), *change.counts
    out, refs, cited = joined_record(records, changes=changes)
    if not changes and not refs and not cited:
        return None, 0, 0
    return orjson.dumps(out), refs, cited


def joined_record(records: list[dict[str, Any]], *, changes: bool) -> tuple[dict[str, object], int, int]:
    """``joined_links``' record before it is encoded, for records or changes that remove nothing."""
    out: dict[str, object] = {}
    sources: dict[str, dict[str, list[int]]] = {}
    counts = []
    for rel in linkrec.RELS:
        # (chained in C: a merge joins millions of targets)
        targets = dict.fromkeys(chain.from_iterable([record.get(rel, ()) for record in records]))
        counts.append(len(targets))
        if targets:
            out[rel] = list(targets)
        by_source: dict[str, dict[int, None]] = {}
        for record in records:
            for source, ids in record.get("link_sources", {}).get(rel, {}).items():
                kept = ids if changes else (t for t in ids if t in targets)
                by_source.setdefault(source, {}).update(dict.fromkeys(kept))
        listed = {source: list(ids) for source, ids in by_source.items() if ids}
        if listed:
            sources[rel] = listed
    if sources:
        out["link_sources"] = sources
    return out, counts[0], counts[1]
