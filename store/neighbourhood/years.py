"""Counts per year: an article's citing articles and references, and the publications of a result set.

These are the data of the per-year bar charts; the app and the command line draw them. An article's
citing articles per year come from the library, or from iCite when iCite knows more of them
(``CitationYears.per_year``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store import metrics
from store.neighbourhood.nodes import GraphReader

if TYPE_CHECKING:
    from store.library import Library


@dataclass(frozen=True, slots=True)
class YearCounts:
    """How many articles per year, and how many without a year."""

    per_year: dict[int, int] = field(default_factory=dict)
    undated: int = 0

    @property
    def total(self) -> int:
        return sum(self.per_year.values()) + self.undated

    @property
    def span(self) -> tuple[int, int] | None:
        """(first year, last year), or None when no article has a year."""
        if not self.per_year:
            return None
        return min(self.per_year), max(self.per_year)

    def series(self, first: int | None = None, last: int | None = None) -> list[tuple[int, int]]:
        """Every year from ``first`` to ``last`` (default: the span) with its count, zeros included."""
        span = self.span
        if span is None and (first is None or last is None):
            return []
        lo = first if first is not None else span[0]  # type: ignore[index]
        hi = last if last is not None else span[1]  # type: ignore[index]
        return [(year, self.per_year.get(year, 0)) for year in range(lo, hi + 1)]

    def to_json(self) -> dict[str, object]:
        return {"per_year": {str(y): n for y, n in sorted(self.per_year.items())}, "undated": self.undated}


def year_counts(years: Iterable[int | None]) -> YearCounts:
    """Count years (None: undated)."""
    counter: Counter[int] = Counter()
    undated = 0
    for year in years:
        if year is None:
            undated += 1
        else:
            counter[year] += 1
    return YearCounts(dict(sorted(counter.items())), undated)


@dataclass(frozen=True, slots=True)
class CitationYears:
    """An article's citing articles and references per year.

    ``citing`` counts the citing articles the library holds. ``icite`` is what iCite reports per year
    (its ``citedByPmidsByYear``, see ``store.metrics``), None when iCite was not asked. ``reported`` is
    the citation count a source reports: the record's own (an article page's "Cited by"), else
    iCite's, else Europe PMC's; None when no source said. It may exceed ``citing.total``.
    """

    year: int | None  # the article's own year
    citing: YearCounts
    references: YearCounts
    reported: int | None
    icite: YearCounts | None = None

    @property
    def per_year(self) -> YearCounts:
        """What a chart of citing articles per year draws: iCite's counts when iCite knows more citing
        articles than the library holds (a seed whose citing articles were never fetched), else the
        library's own."""
        if self.icite is not None and self.icite.total > self.citing.total:
            return self.icite
        return self.citing

    @property
    def per_year_source(self) -> str:
        """Whose counts ``per_year`` are: ``icite`` or ``library``."""
        return "icite" if self.per_year is self.icite else "library"

    @property
    def missing(self) -> int:
        """Citing articles the source knows of and the library does not hold (0 when unknown)."""
        if self.reported is None:
            return 0
        return max(0, self.reported - self.citing.total)

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "citing": self.citing.to_json(),
            "references": self.references.to_json(),
            "reported_citations": self.reported,
            "icite_citing": None if self.icite is None else self.icite.to_json(),
            "per_year_source": self.per_year_source,
        }


def citation_years(reader: GraphReader, doc_id: int) -> CitationYears | None:
    """Per year: the library's citing articles of ``doc_id`` and its references, and what iCite reports
    per year."""
    reader.fresh()
    centre = reader.node(doc_id)
    if centre is None:
        return None

    def years(ids: Iterable[int]) -> YearCounts:
        # (The years are kept in the document index: ten thousand citing articles cost no read.)
        return year_counts(totals.year for totals in reader.totals_many(list(ids)).values())

    doc = reader.library.doc(doc_id) or {}  # (the node keeps no metrics: one read, for one chart)
    by_year = metrics.citations_by_year(doc)
    reported = centre.citation_count
    if reported is None and (count := metrics.reported_count(doc)) is not None:
        reported = count[0]
    return CitationYears(
        year=centre.year,
        citing=years(centre.cited_by),
        references=years(centre.references),
        reported=reported,
        icite=YearCounts(by_year) if by_year or metrics.BY_YEAR in metrics.icite(doc) else None,
    )


def publications_per_year(library: Library | GraphReader, doc_ids: Iterable[int]) -> YearCounts:
    """How many of these documents (a result set) were published each year."""
    reader = library if isinstance(library, GraphReader) else GraphReader(library)
    reader.fresh()
    nodes = (reader.node(i) for i in doc_ids)
    return year_counts(n.year for n in nodes if n is not None)
