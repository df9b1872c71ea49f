"""One PubMed XML record (a ``PubmedArticle``, or a baseline file's bare ``MedlineCitation``) read into
its article's document; the decisions it follows are in ``store.formats.pubmed_xml``'s docstring.

A record is read into its document directly (``store.model.Doc``: the fields in the schema's order,
empty ones left out, as ``Article.to_doc`` writes them), not into an Article then ``to_doc``: making the
Article, its authors and its links cost as much as reading them, on every record of an import
(tests/store/test_parser_pins.py proves each document is the one the schema writes for it).

Elements are looked up in ``Children``: one pass over an element's children, grouped by tag, rather
than a ``find`` for each field (each a walk of the children and a path parsed: most of the time a
record took). ``_first(children, "A", "B")`` is ``elem.find("A/B")``: the first B of any A, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from store.errors import ParseError
from store.formats.base import MAYBE_LABEL, clean_title, split_labels, unique
from store.formats.pubmed_references import references
from store.formats.xml_text import element_text, plain_text
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import Doc
from store.pubdate import MONTHS, year_of

# lxml ships no type hints; elements are typed by this name for the reader.
Element = Any


Children = dict[Any, list[Element]]  # (comments and processing instructions are keyed by their kind)


def _children(elem: Element) -> Children:
    found: Children = {}
    for child in elem:
        tag = child.tag
        if tag in found:
            found[tag].append(child)
        else:
            found[tag] = [child]
    return found


def _first(children: Children, tag: str, *deeper: str) -> Element | None:
    for child in children.get(tag, ()):
        if not deeper:
            return child
        if (found := _find(child, *deeper)) is not None:
            return found
    return None


def _find(elem: Element, tag: str, *deeper: str) -> Element | None:
    for child in elem.iterchildren(tag):
        if not deeper:
            return child
        if (found := _find(child, *deeper)) is not None:
            return found
    return None


def _every(children: Children, tag: str, inner: str) -> Iterator[Element]:
    """``elem.iterfind("A/B")`` as ``_every(_children(elem), "A", "B")``."""
    for child in children.get(tag, ()):
        yield from child.iterchildren(inner)


def record_doc(elem: Element, position: int = 1) -> Doc:
    """A ``PubmedArticle`` (or a bare ``MedlineCitation`` of a baseline file) as an article's document."""
    top = _children(elem)
    citation = _first(top, "MedlineCitation") if elem.tag == "PubmedArticle" else elem
    if citation is None:
        raise ParseError(
            f"a {elem.tag} without a MedlineCitation", line=elem.sourceline, record=str(position)
        )
    cited = top if citation is elem else _children(citation)
    raw_pmid = plain_text(_first(cited, "PMID"))
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

    pubmed_data = _first(top, "PubmedData")
    title = journal_title = date = volume = issue_number = pages = ""
    year: int | None = None
    abstract: list[Doc] = []
    authors: list[Doc] = []
    affiliations: list[str] = []
    languages: list[str] = []
    publication_types: list[str] = []
    grants: list[str] = []
    item = _first(cited, "Article")
    if item is not None:
        parts = _children(item)
        title = clean_title(
            element_text(_first(parts, "ArticleTitle")) or element_text(_first(parts, "VernacularTitle"))
        )
        journal_title = plain_text(_first(parts, "Journal", "Title"))
        issue = _first(parts, "Journal", "JournalIssue")
        if issue is not None:
            issue_parts = _children(issue)
            volume = plain_text(_first(issue_parts, "Volume"))
            issue_number = plain_text(_first(issue_parts, "Issue"))
            date = _pub_date(_first(issue_parts, "PubDate"))
            year = year_of(date)
        pages = _pages(_first(parts, "Pagination"))
        abstract = _abstract([t for a in parts.get("Abstract", ()) for t in a.iterchildren("AbstractText")])
        authors = _authors(parts.get("AuthorList", ()))
        # Older files give one affiliation for the whole article, beside the authors.
        shared = [element_text(a) for a in parts.get("Affiliation", ())]
        affiliations = unique([*shared, *(x for a in authors for x in a.get("affiliations", ()))])
        languages = unique([plain_text(x) for x in parts.get("Language", ())])
        publication_types = unique(
            [
                plain_text(x)
                for t in parts.get("PublicationTypeList", ())
                for x in t.iterchildren("PublicationType")
            ]
        )
        grants = unique(_grant(g) for g in _every(parts, "GrantList", "Grant"))
    journal = plain_text(_first(cited, "MedlineJournalInfo", "MedlineTA")) or plain_text(
        _first(cited, "Article", "Journal", "ISOAbbreviation")
    )
    # (lists made in place, not through ``_every``'s generator: once per heading of every record)
    mesh = unique(
        [_mesh_heading(h) for m in cited.get("MeshHeadingList", ()) for h in m.iterchildren("MeshHeading")]
    )
    keywords = unique(
        [element_text(k) for w in cited.get("KeywordList", ()) for k in w.iterchildren("Keyword")]
    )
    pmcid, doi = _identifiers(cited, pubmed_data)
    # (built field by field, in the schema's order, empty ones left out: cheaper than filtering a table)
    doc: Doc = {"pmid": pmid}
    if pmcid:
        doc["pmcid"] = pmcid
    if doi:
        doc["doi"] = doi
    for name, text in (
        ("title", title),
        ("journal", journal),
        ("journal_title", journal_title),
        ("date", date),
        ("volume", volume),
        ("issue", issue_number),
        ("pages", pages),
    ):
        if text:
            doc[name] = text
    if year:  # (a year is 1500-2199 here, never 0: left out exactly when None)
        doc["year"] = year
    for name, values in (
        ("authors", authors),
        ("abstract", abstract),
        ("affiliations", affiliations),
        ("languages", languages),
        ("publication_types", publication_types),
        ("mesh", mesh),
        ("keywords", keywords),
        ("grants", grants),
        ("references", references(pubmed_data)),
    ):
        if values:
            doc[name] = values
    return doc


