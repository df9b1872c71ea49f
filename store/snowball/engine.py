"""One round of citation chasing over the links the library holds: no network, no writes to the library.

From the seeds' link lists (references going backward, citing articles going forward) every linked
article that is not itself a seed becomes a *candidate*, once, however many links name it: the library
keeps one document per article (identity by PMID, PMCID or DOI, see ``store.merge``), so links are
deduplicated by document. Each candidate carries its provenance (which seeds cite it, which it cites)
and two measures of how close it sits to the seed set, read from its own link lists:

- *coupling*: references it shares with the seeds (bibliographic coupling);
- *co-citation*: articles that cite both it and one of the seeds.

Candidates are ranked by the number of seeds they are linked to, then by coupling + co-citation, then
by year (newest first), then by label; ``reason`` says so in words. That is the round's own order, the
one it is kept in. ``rank_rows`` lists them by another rule of ``RANKS`` (iCite's RCR, the citation
count), each row carrying those numbers (``Row.rcr``, ``Row.cited``).

Reads: each seed's document once and each candidate's once; nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from store import metrics
from store.library import Library
from store.marks import Marks
from store.merge import Doc, doc_keys
from store.snowball.screening import Screened
from store.snowball.state import DIRECTIONS, Candidate, Round, Seed, SnowballFile, SnowballState, keep_round

RELS = {"back": ("references",), "forward": ("cited_by",), "both": ("references", "cited_by")}


def label_of(doc: Mapping[str, object]) -> str:
    """How a seed or candidate is quoted: its PMID, else PMCID, else DOI, else its title."""
    for name in ("pmid", "pmcid", "doi"):
        value = doc.get(name)
        if isinstance(value, str) and value:
            return value
    title = doc.get("title")
    return str(title) if title else "(no identifier)"


@dataclass(slots=True)
class Row:
    """A candidate with what the library says of it now, for tables, JSON and the app."""

    candidate: Candidate
    doc_id: int | None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    title: str = ""
    year: int | None = None
    journal: str = ""
    stub: bool = True
    rcr: float | None = None  # iCite's Relative Citation Ratio, when iCite was asked
    cited: int = 0  # the largest citation count known: a source's, or the library's citing articles


@dataclass(slots=True)
class RoundResult:
    """A round just run (``round``), its candidates ranked, with their documents' data (``rows``)."""

    round: Round
    rows: list[Row] = field(default_factory=list)
    seed_noun: str = "seeds"
    kept: bool = False  # (set when a preview is kept: keep_preview)

    @property
    def new_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.candidate.known]


def seed_noun(selection: str) -> str:
    """How the reason names the seeds: ``cited by 4 of your 12 included``."""
    if selection in ("included", "starred"):
        return selection
    return "seeds"


def reason(candidate: Candidate, seeds: int, noun: str = "seeds") -> str:
    """Why a candidate ranks where it does, in words: ``cited by 4 of your 12 included · cites 2``."""
    parts: list[str] = []
    if candidate.cited_by:
        parts.append(f"cited by {len(candidate.cited_by)} of your {seeds} {noun}")
    if candidate.cites:
        n = len(candidate.cites)
        parts.append(f"cites {n}" if parts else f"cites {n} of your {seeds} {noun}")
    if candidate.coupling:
        parts.append(f"{candidate.coupling} shared reference{'s' if candidate.coupling != 1 else ''}")
    if candidate.cocitation:
        parts.append(f"co-cited {candidate.cocitation}×")
    return " · ".join(parts)


def rank_key(candidate: Candidate) -> tuple[int, int, int, str]:
    return (-candidate.seeds_linked, -candidate.strength, -(candidate.year or 0), candidate.label)


# The rules candidates can be listed by, as a list's title names them (``Candidates, highest RCR first``).
RANKS = {
    "links": "ranked by links to the seeds",
    "rcr": "highest RCR first",
    "cited": "most cited first",
}


