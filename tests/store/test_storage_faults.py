"""Storage faults found while preparing the scale issue: each test failed before its fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from store import importer
from store.errors import LibraryFileError
from store.importer import import_paths
from store.library import Library
from store.marks import Marks
from store.model import Article, Origin
from store.search import SearchIndex
from store.search.index import index_folder
from tests.conftest import PAGES, ROOT

BIG_IMPORT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from store import importer
    from store.importer import import_paths
    from store.library import Library
    importer.PARALLEL_BYTES = 1  # parse in a child, as for a file of 4 MB or more
    real = importer._events_from_child
    def slow(source, on_read, *idle):
        for event in real(source, on_read, *idle):
            open({marker!r}, "w").close()
            time.sleep(60)  # killed here: the child is alive and blocked on its pipe
            yield event
    importer._events_from_child = slow
    import_paths(Library.open({lib!r}), [{page!r}])
    """
)


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the child")
def test_kill_9_of_an_import_leaves_no_child_holding_the_lock(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    marker = tmp_path / "reading"
    script = BIG_IMPORT.format(
        root=str(ROOT), marker=str(marker), lib=str(lib_path), page=str(PAGES / "zero_citations.txt")
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    children = _children_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while any(
        Path(f"/proc/{c}").exists() and "Z" not in (Path(f"/proc/{c}/stat").read_text().split()[2:3])
        for c in children
    ):
        assert time.monotonic() < deadline, "the parser child outlived its parent"
        time.sleep(0.05)
    # The lock is free at once: a writer is not told "busy".
    lib = Library.open(lib_path, lock_timeout=0.5)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="77", title="After the kill"), Origin("test"))


def test_a_failed_index_rebuild_leaves_no_half_built_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(tmp_path / "library.json")
    folder = index_folder(lib.path)
    stale = folder.with_name(f".{folder.name}.99999.building")
    stale.mkdir()  # left by a rebuild that was killed
    (stale / "segment").write_bytes(b"x" * 1000)

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr("store.search.index.add_to", disk_full)
        with pytest.raises(OSError):
            SearchIndex.rebuild(lib)
    assert not list(tmp_path.glob(".*.building"))  # neither the stale one nor its own
    assert SearchIndex.for_library(lib).search("exosomes").total >= 1


def test_an_index_without_tantivys_meta_is_not_taken_for_fresh(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    index = SearchIndex.for_library(lib)
    full = index.search("is:full").total
    assert full == 1
    (index_folder(lib.path) / "meta.json").unlink()
    assert SearchIndex.open_if_fresh(lib.path) is None
    assert SearchIndex.for_library(lib).search("is:full").total == full


def test_a_marks_file_with_damaged_fields_is_refused_and_kept(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    marks = Marks.open(lib.path)
    marks.set_star(["pmid:30992990"], True)
    data = json.loads(marks.path.read_text())
    data["marks"]["1"]["tags"] = None
    content = json.dumps(data)
    marks.path.write_text(content)
    with pytest.raises(LibraryFileError, match=r"mark 1: 'tags' is not a list of text"):
        Marks.open(lib.path)
    assert marks.path.read_text() == content


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "child-process"])
def test_a_pipe_beside_a_file_failing_half_way_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 1 if parallel else 10**12)
    lib = Library.open(tmp_path / "library.json")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    good = (PAGES / "zero_citations.txt").read_bytes()

    def writer() -> None:
        with open(fifo, "wb") as fh:  # blocks until the import opens it, like <(cat good.txt)
            fh.write(good)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    truncated = ROOT / "tests" / "data" / "pubmed_xml" / "truncated.xml"
    reports = import_paths(lib, [str(fifo), str(truncated)])
    thread.join(5)
    assert [r.rejected for r in reports] == [False, True]
    assert reports[0].added == 1 and lib.get("1000002") is not None


