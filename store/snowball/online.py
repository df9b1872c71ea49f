"""Before an online round: fetch the seeds the library lacks and fill in every seed's links.

Links come from NIH iCite by default (one request per 200 seeds with a PMID); E-utilities elink and
Europe PMC can be added (``sources``), as ``pmbrowse fetch`` uses them. Seeds known only by a DOI or
PMCID are looked up in PubMed first (esearch), since iCite knows articles by PMID. As every fetch does,
all requests are made before anything is stored, and everything is stored in one transaction: a
request that fails for good (``OnlineError``) or a seed that cannot be had leaves the library as it was.
``ask_links`` makes the requests and stores nothing (``Answers``); ``fill_links`` stores them;
``fill_and_round`` stores them with the citation-chasing round run on them, as one commit (the command
line's ``snowball --online`` and the Snowball view's ``L`` both store through it, and nothing else
does: ``Answers.commit`` is the one commit of a fill alone). ``fetch_records`` (the stubs' records) is
``ask_records`` then ``Records.commit`` in the same way.

iCite's answers also carry each article's citation metrics (``store.metrics``): those of the seeds and
of every article iCite describes are stored with the links, at no extra request. Every linked article
without iCite's numbers is described, those the library holds already (as stubs or records) too, so that
the candidates of the round can be ranked by them (``store.snowball.engine.rank_rows``); an article
holding iCite's numbers is not asked again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from store import metrics
from store.changes import Changes
from store.errors import PmbrowseError
from store.intent import carrying
from store.library import Library
from store.merge import Doc
from store.metrics import fetched_now
from store.model import Article, Link, Origin
from store.online.config import EUROPEPMC, ICITE, PUBMED
from store.online.events import Progress, Step
from store.online.fetch import efetch_records, fetch_links, online_session, resolve_pmids, with_own_links
from store.online.icite import DESCRIBE_FIELDS, ICiteRecord
from store.online.links import merge_links
from store.online.report import FetchReport
from store.online.saving import Fetched, save
from store.online.session import Online
from store.snowball.engine import Preview
from store.snowball.state import Round, SnowballFile, SnowballState, keep_round

SOURCES = (ICITE, PUBMED, EUROPEPMC)
RELATIONS = ("references", "cited_by")


class SeedsNotFound(PmbrowseError):
    """Seeds that are neither in the library nor to be had online; nothing was stored."""


@dataclass(slots=True)
class LinkFill:
    """What filling in the seeds' links did."""

    seeds: list[int] = field(default_factory=list)  # every seed's document id, fetched ones included
    fetched: list[str] = field(default_factory=list)  # seeds whose records were fetched
    asked: int = 0  # seeds whose links were asked for
    without_pmid: list[str] = field(default_factory=list)  # seeds no source could be asked about
    described: int = 0  # linked articles iCite described (title, DOI..., metrics): new or without metrics
    metrics: int = 0  # articles whose citation metrics were stored or brought up to date
    links_added: int = 0
    stubs_created: int = 0
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    incomplete: list[str] = field(
        default_factory=list
    )  # link lists a service ended early (stored as far as they came)


@dataclass(slots=True)
class Answers:
    """What the services said for one fill (``ask_links``), nothing stored yet: ``store`` puts it into a
    unit of work, so a caller can commit it with what it makes of it (``snowball --online``: the round)."""

    fill: LinkFill
    seeds: list[int]  # the seeds asked with (the library's document ids)
    records: list[Article]  # the records of seeds the library lacked
    subjects: dict[str, Link]  # PMID -> how the seed is named to the library
    found: dict[tuple[str, str], list[list[Link]]]  # (PMID, relation) -> the lists the sources gave
    icite: dict[str, ICiteRecord]  # what iCite said of the seeds and of the articles it described
    counts: list[tuple[Link, Doc]]  # Europe PMC's citation counts of the articles it listed
    when: str  # when it was asked (the metrics' date)
    eutils_url: str

    def store(self, changes: Changes) -> None:
        """Put the records, links and metrics into ``changes``; counts what it added in ``fill``."""
        fill = self.fill
        before = changes.stubs_created
        for article in self.records:
            url = f"{self.eutils_url}efetch.fcgi?db=pubmed&id={article.pmid or article.label}"
            changes.put_article(replace(article, references=[], cited_by=[]), Origin("pubmed", url))
        for (pmid, rel), lists in self.found.items():
            links = merge_links(*lists)
            if links and pmid in self.subjects:
                fill.links_added += changes.put_links(self.subjects[pmid], rel, links)
        for pmid, record in self.icite.items():
            subject = self.subjects.get(pmid) or Link(pmid=pmid)
            fill.metrics += changes.put_metrics(subject, record.metrics_record(self.when))
        for subject, counted in self.counts:
            fill.metrics += changes.put_metrics(subject, counted)
        fill.stubs_created = changes.stubs_created - before

    def commit(self, library: Library) -> LinkFill:
        """Store the fill alone, in a transaction of its own; the fill as stored."""
        with library.transaction() as changes:
            self.store(changes)
        return self.stored(library)

    def stored(self, library: Library) -> LinkFill:
        """The fill, once stored: every seed's document id, the fetched seeds' added (read from
        ``library``: inside the transaction that stores it, once its changes are handed over, or
        after)."""
        fill = self.fill
        fill.seeds = list(dict.fromkeys(self.seeds))
        fill.seeds.extend(
            d for pmid in fill.fetched if (d := library.find(pmid)) is not None and d not in fill.seeds
        )
        return fill


