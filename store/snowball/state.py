"""The review's citation chasing and database searches, kept in a small file of their own beside the library.

``library.json`` -> ``library.snowball.json``: a pmbrowse file of the ``snowball`` layout
(``store.schema.SNOWBALL``): the header, then the tables ``reasons``, ``rounds``, ``searches``,
``dropped`` and (version 1 only) ``exclusions``, one document a line.

- **Rounds** keep their date, seeds, direction, sources and the numbers known when they ran (links
  identified, duplicates, already screened), and their candidates with their provenance (which seeds
  each cites and is cited by), so a review can say exactly what was done and redo it. They are a
  history the reviewer controls: ``SnowballState.drop`` removes one and what only it found (what a
  later round also found becomes that round's), and leaves a note of it in ``dropped``; round
  numbers are never given twice, so an export that names round 3 always means the same round.
- **Searches** are the database searches imported with ``pmbrowse import --source NAME``: each
  record's identity keys in file order, for PRISMA's "databases and registers" arm. A search is kept
  first as *pending* (its name, when, its files), before its files are imported, and completed with
  its records once every file imported (or forgotten if one was rejected): killed in between, the
  pending search stays, the report names it, and importing the same files again under that name
  completes it (``tui.commands.importing``). A pending search counts nowhere.
- **Reasons** are the exclusion reasons offered (the defaults and those added); the reasons *given*
  are part of each decision, in the marks file (``store.marks``), so a decision and its reason are one
  write. Version 1 kept the reasons given here (``exclusions``); ``SnowballFile.move_reasons`` moves
  them into the marks once, idempotently (a crash half-way is finished by the next run).

Screening decisions are not copied here: they stay in the marks file and are read when a report is
made. Like the marks file, it is apart from the records (re-importing never touches it), and kept by
the same storage (``store.wholefile``): written whole, atomically (a temp file in the same folder,
fsynced, renamed over the old one), under a write lock (``library.snowball.json.lock``) so two
processes never lose each other's rounds. A file that is not a snowball file, or is of a newer
version, is refused in one line and never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from store.errors import LibraryFileError
from store.intent import settle
from store.paths import library_path
from store.schema import META_TABLE, SNOWBALL
from store.wholefile import Data, Fingerprint, WholeFileStorage, fingerprint

if TYPE_CHECKING:
    from store.marks import Marks

T = TypeVar("T")
DIRECTIONS = ("back", "forward", "both")
DEFAULT_REASONS = (
    "wrong population",
    "wrong intervention",
    "wrong outcome",
    "wrong study design",
    "wrong publication type",
)
NO_REASON = "no reason given"
MAX_ROUND = 1_000_000  # a round number past this is damage, not a review


def snowball_path(library: str | os.PathLike[str] | None = None) -> Path:
    """The snowball file beside a library: ``library.json`` -> ``library.snowball.json``."""
    path = library_path(library)
    if path.suffix == ".json":
        return path.with_name(path.stem + ".snowball.json")
    return path.with_name(path.name + ".snowball.json")


# What identifies one version of the snowball file (each write replaces it whole).
SnowballVersion = Fingerprint


def snowball_version(library: str | os.PathLike[str] | None = None) -> SnowballVersion | None:
    """The version of the snowball file beside a library as it is on disk now (None: there is none),
    to tell cheaply whether another process wrote it since (the app's watcher compares two)."""
    return fingerprint(snowball_path(library))


@dataclass(frozen=True, slots=True)
class Seed:
    """A seed as the round saw it: how it is quoted (PMID, else PMCID, else DOI) and its identity keys."""

    label: str
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "keys": list(self.keys)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Seed:
        return cls(str(data.get("label", "")), tuple(str(k) for k in data.get("keys", ())))


@dataclass(slots=True)
class Candidate:
    """An article linked to the seeds, with where it came from.

    ``cites``: the seeds it cites (found going forward); ``cited_by``: the seeds citing it (found going
    backward), each as the seed's label. ``coupling``: references it shares with the seeds;
    ``cocitation``: articles citing both it and a seed. ``round``: the round that first found it.
    ``known``: what it was when this round ran: ``""`` new, ``"screened"`` (a decision already), or
    ``"earlier"`` (found by an earlier round).
    """

    keys: tuple[str, ...]
    label: str
    cites: list[str] = field(default_factory=list)
    cited_by: list[str] = field(default_factory=list)
    coupling: int = 0
    cocitation: int = 0
    year: int | None = None
    round: int = 0
    known: str = ""

    @property
    def seeds_linked(self) -> int:
        """How many different seeds it is linked to, either way."""
        return len(set(self.cites) | set(self.cited_by))

    @property
    def strength(self) -> int:
        return self.coupling + self.cocitation

    @property
    def direction(self) -> str:
        """``backward`` (seeds cite it), ``forward`` (it cites seeds) or ``both``."""
        if self.cites and self.cited_by:
            return "both"
        return "forward" if self.cites else "backward"

    @property
    def found_via(self) -> list[str]:
        """Every seed it is linked to, in the order met: the seeds citing it, then those it cites."""
        return list(dict.fromkeys([*self.cited_by, *self.cites]))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"keys": list(self.keys), "label": self.label}
        for name in ("cites", "cited_by"):
            if value := getattr(self, name):
                data[name] = list(value)
        for name in ("coupling", "cocitation"):
            if value := getattr(self, name):
                data[name] = value
        if self.year is not None:
            data["year"] = self.year
        data["round"] = self.round
        if self.known:
            data["known"] = self.known
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        year = data.get("year")
        return cls(
            keys=tuple(str(k) for k in data.get("keys", ())),
            label=str(data.get("label", "")),
            cites=[str(s) for s in data.get("cites", ())],
            cited_by=[str(s) for s in data.get("cited_by", ())],
            coupling=int(data.get("coupling", 0)),
            cocitation=int(data.get("cocitation", 0)),
            year=year if isinstance(year, int) else None,
            round=int(data.get("round", 0)),
            known=str(data.get("known", "")),
        )


