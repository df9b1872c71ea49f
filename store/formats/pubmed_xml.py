"""PubMed XML: efetch ``PubmedArticleSet`` answers and the yearly ``MedlineCitationSet`` baseline files.

The file is read as a stream (``lxml.etree.iterparse``): each record becomes an Article when its end
tag arrives and is then cleared, so a 30,000-record baseline file is never held as one tree.

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
from typing import Any, BinaryIO

from lxml import etree

from store.errors import ParseError
from store.formats.base import Parser, clean_title, split_labels, unique
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import AbstractSection, Article, Author, Link
from store.pubdate import MONTHS, year_of

# lxml ships no type hints; elements are typed by this name for the reader.
Element = Any

SOURCE_TAG = "pubmed"
SETS = ("PubmedArticleSet", "MedlineCitationSet")
RECORDS = ("PubmedArticle", "MedlineCitation")
SNIFFED_ROOTS = (*SETS, "PubmedArticle")
SKIPPED_KINDS = {"PubmedBookArticle": "book records", "DeleteCitation": "deleted citations"}
MATHML = "{http://www.w3.org/1998/Math/MathML}"
MATH, MULTISCRIPTS, PRESCRIPTS = (f"{MATHML}{name}" for name in ("math", "mmultiscripts", "mprescripts"))
# The date of an NLM/Vancouver citation: "Radiology. 2015 Jan;274(1)", "Heart 2021;107", "2005. November;9".
_MONTH_WORD = "(?:(?:" + "|".join(MONTHS) + ")[a-z]*|Spring|Summer|Fall|Autumn|Winter)"
CITED_DATE = re.compile(
    rf"(?<!\d)((?:1[5-9]|20|21)\d\d)\.?(?:\s+{_MONTH_WORD}(?:-{_MONTH_WORD})?(?:\s+\d{{1,2}})?)?\s*;"
)
LINE_COLUMN = re.compile(r",? line \d+, column \d+$")


class PubmedXmlParser(Parser):
    name = "pubmed-xml"
    description = "PubMed XML (PubmedArticleSet, MedlineCitationSet)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return first_element(head) in SNIFFED_ROOTS

    def parse(self, stream: BinaryIO, source: str) -> Iterator[Article]:
        # Only the set, the records and the known skipped kinds raise events: lxml filters the
        # rest in C, so the Python loop runs once per record rather than once per element.
        events = etree.iterparse(
            stream,
            events=("start", "end"),
            tag=(*SETS, *RECORDS, *SKIPPED_KINDS),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        root: Element | None = None
        position = 0
        try:
            for event, elem in events:
                if root is None:
                    root = elem.getroottree().getroot()
                    _check_root(root, source)
                if event == "start":
                    continue
                parent = elem.getparent()
                if elem is root and elem.tag in SETS:
                    self._count_others(elem, elem)
                    continue
                # A record is a child of the set, or the root itself when a file holds just one.
                if not (parent is root and root.tag in SETS) and elem is not root:
                    continue  # e.g. the MedlineCitation inside a PubmedArticle
                position += 1
                article = self._record(elem, source, position)
                if parent is not None:
                    self._count_others(parent, elem)
                _release(elem)
                if article is not None:
                    yield article
            if root is None:
                root = events.root
                if root is not None:
                    _check_root(root, source)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, source) from None

    def _count_others(self, parent: Element, upto: Element) -> None:
        """Count the set's children before ``upto`` that no event reported (tags we do not know)."""
        for other in parent:
            if other is upto:
                break
            if isinstance(other.tag, str) and other.tag not in RECORDS and other.tag not in SKIPPED_KINDS:
                self.skipped.add(f"<{other.tag}> elements")

    def _record(self, elem: Element, source: str, position: int) -> Article | None:
        """The article in one top-level element, or None after counting what is not imported."""
        if elem.tag in RECORDS:
            try:
                return parse_record(elem, position)
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


# --- one record -------------------------------------------------------------------------------------


def parse_record(elem: Element, position: int = 1) -> Article:
    """A ``PubmedArticle`` (or a bare ``MedlineCitation`` of a baseline file) as an Article."""
    citation = elem.find("MedlineCitation") if elem.tag == "PubmedArticle" else elem
    if citation is None:
        raise ParseError(
            f"a {elem.tag} without a MedlineCitation", line=elem.sourceline, record=str(position)
        )
    raw_pmid = _plain(citation.find("PMID"))
    pmid = normalise_pmid(raw_pmid)
    if pmid is None:
        problem = f"the PMID {raw_pmid!r} is not a PMID" if raw_pmid else "a record without a PMID"
        raise ParseError(problem, line=elem.sourceline, record=str(position))
    for entity in elem.iter(etree.Entity):
        raise ParseError(
            f"the entity {entity.text} is not defined (PubMed XML writes characters as &#160;)",
            line=entity.sourceline,
            record=pmid,
        )

    article = Article(pmid=pmid)
    pubmed_data = elem.find("PubmedData")
    item = citation.find("Article")
    if item is not None:
        _bibliographic(article, item)
        article.abstract = _abstract(item)
        article.authors = _authors(item)
        # Older files give one affiliation for the whole article, beside the authors.
        shared = [_text(a) for a in item.findall("Affiliation")]
        article.affiliations = unique([*shared, *(x for a in article.authors for x in a.affiliations)])
        article.languages = unique(_plain(x) for x in item.findall("Language"))
        types = item.findall("PublicationTypeList/PublicationType")
        article.publication_types = unique(_plain(x) for x in types)
        article.grants = unique(_grant(g) for g in item.findall("GrantList/Grant"))
    article.journal = _plain(citation.find("MedlineJournalInfo/MedlineTA")) or _plain(
        citation.find("Article/Journal/ISOAbbreviation")
    )
    article.mesh = unique(_mesh_heading(h) for h in citation.findall("MeshHeadingList/MeshHeading"))
    article.keywords = unique(_text(k) for k in citation.findall("KeywordList/Keyword"))
    _identifiers(article, citation, pubmed_data)
    article.references = _references(pubmed_data)
    return article


