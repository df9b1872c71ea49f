"""Marks: what a user says about an article — a star, free tags, a screening decision, a short note.

Marks are the user's own work, so they are kept apart from the imported records, in a small file next
to the library (``library.json`` -> ``library.marks.json``): re-importing or rebuilding the library
never touches them, and a star toggle writes a few kilobytes, not the whole library. The file is a
TinyDB-layout file kept by ``store.wholefile`` (a header naming it a marks
file, one table, every change written at once to a temp file and renamed over the old one, a lock
against a second writer, and a file that is not a marks file refused and left as it is).

Screening decisions are records (``store.snowball.screening.Decision``: stage, decision, reason,
screener, time), kept in the mark as its history: a decision and its reason are one record, written in
one write of this file. ``Mark.screening`` is what the ``Marks``' viewer sees (their own decisions and
the resolutions when blind, the review's outcome otherwise; see ``store.snowball.screening``).
Several changes (``pmbrowse mark ID --star --tag T --include``) are one write: ``Marks.transaction``.
A change costs what it changes in memory (the key index is kept up to date, not rebuilt), plus the
write of the whole file (``store.wholefile``): one in a ``transaction`` of any number of changes.

Version 1 of the file kept one ``screening`` value per mark (and the exclusion reasons in the snowball
file); ``store.schema`` turns each into a final decision record of the unnamed screener, at the time
the mark last changed, and ``store.snowball.state`` moves the reasons over.

A mark is keyed by the article's identity keys (``pmid:...``, ``pmc:...``, ``doi:...``; see
``store.ids``), not by the library's document id, which a merge or a rebuild can change. Looking a mark
up with an article's keys finds it when any key matches and none contradicts (a different PMID is a
different article), so the mark follows an article that gained or lost identifiers. A mark keeps every
key it was ever given; when an article's keys bring two marks together, the next change merges them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from store.errors import LibraryFileError, PmbrowseError
from store.intent import settle
from store.paths import library_path
from store.schema import MARKS, MARKS_TABLE
from store.snowball.screening import (
    EXCLUDED,
    FULL_TEXT,
    NOT_RETRIEVED,
    STAGE_NAMES,
    TITLE_ABSTRACT,
    UNDECIDED,
    Decision,
    Resolved,
    Stage,
    Viewer,
    check_decision_doc,
    check_screener,
    check_stage,
    clean_reason,
    paired_stages,
    screener_name,
)
from store.wholefile import Fingerprint, WholeFileStorage, fingerprint

Screening = Literal["included", "excluded", "not-retrieved"]
SCREENING_DECISIONS: tuple[Screening, ...] = ("included", "excluded", "not-retrieved")
SCREENER_ENV = "PMBROWSE_SCREENER"
UNBLIND = Viewer()  # the review's outcomes, as nobody in particular sees them
# Identity keys of these kinds name one article each: two different values mean two articles.
_EXCLUSIVE_KINDS = ("pmid", "pmc", "doi")


def marks_path(library: str | os.PathLike[str] | None = None) -> Path:
    """The marks file beside a library: ``library.json`` -> ``library.marks.json``."""
    path = library_path(library)
    if path.suffix == ".json":
        return path.with_name(path.stem + ".marks.json")
    return path.with_name(path.name + ".marks.json")


# What identifies one version of the marks file (each write replaces it whole: a new inode, size or time).
MarksVersion = Fingerprint


def marks_version(library: str | os.PathLike[str] | None = None) -> MarksVersion | None:
    """The version of the marks file beside a library as it is on disk now (None: there is none), to
    tell cheaply whether another process wrote it since (the app's watcher compares two)."""
    return fingerprint(marks_path(library))


@dataclass(frozen=True, slots=True)
class Mark:
    """The marks on one article; an unmarked article has an empty Mark (no star, tags, decision, note).

    ``decisions``: every screening decision recorded on it, oldest first. ``screening``, ``stage`` and
    ``reason``: the decision the ``Marks``' viewer sees at the latest stage where they see one (None:
    undecided, for them). ``awaiting``: a decision recorded but awaiting the second screener, for a
    viewer who sees the review's outcomes (``store.snowball.screening.Status``)."""

    keys: tuple[str, ...] = ()
    starred: bool = False
    tags: tuple[str, ...] = ()
    screening: Screening | None = None
    note: str = ""
    updated: str = ""  # when it last changed, ISO 8601 UTC
    decisions: tuple[Decision, ...] = ()
    stage: Stage | None = None
    reason: str = ""
    awaiting: Decision | None = None

    @property
    def empty(self) -> bool:
        return not (self.starred or self.tags or self.decisions or self.note)

    def has_tag(self, tag: str) -> bool:
        wanted = _tag_key(tag)
        return any(_tag_key(t) == wanted for t in self.tags)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"keys": list(self.keys)}
        if self.starred:
            doc["starred"] = True
        if self.tags:
            doc["tags"] = list(self.tags)
        if self.decisions:
            doc["decisions"] = [d.to_doc() for d in self.decisions]
        if self.note:
            doc["note"] = self.note
        if self.updated:
            doc["updated"] = self.updated
        return doc

    @classmethod
    def from_doc(
        cls, doc: dict[str, Any], viewer: Viewer = UNBLIND, decisions: tuple[Decision, ...] | None = None
    ) -> Mark:
        """The mark a stored document holds, as ``viewer`` sees it (``decisions``: its records, already
        read from ``doc``)."""
        if decisions is None:
            decisions = tuple(Decision.from_doc(d) for d in doc.get("decisions", ()))
        return cls(
            keys=tuple(str(k) for k in doc.get("keys", ())),
            starred=bool(doc.get("starred", False)),
            tags=tuple(str(t) for t in doc.get("tags", ())),
            note=str(doc.get("note", "")),
            updated=str(doc.get("updated", "")),
            decisions=decisions,
        ).seen_by(viewer)

    def seen_by(self, viewer: Viewer) -> Mark:
        """This mark with ``screening``, ``stage`` and ``reason`` as ``viewer`` sees them."""
        status = viewer.status(self.decisions)
        screening: Screening | None = None
        for known in SCREENING_DECISIONS:
            if status.screening == known:
                screening = known
        return replace(
            self, screening=screening, stage=status.stage, reason=status.reason, awaiting=status.awaiting
        )


