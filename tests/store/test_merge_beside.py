"""A merge of the library's newest segments beside a bulk import, in a child process
(``store.storage.beside``): committed with the import by one listing's rename, the same library as
the end's merge makes; killed at any moment (the child, or the import before, at or after its commit)
it leaves the old state or the new, which opens, checks clean and holds everything committed; a
reader meanwhile sees the old state or the new."""

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
from store.storage.committer import Committer
from store.storage.compactor import beside_run
from store.storage.segment import SegmentFile
from tests.conftest import ROOT
from tests.killed import STOPPED_AT_ITS_RENAME
from tests.store.test_bulk_import import _everything, _segments
from tests.store.test_crash_consistency import assert_links_agree
from tests.store.test_tiering import _file

FILES = [("a", 3001, 300, 3300), ("b", 3301, 300, 3600), ("c", 3601, 300, 3900)]
LAST = ("d", 3901, 300, 4200)


@pytest.fixture(autouse=True)
def _journal_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (only the segments decide)
    monkeypatch.setattr(importer, "FLUSH_AT", importer.FLUSH_AT)  # (``_import`` sets it: restored)


def _import(
    path: Path, name: str, first: int, count: int, among: int, flush: int, *, command: bool
) -> Library:
    importer.FLUSH_AT = flush
    lib = Library.open(path)
    if command:
        lib.fold_when_due()  # (as ``pmbrowse import``: merges beside it)
    import_paths(lib, [_file(path.parent / f"{name}.xml", first, count, among)])
    return lib


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    """A library with a base and three segments of one size (three files' merged batches), built once:
    each test copies it (``_copy``); and its contents before the last file's import and after it,
    as an import without a merge beside it leaves them (in a copy of its own)."""
    folder = tmp_path_factory.mktemp("made")
    path, expected = folder / "two" / "library.json", folder / "expected" / "library.json"
    path.parent.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
        monkeypatch.setattr(importer, "FLUSH_AT", importer.FLUSH_AT)
        _import(path, "base", 1, 3000, 3000, 1000, command=True).close()
        for name, first, count, among in FILES:
            _import(path, name, first, count, among, 60, command=True).close()
        assert len(_listed(path)) == 3
        shutil.copytree(path.parent, expected.parent)
        old = _everything(Library.open(expected))
        _import(expected, *LAST, 60, command=False).close()
        new = _everything(Library.open(expected))
    return path, old, new


def _copy(made: tuple[Path, object, object], folder: Path) -> Path:
    """A copy (``cp -r``, times kept) of the library with three segments, in ``folder``: its path."""
    shutil.copytree(made[0].parent, folder)
    return folder / made[0].name


def _listed(path: Path) -> list[tuple[str, int]]:
    snap = Library.open(path)._reader.snap
    return list(snap.journal.segments) if snap.journal else []


def _clean(path: Path) -> None:
    found = check(path)
    assert not found.problems, found.problems


def test_the_rule_stated_for_before_the_import() -> None:
    # (three listed segments of one size: merged beside once the import's batches hold about as much)
    assert beside_run([100, 100, 100], [10] * 5, 1000) == 0
    assert beside_run([100, 100, 100], [10] * 11, 1000) == 3
    # (a run from 60 on, begun once the batches hold about a file's segment, the biggest of the run:
    # begun sooner, the batches after it were a segment the next files' ends did not take in, and the
    # ten-file proxy ended with four segments, not three)
    assert beside_run([100, 100, 100], [10] * 9, 1000) == 0
    assert beside_run([100, 100, 100], [10] * 10, 1000) == 3
    assert beside_run([100, 100, 120], [10] * 11, 1000) == 0
    assert beside_run([900, 100, 100, 100], [10] * 11, 1000) == 3  # (not the older, bigger one)
    assert beside_run([100, 100], [10] * 12, 1000) == 0  # (two: the end merges the batches alone)
    assert beside_run([100], [10] * 30, 1000) == 0  # (one segment: nothing to merge beside)
    assert beside_run([1000, 1000], [100] * 11, 1000) == 0  # (the end folds: nothing beside it)


def test_a_merge_beside_an_import_commits_with_it_and_the_library_is_the_same(
    tmp_path: Path, made: tuple[Path, object, object]
) -> None:
    beside, plain = _copy(made, tmp_path / "beside"), _copy(made, tmp_path / "plain")
    older = {name for name, _size in _listed(beside)}
    lib = _import(beside, *LAST, 60, command=True)
    listed = _listed(beside)
    # The three older segments merged into one beside the import, listed by its commit in their place.
    assert not older & {name for name, _size in listed}, listed
    assert listed[0][1] > max(size for _name, size in listed[1:])
    assert {p.name for p in _segments(lib)} == {name for name, _size in listed}  # (no orphan)
    lib.close()
    # (the end's rule on what the commit left: the batches written after the merge beside, merged
    # when they make a run; a few of one size are left for a later end, as its rule leaves them)
    assert _listed(beside)[0] == listed[0] and len(_listed(beside)) <= 4
    _import(plain, *LAST, 60, command=False).close()  # (no merge beside: the end merges all four)
    assert len(_listed(plain)) == 1
    assert _everything(Library.open(beside)) == _everything(Library.open(plain))
    assert_links_agree(Library.open(beside))
    _clean(beside)