def _bibliographic(article: Article, item: Element) -> None:
    """Title, journal title, date, volume, issue and pages from ``MedlineCitation/Article``."""
    article.title = clean_title(_text(item.find("ArticleTitle")) or _text(item.find("VernacularTitle")))
    article.journal_title = _plain(item.find("Journal/Title"))
    issue = item.find("Journal/JournalIssue")
    if issue is not None:
        article.volume = _plain(issue.find("Volume"))
        article.issue = _plain(issue.find("Issue"))
        article.date = _pub_date(issue.find("PubDate"))
        article.year = year_of(article.date)
    article.pages = _pages(item.find("Pagination"))


def _ascii_number(text: str) -> bool:
    """Digits 0-9 only: ``str.isdigit`` also takes "²" and "٣", which ``int`` then rejects or reads."""
    return text.isascii() and text.isdigit()


def _pub_date(pub: Element | None) -> str:
    """``2019 Apr 18``, ``1990 Spring`` or a ``MedlineDate`` as given (``2015 Nov-Dec``)."""
    if pub is None:
        return ""
    if medline_date := _plain(pub.find("MedlineDate")):
        return medline_date
    month = _plain(pub.find("Month"))
    if _ascii_number(month) and 1 <= int(month) <= 12:
        month = MONTHS[int(month) - 1]
    day = _plain(pub.find("Day"))
    day = str(int(day)) if _ascii_number(day) else day
    parts = (_plain(pub.find("Year")), month or _plain(pub.find("Season")), day)
    return " ".join(p for p in parts if p)


def _pages(pagination: Element | None) -> str:
    """``MedlinePgn``, else ``StartPage-EndPage``; an ``ELocationID`` is an identifier, not a page."""
    if pagination is None:
        return ""
    if medline_pages := _plain(pagination.find("MedlinePgn")):
        return medline_pages
    start, end = _plain(pagination.find("StartPage")), _plain(pagination.find("EndPage"))
    return f"{start}-{end}" if start and end else start


def _abstract(item: Element) -> list[AbstractSection]:
    sections: list[AbstractSection] = []
    for part in item.findall("Abstract/AbstractText"):
        text = _text(part)
        label = " ".join((part.get("Label") or "").split())
        if text and label:
            sections.append(AbstractSection(text, label))
        elif text:
            sections.extend(split_labels(text))
    return sections


def _authors(item: Element) -> list[Author]:
    """Personal and collective authors in order, leaving out entries marked invalid (``ValidYN="N"``)."""
    authors: list[Author] = []
    for author_list in item.iterfind("AuthorList"):
        if author_list.get("Type", "authors") != "authors":
            continue
        for elem in author_list.iterfind("Author"):
            if elem.get("ValidYN") == "N":
                continue
            # One pass over the author's children (a record may have hundreds of authors).
            fields: dict[str, str] = {}
            affiliations: list[str] = []
            for child in elem:
                tag = child.tag
                if tag == "AffiliationInfo":
                    affiliations.extend(_text(a) for a in child.iterfind("Affiliation"))
                elif tag == "CollectiveName":
                    fields[tag] = _text(child)
                elif isinstance(tag, str):
                    fields[tag] = _plain(child)
            if group := fields.get("CollectiveName"):
                authors.append(Author(last=group, collective=True, affiliations=unique(affiliations)))
            elif last := fields.get("LastName"):
                authors.append(
                    Author(
                        last=last,
                        initials=fields.get("Initials", ""),
                        fore=fields.get("ForeName", ""),
                        suffix=fields.get("Suffix", ""),
                        affiliations=unique(affiliations),
                    )
                )
    return authors


def _mesh_heading(heading: Element) -> str:
    """``Burns/epidemiology/therapy``: the descriptor, then its qualifiers."""
    names = [heading.find("DescriptorName"), *heading.findall("QualifierName")]
    return "/".join(x for x in map(_plain, names) if x)


