"""Combining link lists about one article from several sources into one entry per target."""

from __future__ import annotations

from store.merge import Doc, union_links
from store.model import Link


def merge_links(*lists: list[Link]) -> list[Link]:
    """One link per target across ``lists``, in first-seen order.

    The rules are the library's (``store.merge``): two links name one target when an identifier
    matches and none contradicts; the first keeps its text, gaps are filled from later ones, and
    ``sources`` lists every source that gave the link.
    """
    merged: list[Doc] = []
    for links in lists:
        union_links(merged, [link.to_doc() for link in links])
    return [Link.from_doc(doc) for doc in merged]
