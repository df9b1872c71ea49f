"""Europe PMC REST: the references of a PubMed article and the articles citing it, as ``Link``s.

``MED/{pmid}/references`` and ``MED/{pmid}/citations`` answer JSON in pages of up to 1000 rows
(``hitCount``, then ``referenceList.reference[]`` or ``citationList.citation[]``). Unlike elink they
carry bibliographic text (title, ``authorString``, journal, year), and they also list targets that
have no PMID (books, preprints, unmatched references). "No citations" may come back as HTTP 404:
that is an empty list, not an error.

A row's ``id`` is a PMID when its ``source`` is ``MED`` and a PMCID when it is ``PMC``; other sources
(``PPR`` preprints, ``AGR``, ``PAT``...) have ids that mean nothing to the library, so such a row is
known by its DOI when it has one, else by its title and year. A row with no identifier and no title
names nothing the library could link to, and is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from store.errors import OnlineError
from store.formats.base import clean_title
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.model import Link
from store.online.answers import Answer, Unusable, json_body, one_line
from store.online.config import EUROPEPMC
from store.online.http import ServiceClient

SERVICE = "Europe PMC"
PAGE_SIZE = 1000
# Endpoint and list keys per link relation (the library's names: references / cited_by).
ENDPOINTS = {
    "references": ("references", "referenceList", "reference"),
    "cited_by": ("citations", "citationList", "citation"),
}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an answer: the total number of rows, and this page's rows."""

    total: int
    rows: list[dict[str, Any]]


class EuropePmc:
    """Europe PMC's reference and citation lists, over one rate-limited ``ServiceClient``."""

    def __init__(self, client: ServiceClient, *, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.page_size = page_size

    def references(self, pmid: str) -> list[Link]:
        return self.links(pmid, "references")

    def citations(self, pmid: str) -> list[Link]:
        return self.links(pmid, "cited_by")

    def links(self, pmid: str, rel: str, on_page: Callable[[int, int], None] | None = None) -> list[Link]:
        """All of ``pmid``'s links for ``rel`` (``references`` or ``cited_by``), every page of them."""
        endpoint, holder, item = ENDPOINTS[rel]
        rows: list[dict[str, Any]] = []
        page_number, total = 1, 0
        while True:
            params = {"format": "json", "page": str(page_number), "pageSize": str(self.page_size)}

            def check(answer: Answer) -> Page:
                return parse_page(answer, holder, item)

            page = self.client.call(f"MED/{pmid}/{endpoint}", params, check, accept=(200, 404))
            total = max(total, page.total)
            rows.extend(page.rows)
            if on_page is not None:
                on_page(len(rows), total)
            # A short or empty page is the last one, whatever hitCount promised.
            if len(rows) >= total or len(page.rows) < self.page_size:
                break
            page_number += 1
        return links_from_rows(rows)


def parse_page(answer: Answer, holder: str, item: str) -> Page:
    """One page of references or citations; a 404 is the empty list."""
    if answer.status == 404:
        return Page(0, [])
    body = json_body(answer)
    if not isinstance(body, dict):
        raise Unusable("JSON that is not a Europe PMC answer")
    message = body.get("errMsg") or body.get("errorMessage")
    if message:
        raise OnlineError(
            f"{SERVICE} reported an error: {one_line(str(message))}", service=SERVICE, url=answer.url
        )
    if "hitCount" not in body:
        raise Unusable("a Europe PMC answer without a hitCount")
    try:
        total = int(body["hitCount"])
    except (TypeError, ValueError):
        raise Unusable(f"a hitCount that is not a number ({one_line(str(body['hitCount']), 40)})") from None
    listing = body.get(holder)
    if listing is None and total == 0:
        return Page(0, [])
    rows = listing.get(item) if isinstance(listing, dict) else None
    if not isinstance(rows, list):
        raise Unusable(f"a Europe PMC answer with hitCount {total} but no {holder}")
    return Page(total, [row for row in rows if isinstance(row, dict)])


def links_from_rows(rows: list[dict[str, Any]]) -> list[Link]:
    """Rows to links, in the order given (references in their order in the article)."""
    links: list[Link] = []
    for row in rows:
        link = link_from_row(row)
        if link is not None:
            links.append(link)
    return links


def link_from_row(row: dict[str, Any]) -> Link | None:
    """One row as a Link, or None when it names nothing (no identifier, no title)."""
    source = str(row.get("source") or "").upper()
    row_id = str(row.get("id") or "")
    pmid = normalise_pmid(str(row.get("pmid") or "")) or (normalise_pmid(row_id) if source == "MED" else None)
    pmcid = normalise_pmcid(str(row.get("pmcid") or "")) or (
        normalise_pmcid(row_id) if source == "PMC" else None
    )
    doi = normalise_doi(str(row.get("doi") or ""))
    title = clean_title(str(row.get("title") or ""))
    if not (title or pmid or pmcid or doi):
        return None
    return Link(
        pmid=pmid,
        pmcid=pmcid,
        doi=doi,
        title=title,
        authors=split_authors(str(row.get("authorString") or "")),
        journal=str(row.get("journalAbbreviation") or row.get("journalTitle") or "").strip(),
        year=_year(row.get("pubYear")),
        volume=str(row.get("volume") or row.get("journalVolume") or "").strip(),
        issue=str(row.get("issue") or "").strip(),
        pages=str(row.get("pageInfo") or "").strip(),
        sources=[EUROPEPMC],
    )


def split_authors(text: str) -> list[str]:
    """``"Schoenfeld JD, Haas-Kogan DA, O'Neill AF."`` -> the names, in PubMed's short form.

    Europe PMC joins names with ``", "`` and ends the list with a full stop; ``et al`` is not a name.
    A group name that itself holds a comma is split there: the string does not say otherwise.
    """
    names: list[str] = []
    for part in text.strip().rstrip(".").split(","):
        name = " ".join(part.split()).rstrip(".")
        if name and name.lower() not in ("et al", "et al."):
            names.append(name)
    return names


def _year(value: object) -> int | None:
    text = str(value or "").strip()[:4]
    return int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None
