"""MEDLINE text (.nbib): PubMed's "Send to → Citation manager" and efetch ``rettype=medline``.

The grammar, line by line (CRLF and leading blank lines are tolerated)::

    PMID- 19304878                           a tag, left-justified in 4 columns, then "- " and the value
    TI  - Biopython: freely available ...
          bioinformatics.                    a continuation: leading spaces (6), joined with a space
                                             a blank line ends the record; each record has a PMID

Decisions, where the format leaves a choice:

- **Authors**: ``FAU`` (``Cock, Peter J A``) gives the last and fore names, the ``AU`` after it
  (``Cock PJ``) the initials and any suffix (``Smith JA Jr``); an ``AU`` with no ``FAU`` (older
  records) stands alone. ``CN`` is a collective author, in its place in the list.
- **Affiliations**: an ``AD`` that follows an author's lines belongs to that author (as newer records
  write them); an ``AD`` before any author (older records) belongs to the article only. Both go, in
  order and once each, into the article's affiliations.
- **MeSH**: ``*Burns/epidemiology/therapy`` -> ``Burns/epidemiology/therapy`` (the major-topic star
  dropped), as the PubMed XML parser writes headings.
- **Title**: ``TI``, or the vernacular ``TT`` when there is no ``TI`` (as PubMed XML's ``VernacularTitle``).
- **DOI**: ``AID ... [doi]`` (PubMed's id list), else ``LID ... [doi]`` (the publisher's location id).
- ``PL`` (place of publication) is a country, not a publisher, and is left out; ``PB`` (books) is
  the publisher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from store.errors import ParseError
from store.formats.base import Parser, clean_title, split_labels, unique
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import Article, Author
from store.pubdate import year_of

SNIFF = re.compile(r"^PMID- *\d+")
TAG = re.compile(r"^[A-Z][A-Z0-9]{1,3}$")
TYPED_ID = re.compile(r"^(?P<value>.*?)\s*\[(?P<kind>[a-z-]+)\]$")
SUFFIXES = {"Jr", "Sr", "2nd", "3rd", "4th", "5th", "II", "III", "IV", "V"}
# The tags that make up one author's entry; any other tag ends it.
AUTHOR_TAGS = {"FAU", "AU", "CN", "AD", "AUID"}
PLAIN_FIELDS = {
    "TA": "journal",
    "JT": "journal_title",
    "VI": "volume",
    "IP": "issue",
    "PG": "pages",
    "PB": "publisher",
    "DP": "date",
}
LIST_FIELDS = {"LA": "languages", "PT": "publication_types", "OT": "keywords", "GR": "grants"}


@dataclass
class _Field:
    """One tagged value and the line it starts on; continuation lines add to ``parts``."""

    tag: str
    line: int
    parts: list[str] = field(default_factory=list)

    @property
    def value(self) -> str:
        return " ".join(" ".join(self.parts).split())


class MedlineParser(Parser):
    name = "medline"
    description = "MEDLINE text (.nbib, PMID- ...)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        first = text.splitlines()[0] if text else ""
        return bool(SNIFF.match(first))

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        try:
            for fields in read_records(stream):
                yield record_article(fields)
        except ParseError as exc:
            raise exc.with_source(source) from None


def read_records(lines: Iterable[bytes]) -> Iterator[list[_Field]]:
    """The records of a MEDLINE file, each as its tagged fields, read line by line."""
    fields: list[_Field] = []
    started = False
    for number, raw in enumerate(lines, start=1):
        line = _decode(raw, number).rstrip("\r\n")
        if not line.strip():
            if fields:
                yield fields
            fields = []
        elif line[0] in " \t":
            if not fields:
                raise ParseError("a continuation line with no tag line before it", line=number)
            fields[-1].parts.append(line.strip())
        else:
            tag, value = _tag_line(line, number, started)
            if tag == "PMID" and any(f.tag == "PMID" for f in fields):
                yield fields  # a record that lacks its closing blank line
                fields = []
            started = True
            fields.append(_Field(tag, number, [value]))
    if fields:
        yield fields


def _decode(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start} of the line)", line=number) from None


def _tag_line(line: str, number: int, started: bool) -> tuple[str, str]:
    """``TI  - Title`` -> ("TI", "Title"); anything else is an error that quotes the line."""
    tag = line[:4].rstrip()
    if len(line) >= 5 and line[4] == "-" and TAG.match(tag) and (started or tag == "PMID"):
        return tag, line[5:].strip()
    if not started:
        raise ParseError("not MEDLINE text: expected a first line like 'PMID- 12345678'", line=number)
    raise ParseError(
        f"neither a tag line ('TI  - ...') nor a continuation (indented): {line[:60]!r}", line=number
    )


def record_article(fields: list[_Field]) -> Article:
    """One record's fields as an Article; a record needs one valid PMID."""
    pmids = [f for f in fields if f.tag == "PMID"]
    if not pmids:
        raise ParseError("a record without a PMID ('PMID- ...' line)", line=fields[0].line)
    pmid = normalise_pmid(pmids[0].value)
    if pmid is None:
        raise ParseError(f"the PMID {pmids[0].value!r} is not a PMID", line=pmids[0].line)
    article = Article(pmid=pmid)
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(f.tag, []).append(f.value)

    for tag, name in PLAIN_FIELDS.items():
        setattr(article, name, _first(values, tag))
    for tag, name in LIST_FIELDS.items():
        setattr(article, name, unique(values.get(tag, [])))
    article.year = year_of(article.date)
    article.title = clean_title(_first(values, "TI") or _first(values, "TT"))
    if abstract := _first(values, "AB"):
        article.abstract = split_labels(abstract)
    article.mesh = unique(re.sub(r"\s*/\s*", "/", v.replace("*", "")) for v in values.get("MH", []))
    article.doi = _typed_id(values.get("AID", []), "doi") or _typed_id(values.get("LID", []), "doi")
    article.doi = normalise_doi(article.doi)
    article.pmcid = normalise_pmcid(_first(values, "PMC"))
    article.authors, shared = _authors(fields)
    article.affiliations = unique([*shared, *(x for a in article.authors for x in a.affiliations)])
    return article


