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

# The orders a list can be in, as ``SearchIndex.search`` names them, and as the list's title says them.
# ``rcr``: iCite's Relative Citation Ratio, highest first, then the articles without one, most cited first.
ORDER_NAMES = {
    "relevance": "by relevance",
    "date": "newest first",
    "cited": "most cited first",
    "rcr": "highest RCR first",
}


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
    full = index.search("is:full", limit=limit, sort=order, marks=marks)
    room = limit - len(full.hits)
    stubs = index.search("is:stub", limit=max(room, 1), sort=order, marks=marks)
    return Results(hits=full.hits + stubs.hits[: max(room, 0)], total=full.total + stubs.total)


def title(query: str) -> str:
    return query.strip() or "All articles"
