"""NCBI's PMC ID Converter: the PMID (and PMCID, DOI) of articles known by a DOI or a PMCID.

``https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/?ids=ID,ID&idtype=doi&format=json``: up to
200 identifiers a request, all of one type (so DOIs and PMCIDs go in separate requests). The answer's
``records`` hold, for each asked identifier (``requested-id``), the ``pmid``, ``pmcid`` and ``doi`` the
service knows, or ``status: error`` with an ``errmsg`` for one it does not. The converter knows the
articles in PubMed Central: a DOI of an article outside PMC comes back unknown (pmbrowse then tries
ECitMatch with the record's citation, ``store.online.ecitmatch``).

Politeness: the converter is an NCBI service, so its requests share the process's NCBI limiter with
E-utilities (3 a second, 10 with an API key, spaced); ``tool`` and ``email`` are sent as NCBI asks,
never the API key. Retries, timeouts and one-line errors are the HTTP client's (``store.online.http``).
``PMBROWSE_IDCONV_URL`` sets the base URL (tests point it at a local server).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store.errors import OnlineError
from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.online.answers import Answer, Unusable, json_body, one_line
from store.online.eutils import batches
from store.online.http import ServiceClient
from store.online.ratelimit import RateLimiter, shared_limiter

if TYPE_CHECKING:
    from store.online.session import Online

SERVICE = "PMC ID Converter"
IDCONV_URL = "https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles/"
URL_ENV = "PMBROWSE_IDCONV_URL"
BATCH = 200
ID_TYPES = ("doi", "pmcid")


def idconv_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    url = env.get(URL_ENV, "").strip() or IDCONV_URL
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True, slots=True)
class Converted:
    """What the converter knows of one asked identifier."""

    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, int)):
        return str(value)
    return None


def read_answer(body: Any) -> dict[str, Converted]:
    """Each requested identifier (as sent) -> what the converter knows of it; unknown ones are left out.
    ``Unusable`` for an answer of another shape."""
    if not isinstance(body, dict):
        raise Unusable("an answer that is not a JSON object")
    if body.get("status") not in (None, "ok"):
        message = one_line(str(body.get("message") or body.get("errmsg") or body.get("status")))
        raise OnlineError(f"{SERVICE} reported an error: {message}", service=SERVICE)
    records = body.get("records")
    if not isinstance(records, list):
        raise Unusable("an answer without records")
    found: dict[str, Converted] = {}
    for record in records:
        if not isinstance(record, dict):
            raise Unusable("a record that is not a JSON object")
        asked = _text(record.get("requested-id"))
        if asked is None or record.get("status") == "error":
            continue
        pmid = normalise_pmid(_text(record.get("pmid")))
        pmcid = normalise_pmcid(_text(record.get("pmcid")))
        doi = normalise_doi(_text(record.get("doi")))
        if pmid or pmcid or doi:
            found[asked] = Converted(pmid, pmcid, doi)
    return found


class IdConverter:
    """The converter over one rate-limited client."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    @classmethod
    def of(
        cls,
        online: Online,
        url: str | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> IdConverter:
        """A converter with the session's settings, on the NCBI limiter E-utilities use (unless given
        another: tests keep their own clock)."""
        config = online.config
        params = {"tool": config.tool, "format": "json"}
        if config.email:
            params["email"] = config.email
        client = ServiceClient(
            SERVICE,
            url or idconv_url(),
            limiter=limiter or shared_limiter("ncbi", config.ncbi_rate),
            params=params,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            tries=config.tries,
            backoff=config.backoff,
            backoff_cap=config.backoff_cap,
            sleep=sleep,
            progress=online.progress,
        )
        return cls(client)

    @property
    def requests(self) -> int:
        return self.client.requests

    def close(self) -> None:
        self.client.close()

    def convert(self, ids: Sequence[str], idtype: str) -> dict[str, Converted]:
        """What the converter knows of ``ids``, all of ``idtype`` (doi or pmcid), 200 a request; the keys
        are the identifiers as given. ``OnlineError`` when a request fails for good."""
        if idtype not in ID_TYPES:
            raise ValueError(f"the converter is asked for {' or '.join(ID_TYPES)}, not {idtype!r}")
        found: dict[str, Converted] = {}
        for batch in batches(list(dict.fromkeys(ids)), BATCH):

            def check(answer: Answer) -> dict[str, Converted]:
                return read_answer(json_body(answer))

            answered = self.client.call("", {"ids": ",".join(batch), "idtype": idtype}, check)
            wanted = {_folded(i, idtype): i for i in batch}
            for asked, converted in answered.items():
                original = wanted.get(_folded(asked, idtype))
                if original is not None:
                    found[original] = converted
        return found


def _folded(identifier: str, idtype: str) -> str:
    """How an identifier is compared with the one the answer repeats (DOIs in any case)."""
    if idtype == "doi":
        return (normalise_doi(identifier) or identifier).casefold()
    return normalise_pmcid(identifier) or identifier
