"""MEDLINE text (.nbib): PubMed's own tagged format, as "Send to → Citation manager" writes it.

A line is a tag left-justified in four columns, ``- `` and the value (``PMID- 30992990``,
``TI  - ...``); long values go on in continuation lines indented six spaces; a blank line ends a
record. Every record starts with its PMID, so records without one cannot be written and are counted in
``skipped``. ``store.formats.medline`` reads these files back: what one writes the other reads.

Authors: ``FAU`` (``Last, Fore``) when the fore name is known, then ``AU`` (``Last Initials``, and a
suffix) and the author's own ``AD`` lines; a group author is ``CN``. Affiliations of the article that
belong to no author come before the first author, where MEDLINE readers take them as the article's.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TextIO

from store.export.base import Exporter
from store.export.citation import abstract_line, one_line, pubdate
from store.model import Article, Author

LINE_WIDTH = 80
INDENT = 6


def medline_lines(tag: str, value: str) -> list[str]:
    """``TI  - value``, wrapped at spaces onto continuation lines."""
    value = one_line(value)
    if not value:
        return []
    pieces = textwrap.wrap(value, LINE_WIDTH - INDENT, break_long_words=False, break_on_hyphens=False)
    return [f"{tag:<4}- {pieces[0]}", *(" " * INDENT + piece for piece in pieces[1:])]


def author_fields(author: Author) -> list[tuple[str, str]]:
    if author.collective:
        fields = [("CN", author.last)]
    else:
        short = author.name + (f" {author.suffix}" if author.suffix else "")
        fields = []
        if author.fore:
            full = f"{author.last}, {author.fore}" + (f" {author.suffix}" if author.suffix else "")
            fields.append(("FAU", full))
        fields.append(("AU", short))
    fields.extend(("AD", affiliation) for affiliation in author.affiliations)
    return fields


def medline_date(article: Article) -> str:
    """``DP``: the date as PubMed writes it (``2019 Apr 18``), or as the record has it if it says more
    than that; the year alone for a record that has no date."""
    date = pubdate(article)
    if date is not None and date.exact:
        return date.text()
    return article.date or (str(date.year) if date else "")


class MedlineExporter(Exporter):
    name = "medline"
    extension = "nbib"
    description = "MEDLINE / PubMed text (.nbib)"

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        self.skipped = written = 0
        for article in articles:
            if not article.pmid:
                self.skipped += 1
                continue
            if written:
                out.write("\n")
            for tag, value in self.record(article):
                out.writelines(line + "\n" for line in medline_lines(tag, value))
            written += 1

    def record(self, article: Article) -> list[tuple[str, str]]:
        """The (tag, value) fields of one record, in PubMed's order."""
        assert article.pmid
        fields: list[tuple[str, str]] = [("PMID", article.pmid)]
        fields += [("VI", article.volume), ("IP", article.issue), ("DP", medline_date(article))]
        fields += [("TI", article.title), ("PG", article.pages)]
        if article.doi:
            fields.append(("LID", f"{article.doi} [doi]"))
        fields.append(("AB", abstract_line(article)))
        own = {x for a in article.authors for x in a.affiliations}
        fields += [("AD", x) for x in article.affiliations if x not in own]
        for author in article.authors:
            fields += author_fields(author)
        fields += [("LA", x) for x in article.languages]
        fields += [("GR", x) for x in article.grants]
        fields += [("PT", x) for x in article.publication_types]
        fields += [("TA", article.journal), ("JT", article.journal_title), ("PB", article.publisher)]
        fields += [("MH", x) for x in article.mesh]
        fields += [("OT", x) for x in article.keywords]
        if article.pmcid:
            fields.append(("PMC", article.pmcid))
        if article.doi:
            fields.append(("AID", f"{article.doi} [doi]"))
        return [(tag, value) for tag, value in fields if value]
