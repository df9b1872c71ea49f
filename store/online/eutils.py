"""NCBI E-utilities for PubMed: esearch (ids for a query), efetch (records), elink (citation links).

Facts this follows (see ``../shared/FORMATS.md``):

- efetch takes at most 200 ids per request here; id lists that would make a long URL go as POST.
- elink gets one request for many ids, each as its own ``id=`` parameter, so the answer holds one
  ``LinkSet`` per id and we know which id links to which. (A comma list would merge them.)
- Only the first 10,000 hits of a PubMed search can be paged (``retstart + retmax <= 10000``).
- Errors may come back as HTTP 200 with ``<ERROR>`` (or an ``ERROR`` JSON field): those are raised.
  esearch's ``ErrorList`` (phrase not found...) and ``WarningList`` are warnings, not errors.
- Every field used is checked to be in the shape NCBI writes it (PMIDs as digits, lists as lists, text
  as text); any other shape is refused in one line naming the field (``answers.shape_error``), never
  read as something else (a string ``idlist`` letter by letter, an object as the text of a dict).
  efetch's records go through the PubMed XML importer, which refuses what it cannot read.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

from store.errors import OnlineError, ParseError
from store.formats.pubmed_xml import PubmedXmlParser
from store.model import Article
from store.online.answers import (
    Answer,
    Unusable,
    is_pmid,
    json_body,
    one_line,
    raise_stated_error,
    shape_error,
    xml_errors,
    xml_root,
)
from store.online.http import Params, ServiceClient

T = TypeVar("T")

SERVICE = "PubMed"
EFETCH_BATCH = 200
ELINK_BATCH = 100
SEARCH_LIMIT = 10_000
# Query strings longer than this go as a POST form: URLs of a few KB are refused by some proxies.
MAX_GET_QUERY = 1800

LINK_REFERENCES = "pubmed_pubmed_refs"
LINK_CITED_BY = "pubmed_pubmed_citedin"

# esearch's ErrorList / WarningList entries (XML tags and JSON keys) and how to say them.
_NOTICES = {
    "PhraseNotFound": "phrase not found",
    "phrasesnotfound": "phrase not found",
    "FieldNotFound": "field not found",
    "fieldsnotfound": "field not found",
    "PhraseIgnored": "phrase ignored",
    "phrasesignored": "phrase ignored",
    "QuotedPhraseNotFound": "quoted phrase not found",
    "quotedphrasesnotfound": "quoted phrase not found",
    "OutputMessage": "",
    "outputmessages": "",
}


@dataclass(frozen=True, slots=True)
class History:
    """A result set kept on NCBI's history server (``usehistory=y``), to fetch from in pages."""

    webenv: str
    query_key: str


@dataclass
class SearchResult:
    """What esearch found: the total ``count``, one page of PMIDs, and any warnings."""

    count: int
    pmids: list[str]
    retstart: int = 0
    history: History | None = None
    translation: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class LinkResult:
    """elink's answer: for each asked PMID, the PMIDs it links to (in NCBI's order)."""

    links: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _long(params: Params) -> bool:
    return len(urlencode(params, doseq=True)) > MAX_GET_QUERY