def rank_rows(rows: Sequence[Row], by: str = "links") -> list[Row]:
    """``rows`` listed by a rule of ``RANKS``: ``links`` (the round's own order: seeds linked, then
    coupling + co-citation, then newest), ``rcr`` (iCite's Relative Citation Ratio, highest first; those
    iCite gave none after them) or ``cited`` (the largest citation count known, a source's or the
    library's citing articles). Ties, and the candidates without an RCR, keep the round's own order.
    For the command line's ``snowball --rank`` and the Snowball view."""
    if by not in RANKS:
        raise ValueError(f"candidates are ranked by {', '.join(RANKS)}, not {by!r}")
    if by == "rcr":
        return sorted(rows, key=lambda r: (r.rcr is None, -(r.rcr or 0.0), rank_key(r.candidate)))
    if by == "cited":
        return sorted(rows, key=lambda r: (-r.cited, rank_key(r.candidate)))
    return sorted(rows, key=lambda r: rank_key(r.candidate))


def decisions(marks: Marks | None) -> dict[str, str]:
    """Each identity key of an article the ``marks``' viewer sees a decision on -> that decision
    (read once, for a whole round): what is left for this screener to screen."""
    found: dict[str, str] = {}
    if marks is None:
        return found
    for mark in marks.all():
        if mark.screening:
            for key in mark.keys:
                found[key] = mark.screening
    return found


def review_decisions(marks: Marks | None) -> dict[str, str]:
    """Each identity key of an article the review has an outcome for -> that outcome's state (included,
    excluded, not-retrieved), whoever screened it: what a round counts as already screened. A conflict,
    or one screener's decision awaiting the second, is no outcome: such an article is not screened
    yet, and a round that finds it takes it as its own record."""
    found: dict[str, str] = {}
    if marks is None:
        return found
    paired = marks.paired
    for keys, records in marks.screenings():
        screened = Screened.of(records, paired)
        if screened.decided:
            for key in keys:
                found[key] = screened.state()
    return found


def decision_of(keys: Iterable[str], screened: Mapping[str, str]) -> str | None:
    return next((screened[k] for k in keys if k in screened), None)


def run_round(
    library: Library,
    seeds: Sequence[int],
    direction: str = "both",
    *,
    marks: Marks | None = None,
    state: SnowballState | None = None,
    selection: str = "",
    sources: Sequence[str] = ("library",),
    date: str | None = None,
) -> RoundResult:
    """Run a round from the documents ``seeds`` (``direction``: back, forward, both) and rank what it
    finds. Nothing is written: ``store.snowball.state.SnowballFile`` keeps the round if asked to.

    ``state`` (the rounds so far) tells which candidates earlier rounds found; ``marks`` which are
    screened already. The round's number is the next after the state's last.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction is one of {', '.join(DIRECTIONS)}, not {direction!r}")
    state = state if state is not None else SnowballState()
    number = state.next_number()
    seed_ids = list(dict.fromkeys(seeds))
    seed_set = set(seed_ids)
    rels = RELS[direction]

    seed_docs: list[tuple[int, Doc]] = []
    for seed in seed_ids:
        doc = library.doc(seed)
        if doc is not None:
            seed_docs.append((seed, doc))
    labels = {seed: label_of(doc) for seed, doc in seed_docs}

    identified = seed_links = 0
    cited_by: dict[int, list[int]] = {}  # candidate -> seeds citing it
    cites: dict[int, list[int]] = {}  # candidate -> seeds it cites
    order: dict[int, None] = {}
    seed_refs: set[int] = set()
    seed_citing: set[int] = set()
    for seed, _doc in seed_docs:
        refs = library.link_ids(seed, "references")
        citing = library.link_ids(seed, "cited_by")
        seed_refs.update(refs)
        seed_citing.update(citing)
        for rel in rels:
            into = cited_by if rel == "references" else cites
            for target in refs if rel == "references" else citing:
                if target in seed_set:
                    seed_links += 1
                    continue
                identified += 1
                into.setdefault(target, []).append(seed)
                order[target] = None
    seed_refs -= seed_set
    seed_citing -= seed_set

    screened = review_decisions(marks)
    earlier = state.first_rounds()
    orphans = state.dropped_records()  # (screened as records of a dropped round: this round's now)
    rows: list[Row] = []
    already = from_earlier = 0
    for target in order:
        doc = library.doc(target)
        if doc is None:
            continue
        keys = tuple(doc_keys(doc))
        year = doc.get("year")
        first = next((earlier[k] for k in keys if k in earlier), None)
        known = ""
        if decision_of(keys, screened) is not None and not (first is None and orphans.intersection(keys)):
            known = "screened"
            already += 1
        elif first is not None:
            known = "earlier"
            from_earlier += 1
        its_citing = library.link_ids(target, "cited_by")
        candidate = Candidate(
            keys=keys,
            label=label_of(doc),
            cites=[labels[s] for s in dict.fromkeys(cites.get(target, ()))],
            cited_by=[labels[s] for s in dict.fromkeys(cited_by.get(target, ()))],
            coupling=len(seed_refs.intersection(library.link_ids(target, "references"))),
            cocitation=len(seed_citing.intersection(its_citing)),
            year=year if isinstance(year, int) else None,
            round=first if first is not None else number,
            known=known,
        )
        rows.append(_row(candidate, target, doc, len(its_citing)))
    rows.sort(key=lambda r: rank_key(r.candidate))
    done = Round(
        number=number,
        date=date or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        selection=selection,
        direction=direction,
        sources=list(sources),
        seeds=[Seed(labels[s], tuple(doc_keys(doc))) for s, doc in seed_docs],
        identified=identified,
        duplicates=identified - len(order),
        seed_links=seed_links,
        already_screened=already,
        earlier=from_earlier,
        candidates=[r.candidate for r in rows],
    )
    return RoundResult(done, rows, seed_noun(selection))


def _row(candidate: Candidate, doc_id: int | None, doc: Doc | None, citing: int = 0) -> Row:
    """A candidate's row; ``citing``: how many articles of the library cite it."""
    if doc is None:
        return Row(candidate, None, title=candidate.label, year=candidate.year)
    year = doc.get("year")
    given = doc.get("citation_count")
    return Row(
        candidate,
        doc_id,
        pmid=doc.get("pmid"),
        pmcid=doc.get("pmcid"),
        doi=doc.get("doi"),
        title=str(doc.get("title") or ""),
        year=year if isinstance(year, int) else None,
        journal=str(doc.get("journal") or ""),
        stub=bool(doc.get("stub")),
        rcr=metrics.rcr(doc),
        cited=max([citing, given if type(given) is int else 0, *metrics.reported_counts(doc)]),
    )


