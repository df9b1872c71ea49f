"""What a command's end does with the segments bulk imports wrote (``store.storage.compactor``'s plan):
a new base when the segments hold FOLD_SHARE times what the base does, else the newest run of segments
merged into one, the base left as it is (``store.storage.tiering``). The same state before and after,
a kill -9 at the commit point leaves one or the other, and a file imported into a larger library does
not rewrite it."""

from __future__ import annotations

import atexit
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Origin
from store.storage import spilling
from store.storage.compactor import FOLD_SHARE, MAX_SEGMENTS, beside_run, fold_due
from store.storage.tiering import merge_newest, newest_run
from tests.conftest import ROOT
from tests.killed import STOPPED_AT_ITS_RENAME, killed_once_flagged
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.test_bulk_import import _everything, _io_written, _segments
from tests.store.test_crash_consistency import assert_links_agree


def _file(path: Path, first: int, count: int, among: int, refs: int = 8, seed: int = 5) -> Path:
    rng = random.Random(seed + first)
    return pubmed_xml(path, [(i, cited(rng, i, among, refs)) for i in range(first, first + count)])


@pytest.fixture(autouse=True)
def _journal_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (only the segments decide)


def test_newest_run_takes_the_batches_of_a_file_and_leaves_an_older_bigger_segment() -> None:
    assert newest_run([]) == newest_run([50]) == newest_run([50, 50, 50]) == newest_run([10, 100]) == 0
    assert newest_run([50, 40, 60, 50, 20]) == 5
    assert newest_run([50, 50, 50, 50]) == 4
    assert newest_run([500, 50, 40, 60, 50, 50, 45, 55, 50, 40, 30]) == 10  # (not the older 500)
    assert newest_run([500, 500, 60, 50, 40, 50, 45]) == 5


def test_three_files_segments_of_one_size_wait_for_a_fourth() -> None:
    """An import's batches hold more than the segment they are merged into (~1.2 times in the ten-file
    proxy): two files' merged segments and a third file's batches made a run, and the 7th and the
    10th of ten files each merged three files' worth (tiering.SHARE 3). Now they wait for a fourth."""
    batches = [12] * 10  # (a file whose merged segment is ~100)
    assert newest_run([100, 100, *batches]) == 10  # (the 7th: its own batches only; before, 12)
    assert newest_run([100, 100, 100, *batches]) == 13  # (the 8th: four files' worth)
    assert newest_run([400, 100, *batches]) == 10  # (the 10th: its own batches only)


def test_the_ten_file_proxy_s_schedule_by_the_rules() -> None:
    """Ten files of 5,000 records one after another (the bench's series ÷20), by the sizes they wrote
    (in 100 KB): a file's nine batches 37 each, the segment they are merged into 270, a base of one
    file's records 230. Folded at three times the base (before stop 48) the 4th folded and the 7th and
    the 10th merged three files' worth; now the 5th folds, the 9th merges four files' segments beside
    its import (once its batches hold a file's segment), and the 10th its own batches and the 9th's
    leftovers, the library's merged segment left as it is."""
    batches = [37] * 9
    assert not fold_due([270, 260, *batches], 230)  # (the 4th: its own batches merged)
    assert newest_run([270, 260, *batches]) == 9
    assert fold_due([270, 260, 270, *batches[:4]], 230)  # (the 5th folds: five files' worth)
    assert not any(
        beside_run([270, 260, 270], batches[:n], 230) for n in range(1, 10)
    )  # (no merge beside it)
    base = 1135  # (five files' records)
    assert [beside_run([270, 270, 275], batches[:n], base) for n in (6, 7, 8)] == [0, 0, 3]  # (the 9th)
    assert newest_run([927, 41, 18, *batches]) == 11 and not beside_run(
        [927, 41, 18], batches, base
    )  # (the 10th)


# Libraries ``_library_with_a_base`` built in this process, by what they were built under: a copy of
# one is what a new build would write (the same file, batches, settings). Some 16 tests of 5 files ask
# for it, ~1.3 s of import each (once a process now); the copy takes ~10 ms.
_BUILT: dict[tuple[object, ...], Path] = {}


