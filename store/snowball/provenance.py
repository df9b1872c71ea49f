"""What the review knows of each article, for exports (``store.export.provenance``): the round of citation
chasing that first found it (from which seeds, which way), the database searches that found it, and
its screening decision; and which articles an export of the review takes.

``export --round N --included --excluded --screened`` combine: ``--round N`` takes the records round N
found (ranked as the round ranked them), every other article being left out; the decision options
keep those whose decision is one of those named (``--screened``: any decision, conflicts included);
without ``--round``, the articles with a decision, in the order they were first marked. The decisions
are the review's (agreement of the screeners, or a resolution; ``store.snowball.screening``), whoever
exports, so an export is the same for every screener: blindness is for screening, not for the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from store.export.provenance import Provenance, ProvenanceTable
from store.library import Library
from store.marks import Marks
from store.snowball.screening import UNDECIDED, Screened, screener_name
from store.snowball.state import Candidate, Round, SnowballState


def provenance(candidate: Candidate) -> Provenance:
    return Provenance(tuple(candidate.cited_by), tuple(candidate.cites), candidate.round)


def round_provenance(stored: Round) -> ProvenanceTable:
    return ProvenanceTable((c.keys, provenance(c)) for c in stored.candidates)


def round_doc_ids(library: Library, stored: Round) -> list[int]:
    """The documents of the candidates this round found first (its records, screened or not), ranked."""
    found: list[int] = []
    for candidate in stored.candidates:
        if candidate.round != stored.number:
            continue
        doc_id = library.find_keys(candidate.keys)
        if doc_id is not None and doc_id not in found:
            found.append(doc_id)
    return found


def with_decision(found: Provenance, screened: Screened | None) -> Provenance:
    """``found`` with the article's decision as the review's exports write it: decision, stage, reason,
    screener (``; ``-joined when screeners agreed; the resolver for a resolution), time."""
    last = screened.last if screened is not None else None
    if last is None:
        return replace(found, decision=UNDECIDED)
    stage, outcome = last
    if outcome.conflict:
        voters = "; ".join(screener_name(who) for who in outcome.votes)
        return replace(found, decision="conflict", stage=stage, screener=voters, decided_at=outcome.at)
    return replace(
        found,
        decision=str(outcome.decision),
        stage=stage,
        reason=outcome.reason,
        screener="; ".join(screener_name(who) for who in outcome.by),
        decided_at=outcome.at,
    )


class ReviewTable:
    """The review's knowledge of every article it met, by identity key."""

    def __init__(self, state: SnowballState, marks: Marks | None, *, decisions: bool = True) -> None:
        found: dict[str, Provenance] = {}
        for stored in state.rounds:
            for candidate in stored.candidates:
                if candidate.round == stored.number:
                    for key in candidate.keys:
                        found.setdefault(key, provenance(candidate))
        for search in state.searches:
            for keys in search.entries:
                now = next((found[k] for k in keys if k in found), Provenance())
                if search.name not in now.searches:
                    now = replace(now, searches=(*now.searches, search.name))
                for key in keys:
                    found[key] = now
        self.screened: dict[str, Screened] = {}
        self.marked: list[tuple[str, ...]] = []
        paired = marks.paired if marks is not None else frozenset()
        for mark in marks.all() if marks is not None else ():
            if mark.decisions:
                screened = Screened.of(mark.decisions, paired)
                self.marked.append(mark.keys)
                for key in mark.keys:
                    self.screened.setdefault(key, screened)
        self.found = found
        self.decisions = decisions

    def state_of(self, keys: Sequence[str]) -> str:
        screened = next((self.screened[k] for k in keys if k in self.screened), None)
        return screened.state() if screened is not None else UNDECIDED

    def table(self, keys_of: Sequence[Sequence[str]]) -> ProvenanceTable:
        """The provenance (and decisions) of these articles, for an exporter."""
        entries: list[tuple[Sequence[str], Provenance]] = []
        for keys in keys_of:
            base = next((self.found[k] for k in keys if k in self.found), Provenance())
            if self.decisions:
                base = with_decision(base, next((self.screened[k] for k in keys if k in self.screened), None))
            entries.append((keys, base))
        return ProvenanceTable(entries)


def review_export(
    library: Library,
    state: SnowballState,
    marks: Marks | None,
    *,
    round_number: int | None = None,
    decisions: Sequence[str] = (),
) -> tuple[list[int], ProvenanceTable]:
    """What ``pmbrowse export`` takes for the review options (see the module's docstring): the documents
    and their provenance. ``decisions``: any of included, excluded, screened. ``SelectionError`` for a
    round there is not."""
    from store.merge import doc_keys
    from store.selection import SelectionError

    review = ReviewTable(state, marks)
    if round_number is not None:
        stored = state.round(round_number)
        if stored is None:
            have = ", ".join(str(r.number) for r in state.rounds) or "none yet: pmbrowse snowball runs one"
            raise SelectionError(f"there is no citation chasing round {round_number} (rounds kept: {have})")
        doc_ids = round_doc_ids(library, stored)
    else:
        doc_ids = list(
            dict.fromkeys(d for keys in review.marked if (d := library.find_keys(keys)) is not None)
        )
    keys_of = {d: tuple(doc_keys(library.doc(d) or {})) for d in doc_ids}
    if decisions:
        wanted = set(decisions)

        def kept(state_word: str) -> bool:
            if "screened" in wanted and state_word != UNDECIDED:
                return True
            return state_word in wanted

        doc_ids = [d for d in doc_ids if kept(review.state_of(keys_of[d]))]
    return doc_ids, review.table([keys_of[d] for d in doc_ids])


def round_export(library: Library, number: int) -> tuple[list[int], ProvenanceTable]:
    """What ``pmbrowse export --round N`` exports: the round's records and their provenance, with the
    review's decisions."""
    from store.snowball.state import SnowballFile

    state = SnowballFile.open(library.path).load()
    return review_export(library, state, Marks.open(library.path), round_number=number)
