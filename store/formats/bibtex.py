"""BibTeX and BibLaTeX, as Zotero (with or without Better BibTeX), JabRef and pmbrowse export them.

Entries are read by ``bibtexparser`` 2 (``@string`` macros resolved, braces and quotes around values
removed, authors split at ``and`` into first, von, last and jr parts); LaTeX in values (``{\\"u}``,
``\\'e``, ``\\&``) is turned into the Unicode it stands for by ``pylatexenc`` (which bibtexparser uses),
after the names are split, so a group's name in braces (``{World Health Organization}``) stays one
name. A block bibtexparser cannot read is an error naming its line (and bibtexparser's own complaint is
kept off the terminal); an entry whose key repeats an earlier one is kept (it is another record that
a reference manager happened to give the same key).

Fields read (see ``store.formats.refs`` for names, years and identifiers): ``title``, ``author``,
``journal``/``journaltitle`` (and ``shortjournal``), ``year`` or ``date``, ``month``, ``volume``,
``number``/``issue``, ``pages``, ``publisher``, ``abstract``, ``keywords`` (split at ``,`` or ``;``),
``language``, ``doi``, ``pmid``, ``pmcid``, ``eprint`` when ``eprinttype`` is ``pubmed``, and PMIDs,
PMCIDs and DOIs in ``note``, ``annote``, ``extra`` and ``url``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from bibtexparser.middlewares.names import NameParts
from bibtexparser.model import Block, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from store.errors import ParseError
from store.formats.base import Parser, decode_text
from store.formats.refs import field_doi, field_pmcid, field_pmid, ids_in_text, named, record, year_and_date
from store.model import Article, Author
from store.pubdate import month_number

_ENTRY = re.compile(rb"^\s*@\s*(?:article|book|inbook|incollection|inproceedings|conference|misc|phdthesis|"
                    rb"mastersthesis|techreport|report|online|unpublished|manual|thesis|string|preamble|"
                    rb"comment)\s*[{(]", re.IGNORECASE | re.MULTILINE)  # fmt: skip
_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def latex_text(value: str) -> str:
    """LaTeX in a value as the text it stands for (``M{\\"u}ller`` -> ``Müller``)."""
    if "\\" not in value and "{" not in value and "$" not in value and "~" not in value:
        return value
    return " ".join(_LATEX.latex_to_text(value).split())


def _name(parts: NameParts) -> Author | None:
    last = " ".join([*parts.von, *parts.last])
    given = " ".join(parts.first)
    if not last and not given:
        return None
    if len(parts.last) == 1 and not parts.first and not parts.von and parts.last[0].startswith("{"):
        return Author(last=latex_text(parts.last[0]), collective=True)
    return named(latex_text(last or given), latex_text(given) if last else "", latex_text(" ".join(parts.jr)))


class BibtexParser(Parser):
    name = "bibtex"
    description = "BibTeX"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        # An entry at the start of a line, with only comments (%) or blank lines before the first one.
        start = head.lstrip(b"\xef\xbb\xbf")
        m = _ENTRY.search(start)
        if m is None:
            return False
        before = start[: m.start()].splitlines()
        return all(not line.strip() or line.lstrip().startswith(b"%") for line in before)

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        quiet = logging.getLogger("bibtexparser")
        level, quiet.level = quiet.level, logging.CRITICAL + 1  # (its warnings are our one-line error)
        try:
            library = parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
        finally:
            quiet.level = level
        entries: list[Entry] = list(library.entries)
        for block in library.failed_blocks:
            if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
                entries.append(block.ignore_error_block)
                continue
            raise ParseError(_why(block), source=source, line=(block.start_line or 0) + 1)
        entries.sort(key=lambda e: e.start_line or 0)
        for number, entry in enumerate(entries, 1):
            line = (entry.start_line or 0) + 1
            try:
                yield article_of(entry)
            except ParseError as exc:
                raise ParseError(
                    exc.message, source=source, line=line, record=f"{number} ({entry.key})"
                ) from None


def _keywords(value: str) -> list[str]:
    """Keywords are split at semicolons when there are any (a keyword may hold a comma), else at commas."""
    return [k.strip() for k in value.split(";" if ";" in value else ",") if k.strip()]


def _why(block: Block) -> str:
    """What is wrong with a block bibtexparser could not read, in one line."""
    if isinstance(block, DuplicateFieldKeyBlock):
        return f"an entry with a field given twice ({', '.join(sorted(block.duplicate_keys))})"
    reason = getattr(getattr(block, "error", None), "abort_reason", "")
    reason = " ".join(str(reason).split())
    return f"a block that is not BibTeX{f' ({reason})' if reason else ''}"


def article_of(entry: Entry) -> Article:
    """One entry as an Article."""
    fields: dict[str, Any] = {f.key.lower(): f.value for f in entry.fields}

    def text(*names: str) -> str:
        for name in names:
            value = fields.get(name)
            if isinstance(value, str) and value.strip():
                return latex_text(value)
        return ""

    pmid, pmcid, doi = ids_in_text([text("note"), text("annote"), text("extra"), text("url")])
    if text("eprinttype").lower() == "pubmed" and (eprint := text("eprint")):
        pmid = field_pmid(eprint, "eprint") or pmid
    if value := text("pmid"):
        pmid = field_pmid(value, "pmid") or pmid
    if value := text("pmcid"):
        pmcid = field_pmcid(value, "pmcid") or pmcid
    if value := text("doi"):
        doi = field_doi(value, "doi") or doi
    authors = fields.get("author") or []
    if isinstance(authors, str):  # (a value the name splitter left whole)
        authors = []
    month = month_number(text("month")) if text("month") and not text("month").isdigit() else None
    if text("month").isdigit():
        month = int(text("month"))
    year_text = text("year")
    if month and year_text[:4].isdigit() and 1 <= month <= 12:
        year_text = f"{year_text[:4]}/{month}"
    year, date = year_and_date(year_text, text("date"))
    return record(
        where="the entry",
        title=text("title"),
        authors=[a for parts in authors if isinstance(parts, NameParts) and (a := _name(parts)) is not None],
        journal=text("shortjournal", "journalabbreviation"),
        journal_title=text("journal", "journaltitle"),
        year=year,
        date=date,
        volume=text("volume"),
        issue=text("number", "issue"),
        page_text=text("pages").replace("--", "-"),
        publisher=text("publisher"),
        abstract=text("abstract"),
        keywords=_keywords(text("keywords")),
        languages=[text("language")] if text("language") else [],
        pmid=pmid,
        pmcid=pmcid,
        doi=doi,
    )
