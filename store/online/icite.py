"""NIH iCite: the references, citing articles and citation metrics of PubMed articles, 200 a request.

``GET pubs?pmids=1,2,3&fl=pmid,year,doi,...`` answers JSON, ``{"data": [...]}`` (with ``meta`` and
``links`` beside it in the legacy answers), one object per PMID iCite knows; a PMID it does not know is
simply absent. ``references`` and ``cited_by`` are lists of PMIDs: iCite knows PubMed's citation graph
(from PubMed, PMC and its own matching of reference lists), nothing without a PMID.

**How many a request.** iCite's support page "Bulk Data and API" says up to 200 PMIDs a request (an
older API page said 1,000), so batches are at most ``MAX_BATCH`` (200; ``icite_batch`` in the settings
can lower it, see ``store.online.config``). iCite documents GET only, so no POST: a batch whose URL
would pass ``MAX_URL`` (4,000 bytes; proxies refuse longer ones) is split first, and a batch refused
with HTTP 413 or 414 is halved, the rest of the work continuing at the smaller size.

**Two shapes of answer, read by field.** The legacy answer (still documented on the API page) writes
``authors`` as one string, ``"Arun Sharma, Stephen M Schwartz, Eduardo Méndez"``, and flags as
``"Yes"``/``"No"``; the current one (2025) writes ``authors`` as objects, ``{"fullName": "Zhang,
Yan-Ling", "firstName": "Yan-Ling", "lastName": "Zhang"}``, flags as ``true``/``false``, and adds
``citedByPmidsByYear`` (``[{"32997821": 2020}, ...]``). Both are read; any other shape of a field (a
number for a name, ``"Maybe"`` for a flag) is refused with one line naming the PMID and the field
(``ShapeError``, an ``OnlineError``: asking again would get the same), rather than stored as text made
from it.

An answer without ``data`` (an HTML page, cut-off JSON) is ``Unusable`` and retried like a 5xx; an
answer stating an error (``{"error": ...}`` or ``{"errors": [...]}``) is an ``OnlineError`` at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from store import metrics as m
from store.errors import OnlineError
from store.formats.base import clean_title
from store.ids import normalise_doi, normalise_pmid
from store.model import Link
from store.online.answers import Answer, Unusable, json_body, one_line
from store.online.config import ICITE
from store.online.eutils import batches
from store.online.http import ServiceClient

SERVICE = "iCite"
MAX_BATCH = 200  # iCite's own limit of PMIDs per request ("Bulk Data and API", 2025)
BATCH = MAX_BATCH
MAX_URL = 4000  # bytes: a longer URL is split before it is sent
TOO_LONG = (413, 414)  # "Content Too Large", "URI Too Long": halve the batch and go on
METRIC_FIELDS = (
    "citation_count",
    "relative_citation_ratio",
    "nih_percentile",
    "is_research_article",
    "is_clinical",
    "cited_by_clin",
    "apt",
    "provisional",
    "citedByPmidsByYear",
)
# What a seed's links are asked with: its links and its metrics.
FIELDS = ("pmid", "year", "doi", "references", "cited_by", *METRIC_FIELDS)
# What describes a linked article (for its stub), with its metrics: asked for the PMIDs a link list
# brought in.
DESCRIBE_FIELDS = ("pmid", "year", "doi", "title", "authors", "journal", *METRIC_FIELDS)
# Metrics alone (``pmbrowse metrics --online``).
METRICS_ONLY = ("pmid", *METRIC_FIELDS)


class ShapeError(OnlineError):
    """A field of an iCite answer in a shape pmbrowse does not know; nothing is stored from it."""


@dataclass
class ICiteRecord:
    """What iCite says of one PMID: its links (PMIDs, in iCite's order), its description and its
    citation metrics (``store.metrics`` field names, without the time of the fetch)."""

    pmid: str
    year: int | None = None
    doi: str | None = None
    references: list[str] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    title: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def citation_count(self) -> int | None:
        value = self.metrics.get(m.COUNT)
        return value if isinstance(value, int) else None

    @property
    def relative_citation_ratio(self) -> float | None:
        value = self.metrics.get(m.RCR)
        return float(value) if isinstance(value, (int, float)) else None

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

    def metrics_record(self, fetched: str) -> dict[str, Any]:
        """``{"icite": {...}}`` for ``Changes.put_metrics``, or {} when iCite stated no metric."""
        return {m.ICITE: m.record(self.metrics, fetched)} if self.metrics else {}


class ICite:
    """iCite's ``pubs`` endpoint over one rate-limited ``ServiceClient``."""

    def __init__(self, client: ServiceClient, *, batch: int = BATCH) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"iCite takes 1 to {MAX_BATCH} PMIDs a request, not {batch}")
        self.client = client
        self.batch = batch
        # Lowered when a batch is refused as too long (413/414): the proxy that refused it stays.
        self.size = batch

    def _url_length(self, params: dict[str, str]) -> int:
        return len(self.client.url("pubs")) + 1 + len(urlencode({**self.client.params, **params}))

    def pubs(
        self,
        pmids: Sequence[str],
        on_batch: Callable[[int, int], None] | None = None,
        *,
        fields: Sequence[str] = FIELDS,
    ) -> dict[str, ICiteRecord]:
        """The records iCite holds for ``pmids`` (unique, in the order asked), at most ``batch`` PMIDs a
        request (fewer once a batch was refused as too long, for the rest of the session); ``fields``:
        what to ask for (``fl``)."""
        wanted = list(dict.fromkeys(pmids))
        found: dict[str, ICiteRecord] = {}
        size = self.size
        pending = list(batches(wanted, size))
        pending.reverse()  # a stack: the next batch is at the end
        done = 0
        while pending:
            chunk = pending.pop()
            params = {"pmids": ",".join(chunk), "fl": ",".join(fields)}
            if len(chunk) > 1 and self._url_length(params) > MAX_URL:
                size = min(size, len(chunk) // 2)
                pending.extend(reversed([chunk[: len(chunk) // 2], chunk[len(chunk) // 2 :]]))
                continue
            asked = set(chunk)

            def check(answer: Answer, asked: set[str] = asked) -> list[ICiteRecord]:
                return parse_pubs(answer, asked)

            try:
                records = self.client.call("pubs", params, check)
            except OnlineError as exc:
                if exc.status not in TOO_LONG or len(chunk) == 1 or isinstance(exc, ShapeError):
                    raise
                # Refused as too long: this batch in halves, and every later one no larger.
                size = self.size = max(1, len(chunk) // 2)
                rest = [pmid for later in reversed(pending) for pmid in later]
                pending = list(batches(chunk + rest, size))
                pending.reverse()
                continue
            for record in records:
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
    for n, row in enumerate(data, 1):
        try:
            record = read_row(row)
        except _Shape as exc:
            pmid = _pmid(row.get("pmid")) if isinstance(row, dict) else None
            where = f"PMID {pmid}" if pmid else f"row {n}"
            raise ShapeError(
                f"{SERVICE} answered in a shape pmbrowse does not know ({where}: {exc})",
                service=SERVICE,
                url=answer.url,
            ) from None
        if record.pmid in asked:
            records.append(record)
    return records


class _Shape(Exception):
    """What is wrong with one field (the caller names the row)."""


def _what(value: object) -> str:
    """How a message names a JSON value's kind."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def read_row(row: object) -> ICiteRecord:
    """One ``data`` row, field by field; ``_Shape`` names the first field in a shape not known."""
    if not isinstance(row, dict):
        raise _Shape(f"a row is {_what(row)}, not an object")
    pmid = _pmid(row.get("pmid"))
    if pmid is None:
        raise _Shape(f"'pmid' is {_what(row.get('pmid'))}, not a PMID")
    metrics: dict[str, Any] = {
        m.COUNT: _count(row, "citation_count"),
        m.RCR: _number(row, "relative_citation_ratio"),
        m.PERCENTILE: _number(row, "nih_percentile"),
        m.APT: _number(row, "apt"),
        m.RESEARCH: _flag(row, "is_research_article"),
        m.CLINICAL: _flag(row, "is_clinical"),
        m.PROVISIONAL: _flag(row, "provisional"),
        m.CITED_BY_CLIN: _pmid_list(row, "cited_by_clin", pmid, keep_own=True),
        m.BY_YEAR: _by_year(row),
    }
    return ICiteRecord(
        pmid=pmid,
        year=_year(row),
        doi=_doi(row),
        references=_pmid_list(row, "references", pmid) or [],
        cited_by=_pmid_list(row, "cited_by", pmid) or [],
        title=clean_title(_text(row, "title")),
        authors=_authors(row.get("authors")),
        journal=_text(row, "journal"),
        metrics={key: value for key, value in metrics.items() if value is not None},
    )


def _pmid(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return normalise_pmid(str(value))


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Shape(f"{key!r} is {_what(value)}, not text")
    return " ".join(value.split())


def _doi(row: dict[str, Any]) -> str | None:
    text = _text(row, "doi")
    return normalise_doi(text) if text else None


def _year(row: dict[str, Any]) -> int | None:
    value = row.get("year")
    if value is None or value == "":
        return None
    year = _int(value)
    if year is None or not 0 < year < 10000:
        raise _Shape(f"'year' is {_what(value)} that is not a year")
    return year


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


def _count(row: dict[str, Any], key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    count = _int(value)
    if count is None or count < 0:
        raise _Shape(f"{key!r} is {_what(value)}, not a count")
    return count


def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise _Shape(f"{key!r} is {_what(value)}, not a number")
    return float(value)


# The legacy answer's flags, and the current one's.
_FLAGS = {"Yes": True, "No": False}


def _flag(row: dict[str, Any], key: str) -> bool | None:
    value = row.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _FLAGS:
        return _FLAGS[value]
    shown = repr(one_line(value, 20)) if isinstance(value, str) else _what(value)
    raise _Shape(f"{key!r} is {shown}, not true/false or Yes/No")


def _pmid_list(row: dict[str, Any], key: str, own: str, *, keep_own: bool = False) -> list[str] | None:
    """A list of PMIDs (numbers or strings; the bulk files write them space-separated), unique; without
    the record's own PMID unless ``keep_own`` (a self-citation is not a link)."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        items: list[object] = list(value.split())
    elif isinstance(value, list):
        items = value
    else:
        raise _Shape(f"{key!r} is {_what(value)}, not a list of PMIDs")
    found: dict[str, None] = {}
    for item in items:
        pmid = _pmid(item)
        if pmid is None:
            raise _Shape(f"{key!r} holds {_what(item)} that is not a PMID")
        if keep_own or pmid != own:
            found[pmid] = None
    return list(found)


def _by_year(row: dict[str, Any]) -> dict[str, int] | None:
    """``citedByPmidsByYear`` (``[{"32997821": 2020}, ...]``) as citing articles per year."""
    value = row.get("citedByPmidsByYear")
    if value is None:
        return None
    if not isinstance(value, list):
        raise _Shape(f"'citedByPmidsByYear' is {_what(value)}, not a list")
    counts: dict[str, int] = {}
    for item in value:
        if not isinstance(item, dict) or not item:
            raise _Shape(f"'citedByPmidsByYear' holds {_what(item)}, not {{PMID: year}}")
        for pmid, year in item.items():
            number = _int(year)
            if _pmid(pmid) is None or number is None or not 0 < number < 10000:
                raise _Shape("'citedByPmidsByYear' holds an entry that is not {PMID: year}")
            counts[str(number)] = counts.get(str(number), 0) + 1
    return dict(sorted(counts.items()))


_GROUP = re.compile(
    r"\b(?:group|consortium|collaborat\w*|network|committee|society|team|investigators)\b", re.I
)
# The fields of an author object in the current answer.
_NAME_FIELDS = ("lastName", "firstName", "fullName")


def _authors(value: object) -> list[str]:
    """iCite's authors as the library's short forms (``Alexandrov LB``), from either shape.

    Legacy: one string, ``"Ludmil B Alexandrov, Serena Nik-Zainal"``. Current: a list of objects with
    ``lastName``, ``firstName`` and ``fullName`` (``"Zhang, Yan-Ling"``). Anything else is ``_Shape``.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [name for part in value.split(",") if (name := _short_from_text(part))]
    if not isinstance(value, list):
        raise _Shape(f"'authors' is {_what(value)}, not a string or a list of author objects")
    names: list[str] = []
    for item in value:
        if not isinstance(item, dict):
            raise _Shape(f"'authors' holds {_what(item)}, not an author object")
        name = _short_from_object(item)
        if name:
            names.append(name)
    return names


def _short_from_text(text: str) -> str:
    """``Ludmil B Alexandrov`` -> ``Alexandrov LB``; one word, or a group's name, as it is."""
    words = text.split()
    if not words:
        return ""
    if len(words) == 1 or _GROUP.search(text):
        return " ".join(words)
    initials = "".join(w[0] for w in words[:-1] if w[0].isalpha()).upper()
    return f"{words[-1]} {initials}" if initials else " ".join(words)


def _short_from_object(item: dict[str, Any]) -> str:
    """``{"lastName": "Zhang", "firstName": "Yan-Ling", ...}`` -> ``Zhang YL``."""
    if not any(key in item for key in _NAME_FIELDS):
        raise _Shape(f"an author object has none of {', '.join(_NAME_FIELDS)}")
    parts: dict[str, str] = {}
    for key in _NAME_FIELDS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise _Shape(f"an author's {key!r} is {_what(value)}, not text")
        parts[key] = " ".join((value or "").split())
    last, first, full = parts["lastName"], parts["firstName"], parts["fullName"]
    if not last and full:
        # "Zhang, Yan-Ling" names the surname first; a name without a comma is a group's, whole.
        last, comma, rest = full.partition(",")
        last, first = (last.strip(), first or rest.strip()) if comma else (full, first)
    if not last:
        return first
    initials = "".join(w[0] for w in re.split(r"[\s\-]+", first) if w and w[0].isalpha()).upper()
    return f"{last} {initials}" if initials else last
