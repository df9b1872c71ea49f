"""How exporters spell the fields most formats share: page ranges, given names, dates, URLs, keywords."""

from __future__ import annotations

import re
from urllib.parse import quote

from store.model import Article, Author
from store.names import initials_in, spelt_initials
from store.pubdate import PubDate, parse_pubdate

_RANGE = re.compile(r"^([^\s,;–-]+)\s*[-–]\s*([^\s,;–-]+)$")
_NUMBERED = re.compile(r"^([A-Za-z]*)(\d+)$")


def page_range(pages: str) -> tuple[str, str]:
    """The first and last page, with MEDLINE's shortened last page written out in full.

    ``1053-67`` -> (``1053``, ``1067``); ``R123-45`` -> (``R123``, ``R145``); ``e33115`` -> (``e33115``, "").
    Anything that is not one simple range (``12-4, 16``) comes back whole as the first page.
    """
    pages = " ".join(pages.split())
    m = _RANGE.match(pages)
    if not m:
        return pages, ""
    first, last = m.group(1), m.group(2)
    a, b = _NUMBERED.match(first), _NUMBERED.match(last)
    if a and b and b.group(1) in ("", a.group(1)) and len(b.group(2)) < len(a.group(2)):
        digits = a.group(2)
        last = a.group(1) + digits[: len(digits) - len(b.group(2))] + b.group(2)
    return first, last


def full_pages(pages: str, dash: str = "-") -> str:
    """The page text with its range written out in full: ``1053-67`` -> ``1053-1067``."""
    first, last = page_range(pages)
    return f"{first}{dash}{last}" if last else first


def given_name(author: Author) -> str:
    """The fore name when it is a name, else the initials spelt out (``JA`` -> ``J. A.``; a fore name
    that is only initials, ``T C`` in older records, -> ``T. C.``)."""
    if author.fore and initials_in(author.fore) is None:
        return author.fore
    letters = initials_in(author.fore) or initials_in(author.initials)
    return spelt_initials(letters) if letters else author.fore or author.initials


def is_literal(author: Author) -> bool:
    """A name to keep whole rather than split into family and given: a group, or a name with no given part
    that still has spaces in it (``World Health Organization`` from a page's author list)."""
    return author.collective or (not author.fore and not author.initials and " " in author.last.strip())


def pubdate(article: Article) -> PubDate | None:
    """The article's date in parts; its year alone when the record has no date text."""
    return parse_pubdate(article.date, article.year)


def journal_name(article: Article) -> str:
    """The journal's full title when known, else the abbreviation PubMed shows."""
    return article.journal_title or article.journal


def article_url(article: Article) -> str:
    """Where a reader finds the article: its PubMed page, else its DOI, else its PMC page."""
    if article.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{article.pmid}/"
    if article.doi:
        # DOIs may hold characters with a meaning in URLs (and ';', which RIS readers split URLs on).
        return "https://doi.org/" + quote(article.doi, safe="/()")
    if article.pmcid:
        return f"https://www.ncbi.nlm.nih.gov/pmc/articles/{article.pmcid}/"
    return ""


def keyword_list(keywords: list[str]) -> str:
    """Keywords as one field: comma-separated, or semicolon-separated when a keyword has a comma."""
    separator = "; " if any("," in k for k in keywords) else ", "
    return separator.join(" ".join(k.split()) for k in keywords)


def one_line(text: str) -> str:
    """Text for one field of an export: one line, spaces collapsed, control characters left out (an
    escape sequence in a title or a reason would restyle the terminal of whoever reads the file)."""
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())


def abstract_line(article: Article) -> str:
    """The abstract on one line, its sections' labels kept: ``BACKGROUND: ... METHODS: ...``."""
    return " ".join(one_line(f"{s.label}: {s.text}" if s.label else s.text) for s in article.abstract)
