""" "Most cited first": a query's hits ranked by the library's live citation counts.

The index keeps each document's citation count as of its indexing, but a record's count grows when
later records cite it, and that never rewrites (nor re-indexes) its document: so the ranking asks the
library (``store.storage.citations``). Up to ``FETCH_ALL`` hits are fetched and ranked; beyond, the
library's own citation order is walked, ``CHUNK`` documents at a time, asking the index which of them
match, until the page is full. The record kind (``is:stub``, ``is:full``) and the empty query are not
searched whole: the library's order is walked, and the index asked where it holds each chunk of it (of
the kind asked, by the index's own field, as the row shows it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import tantivy

from store.search.fields import SCHEMA
from store.search.query import Filter, MatchAll, Node
from store.storage.citations import Citations

FETCH_ALL = 20_000
CHUNK = 4096
STUBS = {"stub": True, "full": False}
UNCOUNTED = -1  # (the total of a full page not counted: ``most_cited``'s ``count``)


def most_cited(
    searcher: Any, compiled: Any, node: Node | None, wanted: int, citations: Citations, *, count: bool = True
) -> tuple[list[Any], int]:
    """The index addresses of the first ``wanted`` hits most cited first, and how many hits there are.
    ``node`` is the query (None: ``compiled`` is not a query of its own, so no shortcut by its kind).

    ``count`` False: a caller that does not need the total of a full page (the app's first list, whose
    total is then the index's count of documents: ``tui.listing.search``) gets ``UNCOUNTED`` for it
    where the count is a search of its own, every hit counted (11 ms of CPU for ``is:full`` at a
    million records; the page itself 5). A page not full is counted."""

    def counted() -> int:
        return int(searcher.search(compiled, limit=1, count=True).count or 0)

    if isinstance(node, MatchAll) or (isinstance(node, Filter) and node.kind == "is" and node.value in STUBS):
        total = counted() if count else UNCOUNTED
        # (the kind asked of the index with the addresses, as the row is drawn from the index's document:
        # a document's live kind was its meta, which at a million records read the base index's columns,
        # so that the app's first list waited for their 72.7 MB check: ``store.docindex``)
        found = _indexed(searcher, citations.order(), wanted, compiled if isinstance(node, Filter) else None)
        return found, counted() if total == UNCOUNTED and len(found) < wanted else total
    total = counted()
    page: list[int] = []
    if total <= FETCH_ALL:
        addrs = [addr for _score, addr in searcher.search(compiled, limit=max(total, 1), count=False).hits]
        ids = [int(i) for i in searcher.fast_field_values("doc_id", addrs)] if addrs else []
        # The live counts as of now (read at once, as the order is): another process's commit may have
        # removed documents (merged into others) that the index holds until it updates it, and changed
        # counts. Those it removed are not hits, nor counted: ranked first, then cut to the page.
        citations.reader.refresh()
        hits = citations.ranked(ids)
        page, total = hits[:wanted], len(hits)
    else:
        chunk: list[int] = []
        for doc_id in citations.order():
            chunk.append(doc_id)
            if len(chunk) >= CHUNK:
                page += _matching(searcher, compiled, chunk)
                chunk = []
                if len(page) >= wanted:
                    break
        else:
            page += _matching(searcher, compiled, chunk)
    where = _addresses(searcher, page[:wanted])
    return [where[doc_id] for doc_id in page[:wanted] if doc_id in where], total


def _indexed(searcher: Any, doc_ids: Iterator[int], wanted: int, kind: Any = None) -> list[Any]:
    """The addresses of the first ``wanted`` of ``doc_ids`` that the index holds (and that match the
    query ``kind``, if one is given), in their order.

    The library's order can be ahead of the index: another process's commit is read at once by the
    live counts, and its documents are indexed by that process only after it has committed. Cut to
    ``wanted`` first, a page lost the documents not indexed yet: the newly most cited, which top it
    (a page of 1 of 5 was seen). Asked in chunks of what is left to find."""
    page: list[Any] = []
    while len(page) < wanted:
        chunk = list(itertools.islice(doc_ids, max(wanted - len(page), 64)))
        if not chunk:
            break
        where = _addresses(searcher, chunk, kind)
        page += (where[doc_id] for doc_id in chunk if doc_id in where)
    return page[:wanted]


def _addresses(searcher: Any, doc_ids: list[int], matching: Any = None) -> dict[int, Any]:
    """Where the index holds each of ``doc_ids`` (one question for all of them; only those that match
    the query ``matching``, if one is given)."""
    if not doc_ids:
        return {}
    query = tantivy.Query.term_set_query(SCHEMA, "doc_id", doc_ids)
    if matching is not None:
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, matching), (tantivy.Occur.Must, query)])
    addrs = [addr for _score, addr in searcher.search(query, limit=len(doc_ids), count=False).hits]
    ids = searcher.fast_field_values("doc_id", addrs)
    return {int(i): addr for i, addr in zip(ids, addrs, strict=True)}


def _matching(searcher: Any, compiled: Any, chunk: list[int]) -> list[int]:
    """Which of ``chunk`` match ``compiled``, in ``chunk``'s order."""
    if not chunk:
        return []
    among = tantivy.Query.term_set_query(SCHEMA, "doc_id", chunk)
    both = tantivy.Query.boolean_query([(tantivy.Occur.Must, compiled), (tantivy.Occur.Must, among)])
    addrs = [addr for _score, addr in searcher.search(both, limit=len(chunk), count=False).hits]
    found = {int(i) for i in searcher.fast_field_values("doc_id", addrs)} if addrs else set()
    return [doc_id for doc_id in chunk if doc_id in found]


def cited_between(citations: Citations, low: int | None, high: int | None) -> Any:
    """The documents cited from ``low`` to ``high`` times (inclusive; None: no bound), by the library's
    live counts (``Citations``), as a query on their ids: ``cited>=50`` and the count a hit shows agree,
    however long ago the document was indexed.

    The base's documents are in its most-cited order, so those in the range are one run of it, found by
    bisection (no document is looked at in between); the documents the journal and the segments touch
    are taken with their live keys (``Citations.changed``: the segments' runs, and what the journal
    touches ranked once per state of the library). The
    smaller side is named: the documents in the range, or (``cited>=1``: most of a library, its stubs
    all cited) all but those outside it."""
    if low is not None and high is not None and low > high:
        return tantivy.Query.empty_query()
    ranked = citations.ranked_changes()
    touched = citations.touched(ranked)
    inside: list[int] = []
    outside: list[int] = []
    for key, doc_id in citations.changed(ranked):
        (inside if _within(key >> 48, low, high) else outside).append(doc_id)
    index = ranked.base  # (the base of the state ranked: another thread may have refreshed the reader since)
    if index is not None:
        order = index.column("order")
        size = _run_end(order, lambda _doc_id: True)

        def count(doc_id: int) -> int:
            _flags, _year, citation = index.meta(doc_id)
            return max(citation, index.link_counts(doc_id)[1])

        # (descending counts: the run above ``high`` first, then the range, then below ``low``)
        start = 0 if high is None else _run_end(order, lambda doc_id: count(doc_id) > high, size)
        end = size if low is None else _run_end(order, lambda doc_id: count(doc_id) >= low, size)
        if end - start <= size - (end - start):
            inside += (doc_id for doc_id in order[start:end] if doc_id not in touched)
        else:
            outside += (doc_id for doc_id in order[:start] if doc_id not in touched)
            outside += (doc_id for doc_id in order[end:size] if doc_id not in touched)
            return _all_but(outside)
    elif len(inside) > len(outside):
        return _all_but(outside)
    if not inside:
        return tantivy.Query.empty_query()
    return tantivy.Query.term_set_query(SCHEMA, "doc_id", inside)


def _within(count: int, low: int | None, high: int | None) -> bool:
    return (low is None or count >= low) and (high is None or count <= high)


def _run_end(order: Any, holds: Callable[[int], bool], size: int | None = None) -> int:
    """The end of the run of ``order`` (up to ``size``; doc id 0 ends it) whose documents ``holds``."""
    lo, hi = 0, len(order) if size is None else size
    while lo < hi:
        mid = (lo + hi) // 2
        if order[mid] and holds(order[mid]):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _all_but(doc_ids: list[int]) -> Any:
    everything = tantivy.Query.all_query()
    if not doc_ids:
        return everything
    excluded = tantivy.Query.term_set_query(SCHEMA, "doc_id", doc_ids)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, everything), (tantivy.Occur.MustNot, excluded)])
