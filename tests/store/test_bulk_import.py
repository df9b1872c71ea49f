"""Bulk imports: batches written as segments as they go, one commit, costs in proportion to what is
added, and reads that stay flat whatever the library's size."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.merge import doc_keys
from store.model import Article, Origin
from store.search import SearchIndex
from store.storage.segment import SegmentFile
from tests.conftest import ROOT
from tests.killed import killed_once_flagged
from tests.store.bulk_files import cited, pmid, pubmed_xml, v2_library
from tests.store.helpers import states_read_while
from tests.store.test_crash_consistency import assert_links_agree


def _file(path: Path, first: int, count: int, among: int, refs: int = 8, seed: int = 5) -> Path:
    rng = random.Random(seed)
    return pubmed_xml(path, [(i, cited(rng, i, among, refs)) for i in range(first, first + count)])


def _everything(lib: Library) -> tuple[dict[str, object], dict[str, object], object]:
    """The documents, links (with sources) and counts, by identity (not by document id)."""
    name = {i: doc_keys(doc)[0] for i, doc in lib.iter_docs()}
    docs = {name[i]: {k: v for k, v in doc.items() if k != "origins"} for i, doc in lib.iter_docs()}
    links = {
        name[i]: {rel: {name[t]: s for t, s in targets.items()} for rel, targets in lib.link_state(i).items()}
        for i in name
    }
    return docs, links, lib.stats()


def _segments(lib: Library) -> list[Path]:
    folder = lib.path.with_name(lib.path.name + ".segments")
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_batched_import_stores_what_one_transaction_does(tmp_path: Path, monkeypatch) -> None:
    file = _file(tmp_path / "in.xml", 1, 400, 400, refs=6)
    again = _file(tmp_path / "again.xml", 300, 200, 600, refs=4, seed=9)  # (overlaps: merges, stubs)
    whole = Library.open(tmp_path / "whole.json")
    expected = import_paths(whole, [str(file), str(again)])
    monkeypatch.setattr(importer, "FLUSH_AT", 200)  # batches of a few dozen records
    batched = Library.open(tmp_path / "batched.json")
    reports = import_paths(batched, [str(file), str(again)])
    assert [(r.added, r.merged, r.stubs) for r in reports] == [(r.added, r.merged, r.stubs) for r in expected]
    assert reports[1].merged > 50 and reports[1].added > 50
    assert len(_segments(batched)) > 5  # (it did write batches)
    assert _everything(batched) == _everything(whole)
    assert_links_agree(batched)
    hits = SearchIndex.for_library(batched).search("cells", sort="cited", limit=3).hits
    assert [h.pmid for h in hits] == [
        h.pmid for h in SearchIndex.for_library(whole).search("cells", sort="cited", limit=3).hits
    ]
    # A compaction folds the segments into the base, and keeps everything.
    assert batched.compact() and _segments(batched) == []
    assert _everything(Library.open(batched.path)) == _everything(whole)


def test_a_file_failing_after_batches_were_written_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(importer, "FLUSH_AT", 100)
    lib = Library.open(tmp_path / "lib.json")
    good = _file(tmp_path / "good.xml", 1, 50, 50)
    rng = random.Random(3)
    bad = pubmed_xml(tmp_path / "bad.xml", [(i, cited(rng, i, 300, 8)) for i in range(51, 351)], broken=True)
    before = _everything(lib)
    reports = import_paths(lib, [str(bad)])
    assert reports[0].rejected and "bad.xml" in reports[0].error
    assert _everything(Library.open(lib.path)) == before and _segments(lib) == []
    reports = import_paths(lib, [str(good), str(bad)])
    assert [r.rejected for r in reports] == [False, True] and lib.get(pmid(1)) is not None
    assert lib.get(pmid(60)) is None and lib.stats().records == 51


def _io_written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar")


@pytest.fixture(scope="module")
def two_sizes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Library]:
    """Libraries of 10,000 and 100,000 records (small ones: the counts are what matter)."""
    made = []
    for n in (10_000, 100_000):
        path = tmp_path_factory.mktemp(f"lib{n}") / "library.json"
        v2_library(path, n)
        lib = Library.open(path)
        SearchIndex.for_library(lib)  # (an import keeps a fresh index fresh; a missing one is rebuilt)
        made.append(lib)
    return made[0], made[1]


def test_an_import_costs_what_it_adds_not_the_library(
    two_sizes: tuple[Library, Library], tmp_path: Path
) -> None:
    # The same file (500 new records, each citing 20 of the first 5,000) into each library.
    file = _file(tmp_path / "new.xml", 200_001, 500, 5_000, refs=20, seed=11)
    written, touched = [], []
    for lib in two_sizes:
        before = set(_segments(lib))
        start = _io_written()
        import_paths(lib, [str(file)])
        written.append(_io_written() - start)
        new = [SegmentFile(p) for p in _segments(lib) if p not in before]
        journal = lib.path.with_name(lib.path.name + ".journal").read_bytes()
        if new:
            touched.append(sum(len(list(s.ids())) + len(list(s.counted())) for s in new))
        else:  # (a small import is journalled: a line per document and per link change)
            touched.append(journal.count(b"\n") - 2)
    assert touched[0] == touched[1] > 500
    assert max(written) <= 1.3 * min(written), written


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the reads of documents, link records and heads (from the base, the segments, the
    journal and the index), and their bytes, from now on."""
    from store.docindex import DocIndex
    from store.storage.snapshot import Snapshot

    counted = {"reads": 0, "bytes": 0}

    def counting(method):  # type: ignore[no-untyped-def]
        def wrapper(*args):  # type: ignore[no-untyped-def]
            raw = method(*args)
            counted["reads"] += 1
            counted["bytes"] += len(raw or b"")
            return raw

        return wrapper

    for cls, name in (
        (Snapshot, "_base_read"),
        (Snapshot, "journal_read"),
        (SegmentFile, "read"),
        (SegmentFile, "head"),
        (SegmentFile, "link_change"),
        (DocIndex, "head"),
    ):
        monkeypatch.setattr(cls, name, counting(getattr(cls, name)))
    return counted


