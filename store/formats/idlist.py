"""Plain lists of identifiers: one PMID, PMCID or DOI a line (or several, separated by spaces), as a
reviewer pastes them from a paper's reference list, a spreadsheet column or PubMed's "PMID" export.

Accepted on a line: ``31234567``, ``PMID: 31234567``, ``PMC1234567``, ``10.1186/s13287-025-04228-2``,
and PubMed, PMC and doi.org URLs; a trailing comma or semicolon is dropped; blank lines and lines
starting with ``#`` are skipped. Anything else is an error naming the line (a list that is mostly
identifiers with one line of prose is a file to look at, not to guess about). Recognised by its first
line that is not blank or a comment holding identifiers only (so a list with a bad line further down
is read as a list, and refused naming that line, not as a file of no known format). Each identifier
is an *identifier entry*: the import matches it to the library's article or keeps it as a stub
(``store.snowball.intake``), in the order of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from store.errors import ParseError
from store.formats.base import Parser, decode_text
from store.ids import parse_identifier
from store.model import Article


def _tokens(line: str) -> list[str]:
    return [token.rstrip(",;") for token in line.split() if token.rstrip(",;")]


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield n, stripped


class IdListParser(Parser):
    name = "identifiers"
    description = "a list of PMIDs, PMCIDs or DOIs"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        text = head.decode("utf-8", "ignore").lstrip("\ufeff")
        lines = text.splitlines()
        if len(head) >= 4096 and len(lines) > 1:  # (the head may end mid-line)
            lines = lines[:-1]
        for _, line in _lines("\n".join(lines)):
            tokens = _tokens(line)
            return "\0" not in line and all(parse_identifier(t) is not None for t in tokens)
        return False

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        text = decode_text(stream.read(), source)
        for n, line in _lines(text):
            for token in _tokens(line):
                found = parse_identifier(token)
                if found is None:
                    raise ParseError(f"{token[:60]!r} is not a PMID, PMCID or DOI", source=source, line=n)
                yield Article(
                    pmid=found.value if found.kind == "pmid" else None,
                    pmcid=found.value if found.kind == "pmcid" else None,
                    doi=found.value if found.kind == "doi" else None,
                )
