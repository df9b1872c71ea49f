"""RIS, as EndNote, Zotero, Mendeley, Rayyan and Covidence export it (tag, two spaces, dash, space, value;
``TY`` first and ``ER`` last in each record).

The tags are read by ``rispy`` (its names for them, its list tags and continuation lines); the file's
structure is checked here first, since rispy skips what it cannot read without a word: a line outside
a record, a record that starts before the last one ended (``TY`` again before ``ER``), and a file that
ends inside a record are errors naming the line and the record. Text that is not UTF-8 is an error
naming the line (exports are UTF-8; a BOM is dropped).

Fields read (see ``store.formats.refs`` for names, years and identifiers): ``TI``/``T1`` title, ``AU``/
``A1`` authors, ``T2``/``JO``/``JF`` the journal's title and ``J2``/``JA`` its abbreviation, ``PY``/``Y1``/
``DA`` the year and date, ``VL``, ``IS``, ``SP``-``EP``, ``PB``, ``AB`` (or ``N2``), ``KW``, ``LA``,
``DO`` the DOI, ``AN`` the PMID when it is one, ``C2``/``C7`` a PMCID when they hold one (pmbrowse's own
export writes ``C2``), and PMIDs, PMCIDs and DOIs found in ``N1`` notes and ``UR`` links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from rispy.parser import RisParser as RispyParser

from store.errors import ParseError
from store.formats.base import Parser, decode_text
from store.formats.refs import (
    accession_pmid,
    field_doi,
    field_pmcid,
    ids_in_text,
    pages,
    person,
    record,
    year_and_date,
)
from store.model import Article

_HEAD_TY = re.compile(rb"^(?:\xef\xbb\xbf)?\s*TY  - ", re.MULTILINE)
_PMCID_VALUE = re.compile(r"^\s*(?:PMCID\s*:?\s*)?PMC\d{1,9}\s*$", re.IGNORECASE)


def _text(fields: dict[str, Any], *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        if value:
            return str(value)
    return ""


def _list(fields: dict[str, Any], *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        value = fields.get(name)
        if isinstance(value, list):
            found += [str(v) for v in value]
        elif value:
            found.append(str(value))
    return found


class RisFileParser(Parser):
    name = "ris"
    description = "RIS"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return _HEAD_TY.match(start) is not None

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        reader = RispyParser()
        for number, (line, lines) in enumerate(records(text, source), 1):
            fields = reader.parse_lines(iter(lines))
            if not fields:  # (rispy found no TY line: records() let none through)
                raise ParseError("no TY line", source=source, line=line, record=str(number))
            try:
                yield article_of(fields[0])
            except ParseError as exc:
                raise ParseError(exc.message, source=source, line=line, record=str(number)) from None


def records(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """Each record's first line number and lines, ``TY`` to ``ER``; the structure checked (see above)."""
    current: list[str] = []
    start = 0
    number = 0
    for n, line in enumerate(text.splitlines(), 1):
        # (a tag line is ``XY  - value``: sliced rather than matched, this loop sees every line)
        tag = line[:2] if line[2:5] == "  -" and line[5:6] in ("", " ") and line[:1].isalpha() else None
        if not current:
            if tag == "TY":
                current, start = [line], n
                number += 1
            elif line.strip():
                raise ParseError(
                    "a line outside any record (a record starts with TY and ends with ER)",
                    source=source,
                    line=n,
                )
            continue
        if tag == "TY":
            raise ParseError(
                f"record {number} has no ER line before the next record starts", source=source, line=n
            )
        current.append(line)
        if tag == "ER":
            yield start, current
            current = []
    if current:
        raise ParseError(
            f"record {number} (line {start}) has no ER line: the file ends inside it (cut off?)",
            source=source,
            line=start + len(current) - 1,
        )


def article_of(fields: dict[str, Any]) -> Article:
    """One RIS record (rispy's field names) as an Article."""
    notes = _list(fields, "notes", "note", "research_notes")
    urls = _list(fields, "urls")
    pmid, pmcid, doi = ids_in_text([*notes, *urls])
    accession = _text(fields, "accession_number")
    pmid = (accession_pmid(accession) if accession else None) or pmid
    for custom in ("custom2", "custom7"):
        value = _text(fields, custom)
        if value and _PMCID_VALUE.match(value):
            pmcid = field_pmcid(value, custom.replace("custom", "C")) or pmcid
    if value := _text(fields, "doi"):
        doi = field_doi(value, "DO") or doi
    authors = [a for text in _list(fields, "authors", "first_authors") if (a := person(text)) is not None]
    year, date = year_and_date(
        _text(fields, "date"), _text(fields, "year"), _text(fields, "publication_year")
    )
    return record(
        where="the record",
        title=_text(fields, "title", "primary_title"),
        authors=authors,
        journal=_text(fields, "alternate_title1", "alternate_title2"),
        journal_title=_text(fields, "secondary_title", "journal_name", "alternate_title3"),
        year=year,
        date=date,
        volume=_text(fields, "volume"),
        issue=_text(fields, "number"),
        page_text=pages(_text(fields, "start_page"), _text(fields, "end_page")),
        publisher=_text(fields, "publisher"),
        abstract=_text(fields, "abstract", "notes_abstract"),
        keywords=_list(fields, "keywords"),
        languages=_list(fields, "language"),
        pmid=pmid,
        pmcid=pmcid,
        doi=doi,
    )
