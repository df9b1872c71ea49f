"""A journal past its threshold is made a segment when a command ends (``store.storage.compactor``):
the base is left as it is, the tiering's rules decide when segments merge or fold into the base, and
the step is all-or-nothing (killed at its commit point, read meanwhile, or out of disk room)."""

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

from store.check import check
from store.errors import LibraryFileError
from store.library import Library
from store.model import Article, Link, Origin
from store.storage import compactor as compaction
from store.storage.compactor import MAX_SEGMENTS, compact_threshold
from store.storage.segment import SegmentFile
from tests.conftest import ROOT
from tests.killed import STOPPED_AT_ITS_RENAME
from tests.store.helpers import states_read_while
from tests.store.test_bulk_import import _everything, _segments
from tests.store.test_crash_consistency import assert_links_agree
from tests.tui.test_one_command_one_commit import _fill, small_disk

__all__ = ["small_disk"]  # (a fixture, used by name)

PMID = 7_000_000


def commit(path: Path, first: int, count: int, *, close: bool = True) -> Library:
    """One command: ``count`` new records (each citing up to 8 of the records before it, and a stub
    from outside), committed in one transaction, the library closed as a command's end closes it."""
    rng = random.Random(first)
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        for i in range(first, first + count):
            changes.put_article(
                Article(
                    pmid=str(PMID + i), title=f"Record {i} on exosomes and stem cells", year=2000 + i % 25
                ),
                Origin("test"),
            )
            cited = sorted({rng.randrange(max(i, 1)) for _ in range(8)} - {i})
            targets = [Link(pmid=str(PMID + j)) for j in cited] + [Link(pmid=str(9_000_000 + i % 50))]
            changes.put_links(Link(pmid=str(PMID + i)), "references", targets)
    if close:
        lib.close()
    return lib


def with_base(path: Path, monkeypatch: pytest.MonkeyPatch, records: int) -> None:
    """A library of ``records`` records (``commit``: one command) compacted into its base, its journal
    left as a journal (the compaction threshold out of reach)."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    commit(path, 1, records)
    Library.open(path).compact()


def _journal(path: Path) -> bytes:
    return path.with_name(path.name + ".journal").read_bytes()


def _files(path: Path) -> dict[str, bytes]:
    """The library's files (base, index, journal, segments; not the search index nor the locks)."""
    names = [path.with_name(path.name + suffix) for suffix in ("", ".idx", ".journal")]
    names += sorted(path.with_name(path.name + ".segments").glob("*"))
    return {p.name: p.read_bytes() for p in names if p.is_file()}


def test_a_journal_past_its_threshold_becomes_a_segment_and_the_base_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    with_base(path, monkeypatch, 600)
    base = path.stat()
    for k in range(3):
        commit(path, 601 + 40 * k, 40)
    _two_made_one(path, "10.1000/first", PMID + 650)  # (a document removed in the journal)
    lib = Library.open(path)
    before = _everything(lib)
    journal = len(_journal(path))
    assert journal > 50_000 and not _segments(lib)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(journal - 1))
    assert lib._storage.compactor.plan() == compaction.SEGMENT
    lib.close()  # (the command's end)
    after = Library.open(path)
    assert _everything(after) == before
    assert_links_agree(after)
    (segment,) = _segments(after)
    assert len(_journal(path)) < 300  # (a header, the segment's line, a seal)
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (base.st_ino, base.st_mtime_ns)
    assert segment.stat().st_size < 2 * journal
    assert after.find(str(PMID + 700)) is not None
    assert not list(tmp_path.glob(".*.tmp"))


def _two_made_one(path: Path, doi: str, pmid: int) -> None:
    """Two commands: a record known by ``doi`` alone, then one with both ``doi`` and ``pmid``, which makes
    the two records one (one document is removed)."""
    for article in (Article(doi=doi, title="By DOI"), Article(pmid=str(pmid), doi=doi, title="Both")):
        lib = Library.open(path, demo=False)
        with lib.transaction() as changes:
            changes.put_article(article, Origin("test"))
        lib.close()


