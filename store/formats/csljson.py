"""CSL-JSON: the item lists Zotero, pandoc and citeproc processors exchange (and pmbrowse exports).

The input is a JSON array of items, or one item (an object with a ``type`` and a ``title`` or ``id``).
Fields read: ``title``, ``author`` (``family``/``given``/``suffix``, the particles, or ``literal`` for a
group), ``issued`` (``date-parts``, ``season``, or a ``raw``/``literal`` text), ``container-title`` and
``container-title-short`` (also the older ``journalAbbreviation``), ``publisher``, ``volume``,
``issue``, ``page``, ``DOI``, ``PMID``, ``PMCID``, ``abstract``, ``keyword``, ``language``.

Decisions, where the format leaves a choice:

- **Journal**: ``container-title-short`` is the abbreviation PubMed shows and ``container-title`` the
  full title; with no short title, the one title given is the journal.
- **Date**: written back the way PubMed writes dates (``2019 Apr 18``, ``2015 Nov-Dec``, ``1998 Spring``);
  a ``raw`` or ``literal`` date that says more than parts can (``Summer-Fall 2001``) is kept as written.
- **Given names**: initials (``J. A.``, ``JA``) become the author's initials; anything else is the
  fore name, its initials derived from it.
- **Abstract**: paragraphs become sections; a paragraph starting with a capitals label
  (``BACKGROUND: ...``) becomes a labelled section, as pmbrowse's own export writes them.
- **Keywords**: ``keyword`` is one text; it is split at semicolons when it has any, else at commas.
- An item that is not an object, or whose fields have the wrong JSON types, is an error naming the
  item (``record`` counts items from 1); an item with neither a title nor an identifier is skipped.
- **Hostile JSON**: a lone surrogate in a string (``"x\\ud800y"``, half a character no file can hold)
  becomes U+FFFD; date parts outside 0-9999 (an integer over 64 bits) are an error naming the item;
  arrays nested too deeply and numbers of thousands of digits are one-line errors, not crashes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from store.errors import ParseError
from store.formats.base import Parser, clean_title, decode_text
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import AbstractSection, Article, Author
from store.names import initials_in, initials_of
from store.pubdate import PubDate, parse_pubdate, season_number

# The item types of CSL 1.0.2; sniffing looks for one of them so other JSON (E-utilities answers
# with a "type" of their own) is not taken for CSL.
CSL_TYPES = frozenset(
    {
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    }
)
_START = re.compile(rb"^\s*(?:\[\s*)?\{")
_TYPE = re.compile(rb'"type"\s*:\s*"([a-z_-]+)"')
_TITLE_OR_ID = re.compile(rb'"(?:title|id)"\s*:')
# A JSON escape of a UTF-16 surrogate: paired ones decode to one character, a lone one does not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Date parts beyond this are not dates (and an integer over 64 bits cannot be stored).
MAX_DATE_PART = 9999
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Z0-9,/&()\- ]*[A-Z0-9)]):\s+(?P<text>.*)$", re.DOTALL)


class CslJsonParser(Parser):
    name = "csl-json"
    description = "CSL-JSON (an array of items with type and title)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        head = head.removeprefix(b"\xef\xbb\xbf")
        if not _START.match(head) or not _TITLE_OR_ID.search(head):
            return False
        return any(m.group(1).decode() in CSL_TYPES for m in _TYPE.finditer(head))

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", source=source, line=exc.lineno
            ) from None
        except RecursionError:
            raise ParseError("not CSL-JSON: arrays or objects nest too deeply", source=source) from None
        except ValueError as exc:  # a number too long to convert (over 4,300 digits)
            raise ParseError(f"not CSL-JSON: {exc}", source=source) from None
        if _SURROGATE_ESCAPE.search(text):
            data = _replace_lone_surrogates(data)
        if not isinstance(data, (list, dict)):
            raise ParseError(
                f"expected an array of CSL items or one item, found a JSON {_json_type(data)}",
                source=source,
                line=1,
            )
        items = data if isinstance(data, list) else [data]
        for number, item in enumerate(items, start=1):
            try:
                article = item_article(item)
            except ParseError as exc:
                raise ParseError(exc.message, source=source, record=str(number)) from None
            if article is None:
                self.skipped.add("item without title or identifier")
            else:
                yield article


def _replace_lone_surrogates(data: object) -> object:
    """The parsed JSON with every lone surrogate (``"x\\ud800y"``: half of a character, which no file
    can hold) replaced by U+FFFD, the replacement character. Walked with a stack, not recursion."""
    if isinstance(data, str):
        return _LONE_SURROGATE.sub("\ufffd", data)
    stack: list[object] = [data]
    while stack:
        container = stack.pop()
        if isinstance(container, list):
            for i, value in enumerate(container):
                if isinstance(value, str):
                    container[i] = _LONE_SURROGATE.sub("\ufffd", value)
                else:
                    stack.append(value)
        elif isinstance(container, dict):
            for key in list(container):
                value = container.pop(key)
                if isinstance(value, str):
                    value = _LONE_SURROGATE.sub("\ufffd", value)
                else:
                    stack.append(value)
                container[_LONE_SURROGATE.sub("\ufffd", key)] = value
    return data


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _text(item: dict[str, Any], name: str) -> str:
    """A text field; CSL allows numbers for some (``volume``, ``page``, ``PMID``)."""
    value = item.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseError(f"{name!r} should be text, not a JSON {_json_type(value)}")
    return " ".join(str(value).split())


def item_article(item: object) -> Article | None:
    """One CSL item as an Article; None for an item with nothing to know it by."""
    if not isinstance(item, dict):
        raise ParseError(f"an item should be a JSON object, not a JSON {_json_type(item)}")
    article = Article(
        pmid=_identifier(item, "PMID", normalise_pmid),
        pmcid=_identifier(item, "PMCID", normalise_pmcid),
        doi=_identifier(item, "DOI", normalise_doi),
        title=clean_title(_text(item, "title")),
        publisher=_text(item, "publisher"),
        volume=_text(item, "volume"),
        issue=_text(item, "issue"),
        pages=_text(item, "page"),
    )
    short = _text(item, "container-title-short") or _text(item, "journalAbbreviation")
    full = _text(item, "container-title")
    article.journal, article.journal_title = (short, full) if short else (full, "")
    article.authors = _authors(item.get("author"))
    article.date, article.year = _date(item.get("issued"))
    article.abstract = _abstract(item.get("abstract"))
    article.keywords = _keywords(_text(item, "keyword"))
    if language := _text(item, "language"):
        article.languages = [language]
    if not article.title and not article.keys:
        return None
    return article


def _identifier(item: dict[str, Any], name: str, normalise: Callable[[str], str | None]) -> str | None:
    text = _text(item, name)
    if not text:
        return None
    value = normalise(text)
    if value is None:
        raise ParseError(f"{name} {text!r} is not a valid {name}")
    return value


def _authors(value: object) -> list[Author]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"'author' should be an array of names, not a JSON {_json_type(value)}")
    authors: list[Author] = []
    for name in value:
        if not isinstance(name, dict):
            raise ParseError(f"an author should be a JSON object, not a JSON {_json_type(name)}")
        if literal := _text(name, "literal"):
            authors.append(Author(last=literal, collective=True))
            continue
        particles = [_text(name, "non-dropping-particle"), _text(name, "family")]
        last = " ".join(p for p in particles if p)
        given = " ".join(p for p in (_text(name, "given"), _text(name, "dropping-particle")) if p)
        if not last and not given:
            continue
        author = Author(last=last or given, suffix=_text(name, "suffix"))
        if last and given:
            if (letters := initials_in(given)) is not None:
                author.initials = letters
            else:
                author.fore = given
                author.initials = initials_of(given)
        authors.append(author)
    return authors


def _part(value: object) -> int:
    if isinstance(value, bool):
        raise ParseError("a date part should be a number")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int):
        if not 0 <= value <= MAX_DATE_PART:
            raise ParseError(
                f"a date part should be a number from 0 to {MAX_DATE_PART}, not {str(value)[:20]}"
            )
        return value
    raise ParseError(f"a date part should be a number, not {str(value)[:40]!r}")


def _date(value: object) -> tuple[str, int | None]:
    """The date text and year of ``issued``."""
    if value is None:
        return "", None
    if not isinstance(value, dict):
        raise ParseError(f"'issued' should be a JSON object, not a JSON {_json_type(value)}")
    parts = value.get("date-parts")
    if not isinstance(parts, (list, type(None))) or not all(isinstance(p, list) for p in parts or []):
        raise ParseError("'date-parts' should be an array of arrays of numbers")
    # Some writers leave an empty date as [[]] or [[""]].
    dates = [tuple(_part(x) for x in p[:3]) for p in (parts or [])[:2] if p and p[0] not in ("", None)]
    if dates:
        for one in dates:
            if (len(one) > 1 and not (1 <= one[1] <= 12 or 21 <= one[1] <= 24)) or (
                len(one) > 2 and not 1 <= one[2] <= 31
            ):
                raise ParseError(f"the date {list(one)} has no such month or day")
        start, season = dates[0], _season(value.get("season"))
        if len(start) > 1 and start[1] > 12:  # CSL's month numbers 21-24 for the seasons
            start, season = start[:1], start[1] - 20
        end = dates[1] if len(dates) > 1 and dates[1] != start else None
        date = PubDate(start, end, season)
        return date.text(), date.year
    for name in ("raw", "literal"):
        if isinstance(text := value.get(name), str) and (parsed := parse_pubdate(text)) is not None:
            # A text the parts cannot say all of is kept as it was written.
            return (parsed.text() if parsed.exact else " ".join(text.split())), parsed.year
    return "", None


def _season(value: object) -> int | None:
    """CSL's ``season``: 1-4 (a number or its text) or a name (``Spring``)."""
    if isinstance(value, str):
        return int(value) if value.strip() in ("1", "2", "3", "4") else season_number(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
        return value
    return None


def _abstract(value: object) -> list[AbstractSection]:
    if value is None:
        return []
    if not isinstance(value, str):
        raise ParseError(f"'abstract' should be text, not a JSON {_json_type(value)}")
    sections: list[AbstractSection] = []
    for paragraph in re.split(r"\n\s*\n", value):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        m = _LABEL.match(paragraph)
        if m and sum(c.isalpha() for c in m.group("label")) >= 3:
            sections.append(AbstractSection(m.group("text"), label=m.group("label")))
        else:
            sections.append(AbstractSection(paragraph))
    return sections


def _keywords(text: str) -> list[str]:
    separator = ";" if ";" in text else ","
    return list(dict.fromkeys(k.strip() for k in text.split(separator) if k.strip()))
