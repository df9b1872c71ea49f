"""BibTeX: one ``@article`` entry per record, for LaTeX, BibDesk, JabRef and every reference manager.

Values are written for LaTeX: the characters LaTeX gives a meaning (``& % $ # _ { } ~ ^ \\``) are
escaped, and words whose capitals a style must not lower-case (``MSC``, ``miRNA``, ``T cells``) are
wrapped in braces in titles. Everything else, accents and Greek letters included, is written as the
Unicode it is (the file is UTF-8, which biber and bibtexparser read as it is). Authors are
``Last, First`` joined by ``and``; a group author is wrapped in braces so it is not split into names,
and so is any part of a name holding the word "and" or a comma (``{Smith and Jones}, A``).
The DOI is written verbatim, as styles print it with ``\\url``-like commands that show backslashes.
``keywords`` holds the record's keywords, MeSH headings, the user's tags and the review decision;
``note`` the user's note and the review's note, joined by ``. `` (``store.export.base``).
A doubled hyphen, backtick or apostrophe gets an empty group in between, so LaTeX does not turn the
pair into a dash or a curly quote; page ranges use ``--``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from store.export.base import Exporter
from store.export.citation import (
    abstract_line,
    given_name,
    is_literal,
    journal_name,
    keyword_list,
    one_line,
    page_range,
    pubdate,
)
from store.export.keys import citation_keys
from store.model import Article, Author

LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Doubled, these become one typographic character in LaTeX (-- is a dash, `` and '' are curly quotes);
# an empty group between the two keeps the text as it was.
LIGATURES = frozenset("-`'")
MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WORD = re.compile(r"[^\W_]+")
_SPLITS_NAMES = re.compile(r",|(?:^|\s)and(?:\s|$)", re.IGNORECASE)


def escape(text: str) -> str:
    """Text safe inside a braced BibTeX value and in LaTeX, on one line."""
    return _escape_chars(one_line(text))


def _escape_chars(text: str) -> str:
    out: list[str] = []
    previous = ""
    for char in text:
        if char == previous and char in LIGATURES:
            out.append("{}")
        out.append(LATEX_SPECIALS.get(char, char))
        previous = char
    return "".join(out)


def _keeps_case(word: str, first: bool) -> bool:
    """Whether a style's case change would damage the word: capitals after its first letter (``MSC``,
    ``miRNA``), capitals with digits (``T4``), or a lone capital that is not the title's first word."""
    if any(c.isupper() for c in word[1:]):
        return True
    if word[:1].isupper() and any(c.isdigit() for c in word):
        return True
    return len(word) == 1 and word.isupper() and not first


def protect_title(title: str) -> str:
    """The title escaped, with the words that must keep their capitals wrapped in braces."""
    title = one_line(title)
    parts: list[str] = []
    position = 0
    for m in _WORD.finditer(title):
        parts.append(_escape_chars(title[position : m.start()]))
        word = m.group()
        parts.append(f"{{{word}}}" if _keeps_case(word, first=m.start() == 0) else word)
        position = m.end()
    parts.append(_escape_chars(title[position:]))
    return "".join(parts)


def _name_part(text: str) -> str:
    """One part of a name, escaped; braced when BibTeX would split it: at a word ``and`` (it separates
    authors, in any case) or at a comma (it separates last, jr and first)."""
    escaped = escape(text)
    return f"{{{escaped}}}" if _SPLITS_NAMES.search(text) else escaped


def bibtex_name(author: Author) -> str:
    """``Last, First``, ``Last, Jr, First``, or ``{Group Name}``."""
    if is_literal(author):
        return f"{{{escape(author.last)}}}"
    last, given = _name_part(author.last), _name_part(given_name(author))
    if author.suffix:
        return f"{last}, {_name_part(author.suffix)}, {given}"
    return f"{last}, {given}" if given else last


def _verbatim(text: str) -> str:
    """A DOI as it is, unless braces in it would break the entry."""
    return escape(text) if "{" in text or "}" in text else one_line(text)


class BibtexExporter(Exporter):
    name = "bibtex"
    extension = "bib"
    description = "BibTeX (.bib)"

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        articles = list(articles)
        for n, (article, key) in enumerate(zip(articles, citation_keys(articles), strict=True)):
            if n:
                out.write("\n")
            out.write(self.entry(article, key))

    def entry(self, article: Article, key: str) -> str:
        """One ``@article`` entry under ``key``."""
        fields: list[tuple[str, str]] = []

        def braced(name: str, value: str) -> None:
            if value:
                fields.append((name, f"{{{value}}}"))

        braced("author", " and ".join(bibtex_name(a) for a in article.authors))
        braced("title", protect_title(article.title))
        braced("journal", escape(journal_name(article)))
        date = pubdate(article)
        if date is not None:
            braced("year", str(date.year))
            if date.month:
                fields.append(("month", MONTH_MACROS[date.month - 1]))
        braced("volume", escape(article.volume))
        braced("number", escape(article.issue))
        braced("pages", "--".join(escape(p) for p in page_range(article.pages) if p))
        braced("publisher", escape(article.publisher))
        braced("doi", _verbatim(article.doi or ""))
        braced("pmid", article.pmid or "")
        braced("pmcid", article.pmcid or "")
        braced("abstract", escape(abstract_line(article)))
        braced("keywords", escape(keyword_list(self.keywords_of(article))))
        braced("note", escape(". ".join(n.rstrip(".") for n in self.notes_of(article))))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        return f"@article{{{key},\n{body}\n}}\n" if body else f"@article{{{key},\n}}\n"
