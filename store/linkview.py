"""A link as the library shows it (``store.library.Library.links`` and ``rows``): its target's
identifiers, title, authors, journal and year, and whether the target is a full record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from store.merge import LINK_RELATIONS, Doc
from store.model import author_name


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link as the library sees it: the target's best-known data and whether it is a full record."""

    target_id: int | None
    pmid: str | None
    pmcid: str | None
    doi: str | None
    title: str
    authors: list[str]
    journal: str
    year: int | None
    in_library: bool
    sources: list[str] = field(default_factory=list)
    n_authors: int | None = None  # how many authors the target has (``authors`` may hold the first few)

    @property
    def author_count(self) -> int:
        return len(self.authors) if self.n_authors is None else self.n_authors

    def to_json(self) -> dict[str, object]:
        return {
            "pmid": self.pmid,
            "pmcid": self.pmcid,
            "doi": self.doi,
            "title": self.title,
            "authors": self.authors,
            "journal": self.journal,
            "year": self.year,
            "in_library": self.in_library,
            "sources": self.sources,
        }


def view_of(target_id: int, target: Doc, sources: Iterable[str]) -> LinkView:
    """A link to ``target_id`` described by its target's whole document (``Library.links``)."""
    year = target.get("year")
    return LinkView(
        target_id=target_id,
        pmid=target.get("pmid"),
        pmcid=target.get("pmcid"),
        doi=target.get("doi"),
        title=str(target.get("title") or ""),
        authors=[author_name(a) for a in target.get("authors", ())],
        journal=str(target.get("journal") or ""),
        year=year if isinstance(year, int) else None,
        in_library=not target.get("stub"),
        sources=list(sources),
    )


def row_of(target_id: int, head: dict[str, Any]) -> LinkView:
    """A link to ``target_id`` described by its target's head (``Library.rows``)."""
    year = head.get("year")
    return LinkView(
        target_id=target_id,
        pmid=head.get("pmid"),
        pmcid=head.get("pmcid"),
        doi=head.get("doi"),
        title=str(head.get("title") or ""),
        authors=list(head.get("authors", ())),
        journal=str(head.get("journal") or ""),
        year=year if isinstance(year, int) else None,
        in_library=not head.get("stub"),
        n_authors=int(head.get("n_authors", 0)),
    )


def check_relation(rel: str) -> None:
    """``ValueError`` unless ``rel`` is a link relation (``"references"``, ``"cited_by"``)."""
    if rel not in LINK_RELATIONS:
        raise ValueError(rel)
