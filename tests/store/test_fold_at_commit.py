"""In a command (``Library.fold_when_due``: ``pmbrowse import``), a bulk commit that the command's end
would fold into a new base is committed as that base at once (``Committer._fold``): an import into an
empty library writes its last batch into the base from memory and leaves no segments, instead of
listing them and folding them back at the command's end."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import store.importer as importer
from store import atomicwrite, fileformat
from store.importer import import_paths
from store.library import Library
from store.search import SearchIndex
from store.snowball.state import SnowballFile
from store.storage import generation
from store.storage.segment import SegmentWriter
from tests.conftest import ROOT
from tests.killed import STOPPED_AT_ITS_RENAME, killed_once_flagged
from tests.store.helpers import states_read_while
from tests.store.test_bulk_import import _after_kill, _everything, _file, _segments
from tests.store.test_crash_consistency import assert_links_agree
from tui.cli import main

# The records of the import committed as the fold (into the demo library: one record), in batches
# of 300 (``importer.FLUSH_AT`` in the writers below): a few batches are all the fold needs.
N = 600


def _hits(lib: Library) -> list[str | None]:
    return [h.pmid for h in SearchIndex.for_library(lib).search("cells", sort="cited", limit=5).hits]


def test_a_bulk_import_into_an_empty_library_commits_a_base_with_what_the_fold_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        str(_file(tmp_path / "in.xml", 1, 400, 400, refs=6)),
        str(_file(tmp_path / "again.xml", 300, 200, 600, refs=4, seed=9)),  # (merges, stubs)
    ]
    whole = Library.open(tmp_path / "whole.json")
    import_paths(whole, files)  # (one batch: a journal commit)
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    folded = Library.open(tmp_path / "folded.json")
    folded.fold_when_due()
    import_paths(folded, files)
    assert _segments(folded) == []  # (the batches were folded into the base by the commit)
    journal = folded._storage.files.snap.journal
    assert journal is not None and journal.commits == 0 and not journal.segments
    assert not folded.compaction_due
    # As the import that lists its segments and the fold at the command's end make it.
    listed = Library.open(tmp_path / "listed.json")  # (not a command's: it lists its segments)
    import_paths(listed, files)
    assert len(_segments(listed)) > 5
    assert listed.compact() and _segments(listed) == []
    assert _everything(folded) == _everything(listed) == _everything(whole)
    assert_links_agree(folded)
    assert SearchIndex.open_if_fresh(folded.path) is not None  # (committed with the new base)
    assert _hits(folded) == _hits(listed) == _hits(whole)
    assert _everything(Library.open(folded.path)) == _everything(whole)


def test_a_bulk_import_into_a_large_library_lists_its_segments(tmp_path: Path, monkeypatch) -> None:
    lib = Library.open(tmp_path / "lib.json")
    lib.fold_when_due()
    import_paths(lib, [str(_file(tmp_path / "big.xml", 1, 600, 600, refs=6))])
    assert lib.compact()
    monkeypatch.setattr(importer, "FLUSH_AT", 100)
    import_paths(lib, [str(_file(tmp_path / "more.xml", 601, 60, 660, refs=4))])
    assert _segments(lib)  # (a tenth of the base: not folded)


KILLED_WRITER = (
    textwrap.dedent(
        """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    importer.FLUSH_AT = 300
    lib = Library.open({lib!r})
    lib.fold_when_due()
    """
    )
    + STOPPED_AT_ITS_RENAME
    + "import_paths(lib, [{file!r}])\n"
)


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_kill_9_during_the_fold_of_a_bulk_import(tmp_path: Path, pause: str) -> None:
    file = _file(tmp_path / "big.xml", 1, N, N, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    marker = tmp_path / "at-commit"
    script = KILLED_WRITER.format(
        root=str(ROOT),
        lib=str(lib_path),
        file=str(file),
        flag=str(marker),
        pause=pause,
        ending="library.json",  # (the commit point: the new base's rename)
    )
    killed_once_flagged(subprocess.Popen([sys.executable, "-c", script]), marker, seconds=120)
    assert marker.exists()
    _records, found = _after_kill(lib_path, (1,) if pause == "before" else (N + 1,))
    assert found > 0  # (the batches written before it: unlisted, removed by the next writer)


# Where a writer committing as the fold is killed, after the kills above: (the step, the file whose
# name ends so, whether the import is in after it). The new index about to be written (the new base
# written, not renamed); the index renamed over the old one's; the journal of the new generation
# renamed over the old one; the first of the transaction's segments removed.
STEPS = [
    ("writing", ".idx.", False),
    ("renamed", "library.json.idx", True),
    ("renamed", "library.json.journal", True),
    ("removed", ".seg", True),
]

STOPPED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from store import atomicwrite
    from store.storage import generation
    import store.importer as importer
    importer.FLUSH_AT = 300
    def stop(step, path):
        if step == {step!r} and str(path).endswith({name!r}):
            open({marker!r}, "w").close()
            time.sleep(60)  # killed here
    real_index, real_rename, real_unlink = generation.write_index, atomicwrite.rename, os.unlink
    def write_index(path, data):
        stop("writing", str(path).rsplit(".", 2)[0] + ".")
        real_index(path, data)
    def rename(source, target):
        real_rename(source, target)
        stop("renamed", target)
    def unlink(path, *args, **kwargs):
        real_unlink(path, *args, **kwargs)
        stop("removed", path)
    generation.write_index, atomicwrite.rename, os.unlink = write_index, rename, unlink
    from tui.cli import main
    sys.exit(main(["--db", {lib!r}, "import", "--source", "S", {file!r}]))
    """
)


