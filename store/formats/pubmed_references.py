"""A PubMed XML record's reference list (``PubmedData/ReferenceList``) read into its links' documents
(``Link.to_doc``'s: identifiers, title, year, source); the decisions it follows are in
``store.formats.pubmed_xml``'s docstring.

A record can hold hundreds of references, and reading them is most of what an import of such records
costs, so this is written for speed (measured per reference, issue 18):

- a citation's text is taken as it is when it is single-spaced already, as nearly every one is: the
  texts of a record are checked together (``single_spaced``: a few scans of one joined string), and
  only when one of them is not is the list read again, each text collapsed (``" ".join(text.split())``
  costs about a microsecond a reference, a quarter of the rest);
- the common PMID (ASCII digits) and a year right before the first ";" are read without a call, and
  each link is made where it is read, the common one (a PMID, a title, a year) as one literal.
"""

from __future__ import annotations

from typing import Any

from store.formats.xml_text import element_text, single_spaced
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import Doc
from store.pubdate import cited_year

Element = Any  # (lxml ships no type hints)

SOURCE_TAG = "pubmed"

# What cited_year reads quickly, right before a ";": four ASCII digits of a year it accepts.
_YEARS = {str(year): year for year in range(1500, 2200)}


def references(pubmed_data: Element | None) -> list[Doc]:
    """The reference list's links as documents."""
    if pubmed_data is None:
        return []
    links, texts = _read(pubmed_data, collapse=False)
    if texts and not single_spaced(texts):
        links = _read(pubmed_data, collapse=True)[0]  # (rare: made again, each text collapsed)
    return links


def _read(pubmed_data: Element, *, collapse: bool) -> tuple[list[Doc], list[str]]:
    """The links, and the citations' texts taken as given (those without markup); ``collapse``: each
    such text collapsed first (as ``element_text`` collapses one with markup)."""
    links: list[Doc] = []
    texts: list[str] = []
    add, given, years = links.append, texts.append, _YEARS
    for reference_list in pubmed_data.iterchildren("ReferenceList"):
        for ref in reference_list.iterdescendants("Reference"):
            text = ""
            pmid = pmcid = doi = None
            # (children as lists, ``ref[:]``: lxml makes the list in C; iterating the element makes an
            # iterator for each reference and each id list, ~3x what the list costs)
            for child in ref[:]:
                tag = child.tag
                if tag == "Citation":  # (of two, the last counts)
                    if len(child):
                        text = element_text(child)  # (markup: flattened, collapsed)
                    elif collapse:
                        text = " ".join((child.text or "").split())
                    else:
                        text = child.text or ""
                        given(text)
                elif tag == "ArticleIdList":
                    for elem in child[:]:
                        value = elem.text
                        if not value:
                            continue
                        kind = elem.get("IdType")
                        if kind == "pubmed":
                            if pmid is None:
                                if value.isdigit() and value.isascii() and len(value) <= 9:
                                    pmid = value.lstrip("0") or None  # (normalise_pmid's quick path)
                                else:
                                    pmid = normalise_pmid(value.strip())
                        elif kind == "doi":
                            if doi is None:
                                doi = normalise_doi(value.strip())
                        elif (kind == "pmc" or kind == "pmcid") and pmcid is None:
                            pmcid = normalise_pmcid(value.strip())
            # The link (written out here, not called: once per reference of every record imported).
            if text and text[-1] == "." and text[-2:] != "..":  # (base.drop_full_stop)
                text = text[:-1].rstrip()
            if text:
                end = text.find(";")
                if end >= 4:
                    year = years.get(text[end - 4 : end])
                    if year is None or (end > 4 and text[end - 5].isdigit()):
                        year = cited_year(text)  # (the year is not simply right before the first ";")
                else:
                    year = cited_year(text) if end >= 0 else None
                if pmid and not pmcid and not doi:  # (the common case, as one literal)
                    if year is None:
                        add({"pmid": pmid, "title": text, "sources": [SOURCE_TAG]})
                    else:
                        add({"pmid": pmid, "title": text, "year": year, "sources": [SOURCE_TAG]})
                    continue
                link = _ids(pmid, pmcid, doi)
                link["title"] = text
                if year is not None:
                    link["year"] = year
            elif pmid or pmcid or doi:
                link = _ids(pmid, pmcid, doi)
            else:
                continue  # an empty <Reference/> says nothing
            link["sources"] = [SOURCE_TAG]
            add(link)
    return links, texts


def _ids(pmid: str | None, pmcid: str | None, doi: str | None) -> Doc:
    link: Doc = {}
    if pmid:
        link["pmid"] = pmid
    if pmcid:
        link["pmcid"] = pmcid
    if doi:
        link["doi"] = doi
    return link
