"""``Library.links`` reads one state: the record, its link list and each target's document. It asked
the reader for the current state once for the record, again for its links and again for each target,
so a catch-up (another thread's ``refresh``: the app's watcher) between two of them mixed states: a
link list of before a commit with targets as that commit left them."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.storage.reader import Reader
from store.storage.snapshot import Snapshot

ORIGIN = Origin("test", "here")
SEED = "30992990"  # (the demo article: its first citing article, 40078652, is a stub)


def _commit_elsewhere(path: Path) -> None:
    """Another process's commit: the seed's first citing article made a full record with another title,
    and a new article citing the seed."""
    other = Library.open(path)
    with other.transaction() as changes:
        changes.put_article(Article(pmid="40078652", title="A new title", year=2025), ORIGIN)
        changes.put_article(Article(pmid="50000002", title="New", references=[Link(pmid=SEED)]), ORIGIN)


def test_links_are_read_from_one_state(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library.open(lib_path)
    seed = lib.find(SEED)
    assert seed is not None
    before = [(v.pmid, v.title) for v in lib.links(seed, "cited_by")]
    _commit_elsewhere(lib_path)
    real = Reader.current
    calls = 0

    def current(self: Reader) -> Snapshot:
        nonlocal calls
        snap = real(self)
        calls += 1
        if calls == 2:
            self.refresh()  # (another thread catches up, just after this state was taken)
        return snap

    monkeypatch.setattr(Reader, "current", current)
    assert [(v.pmid, v.title) for v in lib.links(seed, "cited_by")] == before
    monkeypatch.undo()
    lib.refresh()
    after = [(v.pmid, v.title) for v in lib.links(seed, "cited_by")]
    assert after[0] == ("40078652", "A new title") and ("50000002", "New") in after


def test_before_a_commit_its_changes_are_seen(lib_path: Path) -> None:
    """(``before_commit`` reads the library with the transaction's changes: ``snowball --online``.)"""
    lib = Library.open(lib_path)
    seed = lib.find(SEED)
    assert seed is not None
    seen: list[tuple[str | None, str]] = []

    def read() -> None:
        seen.extend((v.pmid, v.title) for v in lib.links(seed, "cited_by"))

    with lib.transaction(before_commit=read) as changes:
        changes.put_article(Article(pmid="40078652", title="Staged", year=2025), ORIGIN)
        changes.put_article(Article(pmid="50000003", title="Also", references=[Link(pmid=SEED)]), ORIGIN)
    assert seen[0] == ("40078652", "Staged") and ("50000003", "Also") in seen


def test_link_ids_are_read_from_one_state(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library.open(lib_path)
    seed = lib.find(SEED)
    assert seed is not None
    before = lib.link_ids(seed, "cited_by")
    _commit_elsewhere(lib_path)
    real = Reader.current
    calls = 0

    def current(self: Reader) -> Snapshot:
        nonlocal calls
        snap = real(self)
        calls += 1
        if calls == 1:
            self.refresh()  # (another thread catches up, just after this state was taken)
        return snap

    monkeypatch.setattr(Reader, "current", current)
    assert lib.link_ids(seed, "cited_by") == before
    monkeypatch.undo()
    lib.refresh()
    assert len(lib.link_ids(seed, "cited_by")) == len(before) + 1