def _ascii_number(text: str) -> bool:
    """Digits 0-9 only: ``str.isdigit`` also takes "²" and "٣", which ``int`` then rejects or reads."""
    return text.isascii() and text.isdigit()


def _pub_date(pub: Element | None) -> str:
    """``2019 Apr 18``, ``1990 Spring`` or a ``MedlineDate`` as given (``2015 Nov-Dec``)."""
    if pub is None:
        return ""
    parts = _children(pub)
    if medline_date := plain_text(_first(parts, "MedlineDate")):
        return medline_date
    month = plain_text(_first(parts, "Month"))
    if _ascii_number(month) and 1 <= int(month) <= 12:
        month = MONTHS[int(month) - 1]
    day = plain_text(_first(parts, "Day"))
    day = str(int(day)) if _ascii_number(day) else day
    words = (plain_text(_first(parts, "Year")), month or plain_text(_first(parts, "Season")), day)
    return " ".join(w for w in words if w)


def _pages(pagination: Element | None) -> str:
    """``MedlinePgn``, else ``StartPage-EndPage``; an ``ELocationID`` is an identifier, not a page."""
    if pagination is None:
        return ""
    parts = _children(pagination)
    if medline_pages := plain_text(_first(parts, "MedlinePgn")):
        return medline_pages
    start, end = plain_text(_first(parts, "StartPage")), plain_text(_first(parts, "EndPage"))
    return f"{start}-{end}" if start and end else start


def _abstract(texts: Iterable[Element]) -> list[Doc]:
    # (each section's document made here, as ``AbstractSection.to_doc`` writes it: label, then text)
    sections: list[Doc] = []
    for part in texts:
        text = element_text(part)
        if not text:
            continue
        label = part.get("Label")
        if label and (label := " ".join(label.split())):
            sections.append({"label": label, "text": text})
        elif ":" not in text or not MAYBE_LABEL.search(text):  # (split_labels' quick answer)
            sections.append({"text": text})
        else:
            sections.extend(s.to_doc() for s in split_labels(text))
    return sections


# The elements of an author's name (the document names them last, initials, fore, suffix).
_NAME_TAGS = frozenset({"LastName", "Initials", "ForeName", "Suffix"})


