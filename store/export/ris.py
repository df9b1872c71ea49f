"""RIS: the tagged format EndNote, Zotero, Mendeley and most reference managers import.

Each record is ``TY  - JOUR`` first and ``ER  - `` last, one ``TAG  - value`` line per field (a tag,
two spaces, a dash, a space), ``AU`` once per author in order. Values are single lines. ``KW`` is
repeated for each keyword, MeSH heading (as PubMed's own RIS does), tag and the review decision;
``N1`` for the user's note and the review's note (``store.export.base``). PubMed's
MEDLINE/.nbib text looks similar but is another format (``store.export.medline``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from store.export.base import Exporter
from store.export.citation import (
    abstract_line,
    article_url,
    given_name,
    is_literal,
    journal_name,
    one_line,
    page_range,
    pubdate,
)
from store.model import Article, Author
from store.pubdate import SEASONS


def ris_name(author: Author) -> str:
    """``Last, First`` or ``Last, First, Suffix``; a group's name as it is."""
    if is_literal(author):
        return one_line(author.last)
    parts = [author.last, given_name(author)]
    if author.suffix:
        parts.append(author.suffix)
    return ", ".join(one_line(p) for p in parts if p)


def ris_date(article: Article) -> str:
    """``DA`` as ``YYYY/MM/DD/other``: ``2019/04/18/``, ``2015/11//``, ``1998///Spring``."""
    date = pubdate(article)
    if date is None:
        return ""
    month = f"{date.month:02d}" if date.month else ""
    day = f"{date.day:02d}" if date.day else ""
    other = SEASONS[date.season - 1] if date.season else ""
    return f"{date.year:04d}/{month}/{day}/{other}"


class RisExporter(Exporter):
    name = "ris"
    extension = "ris"
    description = "RIS (.ris)"

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        for n, article in enumerate(articles):
            if n:
                out.write("\n")
            out.writelines(f"{tag}  - {value}\n" for tag, value in self.record(article))

    def record(self, article: Article) -> list[tuple[str, str]]:
        """The (tag, value) lines of one record, ``TY`` first and ``ER`` last."""
        lines: list[tuple[str, str]] = [("TY", "JOUR")]

        def add(tag: str, value: str) -> None:
            if value := one_line(value):
                lines.append((tag, value))

        for author in article.authors:
            add("AU", ris_name(author))
        add("TI", article.title)
        add("T2", journal_name(article))
        add("J2", article.journal)
        date = pubdate(article)
        add("PY", str(date.year) if date else "")
        add("DA", ris_date(article))
        add("VL", article.volume)
        add("IS", article.issue)
        first, last = page_range(article.pages)
        add("SP", first)
        add("EP", last)
        add("PB", article.publisher)
        add("DO", article.doi or "")
        add("AN", article.pmid or "")
        add("C2", article.pmcid or "")
        add("AB", abstract_line(article))
        for keyword in self.keywords_of(article):
            add("KW", keyword)
        for language in article.languages:
            add("LA", language)
        add("UR", article_url(article))
        for note in self.notes_of(article):
            add("N1", note)
        lines.append(("ER", ""))
        return lines
