"""CSV: one row per article, for spreadsheets and data frames (the module is not named ``csv`` so it does
not hide the standard library's).

Columns: pmid, pmcid, doi, title, authors (``; ``-joined short names), journal, year, volume, issue,
pages, citation_count, stub; with marks given, also starred, tags (``; ``-joined), screening, note.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from store.export.base import Exporter
from store.model import Article

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


class CsvExporter(Exporter):
    name = "csv"
    extension = "csv"
    description = "CSV table (.csv)"

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS + (MARK_COLUMNS if self.marks is not None else ()))
        for article in articles:
            writer.writerow(self.row(article))

    def row(self, article: Article) -> list[str]:
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
