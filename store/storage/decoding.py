"""Decoding what a library stores, checked: a damaged document or link record is refused with one line
naming its file and document (and, in a journal, its commit), and the library left as it is."""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Any

import orjson

from store.errors import LibraryFileError
from store.schema import check_document, check_links

RELS = ("references", "cited_by")  # (``store.storage.links.RELS``)


def decode(path: Path, raw: bytes, doc_id: int, where: str = "") -> dict[str, object]:
    """A stored document, checked (a damaged one is refused, naming its file, and ``where`` in it: a
    journal's commit)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{path}{where}: document {doc_id} is not valid JSON ({exc.msg}); the library was left as it is"
        ) from None
    if problem := check_document(doc):
        raise LibraryFileError(f"{path}{where}: document {doc_id}: {problem}; the library was left as it is")
    return doc  # type: ignore[no-any-return]


def decode_links(path: Path, raw: bytes, doc_id: int, where: str = "") -> dict[str, object]:
    """A stored link record or change, checked."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{path}{where}: the links of document {doc_id} are not valid JSON ({exc.msg}); "
            "the library was left as it is"
        ) from None
    if problem := check_links(record):
        raise LibraryFileError(
            f"{path}{where}: the links of document {doc_id}: {problem}; the library was left as it is"
        )
    return record  # type: ignore[no-any-return]


def usual_joined(records: list[object]) -> tuple[bytes, tuple[int, int]] | None:
    """``joined_record``'s join, with its counts, of changes of the usual shape (``usual``); None:
    another shape, or ids that do not check: joined the general way, which names a damaged change in
    one line. The general join walks each record, relation and source in Python: the joins were two
    thirds of a merge's CPU (a merge of two 10,000-record files' segments joins 70,000 changes). For
    changes, or for a link record and its changes: the usual shape gives no source for a target it
    does not list, so what ``joined_record`` keeps of the sources is the same either way."""
    found = usual(records)
    if found is None:
        return None
    source, lists = found
    out: dict[str, object] = {}
    listed: dict[str, object] = {}
    counts = []
    for rel in RELS:
        joined = list(dict.fromkeys(chain.from_iterable(lists[rel])))
        counts.append(len(joined))
        if joined:
            out[rel] = joined
            listed[rel] = {source: joined}
    out["link_sources"] = listed
    return orjson.dumps(out), (counts[0], counts[1])


def usual(records: list[object]) -> tuple[str, dict[str, list[list[object]]]] | None:
    """The source and the lists of targets by relation of changes of the shape an import writes for
    nearly every document it links to: new targets (of one relation or both), all given by one source
    (``{"cited_by": [..], "link_sources": {"cited_by": {"pubmed": [..]}}}``, each list twice), checked
    as ``check_links`` checks them (every id of every list an int in range), in one pass over all their
    ids. None: any other shape (a relation without its sources, another source, a key that is not part
    of such a change, such as ``removed``), no ids at all, or ids that do not check."""
    source = None
    lists: dict[str, list[list[object]]] = {"references": [], "cited_by": []}
    every: list[list[object]] = []
    for record in records:
        if type(record) is not dict:
            return None
        by_relation = record.get("link_sources")
        # (each relation it lists with its sources, and nothing else: ``link_sources`` and those)
        if type(by_relation) is not dict or len(record) != len(by_relation) + 1:
            return None
        for rel, by_source in by_relation.items():
            into, ids = lists.get(rel), record.get(rel)
            if into is None or type(ids) is not list or type(by_source) is not dict or len(by_source) != 1:
                return None
            ((name, given),) = by_source.items()
            if (source is not None and name != source) or given != ids:
                return None
            source = name
            into.append(ids)
            every += (ids, given)  # (both checked: equal lists may differ in type, 1 == 1.0 == True)
    flat: list[Any] = list(chain.from_iterable(every))
    if not flat or set(map(type, flat)) != {int} or min(flat) < 1 or max(flat) >= 1 << 32:
        return None
    assert source is not None
    return source, lists
