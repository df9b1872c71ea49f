"""CSV (and tab- or semicolon-separated) tables of references with a DOI, PMID or PMCID column: Rayyan's,
Covidence's and Zotero's CSV exports, a spreadsheet of seeds, pmbrowse's own CSV export.

The first line is the header; the table is recognised by a column named for an identifier (``doi``,
``pmid``, ``pubmed id``, ``pmcid``, ``pmc id``; any case), or by a title column beside an authors,
year or journal column (a reference manager's export without identifiers: its rows are records, as
RIS entries without identifiers are). Columns are found by name, in any order (aliases below);
columns pmbrowse does not know are left alone. The delimiter is the one of ``,``, tab and ``;`` that
splits the header into the most columns. A row with more cells than the header, an identifier column
holding something that is not one, a row with neither a title nor an identifier, a NUL byte (binary
data, not text) or a broken quote is an error naming the line. Cells exports write for nothing
(``NA``, ``N/A``, ``-``) are empty.

Authors in one cell: split at ``;`` when there is one (Zotero, Scopus), else at `` and `` (BibTeX
style), else at ``,`` when every part is PubMed's ``Surname Initials`` (``Smith J, Jones K``), else one
author. A row without a title is an *identifier entry* (see ``store.formats.refs``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from store.errors import ParseError
from store.formats.base import Parser, decode_text
from store.formats.refs import (
    accession_pmid,
    field_doi,
    field_pmcid,
    field_pmid,
    ids_in_text,
    is_empty,
    person,
    record,
    year_and_date,
)
from store.model import Article, Author

DELIMITERS = (",", "\t", ";")
# pmbrowse's name for a column -> the header names exports give it (compared lower-cased, spaces and
# underscores as one).
ALIASES: dict[str, tuple[str, ...]] = {
    "pmid": ("pmid", "pubmed id", "pubmedid", "pubmed"),
    "pmcid": ("pmcid", "pmc id", "pmc"),
    "doi": ("doi",),
    "title": ("title", "article title", "document title", "primary title"),
    "authors": ("authors", "author", "author(s)", "author names", "author full names"),
    "year": ("year", "publication year", "published year", "py", "pub year", "pubyear"),
    "date": ("date", "publication date", "published date"),
    "journal": ("journal abbreviation", "journal/book abbreviation", "source abbreviation"),
    "journal_title": (
        "journal",
        "journal/book",
        "source title",
        "publication title",
        "journal title",
        "source",
    ),
    "volume": ("volume",),
    "issue": ("issue", "number"),
    "pages": ("pages", "page"),
    "abstract": ("abstract", "abstract note"),
    "keywords": ("keywords", "author keywords"),
    "notes": ("notes", "note", "extra"),
    "url": ("url", "link"),
    "accession": ("accession number", "accession"),
    "language": ("language",),
    "publisher": ("publisher",),
}
IDENTIFIER_COLUMNS = ("pmid", "pmcid", "doi")
RECORD_COLUMNS = ("authors", "year", "date", "journal", "journal_title")  # (with a title: a reference)
_INITIALS_NAME = re.compile(r"^[^\W\d_][\w'’ -]*\s[A-Z]{1,4}$")


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").strip().strip('"').lstrip("\ufeff").lower().split())


def columns_of(header: Sequence[str]) -> dict[str, int]:
    """pmbrowse's columns -> their positions in ``header`` (the first column of each name)."""
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for column, aliases in ALIASES.items():
        for alias in aliases:
            if alias in names and column not in found:
                found[column] = names.index(alias)
    return found


def _header(text: str) -> tuple[str, list[str]] | None:
    """The delimiter and header of a table whose first line names an identifier column, or None."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best: tuple[str, list[str]] | None = None
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if best is None or len(header) > len(best[1]):
            best = (delimiter, header)
    if best is None:
        return None
    columns = columns_of(best[1])
    if any(c in columns for c in IDENTIFIER_COLUMNS):
        return best
    if "title" in columns and any(c in columns for c in RECORD_COLUMNS):
        return best
    return None


def split_authors(cell: str) -> list[Author]:
    cell = " ".join(cell.split())
    if not cell:
        return []
    if ";" in cell:
        parts = cell.split(";")
    elif " and " in cell:
        parts = cell.split(" and ")
    elif "," in cell and all(_INITIALS_NAME.match(p.strip()) for p in cell.split(",")):
        parts = cell.split(",")
    else:
        parts = [cell]
    return [a for p in parts if (a := person(p)) is not None]


class CsvTableParser(Parser):
    name = "csv"
    description = "CSV with a DOI, PMID, PMCID or title column"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
        return b"\0" not in first and _header(head.decode("utf-8", "ignore")) is not None

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        if (nul := text.find("\0")) >= 0:
            line = text.count("\n", 0, nul) + 1
            raise ParseError("a NUL byte: binary data, not a table of text", source=source, line=line)
        found = _header(text)
        if found is None:
            raise ParseError(
                "no header line naming a DOI, PMID or PMCID column, or a title column", source=source, line=1
            )
        delimiter, header = found
        columns = columns_of(header)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            next(reader)
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(header):
                    raise ParseError(
                        f"a row of {len(row)} cells under a header of {len(header)}", source=source, line=line
                    )
                try:
                    yield row_article(row, columns)
                except ParseError as exc:
                    raise ParseError(exc.message, source=source, line=line) from None
        except csv.Error as exc:
            raise ParseError(
                f"not a well-formed table ({exc})", source=source, line=reader.line_num
            ) from None


def row_article(row: Sequence[str], columns: dict[str, int]) -> Article:
    def cell(name: str) -> str:
        position = columns.get(name)
        if position is None or position >= len(row) or is_empty(row[position]):
            return ""
        return row[position].strip()

    pmid, pmcid, doi = ids_in_text([cell("notes"), cell("url")])
    if accession := cell("accession"):
        pmid = accession_pmid(accession) or pmid
    pmid = field_pmid(cell("pmid"), header_name("pmid")) or pmid
    pmcid = field_pmcid(cell("pmcid"), header_name("pmcid")) or pmcid
    doi = field_doi(cell("doi"), header_name("doi")) or doi
    year, date = year_and_date(cell("date"), cell("year"))
    keywords = cell("keywords")
    return record(
        where="the row",
        title=cell("title"),
        authors=split_authors(cell("authors")),
        journal=cell("journal"),
        journal_title=cell("journal_title"),
        year=year,
        date=date,
        volume=cell("volume"),
        issue=cell("issue"),
        page_text=cell("pages"),
        publisher=cell("publisher"),
        abstract=cell("abstract"),
        keywords=[k.strip() for k in keywords.split(";" if ";" in keywords else ",") if k.strip()],
        languages=[cell("language")] if cell("language") else [],
        pmid=pmid,
        pmcid=pmcid,
        doi=doi,
    )


def header_name(column: str) -> str:
    return f"the {column} column:"