def test_journals_made_segments_are_merged_and_folded_by_the_tiering_s_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command's end makes its commit a segment (a threshold of 1 byte): runs of similar ones
    are merged into one, the base is rewritten only when the segments hold as much as it does, and
    the layers stay few."""
    path = tmp_path / "library.json"
    with_base(path, monkeypatch, 150)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    plans, layers, folds = [], [], 0
    for k in range(30):
        lib = commit(path, 151 + 10 * k, 10, close=False)
        plans.append(lib._storage.compactor.plan())
        inode = path.stat().st_ino
        lib.close()
        folds += path.stat().st_ino != inode
        layers.append(len(_segments(Library.open(path))))
        assert len(_journal(path)) < 1000  # (the commit is in a segment now)
        if k % 10 == 5:  # (documents removed in segments that are merged later)
            _two_made_one(path, f"10.1000/{k}", PMID + 151 + 10 * k)
    assert set(plans) <= {compaction.SEGMENT, compaction.FOLD} and compaction.SEGMENT in plans
    assert folds == plans.count(compaction.FOLD) and 1 <= folds <= 3, plans
    assert max(layers) <= 8 < MAX_SEGMENTS, layers
    lib = Library.open(path)
    assert lib.stats().records == 150 + 300
    assert_links_agree(lib)
    assert check(path).problems == []


def test_a_command_crossing_the_threshold_writes_what_the_journal_holds_not_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store.test_bulk_import import _io_written

    path = tmp_path / "library.json"
    with_base(path, monkeypatch, 3000)
    lib = commit(path, 3001, 30, close=False)
    journal = len(_journal(path))
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(journal - 1))
    start = _io_written()
    lib.close()
    written = _io_written() - start
    assert path.stat().st_size > 20 * journal  # (a base much larger than the journal)
    assert written < 3 * journal, (written, journal)


def test_the_threshold_is_the_same_at_every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a command replays when it opens the library is bounded whatever the library's size."""
    monkeypatch.delenv("PMBROWSE_COMPACT_BYTES", raising=False)
    assert compact_threshold(10 << 20) == compact_threshold(4 << 30) <= 1 << 20
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "12345")
    assert compact_threshold(4 << 30) == 12345


