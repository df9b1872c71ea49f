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
    (citation chasing: the seeds each article was found via), formats that have a place for it add it.
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

    def dumps(self, articles: Iterable[Article]) -> str:
        """The export as one string."""
        buffer = io.StringIO()
        self.write(articles, buffer)
        return buffer.getvalue()