@dataclass(slots=True)
class Round:
    """One round: what was asked (seeds, direction, sources), when, what was found, and the numbers
    fixed when it ran. ``identified``: links from the seeds to other articles, before deduplication;
    ``duplicates``: those naming an article another link had already named; ``seed_links``: links
    between seeds (not records identified); ``already_screened`` and ``earlier``: candidates with a
    decision already, or found by an earlier round."""

    number: int
    date: str
    selection: str
    direction: str
    sources: list[str]
    seeds: list[Seed]
    identified: int = 0
    duplicates: int = 0
    seed_links: int = 0
    already_screened: int = 0
    earlier: int = 0
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def new(self) -> list[Candidate]:
        """The candidates this round found for screening: first found now, and undecided then."""
        return [c for c in self.candidates if not c.known]

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "date": self.date,
            "selection": self.selection,
            "direction": self.direction,
            "sources": list(self.sources),
            "seeds": [s.to_json() for s in self.seeds],
            "identified": self.identified,
            "duplicates": self.duplicates,
            "seed_links": self.seed_links,
            "already_screened": self.already_screened,
            "earlier": self.earlier,
            "candidates": [c.to_json() for c in self.candidates],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Round:
        return cls(
            number=_round_number(data["round"]),
            date=str(data.get("date", "")),
            selection=str(data.get("selection", "")),
            direction=str(data.get("direction", "both")),
            sources=[str(s) for s in data.get("sources", ())],
            seeds=[Seed.from_json(s) for s in data.get("seeds", ())],
            identified=int(data.get("identified", 0)),
            duplicates=int(data.get("duplicates", 0)),
            seed_links=int(data.get("seed_links", 0)),
            already_screened=int(data.get("already_screened", 0)),
            earlier=int(data.get("earlier", 0)),
            candidates=[Candidate.from_json(c) for c in data.get("candidates", ())],
        )


