"""The article page format: one article with its overview, abstract, citing articles and references.

The grammar, line by line (blank lines separate blocks; trailing spaces and CRLF are ignored)::

    » Articles » PMID: 30992990              header
    Exosomes from Mesenchymal ...            title (one or more lines)
    Overview                                 then "Key value" lines: Journal, Publisher, Date,
                                             PMID, PMC, DOI, Citations (how many articles cite it)
    Authors                                  names ("Li K, Gu X" or one per line), or a placeholder
    Affiliations                             one per line, or the placeholder "Soon will be listed here."
    Abstract                                 paragraphs; inline labels ("BACKGROUND: ...") start sections
    Citing Articles                          per entry: a title block, an authors-and-journal block
                                             ("Li K, Gu X Int J Nanomedicine. 2025; 20:2879-2899."),
                                             then an ids block ("PMID: 1 PMC: 2. DOI: 10.x/y.") if known
    References                               "1." then "Authors . Title. Journal. 2009; 20(5):1053-67.
                                             PMC: 2676194. DOI: 10.1681/ASN.2008070798. View"

Every section after the title may be missing. Section headers are the exact lines above.

Pagination is kept as MEDLINE writes it, long forms included (``1787-8; discussion 1791``, ``1-10; quiz
11-2``, ``S12-20``, ``iii-iv``); issues like ``3 Suppl 1`` or ``Pt 2``. A title may hold ``#``, ``:``, digits
and full stops: the journal is what follows the last full stop before the year. The last author of a
citing article ends at its initials, so a last author with none (a mononym) runs into the journal.

A citing article or reference the grammar cannot read (no year, no ``View``) does not cost the article:
it is kept as an unresolved link whose title is the entry's raw text (with any identifiers it ends with),
and the import report says "1 entry kept as text, line N". A page cut short (its last entry unfinished)
is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from store.errors import ParseError
from store.formats.base import Parser, clean_title, decode_text, kept_as_text_note, split_labels
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import AbstractSection, Article, Author, Link
from store.pubdate import year_of

SOURCE_TAG = "page"
# Numbers are ASCII digits ([0-9], not \d, which takes every script's digits); \s stays Unicode, so a
# no-break space still separates words.
HEADER = re.compile(r"^(?:»\s*)?Articles\s*»\s*PMID:?\s*([0-9]+)$")
SECTIONS = ("Overview", "Authors", "Affiliations", "Abstract", "Citing Articles", "References")
PLACEHOLDERS = {
    "soon will be listed here.",
    "soon will be listed here",
    "no abstract available.",
    "no abstract available",
}
OVERVIEW_LINE = re.compile(r"^(Journal|Publisher|Date|PMID|PMCID|PMC|DOI|Citations):?(?:\s+(.*))?$")
# "... Journal Name. 2009 Jan; 20(5):1053-67." -> head, year, volume/issue/pages. Pagination keeps
# MEDLINE's long forms, semicolons included ("1787-8; discussion 1791", "1-10; quiz 11-2"); the head
# runs to the last ". YYYY" so a title holding a year or a full stop stays in the head.
CITE_TAIL = re.compile(
    r"^(?P<head>.*\S)\.\s+(?P<year>[0-9]{4})(?:\s+[^;]*?)?(?:;\s*(?P<vip>.*?))?\.?$", re.DOTALL
)
# "41 Suppl 1(3 Pt 2):S12-20; discussion S21" -> volume, issue (one level of brackets inside), pages.
VIP = re.compile(
    r"^(?P<volume>[^(:]*?)\s*(?:\((?P<issue>(?:[^()]|\([^()]*\))*)\))?\s*(?::\s*(?P<pages>.+?))?$", re.DOTALL
)
IDS_LINE = re.compile(
    r"^(?:PMID:\s*(?P<pmid>[0-9]+)\.?\s*)?(?:PMC:\s*(?P<pmc>(?:PMC)?[0-9]+)\.?\s*)?(?:DOI:\s*(?P<doi>\S+?)\.?\s*)?$",
)
TRAILING_ID = re.compile(r"\s*\b(?P<kind>PMID|PMC|DOI):\s*(?P<value>\S+?)\.?$")
REFERENCE_NUMBER = re.compile(r"^([0-9]+)\.(?:\s+(.*))?$")
JOURNAL_AT_END = re.compile(r"^(?P<before>.*[.?!])\s+(?P<journal>[^.?!]+)$")
INITIALS = re.compile(r"^[A-Z]{1,4}$")


@dataclass
class _Line:
    number: int
    text: str


def _blocks(lines: list[_Line]) -> list[_Line]:
    """Consecutive non-blank lines joined by a space; each block keeps its first line number."""
    blocks: list[_Line] = []
    current: list[_Line] = []
    for line in [*lines, _Line(0, "")]:
        if line.text:
            current.append(line)
        elif current:
            blocks.append(_Line(current[0].number, " ".join(x.text for x in current)))
            current = []
    return blocks


class PageParser(Parser):
    name = "page"
    description = "article page (» Articles » PMID: ...)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        first = text.splitlines()[0].strip() if text else ""
        return bool(HEADER.match(first))

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        kept: list[int] = []
        try:
            article = parse_page(text, kept)
        except ParseError as exc:
            raise exc.with_source(source) from None
        if kept:
            self.skipped.add(kept_as_text_note(kept), len(kept))
        yield article


def parse_page(text: str, kept: list[int] | None = None) -> Article:
    """The article on a page. A citing article or reference the grammar cannot read is kept as an
    unresolved link holding its text; its line number is appended to ``kept``."""
    kept = [] if kept is None else kept
    lines = [_Line(i, raw.rstrip()) for i, raw in enumerate(text.splitlines(), start=1)]
    while lines and not lines[0].text.strip():
        lines.pop(0)
    if not lines or not (m := HEADER.match(lines[0].text.strip())):
        number = lines[0].number if lines else 1
        raise ParseError(
            "not an article page: expected a first line like '» Articles » PMID: 30992990'",
            line=number,
        )
    article = Article(pmid=normalise_pmid(m.group(1)))
    header_line = lines[0].number

    # Split into the title part and the named sections.
    parts: dict[str, list[_Line]] = {"": []}
    current = ""
    for line in lines[1:]:
        name = line.text.strip()
        if name in SECTIONS:
            if name in parts:
                raise ParseError(f"the section {name!r} appears twice", line=line.number)
            parts[name] = []
            current = name
        else:
            parts[current].append(_Line(line.number, line.text.strip()))

    title = " ".join(x.text for x in parts[""] if x.text)
    if not title:
        raise ParseError("the page has no title after its header", line=header_line + 1)
    article.title = clean_title(title)

    _overview(article, parts.get("Overview", []))
    article.authors = _authors(parts.get("Authors", []))
    article.affiliations = _affiliations(parts.get("Affiliations", []))
    article.abstract = _abstract(parts.get("Abstract", []))
    article.cited_by = _citing(parts.get("Citing Articles", []), kept)
    article.references = _references(parts.get("References", []), kept)
    return article


def _overview(article: Article, lines: list[_Line]) -> None:
    for line in lines:
        if not line.text:
            continue
        m = OVERVIEW_LINE.match(line.text)
        if not m:
            raise ParseError(f"unexpected line in the Overview: {line.text!r}", line=line.number)
        key, value = m.group(1), (m.group(2) or "").strip()
        if key == "Journal":
            article.journal = value
        elif key == "Publisher":
            article.publisher = value
        elif key == "Date":
            article.date = value
            article.year = year_of(value)
        elif key == "PMID":
            pmid = normalise_pmid(value)
            if value and not pmid:
                raise ParseError(f"the Overview PMID {value!r} is not a PMID", line=line.number)
            if pmid and article.pmid and pmid != article.pmid:
                raise ParseError(
                    f"the Overview PMID {pmid} differs from the header's PMID {article.pmid}",
                    line=line.number,
                )
            article.pmid = pmid or article.pmid
        elif key in ("PMC", "PMCID"):
            article.pmcid = normalise_pmcid(value)
        elif key == "DOI":
            article.doi = normalise_doi(value)
        elif key == "Citations":
            digits = value.replace(",", "")
            if not (digits.isascii() and digits.isdigit()):
                raise ParseError(f"Citations should be a number, not {value!r}", line=line.number)
            article.citation_count = int(digits)


def _is_placeholder(text: str) -> bool:
    return text.strip().lower() in PLACEHOLDERS


def _authors(lines: list[_Line]) -> list[Author]:
    authors: list[Author] = []
    for line in lines:
        if not line.text or _is_placeholder(line.text):
            continue
        for name in re.split(r"\s*[,;]\s*", line.text):
            if name.strip():
                authors.append(Author.from_name(name.strip().rstrip(".")))
    return authors


def _affiliations(lines: list[_Line]) -> list[str]:
    return [
        re.sub(r"^\d+[.)]\s*", "", line.text)
        for line in lines
        if line.text and not _is_placeholder(line.text)
    ]


def _abstract(lines: list[_Line]) -> list[AbstractSection]:
    sections: list[AbstractSection] = []
    for block in _blocks(lines):
        if _is_placeholder(block.text):
            continue
        sections.extend(split_labels(block.text))
    return sections


@dataclass
class _Cite:
    head: str
    year: int
    volume: str
    issue: str
    pages: str


def parse_cite_tail(text: str) -> _Cite | None:
    """``<head>. 2009; 20(5):1053-67.`` -> the head and the year, volume, issue and pages."""
    m = CITE_TAIL.match(text.strip())
    if not m:
        return None
    volume = issue = pages = ""
    if vip := (m.group("vip") or "").strip():
        v = VIP.match(vip)
        if v:
            volume, issue, pages = (
                v.group("volume") or "",
                v.group("issue") or "",
                v.group("pages") or "",
            )
        else:
            volume = vip
    return _Cite(m.group("head").strip(), int(m.group("year")), volume.strip(), issue.strip(), pages.strip())


def split_authors_journal(head: str) -> tuple[list[str], str]:
    """``"Li K, Gu X, Wang L Int J Nanomedicine"`` -> (["Li K", "Gu X", "Wang L"], "Int J Nanomedicine").

    The page runs the last author into the journal; the last author ends at its initials (the first
    all-capitals word of one to four letters after the surname). A head with no comma and no
    initials is all journal.
    """
    parts = head.split(", ")
    words = parts[-1].split()
    for i in range(1, len(words) - 1):
        if INITIALS.match(words[i]):
            return [*parts[:-1], " ".join(words[: i + 1])], " ".join(words[i + 1 :])
    if len(parts) > 1:
        return parts[:-1], parts[-1]
    return [], head


class _Unparsed(Exception):
    """An entry the grammar cannot read: it is kept as text, not allowed to cost the article."""


def _kept_as_text(text: str, line: int, kept: list[int]) -> Link:
    """An unresolved link holding the entry's raw text (and any identifiers it ends with)."""
    kept.append(line)
    link = Link(sources=[SOURCE_TAG])
    text = _strip_trailing_ids(text.removesuffix("View").rstrip(), link)
    link.title = " ".join(text.split())
    return link