def _authors(fields: list[_Field]) -> tuple[list[Author], list[str]]:
    """The authors in order, and the affiliations given before any author (the article's own)."""
    authors: list[Author] = []
    shared: list[str] = []
    current: Author | None = None
    paired = False  # whether the current FAU already has its AU
    for f in fields:
        if f.tag not in AUTHOR_TAGS:
            current = None
        elif f.tag == "FAU":
            last, _, fore = f.value.partition(", ")
            current, paired = Author(last=last.strip(), fore=fore.strip()), False
            authors.append(current)
        elif f.tag == "AU":
            if current is not None and not current.collective and not paired and _pair(current, f.value):
                paired = True
            else:
                current, paired = _short_author(f.value), True
                authors.append(current)
        elif f.tag == "CN":
            current, paired = Author(last=f.value, collective=True), True
            authors.append(current)
        elif f.tag == "AD" and f.value:
            (current.affiliations if current is not None else shared).append(f.value)
    return authors, shared


def _pair(author: Author, short: str) -> bool:
    """Take initials and suffix from ``AU`` (``Smith JA Jr``) into the author its ``FAU`` began."""
    if short != author.last and not short.startswith(author.last + " "):
        return False
    words = short[len(author.last) :].split()
    author.initials = words[0] if words else ""
    author.suffix = " ".join(words[1:])
    if author.suffix and author.fore.endswith(" " + author.suffix):
        author.fore = author.fore[: -len(author.suffix) - 1]
    return True


def _short_author(short: str) -> Author:
    """``Smith JA``, ``de Hoon MJ``, ``Bruserud Ø``, ``Smith JA Jr``: an author known only by ``AU``."""
    words = short.split()
    suffix = ""
    if len(words) >= 3 and words[-1] in SUFFIXES:
        suffix = words.pop()
    if len(words) >= 2 and words[-1].isalpha() and words[-1].isupper() and len(words[-1]) <= 4:
        return Author(last=" ".join(words[:-1]), initials=words[-1], suffix=suffix)
    return Author(last=" ".join(words), suffix=suffix)


def _typed_id(values: list[str], kind: str) -> str | None:
    """The first ``value [kind]`` of that kind: ``10.1/x [doi]`` -> ``10.1/x``."""
    for value in values:
        m = TYPED_ID.match(value)
        if m and m.group("kind") == kind:
            return m.group("value")
    return None


def _first(values: dict[str, list[str]], tag: str) -> str:
    return values.get(tag, [""])[0]