@dataclass(slots=True)
class Exclusion:
    """A reason given, as version 1 kept it (apart from its decision); see ``SnowballFile.move_reasons``."""

    keys: tuple[str, ...]
    reason: str


@dataclass(slots=True)
class Search:
    """A database search (PRISMA's "identification via databases and registers"): its name as the
    reviewer gave it (``PubMed 2026-12-01``), when it was imported, its files, and each record's
    identity keys in file order. A record named twice is kept twice: duplicates are counted from these."""

    name: str
    imported: str
    files: list[str] = field(default_factory=list)
    entries: list[tuple[str, ...]] = field(default_factory=list)
    pending: bool = False  # (its import started and was not seen to end: see the module's docstring)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "imported": self.imported,
            "files": list(self.files),
            "entries": [list(keys) for keys in self.entries],
        }
        if self.pending:
            data["pending"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Search:
        return cls(
            name=str(data["name"]),
            imported=str(data.get("imported", "")),
            files=[str(f) for f in data.get("files", ())],
            entries=[tuple(str(k) for k in keys) for keys in data.get("entries", ())],
            pending=data.get("pending") is True,
        )


@dataclass(slots=True)
class Dropped:
    """A round the reviewer dropped: which, when it ran, when it was dropped, and what it had found.

    ``records``: the identity keys of its records that no later round had met, which left the flow
    with it. A round run later that finds one of them takes it as its own record, decision or not
    (``store.snowball.engine``): the decision was made on it as a record of the dropped round."""

    number: int
    date: str
    dropped: str
    direction: str
    selection: str
    seeds: list[str]
    new: int
    records: list[tuple[str, ...]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "date": self.date,
            "dropped": self.dropped,
            "direction": self.direction,
            "selection": self.selection,
            "seeds": list(self.seeds),
            "new": self.new,
            "records": [list(keys) for keys in self.records],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dropped:
        return cls(
            number=_round_number(data["round"]),
            date=str(data.get("date", "")),
            dropped=str(data.get("dropped", "")),
            direction=str(data.get("direction", "")),
            selection=str(data.get("selection", "")),
            seeds=[str(s) for s in data.get("seeds", ())],
            new=int(data.get("new", 0)),
            records=[tuple(str(k) for k in keys) for keys in data.get("records", ())],
        )


def _round_number(value: object) -> int:
    if type(value) is not int or not 1 <= value <= MAX_ROUND:
        raise ValueError(f"{value!r} is not a round number")
    return value


@dataclass(slots=True)
class SnowballState:
    """Everything in the file: the rounds, the searches, the dropped rounds, the exclusion reasons
    offered, and (version 1) those given."""

    rounds: list[Round] = field(default_factory=list)
    reasons: list[str] = field(default_factory=lambda: list(DEFAULT_REASONS))
    exclusions: list[Exclusion] = field(default_factory=list)
    searches: list[Search] = field(default_factory=list)  # (complete ones: those that count)
    dropped: list[Dropped] = field(default_factory=list)
    pending: list[Search] = field(default_factory=list)  # searches whose import did not end

    @property
    def last(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    def round(self, number: int) -> Round | None:
        return next((r for r in self.rounds if r.number == number), None)

    def next_number(self) -> int:
        """The number the next round gets: after every round there is or was (a dropped round's number
        is never given again)."""
        numbers = [r.number for r in self.rounds] + [d.number for d in self.dropped]
        return max(numbers, default=0) + 1

    def first_rounds(self) -> dict[str, int]:
        """Each identity key of every candidate so far -> the round that first found it."""
        found: dict[str, int] = {}
        for past in self.rounds:
            for candidate in past.candidates:
                for key in candidate.keys:
                    found.setdefault(key, candidate.round or past.number)
        return found

    def drop(self, number: int, when: str) -> Dropped:
        """Remove round ``number`` and what only it found. A record it found that a later round met again
        (as found by an earlier round, or as screened already — screened as this round's record)
        becomes the record of the first later round that met it, decision and all, and the later
        rounds name it as found by that one. Its other records leave the flow, and are named in the
        note (``Dropped.records``) so a round run later takes them as its own. ``KeyError``: no such
        round."""
        gone = self.round(number)
        if gone is None:
            raise KeyError(number)
        self.rounds.remove(gone)
        records = {key for candidate in gone.new for key in candidate.keys}
        moved: dict[str, int] = {}
        for later in self.rounds:
            if later.number < number:
                continue
            for candidate in later.candidates:
                if candidate.round != number:
                    continue
                first = next((moved[k] for k in candidate.keys if k in moved), None)
                if first is None:
                    first = later.number
                    for key in candidate.keys:
                        moved[key] = first
                    if candidate.known == "earlier":
                        candidate.known = ""
                        later.earlier -= 1
                    elif candidate.known == "screened" and records.intersection(candidate.keys):
                        candidate.known = ""
                        later.already_screened -= 1
                candidate.round = first
        note = Dropped(
            number=gone.number,
            date=gone.date,
            dropped=when,
            direction=gone.direction,
            selection=gone.selection,
            seeds=[s.label for s in gone.seeds],
            new=len(gone.new),
            records=[c.keys for c in gone.new if not moved.keys() & set(c.keys)],
        )
        self.dropped.append(note)
        return note

    def dropped_records(self) -> set[str]:
        """The identity keys of the records dropped rounds took out of the flow (``Dropped.records``)
        that no kept round has met since."""
        found = self.first_rounds()
        return {
            key
            for note in self.dropped
            for keys in note.records
            if not any(k in found for k in keys)
            for key in keys
        }

    def add_search(self, search: Search) -> bool:
        """Keep a database search, complete; one of the same name is replaced (importing a search's
        files again must not count its records twice), and its pending record is done with. Returns
        whether one was replaced."""
        before = len(self.searches)
        self.searches = [s for s in self.searches if s.name != search.name]
        self.searches.append(search)
        self.forget_pending(search.name)
        return len(self.searches) == before

    def begin_search(self, search: Search) -> None:
        """Note a search whose files are about to be imported (``Search.pending``); a search of that name
        already kept counts as it was until this one is complete."""
        self.forget_pending(search.name)
        self.pending.append(Search(search.name, search.imported, list(search.files), pending=True))

    def forget_pending(self, name: str) -> None:
        self.pending = [s for s in self.pending if s.name != name]

    def offered_reasons(self, given: Iterable[str] = ()) -> list[str]:
        """The reasons to offer: those of the file (the defaults and any added), then those ``given`` in
        decisions (``Marks.reasons``), each once whatever its case."""
        offered = list(self.reasons)
        seen = {r.casefold() for r in offered}
        for reason in given:
            if reason.casefold() not in seen:
                seen.add(reason.casefold())
                offered.append(reason)
        return offered

    def to_tables(self) -> Data:
        """The file's tables (each a table of documents by id, as ``store.wholefile`` keeps them)."""
        return {
            "reasons": _numbered({"reason": r} for r in self.reasons),
            "exclusions": _numbered({"keys": list(e.keys), "reason": e.reason} for e in self.exclusions),
            "rounds": _numbered(r.to_json() for r in self.rounds),
            "searches": _numbered(s.to_json() for s in (*self.searches, *self.pending)),
            "dropped": _numbered(d.to_json() for d in self.dropped),
        }

    @classmethod
    def from_tables(cls, data: Data) -> SnowballState:
        reasons = [str(d["reason"]) for d in _in_order(data["reasons"])]
        searches = [Search.from_json(s) for s in _in_order(data.get("searches", {}))]
        return cls(
            rounds=[Round.from_json(r) for r in _in_order(data["rounds"])],
            reasons=reasons or list(DEFAULT_REASONS),
            exclusions=[
                Exclusion(tuple(str(k) for k in e.get("keys", ())), str(e.get("reason", "")))
                for e in _in_order(data["exclusions"])
            ],
            searches=[s for s in searches if not s.pending],
            dropped=[Dropped.from_json(d) for d in _in_order(data.get("dropped", {}))],
            pending=[s for s in searches if s.pending],
        )


def _numbered(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(n): doc for n, doc in enumerate(docs, 1)}


def _in_order(table: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [table[doc_id] for doc_id in sorted(table, key=int)]


class SnowballFile:
    """The snowball file of one library: read whole, changed under its lock, written atomically."""

    def __init__(self, path: Path, *, lock_timeout: float | None = None, library: Path | None = None) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.library = library  # (its library, when known: see ``_settle``)
        self._joined: WholeFileStorage | None = None

    @classmethod
    def open(
        cls, library: str | os.PathLike[str] | None = None, *, lock_timeout: float | None = None
    ) -> SnowballFile:
        return cls(snowball_path(library), lock_timeout=lock_timeout, library=library_path(library))

    def load(self) -> SnowballState:
        """What the file holds (a missing file: no rounds yet). Refuses a file that is not one."""
        self._settle()
        storage = self._storage()
        return self._state(storage) if storage.exists else SnowballState()

    def joined(self) -> WholeFileStorage:
        """The storage ``change`` writes through from now on, for a caller that commits it with the
        library (``store.intent.Carried.join``): inside its transaction, a change is written when the
        library commits."""
        self._settle()
        if self._joined is None:
            self._joined = self._storage()
        return self._joined

    def change(self, edit: Callable[[SnowballState], T]) -> T:
        """Apply ``edit`` to the newest state and write it, under the lock; returns what ``edit`` does."""
        if self._joined is None:
            self._settle()
        storage = self._joined or self._storage()
        with storage.transaction():  # (which reloads the file if another process replaced it)
            state = self._state(storage) if storage.exists else SnowballState()
            result = edit(state)
            storage.write({META_TABLE: storage.read()[META_TABLE], **state.to_tables()})
        return result

    def move_reasons(self, marks: Marks) -> int:
        """Give the reasons version 1 kept here to their decisions in ``marks`` (one write of the marks
        file), then forget them here. Idempotent: killed between the two writes, the next call finds
        the reasons in the marks already and only forgets them here. Returns how many were moved."""
        if not self.load().exclusions:
            return 0

        def move(state: SnowballState) -> int:
            if not state.exclusions:
                return 0
            with marks.transaction():
                for exclusion in state.exclusions:
                    if exclusion.keys and exclusion.reason:
                        marks.restore_reason(exclusion.keys, exclusion.reason)
            moved = len(state.exclusions)
            state.exclusions = []
            return moved

        return self.change(move)

    def _settle(self) -> None:
        """Finish or undo what a command killed while committing this file with the library left."""
        if self.library is not None:
            from store.library import Library

            settle(self.library, Library.commit_token, self.lock_timeout)

    def _storage(self) -> WholeFileStorage:
        return WholeFileStorage(self.path, lock_timeout=self.lock_timeout, layout=SNOWBALL)

    def _state(self, storage: WholeFileStorage) -> SnowballState:
        try:
            return SnowballState.from_tables(storage.read())
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LibraryFileError(f"{self.path} is damaged ({exc}); it was left as it is") from None


def keep_round(file: SnowballFile, done: Round) -> Round | None:
    """Add a round just run to the file, numbered after the newest one there (another process may have
    added one meanwhile). A round that found nothing new is not kept: None."""
    if not done.new:
        return None

    def add(state: SnowballState) -> Round:
        number = state.next_number()
        if number != done.number:
            for candidate in done.candidates:
                if candidate.round == done.number:
                    candidate.round = number
            done.number = number
        state.rounds.append(done)
        return done

    return file.change(add)