def _citing(lines: list[_Line], kept: list[int]) -> list[Link]:
    links: list[Link] = []
    blocks = _blocks(lines)
    i = 0
    while i < len(blocks):
        title = blocks[i]
        if IDS_LINE.match(title.text):
            raise ParseError("an ids line without a citing article before it", line=title.number)
        if i + 1 >= len(blocks):
            raise ParseError(
                "the citing article is cut off: its title has no authors-and-journal line after it",
                line=title.number,
            )
        cite_block = blocks[i + 1]
        try:
            link = _citing_entry(title.text, cite_block.text)
        except _Unparsed:
            link = _kept_as_text(f"{title.text} {cite_block.text}", cite_block.number, kept)
        i += 2
        if i < len(blocks) and blocks[i].text and (ids := IDS_LINE.match(blocks[i].text)):
            link.pmid = normalise_pmid(ids.group("pmid")) or link.pmid
            link.pmcid = normalise_pmcid(ids.group("pmc")) or link.pmcid
            link.doi = normalise_doi(ids.group("doi")) or link.doi
            i += 1
        links.append(link)
    return links


def _citing_entry(title: str, cite_text: str) -> Link:
    """A citing article from its title block and its ``Li K, Gu X Int J Nanomedicine. 2025; ...`` block."""
    cite = parse_cite_tail(cite_text)
    if cite is None:
        raise _Unparsed
    authors, journal = split_authors_journal(cite.head)
    return Link(
        title=clean_title(title),
        authors=authors,
        journal=journal,
        year=cite.year,
        volume=cite.volume,
        issue=cite.issue,
        pages=cite.pages,
        sources=[SOURCE_TAG],
    )


