"""A command's end merge begun as its import commits, in a child process (``store.storage.endmerge``):
the end takes the segment it wrote (it merges nothing itself), and the library is the one the end's
own merge makes; killed while the child writes (the import's process, or the child), the library
holds what the import committed, opens and checks clean, and the next writer removes the orphan."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.check import check
from store.importer import import_paths
from store.library import Library
from store.storage import compactor, endmerge
from store.storage.beside import Beside
from tests.conftest import ROOT
from tests.store.test_bulk_import import _everything, _segments
from tests.store.test_crash_consistency import assert_links_agree
from tests.store.test_merge_beside import CHILD_STOP
from tests.store.test_tiering import _file

FILE = ("d", 3001, 300, 3300)  # (a file of 300 records in batches of 60 into a library of 3,000)


@pytest.fixture(autouse=True)
def _journal_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (only the segments decide)
    monkeypatch.setattr(importer, "FLUSH_AT", importer.FLUSH_AT)
    monkeypatch.setattr(endmerge, "EARLY_FROM", 0)  # (a small library's merge: begun early all the same)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    """A library of 3,000 records in its base, built once (each test copies it), with its contents
    before the file's import and after it as the end's own merge leaves them (in a copy)."""
    folder = tmp_path_factory.mktemp("made")
    path, expected = folder / "lib" / "library.json", folder / "expected" / "library.json"
    path.parent.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
        monkeypatch.setattr(endmerge, "EARLY", False)
        lib = Library.open(path)
        lib.fold_when_due()
        import_paths(lib, [_file(folder / "base.xml", 1, 3000, 3000)])
        lib.compact()  # (a base of them all: the file's batches are then merged, not folded)
        lib.close()
        shutil.copytree(path.parent, expected.parent)
        old = _everything(Library.open(expected))
        monkeypatch.setattr(importer, "FLUSH_AT", 60)
        lib = Library.open(expected)
        lib.fold_when_due()
        import_paths(lib, [_file(folder / "d.xml", *FILE[1:])])
        lib.close()
        assert len(_listed(expected)) == 1  # (the file's batches merged into one by the end)
        new = _everything(Library.open(expected))
    return path, old, new


def _copy(made: tuple[Path, object, object], folder: Path) -> Path:
    shutil.copytree(made[0].parent, folder)
    return folder / made[0].name


def _imported(
    made: tuple[Path, object, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Library, Beside]:
    """The file imported into a copy of the library as ``pmbrowse import`` does (batches of 60), its
    command not ended yet: the library, and the end's merge its commit began."""
    path = _copy(made, tmp_path / "lib")
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    lib = Library.open(path)
    lib.fold_when_due()
    import_paths(lib, [_file(tmp_path / "d.xml", *FILE[1:])])
    early = lib._storage.committer.end_merge
    assert early is not None  # (begun at the import's commit, before the command's end)
    return path, lib, early


def _listed(path: Path) -> list[tuple[str, int]]:
    snap = Library.open(path)._reader.snap
    return list(snap.journal.segments) if snap.journal else []


def _clean(path: Path) -> None:
    found = check(path)
    assert not found.problems, found.problems


