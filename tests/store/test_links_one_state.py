"""``Library.links`` reads one state: the record, its link list and each target's document. It asked
the reader for the current state once for the record, again for its links and again for each target,
so a catch-up (another thread's ``refresh``: the app's watcher) between two of them mixed states: a
link list of before a commit with targets as that commit left them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from store.storage.reader import Reader
from store.storage.snapshot import Snapshot

ORIGIN = Origin("test", "here")
CaughtUp = Callable[[int], AbstractContextManager[None]]
SEED = "30992990"  # (the demo article: its first citing article, 40078652, is a stub)


@pytest.fixture
def seed(lib_path: Path) -> tuple[Library, int]:
    """The demo library, open, and its seed's document id."""
    lib = Library.open(lib_path)
    doc_id = lib.find(SEED)
    assert doc_id is not None
    return lib, doc_id


@pytest.fixture
def caught_up_after(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> CaughtUp:
    """``with caught_up_after(n):`` another process has committed (the seed's first citing article made
    a full record with another title, and a new article citing the seed), and the library takes that
    commit in (another thread's ``refresh``: the app's watcher) just after the reader's ``n``-th look at
    its current state within the block."""

    @contextmanager
    def caught_up(n: int) -> Iterator[None]:
        other = Library.open(lib_path)
        with other.transaction() as changes:
            changes.put_article(Article(pmid="40078652", title="A new title", year=2025), ORIGIN)
            changes.put_article(Article(pmid="50000002", title="New", references=[Link(pmid=SEED)]), ORIGIN)
        real = Reader.current
        calls = 0

        def current(self: Reader) -> Snapshot:
            nonlocal calls
            snap = real(self)
            calls += 1
            if calls == n:
                self.refresh()  # (another thread catches up, just after this state was taken)
            return snap

        with monkeypatch.context() as patched:
            patched.setattr(Reader, "current", current)
            yield

    return caught_up


def test_links_are_read_from_one_state(seed: tuple[Library, int], caught_up_after: CaughtUp) -> None:
    lib, doc_id = seed
    before = [(v.pmid, v.title) for v in lib.links(doc_id, "cited_by")]
    with caught_up_after(2):
        assert [(v.pmid, v.title) for v in lib.links(doc_id, "cited_by")] == before
    lib.refresh()
    after = [(v.pmid, v.title) for v in lib.links(doc_id, "cited_by")]
    assert after[0] == ("40078652", "A new title") and ("50000002", "New") in after


def test_before_a_commit_its_changes_are_seen(seed: tuple[Library, int]) -> None:
    """(``before_commit`` reads the library with the transaction's changes: ``snowball --online``.)"""
    lib, doc_id = seed
    seen: list[tuple[str | None, str]] = []

    def read() -> None:
        seen.extend((v.pmid, v.title) for v in lib.links(doc_id, "cited_by"))

    with lib.transaction(before_commit=read) as changes:
        changes.put_article(Article(pmid="40078652", title="Staged", year=2025), ORIGIN)
        changes.put_article(Article(pmid="50000003", title="Also", references=[Link(pmid=SEED)]), ORIGIN)
    assert seen[0] == ("40078652", "Staged") and ("50000003", "Also") in seen


def test_link_ids_are_read_from_one_state(seed: tuple[Library, int], caught_up_after: CaughtUp) -> None:
    lib, doc_id = seed
    before = lib.link_ids(doc_id, "cited_by")
    with caught_up_after(1):
        assert lib.link_ids(doc_id, "cited_by") == before
    lib.refresh()
    assert len(lib.link_ids(doc_id, "cited_by")) == len(before) + 1
