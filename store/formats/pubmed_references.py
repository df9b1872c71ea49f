"""A PubMed XML record's reference list (``PubmedData/ReferenceList``) read into its links' documents
(``Link.to_doc``'s: identifiers, title, year, source); the decisions it follows are in
``store.formats.pubmed_xml``'s docstring.

A record can hold hundreds of references, and reading them is most of what an import of such records
costs, so this is written for speed (measured per reference, issue 18):

- a citation's text is taken as it is when it is single-spaced already, as nearly every one is: the
  texts of a record are checked together (``single_spaced``: a few scans of one joined string), and
  only when one of them is not are they collapsed one by one (``" ".join(text.split())`` costs about
  a microsecond a reference, a quarter of the rest), and the links of those that change made again;
- the common PMID (ASCII digits) and a year right before the first ";" are read without a call.
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
    links: list[Doc] = []
    # The citations whose text is taken as given (those without markup): the text, and where the
    # reference's link is in ``links`` with what else it holds, or -1 if it made none.
    texts: list[str] = []
    given: list[tuple[int, str | None, str | None, str | None]] = []
    for reference_list in pubmed_data.iterchildren("ReferenceList"):
        for ref in reference_list.iterdescendants("Reference"):
            text = ""
            as_given = False
            pmid = pmcid = doi = None
            for child in ref:
                tag = child.tag
                if tag == "Citation":  # (of two, the last counts)
                    as_given = not len(child)
                    text = (child.text or "") if as_given else element_text(child)  # (markup: flattened)
                elif tag == "ArticleIdList":
                    for elem in child:
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
            link = _link(text, pmid, pmcid, doi)
            if as_given:
                texts.append(text)
                given.append((-1 if link is None else len(links), pmid, pmcid, doi))
            if link is not None:
                links.append(link)
    if texts and not single_spaced(texts):
        _collapse_texts(links, texts, given)
    return links


def _collapse_texts(
    links: list[Doc], texts: list[str], given: list[tuple[int, str | None, str | None, str | None]]
) -> None:
    """Make again, in ``links``, the link of each citation whose text was not single-spaced."""
    for text, (at, pmid, pmcid, doi) in zip(
        reversed(texts), reversed(given), strict=True
    ):  # (deletions last first)
        if at < 0:
            continue  # (it made no link: it is empty, or blank but for a full stop, so collapsed too)
        collapsed = " ".join(text.split())
        if collapsed == text:
            continue
        link = _link(collapsed, pmid, pmcid, doi)
        if link is None:
            del links[at]
        else:
            links[at] = link


def _link(text: str, pmid: str | None, pmcid: str | None, doi: str | None) -> Doc | None:
    """A reference's link from its citation's text (single-spaced) and identifiers; None if it has neither."""
    if text.endswith(".") and not text.endswith(".."):  # (base.drop_full_stop)
        text = text[:-1].rstrip()
    link: Doc
    if text:
        end = text.find(";")
        year = _YEARS.get(text[end - 4 : end]) if end >= 4 else None
        if end >= 0 and (year is None or (end > 4 and text[end - 5].isdigit())):
            year = cited_year(text)  # (the year is not simply right before the first ";")
        if pmid and not pmcid and not doi:  # (the common case, as one literal)
            link = {"pmid": pmid, "title": text}
        else:
            link = _ids(pmid, pmcid, doi)
            link["title"] = text
        if year is not None:
            link["year"] = year
    elif pmid or pmcid or doi:
        link = _ids(pmid, pmcid, doi)
    else:
        return None  # an empty <Reference/> says nothing
    link["sources"] = [SOURCE_TAG]
    return link


def _ids(pmid: str | None, pmcid: str | None, doi: str | None) -> Doc:
    link: Doc = {}
    if pmid:
        link["pmid"] = pmid
    if pmcid:
        link["pmcid"] = pmcid
    if doi:
        link["doi"] = doi
    return link