def _read_an_article(lib: Library, target: int, counted: dict[str, int]) -> dict[str, int]:
    """What reading an article and its links costs (``_counting_reads``)."""
    counted.update(reads=0, bytes=0)
    lib.article(target)
    for rel in ("references", "cited_by"):
        lib.links(target, rel)
        lib.rows(lib.link_ids(target, rel)[:40])  # (a pane's first screenful)
    lib.link_counts(target)
    return dict(counted)


def test_reading_an_article_costs_the_same_at_any_size(
    two_sizes: tuple[Library, Library], monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _counting_reads(monkeypatch)
    costs = []
    for lib in two_sizes:
        target = lib.find(pmid(200_250))  # (imported by the test above, or imported now)
        if target is None:
            continue
        costs.append(_read_an_article(lib, target, counted))
    assert len(costs) == 2 and costs[0] == costs[1] and costs[0]["reads"] > 20


def test_a_command_reads_the_same_at_any_size_its_journal_included(
    two_sizes: tuple[Library, Library], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command replays the journal when it opens the library (with a threshold that grew with
    the library, 13 MB at 1M: 0.3 s and most of a command's memory). Commits past the threshold, the
    same at every size, are made a segment at a command's end, so after the same small commands, a
    command opening either library replays at most the threshold and reads the same documents."""
    from store.storage import opening
    from store.storage.compactor import compact_threshold
    from tests.store.test_journal_segments import PMID, commit

    monkeypatch.delenv("PMBROWSE_COMPACT_BYTES", raising=False)
    replayed = [0]
    real_read_tail = opening.read_tail

    def read_tail(fd: int, start: int) -> bytes:
        raw = real_read_tail(fd, start)
        replayed[0] += len(raw)
        return raw

    monkeypatch.setattr(opening, "read_tail", read_tail)
    counted = _counting_reads(monkeypatch)
    costs = []
    for lib in two_sizes:
        most = 0
        for k in range(24):  # (some 600 KB of commits, each closed as a command closes)
            commit(lib.path, 1 + 60 * k, 60)
            replayed[0] = 0
            opened = Library.open(lib.path)
            most = max(most, replayed[0])
        assert most <= compact_threshold(lib.path.stat().st_size) + 100_000, most
        assert lib.path.with_name(lib.path.name + ".segments").is_dir()
        target = opened.find(str(PMID + 1300))
        assert target is not None
        costs.append(_read_an_article(opened, target, counted))
    assert two_sizes[1].path.stat().st_size > 5 * two_sizes[0].path.stat().st_size
    # The commits end in the journal or in a segment a command apart in the two (their sizes differ by
    # the ids' digits), and a record read from the journal costs a read or two more (its meta and head
    # are decoded from it, not taken from tables): the same within that, whatever the size.
    assert min(c["reads"] for c in costs) > 10
    assert max(c["reads"] for c in costs) <= 1.25 * min(c["reads"] for c in costs), costs
    assert max(c["bytes"] for c in costs) <= 1.5 * min(c["bytes"] for c in costs), costs


BULK_WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    importer.FLUSH_AT = 300
    lib = Library.open({lib!r})
    import_paths(lib, [{file!r}])
    open({done!r}, "w").close()
    if {compact!r}:
        real_replace = os.replace
        def replace(src, dst):  # (the compaction's commit point: the base's rename)
            if {pause!r} and str(dst).endswith("library.json"):
                if {pause!r} == "after":
                    real_replace(src, dst)
                open({done!r} + ".at-commit", "w").close()
                time.sleep(60)
            return real_replace(src, dst)
        os.replace = replace
        lib.compact()
    """
)


def _timed_run(script: str) -> float:
    """How long the script takes to run to its end, unharmed."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", script], check=True)
    return time.monotonic() - start


def _after_kill(lib_path: Path, expected: tuple[int, ...]) -> tuple[int, int]:
    """Open the library a writer was killed on: it is as before or after, never between; the next
    writer removes what the killed one left. Returns (records, segment files found)."""
    found = len(_segments(Library.open(lib_path, lock_timeout=2)))
    lib = Library.open(lib_path, lock_timeout=2)
    records = lib.stats().records
    assert records in expected
    assert_links_agree(lib)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="99999999", title="After"), Origin("test"))
    snap = lib._storage.files.snap
    listed = {name for name, _size in (snap.journal.segments if snap.journal else [])}
    assert {p.name for p in _segments(lib)} == listed
    assert not list(lib_path.parent.glob(".*.tmp"))
    return records, found


def test_kill_9_during_a_bulk_import_leaves_the_old_library_or_the_new(tmp_path: Path) -> None:
    rng = random.Random(4)
    file = _file(tmp_path / "big.xml", 1, 1500, 1500, refs=10)
    took = 0.0
    outcomes = set()
    for round_ in range(6):
        lib_path = tmp_path / f"lib{round_}" / "library.json"
        lib_path.parent.mkdir()
        Library.open(lib_path)
        done = tmp_path / f"done{round_}"
        script = BULK_WRITER.format(
            root=str(ROOT), lib=str(lib_path), file=str(file), done=str(done), compact=False, pause=""
        )
        if round_ == 0:  # (how long it takes: the others are killed at random instants in it)
            took = _timed_run(script)
            continue
        proc = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(rng.uniform(0.2, took))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        outcomes.add(_after_kill(lib_path, (1, 1501) if not done.exists() else (1501,)))
    assert any(records == 1 and found for records, found in outcomes)  # (killed with batches written)


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_kill_9_during_the_compaction_after_a_bulk_import(tmp_path: Path, pause: str) -> None:
    file = _file(tmp_path / "big.xml", 1, 1500, 1500, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    done = tmp_path / "done"
    script = BULK_WRITER.format(
        root=str(ROOT), lib=str(lib_path), file=str(file), done=str(done), compact=True, pause=pause
    )
    at_commit = Path(str(done) + ".at-commit")
    killed_once_flagged(subprocess.Popen([sys.executable, "-c", script]), at_commit, seconds=120)
    assert at_commit.exists()
    _records, found = _after_kill(lib_path, (1501,))
    assert found > 0  # (before its commit the segments are the library's; after it, left to remove)


def test_a_reader_during_a_bulk_import_sees_it_all_or_nothing(tmp_path: Path) -> None:
    lib_path = tmp_path / "lib.json"
    Library.open(lib_path)
    file = _file(tmp_path / "big.xml", 1, 1500, 1500, refs=10)
    done = tmp_path / "done"
    script = BULK_WRITER.format(
        root=str(ROOT), lib=str(lib_path), file=str(file), done=str(done), compact=True, pause=""
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    reader = Library.open(lib_path)

    def whole(records: int) -> None:
        assert records in (1, 1501)

    seen = states_read_while(proc, reader, whole)
    assert reader.stats().records == 1501 and 1 in seen