class EUtils:
    """PubMed through E-utilities, over one rate-limited ``ServiceClient``."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def _call(self, tool: str, params: Params, check: Callable[[Answer], T]) -> T:
        full: Params = {"db": "pubmed", **params}
        post = _long({**self.client.params, **full})
        return self.client.call(f"{tool}.fcgi", full, check, post=post)

    # esearch ---------------------------------------------------------------------------------

    def esearch(
        self, term: str, retstart: int = 0, retmax: int = 20, *, usehistory: bool = False
    ) -> SearchResult:
        """PMIDs for a PubMed query, ``retmax`` of them from ``retstart``."""
        params: dict[str, str] = {"term": term, "retstart": str(retstart), "retmax": str(retmax)}
        if usehistory:
            params["usehistory"] = "y"
        return self._call("esearch", params, parse_esearch)

    # efetch ----------------------------------------------------------------------------------

    def efetch_xml(self, pmids: Sequence[str]) -> bytes:
        """The PubMed XML of at most ``EFETCH_BATCH`` records, checked to be a PubmedArticleSet."""
        if len(pmids) > EFETCH_BATCH:
            raise ValueError(f"efetch takes at most {EFETCH_BATCH} ids per request, not {len(pmids)}")
        return self._call("efetch", {"id": ",".join(pmids), "retmode": "xml"}, check_efetch)

    def efetch_history_xml(self, history: History, retstart: int, retmax: int) -> bytes:
        """One page of records of a result set on the history server."""
        params = {
            "WebEnv": history.webenv,
            "query_key": history.query_key,
            "retstart": str(retstart),
            "retmax": str(min(retmax, EFETCH_BATCH)),
            "retmode": "xml",
        }
        return self._call("efetch", params, check_efetch)

    def efetch(self, pmids: Sequence[str]) -> list[Article]:
        """The records of ``pmids`` (those PubMed has), fetched ``EFETCH_BATCH`` at a time."""
        articles: list[Article] = []
        for batch in batches(pmids, EFETCH_BATCH):
            articles.extend(parse_records(self.efetch_xml(batch), self.efetch_source(batch)))
        return articles

    def efetch_source(self, pmids: Sequence[str]) -> str:
        """How a batch is named in errors: the request, without our tool/email/key parameters."""
        first = ",".join(pmids[:3]) + (",..." if len(pmids) > 3 else "")
        return f"{self.client.url('efetch.fcgi')}?db=pubmed&id={first}"

    # elink -----------------------------------------------------------------------------------

    def elink(self, pmids: Sequence[str], linkname: str, *, batch: int = ELINK_BATCH) -> LinkResult:
        """For each PMID, the PMIDs ``linkname`` links it to (one request per ``batch`` ids)."""
        result = LinkResult(links={pmid: [] for pmid in pmids})
        for chunk in batches(pmids, batch):
            params = {
                "dbfrom": "pubmed",
                "cmd": "neighbor",
                "linkname": linkname,
                "id": chunk,
                "retmode": "xml",
            }

            def check(answer: Answer, chunk: list[str] = chunk) -> LinkResult:
                return parse_elink(answer, linkname, chunk)

            part = self._call("elink", params, check)
            result.links.update(part.links)
            result.warnings.extend(part.warnings)
        return result


# Parsing and checking answers ----------------------------------------------------------------


def parse_esearch(answer: Answer) -> SearchResult:
    """An esearch answer, XML or JSON (recognised by its first byte)."""
    if answer.content.lstrip()[:1] == b"{":
        return _esearch_json(answer)
    return _esearch_xml(answer)


def _notice(kind: str, text: str) -> str:
    label = _NOTICES.get(kind, kind)
    return f"{label}: {text}" if label else text


def _esearch_xml(answer: Answer) -> SearchResult:
    root = xml_root(answer)
    raise_stated_error(SERVICE, "the search", xml_errors(root), answer.url)
    if root.tag != "eSearchResult" or root.findtext("Count") is None:
        raise Unusable(f"an esearch answer without a count (root <{root.tag}>)")
    warnings = [
        _notice(el.tag, one_line(el.text or ""))
        for holder in ("ErrorList", "WarningList")
        for el in root.findall(f"{holder}/*")
        if (el.text or "").strip()
    ]
    webenv, query_key = root.findtext("WebEnv"), root.findtext("QueryKey")
    return SearchResult(
        count=_count(root.findtext("Count"), "esearch Count", answer),
        pmids=_pmids([_element_text(el) for el in root.findall("IdList/Id")], "esearch IdList", answer),
        retstart=_int(root.findtext("RetStart") or 0),
        history=History(webenv, query_key) if webenv and query_key else None,
        translation=one_line(root.findtext("QueryTranslation") or ""),
        warnings=warnings,
    )


def _esearch_json(answer: Answer) -> SearchResult:
    body = json_body(answer)
    if not isinstance(body, dict):
        raise Unusable("JSON that is not an esearch answer")
    result = body.get("esearchresult")
    messages = [body.get(key) for key in ("error", "ERROR")]
    if isinstance(result, dict):
        messages.append(result.get("ERROR"))
    raise_stated_error(SERVICE, "the search", [one_line(str(m)) for m in messages if m], answer.url)
    if not isinstance(result, dict) or "count" not in result:
        raise Unusable("an esearch answer without a count")
    warnings: list[str] = []
    for holder in ("errorlist", "warninglist"):
        notices = result.get(holder)
        if notices is None:
            continue
        if not isinstance(notices, dict):
            raise shape_error(SERVICE, f"esearch {holder}: not an object", answer.url)
        for kind, texts in notices.items():
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise shape_error(SERVICE, f"esearch {holder}.{kind}: not a list of texts", answer.url)
            warnings.extend(_notice(kind, one_line(t)) for t in texts if t.strip())
    webenv, query_key, translation = (
        _text(result, key, answer) for key in ("webenv", "querykey", "querytranslation")
    )
    ids = result.get("idlist", [])
    if not isinstance(ids, list):
        raise shape_error(SERVICE, "esearch idlist: not a list of PMIDs", answer.url)
    return SearchResult(
        count=_count(result.get("count"), "esearch count", answer),
        pmids=_pmids(ids, "esearch idlist", answer),
        retstart=_int(result.get("retstart") or 0),
        history=History(webenv, query_key) if webenv and query_key else None,
        translation=one_line(translation),
        warnings=warnings,
    )


def _text(result: dict[str, object], key: str, answer: Answer) -> str:
    """A text field of a JSON answer ("" when absent)."""
    value = result.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise shape_error(SERVICE, f"esearch {key}: not text", answer.url)
    return value


def _element_text(el: ET.Element) -> str | None:
    """An element's text when it holds text alone (None when it holds elements: not a value)."""
    return None if len(el) else (el.text or "")


