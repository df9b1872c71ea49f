"""A search index that missed a commit (a kill -9 between the library's commit and the index's) is
caught up with the layers it has not seen, not rebuilt whole (``store.search.catchup``), and then
answers as a rebuilt one does."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex
from store.search.catchup import layers_of
from store.search.feed import IndexFeed, TransactionFeed
from store.search.meta import index_folder, read_meta
from store.search.query import MatchAll
from tests.conftest import ROOT
from tests.store.bulk_files import cited, pmid, pubmed_xml


def _file(path: Path, first: int, count: int, among: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    return pubmed_xml(path, [(i, cited(rng, i, among, 4)) for i in range(first, first + count)])


def _answers(index: SearchIndex) -> list[object]:
    """What the index answers: every document's row, and a few queries' hits, as sets, and their order
    by date (the years: the order of ties, and relevance's scores, depend on where tantivy holds each
    document, and it counts a replaced document's terms until its segments merge, as after any update)."""
    every = index.search(MatchAll(), limit=100_000, sort="date")
    rows = sorted((h.doc_id, h.pmid, h.title, h.year, h.journal, h.first_author, h.stub) for h in every.hits)
    queries: list[object] = []
    for q in ("cells", "record", "tests", "author7", "narwhal OR zeppelin"):
        queries.append(sorted(h.doc_id for h in index.search(q, limit=100_000).hits))
        queries.append([h.year for h in index.search(q, limit=100_000, sort="date").hits])
    return [every.total, rows, queries]


def _rebuilt(lib: Library, tmp: Path) -> list[object]:
    return _answers(SearchIndex.rebuild(lib, folder=tmp / "rebuilt.index"))


ORIGIN = Origin("test", "here")


def _put(lib: Library, **fields: object) -> None:
    with lib.transaction() as changes:
        changes.put_article(Article(**fields), ORIGIN)  # type: ignore[arg-type]


def _skip_index_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's commit after the library's does not happen (as if the process were killed there)."""
    monkeypatch.setattr(TransactionFeed, "finish", lambda self, after, changed, removed: self.abort())


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was rebuilt whole")

    monkeypatch.setattr(SearchIndex, "rebuild", rebuild)


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setattr(importer, "FLUSH_AT", 120)  # (batches: segments)
    library = Library.open(tmp_path / "lib.json")
    import_paths(library, [str(_file(tmp_path / "a.xml", 1, 300, 300))])
    assert SearchIndex.open_if_fresh(library.path) is not None
    return library


def test_a_missed_bulk_import_is_caught_up_not_rebuilt(lib: Library, tmp_path: Path, monkeypatch) -> None:
    with monkeypatch.context() as m:
        _skip_index_commits(m)
        import_paths(lib, [str(_file(tmp_path / "b.xml", 250, 200, 450, seed=8))])  # (overlaps: merges)
    assert SearchIndex.open_if_fresh(lib.path) is None  # (stale: it missed the import)
    with monkeypatch.context() as m:
        _no_rebuild(m)
        index = SearchIndex.for_library(lib)
    assert [h.pmid for h in index.search(f"{pmid(449)}[pmid]").hits] == [pmid(449)]
    assert SearchIndex.open_if_fresh(lib.path) is not None
    assert _answers(index) == _rebuilt(lib, tmp_path)


def test_missed_journal_commits_then_an_import_are_caught_up(
    lib: Library, tmp_path: Path, monkeypatch
) -> None:
    _put(lib, pmid="99000011", title="Citer", references=[Link(doi="10.5555/zz", title="Stubby")])
    _put(lib, pmid="99000012", title="Citer", references=[Link(pmid="99000013", title="Stubby")])
    stubs = {lib.find("10.5555/zz"), lib.find("99000013")}
    assert None not in stubs and len(stubs) == 2
    with monkeypatch.context() as m:
        _skip_index_commits(m)
        _put(lib, pmid="99000001", title="A quite unheard-of zeppelin title")
        _put(
            lib, pmid="99000013", doi="10.5555/zz", title="Stubby in full"
        )  # (one stub merged into the other)
        gone = {d for d in stubs if d is not None and lib.doc(d) is None}
        assert len(gone) == 1
        # (then an import: the journal's commits made a segment, a journal listing it renamed in)
        import_paths(lib, [str(_file(tmp_path / "d.xml", 600, 130, 700, seed=3))])
    with monkeypatch.context() as m:
        _no_rebuild(m)
        index = SearchIndex.for_library(lib)
    assert [h.pmid for h in index.search("zeppelin").hits] == ["99000001"]
    assert not gone & {h.doc_id for h in index.search(MatchAll(), limit=100_000).hits}
    assert [h.pmid for h in index.search("stubby").hits] == ["99000013"]
    assert _answers(index) == _rebuilt(lib, tmp_path)


def test_a_missed_fold_rebuilds_the_index(lib: Library, tmp_path: Path, monkeypatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(SearchIndex, "after_compaction", staticmethod(lambda *args: None))
        assert lib.compact(full=True)  # (a new base: every document anew)
    rebuilt = []
    real = SearchIndex.rebuild.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        SearchIndex, "rebuild", classmethod(lambda cls, *a, **k: rebuilt.append(1) or real(cls, *a, **k))
    )
    index = SearchIndex.for_library(lib)
    assert rebuilt == [1]
    assert _answers(index) == _rebuilt(lib, tmp_path)


def test_a_record_of_an_earlier_version_rebuilds(lib: Library, tmp_path: Path, monkeypatch) -> None:
    folder = index_folder(lib.path)
    meta = json.loads((folder / "pmbrowse-index.json").read_text())
    del meta["layers"]
    meta["library"][1] -= 1  # (stale, and without layers: cannot be caught up)
    (folder / "pmbrowse-index.json").write_text(json.dumps(meta))
    assert SearchIndex.catch_up(lib.path) is None


KILLED_AT_THE_INDEX = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    from store.search.feed import IndexFeed
    importer.FLUSH_AT = 120
    def commit(self, after):  # (the library committed; the index's commit is next)
        if {tantivy_first!r}:  # (tantivy's commit made, the index's record not yet written)
            self._writer.commit()
            self._writer.wait_merging_threads()
        os.kill(os.getpid(), signal.SIGKILL)
    IndexFeed.commit = commit
    import_paths(Library.open({lib!r}), [{file!r}])
    """
)