def _kill_at(script: str, marker: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    err = killed_once_flagged(proc, marker, seconds=120)
    assert marker.exists(), err


@pytest.mark.parametrize(("step", "name", "done"), STEPS, ids=[f"{s}-{n}" for s, n, _d in STEPS])
def test_kill_9_at_each_step_of_the_fold_of_an_import_source(
    tmp_path: Path, step: str, name: str, done: bool
) -> None:
    """``pmbrowse import --source`` (the records and their database search, one commit: ``store.intent``)
    committing as the fold, killed at each step after the new base is written: the library holds the
    import or not, its search the same, the search index agrees with it, nothing is left behind."""
    file = _file(tmp_path / "big.xml", 1, N, N, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    marker = tmp_path / "stopped"
    script = STOPPED_WRITER.format(
        root=str(ROOT), lib=str(lib_path), file=str(file), marker=str(marker), step=step, name=name
    )
    _kill_at(script, marker)
    records, _found = _after_kill(lib_path, (N + 1,) if done else (1,))
    assert records == (N + 1 if done else 1)
    searches = [s.name for s in SnowballFile.open(lib_path).load().searches]
    assert searches == (["S"] if done else [])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".pending", ".intent"))]
    lib = Library.open(lib_path)
    index = SearchIndex.for_library(lib)
    assert index.count() == sum(1 for _ in lib.iter_docs())
    fresh = SearchIndex.rebuild(lib, folder=tmp_path / "fresh")
    for query in ("cells", "20000700"):  # (every hit: the order of equal scores is the index's own)
        hits = [sorted(str(h.pmid) for h in i.search(query, limit=5000).hits) for i in (index, fresh)]
        assert hits[0] == hits[1]


