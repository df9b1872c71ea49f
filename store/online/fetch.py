"""Fetching articles and their citation links from PubMed and Europe PMC into the library.

This is what the command line and the app call. Each call

1. asks the services for everything it needs (records by efetch; references and citing articles by
   elink *and* Europe PMC; with ``links_depth=1`` also the records one hop away), then
2. stores all of it in one library transaction.

All network I/O happens before the transaction. If a request fails for good (``OnlineError``), it
propagates before anything is written and the library file stays byte-identical. Identifiers
PubMed does not know are not failures of that kind: they are listed in ``FetchReport.failed`` and
the rest is stored.

Identifiers accepted: PMIDs (also PubMed URLs), PMCIDs and DOIs. A PMCID or DOI the library already
knows with its PMID costs no request; otherwise it is looked up with esearch (``"<doi>"[doi]``,
``PMC123[pmcid]``) and the record fetched must carry that identifier.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from store import metrics as m
from store.ids import Identifier, parse_identifier
from store.library import Library
from store.merge import Doc
from store.model import Article, Link
from store.online.config import EUROPEPMC, LINK_SOURCES, PUBMED
from store.online.europepmc import Listing
from store.online.eutils import (
    EFETCH_BATCH,
    ELINK_BATCH,
    LINK_CITED_BY,
    LINK_REFERENCES,
    SEARCH_LIMIT,
    History,
    batches,
    parse_records,
)
from store.online.events import Progress, Step
from store.online.links import merge_links
from store.online.report import Failure, FetchReport
from store.online.saving import RELATIONS, Fetched, save
from store.online.session import Online

SOURCES = LINK_SOURCES
LINKNAMES = {"references": LINK_REFERENCES, "cited_by": LINK_CITED_BY}


def fetch_articles(
    library: Library,
    ids: Sequence[str],
    *,
    links_depth: int = 0,
    sources: Sequence[str] = SOURCES,
    progress: Progress | None = None,
    online: Online | None = None,
) -> FetchReport:
    """Fetch the records of ``ids`` with their references and citing articles, and store them.

    ``sources`` chooses where links come from (``pubmed``: elink; ``europepmc``). ``links_depth=1``
    also fetches the records of every linked article the library holds only as a stub (or not at
    all). ``online`` defaults to a session built from the environment and config file.
    Raises ``OnlineError`` (nothing stored) when a request fails for good.
    """
    _check_options(links_depth, sources)
    report = FetchReport()
    fetched = Fetched()
    with online_session(online, progress) as session:
        asked = resolve_pmids(library, session, ids, report, progress)
        fetched.records = efetch_records(session, list(asked), report, progress, asked=asked)
        have = [a.pmid for a in fetched.records if a.pmid]
        found = fetch_links(session, have, sources, report, progress, fetched.metrics)
        fetched.links = with_own_links(found, fetched.records)
        if links_depth:
            wanted = _neighbour_pmids(library, fetched.links, set(have))
            fetched.neighbours = efetch_records(session, wanted, None, progress, stage="neighbours")
        report.requests = session.requests
        origin_base = session.config.eutils_url
    return _store(library, fetched, report, origin_base, progress)


def search_online(
    library: Library,
    query: str,
    max_results: int = 20,
    *,
    with_links: bool = False,
    sources: Sequence[str] = SOURCES,
    progress: Progress | None = None,
    online: Online | None = None,
) -> FetchReport:
    """Search PubMed for ``query`` and store the first ``max_results`` hits (at most 10,000).

    Beyond one efetch batch (200), hits are fetched from NCBI's history server (``usehistory=y``)
    rather than by sending their ids back. ``with_links`` also fetches the hits' links, as
    ``fetch_articles`` does. Raises ``OnlineError`` (nothing stored) when a request fails for good.
    """
    _check_options(0, sources)
    if max_results < 1:
        raise ValueError("max_results must be at least 1")
    report = FetchReport()
    if max_results > SEARCH_LIMIT:
        report.warnings.append(f"PubMed pages only the first {SEARCH_LIMIT:,} hits of a search")
        max_results = SEARCH_LIMIT
    fetched = Fetched()
    with online_session(online, progress) as session:
        _step(progress, "search", 0, 1, query)
        big = max_results > EFETCH_BATCH
        found = session.eutils.esearch(query, 0, max_results, usehistory=big)
        _step(progress, "search", 1, 1, query)
        report.total = found.count
        report.warnings.extend(found.warnings)
        wanted = found.pmids[:max_results]
        if big and found.history is not None:
            fetched.records = _records_from_history(session, found.history, len(wanted), progress)
            _note_missing({pmid: Asked(pmid) for pmid in wanted}, fetched.records, report)
        else:
            fetched.records = efetch_records(session, wanted, report, progress)
        if with_links:
            have = [a.pmid for a in fetched.records if a.pmid]
            fetched.links = fetch_links(session, have, sources, report, progress, fetched.metrics)
        fetched.links = with_own_links(fetched.links, fetched.records)
        report.requests = session.requests
        origin_base = session.config.eutils_url
    return _store(library, fetched, report, origin_base, progress)


def _store(
    library: Library, fetched: Fetched, report: FetchReport, origin_base: str, progress: Progress | None
) -> FetchReport:
    """The one write of a fetch, after every request has been answered."""
    _step(progress, "store", 0, 1)
    save(library, fetched, report, origin_base)
    _step(progress, "store", 1, 1)
    return report


# Asking -----------------------------------------------------------------------------------------


def _check_options(links_depth: int, sources: Sequence[str]) -> None:
    if links_depth not in (0, 1):
        raise ValueError("links_depth must be 0 or 1")
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown link sources: {', '.join(sorted(unknown))} (known: {', '.join(SOURCES)})")


@contextlib.contextmanager
def online_session(online: Online | None, progress: Progress | None) -> Iterator[Online]:
    """The session to ask with: the caller's, reporting to ``progress`` for the duration, or a new one
    closed at the end. (Also used by ``store.snowball.online``, as are the helpers below.)"""
    if online is None:
        with Online(progress=progress) as session:
            yield session
        return
    before = online.progress
    online.progress = progress
    try:
        yield online
    finally:
        online.progress = before


def _step(progress: Progress | None, stage: str, done: int, total: int, message: str = "") -> None:
    if progress is not None:
        progress(Step(stage, done, total, message))


@dataclass(frozen=True, slots=True)
class Asked:
    """How a PMID was asked for: as typed, and the PMCID or DOI it was looked up by (if any)."""

    text: str
    via: Identifier | None = None


def _id_query(ident: Identifier) -> str:
    if ident.kind == "doi":
        return f'"{ident.value}"[doi]'
    return f"{ident.value}[pmcid]"


def resolve_pmids(
    library: Library, session: Online, ids: Sequence[str], report: FetchReport, progress: Progress | None
) -> dict[str, Asked]:
    """The PMIDs of the identifiers given, in order; what cannot be resolved goes to ``report.failed``."""
    asked: dict[str, Asked] = {}
    parsed = [(text, parse_identifier(text)) for text in ids]
    lookups = sum(1 for _, ident in parsed if ident is not None and ident.kind != "pmid")
    done = 0
    for text, ident in parsed:
        if ident is None:
            report.failed.append(Failure(text, "not a PMID, PMCID or DOI"))
            continue
        if ident.kind == "pmid":
            asked.setdefault(ident.value, Asked(text))
            continue
        known = library.get(ident)
        if known is not None and known.pmid:
            asked.setdefault(known.pmid, Asked(text))
            continue
        found = session.eutils.esearch(_id_query(ident), 0, 2)
        done += 1
        _step(progress, "resolve", done, lookups, text)
        kind = ident.kind.upper()
        if found.count == 1 and found.pmids:
            asked.setdefault(found.pmids[0], Asked(text, ident))
        elif found.count == 0:
            report.failed.append(Failure(text, f"PubMed has no record with this {kind}"))
        else:
            report.failed.append(Failure(text, f"{found.count} PubMed records have this {kind}"))
    return asked


def efetch_records(
    session: Online,
    pmids: Sequence[str],
    report: FetchReport | None,
    progress: Progress | None,
    *,
    stage: str = "records",
    asked: dict[str, Asked] | None = None,
) -> list[Article]:
    """The records of ``pmids`` from PubMed's efetch, in batches; those PubMed does not return (or that
    lack the PMCID/DOI they were looked up by, see ``asked``) are failures in ``report``."""
    articles: list[Article] = []
    done = 0
    _step(progress, stage, 0, len(pmids))
    for batch in batches(pmids, EFETCH_BATCH):
        articles.extend(session.eutils.efetch(batch))
        done += len(batch)
        _step(progress, stage, done, len(pmids))
    if report is not None:
        asked = asked if asked is not None else {pmid: Asked(pmid) for pmid in pmids}
        articles = _drop_mismatches(articles, asked, report)
        _note_missing(asked, articles, report)
    return articles


def _records_from_history(
    session: Online, history: History, count: int, progress: Progress | None
) -> list[Article]:
    """The first ``count`` records of a result set on the history server, a batch at a time."""
    articles: list[Article] = []
    _step(progress, "records", 0, count)
    for start in range(0, count, EFETCH_BATCH):
        size = min(EFETCH_BATCH, count - start)
        xml = session.eutils.efetch_history_xml(history, start, size)
        source = f"{session.eutils.client.url('efetch.fcgi')}?query_key={history.query_key}&retstart={start}"
        articles.extend(parse_records(xml, source))
        _step(progress, "records", start + size, count)
    return articles


def _drop_mismatches(articles: list[Article], asked: dict[str, Asked], report: FetchReport) -> list[Article]:
    """Records found by DOI/PMCID must carry it: a search can match more loosely than asked."""
    kept: list[Article] = []
    for article in articles:
        how = asked.get(article.pmid or "")
        via = how.via if how is not None else None
        value = getattr(article, via.kind) if via is not None else None
        if how is not None and via is not None and value and value.lower() != via.value.lower():
            report.failed.append(Failure(how.text, f"PubMed found PMID {article.pmid}, which has {value}"))
            continue
        kept.append(article)
    return kept


def _note_missing(asked: dict[str, Asked], articles: list[Article], report: FetchReport) -> None:
    got = {a.pmid for a in articles}
    reported = {f.identifier for f in report.failed}
    for pmid, how in asked.items():
        if pmid not in got and how.text not in reported:
            report.failed.append(Failure(how.text, "PubMed has no record with this PMID"))


def fetch_links(
    session: Online,
    pmids: Sequence[str],
    sources: Sequence[str],
    report: FetchReport,
    progress: Progress | None,
    metrics: list[tuple[Link, Doc]] | None = None,
) -> dict[tuple[str, str], list[Link]]:
    """References and citing articles of each PMID, from every source, merged per target.

    A Europe PMC list the service ended early is kept as far as it came, and said in
    ``report.incomplete``. Europe PMC's citation counts (its ``hitCount`` of each PMID's citing
    articles, and each listed article's ``citedByCount``) go to ``metrics`` when it is given.
    """
    if not pmids:
        return {}
    when = m.fetched_now()
    found: dict[tuple[str, str], list[list[Link]]] = {(p, rel): [] for p in pmids for rel in RELATIONS}
    use_pubmed, use_epmc = PUBMED in sources, EUROPEPMC in sources
    elink_batches = math.ceil(len(pmids) / ELINK_BATCH)
    total = (elink_batches * len(RELATIONS) if use_pubmed else 0) + (
        len(pmids) * len(RELATIONS) if use_epmc else 0
    )
    done = 0
    _step(progress, "links", done, total)
    if use_epmc:  # first, so each target's entry carries Europe PMC's bibliographic text
        for pmid in pmids:
            for rel in RELATIONS:
                listing = session.europepmc.listing(pmid, rel)
                found[(pmid, rel)].append(listing.links)
                if not listing.complete:
                    report.incomplete.append(listing.shortfall())
                if metrics is not None:
                    _europepmc_counts(listing, when, metrics)
                done += 1
                _step(progress, "links", done, total, f"Europe PMC: {rel} of {pmid}")
    if use_pubmed:
        for rel in RELATIONS:
            result = session.eutils.elink(pmids, LINKNAMES[rel])
            report.warnings.extend(result.warnings)
            for pmid, targets in result.links.items():
                if (pmid, rel) in found:
                    found[(pmid, rel)].append([Link(pmid=t, sources=[PUBMED]) for t in targets])
            done += elink_batches
            _step(progress, "links", done, total, f"PubMed: {rel}")
    return {key: merge_links(*lists) for key, lists in found.items()}


def _europepmc_counts(listing: Listing, when: str, into: list[tuple[Link, Doc]]) -> None:
    """Europe PMC's counts in a listing as metrics records: the article's own (the ``hitCount`` of its
    citing articles) and each listed article's ``citedByCount``."""
    if listing.rel == "cited_by":
        into.append((Link(pmid=listing.pmid), {m.EUROPEPMC: m.record({m.COUNT: listing.total}, when)}))
    for link, count in listing.counts:
        into.append((link, {m.EUROPEPMC: m.record({m.COUNT: count}, when)}))


def with_own_links(
    links: dict[tuple[str, str], list[Link]], records: list[Article]
) -> dict[tuple[str, str], list[Link]]:
    """The links fetched, then each record's own (PubMed's reference list), one entry per target.

    Europe PMC's entries come first: a new stub takes its text from the first link naming it, and
    Europe PMC's title beats the citation string PubMed's reference list gives.
    """
    merged = dict(links)
    for article in records:
        for rel in RELATIONS:
            own = getattr(article, rel)
            for link in own:
                link.sources = link.sources or [PUBMED]
            key = (article.pmid or article.label, rel)
            merged[key] = merge_links(merged.get(key, []), own)
    return merged


def _neighbour_pmids(
    library: Library, links: dict[tuple[str, str], list[Link]], fetched: set[str]
) -> list[str]:
    """PMIDs one hop away that the library holds only as stubs, or not at all."""
    wanted: list[str] = []
    seen = set(fetched)
    for targets in links.values():
        for link in targets:
            pmid = link.pmid
            if pmid is None or pmid in seen:
                continue
            seen.add(pmid)
            known = library.get(pmid)
            if known is None or known.stub:
                wanted.append(pmid)
    return wanted