def fill_links(
    library: Library,
    seeds: Sequence[int],
    missing: Sequence[str] = (),
    *,
    sources: Sequence[str] = (ICITE,),
    online: Online | None = None,
    progress: Progress | None = None,
) -> LinkFill:
    """Fetch the records of ``missing`` seeds (identifiers the library lacks), then the links of every
    seed from ``sources``, and store it all at once. Raises ``SeedsNotFound`` naming the seeds PubMed
    does not have, or ``OnlineError``; either way nothing is stored."""
    answers = ask_links(library, seeds, missing, sources=sources, online=online, progress=progress)
    if progress is not None:
        progress(Step("store", 0, 1))
    fill = answers.commit(library)
    if progress is not None:
        progress(Step("store", 1, 1))
    return fill


def fill_and_round(
    library: Library,
    answers: Answers,
    file: SnowballFile,
    round_of: Callable[[list[int], SnowballState], Preview],
    *,
    keep: bool = True,
) -> tuple[LinkFill, Preview | None, Round | None]:
    """Store what the services said and the round run on it as one commit (issue 20): the round is run
    inside the library's transaction once its changes are handed over (``Library.transaction``'s
    ``before_commit``: it reads the links just fetched), from the seeds as they are then (``round_of``:
    the seeds, the snowball file's state), and kept (``keep``: not for a preview) with the library's
    commit (``store.intent``). Killed anywhere, the library holds the fetched links and the round, or
    neither; a commit that fails (a full disk) leaves both files as they were. Returns the fill, the
    round, and the round as kept (None: not kept, or it found nothing new).

    A fill with a link list a service ended early (``LinkFill.incomplete``) is stored alone, as far as
    it came, and no round is run on it (the round None): a round on part of a seed's links would count
    as new, and keep, only what came; it waits for the whole lists (the caller says what is missing)."""
    if answers.fill.incomplete:
        return answers.commit(library), None, None
    done: list[tuple[Preview, Round | None]] = []
    with carrying(library.path, Library.commit_token) as carried:

        def with_the_round() -> None:
            seeds = answers.stored(library).seeds
            if keep:
                carried.join(file.joined())  # (the snowball file's lock held from here: the state is current)
            preview = round_of(seeds, file.load())
            kept = keep_round(file, preview.result.round) if keep else None
            carried.prepare()
            done.append((preview, kept))

        with library.transaction(before_commit=with_the_round) as changes:
            answers.store(changes)
    preview, kept = done[0]
    return answers.fill, preview, kept


def ask_links(
    library: Library,
    seeds: Sequence[int],
    missing: Sequence[str] = (),
    *,
    sources: Sequence[str] = (ICITE,),
    online: Online | None = None,
    progress: Progress | None = None,
) -> Answers:
    """Every request of ``fill_links``, nothing stored: what the services said. Raises as it does."""
    unknown = set(sources) - set(SOURCES)
    if unknown or not sources:
        raise ValueError(f"link sources are {', '.join(SOURCES)}, not {', '.join(sorted(unknown)) or 'none'}")
    fill = LinkFill()
    report = FetchReport()
    subjects: dict[str, Link] = {}  # PMID -> how the seed is named to the library
    records: list[Article] = []
    icite: dict[str, ICiteRecord] = {}  # what iCite said of the seeds and of the articles it described
    counts: list[tuple[Link, Doc]] = []  # Europe PMC's citation counts of the articles it listed
    with online_session(online, progress) as session:
        start = session.requests
        if missing:
            asked = resolve_pmids(library, session, list(missing), report, progress)
            records = efetch_records(session, list(asked), report, progress, stage="seeds", asked=asked)
            if report.failed:
                failed = "; ".join(str(f) for f in report.failed[:5])
                raise SeedsNotFound(f"seeds not in the library and not to be had online: {failed}")
            for article in records:
                if article.pmid:
                    subjects[article.pmid] = Link(pmid=article.pmid, pmcid=article.pmcid, doi=article.doi)
                    fill.fetched.append(article.pmid)
        lookups: list[tuple[str, Link]] = []
        for seed in seeds:
            doc = library.doc(seed) or {}
            named = Link(pmid=doc.get("pmid"), pmcid=doc.get("pmcid"), doi=doc.get("doi"))
            if named.pmid:
                subjects.setdefault(named.pmid, named)
            elif named.doi or named.pmcid:
                lookups.append((str(named.doi or named.pmcid), named))
            else:
                fill.without_pmid.append(str(doc.get("title") or seed))
        if lookups:
            resolved = resolve_pmids(library, session, [text for text, _ in lookups], report, progress)
            by_text = {how.text: pmid for pmid, how in resolved.items()}
            for text, named in lookups:
                if text in by_text:
                    subjects.setdefault(by_text[text], replace(named, pmid=by_text[text]))
                else:
                    fill.without_pmid.append(text)
        pmids = list(subjects)
        fill.asked = len(pmids)
        found: dict[tuple[str, str], list[list[Link]]] = {(p, rel): [] for p in pmids for rel in RELATIONS}
        if ICITE in sources and pmids:

            def on_batch(done: int, total: int) -> None:
                if progress is not None:
                    progress(Step("links", done, total, "iCite"))

            for pmid, record in session.icite.pubs(pmids, on_batch).items():
                icite[pmid] = record
                for rel in RELATIONS:
                    found[(pmid, rel)].append(record.links(rel))
        others = [s for s in sources if s in (PUBMED, EUROPEPMC)]
        if others and pmids:
            for key, links in fetch_links(session, pmids, others, report, progress, counts).items():
                found.setdefault(key, []).append(links)
        icite.update(_describe(library, session, found, set(icite), fill, progress))
        when = fetched_now()
        for article in records:
            for rel in RELATIONS:
                own = getattr(article, rel)
                for link in own:
                    link.sources = link.sources or [PUBMED]
                found.setdefault((article.pmid or article.label, rel), []).append(own)
        fill.requests = session.requests - start
        fill.warnings = list(report.warnings)
        fill.incomplete = list(report.incomplete)
        eutils_url = session.config.eutils_url
    return Answers(fill, list(seeds), records, subjects, found, icite, counts, when, eutils_url)