FOLDING_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import store.importer as importer
    importer.FLUSH_AT = 300
    from tui.cli import main
    sys.exit(main(["--db", {lib!r}, "import", {file!r}]))
    """
)


def test_a_reader_during_an_import_committed_as_the_fold_sees_it_all_or_nothing(tmp_path: Path) -> None:
    lib_path = tmp_path / "lib.json"
    Library.open(lib_path)
    file = _file(tmp_path / "big.xml", 1, N, N, refs=10)
    script = FOLDING_WRITER.format(root=str(ROOT), lib=str(lib_path), file=str(file))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    reader = Library.open(lib_path)

    def whole(records: int) -> None:
        assert records in (1, N + 1)

    seen = states_read_while(proc, reader, whole)
    assert reader.stats().records == N + 1 and 1 in seen
    assert _segments(reader) == []  # (committed as the fold)


@pytest.mark.parametrize("when", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_ctrl_c_during_the_fold_of_an_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], when: str
) -> None:
    """Ctrl-C while ``pmbrowse import --source`` commits as the fold: before the new base's rename, the
    library, its search and its files are as they were; after it, the import is in, and said to be."""
    file = _file(tmp_path / "big.xml", 1, N, N, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 300)
    real_rename = atomicwrite.rename

    def rename(source: Path, target: Path) -> None:
        if when == "before" and str(target).endswith("library.json"):
            raise KeyboardInterrupt
        real_rename(source, target)
        if when == "after" and str(target).endswith("library.json"):
            raise KeyboardInterrupt  # (before the index's rename)

    monkeypatch.setattr(atomicwrite, "rename", rename)
    capsys.readouterr()
    assert main(["--db", str(lib_path), "import", "--source", "S", str(file)]) == 130
    err = capsys.readouterr().err
    monkeypatch.setattr(atomicwrite, "rename", real_rename)
    lib = Library.open(lib_path)
    records = lib.stats().records
    searches = [s.name for s in SnowballFile.open(lib_path).load().searches]
    if when == "before":
        assert "left as it was" in err
        assert records == 1 and searches == []
    else:
        assert "left as it was" not in err and "imported" in err
        assert records == N + 1 and searches == ["S"]
    assert_links_agree(lib)
    assert _segments(lib) == []
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".pending", ".intent"))]
    index = SearchIndex.for_library(lib)
    assert index.count() == sum(1 for _ in lib.iter_docs())


@pytest.mark.parametrize("fallback", ["room", "full"], ids=["room-for-segments", "disk-full"])
def test_a_full_disk_during_the_fold_of_an_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fallback: str
) -> None:
    """The new base cannot be written (no space left): the import commits as a listing of its segments
    when they can still be written (``room``), the same library as the fold makes; when they cannot
    either (``full``), it fails and the library, its search and its files are as they were."""
    file = _file(tmp_path / "big.xml", 1, N, N, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 300)
    full = [False]
    real_write, real_finish = fileformat.BaseWriter._write, SegmentWriter.finish

    def write(self: fileformat.BaseWriter, raw: bytes) -> None:
        if getattr(self, "_pos", 0) > 100_000:
            full[0] = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(self, raw)

    def finish(self: SegmentWriter) -> int:
        if full[0] and fallback == "full":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_finish(self)

    monkeypatch.setattr(fileformat.BaseWriter, "_write", write)
    monkeypatch.setattr(SegmentWriter, "finish", finish)
    capsys.readouterr()
    code = main(["--db", str(lib_path), "import", "--source", "S", str(file)])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert full[0]
    lib = Library.open(lib_path)
    searches = [s.name for s in SnowballFile.open(lib_path).load().searches]
    if fallback == "room":
        assert code == 0, err
        assert lib.stats().records == N + 1 and searches == ["S"]
        assert _segments(lib)  # (listed)
        folded = Library.open(tmp_path / "folded" / "library.json")
        folded.fold_when_due()
        import_paths(folded, [str(file)])
        assert _everything(lib) == _everything(folded)
        assert _hits(lib) == _hits(folded)
    else:
        assert code == 3 and "No space left" in err
        assert lib.stats().records == 1 and searches == []
        assert _segments(lib) == []
    assert_links_agree(lib)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".pending", ".intent"))]
    index = SearchIndex.open_if_fresh(lib_path)  # (committed with the library, or left as it was)
    assert index is not None and index.count() == sum(1 for _ in lib.iter_docs())


def test_a_new_base_that_fills_the_disk_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a full disk the new base's writes fail, and so does closing it (what is buffered cannot be
    flushed either): the import fails, the library is as it was, and the temp file is removed all the
    same (before, it was left, the disk kept full by it until the next writer: 18 MB of a 20 MB tmpfs
    for the 10k file)."""
    file = _file(tmp_path / "big.xml", 1, 600, 600, refs=4)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    real_open = open
    full = [False]

    def full_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if str(path).endswith(".tmp") and "w" in mode:
            full[0] = True
            real_open(path, mode).close()  # type: ignore[call-overload]
            return real_open("/dev/full", mode)  # (every write fails: ENOSPC)
        return real_open(path, mode, *args, **kwargs)  # type: ignore[call-overload]

    real_finish = SegmentWriter.finish

    def finish(self: SegmentWriter) -> int:
        size = real_finish(self)
        if full[0]:  # (the last batch, written when the fold could not be)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return size

    monkeypatch.setattr(generation, "open", full_open, raising=False)
    monkeypatch.setattr(SegmentWriter, "finish", finish)
    capsys.readouterr()
    code = main(["--db", str(lib_path), "import", str(file)])
    err = capsys.readouterr().err
    assert (code, "No space left" in err) == (3, True), err
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    lib = Library.open(lib_path)
    assert lib.stats().records == 1 and _segments(lib) == []
