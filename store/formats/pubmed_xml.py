"""PubMed XML: efetch ``PubmedArticleSet`` answers and the yearly ``MedlineCitationSet`` baseline files.

The file is read as a stream (``lxml.etree.iterparse``, asked for the records' starts only): each
record becomes its article's document (``store.formats.pubmed_record``) when the next record starts
(its end is parsed by then), the last when the file ends, and is then cleared, so a 30,000-record
baseline file is never held as one tree.

Safety: no DTD is loaded or fetched, no entity is expanded, nothing touches the network, and the
parser's limits on nesting depth and text size stay on. A DOCTYPE that declares entities, or an
entity reference the parser did not know (PubMed writes characters as ``&#160;``), is refused.

Decisions, where the format leaves a choice:

- **Title**: ``ArticleTitle`` as PubMed shows it, inline markup flattened to its text; a translated
  title stays in its brackets (``[Ageing of the gut]``). ``VernacularTitle`` (the original-language
  title) is used only when ``ArticleTitle`` is empty; the model has no field for a second title.
- **Journal**: ``MedlineTA`` (what PubMed and MEDLINE's ``TA`` show), else ``ISOAbbreviation``. Older
  files write the ISO abbreviation with full stops (``Biochim. Biophys. Acta``), so preferring
  ``MedlineTA`` gives one spelling for one journal across files of every vintage.
- **Abstract**: one section per ``AbstractText`` with its ``Label``; an unlabelled one is split at
  inline labels (``SUMMARY: ...``) as MEDLINE text and article pages are. ``OtherAbstract`` (a
  translation or the publisher's note) is not the abstract and is left out.
- **MeSH**: one entry per heading, the descriptor with its qualifiers as MEDLINE writes them
  (``Burns/epidemiology/therapy``), without the major-topic star.
- **Inline markup and MathML** become their text: ``r<sup>2</sup>`` is ``r2``; MathML is written out
  token by token, with prescripts before their base (``3He/129Xe MRI``).
- **References** (``PubmedData/ReferenceList``): the ``Citation`` text, whitespace collapsed and its
  final full stop dropped, is kept whole as the link's title, since its style varies from source to
  source; the year is taken only from the ``2015 Jan;`` date of an NLM/Vancouver citation. An
  empty ``<Reference/>`` (neither text nor identifiers) says nothing and is left out.
- **Book records** (``PubmedBookArticle``), ``DeleteCitation`` entries and any other element are
  counted in ``skipped``, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from store.errors import ParseError
from store.formats.base import Parser
from store.formats.pubmed_record import Element, record_doc
from store.model import Article, Doc

SETS = ("PubmedArticleSet", "MedlineCitationSet")
RECORDS = ("PubmedArticle", "MedlineCitation")
SNIFFED_ROOTS = (*SETS, "PubmedArticle")
SKIPPED_KINDS = {"PubmedBookArticle": "book records", "DeleteCitation": "deleted citations"}
REPORTED = (*SETS, *RECORDS, *SKIPPED_KINDS)  # the tags lxml raises events for (``parse_docs``)
LINE_COLUMN = re.compile(r",? line \d+, column \d+$")


class PubmedXmlParser(Parser):
    name = "pubmed-xml"
    description = "PubMed XML (PubmedArticleSet, MedlineCitationSet)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return first_element(head) in SNIFFED_ROOTS

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        return map(Article.from_doc, self.parse_docs(stream, source))

    def parse_docs(self, stream: BinaryIO, source: str) -> Iterator[Doc]:
        # Only the set, the records and the known skipped kinds raise events: lxml filters the
        # rest in C, so the Python loop runs once per record rather than once per element. And only
        # their starts: asked for "end" events, lxml hands every element's end to Python (the GIL
        # taken, a tag matched) whatever the filter, ~12% of what reading a record costs. A record
        # is read when the next one starts (its end is parsed by then), the last when the file ends.
        events = etree.iterparse(
            stream,
            events=("start",),
            tag=REPORTED,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        root: Element | None = None
        started: Element | None = None  # the set's child that started last, not read yet
        position = 0
        try:
            for _, elem in events:
                if root is None:
                    root = elem.getroottree().getroot()
                    _check_root(root, source)
                # A record is a child of the set, or the root itself when a file holds just one.
                if root.tag not in SETS or elem.getparent() is not root:
                    continue  # the set itself, or e.g. the MedlineCitation inside a PubmedArticle
                if started is not None:
                    position += 1
                    if (doc := self._finished(started, root, source, position)) is not None:
                        yield doc
                started = elem
            if root is None:
                root = events.root
                if root is not None:
                    _check_root(root, source)
                return
            if started is not None:
                position += 1
                if (doc := self._finished(started, root, source, position)) is not None:
                    yield doc
            if root.tag in SETS:
                self._count_others(root, root)
            elif (doc := self._finished(root, None, source, position + 1)) is not None:
                yield doc
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, source) from None

    def _finished(self, elem: Element, parent: Element | None, source: str, position: int) -> Doc | None:
        """Read a record whose end is parsed, count what the set held before it, and free them."""
        doc = self._record(elem, source, position)
        if parent is not None:
            self._count_others(parent, elem)
        _release(elem)
        return doc

    def _count_others(self, parent: Element, upto: Element) -> None:
        """Count the set's children before ``upto`` that no event reported (tags we do not know): a set
        inside the set raised its own (``_record`` counted it; read, it stays in the tree, cleared)."""
        for other in parent:
            if other is upto:
                break
            if isinstance(other.tag, str) and other.tag not in REPORTED:
                self.skipped.add(f"<{other.tag}> elements")

    def _record(self, elem: Element, source: str, position: int) -> Doc | None:
        """The article's document in one top-level element, or None after counting what is not imported."""
        if elem.tag in RECORDS:
            try:
                return record_doc(elem, position)
            except ParseError as exc:
                raise exc.with_source(source) from None
        if elem.tag == "DeleteCitation":
            self.skipped.add(SKIPPED_KINDS[elem.tag], max(1, len(elem.findall("PMID"))))
        elif elem.tag in SKIPPED_KINDS:
            self.skipped.add(SKIPPED_KINDS[elem.tag])
        else:
            self.skipped.add(f"<{elem.tag}> elements")
        return None


