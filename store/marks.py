"""Marks: what a user says about an article — a star, free tags, a screening decision, a short note.

Marks are the user's own work, so they are kept apart from the imported records, in a small file next
to the library (``library.json`` -> ``library.marks.json``): re-importing or rebuilding the library
never touches them, and a star toggle writes a few kilobytes, not the whole library. The file is a
TinyDB file behind the same storage as the library (``store.storage``: a header naming it a marks
file, one table, every change written at once to a temp file and renamed over the old one, a lock
against a second writer, and a file that is not a marks file refused and left as it is).

A mark is keyed by the article's identity keys (``pmid:...``, ``pmc:...``, ``doi:...``; see
``store.ids``), not by the library's document id, which a merge or a rebuild can change. Looking a mark
up with an article's keys finds it when any key matches and none contradicts (a different PMID is a
different article), so the mark follows an article that gained or lost identifiers. A mark keeps every
key it was ever given; when an article's keys bring two marks together, the next change merges them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from tinydb import TinyDB
from tinydb.table import Document, Table

from store.errors import LibraryFileError
from store.paths import library_path
from store.schema import MARKS, MARKS_TABLE
from store.wholefile import WholeFileStorage

Screening = Literal["included", "excluded"]
SCREENING_DECISIONS: tuple[Screening, ...] = ("included", "excluded")
# Identity keys of these kinds name one article each: two different values mean two articles.
_EXCLUSIVE_KINDS = ("pmid", "pmc", "doi")


def marks_path(library: str | os.PathLike[str] | None = None) -> Path:
    """The marks file beside a library: ``library.json`` -> ``library.marks.json``."""
    path = library_path(library)
    if path.suffix == ".json":
        return path.with_name(path.stem + ".marks.json")
    return path.with_name(path.name + ".marks.json")


@dataclass(frozen=True, slots=True)
class Mark:
    """The marks on one article; an unmarked article has an empty Mark (no star, tags, decision, note)."""

    keys: tuple[str, ...] = ()
    starred: bool = False
    tags: tuple[str, ...] = ()
    screening: Screening | None = None
    note: str = ""
    updated: str = ""  # when it last changed, ISO 8601 UTC

    @property
    def empty(self) -> bool:
        return not (self.starred or self.tags or self.screening or self.note)

    def has_tag(self, tag: str) -> bool:
        wanted = _tag_key(tag)
        return any(_tag_key(t) == wanted for t in self.tags)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"keys": list(self.keys)}
        if self.starred:
            doc["starred"] = True
        if self.tags:
            doc["tags"] = list(self.tags)
        if self.screening:
            doc["screening"] = self.screening
        if self.note:
            doc["note"] = self.note
        if self.updated:
            doc["updated"] = self.updated
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Mark:
        screening = doc.get("screening")
        return cls(
            keys=tuple(str(k) for k in doc.get("keys", ())),
            starred=bool(doc.get("starred", False)),
            tags=tuple(str(t) for t in doc.get("tags", ())),
            screening=screening if screening in SCREENING_DECISIONS else None,
            note=str(doc.get("note", "")),
            updated=str(doc.get("updated", "")),
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
    if doc.get("screening") is not None and doc["screening"] not in SCREENING_DECISIONS:
        return "'screening' is not a decision pmbrowse knows"
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


def combine(marks: list[Mark]) -> Mark:
    """Several marks found to be one article's, as one: nothing the user wrote is dropped.

    A star on any of them stars it; tags are united; the screening decision is the one changed last;
    distinct notes are kept, one paragraph each.
    """
    if len(marks) == 1:
        return marks[0]
    latest = sorted((m for m in marks if m.screening), key=lambda m: m.updated)
    notes = _unique(m.note for m in marks if m.note)
    return Mark(
        keys=_unique(k for m in marks for k in m.keys),
        starred=any(m.starred for m in marks),
        tags=_unique((t for m in marks for t in m.tags), _tag_key),
        screening=latest[-1].screening if latest else None,
        note="\n\n".join(notes),
        updated=max((m.updated for m in marks), default=""),
    )


class Marks:
    """The marks file of one library. Reads come from memory; each change is written at once."""

    def __init__(self, storage: WholeFileStorage) -> None:
        if storage.layout is not MARKS:
            raise ValueError("a Marks needs a storage opened with the marks layout")
        self.storage = storage
        self._db = TinyDB(storage=lambda: storage)
        self._table: Table = self._db.table(MARKS_TABLE)
        self._index: dict[str, list[int]] = {}
        self._reindex()

    @classmethod
    def open(
        cls, library: str | os.PathLike[str] | None = None, *, lock_timeout: float | None = None
    ) -> Marks:
        """The marks of the library at ``library`` (default: see ``store.paths``).

        A missing marks file is an empty one, created at the first change. A file that is not a
        pmbrowse marks file raises LibraryFileError and is never written.
        """
        return cls(WholeFileStorage(marks_path(library), lock_timeout=lock_timeout, layout=MARKS))

    @property
    def path(self) -> Path:
        return self.storage.path

    # Reading ---------------------------------------------------------------------------------

    def _docs(self) -> dict[str, dict[str, Any]]:
        table: dict[str, dict[str, Any]] = self.storage.read()[MARKS_TABLE]
        return table

    def _reindex(self) -> None:
        index: dict[str, list[int]] = {}
        for doc_id, doc in self._docs().items():
            if problem := _check_mark(doc):
                raise LibraryFileError(f"{self.path}: mark {doc_id}: {problem}; it was left as it is")
            for key in doc.get("keys", ()):
                index.setdefault(key, []).append(int(doc_id))
        self._index = index

    def _matches(self, keys: tuple[str, ...]) -> list[int]:
        """The ids of the marks that belong to the article with ``keys``, in file order."""
        docs = self._docs()
        candidates = sorted({doc_id for key in keys for doc_id in self._index.get(key, ())})
        return [i for i in candidates if same_article(docs[str(i)].get("keys", ()), keys)]

    def get(self, keys: Iterable[str]) -> Mark:
        """The marks on the article with these identity keys (an empty Mark when there are none)."""
        wanted = _unique(k for k in keys if k)
        found = [Mark.from_doc(self._docs()[str(i)]) for i in self._matches(wanted)]
        return combine(found) if found else Mark(keys=wanted)

    def all(self) -> list[Mark]:
        """Every mark, in the order they were first made."""
        docs = self._docs()
        return [Mark.from_doc(docs[k]) for k in sorted(docs, key=int)]

    def __iter__(self) -> Iterator[Mark]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._docs())

    def tags(self) -> list[str]:
        """Every tag in use, sorted."""
        return sorted(_unique((t for m in self.all() for t in m.tags), _tag_key), key=_tag_key)

    def keys_matching(
        self,
        *,
        starred: bool | None = None,
        tag: str | None = None,
        screening: Screening | None = None,
    ) -> set[str]:
        """The identity keys of the marked articles that pass every filter given.

        An article is one of them when any of its keys is in the set.
        """
        if screening is not None:
            _check_screening(screening)
        found: set[str] = set()
        for mark in self.all():
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

    def set_screening(self, keys: Iterable[str], decision: Screening | None) -> Mark:
        if decision is not None:
            _check_screening(decision)
        return self._change(keys, lambda m: replace(m, screening=decision))

    def set_note(self, keys: Iterable[str], text: str) -> Mark:
        """Replace the note; an empty text removes it."""
        note = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return self._change(keys, lambda m: replace(m, note=note))

    def _change(self, keys: Iterable[str], edit: Callable[[Mark], Mark]) -> Mark:
        """Apply ``edit`` to the article's mark and write the file, in one locked transaction."""
        wanted = _clean_keys(keys)
        try:
            with self.storage.transaction() as reloaded:
                if reloaded:
                    self._table.clear_cache()
                    self._reindex()
                ids = self._matches(wanted)
                docs = self._docs()
                current = combine([Mark.from_doc(docs[str(i)]) for i in ids]) if ids else Mark()
                changed = edit(current)
                if changed == current and len(ids) <= 1:
                    return current if ids else replace(current, keys=wanted)
                mark = replace(changed, keys=_unique((*current.keys, *wanted)), updated=_now())
                if ids:
                    self._table.remove(doc_ids=ids)
                if not mark.empty:
                    doc_id = ids[0] if ids else max((int(k) for k in docs), default=0) + 1
                    self._table.insert(Document(mark.to_doc(), doc_id=doc_id))
                return mark
        finally:
            self._reindex()


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