def _check_mark(doc: dict[str, Any]) -> str:
    """What is wrong with a stored mark, or "" (a damaged marks file is refused, not half read)."""
    for key in ("keys", "tags"):
        value = doc.get(key, [])
        if type(value) is not list or not all(type(v) is str for v in value):
            return f"{key!r} is not a list of text"
    for key in ("note", "updated"):
        if type(doc.get(key, "")) is not str:
            return f"{key!r} is not text"
    if type(doc.get("starred", False)) is not bool:
        return "'starred' is not true or false"
    decisions = doc.get("decisions", [])
    if type(decisions) is not list:
        return "'decisions' is not a list"
    if problem := next((p for record in decisions if (p := check_decision_doc(record))), ""):
        return problem
    if "screening" in doc:
        return "'screening' belongs to a version 1 marks file"
    return ""


def _tag_key(tag: str) -> str:
    return tag.casefold()


def clean_tag(tag: str) -> str:
    """A tag as stored: one word, spaces become hyphens (so ``tag:NAME`` can find it in a search);
    an empty tag is an error."""
    cleaned = "-".join(tag.split())
    if not cleaned:
        raise ValueError("a tag cannot be empty")
    return cleaned


def _kind(key: str) -> str:
    return key.partition(":")[0]


def _unique(values: Iterable[str], key: Callable[[str], str] = lambda v: v) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(key(value), value)
    return tuple(seen.values())


def same_article(mark_keys: Iterable[str], keys: Iterable[str]) -> bool:
    """Whether a mark's keys and an article's keys name the same article: one key in common, and no kind
    of identifier (PMID, PMCID, DOI) that both have with no value in common."""
    mine, theirs = set(mark_keys), set(keys)
    if not mine & theirs:
        return False
    for kind in _EXCLUSIVE_KINDS:
        a = {k for k in mine if _kind(k) == kind}
        b = {k for k in theirs if _kind(k) == kind}
        if a and b and not a & b:
            return False
    return True


