"""Input formats. Each module holds one ``Parser``; ``detect`` picks one by looking at the content.

Adding a format is adding a module here and its class to ``PARSERS``.
"""

from __future__ import annotations

from store.formats.base import Parser, Skipped
from store.formats.csljson import CslJsonParser
from store.formats.medline import MedlineParser
from store.formats.page import PageParser
from store.formats.pubmed_xml import PubmedXmlParser

# Specific sniffers first: each checks the start of the content for its own markers.
PARSERS: tuple[type[Parser], ...] = (PageParser, PubmedXmlParser, MedlineParser, CslJsonParser)


def detect(head: bytes) -> type[Parser] | None:
    """The parser for content starting with ``head`` (decompressed), or None."""
    for parser in PARSERS:
        if parser.sniff(head):
            return parser
    return None


def format_names() -> str:
    return ", ".join(p.description for p in PARSERS)


__all__ = ["PARSERS", "Parser", "Skipped", "detect", "format_names"]
