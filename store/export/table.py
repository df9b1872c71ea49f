"""CSV: one row per article, for spreadsheets and data frames (the module is not named ``csv`` so it does
not hide the standard library's).

Columns: pmid, pmcid, doi, title, authors (``; ``-joined short names), journal, year, volume, issue,
pages, citation_count, stub; with marks given, also starred, tags (``; ``-joined), screening, note.

An export of a review (provenance given: ``store.export.provenance``) is the review's table instead,
``pmid, pmcid, doi, title, year, round, found_via, decision, stage, reason, screener, decided_at``: one
row per article with how it was found and its screening decision, for a review's records, a PRISMA
appendix or another screening tool.

Either table ends with the citation metrics, whose each number is and when it was fetched
(``store.export.metrics.METRIC_COLUMNS``: ``rcr, rcr_provisional, nih_percentile, apt,
citation_count_icite, ...``), empty where no service stated them.

CSV injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return, which some strip first) as a formula, so a title ``=HYPERLINK(...)`` would become a live
link. Such cells get a leading ``'`` (OWASP's advice), which spreadsheets show as text and do not display.
``CsvExporter(raw=True)`` writes every cell as it is, for programs that read the file as data.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from store.export.base import Exporter
from store.export.metrics import METRIC_COLUMNS, metric_cells
from store.model import Article

if TYPE_CHECKING:
    from store.export.provenance import ProvenanceTable
    from store.marks import Marks

COLUMNS = (
    "pmid",
    "pmcid",
    "doi",
    "title",
    "authors",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "citation_count",
    "stub",
)
MARK_COLUMNS = ("starred", "tags", "screening", "note")
REVIEW_COLUMNS = (
    "pmid",
    "pmcid",
    "doi",
    "title",
    "year",
    "round",
    "found_via",
    "decision",
    "stage",
    "reason",
    "screener",
    "decided_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Control characters other than tab and line ends: an escape sequence in a title or a reason would
# restyle the terminal of whoever pipes the export (``cat``, ``column``); no spreadsheet shows them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def neutralise(cell: str) -> str:
    """A cell as written by default: control characters left out, and a cell a spreadsheet would run as
    a formula made text with a leading ``'``."""
    cell = CONTROL.sub("", cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class CsvExporter(Exporter):
    name = "csv"
    extension = "csv"
    description = "CSV table (.csv)"

    def __init__(
        self, *, marks: Marks | None = None, raw: bool = False, provenance: ProvenanceTable | None = None
    ) -> None:
        super().__init__(marks=marks, provenance=provenance)
        self.raw = raw

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        writer = csv.writer(out, lineterminator="\n")
        # The csv module quotes a cell holding "\n" but not one holding a lone "\r" (it is not in the line
        # terminator), and readers then split the row there: rows with one quote every cell.
        quoting_all = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        if self.provenance is not None:
            writer.writerow(REVIEW_COLUMNS + METRIC_COLUMNS)
        else:
            writer.writerow(COLUMNS + (MARK_COLUMNS if self.marks is not None else ()) + METRIC_COLUMNS)
        for article in articles:
            row = self.row(article) + metric_cells(article)
            if not self.raw:
                row = [neutralise(cell) for cell in row]
            (quoting_all if any("\r" in cell for cell in row) else writer).writerow(row)

    def row(self, article: Article) -> list[str]:
        if self.provenance is not None:
            return self.review_row(article)
        row = [
            article.pmid or "",
            article.pmcid or "",
            article.doi or "",
            article.title,
            "; ".join(a.name for a in article.authors),
            article.journal,
            str(article.year) if article.year is not None else "",
            article.volume,
            article.issue,
            article.pages,
            str(article.citation_count) if article.citation_count is not None else "",
            "true" if article.stub else "false",
        ]
        if self.marks is not None:
            mark = self.marks.get(article.keys)
            starred = "true" if mark.starred else "false"
            row += [starred, "; ".join(mark.tags), mark.screening or "", mark.note]
        return row

    def review_row(self, article: Article) -> list[str]:
        """The review's columns (``REVIEW_COLUMNS``) of one article."""
        assert self.provenance is not None
        found = self.provenance.get(article)
        row = [
            article.pmid or "",
            article.pmcid or "",
            article.doi or "",
            article.title,
            str(article.year) if article.year is not None else "",
        ]
        if found is None:
            return row + [""] * (len(REVIEW_COLUMNS) - len(row))
        review = (
            found.how_found(),
            found.decision,
            found.stage,
            found.reason,
            found.screener,
            found.decided_at,
        )
        return [*row, str(found.round) if found.round else "", *review]
