""" "Most cited first": a query's hits ranked by the library's live citation counts.

The index keeps each document's citation count as of its indexing, but a record's count grows when
later records cite it, and that never rewrites (nor re-indexes) its document: so the ranking asks the
library (``store.storage.citations``). Up to ``FETCH_ALL`` hits are fetched and ranked; beyond, the
library's own citation order is walked, ``CHUNK`` documents at a time, asking the index which of them
match, until the page is full. The record kind (``is:stub``, ``is:full``) and the empty query need no
question to the index at all.
"""

from __future__ import annotations

from typing import Any

import tantivy

from store.search.fields import SCHEMA
from store.search.query import Filter, MatchAll, Node
from store.storage.citations import Citations

FETCH_ALL = 20_000
CHUNK = 4096
STUBS = {"stub": True, "full": False}


def most_cited(
    searcher: Any, compiled: Any, node: Node | None, wanted: int, citations: Citations
) -> tuple[list[Any], int]:
    """The index addresses of the first ``wanted`` hits most cited first, and how many hits there are.
    ``node`` is the query (None: ``compiled`` is not a query of its own, so no shortcut by its kind)."""
    total = int(searcher.search(compiled, limit=1, count=True).count or 0)
    page: list[int] = []
    if isinstance(node, MatchAll) or (isinstance(node, Filter) and node.kind == "is" and node.value in STUBS):
        stub = STUBS.get(node.value) if isinstance(node, Filter) else None
        for doc_id in citations.order():
            if stub is None or ((meta := citations.reader.meta(doc_id)) is not None and meta.stub == stub):
                page.append(doc_id)
                if len(page) >= wanted:
                    break
    elif total <= FETCH_ALL:
        addrs = [addr for _score, addr in searcher.search(compiled, limit=max(total, 1), count=False).hits]
        ids = [int(i) for i in searcher.fast_field_values("doc_id", addrs)] if addrs else []
        page = citations.ranked(ids)[:wanted]
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


def _addresses(searcher: Any, doc_ids: list[int]) -> dict[int, Any]:
    """Where the index holds each of ``doc_ids`` (one question for all of them)."""
    if not doc_ids:
        return {}
    query = tantivy.Query.term_set_query(SCHEMA, "doc_id", doc_ids)
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
