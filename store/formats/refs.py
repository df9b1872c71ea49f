"""What the reference managers' formats share (RIS, BibTeX, CSV, lists of identifiers): reading a
person's name, a year, identifiers written in the many ways exports write them, and making a record.

Decisions, where the formats leave a choice (they hold what a person typed into a reference manager):

- **Identifiers**: a PMID is taken from its own field, from an accession number that is one
  (``AN  - 31234567``, ``AN  - PMID: 31234567``), from a PubMed URL, or from a note or ``extra`` line
  ``PMID: 31234567`` (Zotero keeps it there); a PMCID likewise (``PMC1234567``, ``PMCID: PMC1234567``, a
  PMC URL); a DOI from its field or a ``doi.org`` URL. A value in an identifier's own field that is not
  one is an error naming the record (a PMID field holding ``abc`` is damage, not a missing PMID); one
  found in free text that is not one is ignored.
- **Names**: ``Last, First Middle`` or ``Last, Jr, First`` (RIS, BibTeX's second form), or PubMed's
  ``Last FM``; given names that are initials (``J. A.``) become the initials, others the fore name with
  its initials derived. A name with no comma that is not ``Last FM`` is kept whole (a group's name).
- **Years** are four ASCII digits from 1000 to 2999 found at the start of a date field; a date field
  with no such year gives none (the record is kept, without a year).
- An entry with neither a title nor an identifier says nothing: it is an error naming the record,
  never dropped silently. An entry with identifiers and no title is an *identifier entry*: the import
  matches it to the library's article, or keeps it as a stub holding its identifier (see
  ``store.snowball.intake``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from store.errors import ParseError
from store.formats.base import clean_title, split_labels, unique
from store.ids import normalise_pmcid, normalise_pmid, parse_identifier
from store.model import Article, Author
from store.names import initials_in, initials_of
from store.pubdate import PubDate

_YEAR_AT_START = re.compile(r"^\s*(1\d{3}|2\d{3})(?:\D|$)", re.ASCII)
_ISO_PARTS = re.compile(r"^\s*(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?", re.ASCII)
_PMID_IN_TEXT = re.compile(r"\bPMID\s*[:=]?\s*(\d{1,9})\b", re.IGNORECASE | re.ASCII)
_PMCID_IN_TEXT = re.compile(r"\b(?:PMCID\s*[:=]?\s*)?(PMC\d{1,9})\b", re.IGNORECASE | re.ASCII)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\n\s*\n")
_EMPTY = frozenset({"", "na", "n/a", "none", "null", "-"})


def is_empty(value: str) -> bool:
    """A cell exports write for nothing (``NA``, ``N/A``, ``-``)."""
    return value.strip().casefold() in _EMPTY


def _identifier(kind: str, value: str, where: str) -> str | None:
    """The identifier of ``kind`` a field meant to hold one holds (any form ``parse_identifier`` knows:
    ``PMID: 123``, URLs...; a PMCID field may hold its bare number); an error when it holds another."""
    if is_empty(value):
        return None
    text = value.strip()
    found = parse_identifier(text)
    if found is not None and found.kind == kind:
        return found.value
    if kind == "pmcid" and (bare := normalise_pmcid(text)) is not None:
        return bare
    raise ParseError(f"{where} {text[:60]!r} is not a {kind.upper() if kind != 'doi' else 'DOI'}")


def field_pmid(value: str, where: str) -> str | None:
    """A PMID from a field meant to hold one (``31234567``, ``PMID: 31234567``, a PubMed URL)."""
    return _identifier("pmid", value, where)


def field_pmcid(value: str, where: str) -> str | None:
    return _identifier("pmcid", value, where)


def field_doi(value: str, where: str) -> str | None:
    return _identifier("doi", value, where)


def accession_pmid(value: str) -> str | None:
    """An accession number that is a PMID (``31234567``, ``PMID: 31234567``); others (a database's own
    numbers, ``WOS:000123``) are not."""
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return normalise_pmid(text)
    m = _PMID_IN_TEXT.fullmatch(text)
    return normalise_pmid(m.group(1)) if m else None


def ids_in_text(texts: Iterable[str]) -> tuple[str | None, str | None, str | None]:
    """PMID, PMCID and DOI written in free text (notes, ``extra``, URLs): ``PMID: 123``, a PubMed URL,
    ``PMCID: PMC456``, a doi.org URL. The first of each kind found."""
    pmid = pmcid = doi = None
    for text in texts:
        for line in text.splitlines():
            if pmid is None and (m := _PMID_IN_TEXT.search(line)):
                pmid = normalise_pmid(m.group(1))
            if pmcid is None and (m := _PMCID_IN_TEXT.search(line)):
                pmcid = normalise_pmcid(m.group(1))
            for url in _URL.findall(line):
                found = parse_identifier(url.rstrip(".,;)"))
                if found is None:
                    continue
                if found.kind == "pmid" and pmid is None:
                    pmid = found.value
                elif found.kind == "pmcid" and pmcid is None:
                    pmcid = found.value
                elif found.kind == "doi" and doi is None:
                    doi = found.value
    return pmid, pmcid, doi


def person(text: str) -> Author | None:
    """One author as a reference manager writes it (see the module's docstring)."""
    text = " ".join(text.split()).strip(" ,;")
    if not text:
        return None
    if "," not in text:
        return Author.from_name(text)
    parts = [p.strip() for p in text.split(",")]
    last = parts[0]
    suffix, given = ("", parts[1]) if len(parts) == 2 else (parts[1], ", ".join(parts[2:]))
    if not last:
        return Author.from_name(given) if given else None
    return named(last, given, suffix)


def named(last: str, given: str, suffix: str = "") -> Author:
    """An author from their parts: given initials become the initials, a given name the fore name."""
    author = Author(last=last, suffix=suffix)
    if given:
        if (letters := initials_in(given)) is not None:
            author.initials = letters
        else:
            author.fore = given
            author.initials = initials_of(given)
    return author


def year_and_date(*texts: str) -> tuple[int | None, str]:
    """The year, and the date as PubMed writes it (``2019 Apr 18``), from the first date field that has
    a year: ``2019``, ``2019/04/18/``, ``2019-04``, ``2019 Apr``."""
    for text in texts:
        if not text or not (m := _YEAR_AT_START.match(text)):
            continue
        year = int(m.group(1))
        parts = _ISO_PARTS.match(text)
        date_parts: tuple[int, ...] = (year,)
        if parts and parts.group(2):
            month = int(parts.group(2))
            day = int(parts.group(3)) if parts.group(3) else 0
            if 1 <= month <= 12:
                date_parts = (year, month, day) if 1 <= day <= 31 else (year, month)
        return year, PubDate(date_parts).text()
    return None, ""


def pages(first: str, last: str = "") -> str:
    first, last = first.strip(), last.strip()
    return f"{first}-{last}" if first and last and last != first else first or last


def record(
    *,
    where: str,
    title: str = "",
    authors: Iterable[Author] = (),
    journal: str = "",
    journal_title: str = "",
    year: int | None = None,
    date: str = "",
    volume: str = "",
    issue: str = "",
    page_text: str = "",
    publisher: str = "",
    abstract: str = "",
    keywords: Iterable[str] = (),
    languages: Iterable[str] = (),
    pmid: str | None = None,
    pmcid: str | None = None,
    doi: str | None = None,
) -> Article:
    """An Article from a reference manager's fields; ``where`` names the record in an error."""
    article = Article(
        pmid=pmid,
        pmcid=pmcid,
        doi=doi,
        title=clean_title(title),
        authors=list(authors),
        year=year,
        date=date,
        volume=" ".join(volume.split()),
        issue=" ".join(issue.split()),
        pages=" ".join(page_text.split()),
        publisher=" ".join(publisher.split()),
        keywords=unique(" ".join(k.split()) for k in keywords),
        languages=unique(" ".join(x.split()) for x in languages),
    )
    short, full = " ".join(journal.split()), " ".join(journal_title.split())
    article.journal, article.journal_title = (short, full) if short else (full, "")
    if abstract.strip():
        paragraphs = _PARAGRAPHS.split(abstract) if "\n" in abstract else [abstract]
        article.abstract = [
            section
            for paragraph in paragraphs
            if (text := " ".join(paragraph.split()))
            for section in split_labels(text)
        ]
    if not article.title and not (pmid or pmcid or doi):
        raise ParseError(f"{where} has neither a title nor a PMID, PMCID or DOI")
    return article


def identifier_entry(article: Article) -> bool:
    """An entry that only names an article: identifiers, no title."""
    return not article.title
