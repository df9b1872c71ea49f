"""What the result list shows and in which order: the search, the order in force, and the list's title.

With no query the list is the whole library: full records first, then the stubs (articles known
only from links), each in the chosen order, so that what the user imported is what they see first.
The order is named in the list's title (``12 hits, most cited first — All articles``) and switched
from the keyboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.search import Results, SearchIndex
    from store.search.index import MarkLookup

# The most rows a result list shows (the total is counted beyond them).
MAX_HITS = 500

# A query that is a search of PubMed rather than of the library: ``pubmed: QUERY``.
ONLINE_PREFIX = "pubmed:"

# The orders a list can be in, as ``SearchIndex.search`` names them, and as the list's title says them.
# ``rcr``: iCite's Relative Citation Ratio, highest first, then the articles without one, most cited first.
ORDER_NAMES = {
    "relevance": "by relevance",
    "date": "newest first",
    "cited": "most cited first",
    "rcr": "highest RCR first",
}

# The filters on what a record is (``store.search.compile``): every other filter is on the marks.
RECORD_FILTERS = {
    ("is", "stub"),
    ("is", "full"),
    ("is", "clinical"),
    ("is", "research"),
    ("has", "abstract"),
    ("has", "metrics"),
}


def online_query(query: str) -> str | None:
    """The PubMed query of ``pubmed: QUERY`` (None: a search of the library)."""
    if query.strip().lower().startswith(ONLINE_PREFIX):
        return query.strip()[len(ONLINE_PREFIX) :].strip()
    return None


def first_query(target: str, saved: str) -> str:
    """The query the list opens on, for the app started on ``target`` (a query, an identifier or
    nothing): the target's words, unless it is an identifier (that opens an article); else the last
    query, ``saved``, unless it searched PubMed (the app never goes online by itself)."""
    from store.ids import parse_identifier

    if target and (" " in target or parse_identifier(target) is None):
        return target
    return "" if online_query(saved) is not None else saved


def orders(query: str) -> tuple[str, ...]:
    """The orders that make sense for a query (relevance needs words to be relevant to)."""
    return ("relevance", "date", "cited", "rcr") if query.strip() else ("cited", "date", "rcr")


def order_for(query: str, chosen: str | None) -> str:
    """The order in force: the chosen one if it fits the query, else the first that does."""
    fitting = orders(query)
    return chosen if chosen in fitting else fitting[0]


def next_order(query: str, chosen: str | None) -> str:
    fitting = orders(query)
    return fitting[(fitting.index(order_for(query, chosen)) + 1) % len(fitting)]


def search(
    index: SearchIndex, query: str, order: str, limit: int, marks: MarkLookup | None = None
) -> Results:
    """The hits of ``query``; with no query, every full record and then every stub."""
    from store.search import Results

    if query.strip():
        return index.search(query, limit=limit, sort=order, marks=marks)
    # (its total is counted only if the page is not full: it is not needed then, see below)
    full = index.search("is:full", limit=limit, sort=order, marks=marks, count=False)
    room = limit - len(full.hits)
    if room <= 0:
        # With the page full of records, the total is the index's count of documents: each is a record
        # or a stub (``store.search.fields``). Counting the stubs by a search of them took 4.5 ms of CPU
        # at a million records (8.5 ms wall), on the app's first page; the count is read from the index.
        return Results(hits=full.hits, total=index.count())
    stubs = index.search("is:stub", limit=room, sort=order, marks=marks)
    return Results(hits=full.hits + stubs.hits[:room], total=full.total + stubs.total)


def needs_marks(query: str) -> bool:
    """Whether ``query`` filters on the user's marks (``starred``, ``tag:NAME``, ``has:note``...), so
    that a search run before the marks were read must run again with them."""
    from store.search.query import Filter, Op, QuerySyntaxError, parse_query

    try:
        node = parse_query(query)
    except QuerySyntaxError:
        return False
    nodes = [node]
    while nodes:
        node = nodes.pop()
        if isinstance(node, Op):
            nodes += (node.left, node.right)
        elif isinstance(node, Filter) and (node.kind, node.value) not in RECORD_FILTERS:
            return True
    return False


def title(query: str) -> str:
    return query.strip() or "All articles"