def _authors(author_lists: Iterable[Element]) -> list[Doc]:
    """Personal and collective authors in order, leaving out entries marked invalid (``ValidYN="N"``)."""
    authors: list[Doc] = []
    name_tags = _NAME_TAGS
    for author_list in author_lists:
        if author_list.get("Type", "authors") != "authors":
            continue
        for elem in author_list.iterchildren("Author"):
            if elem.get("ValidYN") == "N":
                continue
            # One pass over the author's children (a record may have hundreds of authors), into
            # locals; of an element given twice, the last counts.
            last = initials = fore = suffix = group = ""
            affiliations: list[str] = []
            for child in elem:
                tag = child.tag
                if tag in name_tags:
                    text = child.text or ""  # (plain_text, inline; a one-word name holds no whitespace)
                    if text and not text.isalnum():
                        text = " ".join(text.split())
                    if tag == "LastName":
                        last = text
                    elif tag == "Initials":
                        initials = text
                    elif tag == "ForeName":
                        fore = text
                    else:
                        suffix = text
                elif tag == "AffiliationInfo":
                    affiliations.extend(element_text(a) for a in child.iterchildren("Affiliation"))
                elif tag == "CollectiveName":
                    group = element_text(child)
            author: Doc
            if group:
                author = {"last": group, "collective": True}
            elif last:
                author = {"last": last}  # (then the name's parts in the order documents hold them)
                if initials:
                    author["initials"] = initials
                if fore:
                    author["fore"] = fore
                if suffix:
                    author["suffix"] = suffix
            else:
                continue
            if affiliations and (kept := unique(affiliations)):
                author["affiliations"] = kept
            authors.append(author)
    return authors


def _mesh_heading(heading: Element) -> str:
    """``Burns/epidemiology/therapy``: the descriptor, then its qualifiers."""
    if len(heading) == 1 and (only := heading[0]).tag == "DescriptorName":
        return plain_text(only)  # (most headings: a descriptor alone)
    descriptor = None
    qualifiers = []
    for child in heading:
        tag = child.tag
        if tag == "QualifierName":
            qualifiers.append(plain_text(child))
        elif tag == "DescriptorName" and descriptor is None:
            descriptor = plain_text(child)
    if not qualifiers:
        return descriptor or ""
    return "/".join(x for x in (descriptor, *qualifiers) if x)


def _identifiers(citation: Children, pubmed_data: Element | None) -> tuple[str | None, str | None]:
    """The PMCID and DOI, from ``PubmedData``'s id list, else from ``ELocationID`` and ``OtherID``."""
    ids = _article_ids(_find(pubmed_data, "ArticleIdList") if pubmed_data is not None else None)
    doi = normalise_doi(ids.get("doi"))
    if doi is None:
        for loc in _every(citation, "Article", "ELocationID"):
            valid = loc.get("EIdType") == "doi" and loc.get("ValidYN") != "N"
            if valid and (doi := normalise_doi(plain_text(loc))):
                break
    pmcid = normalise_pmcid(ids.get("pmc"))
    if pmcid is None:
        # Baseline files without PubmedData: <OtherID Source="NLM">PMC4691237 [Available on ...]</OtherID>
        for other in citation.get("OtherID", ()):
            words = plain_text(other).split()
            if other.get("Source") == "NLM" and words and words[0].startswith("PMC"):
                pmcid = normalise_pmcid(words[0])
                break
    return pmcid, doi


def _article_ids(id_list: Element | None) -> dict[str, str]:
    """``ArticleId`` values by ``IdType`` (the first of each kind)."""
    ids: dict[str, str] = {}
    if id_list is not None:
        for elem in id_list.iterchildren("ArticleId"):
            if (value := plain_text(elem)) and (kind := elem.get("IdType")):
                ids.setdefault(str(kind), value)
    return ids


def _grant(grant: Element) -> str:
    """A grant as MEDLINE's GR field writes it: ``GrantID/Acronym/Agency/Country``, parts it lacks
    left out."""
    parts = _children(grant)
    words = (plain_text(_first(parts, tag)) for tag in ("GrantID", "Acronym", "Agency", "Country"))
    return "/".join(w for w in words if w)
