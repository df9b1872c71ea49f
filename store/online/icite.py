"""NIH iCite: the references and citing articles of up to 1,000 PubMed articles in one request.

``GET pubs?pmids=1,2,3&fl=pmid,year,doi,...`` answers JSON: ``{"meta": ..., "links": ..., "data": [...]}``
with one object per PMID iCite knows (``pmid``, ``year``, ``doi``, ``citation_count``,
``relative_citation_ratio``, ``references`` and ``cited_by`` as lists of PMIDs). A PMID iCite does not
know is simply absent from ``data``. The link lists hold PMIDs only: iCite knows PubMed's citation
graph (from PubMed, PMC and its own matching of reference lists), nothing without a PMID.

An answer without ``data`` (an HTML page, cut-off JSON) is ``Unusable`` and retried like a 5xx; an
answer stating an error (``{"error": ...}`` or ``{"errors": [...]}``) is an ``OnlineError`` at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.errors import OnlineError
from store.formats.base import clean_title
from store.ids import normalise_doi, normalise_pmid
from store.model import Link
from store.online.answers import Answer, Unusable, json_body, one_line
from store.online.config import ICITE
from store.online.eutils import batches
from store.online.http import ServiceClient

SERVICE = "iCite"
BATCH = 1000  # iCite's own limit of PMIDs per request
FIELDS = ("pmid", "year", "doi", "citation_count", "relative_citation_ratio", "references", "cited_by")
# What describes a linked article (for its stub): asked for the PMIDs a link list brought in.
DESCRIBE_FIELDS = ("pmid", "year", "doi", "title", "authors", "journal")


@dataclass
class ICiteRecord:
    """What iCite says of one PMID: its links (PMIDs, in iCite's order) and its citation metrics."""

    pmid: str
    year: int | None = None
    doi: str | None = None
    citation_count: int | None = None
    relative_citation_ratio: float | None = None
    references: list[str] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    title: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""

    def link(self) -> Link:
        """The article itself as a link target: identifiers and what iCite says of it."""
        return Link(
            pmid=self.pmid,
            doi=self.doi,
            title=self.title,
            authors=list(self.authors),
            journal=self.journal,
            year=self.year,
            sources=[ICITE],
        )

    def links(self, rel: str) -> list[Link]:
        """``references`` or ``cited_by`` as links that say iCite gave them."""
        return [Link(pmid=pmid, sources=[ICITE]) for pmid in getattr(self, rel)]


class ICite:
    """iCite's ``pubs`` endpoint over one rate-limited ``ServiceClient``."""

    def __init__(self, client: ServiceClient, *, batch: int = BATCH) -> None:
        if not 1 <= batch <= BATCH:
            raise ValueError(f"iCite takes 1 to {BATCH} PMIDs a request, not {batch}")
        self.client = client
        self.batch = batch

    def pubs(
        self,
        pmids: Sequence[str],
        on_batch: Callable[[int, int], None] | None = None,
        *,
        fields: Sequence[str] = FIELDS,
    ) -> dict[str, ICiteRecord]:
        """The records iCite holds for ``pmids`` (unique, in the order asked), ``batch`` PMIDs a request;
        ``fields``: what to ask for (``fl``)."""
        wanted = list(dict.fromkeys(pmids))
        found: dict[str, ICiteRecord] = {}
        done = 0
        for chunk in batches(wanted, self.batch):
            asked = set(chunk)

            def check(answer: Answer, asked: set[str] = asked) -> list[ICiteRecord]:
                return parse_pubs(answer, asked)

            params = {"pmids": ",".join(chunk), "fl": ",".join(fields)}
            for record in self.client.call("pubs", params, check):
                found[record.pmid] = record
            done += len(chunk)
            if on_batch is not None:
                on_batch(done, len(wanted))
        return {pmid: found[pmid] for pmid in wanted if pmid in found}


def parse_pubs(answer: Answer, asked: set[str]) -> list[ICiteRecord]:
    """The records of one answer, those asked for only (iCite echoes nothing else, but a proxy might)."""
    body = json_body(answer)
    if not isinstance(body, dict):
        raise Unusable("JSON that is not an iCite answer")
    stated = body.get("error") or body.get("errors")
    if stated:
        texts = stated if isinstance(stated, list) else [stated]
        message = "; ".join(one_line(str(t)) for t in texts)
        raise OnlineError(f"{SERVICE} reported an error: {message}", service=SERVICE, url=answer.url)
    data = body.get("data")
    if not isinstance(data, list):
        raise Unusable("an iCite answer without data")
    records: list[ICiteRecord] = []
    for row in data:
        record = _record(row) if isinstance(row, dict) else None
        if record is not None and record.pmid in asked:
            records.append(record)
    return records


def _record(row: dict[str, Any]) -> ICiteRecord | None:
    pmid = _pmid(row.get("pmid"))
    if pmid is None:
        return None
    doi = row.get("doi")
    return ICiteRecord(
        pmid=pmid,
        year=_int(row.get("year")),
        doi=normalise_doi(doi) if isinstance(doi, str) else None,
        citation_count=_int(row.get("citation_count")),
        relative_citation_ratio=_float(row.get("relative_citation_ratio")),
        references=_pmids(row.get("references"), pmid),
        cited_by=_pmids(row.get("cited_by"), pmid),
        title=clean_title(_text(row.get("title"))),
        authors=_authors(row.get("authors")),
        journal=_text(row.get("journal")),
    )


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


_GROUP = re.compile(
    r"\b(?:group|consortium|collaborat\w*|network|committee|society|team|investigators)\b", re.I
)


def _authors(value: object) -> list[str]:
    """iCite's ``"Ludmil B Alexandrov, Serena Nik-Zainal"`` as the library's short forms
    (``Alexandrov LB``); a name of one word, or a group's (``... Group``, ``... Consortium``), as it is."""
    names = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    short: list[str] = []
    for name in names:
        words = str(name).split()
        if not words:
            continue
        if len(words) == 1 or _GROUP.search(str(name)):
            short.append(" ".join(words))
            continue
        initials = "".join(w[0] for w in words[:-1] if w[0].isalpha()).upper()
        short.append(f"{words[-1]} {initials}" if initials else " ".join(words))
    return short


def _pmid(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return normalise_pmid(str(value))


def _pmids(value: object, own: str) -> list[str]:
    """A list of PMIDs (numbers or strings; the bulk files write them space-separated), unique, without
    the record's own PMID (a self-citation is not a link)."""
    items: list[object] = []
    if isinstance(value, str):
        items = list(value.split())
    elif isinstance(value, list):
        items = value
    found: dict[str, None] = {}
    for item in items:
        pmid = _pmid(item)
        if pmid is not None and pmid != own:
            found[pmid] = None
    return list(found)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
