"""What the result list says when a search finds nothing: how to widen it, and for MeSH searches,
which headings the library does have with that word (``cancer[mh]`` finds nothing when the heading is
"Neoplasms")."""

from __future__ import annotations

from store.search import QuerySyntaxError, SearchIndex, parse_query
from store.search.query import Node, Op, Term

TIPS = "Try fewer words, a wildcard (exosom*), OR, or check the tags."


def mesh_terms(query: str) -> list[str]:
    """The words searched as MeSH headings (``[mh]``, ``[mh:noexp]``) in a query, in order."""
    try:
        node = parse_query(query)
    except QuerySyntaxError:
        return []
    found: list[str] = []
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Op):
            stack.extend((item.right, item.left))
        elif isinstance(item, Term) and (item.field or "").startswith("mh"):
            found.append(item.text)
    return found


def no_hits(index: SearchIndex, query: str) -> str:
    """The message for a query without hits."""
    message = f"No articles match “{query}”. {TIPS}"
    for term in mesh_terms(query):
        headings = index.headings_containing(term, limit=8)
        if headings:
            message += f"\nMeSH headings in the library with “{term}”: " + "; ".join(headings) + "."
        else:
            message += (
                f"\nNo MeSH heading in the library has the word “{term}”: MeSH has its own names "
                "(cancer is “Neoplasms”). Search the word without [mh] to find it anywhere."
            )
    return message