def first_element(head: bytes) -> str:
    """The name of the first element in ``head``, past a BOM, XML declaration, DOCTYPE and comments."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    while text.startswith(("<?", "<!--", "<!DOCTYPE")):
        if text.startswith("<?"):
            end = text.find("?>") + 2
        elif text.startswith("<!--"):
            end = text.find("-->") + 3
        else:
            gt, bracket = text.find(">"), text.find("[")
            if 0 <= bracket < gt:  # an internal subset: its declarations hold ">" too
                close = text.find("]", bracket)
                gt = text.find(">", close) if close >= 0 else -1
            end = gt + 1
        if end <= 0:
            return ""
        text = text[end:].lstrip()
    m = re.match(r"<([A-Za-z_][\w.:-]*)", text)
    return m.group(1) if m else ""


def _check_root(root: Element, source: str) -> None:
    """Refuse what is not PubMed XML, and a DOCTYPE that declares entities (PubMed's never does)."""
    if root.tag not in (*SETS, *RECORDS):
        raise ParseError(
            f"not PubMed XML: the root element is <{root.tag}>, "
            "not <PubmedArticleSet> or <MedlineCitationSet>",
            source=source,
            line=root.sourceline,
        )
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError(
            "refused: the DOCTYPE declares entities, which pmbrowse never expands",
            source=source,
            line=root.sourceline,
        )


def _release(elem: Element) -> None:
    """Free a finished record and the records before it, so memory does not grow with the file."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _syntax_error(exc: etree.XMLSyntaxError, source: str) -> ParseError:
    """lxml's complaint as a one-line ParseError with its line; hostile input says it was refused.

    Only the first line of lxml's text is kept: some libxml2 releases add a second one (``Bytes: 0xFF
    0xFE ...``) to some messages, and an import error is one line."""
    lines = [line.strip() for line in str(exc.msg or exc).splitlines() if line.strip()]
    reason = LINE_COLUMN.sub("", lines[0] if lines else "unreadable").strip()
    if "amplification" in reason or "entity reference loop" in reason:
        message = f"refused: entities would expand without bound ({reason})"
    elif "Excessive depth" in reason:
        message = "refused: elements nest deeper than 256 levels"
    else:
        message = f"malformed XML: {reason}"
    return ParseError(message, source=source, line=max(exc.lineno or 1, 1))
