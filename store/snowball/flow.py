"""The PRISMA 2020 flow of a review: both arms, both stages, every number from the review's own records.

**Identification.**

- *Databases and registers*: the records of every database search imported with
  ``pmbrowse import --source NAME`` (``store.snowball.state.Search``), each entry counted
  (``database_results``, and per search); ``duplicates``: entries naming an article another entry
  already named (across all searches, identity as everywhere in the library: PMID, PMCID, DOI).
- *Other methods, citation searching*: the new records of every kept round (articles a round found
  first that had no decision when it ran; ``store.snowball.engine``), less those a database search
  found as well: **an article found both ways counts in the databases arm** (PRISMA counts citation
  searching's *additional* records). Links between seeds, links naming an article twice, articles
  already screened or found by an earlier round are not records; each round's detail says how many.

**Screening**, per arm, from the review's outcomes (``store.snowball.screening``: agreement of the
screeners, or a resolution; a conflict is no outcome yet):

- *records screened*: articles with a title/abstract outcome; *records excluded*: those excluded
  (by reason in the JSON); *awaiting* (not in the official figure): not decided yet, conflicts
  counted apart;
- *reports sought for retrieval*: included at title/abstract (an article with a full-text outcome
  and none at title/abstract was sought);
- *reports not retrieved*: sought, and marked not-retrieved at full text (``snowball not-retrieved``:
  only what someone tried and failed to obtain; a stub nobody looked for is not counted);
- *reports assessed for eligibility*: full-text outcome included or excluded; *reports excluded* by
  reason; *awaiting full text*: sought, neither assessed nor marked not-retrieved;
- *studies included*: included at full text, both arms together (``new_studies``; pmbrowse links no
  reports to studies, so reports and studies are the same count, and there are no previous studies).

The official template has no box for title/abstract screening in the other-methods arm: there the
records identified lead to the reports sought, and the difference is the records excluded at
title/abstract (pmbrowse's own diagrams show that box). Articles with a decision that are in
neither arm (seeds given by hand, articles marked while browsing) are counted apart, never in the flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.library import Library
from store.marks import Marks
from store.snowball.screening import EXCLUDED, INCLUDED, NO_REASON, NOT_RETRIEVED, Screened
from store.snowball.state import Round, Search, SnowballState

Identity = int | str  # a document id, or (an article the library does not hold) its first key


@dataclass(slots=True)
class Arm:
    """The screening numbers of one arm (or of one round's records)."""

    records: int = 0
    screened: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    awaiting_second: int = 0  # of those awaiting, decided by one screener of a two-screener stage
    awaiting: int = 0
    sought: int = 0
    not_retrieved: int = 0
    assessed: int = 0
    reports_excluded: dict[str, int] = field(default_factory=dict)
    included: int = 0
    full_text_conflicts: int = 0
    full_text_awaiting_second: int = 0
    awaiting_full_text: int = 0

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    @property
    def reports_excluded_total(self) -> int:
        return sum(self.reports_excluded.values())

    def count(self, screened: Screened | None) -> None:
        """Add one article, screened so (None: no decision at all)."""
        self.records += 1
        ta = screened.title_abstract if screened else None
        if ta is None or ta.decision is None:
            self.awaiting += 1
            self.conflicts += bool(ta and ta.conflict)
            self.awaiting_second += bool(ta and ta.awaiting)
            return
        self.screened += 1
        if ta.decision == EXCLUDED:
            _add(self.excluded, ta.reason or NO_REASON)
            return
        if ta.decision != INCLUDED:
            return
        self.sought += 1
        assert screened is not None
        ft = screened.full_text
        if ft.decision == NOT_RETRIEVED:
            self.not_retrieved += 1
        elif ft.decision in (INCLUDED, EXCLUDED):
            self.assessed += 1
            if ft.decision == INCLUDED:
                self.included += 1
            else:
                _add(self.reports_excluded, ft.reason or NO_REASON)
        else:
            self.awaiting_full_text += 1
            self.full_text_conflicts += ft.conflict
            self.full_text_awaiting_second += ft.awaiting

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "records_screened": self.screened,
            "records_excluded": self.excluded_total,
            "records_excluded_by_reason": dict(sorted(self.excluded.items())),
            "awaiting_screening": self.awaiting,
            "conflicts": self.conflicts,
            "awaiting_second_screener": self.awaiting_second,
            "reports_sought": self.sought,
            "reports_not_retrieved": self.not_retrieved,
            "reports_assessed": self.assessed,
            "reports_excluded": self.reports_excluded_total,
            "reports_excluded_by_reason": dict(sorted(self.reports_excluded.items())),
            "awaiting_full_text": self.awaiting_full_text,
            "full_text_conflicts": self.full_text_conflicts,
            "full_text_awaiting_second_screener": self.full_text_awaiting_second,
            "studies_included": self.included,
        }