# The import of the last file as ``pmbrowse import`` makes it, in a process of its own, stopped (``flag``
# written, then a minute's sleep) at ``moment``: "child" (the merge beside it half-way: the child
# stopped), "import" (the import waiting for it at its commit), "before" / "after" (the rename of the
# journal that commits both).
CHILD_STOP = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from store.storage import segmentwriter
    real = segmentwriter.SegmentWriter.add_doc
    done = [0]
    def add_doc(self, *args):
        real(self, *args)
        done[0] += 1
        if done[0] == 50:
            # (whole or not there: the test reads the PID as soon as the flag exists)
            open({flag!r} + ".part", "w").write(str(os.getpid()))
            os.replace({flag!r} + ".part", {flag!r})
            time.sleep(60)
    segmentwriter.SegmentWriter.add_doc = add_doc
    import runpy
    runpy.run_module("store.storage.besidechild", run_name="__main__")
    """
)
IMPORT = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    from store.storage import beside
    if {moment!r} in ("child", "import"):
        beside.CHILD = [sys.executable, "-c", {child!r}]
    importer.FLUSH_AT = 60
    lib = Library.open({lib!r})
    lib.fold_when_due()
    """
)


def _run_stopped(tmp_path: Path, path: Path, moment: str) -> tuple[subprocess.Popen[bytes], Path]:
    flag = tmp_path / f"flag-{moment}"
    child = CHILD_STOP.format(root=str(ROOT), flag=str(flag))
    script = IMPORT.format(root=str(ROOT), lib=str(path), moment=moment, child=child)
    if moment in ("before", "after"):
        script += STOPPED_AT_ITS_RENAME.format(ending="library.json.journal", pause=moment, flag=str(flag))
    file = _file(tmp_path / "d.xml", *LAST[1:])
    script += f"import_paths(lib, [{str(file)!r}])\nlib.close()\n"
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert flag.exists(), proc.communicate()[1].decode(errors="replace")[-2000:]
    return proc, flag


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("moment", ["child", "import", "before", "after"])
def test_kill_9_at_any_moment_of_a_merge_beside_an_import_leaves_the_old_state_or_the_new(
    tmp_path: Path, made: tuple[Path, object, object], moment: str
) -> None:
    _, old, new = made
    path = _copy(made, tmp_path / "lib")
    reader = Library.open(path)  # (opened before: it reads the old state to its end)
    proc, flag = _run_stopped(tmp_path, path, moment)
    child = int(flag.read_text()) if moment in ("child", "import") else 0
    if moment == "child":  # (the child killed: the import goes on without its merge, and commits)
        os.kill(child, signal.SIGKILL)
        assert proc.wait(120) == 0, proc.communicate()[1].decode(errors="replace")[-2000:]
    else:  # (the import killed: the child sees its pipe end and exits)
        proc.kill()
        proc.wait()
        if child:
            assert _gone(child)
    proc.communicate()
    assert _everything(reader) == old  # (a reader of the old state reads it to its end)
    reader.refresh()
    assert _everything(reader) in (old, new)
    lib = Library.open(path, lock_timeout=5)
    found = _everything(lib)
    assert found == (new if moment in ("child", "after") else old)
    assert_links_agree(lib)
    _clean(path)
    with lib.transaction():  # (the next writer removes what was left: orphan segments)
        pass
    names = {name for name, _size in _listed(path)}
    assert {p.name for p in _segments(lib)} == names
    assert not list(path.parent.glob(".*.tmp"))
    _clean(path)


def test_a_reader_during_an_import_with_a_merge_beside_it_sees_the_old_state_or_the_new(
    tmp_path: Path, made: tuple[Path, object, object]
) -> None:
    _, old, new = made
    path = _copy(made, tmp_path / "lib")
    older = {name for name, _size in _listed(path)}
    file = _file(tmp_path / "d.xml", *LAST[1:])
    script = IMPORT.format(root=str(ROOT), lib=str(path), moment="", child="")
    script += f"import_paths(lib, [{str(file)!r}])\nlib.close()\n"
    proc = subprocess.Popen([sys.executable, "-c", script])
    reader = Library.open(path)
    seen = []
    try:
        while proc.poll() is None:
            reader.refresh()
            found = _everything(reader)
            assert found in (old, new)
            seen.append(found == new)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    reader.refresh()
    assert _everything(reader) == new and False in seen
    assert not older & {name for name, _size in _listed(path)}  # (merged: beside the import, or at its end)


# (from test_import_lets_go, what an import holds between its batches: here for ``made``, built once)
def test_an_import_keeps_no_column_of_the_librarys_segments_that_its_tally_alone_reads(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tally of every document's keys (``store.storage.runs``) reads each segment's ``link_cited``
    once, at the import's first batch; nothing of the import reads it after: kept, it was 4 bytes a
    link change of the library's segments for the rest of the import (10.6 MB at a million records)."""
    path = _copy(made, tmp_path / "lib")
    kept: list[set[str]] = []
    spill = Committer.spill
    once: list[str] = []
    column_once = SegmentFile.column_once

    def read_once(self: SegmentFile, name: str) -> Any:
        once.append(name)
        return column_once(self, name)

    monkeypatch.setattr(SegmentFile, "column_once", read_once)

    def spilled(self: Committer, *args: Any) -> None:
        spill(self, *args)
        kept.extend(set(getattr(s, "_columns", {})) for s in self.reader.snap.segments)

    monkeypatch.setattr(Committer, "spill", spilled)
    # (``_import`` sets ``FLUSH_AT`` for good: restored after the test, or every later test of this
    # worker imported in batches of 60; this module's ``made`` restores it only here)
    monkeypatch.setattr(importer, "FLUSH_AT", importer.FLUSH_AT)
    _import(path, *LAST, 60, command=True).close()
    assert kept and once and set(once) == {"link_cited"}, (kept, once)  # (the tally read it)
    assert not any("link_cited" in names for names in kept), kept
