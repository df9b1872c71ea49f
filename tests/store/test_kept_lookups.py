"""A bulk import keeps the library's answers (identity-key look-ups, documents' meta) from one batch to
the next (``Changes._forget``), but for those the batch's own writes made untrue: the library it makes
is the one it made when each batch asked the library again."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import store.changes as changes_module
import store.importer as importer
from store.changes import Changes
from store.heldkeys import UNKNOWN
from store.importer import import_paths
from store.library import Library
from store.model import Article, Link, Origin
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.test_bulk_import import _everything
from tests.store.test_crash_consistency import assert_links_agree

ORIGIN = Origin("test", "kept")


def _first(changes: Changes) -> None:
    """Committed alone before: record 1 (PMID 1); a link makes a stub of PMID 2 with DOI 10.1/d (a
    higher id); another a stub of PMID 7 with DOI 10.1/g."""
    changes.put_article(Article(pmid="1", title="One", year=2001), ORIGIN)
    changes.put_article(
        Article(pmid="3", title="Three", year=2003, references=[Link(pmid="2", doi="10.1/d")]), ORIGIN
    )
    changes.put_article(
        Article(pmid="8", title="Eight", year=2008, references=[Link(pmid="7", doi="10.1/g")]), ORIGIN
    )


def _batches(changes: Changes) -> Iterator[None]:
    """Then one unit of work in four batches (each step ends with a ``flush``)."""
    # 1: the DOIs and the stub's PMID looked up in the library.
    changes.put_article(
        Article(pmid="4", title="Four", year=2004, references=[Link(doi="10.1/d"), Link(pmid="7")]), ORIGIN
    )
    yield
    # 2: record 1 gains the DOI (the stub of PMID 2 names another article: no merge), so the DOI's
    # holder is record 1 now (the lowest id holding it), not the stub. PMID 9's full record, with
    # the DOI of the stub of PMID 7.
    changes.put_article(Article(pmid="1", doi="10.1/d", title="One", year=2001), ORIGIN)
    changes.put_article(Article(pmid="9", doi="10.1/g", title="Nine", year=2009), ORIGIN)
    yield
    # 3: the DOI again; PMID 7's full record, whose DOI is the stub's: PMID 9's record.
    changes.put_article(
        Article(pmid="5", title="Five", year=2005, references=[Link(doi="10.1/d"), Link(pmid="7")]), ORIGIN
    )
    changes.put_article(Article(pmid="7", doi="10.1/g", title="Seven", year=2007), ORIGIN)
    yield
    changes.put_article(
        Article(pmid="6", title="Six", year=2006, references=[Link(pmid="7"), Link(doi="10.1/g")]), ORIGIN
    )


def _build(path: Path, check: Callable[[Library, Changes], None] | None = None) -> Library:
    lib = Library.open(path)
    with lib.transaction() as first:
        _first(first)
    with lib.transaction() as changes:
        for _ in _batches(changes):
            changes.flush()
            if check is not None:
                check(lib, changes)
    return lib


def _agrees(lib: Library, changes: Changes) -> None:
    """Every answer kept is what the library answers now (but for keys the unit of work gave or took,
    which it answers itself, first)."""
    for key, doc_id in changes._answers.keys.items():
        gave = key in changes._keys or changes._held.get(key) != UNKNOWN  # (in this batch, or before)
        assert gave or lib.lookup(key) == doc_id, key
    for doc_id, meta in changes._meta.items():
        assert lib.meta(doc_id) == meta, doc_id


def test_answers_kept_across_batches_are_those_the_library_gives(tmp_path: Path) -> None:
    kept = _build(tmp_path / "kept.json", _agrees)
    assert kept.lookup("doi:10.1/d") == kept.lookup("pmid:1")
    five = kept.lookup("pmid:5")
    assert five is not None
    assert kept.lookup("pmid:1") in kept.link_ids(five, "references")


def test_a_library_built_with_answers_kept_is_the_one_built_asking_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = _build(tmp_path / "kept.json")
    monkeypatch.setattr(changes_module, "KEPT", 0)  # (nothing kept: every batch asks the library)
    asked = _build(tmp_path / "asked.json")
    assert _everything(kept) == _everything(asked)
    assert_links_agree(kept)


def test_a_batched_import_keeps_only_true_answers_and_stores_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    first = pubmed_xml(tmp_path / "a.xml", [(i, cited(rng, i, 300, 6)) for i in range(1, 301)])
    # (overlapping records, and links to records not there yet: stubs that records take over later)
    second = pubmed_xml(tmp_path / "b.xml", [(i, cited(rng, i, 700, 5)) for i in range(250, 600)])
    monkeypatch.setattr(importer, "FLUSH_AT", 150)
    flush = Changes.flush
    flushes = []

    def checked(self: Changes) -> None:
        flush(self)
        flushes.append(len(self._answers.keys))
        _agrees(self._lib, self)  # type: ignore[arg-type]

    monkeypatch.setattr(Changes, "flush", checked)
    # (the second file by a command of its own: the library then answers for the first's records; in
    # one command every key would be the import's own, which it holds, not the library's answers)
    kept = Library.open(tmp_path / "kept.json")
    reports = [*import_paths(kept, [str(first)]), *import_paths(kept, [str(second)])]
    assert len(flushes) > 5 and max(flushes) > 100
    monkeypatch.setattr(Changes, "flush", flush)
    monkeypatch.setattr(changes_module, "KEPT", 0)
    asked = Library.open(tmp_path / "asked.json")
    again = [*import_paths(asked, [str(first)]), *import_paths(asked, [str(second)])]
    assert [(r.added, r.merged, r.stubs) for r in reports] == [(r.added, r.merged, r.stubs) for r in again]
    assert _everything(kept) == _everything(asked)


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(changes_module, "KEPT", 8)
    lib = Library.open(tmp_path / "lib.json")
    with lib.transaction() as first:
        for i in range(1, 40):
            first.put_article(Article(pmid=str(i), title=f"Record {i}"), ORIGIN)
    with lib.transaction() as changes:
        for i in range(1, 40):
            assert changes.lookup(f"pmid:{i}") is not None
        changes.flush()
        assert list(changes._answers.keys) == [f"pmid:{i}" for i in range(32, 40)]  # (the newest)


def test_a_key_no_document_holds_is_not_kept_among_the_library_s_answers(tmp_path: Path) -> None:
    # (nearly every such key is then taken by the record or stub the batch makes, which the import holds
    # from then on and asks first: kept, it was put into the table and taken out again for nothing; one
    # not taken is asked again: ``KeptKeys.holder``'s ``keep_none``)
    lib = Library.open(tmp_path / "lib.json")
    with lib.transaction() as first:
        first.put_article(Article(pmid="9", title="Nine"), ORIGIN)
    with lib.transaction() as changes:
        for i in range(1, 6):
            assert changes.lookup(f"pmid:{i}") is None  # (asked of the library, which holds none)
        nine = changes.lookup("pmid:9")
        changes.put_links(Link(pmid="1"), "references", [Link(pmid="2")])  # (stubs take pmid:1 and 2)
        changes.flush()
        assert list(changes._answers.keys) == ["pmid:9"]  # (the one answer that is a document's)
        assert changes.lookup("pmid:3") is None and changes.lookup("pmid:9") == nine  # (asked again: None)
        one, two = changes.lookup("pmid:1"), changes.lookup("pmid:2")
        assert one is not None and two is not None and changes._held.get("pmid:1") == one
    assert lib.link_ids(one, "references") == [two]
