"""Writing what was fetched online into the library, in one transaction, and counting what changed.

"Added" means the library held no full record of the article before (nothing, or only a stub);
"updated" that it held one and the fetch changed it or its links; "unchanged" that nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import orjson

from store.changes import Changes
from store.library import Library
from store.merge import Doc
from store.model import Article, Link, Origin
from store.online.report import FetchReport

RELATIONS = ("references", "cited_by")
ORIGIN_FORMAT = "pubmed"


@dataclass
class Fetched:
    """Everything fetched, before any of it is stored.

    ``links`` holds each record's link lists by (PMID, relation), already merged per target;
    ``neighbours`` the records one hop away (``links_depth=1``); ``metrics`` the citation metrics
    fetched (``store.metrics`` records by source) for the articles the links name.
    """

    records: list[Article] = field(default_factory=list)
    links: dict[tuple[str, str], list[Link]] = field(default_factory=dict)
    neighbours: list[Article] = field(default_factory=list)
    metrics: list[tuple[Link, Doc]] = field(default_factory=list)


def _origin(eutils_url: str, article: Article) -> Origin:
    """Where an online record came from: its efetch URL (stable, so fetching again is no change)."""
    return Origin(ORIGIN_FORMAT, f"{eutils_url}efetch.fcgi?db=pubmed&id={article.pmid or article.label}")


def save(library: Library, fetched: Fetched, report: FetchReport, eutils_url: str) -> None:
    """Write everything fetched in one transaction, and fill in the report's counts.

    A fetched record goes in without its links, then each of its link lists through ``put_links``
    (lists already merged per target, Europe PMC's entries first: a new stub takes its text from the
    first link naming it). Records one hop away go in whole; then the citation metrics fetched.
    """
    with library.transaction() as changes:
        stubs_before = changes.stubs_created
        for article in fetched.records:
            key = _key(article)
            before = _snapshot(changes, key)
            changes.put_article(replace(article, references=[], cited_by=[]), _origin(eutils_url, article))
            subject = Link(pmid=article.pmid, pmcid=article.pmcid, doi=article.doi)
            for rel in RELATIONS:
                links = fetched.links.get((article.pmid or article.label, rel), [])
                if links:
                    report.links_added += changes.put_links(subject, rel, links)
            status = _status(before, _snapshot(changes, key))
            report.pmids.append(article.label)
            getattr(report, status).append(article.label)
        for article in fetched.neighbours:
            key = _key(article)
            before = _snapshot(changes, key)
            changes.put_article(article, _origin(eutils_url, article))
            status = _status(before, _snapshot(changes, key))
            setattr(report.neighbours, status, getattr(report.neighbours, status) + 1)
        for subject, metrics in fetched.metrics:
            report.metrics += changes.put_metrics(subject, metrics)
        report.stubs_created = changes.stubs_created - stubs_before


def _key(article: Article) -> str:
    return f"pmid:{article.pmid}" if article.pmid else (article.keys or [""])[0]


def _snapshot(changes: Changes, key: str) -> tuple[bool, bytes] | None:
    """Whether the library holds a full record for ``key`` now, and that record's bytes."""
    doc_id = changes.lookup(key)
    if doc_id is None:
        return None
    doc = changes.peek(doc_id)
    return (not doc.get("stub"), orjson.dumps(doc))


def _status(before: tuple[bool, bytes] | None, after: tuple[bool, bytes] | None) -> str:
    if before is None or not before[0]:
        return "added"
    return "unchanged" if before == after else "updated"