def combine(marks: list[Mark], viewer: Viewer = UNBLIND) -> Mark:
    """Several marks found to be one article's, as one: nothing the user wrote is dropped.

    A star on any of them stars it; tags are united; decision records are put together in the order
    they were made (the same record twice is kept once); distinct notes are kept, one paragraph each.
    """
    if len(marks) == 1:
        return marks[0]
    notes = _unique(m.note for m in marks if m.note)
    records = sorted(dict.fromkeys(d for m in marks for d in m.decisions), key=lambda d: d.at)
    return Mark(
        keys=_unique(k for m in marks for k in m.keys),
        starred=any(m.starred for m in marks),
        tags=_unique((t for m in marks for t in m.tags), _tag_key),
        note="\n\n".join(notes),
        updated=max((m.updated for m in marks), default=""),
        decisions=tuple(records),
    ).seen_by(viewer)


class ScreenerNameError(PmbrowseError, ValueError):
    """A screener's name that cannot be one (``unnamed``, which is how no name is shown)."""


def default_screener(screener: str | None = None) -> str:
    """The screener: the name given, else ``PMBROWSE_SCREENER``, else the unnamed screener (""); one line
    of printable text (``store.snowball.screening.check_screener``). ``ScreenerNameError`` for
    ``unnamed``."""
    given = screener is not None
    if screener is None:
        screener = os.environ.get(SCREENER_ENV, "")
    try:
        return check_screener(screener)
    except ValueError as exc:
        where = "--screener" if given else SCREENER_ENV
        raise ScreenerNameError(f"{where}: {exc}") from None


