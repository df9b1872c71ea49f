"""Europe PMC REST: the references of a PubMed article and the articles citing it, as ``Link``s.

``MED/{pmid}/references`` and ``MED/{pmid}/citations`` answer JSON in pages of up to 1000 rows
(``hitCount``, then ``referenceList.reference[]`` or ``citationList.citation[]``). Unlike elink they
carry bibliographic text (title, ``authorString``, journal, year), and they also list targets that
have no PMID (books, preprints, unmatched references). "No citations" may come back as HTTP 404:
that is an empty list, not an error.

**Paging.** ``hitCount`` is the total; a page shorter than asked does not end the list (the service
may page by fewer rows than asked, or cut a page short), see ``EuropePmc.listing``. A list the service
ends early is kept as far as it came and said (``Listing.shortfall``: "25 of 810 links stored"), never
taken for the whole.

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
from store.online.answers import Answer, Unusable, json_body, one_line, shape_error
from store.online.config import EUROPEPMC
from store.online.http import ServiceClient

SERVICE = "Europe PMC"
PAGE_SIZE = 1000
# A page shorter than it should be (the service cut it) is asked again this many times before the list
# goes on without the rows it lacked.
SHORT_PAGE_RETRIES = 2
# Endpoint and list keys per link relation (the library's names: references / cited_by).
ENDPOINTS = {
    "references": ("references", "referenceList", "reference"),
    "cited_by": ("citations", "citationList", "citation"),
}
# How a message names each list.
LISTS = {"references": "references", "cited_by": "citing articles"}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an answer: the total number of rows, this page's rows, and what the service says of
    its paging (the page size it used and the cursor of the next page, when it says)."""

    total: int
    rows: list[dict[str, Any]]
    page_size: int | None = None
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """All of one article's references or citing articles, as far as the service sent them.

    ``total`` is the ``hitCount`` promised, ``received`` the rows that came (each once); when the
    service ended early, ``complete`` is False and ``shortfall()`` says how much is missing.
    ``counts`` holds Europe PMC's ``citedByCount`` of each listed article that has one.
    """

    pmid: str
    rel: str
    links: list[Link]
    total: int
    received: int
    counts: list[tuple[Link, int]]

    @property
    def complete(self) -> bool:
        return self.received >= self.total

    def shortfall(self) -> str:
        """``Europe PMC ended the citing articles of PMID 1 early: 25 of 810 links stored``."""
        return (
            f"{SERVICE} ended the {LISTS[self.rel]} of PMID {self.pmid} early: "
            f"{len(self.links)} of {self.total} links stored"
        )


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
        """``pmid``'s links for ``rel`` (``references`` or ``cited_by``): ``listing(...).links``."""
        return self.listing(pmid, rel, on_page).links

    def listing(self, pmid: str, rel: str, on_page: Callable[[int, int], None] | None = None) -> Listing:
        """Every page of ``pmid``'s ``rel`` list, paged until ``hitCount`` rows have come.

        A short page does not end the list: the service may page by fewer rows than asked (then the
        next page starts after the rows it did send), or cut a page short (it is asked again, up to
        ``SHORT_PAGE_RETRIES`` times). Where the answer names the next page's ``nextCursorMark``, that
        cursor is followed instead of page numbers. The list ends when every promised row has come, or
        when a page still brings none after those retries; rows are kept once each, whatever pages
        overlap.
        """
        endpoint, holder, item = ENDPOINTS[rel]
        rows: dict[str, dict[str, Any]] = {}
        total, page_number, size = 0, 1, self.page_size
        cursor: str | None = None
        retries = 0

        def check(answer: Answer) -> Page:
            return parse_page(answer, holder, item)

        while True:
            params = {"format": "json", "pageSize": str(size)}
            if cursor is None:
                params["page"] = str(page_number)
            else:
                params["cursorMark"] = cursor
            page = self.client.call(f"MED/{pmid}/{endpoint}", params, check, accept=(200, 404))
            total = max(total, page.total)
            for row in page.rows:
                rows.setdefault(_row_key(row), row)
            if on_page is not None:
                on_page(len(rows), total)
            if len(rows) >= total:
                break
            if not page.rows:
                if retries >= SHORT_PAGE_RETRIES:
                    break  # the service has nothing more to send, whatever hitCount said
                retries += 1
                continue
            if page.next_cursor is not None and page.next_cursor != cursor:
                cursor, retries = page.next_cursor, 0
                continue
            if page_number == 1 and page.page_size is not None and page.page_size < size:
                size = page.page_size  # the service says it pages by fewer: ask for that many from now on
            due = min(size, total - (page_number - 1) * size)
            if len(page.rows) < due and retries < SHORT_PAGE_RETRIES:
                retries += 1  # cut short: ask for the same page again
                continue
            if len(page.rows) < due and page_number == 1:
                # Still short: it pages by fewer than asked. Asking for that many from now on means the
                # same rows whether it honours the size asked or keeps its own.
                size = len(page.rows)
            retries = 0
            page_number += 1
        ordered = list(rows.values())
        return Listing(pmid, rel, links_from_rows(ordered), total, len(ordered), counts_from_rows(ordered))


def _row_key(row: dict[str, Any]) -> str:
    """A row's identity within one list: its source and id, else its text (for rows without an id)."""
    source, row_id = str(row.get("source") or ""), str(row.get("id") or "")
    if row_id:
        return f"{source}:{row_id}"
    return "text:" + "|".join(str(row.get(k) or "") for k in ("doi", "title", "pubYear", "authorString"))


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
    for n, row in enumerate(rows, 1):
        problem = row_problem(row)
        if problem:
            raise _shape(answer, f"{holder}.{item} row {n}: {problem}")
    request = body.get("request")
    size = request.get("pageSize") if isinstance(request, dict) else None
    cursor = body.get("nextCursorMark")
    return Page(
        total,
        rows,
        page_size=size if type(size) is int and size > 0 else None,
        next_cursor=cursor if isinstance(cursor, str) and cursor else None,
    )


# The fields a row's link is made of, and what each may be (ids and numbers come as text or numbers).
_TEXT_FIELDS = ("source", "title", "authorString", "journalAbbreviation", "journalTitle", "doi", "pageInfo")
_TEXT_OR_NUMBER = ("id", "pmid", "pmcid", "pubYear", "volume", "journalVolume", "issue")


def row_problem(row: object) -> str:
    """What is wrong with a row's shape, or "" (a field in another shape would be stored as the text of
    a Python object, as iCite's author objects once were)."""
    if not isinstance(row, dict):
        return "not an object"
    for key in _TEXT_FIELDS:
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key!r} is not text"
    for key in _TEXT_OR_NUMBER:
        value = row.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            return f"{key!r} is neither text nor a number"
    count = row.get("citedByCount")
    if count is not None and (type(count) is not int or count < 0):
        return "'citedByCount' is not a count"
    return ""


def _shape(answer: Answer, problem: str) -> OnlineError:
    return shape_error(SERVICE, problem, answer.url)


def counts_from_rows(rows: list[dict[str, Any]]) -> list[tuple[Link, int]]:
    """Europe PMC's ``citedByCount`` of each row's article, where it states a count and the row names one."""
    counts: list[tuple[Link, int]] = []
    for row in rows:
        count = row.get("citedByCount")
        link = link_from_row(row) if type(count) is int and count >= 0 else None
        if link is not None and type(count) is int:
            counts.append(
                (
                    Link(pmid=link.pmid, pmcid=link.pmcid, doi=link.doi, title=link.title, year=link.year),
                    count,
                )
            )
    return counts


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
