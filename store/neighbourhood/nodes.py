"""``GraphReader``: the documents a neighbourhood needs, read one at a time and kept as small records.

The library keeps no graph in memory: each document is one read (see ``store.storage``). A computation
over an article's neighbourhood reads its neighbours' link lists, and the link counts of the articles
it ranks. A reader memoises what it read as ``Node`` records (ids, counts, the few fields a row shows)
for as long as the library's committed state stays the same: a second computation around the same
article, or a re-centred map, reads only what is new. When the library changes (an import, a fetch
in another process) the memo is dropped at the next call, so results are never stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.library import Library


@dataclass(frozen=True, slots=True)
class Node:
    """One document as the neighbourhood computations see it."""

    doc_id: int
    references: tuple[int, ...]  # document ids, each once, in the order the document lists them
    cited_by: tuple[int, ...]
    year: int | None
    stub: bool
    title: str
    first_author: str  # the surname (or a collective name); "" when unknown
    authors: int  # how many authors
    journal: str
    pmid: str | None
    pmcid: str | None
    doi: str | None
    citation_count: int | None  # as the source reports it (may exceed what the library holds)

    def links(self, rel: str) -> tuple[int, ...]:
        return self.references if rel == "references" else self.cited_by

    @property
    def label(self) -> str:
        """How a row names it: ``PMID 123``, else its PMCID, else ``DOI 10.1/x``, else ``#``document id."""
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.pmcid:
            return self.pmcid
        return f"DOI {self.doi}" if self.doi else f"#{self.doc_id}"


def _unique(ids: object) -> tuple[int, ...]:
    if not isinstance(ids, list):
        return ()
    return tuple(dict.fromkeys(i for i in ids if isinstance(i, int)))


def node_of(doc_id: int, doc: dict[str, object]) -> Node:
    """The ``Node`` of a stored document."""
    year = doc.get("year")
    count = doc.get("citation_count")
    authors = doc.get("authors")
    author_list = authors if isinstance(authors, list) else []
    first = ""
    if author_list and isinstance(author_list[0], dict):
        first = str(author_list[0].get("last") or "")

    def text(key: str) -> str | None:
        value = doc.get(key)
        return value if isinstance(value, str) and value else None

    return Node(
        doc_id=doc_id,
        references=_unique(doc.get("references")),
        cited_by=_unique(doc.get("cited_by")),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        stub=bool(doc.get("stub")),
        title=str(doc.get("title") or ""),
        first_author=first,
        authors=len(author_list),
        journal=str(doc.get("journal") or ""),
        pmid=text("pmid"),
        pmcid=text("pmcid"),
        doi=text("doi"),
        citation_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
    )


class GraphReader:
    """Reads ``Node``s from a library, memoised while the library's committed state is unchanged."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._state = library.state
        self._nodes: dict[int, Node | None] = {}
        self.reads = 0  # documents read from the library (for tests and the benchmark)

    def _check(self) -> None:
        state = self.library.state
        if state != self._state:
            self._state = state
            self._nodes.clear()

    def fresh(self) -> None:
        """Drop the memo if the library changed since (call once per computation, not per node)."""
        self._check()

    def node(self, doc_id: int) -> Node | None:
        """The node of a document id, or None when the library has no such document."""
        try:
            return self._nodes[doc_id]
        except KeyError:
            pass
        doc = self.library.doc(doc_id)
        self.reads += 1
        found = None if doc is None else node_of(doc_id, doc)
        self._nodes[doc_id] = found
        return found

    def known(self, doc_id: int) -> bool:
        """Whether the node is in the memo already (no read needed)."""
        return doc_id in self._nodes

    def clear(self) -> None:
        self._nodes.clear()