def test_the_end_takes_the_merge_begun_at_the_imports_commit_and_merges_nothing_itself(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _old, new = made
    merged: list[int] = []
    real = compactor.merge_newest

    def merge_newest(*args: Any) -> None:
        merged.append(args[2])
        real(*args)

    monkeypatch.setattr(compactor, "merge_newest", merge_newest)
    path, lib, early = _imported(made, tmp_path, monkeypatch)
    assert len(early.sources) == len(_listed(path)) >= 5
    early.proc.wait(60)  # (done before the end: its segment there, not yet listed, is not an orphan)
    lib.close()
    assert merged == []  # (the end took the child's segment)
    listed = _listed(path)
    assert len(listed) == 1 and listed[0][0] == early.path.name
    assert {p.name for p in _segments(Library.open(path))} == {listed[0][0]}  # (no orphan, none gone)
    assert _everything(Library.open(path)) == new
    assert_links_agree(Library.open(path))
    _clean(path)


def test_a_small_run_is_left_to_the_end(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(made, tmp_path / "lib")
    monkeypatch.setattr(endmerge, "EARLY_FROM", 16 << 20)  # (as in use: the file's batches hold ~0.5 MB)
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    lib = Library.open(path)
    lib.fold_when_due()
    import_paths(lib, [_file(tmp_path / "d.xml", *FILE[1:])])
    assert lib._storage.committer.end_merge is None
    lib.close()
    assert len(_listed(path)) == 1


def test_a_merge_begun_for_another_run_is_ended_and_the_end_merges_itself(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _old, new = made
    path, lib, early = _imported(made, tmp_path, monkeypatch)
    early.sources = early.sources[1:]  # (as if the listing had moved since: not this run)
    early.first += 1
    lib.close()
    assert early.proc.poll() is not None and not early.path.exists()  # (ended, its file removed)
    assert len(_listed(path)) == 1
    assert _everything(Library.open(path)) == new
    _clean(path)


# The import as ``pmbrowse import`` makes it, in a process of its own, its end's merge stopped in the
# child half-way (``CHILD_STOP``, test_merge_beside's: ``flag`` written with its PID, then a minute's sleep).
IMPORT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    os.environ["PMBROWSE_COMPACT_BYTES"] = str(1 << 30)
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    from store.storage import beside, endmerge
    endmerge.EARLY_FROM = 0
    beside.CHILD = [sys.executable, "-c", {child!r}]
    importer.FLUSH_AT = 60
    lib = Library.open({lib!r})
    lib.fold_when_due()
    import_paths(lib, [{file!r}])
    lib.close()
    """
)


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("killed", ["import", "child"])
def test_kill_9_while_the_end_merge_begun_at_the_commit_runs_leaves_the_import_committed(
    tmp_path: Path, made: tuple[Path, object, object], killed: str
) -> None:
    _, _old, new = made
    path = _copy(made, tmp_path / "lib")
    flag = tmp_path / "flag"
    child = CHILD_STOP.format(root=str(ROOT), flag=str(flag))
    file = _file(tmp_path / "d.xml", *FILE[1:])
    script = IMPORT.format(root=str(ROOT), lib=str(path), child=child, file=str(file))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert flag.exists(), proc.communicate()[1].decode(errors="replace")[-2000:]
    pid = int(flag.read_text())
    if killed == "child":  # (the command's end merges itself, as before)
        os.kill(pid, signal.SIGKILL)
        assert proc.wait(120) == 0, proc.communicate()[1].decode(errors="replace")[-2000:]
        assert len(_listed(path)) == 1
    else:  # (the import's process killed: the child sees its pipe end and exits)
        proc.kill()
        proc.wait()
        assert _gone(pid)
        assert len(_listed(path)) >= 5  # (the import's batches, listed by its commit; not merged)
    proc.communicate()
    lib = Library.open(path, lock_timeout=5)
    assert _everything(lib) == new  # (the import committed before its end's merge began)
    assert_links_agree(lib)
    _clean(path)
    with lib.transaction():  # (the next writer removes what was left: the child's orphan segment)
        pass
    assert {p.name for p in _segments(lib)} == {name for name, _size in _listed(path)}
    _clean(path)


def test_a_writer_between_the_imports_commit_and_its_end_leaves_the_end_to_merge_itself(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the import's commit and its command's end the write lock is free: another writer there
    removes the child's segment, which no listing names, as an orphan. The end finds it gone and merges
    the run itself (``Beside.result`` checks the file); it never lists a segment that is not there."""
    _, _old, new = made
    path, lib, early = _imported(made, tmp_path, monkeypatch)
    early.proc.wait(60)  # (its segment written, not listed)
    assert early.path.exists()
    other = Library.open(path, lock_timeout=5)
    with other.transaction():  # (another writer, between the two: it removes orphans)
        pass
    other._storage.close()  # (let go without a compaction of its own: the run is left to the import's end)
    assert not early.path.exists() and len(_listed(path)) >= 5
    lib.close()
    listed = _listed(path)
    assert len(listed) == 1 and listed[0][0] != early.path.name
    assert {p.name for p in _segments(Library.open(path))} == {listed[0][0]}
    assert _everything(Library.open(path)) == new
    _clean(path)
