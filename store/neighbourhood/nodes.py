"""``GraphReader``: the documents a neighbourhood needs, read one at a time and kept as small records.

The library keeps no graph in memory: each document is one read, each link list another (see
``store.storage``), and each document's link counts and year are kept in the document index, so
ranking thousands of candidates reads none of them. A computation over an article's neighbourhood reads
its neighbours' link lists, and the link counts of the articles it ranks. A reader memoises what it
read as ``Node`` records (ids, counts, the few fields a row shows) for as long as the library's
committed state stays the same: a second computation around the same article, or a re-centred map,
reads only what is new. When the library changes (an import, a fetch
in another process) the memo is dropped at the next call, so results are never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # (the app imports this before the library is loaded: keep it light)
    from store.library import Library


class Totals(NamedTuple):
    """A document's link counts and year: what ranking needs of a candidate."""

    references: int
    cited_by: int
    year: int | None


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
        """How a row names it: ``PMID 123``, else its PMCID, else ``DOI 10.1/x``, else that it has no
        identifier (a reference known only by its citation text; its document id is internal)."""
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.pmcid:
            return self.pmcid
        return f"DOI {self.doi}" if self.doi else "no identifier"

    @property
    def ident(self) -> str | None:
        """The identifier a command takes for it (``pmbrowse fetch ...``), or None."""
        return self.pmid or self.pmcid or self.doi


def node_of(
    doc_id: int, doc: dict[str, object], references: tuple[int, ...] = (), cited_by: tuple[int, ...] = ()
) -> Node:
    """The ``Node`` of a stored document and its links (which are kept apart from it)."""
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
        references=references,
        cited_by=cited_by,
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


MEMO_LIMIT = 200_000  # nodes, counts and lists kept before the memo starts again (~100 MB at most)


class GraphReader:
    """Reads ``Node``s from a library, memoised while the library's committed state is unchanged."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._state = library.state
        self._nodes: dict[int, Node | None] = {}
        self._lists: dict[tuple[int, str], tuple[int, ...]] = {}
        self._totals: dict[int, Totals | None] = {}
        self.reads = 0  # documents read and decoded whole (for tests and the benchmark)
        self.peeks = 0  # link lists read, and documents counted from the index, without decoding any

    def _check(self) -> None:
        state = self.library.state
        if state != self._state:
            self._state = state
            self.clear()

    def fresh(self) -> None:
        """Drop the memo if the library changed since, or if it has grown large (a long session of
        the app); call once per computation, not per node."""
        self._check()
        if len(self._nodes) + len(self._totals) + len(self._lists) > MEMO_LIMIT:
            self.clear()

    def node(self, doc_id: int) -> Node | None:
        """The node of a document id, or None when the library has no such document."""
        try:
            return self._nodes[doc_id]
        except KeyError:
            pass
        doc = self.library.doc(doc_id)
        self.reads += 1
        found = None
        if doc is not None:
            found = node_of(
                doc_id, doc, self.link_ids(doc_id, "references"), self.link_ids(doc_id, "cited_by")
            )
        self._nodes[doc_id] = found
        return found

    def known(self, doc_id: int) -> bool:
        """Whether the node is in the memo already (no read needed)."""
        return doc_id in self._nodes

    def clear(self) -> None:
        self._nodes.clear()
        self._lists.clear()
        self._totals.clear()

    def link_ids(self, doc_id: int, rel: str) -> tuple[int, ...]:
        """A document's references or citing articles (each once), without decoding the document."""
        node = self._nodes.get(doc_id)
        if node is not None:
            return node.links(rel)
        found = self._lists.get((doc_id, rel))
        if found is None:
            found = self._lists[(doc_id, rel)] = tuple(self.library.link_ids(doc_id, rel))
            self.peeks += 1
        return found

    def totals_many(self, doc_ids: list[int]) -> dict[int, Totals]:
        """``totals`` of many documents (those the library holds), from the index."""
        missing = [doc_id for doc_id in doc_ids if doc_id not in self._totals]
        if missing:
            found = self.library.totals(missing)
            self.peeks += len(found)
            for doc_id in missing:
                got = found.get(doc_id)
                self._totals[doc_id] = None if got is None else Totals(*got)
        return {doc_id: t for doc_id in doc_ids if (t := self._totals.get(doc_id)) is not None}

    def totals(self, doc_id: int) -> Totals | None:
        """How many references and citing articles a document has, and its year (None: no document)."""
        if doc_id not in self._totals:
            self.totals_many([doc_id])
        return self._totals[doc_id]