class Marks:
    """The marks file of one library. Reads come from memory; each change is written at once, or once
    at the end of a ``transaction``.

    ``screener``: who records decisions here (see ``default_screener``); ``blind`` (default: when a
    screener is named): ``Mark.screening`` shows that screener's own decisions and the resolutions only.
    """

    def __init__(
        self, storage: WholeFileStorage, *, screener: str | None = None, blind: bool | None = None
    ) -> None:
        if storage.layout is not MARKS:
            raise ValueError("a Marks needs a storage opened with the marks layout")
        self.storage = storage
        self.screener = default_screener(screener)
        self.blind = bool(self.screener) if blind is None else blind
        self._index: dict[str, list[int]] = {}
        self._parsed: dict[int, tuple[Decision, ...]] = {}  # each mark's decision records, read once
        self._votes: dict[tuple[Stage, str], int] = {}  # (stage, named screener) -> their own decisions
        self._viewer = Viewer(self.screener, self.blind)
        self._last_id = 0
        self._indexed: object = None  # the storage's data the index was built from
        self._docs()

    @classmethod
    def open(
        cls,
        library: str | os.PathLike[str] | None = None,
        *,
        lock_timeout: float | None = None,
        screener: str | None = None,
        blind: bool | None = None,
    ) -> Marks:
        """The marks of the library at ``library`` (default: see ``store.paths``).

        A missing marks file is an empty one, created at the first change. A file that is not a
        pmbrowse marks file raises LibraryFileError and is never written.
        """
        from store.library import Library

        settle(library_path(library), Library.commit_token, lock_timeout)  # (killed mid-commit: store.intent)
        storage = WholeFileStorage(marks_path(library), lock_timeout=lock_timeout, layout=MARKS)
        return cls(storage, screener=screener, blind=blind)

    @property
    def path(self) -> Path:
        return self.storage.path

    def version(self) -> MarksVersion | None:
        """This marks file's version on disk now (``marks_version``): taken after a write, it tells
        the app's watcher that the change it will see is this process's own."""
        return fingerprint(self.path)

    @property
    def viewer(self) -> Viewer:
        """How this screener sees the decisions (blind or not), with the review's two-screener stages."""
        self._docs()
        return self._viewer

    @property
    def paired(self) -> frozenset[Stage]:
        """The review's two-screener stages: those where two named screeners have decided (see
        ``store.snowball.screening``)."""
        return self.viewer.paired

    def _count_votes(self, records: tuple[Decision, ...], sign: int) -> None:
        for record in records:
            if record.vote:
                key = (record.stage, record.screener)
                self._votes[key] = self._votes.get(key, 0) + sign
                if not self._votes[key]:
                    del self._votes[key]
        paired = paired_stages(self._votes)
        if paired != self._viewer.paired:
            self._viewer = Viewer(self.screener, self.blind, paired)

    # Reading ---------------------------------------------------------------------------------

    def _docs(self) -> dict[str, dict[str, Any]]:
        """The marks by id. The key index is built from the storage's data when that data is new (the
        file was read, re-read after another process wrote it, or rolled back after a failed write);
        changes made here keep it up to date as they go."""
        data = self.storage.read()
        if data is not self._indexed:
            self._reindex(data)
        table: dict[str, dict[str, Any]] = data[MARKS_TABLE]
        return table

    def _reindex(self, data: dict[str, dict[str, Any]]) -> None:
        index: dict[str, list[int]] = {}
        self._parsed = {}
        self._votes = {}
        for doc_id, doc in data[MARKS_TABLE].items():
            if problem := _check_mark(doc):
                raise LibraryFileError(f"{self.path}: mark {doc_id}: {problem}; it was left as it is")
            for key in doc.get("keys", ()):
                index.setdefault(key, []).append(int(doc_id))
            if doc.get("decisions"):
                try:
                    self._parsed[int(doc_id)] = tuple(Decision.from_doc(d) for d in doc["decisions"])
                except ValueError as exc:
                    raise LibraryFileError(
                        f"{self.path}: mark {doc_id}: {exc}; it was left as it is"
                    ) from None
        self._index = index
        self._last_id = max((int(k) for k in data[MARKS_TABLE]), default=0)
        self._indexed = data
        self._viewer = Viewer(self.screener, self.blind)
        for records in self._parsed.values():
            self._count_votes(records, 1)

    def _matches(self, keys: tuple[str, ...]) -> list[int]:
        """The ids of the marks that belong to the article with ``keys``, in file order."""
        docs = self._docs()
        candidates = sorted({doc_id for key in keys for doc_id in self._index.get(key, ())})
        return [i for i in candidates if same_article(docs[str(i)].get("keys", ()), keys)]

    def _mark(self, doc_id: int, doc: dict[str, Any]) -> Mark:
        return Mark.from_doc(doc, self._viewer, self._parsed.get(doc_id, ()))

    def get(self, keys: Iterable[str]) -> Mark:
        """The marks on the article with these identity keys (an empty Mark when there are none)."""
        wanted = _unique(k for k in keys if k)
        docs = self._docs()
        found = [self._mark(i, docs[str(i)]) for i in self._matches(wanted)]
        return combine(found, self._viewer) if found else Mark(keys=wanted)

    def all(self) -> list[Mark]:
        """Every mark, in the order they were first made."""
        docs = self._docs()
        return [self._mark(int(k), docs[k]) for k in sorted(docs, key=int)]

    def screenings(self) -> list[tuple[tuple[str, ...], tuple[Decision, ...]]]:
        """Every mark with decisions: its keys and its decision records (no one's view of them), in the
        order the marks were first made. What the review's counts read."""
        docs = self._docs()
        return [
            (tuple(docs[str(i)]["keys"]), records)
            for i, records in sorted(self._parsed.items())
            if records and str(i) in docs
        ]

    def __iter__(self) -> Iterator[Mark]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._docs())

    def tags(self) -> list[str]:
        """Every tag in use, sorted."""
        return sorted(_unique((t for m in self.all() for t in m.tags), _tag_key), key=_tag_key)

    def reasons(self) -> list[str]:
        """Every exclusion reason given so far, in the order first given."""
        return list(
            _unique(
                (d.reason for m in self.all() for d in m.decisions if d.reason),
                str.casefold,
            )
        )

    def keys_matching(
        self,
        *,
        starred: bool | None = None,
        tag: str | None = None,
        screening: Screening | None = None,
        viewer: Viewer | None = None,
    ) -> set[str]:
        """The identity keys of the marked articles that pass every filter given.

        An article is one of them when any of its keys is in the set. ``screening`` is the decision
        ``viewer`` sees (default: this screener; ``self.viewer.review()``: the review's outcome).
        """
        if screening is not None:
            _check_screening(screening)
        found: set[str] = set()
        marks = self.all()
        if viewer is not None:
            marks = [m.seen_by(viewer) for m in marks]
        for mark in marks:
            if starred is not None and mark.starred != starred:
                continue
            if tag is not None and not mark.has_tag(tag):
                continue
            if screening is not None and mark.screening != screening:
                continue
            found.update(mark.keys)
        return found

    def search_filter(self, kind: str, value: str) -> set[str]:
        """The keys a search filter selects (see ``store.search.query``): ``("mark", "starred")``,
        ``("mark", "included")``, ``("tag", "to-read")``, ``("has", "note")``, ``("has", "tags")``."""
        if kind == "tag":
            return self.keys_matching(tag=value)
        if kind in ("mark", "is") and value == "starred":
            return self.keys_matching(starred=True)
        if kind in ("mark", "is") and value in SCREENING_DECISIONS:
            return self.keys_matching(screening=value)  # type: ignore[arg-type]
        if kind == "has" and value in ("note", "tags"):
            return {key for m in self.all() if (m.note if value == "note" else m.tags) for key in m.keys}
        return set()

    # Writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Marks]:
        """Several changes, one write: every change inside is written at the end, at once, or none is
        (an error inside leaves the file as it was). Holds the file's lock meanwhile."""
        with self._named_errors(), self.storage.transaction():
            self._docs()
            yield self

    @contextlib.contextmanager
    def _named_errors(self) -> Iterator[None]:
        """An error writing the file names it (``No space left on device (.../library.marks.json)``)."""
        try:
            yield
        except OSError as exc:
            if exc.filename is None and exc.errno is not None:
                raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
            raise

    def set_star(self, keys: Iterable[str], starred: bool = True) -> Mark:
        return self._change(keys, lambda m: replace(m, starred=starred))

    def toggle_star(self, keys: Iterable[str]) -> Mark:
        return self._change(keys, lambda m: replace(m, starred=not m.starred))

    def add_tag(self, keys: Iterable[str], tag: str) -> Mark:
        tag = clean_tag(tag)
        return self._change(keys, lambda m: m if m.has_tag(tag) else replace(m, tags=(*m.tags, tag)))

    def remove_tag(self, keys: Iterable[str], tag: str) -> Mark:
        unwanted = _tag_key(clean_tag(tag))
        return self._change(
            keys, lambda m: replace(m, tags=tuple(t for t in m.tags if _tag_key(t) != unwanted))
        )

    def set_screening(
        self,
        keys: Iterable[str],
        decision: Screening | None,
        *,
        reason: str | None = None,
        stage: Stage | None = None,
        final: bool = False,
    ) -> Mark:
        """Record this screener's decision (None: undecided, taking an earlier one back) at ``stage``,
        with its reason (exclusions only), in one write.

        ``stage`` defaults to the stage of the decision the screener sees now (so taking back a
        full-text decision takes back that one), else title-abstract; not-retrieved is always at
        full text. ``final``: a resolution (see ``store.snowball.screening``). Recording what the
        screener's own decision there already is (an exclusion without a reason over one with a reason
        included) changes nothing: no record is added. In a two-screener stage, a decision on an
        article a resolution settled is refused (``Resolved``: a resolution stands until it is
        resolved again)."""
        if decision is not None:
            _check_screening(decision)
        why = clean_reason(reason)
        if why and decision != EXCLUDED:
            raise ValueError("only an exclusion has a reason")
        wanted_stage = check_stage(stage) if stage is not None else None

        def decide(mark: Mark) -> Mark:
            at = wanted_stage or (FULL_TEXT if decision == NOT_RETRIEVED else mark.stage or TITLE_ABSTRACT)
            if not final and (settled := self._viewer.resolution(mark.decisions, at)) is not None:
                raise Resolved(resolved_text(mark.keys, settled))
            seen, seen_reason = self._viewer.own().visible(mark.decisions, at)
            if not final and seen == decision and (decision != EXCLUDED or seen_reason == why or not why):
                return mark
            record = Decision(at, decision or UNDECIDED, why, self.screener, _now(), final)
            return replace(mark, decisions=(*mark.decisions, record))

        return self._change(keys, decide)

    def restore_reason(self, keys: Iterable[str], reason: str) -> Mark:
        """Version 1 kept exclusion reasons in the snowball file, apart from the decisions (see
        ``store.snowball.state.SnowballFile.move_reasons``): give the reason back to its decision.

        The latest exclusion without a reason takes it; a mark that already holds the reason is left
        as it is; otherwise (the article was excluded once, then included or taken back: version 1 kept
        the stale reason) it becomes a record of that earlier exclusion, before every other record, so
        the history keeps it and nothing the review decided since changes."""
        why = clean_reason(reason)

        def give(mark: Mark) -> Mark:
            records = list(mark.decisions)
            if not why or any(d.reason.casefold() == why.casefold() for d in records):
                return mark
            for n in range(len(records) - 1, -1, -1):
                if records[n].decision == EXCLUDED and not records[n].reason:
                    records[n] = replace(records[n], reason=why)
                    return replace(mark, decisions=tuple(records))
            earlier = [Decision(TITLE_ABSTRACT, EXCLUDED, why, final=True)]
            if not records:  # (excluded once, undecided now)
                earlier.append(Decision(TITLE_ABSTRACT, UNDECIDED, final=True))
            return replace(mark, decisions=(*earlier, *records))

        return self._change(keys, give)

    def set_note(self, keys: Iterable[str], text: str) -> Mark:
        """Replace the note; an empty text removes it."""
        note = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return self._change(keys, lambda m: replace(m, note=note))

    def _change(self, keys: Iterable[str], edit: Callable[[Mark], Mark]) -> Mark:
        """Apply ``edit`` to the article's mark and write the file, in one locked transaction (or in the
        ``transaction`` this runs inside)."""
        wanted = _clean_keys(keys)
        with self._named_errors(), self.storage.transaction():
            ids = self._matches(wanted)
            docs = self._docs()
            current = combine([self._mark(i, docs[str(i)]) for i in ids], self._viewer) if ids else Mark()
            changed = edit(current)
            if changed == current and len(ids) <= 1:
                return current if ids else replace(current, keys=wanted)
            mark = replace(changed, keys=_unique((*current.keys, *wanted)), updated=_now())
            for doc_id in ids:
                self._forget(doc_id, docs.pop(str(doc_id)))
            if not mark.empty:
                doc_id = ids[0] if ids else self._last_id + 1
                docs[str(doc_id)] = doc = mark.to_doc()
                self._remember(doc_id, doc)
                if mark.decisions:
                    self._parsed[doc_id] = mark.decisions
                    self._count_votes(mark.decisions, 1)
            self.storage.write(self.storage.read())  # (the same data, changed in place: written at the end)
            return mark.seen_by(self._viewer)

    def _forget(self, doc_id: int, doc: dict[str, Any]) -> None:
        self._count_votes(self._parsed.pop(doc_id, ()), -1)
        for key in doc.get("keys", ()):
            ids = self._index.get(key, [])
            if doc_id in ids:
                ids.remove(doc_id)
            if not ids:
                self._index.pop(key, None)

    def _remember(self, doc_id: int, doc: dict[str, Any]) -> None:
        for key in doc.get("keys", ()):
            ids = self._index.setdefault(key, [])
            if doc_id not in ids:
                ids.append(doc_id)
                ids.sort()
        self._last_id = max(self._last_id, doc_id)


def resolved_text(keys: Iterable[str], settled: Decision) -> str:
    """Why a decision on a resolved article is refused, in one line."""
    label = next(iter(keys), "the article").partition(":")[2] or "the article"
    what = settled.decision + (f" ({settled.reason})" if settled.reason else "")
    return (
        f"{label} was resolved at {STAGE_NAMES[settled.stage]} as {what} by "
        f"{screener_name(settled.screener)}: in a two-screener review a resolution stands until it is "
        "resolved again (pmbrowse snowball resolve ID --as DECISION)"
    )


def _clean_keys(keys: Iterable[str]) -> tuple[str, ...]:
    if isinstance(keys, str):
        raise TypeError("give a list of identity keys, not one string")
    cleaned = _unique(k for k in keys if k)
    if not cleaned:
        raise ValueError("an article without identity keys cannot be marked")
    return cleaned


def _check_screening(decision: str) -> None:
    if decision not in SCREENING_DECISIONS:
        raise ValueError(f"a screening decision is one of {', '.join(SCREENING_DECISIONS)}, not {decision!r}")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["Mark", "Marks", "Screening", "marks_path"]
