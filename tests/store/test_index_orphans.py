"""Files of the search index that no commit of it lists, left by a writer killed before its commit (a
``kill -9`` of an import while it indexes, or of a catch-up: stop 35). tantivy removes them at a
writer's next commit; a writer killed again before its own commit left its files beside them, so each
killed run added its share (three killed imports of the 10k bench file: three orphaned segments). A
catch-up's writer now removes them as it opens (``store.search.catchup``), under the index's lock:
tantivy's own collection, which removes only the files its ``.managed.json`` lists and its
``meta.json`` does not."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.lock import write_lock
from store.model import Article, Origin
from store.search import SearchIndex, catchup, feed, writer
from store.search.feed import TransactionFeed
from store.search.meta import index_folder
from tests.conftest import ROOT

XML = ROOT / "tests" / "data" / "pubmed_xml"


def _segment_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if len(p.name.split(".")[0]) == 32}


def _listed(folder: Path) -> set[str]:
    """The segments tantivy's own meta.json lists (their ids as its files are named)."""
    meta = json.loads((folder / "meta.json").read_text())
    return {segment["segment_id"].replace("-", "") for segment in meta["segments"]}


def _killed_writer(folder: Path) -> None:
    """A writer of the index at ``folder`` killed -9 once its new segment has files on disk."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from store.search.index import SearchIndex
        from store.search.fields import index_document
        from store.search.writer import open_writer
        folder = {str(folder)!r}
        before = set(os.listdir(folder))
        writer = open_writer(SearchIndex._open_folder(folder))
        n = 0
        while not {{f for f in set(os.listdir(folder)) - before if len(f.split(".")[0]) == 32}}:
            n += 1
            writer.add_document(index_document(100000 + n, {{"title": f"orphan {{n}} " * 200}}))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False)
    assert proc.returncode == -9, proc.stderr.decode()


def _orphaned(tmp_path: Path) -> tuple[Library, Path, set[str]]:
    """A library whose search index holds the files of two writers killed before their commit: the
    library, the index's folder and those files."""
    lib = Library.open(tmp_path / "library.json", demo=False)
    import_paths(lib, [str(XML / "variants.xml")])
    SearchIndex.for_library(lib)
    folder = index_folder(lib.path)
    for _ in range(2):
        _killed_writer(folder)
    orphans = {n for n in _segment_files(folder) if n.split(".")[0] not in _listed(folder)}
    assert len({n.split(".")[0] for n in orphans}) == 2, sorted(orphans)  # (one a killed writer)
    return lib, folder, orphans


def test_a_catch_up_removes_what_killed_writers_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib, folder, orphans = _orphaned(tmp_path)
    with monkeypatch.context() as m:  # (a commit the index misses, as if killed after the library's)
        m.setattr(TransactionFeed, "finish", lambda self, after, changed, removed: self.abort())
        with lib.transaction() as changes:
            changes.put_article(Article(pmid="99000001", title="A zeppelin"), Origin("test", "here"))
    real = catchup.open_writer

    class Cut:
        """The catch-up's writer, its commit cut short (the catch-up killed there)."""

        def __init__(self, index: object, **how: bool) -> None:
            self.writer = real(index, **how)

        def __getattr__(self, name: str) -> object:
            return getattr(self.writer, name)

        def commit(self) -> None:
            raise ValueError("killed here")

    with monkeypatch.context() as m, write_lock(folder):
        m.setattr(catchup, "open_writer", Cut)
        assert catchup.catch_up(lib.path, lambda: SearchIndex._open_folder(folder)) is None
    assert not _segment_files(folder) & orphans, sorted(_segment_files(folder) & orphans)
    index = SearchIndex.for_library(lib)  # (caught up now)
    assert [h.pmid for h in index.search("zeppelin").hits] == ["99000001"]
    assert {n.split(".")[0] for n in _segment_files(folder)} == _listed(folder)
    assert index.search("orphan").total == 0
    lib.close()


def test_an_import_removes_what_killed_writers_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import's writer collects as it opens (``open_writer(collect=True)``): the files of two killed
    writers are gone before it writes (not only at its commit, which a third kill would not reach)."""
    lib, folder, orphans = _orphaned(tmp_path)
    real = feed.open_writer
    seen: list[set[str]] = []

    def opened(index: object, **how: bool) -> object:
        writer = real(index, **how)
        seen.append(_segment_files(folder))  # (as the import's writer has opened, before it writes)
        return writer

    monkeypatch.setattr(feed, "open_writer", opened)
    monkeypatch.setattr(importer, "FLUSH_AT", 1)  # (a bulk import: its index fed as its batches go)
    import_paths(lib, [str(XML / "baseline_style.xml")])
    assert len(seen) == 1
    assert not seen[0] & orphans, sorted(seen[0] & orphans)
    lib.close()


def test_a_collection_that_fails_lets_the_index_go(tmp_path: Path) -> None:
    """A writer whose collection raised (a full disk, a read-only folder) is let go at once: tantivy's
    ``rollback`` keeps its lock, and the error's traceback keeps the writer, so the rebuild or the next
    writer of the handler that caught it found the index locked (LockBusy)."""
    index = SearchIndex.for_library(Library.open(tmp_path / "library.json"))._index

    class Failing:
        def __init__(self, writer: object) -> None:
            self.writer = writer

        def garbage_collect_files(self) -> None:
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.writer, name)

    class Index:
        def writer(self, **how: object) -> Failing:
            return Failing(index.writer(**how))

    with pytest.raises(OSError) as caught:
        writer.open_writer(Index(), collect=True)
    assert caught.value.errno == 28  # (the error kept, as a handler holds it)
    writer.let_go(writer.open_writer(index))  # (not LockBusy)
