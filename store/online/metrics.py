"""Citation metrics for a set of articles, from NIH iCite: ``pmbrowse metrics --online``.

iCite is asked for the metrics of every article of the set that has a PMID, 200 a request
(``pubs?pmids=...&fl=pmid,citation_count,relative_citation_ratio,...``, see ``store.online.icite``); then
what it said is stored on each article (``store.metrics``) in one transaction, as every fetch does:
every request first, so a request that fails for good (``OnlineError``) leaves the library as it was.
Articles known only by a DOI or PMCID are not asked (iCite knows articles by PMID): fetching their
record first (``pmbrowse fetch``) gives them one. A PMID iCite does not know is reported, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from store.library import Library
from store.metrics import fetched_now
from store.model import Link
from store.online.events import Progress, Step
from store.online.fetch import online_session
from store.online.icite import METRICS_ONLY
from store.online.session import Online


@dataclass(slots=True)
class MetricsReport:
    """What asking iCite for a set's metrics did."""

    asked: list[str] = field(default_factory=list)  # the PMIDs asked, in the set's order
    found: int = 0  # of those, the ones iCite knows
    unknown: list[str] = field(default_factory=list)  # PMIDs iCite does not know
    without_pmid: list[str] = field(default_factory=list)  # articles not asked: no PMID (their label)
    stored: int = 0  # articles whose stored metrics changed
    requests: int = 0


def fetch_metrics(
    library: Library,
    doc_ids: Sequence[int],
    *,
    online: Online | None = None,
    progress: Progress | None = None,
) -> MetricsReport:
    """Ask iCite for the metrics of the articles ``doc_ids``, then store them (``OnlineError``: nothing
    stored)."""
    report = MetricsReport()
    for doc_id in dict.fromkeys(doc_ids):
        doc = library.doc(doc_id) or {}
        pmid = doc.get("pmid")
        if pmid:
            report.asked.append(pmid)
        else:
            report.without_pmid.append(str(doc.get("pmcid") or doc.get("doi") or doc.get("title") or doc_id))
    if not report.asked:
        return report

    def on_batch(done: int, total: int) -> None:
        if progress is not None:
            progress(Step("metrics", done, total, "iCite"))

    with online_session(online, progress) as session:
        start = session.requests
        found = session.icite.pubs(report.asked, on_batch, fields=METRICS_ONLY)
        report.requests = session.requests - start
    when = fetched_now()
    report.found = len(found)
    report.unknown = [pmid for pmid in report.asked if pmid not in found]
    if progress is not None:
        progress(Step("store", 0, 1))
    with library.transaction() as changes:
        for pmid, record in found.items():
            report.stored += changes.put_metrics(Link(pmid=pmid), record.metrics_record(when))
    if progress is not None:
        progress(Step("store", 1, 1))
    return report
