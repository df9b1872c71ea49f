"""The one small interface every export format implements."""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, TextIO

from store.model import Article

if TYPE_CHECKING:
    from store.export.provenance import ProvenanceTable
    from store.marks import Marks


class Exporter(ABC):
    """Writes articles as text in one format.

    ``write`` takes any iterable of articles (full records and stubs alike: a stub exports what is
    known of it) and writes to a text stream; files should be opened as UTF-8, since every format
    keeps Unicode as it is. Formats that have a place for the user's marks (stars, tags, screening,
    notes) read them from ``marks`` when given. A record the format cannot hold at all (MEDLINE needs
    a PMID) is left out and counted in ``skipped``, so the caller can say so. Given ``provenance``
    (a review: how each article was found and its screening decision), formats that have a place for
    it add it (``store.export.provenance``).

    What the user wrote and the review knows goes where each format keeps keywords and notes:
    ``keywords_of`` (the record's keywords, its MeSH headings, the user's tags, the review decision as
    ``pmbrowse:included``) and ``notes_of`` (the user's note, the review's note).
    """

    name: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, *, marks: Marks | None = None, provenance: ProvenanceTable | None = None) -> None:
        self.marks = marks
        self.provenance = provenance
        self.skipped = 0

    @abstractmethod
    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        """Write ``articles``, in order, to ``out``."""

    def keywords_of(self, article: Article) -> list[str]:
        """Keywords, then MeSH headings, then the user's tags, then the review decision; each once."""
        words = [*article.keywords, *article.mesh]
        if self.marks is not None:
            words += self.marks.get(article.keys).tags
        if self.provenance is not None and (found := self.provenance.get(article)) and found.keyword():
            words.append(found.keyword())
        return list(dict.fromkeys(" ".join(w.split()) for w in words if w.strip()))

    def notes_of(self, article: Article) -> list[str]:
        """The user's note (one line), then the review's note."""
        notes: list[str] = []
        if self.marks is not None and (note := " ".join(self.marks.get(article.keys).note.split())):
            notes.append(note)
        if self.provenance is not None and (found := self.provenance.get(article)):
            notes.append(found.note())
        return notes

    def dumps(self, articles: Iterable[Article]) -> str:
        """The export as one string."""
        buffer = io.StringIO()
        self.write(articles, buffer)
        return buffer.getvalue()
