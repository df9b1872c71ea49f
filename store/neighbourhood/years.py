"""Counts per year: an article's citing articles and references, and the publications of a result set.

These are the data of the per-year bar charts; the app and the command line draw them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

    ``reported`` is the citation count its source reports (an article page's "Cited by", PubMed's count),
    None when no source said; it may exceed ``citing.total``, the citing articles the library holds.
    """

    year: int | None  # the article's own year
    citing: YearCounts
    references: YearCounts
    reported: int | None

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
        }


def citation_years(reader: GraphReader, doc_id: int) -> CitationYears | None:
    """Per year: the library's citing articles of ``doc_id`` and its references (one read each)."""
    reader.fresh()
    centre = reader.node(doc_id)
    if centre is None:
        return None

    def years(ids: Iterable[int]) -> YearCounts:
        nodes = (reader.node(i) for i in ids)
        return year_counts(n.year for n in nodes if n is not None)

    return CitationYears(
        year=centre.year,
        citing=years(centre.cited_by),
        references=years(centre.references),
        reported=centre.citation_count,
    )


def publications_per_year(library: Library | GraphReader, doc_ids: Iterable[int]) -> YearCounts:
    """How many of these documents (a result set) were published each year."""
    reader = library if isinstance(library, GraphReader) else GraphReader(library)
    reader.fresh()
    nodes = (reader.node(i) for i in doc_ids)
    return year_counts(n.year for n in nodes if n is not None)
