"""Combining link lists about one article from several sources into one entry per target."""

from __future__ import annotations

from dataclasses import replace

from store.model import Link


def merge_links(*lists: list[Link]) -> list[Link]:
    """One link per target across ``lists``, in first-seen order.

    Two links name one target when an identifier matches and none contradicts. The first keeps its
    text, gaps are filled from later ones, and ``sources`` lists every source that gave the link.
    """
    merged: list[Link] = []
    index: dict[str, Link] = {}
    for links in lists:
        for link in links:
            same = next((index[k] for k in link.keys if k in index and _compatible(index[k], link)), None)
            if same is None:
                same = replace(link, authors=list(link.authors), sources=list(link.sources))
                merged.append(same)
            else:
                _fill(same, link)
            for key in same.keys:
                index.setdefault(key, same)
    return merged


def _compatible(a: Link, b: Link) -> bool:
    for kind in ("pmid", "pmcid", "doi"):
        x, y = getattr(a, kind), getattr(b, kind)
        if x and y and x.lower() != y.lower():
            return False
    return True


def _fill(into: Link, other: Link) -> None:
    for key in ("pmid", "pmcid", "doi", "title", "journal", "year", "volume", "issue", "pages"):
        if not getattr(into, key) and getattr(other, key):
            setattr(into, key, getattr(other, key))
    if not into.authors:
        into.authors = list(other.authors)
    into.sources.extend(s for s in other.sources if s not in into.sources)