STEPPER = (
    textwrap.dedent(
        """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from tests.store.test_journal_segments import commit
    lib = commit(__import__("pathlib").Path({lib!r}), 801, 40, close=False)
    os.environ["PMBROWSE_COMPACT_BYTES"] = "1"
    """
    )
    + STOPPED_AT_ITS_RENAME
    + "lib.close()\n"
)


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
@pytest.mark.parametrize("merging", [False, True], ids=["alone", "merged"])
def test_kill_9_at_the_commit_point_of_the_journal_s_segment_leaves_the_library_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause: str, merging: bool
) -> None:
    path = tmp_path / "library.json"
    with_base(path, monkeypatch, 800)
    if merging:  # (three segments of about the journal's size: the step merges the four into one)
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
        for k in range(3):  # (30 records: the step's 40 make a segment of about their size, ~34 KB)
            commit(path, 3001 + 30 * k, 30)
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
        assert len(_segments(Library.open(path))) == 3
    done = tmp_path / "done"
    script = STEPPER.format(
        root=str(ROOT),
        lib=str(path),
        flag=str(done),
        pause=pause,
        ending="library.json.journal",  # (the commit point: the journal's rename)
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PMBROWSE_COMPACT_BYTES": "1"})
    deadline = time.monotonic() + 120
    while not done.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    lib = Library.open(path)
    expected = _everything(lib)  # (the commit was made before the step: the step changes no document)
    assert lib.find(str(PMID + 840)) is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    found = {p.name for p in _segments(Library.open(path))}
    lib = Library.open(path, lock_timeout=2)
    assert _everything(lib) == expected
    assert_links_agree(lib)
    with lib.transaction() as changes:  # (the next writer removes what the killed one left)
        changes.put_article(Article(pmid="99999999", title="After"), Origin("test"))
    snap = lib._storage.files.snap
    listed = {name for name, _size in (snap.journal.segments if snap.journal else [])}
    assert {p.name for p in _segments(lib)} == listed
    if pause == "after":  # (the journal's segment, or the one it was merged into)
        assert len(listed) == 1 and b"L\t" not in _journal(path).split(b"#\t")[0]
        assert len(found) == (5 if merging else 1)  # (the merged ones, left for the next writer)
    else:
        assert len(listed) == (3 if merging else 0)
        assert len(found) == (5 if merging else 1)  # (a new segment nobody lists, or two)
    assert not list(tmp_path.glob(".*.tmp"))


READER_WRITER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    os.environ["PMBROWSE_COMPACT_BYTES"] = "1"
    from pathlib import Path
    from tests.store.test_journal_segments import commit
    for k in range(15):
        commit(Path({lib!r}), 301 + 5 * k, 5)  # (each command's end makes its commit a segment)
    """
)


def test_a_reader_during_the_step_sees_the_old_state_or_the_new_never_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    with_base(path, monkeypatch, 300)
    proc = subprocess.Popen([sys.executable, "-c", READER_WRITER.format(root=str(ROOT), lib=str(path))])
    reader = Library.open(path)

    def whole(records: int) -> None:
        assert (records - 300) % 5 == 0, records  # (whole commands only)
        last = PMID + records  # (the newest record this state holds, and none after it)
        assert reader.find(str(last)) is not None and reader.find(str(last + 1)) is None

    seen = states_read_while(proc, reader, whole)
    assert reader.stats().records == 375 and len(seen) > 3


@pytest.mark.parametrize("room", [0, 1, 2, 4, 8, 16])
def test_a_full_disk_during_the_step_leaves_the_library_as_it_was(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    path = small_disk / "library.json"
    with_base(path, monkeypatch, 200)
    commit(path, 201, 60)
    lib = Library.open(path)
    expected = _everything(lib)
    before = _files(path)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    _fill(small_disk, room)
    try:
        lib.compact(lock_timeout=2, full=False)
    except OSError:
        assert _files(path) == before
    else:
        assert len(_segments(lib)) == 1
    finally:
        (small_disk / "filler").unlink()
    assert not [p.name for p in small_disk.iterdir() if p.name.endswith(".tmp")]
    lib = Library.open(path)
    assert _everything(lib) == expected
    lib.close()  # (with room again, the step is done)
    assert len(_segments(Library.open(path))) == 1 and _everything(Library.open(path)) == expected


def three_segments(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library of 400 records in its base, then three commits of 10, each made a segment as its
    command ended; the newest segment (its compaction threshold left at one byte)."""
    with_base(path, monkeypatch, 400)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    for k in range(3):
        commit(path, 401 + 10 * k, 10)
    return _segments(Library.open(path))[-1]


def _damage_a_link_change(segment: Path) -> None:
    """Make the first link change of a segment invalid JSON (of the same length: the tables still
    find it)."""
    opened = SegmentFile(segment)
    at = opened.column("link_off")[0]
    opened.close()
    with open(segment, "r+b") as fh:
        fh.seek(at)
        fh.write(b"x")


@pytest.mark.parametrize("full", [True, False], ids=["fold", "merge"])
def test_damaged_link_json_met_by_a_compaction_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    path = tmp_path / "library.json"
    damaged = three_segments(path, monkeypatch)
    _damage_a_link_change(damaged)
    commit(path, 500, 10, close=False)  # (the fourth: a run of four, merged)
    before = _files(path)
    lib = Library.open(path)
    assert lib._storage.compactor.plan() == compaction.SEGMENT
    with pytest.raises(LibraryFileError) as raised:
        lib.compact(full=full)
    message = str(raised.value)
    assert "\n" not in message and damaged.name in message and "not valid JSON" in message
    assert _files(path) == before  # (nothing changed)


def test_a_merge_does_not_look_at_the_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Merging the newest segments costs what they hold: the base's index is not walked (it was, for
    every document id of the library, at every merging command's end)."""
    from store.docindex import DocIndex

    path = tmp_path / "library.json"
    three_segments(path, monkeypatch)
    lib = commit(path, 500, 10, close=False)
    looked: list[str] = []
    merging = [False]
    for name in ("column", "location", "link_location", "ids", "meta", "head", "link_counts", "pairs_except"):
        method = getattr(DocIndex, name)

        def counting(*args: object, _method: object = method, _name: str = name) -> object:
            if merging[0]:
                looked.append(_name)
            return _method(*args)  # type: ignore[operator]

        monkeypatch.setattr(DocIndex, name, counting)
    real_merge = compaction.merge_newest

    def merge(*args: object) -> None:
        merging[0] = True
        try:
            real_merge(*args)  # type: ignore[arg-type]
        finally:
            merging[0] = False

    monkeypatch.setattr(compaction, "merge_newest", merge)
    before = _everything(lib)
    assert len(_segments(lib)) == 3
    lib.close()
    assert len(_segments(Library.open(path))) == 1  # (it did merge)
    assert looked == []
    assert _everything(Library.open(path)) == before
