"""The reviewer's files in: RIS, BibTeX, CSV and lists of identifiers, from reference managers and
spreadsheets (``store.formats.REFERENCE_PARSERS``), into the library, each entry matched to the article
it names.

Each file is read whole and checked before anything is written (a malformed file is refused in one
line naming the file and the line or record, and changes nothing); then every file's entries go into
the library in one transaction:

- an entry with a title is a **record** (a reference manager's record keeps its fields): merged into
  the article the library holds (matched by PMID, PMCID or DOI, or by title and year when it has no
  identifier), or added. Merged into a record the library holds from PubMed (XML, MEDLINE, article
  pages, fetched online), it only fills gaps: its fields never replace PubMed's (``store.merge``);
- an **identifier entry** (identifiers, no title: a line of a list, a CSV row of ids) is matched to the
  article the library holds, record or stub, and changes nothing in it; one the library lacks becomes a
  stub holding its identifiers (a stub, not a record: the library knows nothing else of it yet, and
  ``pmbrowse fetch`` gets the rest).

**Resolving** (``resolve=True``, online, on request only): entries whose article has no PMID are looked
up: DOIs and PMCIDs with NCBI's ID converter (``store.online.idconv``), then citations (journal, year,
volume, first page, first author) with ECitMatch (``store.online.ecitmatch``). Every request is made
before anything is written: a request that fails for good (``OnlineError``) leaves the library as it was.

What stays without a PMID is kept as it is (a record with its text, or a stub with its identifier) and
listed as **unresolved** by file and record, never dropped. Each entry's identity keys are reported in
file order (an entry named twice counts twice), for the database searches of a review
(``pmbrowse import --source``, ``store.snowball.state.Search``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from store.changes import Changes
from store.errors import ParseError
from store.formats import Parser, detect_any
from store.formats.refs import identifier_entry
from store.importer import SNIFF_BYTES, FileReport, display_name, open_input
from store.library import Library
from store.merge import doc_keys, from_pubmed
from store.model import Article, Link, Origin
from store.online.ecitmatch import Citation, ECitMatch, citation_of
from store.online.idconv import IdConverter
from store.online.session import Online
from store.wholefile import paused_gc


@dataclass(slots=True)
class Entry:
    """One entry of a file: its number (records, or lines of a list, from 1) and what it said."""

    number: int
    article: Article

    @property
    def text(self) -> str:
        """How a person recognises the entry: its title, else its identifier."""
        a = self.article
        return a.title or a.pmid or a.pmcid or a.doi or ""


@dataclass(slots=True)
class Intake:
    """What importing one reference file did (``report``: the importer's counts), each entry's identity
    keys in file order, the entries left without a PMID, and how many were matched or resolved."""

    report: FileReport
    entries: list[tuple[str, ...]] = field(default_factory=list)
    unresolved: list[Entry] = field(default_factory=list)
    matched: int = 0  # entries naming an article the library held before this import
    from_pubmed: int = 0  # of those, records merged into a record from PubMed: they only filled gaps
    resolved: int = 0  # entries given a PMID online


def sniff_format(source: str) -> type[Parser] | None:
    """The format of a file by its content, any format pmbrowse reads (``store.formats.detect_any``);
    None for another, or a file that cannot be read (the importer says why when it reads it)."""
    try:
        with open_input(source) as stream:
            head = stream.read(SNIFF_BYTES)
    except (OSError, EOFError):
        return None
    return detect_any(head)


def read_entries(source: str, parser: type[Parser]) -> list[Entry]:
    """Every entry of the file, read whole. ``ParseError`` (naming the file) or ``OSError``."""
    with open_input(source) as stream:
        data = stream.read()
    entries: list[Entry] = []
    with paused_gc():
        for number, article in enumerate(parser().parse(io.BytesIO(data), display_name(source)), 1):
            entries.append(Entry(number, article))
    return entries


@dataclass(slots=True)
class _Found:
    """Identifiers found online for one entry."""

    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None


def _offline_pmid(library: Library, article: Article) -> str | None:
    if article.pmid:
        return article.pmid
    doc_id = library.find_keys(article.keys)
    doc = library.doc(doc_id) if doc_id is not None else None
    pmid = doc.get("pmid") if doc else None
    return pmid if isinstance(pmid, str) else None


def resolve_online(library: Library, entries: Sequence[Entry], online: Online) -> dict[int, _Found]:
    """PMIDs for the entries whose article has none, by the ID converter, then ECitMatch (``id(entry)`` ->
    what was found). Makes requests only; writes nothing."""
    found: dict[int, _Found] = {}
    wanted = [e for e in entries if _offline_pmid(library, e.article) is None]
    if not wanted:
        return found
    converter = IdConverter.of(online)
    try:
        for idtype in ("doi", "pmcid"):
            asking = [e for e in wanted if id(e) not in found and getattr(e.article, idtype)]
            if not asking:
                continue
            answers = converter.convert([getattr(e.article, idtype) for e in asking], idtype)
            for entry in asking:
                converted = answers.get(getattr(entry.article, idtype))
                if converted is not None and converted.pmid:
                    found[id(entry)] = _Found(converted.pmid, converted.pmcid, converted.doi)
    finally:
        converter.close()
    citations: dict[str, tuple[Entry, Citation]] = {}
    for entry in wanted:
        key = f"citation_{len(citations) + 1}"
        if id(entry) not in found and (citation := citation_of(entry.article, key)) is not None:
            citations[key] = (entry, citation)
    if citations:
        matched = ECitMatch(online.pubmed_client).match([c for _, c in citations.values()])
        for key, pmid in matched.items():
            if key in citations:
                found[id(citations[key][0])] = _Found(pmid)
    return found


@dataclass(slots=True)
class References:
    """Reference files read whole, checked and (with ``resolve``) resolved, nothing written yet
    (``read_references``); ``put`` writes them into a unit of work."""

    intakes: list[Intake]
    read: list[tuple[Intake, str, list[Entry]]]

    def put(self, changes: Changes) -> None:
        """Write every entry into ``changes`` (a library transaction, maybe holding other files' records:
        ``pmbrowse import`` commits them all as one), then match each entry to the article it names,
        looked up through the unit of work: what it has just added is not committed yet."""
        for intake, source, entries in self.read:
            origin = Origin(intake.report.format, "stdin" if source == "-" else os.path.abspath(source))
            before = changes.stubs_created
            for entry in entries:
                article = entry.article
                if identifier_entry(article):
                    named = Link(pmid=article.pmid, pmcid=article.pmcid, doi=article.doi)
                    made = changes.stubs_created
                    changes.put_links(named, "references", [])
                    if changes.stubs_created == made:
                        intake.report.unchanged += 1
                else:
                    intake.report.count(changes.put_article(article, origin))
            intake.report.stubs = changes.stubs_created - before
        # (After every entry is in: an entry can show two records to be one, and the one kept answers.)
        for intake, _, entries in self.read:
            for entry in entries:
                doc_id = next((d for k in entry.article.keys if (d := changes.lookup(k)) is not None), None)
                doc = changes.peek(doc_id) if doc_id is not None else None
                keys = tuple(doc_keys(doc)) if doc else tuple(entry.article.keys)
                intake.entries.append(keys)
                if not (doc or {}).get("pmid"):
                    intake.unresolved.append(entry)

    def commit(self, library: Library, before_commit: Callable[[], None] | None = None) -> None:
        """Put them into ``library`` in a transaction of their own; ``before_commit`` is called as the
        last thing before it commits (``import --source`` stages its database search there)."""
        with paused_gc(), library.transaction() as changes:
            self.put(changes)
            if before_commit is not None:
                before_commit()


def read_references(
    library: Library,
    sources: Sequence[tuple[str, type[Parser]]],
    *,
    online: Online | None = None,
    resolve: bool = False,
    on_file: Callable[[str], None] | None = None,
) -> References:
    """Read reference files (each given with its parser), resolve their entries online with ``resolve``
    (``online``: a session, else one from the settings) and note which name an article the library
    holds; nothing is written (``OnlineError`` is raised before anything is)."""
    intakes: list[Intake] = []
    read: list[tuple[Intake, str, list[Entry]]] = []
    for source, parser in sources:
        intake = Intake(FileReport(source=display_name(source), format=parser.name))
        intakes.append(intake)
        if on_file is not None:
            on_file(source)
        try:
            entries = read_entries(source, parser)
        except ParseError as exc:
            intake.report.error = str(exc.with_source(display_name(source)))
            continue
        except OSError as exc:
            intake.report.error = f"{display_name(source)}: cannot read it ({exc.strerror or exc})"
            intake.report.missing = isinstance(exc, FileNotFoundError)
            continue
        if not entries:  # (a BibTeX file of @comment only: an export gone wrong, as an empty file is)
            intake.report.error = f"{display_name(source)}: no records in it"
            continue
        read.append((intake, source, entries))
    found: dict[int, _Found] = {}
    if resolve and read:
        every = [e for _, _, entries in read for e in entries]
        if online is not None:
            found = resolve_online(library, every, online)
        else:
            with Online() as session:
                found = resolve_online(library, every, session)
    for intake, _, entries in read:  # (what the library held before: read before the transaction)
        for entry in entries:
            intake.resolved += id(entry) in found
            entry.article = _with_found(entry.article, found.get(id(entry)))
            held = library.find_keys(entry.article.keys)
            if held is not None:
                intake.matched += 1
                if not identifier_entry(entry.article) and from_pubmed(library.doc(held) or {}):
                    intake.from_pubmed += 1
    return References(intakes, read)


def _with_found(article: Article, found: _Found | None) -> Article:
    if found is None:
        return article
    return replace(
        article,
        pmid=article.pmid or found.pmid,
        pmcid=article.pmcid or found.pmcid,
        doi=article.doi or found.doi,
    )
