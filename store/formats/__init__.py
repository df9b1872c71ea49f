"""Input formats. Each module holds one ``Parser``; ``detect`` picks one by looking at the content.

Two families:

- ``PARSERS``: the library's own formats (article pages, PubMed XML, MEDLINE, CSL-JSON), whose records
  are full records; ``store.importer`` reads them.
- ``REFERENCE_PARSERS``: the reviewer's files from reference managers and spreadsheets (RIS, BibTeX,
  CSV with identifier columns, plain lists of identifiers). Their entries may be no more than an
  identifier, which must find the library's article (or become a stub), never pose as a full record:
  ``store.snowball.intake`` imports them, matching identifiers offline and, on request, online.

Adding a format is adding a module here and its class to one of the two.
"""

from __future__ import annotations

from store.formats.base import Parser, Skipped
from store.formats.bibtex import BibtexParser
from store.formats.csljson import CslJsonParser
from store.formats.idlist import IdListParser
from store.formats.medline import MedlineParser
from store.formats.page import PageParser
from store.formats.pubmed_xml import PubmedXmlParser
from store.formats.ris import RisFileParser
from store.formats.table import CsvTableParser

# Specific sniffers first: each checks the start of the content for its own markers.
PARSERS: tuple[type[Parser], ...] = (PageParser, PubmedXmlParser, MedlineParser, CslJsonParser)
# After the library's formats (a MEDLINE file is not a list of PMIDs); the plain list last.
REFERENCE_PARSERS: tuple[type[Parser], ...] = (RisFileParser, BibtexParser, CsvTableParser, IdListParser)


def detect(head: bytes) -> type[Parser] | None:
    """The parser of a library format for content starting with ``head`` (decompressed), or None."""
    for parser in PARSERS:
        if parser.sniff(head):
            return parser
    return None


def detect_any(head: bytes) -> type[Parser] | None:
    """The parser of any format pmbrowse reads, the library's first, then the reference managers'."""
    for parser in (*PARSERS, *REFERENCE_PARSERS):
        if parser.sniff(head):
            return parser
    return None


def format_names(parsers: tuple[type[Parser], ...] = PARSERS) -> str:
    return ", ".join(p.description for p in parsers)


__all__ = ["PARSERS", "REFERENCE_PARSERS", "Parser", "Skipped", "detect", "detect_any", "format_names"]