@pytest.mark.parametrize("tantivy_first", [False, True], ids=["before-tantivy", "before-record"])
def test_an_import_killed_before_its_index_commit_is_caught_up(
    lib: Library, tmp_path: Path, monkeypatch, tantivy_first: bool
) -> None:
    file = _file(tmp_path / "c.xml", 280, 300, 580, seed=11)
    script = KILLED_AT_THE_INDEX.format(
        root=str(ROOT), lib=str(lib.path), file=str(file), tantivy_first=tantivy_first
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    reopened = Library.open(lib.path)
    assert reopened.stats().records == 580  # (the import committed: the demo record and 579)
    meta = read_meta(index_folder(lib.path))
    assert meta is not None and meta["library"] != list(reopened.state)
    with monkeypatch.context() as m:
        _no_rebuild(m)
        index = SearchIndex.for_library(reopened)
    assert index.search(f"{pmid(579)}[pmid]").total == 1
    assert _answers(index) == _rebuilt(reopened, tmp_path)
    # and a write after it keeps it fresh (its update finds the index of the state before)
    _put(reopened, pmid="99000002", title="Quokka")
    assert SearchIndex.open_if_fresh(lib.path) is not None
    assert os.path.exists(index_folder(lib.path))


def test_a_missed_small_commit_is_caught_up_by_the_next_write(
    lib: Library, tmp_path: Path, monkeypatch
) -> None:
    with monkeypatch.context() as m:
        _skip_index_commits(m)
        _put(lib, pmid="99000003", title="Narwhal")
    with monkeypatch.context() as m:
        _no_rebuild(m)
        _put(lib, pmid="99000004", title="Walrus")  # (its index update finds an index of a state before)
    index = SearchIndex.open_if_fresh(lib.path)
    assert index is not None
    assert [h.pmid for h in index.search("narwhal").hits] == ["99000003"]
    assert [h.pmid for h in index.search("walrus").hits] == ["99000004"]
    assert _answers(index) == _rebuilt(lib, tmp_path)
    assert IndexFeed  # (the bulk path: test_an_import_killed_before_its_index_commit_is_caught_up)


def test_layers_are_recorded_only_at_a_commit_of_the_state(lib: Library) -> None:
    _put(lib, pmid="99000020", title="One more")
    journal = lib.path.with_name(lib.path.name + ".journal").read_bytes()
    end = lib.state[1]
    layers = layers_of(journal, end, lib.next_id)
    assert layers is not None and layers["end"] == end and len(layers["segments"]) > 1
    assert layers_of(journal, end - 3, None) is None  # (no commit ends there)
    assert layers_of(journal, end, lib.next_id + 1) is None  # (a commit of another state: another import's)
    assert layers_of(journal[: end - 1], end, None) is None


def test_a_bulk_import_over_a_stale_index_catches_it_up_and_feeds_it(
    lib: Library, tmp_path: Path, monkeypatch
) -> None:
    with monkeypatch.context() as m:
        _skip_index_commits(m)  # (a commit whose index commit was missed: a kill -9 there)
        _put(lib, pmid="99000021", title="A quite unheard-of narwhal title")
    assert SearchIndex.open_if_fresh(lib.path) is None
    import_paths(lib, [str(_file(tmp_path / "e.xml", 700, 200, 900, seed=4))])
    # The import's feed caught the index up first, then fed it and committed it: fresh, no search needed.
    assert SearchIndex.open_if_fresh(lib.path) is not None
    with monkeypatch.context() as m:
        _no_rebuild(m)
        index = SearchIndex.for_library(lib)
    assert [h.pmid for h in index.search("narwhal").hits] == ["99000021"]
    assert _answers(index) == _rebuilt(lib, tmp_path)
