"""Small citation graphs written as libraries, for the neighbourhood tests."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from store.library import Library
from store.model import Article, Link, Origin
from tests.store.old_libraries import write_v2_docs

ORIGIN = Origin("test", "here")


def hand_built(lib: Library) -> None:
    """The graph of ``test_neighbourhood`` (``a -> b``: a cites b), imported as article pages would be.

    Full records 1 (X, 2015), 2, 3, 4, 5, 10, 11, 12; stubs 13, 20, 21 (only cited) and 50 (a stub
    known from the citing lists of 1 and 12, so it cites them).

        1 -> 10 11 12 13      2 -> 1 10 11 20      3 -> 1 11 12 20      4 -> 1 20 21
        5 -> 10 11 12         50 -> 1 12
    """
    cites = {
        "1": ["10", "11", "12", "13"],
        "2": ["1", "10", "11", "20"],
        "3": ["1", "11", "12", "20"],
        "4": ["1", "20", "21"],
        "5": ["10", "11", "12"],
        "10": [],
        "11": [],
        "12": [],
    }
    years = {"1": 2015, "2": 2016, "3": 2017, "4": 2018, "5": 2019, "10": 2010, "11": 2011, "12": 2012}
    citing_pages = {"1": ["50"], "12": ["50"]}  # what the pages list as citing, besides the records
    with lib.transaction() as changes:
        for pmid, refs in cites.items():
            article = Article(
                pmid=pmid,
                title=f"Record {pmid}",
                year=years[pmid],
                references=[Link(pmid=r, title=f"Stub {r}", year=2000 + int(r)) for r in refs],
                cited_by=[Link(pmid=c, title=f"Stub {c}", year=2020) for c in citing_pages.get(pmid, [])],
            )
            changes.put_article(article, ORIGIN)


def random_graph(path: Path, n: int = 300, seed: int = 3, stub_share: float = 0.3) -> dict[int, list[int]]:
    """A random citation graph of ``n`` documents written as a library (some stubs, some undated);
    returns what each document cites, by document id."""
    rng = random.Random(seed)
    cites: dict[int, list[int]] = {}
    for i in range(1, n + 1):
        older = list(range(1, i))
        # A few popular old documents, so that counts above 1 are common.
        weights = [1.0 / (j**0.6) for j in older]
        k = min(len(older), rng.randint(0, 12))
        chosen: set[int] = set()
        while len(chosen) < k:
            chosen.add(rng.choices(older, weights)[0])
        cites[i] = sorted(chosen)
    cited_by: dict[int, list[int]] = {i: [] for i in cites}
    for i, targets in cites.items():
        for j in targets:
            cited_by[j].append(i)

    def docs() -> Iterable[tuple[int, dict[str, Any]]]:
        for i in range(1, n + 1):
            doc: dict[str, Any] = {"pmid": str(1000 + i), "title": f"Document {i}"}
            if rng.random() > 0.1:
                doc["year"] = 1990 + i // 10
            if rng.random() < stub_share:
                doc["stub"] = True
            if cites[i]:
                doc["references"] = cites[i]
            if cited_by[i]:
                doc["cited_by"] = cited_by[i]
            yield i, doc

    write_v2_docs(path, docs())  # (converted when it is first opened)
    return cites