def rows_of(library: Library, stored: Round) -> list[Row]:
    """A stored round's candidates as rows, with what the library says of them now (ranked as stored)."""
    rows: list[Row] = []
    for candidate in stored.candidates:
        doc_id = library.find_keys(candidate.keys)
        if doc_id is None:
            rows.append(_row(candidate, None, None))
        else:
            rows.append(_row(candidate, doc_id, library.doc(doc_id), library.link_counts(doc_id)[1]))
    return rows


@dataclass(slots=True)
class Preview:
    """A round computed and shown, kept nowhere (the app's quick look from one article, ``snowball
    --preview``): what was asked, and what it found. It counts in no report until ``keep_preview``."""

    seeds: list[int]
    direction: str
    selection: str
    sources: list[str]
    result: RoundResult


def preview_round(
    library: Library,
    seeds: Sequence[int],
    direction: str = "both",
    *,
    marks: Marks | None = None,
    state: SnowballState | None = None,
    selection: str = "",
    sources: Sequence[str] = ("library",),
) -> Preview:
    """A round from ``seeds``, computed against ``state`` (the rounds so far) and kept nowhere."""
    result = run_round(
        library, seeds, direction, marks=marks, state=state, selection=selection, sources=sources
    )
    return Preview(list(seeds), direction, selection, list(sources), result)


def keep_preview(
    library: Library, preview: Preview, file: SnowballFile, marks: Marks | None = None
) -> RoundResult:
    """Keep a previewed round after all: it is run again against the file's rounds as they are now (a
    round kept meanwhile, or screening done since, changes what is new), so the numbers it keeps are
    those of the moment it is kept. Returns the round run; ``kept`` says whether it was kept (a round
    that finds nothing new is not)."""
    result = run_round(
        library,
        preview.seeds,
        preview.direction,
        marks=marks,
        state=file.load(),
        selection=preview.selection,
        sources=preview.sources,
    )
    result.kept = keep_round(file, result.round) is not None
    return result