def _library_with_a_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library whose base holds 1,200 records (an import folded into the base at its end), built once
    a process for each set of settings it is built under (the PMBROWSE_ variables, and what the test
    patched so far: ``monkeypatch``'s record) and copied (``cp -r``, times kept) into ``tmp_path``."""
    monkeypatch.setattr(importer, "FLUSH_AT", 400)
    patched = tuple((id(obj), name, repr(getattr(obj, name))) for obj, name, _old in monkeypatch._setattr)
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PMBROWSE")))
    key = (env, patched)
    if key not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix="with-a-base-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "library.json"
        lib = Library.open(path)
        import_paths(lib, [_file(folder / "first.xml", 1, 1200, 1200)])
        lib.close()
        assert not _segments(Library.open(path))
        _BUILT[key] = folder
    _copy_in_order(_BUILT[key], tmp_path)
    return tmp_path / "library.json"


def _copy_in_order(source: Path, target: Path) -> None:
    """``source``'s files copied into ``target`` (times kept) in the order they were last changed: an
    index is current only if its file changed no sooner than the base's (``index_current`` compares
    their ``st_ctime``, which a copy sets anew); two of one change time (the clock's tick) in the
    order they were written."""
    target.mkdir(exist_ok=True)
    for entry in sorted(source.iterdir(), key=lambda p: (p.stat().st_ctime_ns, p.stat().st_mtime_ns)):
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


def test_leftovers_of_an_end_are_not_merged_beside_the_next_import() -> None:
    """An end that merged beside can leave a batch or two it did not merge (the 7th file of the proxy
    series left 8.5 and 1.1 MB beside its 137 MB). The next import's batches soon make a run with
    them, but a merge of those beside it would only be merged again by its end (it is smaller than
    the batches to come), its batches so far written three times: the end merges them all, once.
    Files' merged segments still are merged beside, as before."""
    base = 400
    # (sizes in MB: the 8th file's, its first two batches written; before: 2, the leftovers and the batches)
    assert beside_run([137, 8, 1], [8, 8], base) == 0
    assert beside_run([137, 8, 1], [8] * 9, base) == 0  # (nor later: the batches only grow)
    # (the 8th: three files' merged segments, once the batches make a run with them and hold about
    # a file's segment, the biggest of them: ``test_merge_beside``)
    assert beside_run([137, 48, 50, 52], [8] * 7, base) == 3
    assert beside_run([137, 48, 50, 52], [8] * 6, base) == 0  # (a run, but 48 MB of batches)
    assert beside_run([137, 48, 50, 52], [8] * 2, base) == 0  # (no such run yet)
    assert beside_run([137, 48, 50], [8] * 9, base) == 0  # (the 7th: two files' segments; before, 2)


def test_a_run_of_segments_is_merged_into_one_and_the_base_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_a_base(tmp_path, monkeypatch)
    base = path.stat()
    monkeypatch.setattr(importer, "FLUSH_AT", 60)  # (more batches than MAX_SEGMENTS: merged, still)
    lib = Library.open(path)
    # New records citing the old ones, and old ones again (a re-import updates them: the newest wins).
    import_paths(lib, [_file(tmp_path / "second.xml", 1150, 300, 1450)])
    with lib.transaction() as changes:  # (a journalled commit after the segments: merged with them)
        changes.put_article(Article(pmid="99999999", title="Journalled"), Origin("test"))
    assert len(_segments(lib)) > MAX_SEGMENTS
    before = _everything(lib)
    lib.close()
    after = Library.open(path)
    assert _everything(after) == before
    assert_links_agree(after)
    assert len(_segments(after)) == 1  # (one segment for all of them)
    assert path.stat().st_ino == base.st_ino and path.stat().st_mtime_ns == base.st_mtime_ns
    assert after.find("99999999") is not None
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_file_imported_into_a_larger_library_does_not_rewrite_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of 400 records one after another (a batch each): a command's end folds the segments
    into the base only when they hold FOLD_SHARE times what it does, else it merges the newest run of
    similar segments (its own, and those of files of its size before it), the base left as it is; so
    what the ends write, all files together, is a small multiple of what the imports added, and the
    segments stay few."""
    # (A few batches a file. At 500 the fourth file's batches sat 0.3% inside the merge rule (biggest × 3 <
    # total), and the most-cited run each segment keeps since tipped them out of it: 4 layers.)
    monkeypatch.setattr(importer, "FLUSH_AT", 400)
    path = tmp_path / "library.json"
    Library.open(path).close()
    plans, layers, added, closing = [], [], [], []
    # (Seven files: the eighth's segments sat within 1% of the fold rule, 2.99 times the base before
    # stop 35 and 3.01-3.12 with the segments' PMID column, 4 bytes a document; the length of the test's
    # own path, kept in each record's origin, moved it across too. Its fold is due, and doubles what the
    # ends write for the window: not what this test is about.)
    for k in range(7):
        file = _file(tmp_path / f"f{k}.xml", 1 + 400 * k, 400, 400 * (k + 1))
        lib = Library.open(path)
        had = set(_segments(lib))
        import_paths(lib, [file])
        segments = sum(p.stat().st_size for p in _segments(lib))
        added.append(sum(p.stat().st_size for p in _segments(lib) if p not in had))
        plans.append(lib._storage.compactor.plan())
        if plans[-1] == "fold":
            assert segments >= FOLD_SHARE * path.stat().st_size, (k, segments)
        start = _io_written()
        lib.close()
        closing.append(_io_written() - start)
        layers.append(len(_segments(Library.open(path))))
    # The first file folds (into the demo library); after it, one fold in six files (the third: its
    # segments are fat beside a small base), where folding at the base's size folded at the 2nd, 3rd
    # and 5th: the ends of files 2-8 wrote 2.0 times what their imports added, 1.09 in stop 34.
    assert plans[0] == "fold" and plans[1:].count("fold") <= 1, plans
    assert sum(closing[1:]) <= 1.4 * sum(added[1:]), (closing, added)
    # (4, not 3, since tiering.SHARE 3.5: the second file's four batches, the last small, are no run
    # of their own any more; the next file's end merges them with its own)
    assert max(layers) <= 4, (layers, plans, added)
    lib = Library.open(path)
    assert_links_agree(lib)
    assert lib.stats().records == 2801  # (and the demo article)


MERGER = (
    textwrap.dedent(
        """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    importer.FLUSH_AT = 200  # (a few batches: merged at the end)
    lib = Library.open({lib!r})
    import_paths(lib, [{file!r}])
    """
    )
    + STOPPED_AT_ITS_RENAME
    + "lib.close()\n"
)


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_kill_9_during_a_merge_leaves_the_library_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause: str
) -> None:
    path = _library_with_a_base(tmp_path, monkeypatch)
    file = _file(tmp_path / "second.xml", 1201, 300, 1500)
    done = tmp_path / "done"
    script = MERGER.format(
        root=str(ROOT),
        lib=str(path),
        file=str(file),
        flag=str(done),
        pause=pause,
        ending="library.json.journal",  # (the commit point: the journal's rename)
    )
    killed_once_flagged(subprocess.Popen([sys.executable, "-c", script]), done, seconds=120)
    assert done.exists()
    found = len(_segments(Library.open(path)))
    lib = Library.open(path, lock_timeout=2)
    assert lib.stats().records == 1501  # (and the demo article)
    assert_links_agree(lib)
    with lib.transaction() as changes:  # (the next writer removes what the killed one left)
        changes.put_article(Article(pmid="99999999", title="After"), Origin("test"))
    snap = lib._storage.files.snap
    listed = {name for name, _size in (snap.journal.segments if snap.journal else [])}
    assert {p.name for p in _segments(lib)} == listed
    assert len(listed) == 1 if pause == "after" else len(listed) > 1
    assert found > len(listed)  # (the merged segments, or the new one, were left for the next writer)
    assert not list(path.parent.glob(".*.tmp"))


def test_a_merge_holds_columns_not_the_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a merge holds while it writes is a few bytes a row (a document, a link change or an identity
    key written), in columns: which merged segment holds each document id and its row there
    (``tiering._Newest``), and the new segment's rows (``store.storage.columns``). A merge of several
    files' segments writes millions of rows at a million records. Here 61 bytes a row at the peak
    (traced); 123 with a dict and sets of the documents and the writer's dicts of tuples (red). The
    25,000-record proxy's last four files' segments merged: 220 MB peak before, 140 now (the tables
    the import read before it)."""
    path = _library_with_a_base(tmp_path, monkeypatch)
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    lib = Library.open(path)
    import_paths(lib, [_file(tmp_path / "second.xml", 1150, 1500, 2650)])
    files = lib._storage.files
    with lib._storage.committer.transaction():
        spilling.start(files, lib._reader.snap)
        view = files.pending.view
        assert view is not None and len(view.segments) > 10
        rows = sum(len(s.column(c)) for s in view.segments for c in ("doc_ids", "link_ids", "key_ids"))
        for segment in view.segments:  # (the tables an import has read before its end merges)
            for name in ("doc_ids", "doc_len", "link_ids", "key_hashes", "key_ids"):
                segment.column(name)
        tracemalloc.start()
        try:
            merge_newest(files, view, len(view.segments))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        files.pending.committed = True
    assert peak < 90 * rows, (peak, rows)
    lib._reader.catch_up()
    assert len(_segments(lib)) == 1
    assert_links_agree(lib)
