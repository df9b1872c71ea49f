"""NCBI ECitMatch: the PMIDs of citations given as journal, year, volume, first page and first author.

``ecitmatch.cgi?db=pubmed&retmode=xml&bdata=journal|year|volume|first_page|author|key|`` (several
citations separated by a carriage return) answers in plain text, one line per citation: the seven
fields, the last the PMID (``proc natl acad sci u s a|1991|88|3248|mann bj|citation_1|2014248``), or
``NOT_FOUND``, ``NOT_FOUND;INVALID_JOURNAL``, ``AMBIGUOUS (n citations)``. Only a PMID of digits is
taken; the rest stay unresolved. Answers are matched to the asked citations by the key (``citation_N``).

ECitMatch matches on the journal, volume and first page above all: a citation is asked only when it
has a journal and a year, and a volume with a first page or a first author. The journal is sent as
written (an abbreviation matches best), lower-cased, without the ``|`` that separates fields.

It is an E-utility: requests go through the E-utilities client (its rate limit, 3 a second or 10 with
an API key, ``tool``, ``email``, retries and one-line errors), citations batched so that a request's URL
stays under the length proxies accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from store.model import Article
from store.online.answers import Answer, Unusable, html_problem, one_line
from store.online.eutils import MAX_GET_QUERY
from store.online.http import ServiceClient

SERVICE_PATH = "ecitmatch.cgi"


def _field(text: str) -> str:
    return " ".join(text.replace("|", " ").replace("\r", " ").split()).lower()


@dataclass(frozen=True, slots=True)
class Citation:
    """One citation to match, and the key its answer comes back under."""

    journal: str
    year: str
    volume: str
    first_page: str
    author: str
    key: str

    def line(self) -> str:
        return (
            "|".join(
                _field(x)
                for x in (self.journal, self.year, self.volume, self.first_page, self.author, self.key)
            )
            + "|"
        )


def citation_of(article: Article, key: str) -> Citation | None:
    """The citation ECitMatch can match for ``article`` (see the module's docstring), or None."""
    journal = article.journal or article.journal_title
    first_page = article.pages.split("-")[0].strip() if article.pages else ""
    author = ""
    if article.authors:
        first = article.authors[0]
        author = first.last if first.collective else f"{first.last} {first.initials}".strip()
    if not journal or article.year is None or not ((article.volume and first_page) or author):
        return None
    return Citation(journal, str(article.year), article.volume, first_page, author, key)


def read_answer(answer: Answer) -> dict[str, str]:
    """Each answered key -> its PMID (only matches; ``NOT_FOUND`` and ``AMBIGUOUS`` are left out)."""
    if problem := html_problem(answer, "text"):
        raise Unusable(problem)
    try:
        text = answer.content.decode("utf-8")
    except UnicodeDecodeError:
        raise Unusable("an answer that is not UTF-8 text") from None
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) < 7:
            raise Unusable(f"an answer line that is not a citation ({one_line(line, 80)!r})")
        key, pmid = fields[5].strip(), fields[6].strip()
        if pmid.isascii() and pmid.isdigit():
            found[key] = pmid
    return found


class ECitMatch:
    """ECitMatch over the E-utilities client (``Online.pubmed_client``)."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def match(self, citations: Sequence[Citation]) -> dict[str, str]:
        """Each citation's key -> the PMID ECitMatch found for it (unmatched ones are left out)."""
        found: dict[str, str] = {}
        for batch in self._batches(citations):
            params = {"db": "pubmed", "retmode": "xml", "bdata": "\r".join(c.line() for c in batch)}
            found.update(self.client.call(SERVICE_PATH, params, read_answer))
        return found

    def _batches(self, citations: Sequence[Citation]) -> list[list[Citation]]:
        """Citations in batches whose request stays under ``MAX_GET_QUERY`` characters of query."""
        base = len(urlencode({**self.client.params, "db": "pubmed", "retmode": "xml", "bdata": ""}))
        batches: list[list[Citation]] = []
        current: list[Citation] = []
        length = base
        for citation in citations:
            size = len(quote_plus(citation.line())) + len(quote_plus("\r"))
            if current and length + size > MAX_GET_QUERY:
                batches.append(current)
                current, length = [], base
            current.append(citation)
            length += size
        if current:
            batches.append(current)
        return batches