def _pmids(values: Sequence[object], where: str, answer: Answer) -> list[str]:
    """PMIDs as text, each checked to be one."""
    for n, value in enumerate(values, 1):
        if not is_pmid(value):
            raise shape_error(SERVICE, f"{where} item {n}: not a PMID", answer.url)
    return [str(value).strip() for value in values]


def _count(value: object, where: str, answer: Answer) -> int:
    count = _int(value)
    if count < 0 or isinstance(value, bool):
        raise shape_error(SERVICE, f"{where}: not a count", answer.url)
    return count


def _int(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise Unusable(f"a number that is not a number ({one_line(str(value), 40)!r})") from None


def check_efetch(answer: Answer) -> bytes:
    """The body of an efetch answer, once it is known to be a whole PubmedArticleSet."""
    root = xml_root(answer)
    raise_stated_error(SERVICE, "the records", xml_errors(root), answer.url)
    if root.tag != "PubmedArticleSet":
        raise Unusable(f"XML with root <{root.tag}> instead of <PubmedArticleSet>")
    return answer.content


def parse_records(xml: bytes, source: str) -> list[Article]:
    """Articles from efetch's PubMed XML, read by the same parser that imports PubMed XML files."""
    try:
        return list(PubmedXmlParser().parse(io.BytesIO(xml), source))
    except ParseError as exc:
        raise OnlineError(f"PubMed sent a record pmbrowse cannot read: {exc}", service=SERVICE) from None


def parse_elink(answer: Answer, linkname: str, asked: Sequence[str]) -> LinkResult:
    """An elink answer: one ``LinkSet`` per asked id, each naming its id in ``IdList``."""
    root = xml_root(answer)
    raise_stated_error(
        SERVICE, "the links", [one_line(el.text or "") for el in root.findall("ERROR")], answer.url
    )
    if root.tag != "eLinkResult":
        raise Unusable(f"XML with root <{root.tag}> instead of <eLinkResult>")
    wanted = set(asked)
    result = LinkResult(links={})
    for n, linkset in enumerate(root.findall("LinkSet"), 1):
        ids = [(el.text or "").strip() for el in linkset.findall("IdList/Id")]
        if len(ids) != 1:
            raise OnlineError(
                f"PubMed answered elink with {len(ids)} ids in one LinkSet ({', '.join(ids[:5])}), "
                "so which id links to which is unknown",
                service=SERVICE,
                url=answer.url,
            )
        source = ids[0]
        if not is_pmid(source):
            raise shape_error(SERVICE, f"elink LinkSet {n}: its id is not a PMID", answer.url)
        if source not in wanted:
            continue
        result.warnings.extend(
            f"PubMed (links of {source}): {one_line(el.text or '')}" for el in linkset.iter("ERROR")
        )
        targets = result.links.setdefault(source, [])
        for db in linkset.findall("LinkSetDb"):
            if db.findtext("LinkName") == linkname:
                targets.extend(_linked_ids(db, source, targets, answer))
    return result


def _linked_ids(db: ET.Element, source: str, known: list[str], answer: Answer) -> list[str]:
    seen = set(known)
    found: list[str] = []
    linked = [_element_text(el) for el in db.findall("Link/Id")]
    for target in _pmids(linked, f"elink links of {source}", answer):
        if target != source and target not in seen:
            seen.add(target)
            found.append(target)
    return found
