"""What the review knows of each article, for exports (``store.export.provenance``): the round of citation
chasing that first found it (from which seeds, which way), the database searches that found it, and
its screening decision; and which articles an export of the review takes.

``export --round N --included --excluded --screened --stage S`` combine: ``--round N`` takes the
records round N found (ranked as the round ranked them), every other article being left out; the
decision options keep those whose decision is one of those named (``--screened``: any decision,
conflicts and decisions awaiting the second screener included). Without ``--round``, the articles
with a decision, in the order they were first marked.

**``--included`` is the studies included** (included at full text: PRISMA's "studies included in
review"), never mixed with the records included at title/abstract whose reports await their full
text, nor with reports not retrieved. ``--stage S`` reads the decisions at that stage instead:
``--included --stage title-abstract`` is every record included at title/abstract (the reports
sought), whatever became of it at full text; ``--excluded --stage full-text`` the reports excluded;
``--stage S`` alone every article with a decision at that stage. An export with ``--stage`` writes
each article's decision at that stage; without it, the latest one (its stage in the ``stage``
column). The decisions
are the review's (agreement of the screeners, or a resolution; ``store.snowball.screening``), whoever
exports, so an export is the same for every screener: blindness is for screening, not for the record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from store.export.provenance import Provenance, ProvenanceTable
from store.library import Library
from store.marks import Marks
from store.snowball.screening import (
    AWAITING,
    CONFLICT,
    FULL_TEXT,
    INCLUDED,
    UNDECIDED,
    Screened,
    Stage,
    screener_name,
)
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


def with_decision(found: Provenance, screened: Screened | None, stage: Stage | None = None) -> Provenance:
    """``found`` with the article's decision as the review's exports write it: decision, stage, reason,
    screener (``; ``-joined when screeners agreed; the resolver for a resolution), time. The decision
    at ``stage``, else at the latest stage that has one. A conflict or one screener's decision awaiting
    the second has no decision yet: ``conflict`` or ``awaiting``, with the screeners who voted."""
    last = screened.last if screened is not None else None
    if screened is not None and stage is not None:
        at = screened.full_text if stage == FULL_TEXT else screened.title_abstract
        last = (stage, at) if at.decision is not None or at.pending else None
    if last is None:
        return replace(found, decision=UNDECIDED)
    stage, outcome = last
    if outcome.pending:
        voters = "; ".join(screener_name(who) for who in outcome.votes)
        word = CONFLICT if outcome.conflict else AWAITING
        return replace(found, decision=word, stage=stage, screener=voters, decided_at=outcome.at)
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

    def screened_of(self, keys: Sequence[str]) -> Screened | None:
        return next((self.screened[k] for k in keys if k in self.screened), None)

    def state_of(self, keys: Sequence[str], stage: Stage | None = None) -> str:
        """The article's state (``Screened.state``), or with ``stage`` its outcome at that stage: included,
        excluded, not-retrieved, conflict, awaiting or undecided."""
        screened = self.screened_of(keys)
        if screened is None:
            return UNDECIDED
        if stage is None:
            return screened.state()
        found = screened.full_text if stage == FULL_TEXT else screened.title_abstract
        if found.conflict:
            return CONFLICT
        if found.awaiting:
            return AWAITING
        return found.decision or UNDECIDED

    def kept(self, keys: Sequence[str], wanted: Collection[str], stage: Stage | None) -> bool:
        """Whether an export of the decisions ``wanted`` (included, excluded, screened) at ``stage`` takes
        the article (see the module's docstring: ``included`` alone is the studies included)."""
        word = self.state_of(keys, stage)
        if "screened" in wanted and word != UNDECIDED:
            return True
        if word == INCLUDED and stage is None and (screened := self.screened_of(keys)) is not None:
            last = screened.last
            if last is None or last[0] != FULL_TEXT:
                return False  # (a record whose report awaits its full text: not a study included)
        return word in wanted

    def table(self, keys_of: Sequence[Sequence[str]], stage: Stage | None = None) -> ProvenanceTable:
        """The provenance (and decisions, at ``stage`` or the latest) of these articles, for an
        exporter."""
        entries: list[tuple[Sequence[str], Provenance]] = []
        for keys in keys_of:
            base = next((self.found[k] for k in keys if k in self.found), Provenance())
            if self.decisions:
                base = with_decision(base, self.screened_of(keys), stage)
            entries.append((keys, base))
        return ProvenanceTable(entries)


def review_export(
    library: Library,
    state: SnowballState,
    marks: Marks | None,
    *,
    round_number: int | None = None,
    decisions: Sequence[str] = (),
    stage: Stage | None = None,
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
    if decisions or stage is not None:
        wanted = set(decisions or ("screened",))
        doc_ids = [d for d in doc_ids if review.kept(keys_of[d], wanted, stage)]
    return doc_ids, review.table([keys_of[d] for d in doc_ids], stage)


def round_export(library: Library, number: int) -> tuple[list[int], ProvenanceTable]:
    """What ``pmbrowse export --round N`` exports: the round's records and their provenance, with the
    review's decisions."""
    from store.snowball.state import SnowballFile

    state = SnowballFile.open(library.path).load()
    return review_export(library, state, Marks.open(library.path), round_number=number)