def test_a_fifo_nobody_writes_to_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("store.inputs.FIFO_WAIT", 0.3)
    lib = Library.open(tmp_path / "library.json")
    fifo = tmp_path / "silent"
    os.mkfifo(fifo)
    start = time.monotonic()
    report = import_paths(lib, [str(fifo)])[0]
    assert time.monotonic() - start < 5
    assert report.rejected and "silent" in report.error and "nothing was written" in report.error


def test_stdin_is_named_stdin_in_a_rejection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    lib = Library.open(tmp_path / "library.json")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"not a format at all\n")))
    report = import_paths(lib, ["-"])[0]
    assert report.rejected and report.error.startswith("stdin") and "pmbrowse-" not in report.error
    assert report.source == "stdin"


def test_the_same_content_from_stdin_twice_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    lib = Library.open(tmp_path / "library.json")
    content = (ROOT / "tests" / "data" / "medline" / "36987902.txt").read_bytes()
    statuses = []
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))
        report = import_paths(lib, ["-"])[0]
        statuses.append((report.added, report.merged, report.unchanged))
    assert statuses == [(1, 0, 0), (0, 0, 1)]


def test_compaction_keeps_the_search_index_fresh(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Journalled axolotl"), Origin("test"))
    assert SearchIndex.open_if_fresh(lib.path) is not None
    assert lib.compact()
    fresh = SearchIndex.open_if_fresh(lib.path)  # no rebuild needed: no document changed
    assert fresh is not None and fresh.search("axolotl").total == 1


def test_the_index_records_the_state_its_own_commit_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.search.index import read_meta

    path = tmp_path / "library.json"
    lib = Library.open(path)
    SearchIndex.for_library(lib)
    other = Library.open(path)  # another writer, committing between our commit and our index update
    real = SearchIndex.after_write.__func__  # type: ignore[attr-defined]
    seen: list[object] = []

    def late(cls, library, before, after, changed, removed, first_new):  # type: ignore[no-untyped-def]
        if not seen:
            seen.append(after)
            with monkeypatch.context() as m:
                m.setattr(
                    SearchIndex, "after_write", classmethod(lambda *a: None)
                )  # it dies before its update
                with other.transaction() as changes:
                    changes.put_article(Article(pmid="222", title="Axolotl regeneration"), Origin("test"))
        real(cls, library, before, after, changed, removed, first_new)

    monkeypatch.setattr(SearchIndex, "after_write", classmethod(late))
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="111", title="First"), Origin("test"))
    meta = read_meta(index_folder(path))
    assert meta is not None and meta["library"] == list(seen[0])  # not the other writer's state
    assert SearchIndex.open_if_fresh(path) is None  # so the other's article is not silently missing
    assert SearchIndex.for_library(Library.open(path)).search("axolotl").total == 1


def test_a_commit_that_fails_lets_go_of_the_search_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import whose commit fails (a full disk as its segments are listed) leaves the search index
    as it was and lets go of it: searched at once, and kept fresh by the next commits (before, the
    index's lock stayed held by the failed transaction's feed, and the library took every later
    transaction for one nested in it: none was indexed)."""
    from store.storage.committer import Committer
    from tests.store.test_bulk_import import _file

    lib = Library.open(tmp_path / "lib.json", demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="99999999", title="Before cells"), Origin("test"))
    assert SearchIndex.for_library(lib).count() == 1
    monkeypatch.setattr(importer, "FLUSH_AT", 100)

    def full(self: Committer, *args: object) -> None:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(Committer, "_list_segments", full)
    with pytest.raises(OSError):
        import_paths(lib, [str(_file(tmp_path / "in.xml", 1, 300, 300, refs=4))])
    monkeypatch.undo()
    assert lib.stats().records == 1
    assert [h.pmid for h in SearchIndex.for_library(lib).search("cells").hits] == ["99999999"]
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="99999998", title="After cells"), Origin("test"))
    index = SearchIndex.open_if_fresh(lib.path)
    assert index is not None and index.count() == 2