def _describe(
    library: Library,
    session: Online,
    found: dict[tuple[str, str], list[list[Link]]],
    answered: set[str],
    fill: LinkFill,
    progress: Progress | None,
) -> dict[str, ICiteRecord]:
    """The linked articles with a PMID and without iCite's numbers get them from iCite, with their DOI,
    title, authors, journal and year (200 a request). Links that name an article by its PMID alone
    (iCite's, elink's) take what iCite says of it: so a stub shows what it is, and one the library
    already knows by its DOI is recognised as the same article rather than made twice; what the library
    holds already is only filled in (gaps only). ``answered``: the PMIDs iCite has just answered for
    (the seeds), not asked again. Returns what iCite said of them (their metrics are stored too)."""
    wanted: dict[str, None] = {}
    seen = set(answered)
    for lists in found.values():
        for links in lists:
            for link in links:
                if link.pmid and link.pmid not in seen:
                    seen.add(link.pmid)
                    if _without_icite(library, link.pmid):
                        wanted[link.pmid] = None
    if not wanted:
        return {}

    def on_batch(done: int, total: int) -> None:
        if progress is not None:
            progress(Step("describe", done, total, "iCite"))

    described = session.icite.pubs(list(wanted), on_batch, fields=DESCRIBE_FIELDS)
    fill.described = len(described)
    for lists in found.values():
        for links in lists:
            for n, link in enumerate(links):
                record = described.get(link.pmid or "")
                if record is not None and not link.title:
                    links[n] = replace(record.link(), sources=list(link.sources))
    return described


def _without_icite(library: Library, pmid: str) -> bool:
    """Whether the library lacks the article of ``pmid``, or holds it without iCite's numbers."""
    doc_id = library.lookup("pmid:" + pmid)
    return doc_id is None or not metrics.icite(library.doc(doc_id) or {})


@dataclass(slots=True)
class Records:
    """The PubMed records ``ask_records`` fetched, nothing stored yet (``commit`` stores them)."""

    records: list[Article]
    report: FetchReport
    eutils_url: str

    def commit(self, library: Library) -> FetchReport:
        """Store the records with their own reference lists, in one transaction."""
        if self.records:
            save(
                library, Fetched(self.records, with_own_links({}, self.records)), self.report, self.eutils_url
            )
        return self.report


def ask_records(
    pmids: Sequence[str],
    *,
    online: Online | None = None,
    progress: Progress | None = None,
) -> Records:
    """Every request of ``fetch_records`` (one efetch per 200), nothing stored."""
    report = FetchReport()
    with online_session(online, progress) as session:
        start = session.requests
        records = efetch_records(session, list(dict.fromkeys(pmids)), report, progress)
        report.requests = session.requests - start
        eutils_url = session.config.eutils_url
    return Records(records, report, eutils_url)


def fetch_records(
    library: Library,
    pmids: Sequence[str],
    *,
    online: Online | None = None,
    progress: Progress | None = None,
) -> FetchReport:
    """The PubMed records of candidates the library knows only as stubs (one efetch per 200), stored with
    their own reference lists, in one transaction after every request; ``OnlineError`` stores nothing."""
    return ask_records(pmids, online=online, progress=progress).commit(library)
