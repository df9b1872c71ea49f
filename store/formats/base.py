"""The one small interface every input format implements, and helpers they share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from store.errors import ParseError
from store.model import AbstractSection, Article, Doc

# An inline abstract label: capitals (at least three letters) and a colon, at the start or after a sentence.
# Real labels hold digits and brackets too ("PATIENT(S):", "MAIN OUTCOME MEASURE(S):"), and real sentences
# end in a closing quote or bracket ("...in the UK?' METHODS:") or leave one open ("BE. ( CLINICAL TRIAL
# REGISTRATION NUMBER: ...").
LABEL = re.compile(
    r"(?:^|(?:(?<=[.!?])|(?<=[.!?]['\"\u2019\u201d)\]])|(?<=[.!?] \())\s+)"
    r"(?P<label>[A-Z][A-Z0-9,/&()\- ]*[A-Z0-9)]):\s+"
)
MAYBE_LABEL = re.compile(r"[A-Z0-9)]:\s")


@dataclass
class Skipped:
    """Records a parser read but does not import (book records, deletions...), by kind."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Parser(ABC):
    """Reads one input format: ``sniff`` recognises it by content, ``parse`` yields its articles.

    ``parse`` raises ``ParseError`` (with a line or record) for input that breaks the format, and
    notes in ``skipped`` whatever it read but does not import, so nothing is dropped silently.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self) -> None:
        self.skipped = Skipped()

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes) -> bool:
        """Whether ``head`` (the first few KB of the input, decompressed) is in this format."""

    @abstractmethod
    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        """Yield the articles in ``stream``; ``source`` names it in errors."""

    def parse_docs(self, stream: BinaryIO, source: str) -> Iterator[Doc]:
        """Yield the documents of the articles in ``stream`` (``Article.to_doc``'s), as an import reads
        them. A format whose files can be large may build the documents directly, for speed."""
        for article in self.parse(stream, source):
            yield article.to_doc()


def kept_as_text_note(lines: list[int]) -> str:
    """How a report names entries kept as raw text: ``entry kept as text, line 42`` (after its count).

    Such entries are imported (as unresolved links holding their text), not dropped; they go through
    ``Skipped`` because that is what a file's report lists beside its counts.
    """
    if len(lines) == 1:
        return f"entry kept as text, line {lines[0]}"
    return "entries kept as text, lines " + ", ".join(map(str, lines))


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped); invalid bytes are an error that says the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(f"not UTF-8 text (byte {exc.start})", source=source, line=line) from None


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values, first occurrence kept, in order."""
    if type(values) is list and len(values) < 2:  # (most of a record's lists: no dict to make)
        return [values[0]] if values and values[0] else []
    return list(dict.fromkeys(filter(None, values)))  # (filter: what "if v" keeps, in C)


def clean_title(title: str) -> str:
    """Titles are stored without the final full stop sources add (``?`` and ``!`` stay)."""
    return drop_full_stop(" ".join(title.split()))


def drop_full_stop(title: str) -> str:
    """``clean_title`` of a text whose whitespace is collapsed already (a parser's hot path)."""
    if title.endswith(".") and not title.endswith(".."):
        return title[:-1].rstrip()
    return title


def split_labels(paragraph: str) -> list[AbstractSection]:
    """``"BACKGROUND: a. METHODS: b."`` -> two labelled sections; unlabelled text stays one section.

    Shared by the formats that run a structured abstract into one paragraph (article pages, MEDLINE).
    """
    # Most paragraphs: no capitals before a colon at all (and many no colon: found faster).
    if ":" not in paragraph or not MAYBE_LABEL.search(paragraph):
        return [AbstractSection(paragraph)]
    matches = [m for m in LABEL.finditer(paragraph) if sum(c.isalpha() for c in m.group("label")) >= 3]
    if not matches:
        return [AbstractSection(paragraph)]
    sections: list[AbstractSection] = []
    lead = paragraph[: matches[0].start()].strip()
    if lead:
        sections.append(AbstractSection(lead))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(paragraph)
        sections.append(AbstractSection(paragraph[m.end() : end].strip(), label=m.group("label").strip()))
    return sections