def _references(lines: list[_Line], kept: list[int]) -> list[Link]:
    entries: list[tuple[int, int, list[str]]] = []  # (number, line, texts)
    for line in lines:
        if not line.text:
            continue
        m = REFERENCE_NUMBER.match(line.text)
        if m:
            number = int(m.group(1))
            expected = entries[-1][0] + 1 if entries else 1
            if number != expected:
                raise ParseError(
                    f"reference {number} where reference {expected} was expected", line=line.number
                )
            entries.append((number, line.number, [m.group(2)] if m.group(2) else []))
        elif not entries:
            raise ParseError("references should start with '1.'", line=line.number)
        else:
            entries[-1][2].append(line.text)
    links: list[Link] = []
    for n, (number, first, texts) in enumerate(entries):
        text = " ".join(texts)
        # The last entry without its end is a file cut short: that is refused, not guessed at.
        if n == len(entries) - 1 and not text:
            raise ParseError(f"reference {number} is cut off: it has no text", line=first)
        if n == len(entries) - 1 and not text.endswith("View"):
            raise ParseError(f"reference {number} is cut off: it does not end with 'View'", line=first)
        try:
            links.append(_reference(text))
        except _Unparsed:
            links.append(_kept_as_text(text, first, kept))
    return links


def _strip_trailing_ids(text: str, link: Link) -> str:
    """Take the ``PMID: 1. PMC: 2. DOI: 10.x/y.`` at the end of an entry into ``link``; the rest."""
    while m := TRAILING_ID.search(text):
        kind, value = m.group("kind"), m.group("value")
        if kind == "PMID":
            link.pmid = normalise_pmid(value)
        elif kind == "PMC":
            link.pmcid = normalise_pmcid(value)
        else:
            link.doi = normalise_doi(value)
        text = text[: m.start()].rstrip()
    return text


def _reference(text: str) -> Link:
    """``Authors . Title. Journal. 2009; 20(5):1053-67. PMC: 2676194. DOI: 10.x/y. View``"""
    if not text.endswith("View"):
        raise _Unparsed
    link = Link(sources=[SOURCE_TAG])
    text = _strip_trailing_ids(text[: -len("View")].rstrip(), link)
    cite = parse_cite_tail(text)
    if cite is None:
        raise _Unparsed
    link.year = cite.year
    link.volume, link.issue, link.pages = cite.volume, cite.issue, cite.pages
    head = cite.head
    if jm := JOURNAL_AT_END.match(head):
        head, link.journal = jm.group("before"), jm.group("journal").strip()
    authors, sep, title = head.partition(" . ")
    if not sep:
        authors, title = "", head
    link.authors = [a.strip() for a in authors.split(",") if a.strip()]
    link.title = clean_title(title)
    if not link.title:
        raise _Unparsed
    return link