def _add(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


@dataclass(slots=True)
class RoundDetail:
    """One kept round's numbers: those fixed when it ran, and its records' screening now."""

    round: Round
    database: int = 0  # of its new records, those a database search found too (counted there)
    arm: Arm = field(default_factory=Arm)

    def to_json(self) -> dict[str, Any]:
        stored = self.round
        return {
            "round": stored.number,
            "date": stored.date,
            "direction": stored.direction,
            "selection": stored.selection,
            "sources": list(stored.sources),
            "seeds": [s.label for s in stored.seeds],
            "links_identified": stored.identified,
            "links_between_seeds": stored.seed_links,
            "duplicate_links": stored.duplicates,
            "already_screened": stored.already_screened,
            "found_by_earlier_rounds": stored.earlier,
            "found_by_database_searches": self.database,
            **self.arm.to_json(),
        }


@dataclass(slots=True)
class Flow:
    """The whole flow: identification in both arms, each arm's screening, the studies included."""

    searches: list[tuple[str, int]] = field(default_factory=list)  # (name, entries)
    database_results: int = 0
    duplicates: int = 0
    databases: Arm = field(default_factory=Arm)
    rounds: list[RoundDetail] = field(default_factory=list)
    citations: Arm = field(default_factory=Arm)
    outside: int = 0  # articles with a decision in neither arm
    pending: list[Search] = field(default_factory=list)  # searches whose import did not finish

    @property
    def citations_results(self) -> int:
        return self.citations.records

    @property
    def new_studies(self) -> int:
        return self.databases.included + self.citations.included

    @property
    def links_between_seeds(self) -> int:
        return sum(r.round.seed_links for r in self.rounds)

    def to_json(self) -> dict[str, Any]:
        return {
            "identification": {
                "databases": [{"name": name, "records": n} for name, n in self.searches],
                "database_results": self.database_results,
                "duplicates": self.duplicates,
                "citations_results": self.citations_results,
                "citation_links_identified": sum(r.round.identified for r in self.rounds),
                "citation_links_between_seeds": self.links_between_seeds,
            },
            "databases_and_registers": self.databases.to_json(),
            "citation_searching": self.citations.to_json(),
            "studies": {"new_studies": self.new_studies, "total_studies": self.new_studies},
            "screened_outside_both_arms": self.outside,
            "unfinished_searches": [
                {"name": s.name, "begun": s.imported, "files": list(s.files)} for s in self.pending
            ],
            "rounds": [r.to_json() for r in self.rounds],
        }


class _Screenings:
    """The review's outcomes by identity key, read from the marks once."""

    def __init__(self, marks: Marks | None) -> None:
        self.by_key: dict[str, Screened] = {}
        self.marked: list[tuple[tuple[str, ...], Screened]] = []
        paired = marks.paired if marks is not None else frozenset()
        for keys, records in marks.screenings() if marks is not None else ():
            screened = Screened.of(records, paired)
            self.marked.append((keys, screened))
            for key in keys:
                self.by_key.setdefault(key, screened)

    def of(self, keys: Iterable[str]) -> Screened | None:
        return next((self.by_key[k] for k in keys if k in self.by_key), None)


def _identity(library: Library, keys: Sequence[str]) -> Identity | None:
    doc_id = library.find_keys(keys)
    if doc_id is not None:
        return doc_id
    return keys[0] if keys else None


def database_entries(library: Library, searches: Sequence[Search]) -> dict[Identity, tuple[str, ...]]:
    """Each distinct article the database searches found -> its keys (first entry naming it)."""
    found: dict[Identity, tuple[str, ...]] = {}
    for search in searches:
        for keys in search.entries:
            identity = _identity(library, keys)
            if identity is not None:
                found.setdefault(identity, keys)
    return found


def flow(library: Library, state: SnowballState, marks: Marks | None) -> Flow:
    """The review's PRISMA 2020 flow now (see the module's docstring for what counts where)."""
    screenings = _Screenings(marks)
    done = Flow(pending=list(state.pending))
    entries = 0
    for search in state.searches:
        done.searches.append((search.name, len(search.entries)))
        entries += len(search.entries)
    databases = database_entries(library, state.searches)
    done.database_results = entries
    done.duplicates = entries - len(databases)
    for keys in databases.values():
        done.databases.count(screenings.of(keys))
    counted: set[Identity] = set(databases)
    counted_keys = {key for search in state.searches for keys in search.entries for key in keys}
    for stored in state.rounds:
        detail = RoundDetail(stored)
        for candidate in stored.new:
            identity = _identity(library, candidate.keys)
            if identity is None:
                continue
            if identity in databases:
                detail.database += 1
                continue
            if identity in counted:
                continue  # (an earlier round's record, met again when a dropped round was rewritten)
            counted.add(identity)
            counted_keys.update(candidate.keys)
            screened = screenings.of(candidate.keys)
            detail.arm.count(screened)
            done.citations.count(screened)
        done.rounds.append(detail)
    for keys, screened in screenings.marked:
        if not screened.decided or counted_keys.intersection(keys):
            continue
        if _identity(library, keys) not in counted:  # (its keys may have grown since: ask the library)
            done.outside += 1
    return done