def _identifiers(article: Article, citation: Element, pubmed_data: Element | None) -> None:
    """DOI and PMCID from ``PubmedData``'s id list, else from ``ELocationID`` and ``OtherID``."""
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None)
    article.doi = normalise_doi(ids.get("doi"))
    if article.doi is None:
        for loc in citation.findall("Article/ELocationID"):
            valid = loc.get("EIdType") == "doi" and loc.get("ValidYN") != "N"
            if valid and (doi := normalise_doi(_plain(loc))):
                article.doi = doi
                break
    article.pmcid = normalise_pmcid(ids.get("pmc"))
    if article.pmcid is None:
        # Baseline files without PubmedData: <OtherID Source="NLM">PMC4691237 [Available on ...]</OtherID>
        for other in citation.findall("OtherID"):
            words = _plain(other).split()
            if other.get("Source") == "NLM" and words and words[0].startswith("PMC"):
                article.pmcid = normalise_pmcid(words[0])
                break


def _article_ids(id_list: Element | None) -> dict[str, str]:
    """``ArticleId`` values by ``IdType`` (the first of each kind)."""
    ids: dict[str, str] = {}
    if id_list is not None:
        for elem in id_list.findall("ArticleId"):
            if (value := _plain(elem)) and (kind := elem.get("IdType")):
                ids.setdefault(str(kind), value)
    return ids


def _references(pubmed_data: Element | None) -> list[Link]:
    if pubmed_data is None:
        return []
    links: list[Link] = []
    # Walked by hand rather than with find() and the text helpers: a record can hold hundreds of
    # references, and this loop is most of the time an import of such records takes.
    for ref in pubmed_data.iterfind("ReferenceList//Reference"):
        text = ""
        pmid = pmcid = doi = None
        for child in ref:
            tag = child.tag
            if tag == "Citation":
                text = clean_title(_text(child) if len(child) else " ".join((child.text or "").split()))
            elif tag == "ArticleIdList":
                for elem in child:
                    value, kind = elem.text, elem.get("IdType")
                    if not value:
                        continue
                    if kind == "pubmed" and pmid is None:
                        pmid = normalise_pmid(value.strip())
                    elif kind in ("pmc", "pmcid") and pmcid is None:
                        pmcid = normalise_pmcid(value.strip())
                    elif kind == "doi" and doi is None:
                        doi = normalise_doi(value.strip())
        if pmid or pmcid or doi or text:
            links.append(
                Link(pmid=pmid, pmcid=pmcid, doi=doi, title=text, year=cited_year(text), sources=[SOURCE_TAG])
            )
    return links


def _grant(grant: Element) -> str:
    """A grant as MEDLINE's GR field writes it: ``GrantID/Acronym/Agency/Country``, parts it lacks
    left out."""
    parts = (_plain(grant.find(tag)) for tag in ("GrantID", "Acronym", "Agency", "Country"))
    return "/".join(p for p in parts if p)


# CITED_DATE ending at a ";": what cited_year tries just before each ";" of a citation. (Searching the
# whole text with CITED_DATE costs ~8 µs a reference, most of an import's time on real reference lists.)
_CITED_DATE_END = re.compile(CITED_DATE.pattern[: -len(r"\s*;")] + r"\s*$")
_BEFORE_SEMICOLON = 48  # longer than anything CITED_DATE can match before its ";"


def cited_year(citation: str) -> int | None:
    """The year of a citation written ``Journal. 2015 Jan;274(1):250-9`` (NLM/Vancouver), else None."""
    end = citation.find(";")
    while end >= 0:
        start = max(0, end - _BEFORE_SEMICOLON)
        m = _CITED_DATE_END.search(citation, start, end)
        if m is not None and (m.start(1) > 0 or start == 0 or not citation[m.start(1) - 1].isdigit()):
            return int(m.group(1))
        end = citation.find(";", end + 1)
    return None


# --- text -------------------------------------------------------------------------------------------


def _plain(elem: Element | None) -> str:
    """An element's own text with whitespace collapsed (for fields that hold no markup)."""
    if elem is None or elem.text is None:
        return ""
    return " ".join(str(elem.text).split())


def _text(elem: Element | None) -> str:
    """All the text of an element, inline markup (``<i>``, ``<sup>``, MathML) flattened, spaces collapsed."""
    if elem is None:
        return ""
    if not len(elem):  # no markup inside: the common case, and much cheaper
        return " ".join(str(elem.text or "").split())
    return " ".join("".join(_pieces(elem)).split())


def _pieces(elem: Element) -> Iterator[str]:
    """Like ``itertext``, except that MathML is written out as plain text."""
    if elem.text:
        yield elem.text
    for child in elem:
        if child.tag == MATH:
            yield _math_text(child)
        elif isinstance(child.tag, str):
            yield from _pieces(child)
        if child.tail:
            yield child.tail


def _math_text(node: Element) -> str:
    """MathML token text in reading order; prescripts (the mass number of ³He) come before their base."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        return str(node.text or "")
    names = [c.tag for c in children]
    if node.tag == MULTISCRIPTS and PRESCRIPTS in names:
        i = names.index(PRESCRIPTS)
        children = children[i + 1 :] + children[:i]
    return "".join(_math_text(c) for c in children)
