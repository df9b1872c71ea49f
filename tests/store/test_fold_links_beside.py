"""A fold's link records written by a forked child beside its documents (``store.storage.foldlinks``):
the same bytes as one process writes; the child's error raised as the fold's; a child killed leaves the
fold to write them itself; the fold interrupted, or its process killed -9, leaves no child and no file
behind, and the library as it was."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store.check import check
from store.docindex import aligned
from store.errors import LibraryFileError
from store.library import Library
from store.model import Origin
from store.storage import fold, foldlinks, forked
from store.storage.generation import Builder
from store.storage.snapshot import Snapshot
from tests.conftest import ROOT
from tests.killed import killed_once_flagged
from tests.store import test_fold_bytes_pinned as pinned

ORIGIN = Origin("pubmed-xml", "/fixed/in.xml")


def _taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every fold's link records beside (``BESIDE_FROM`` 0); what each ``LinksBeside.into`` returned."""
    monkeypatch.setattr(foldlinks, "BESIDE_FROM", 0)
    answers: list[bool] = []
    into = foldlinks.LinksBeside.into

    def counted(self: foldlinks.LinksBeside, builder: Builder) -> bool:
        answers.append(into(self, builder))
        return answers[-1]

    monkeypatch.setattr(foldlinks.LinksBeside, "into", counted)
    return answers


def _library(path: Path) -> Library:
    """A base of 300 records, and 400 more in the journal: its compaction folds both."""
    lib = Library.open(path)
    for first, n, step, width in ((1, 300, 0, 0), (250, 400, 7, 6)):
        with lib.transaction() as changes:
            for doc in pinned._docs(first, n, step, width):
                changes.put_document(doc, ORIGIN)
    return lib


def _index_body(raw: bytes) -> bytes:
    """A document index without its header (which names the generation and the base's size, time and
    CRC-32: its length varies with them, by the alignment after it)."""
    (n,) = struct.unpack_from("<I", raw, 8)
    return raw[aligned(16 + n) :]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("run_bytes", [4 << 20, 2048], ids=["one-slice", "many-slices"])
def test_a_fold_with_its_links_beside_writes_the_bytes_stop_37_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_bytes: int
) -> None:
    # (the pinned test's library: a first commit, then batches written as segments and folded with a
    # base whose unchanged link records are copied in runs: each fold's links written by a child)
    taken = _taken(monkeypatch)
    pinned.test_a_fold_writes_the_bytes_stop_37_wrote(tmp_path, monkeypatch, run_bytes)
    assert taken == [True, True, True]


def test_a_fold_with_its_links_beside_writes_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _library(tmp_path / "one" / "library.json")
    monkeypatch.setattr(foldlinks, "BESIDE", False)
    assert one.compact()
    monkeypatch.setattr(foldlinks, "BESIDE", True)
    taken = _taken(monkeypatch)
    two = _library(tmp_path / "two" / "library.json")
    taken.clear()  # (the first commits' folds, beside too)
    assert two.compact()
    assert taken == [True]
    ones, twos = _files(tmp_path / "one"), _files(tmp_path / "two")
    # (the generation id differs, and with it the header's line and the index's header)
    assert ones["library.json"].split(b"\n", 3)[3] == twos["library.json"].split(b"\n", 3)[3]
    assert _index_body(ones["library.json.idx"]) == _index_body(twos["library.json.idx"])
    assert not [name for name in twos if name.endswith(".tmp")]
    assert check(two.path).problems == []


@pytest.mark.parametrize("off_by", [-1, 1, 4096], ids=["short", "long", "a-page-long"])
def test_documents_ending_elsewhere_than_foretold_fold_again_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, off_by: int
) -> None:
    # (the child writes into the new base where the documents were foretold to end: if they end
    # elsewhere, some may lie under its records, so the fold is done again, its links by this process)
    one = _library(tmp_path / "one" / "library.json")
    monkeypatch.setattr(foldlinks, "BESIDE", False)
    assert one.compact()
    monkeypatch.setattr(foldlinks, "BESIDE", True)
    two = _library(tmp_path / "two" / "library.json")
    taken = _taken(monkeypatch)
    started = _children(monkeypatch)
    real = fold.links_start
    monkeypatch.setattr(fold, "links_start", lambda *args: real(*args) + off_by)
    assert two.compact()
    assert len(started) == 1 and _gone(started[0])
    assert taken == []  # (``into`` raised ``Misplaced``: the second fold forks no child)
    one_base = (tmp_path / "one" / "library.json").read_bytes().split(b"\n", 3)[3]
    assert (tmp_path / "two" / "library.json").read_bytes().split(b"\n", 3)[3] == one_base
    index = "library.json.idx"
    assert _index_body((tmp_path / "one" / index).read_bytes()) == _index_body(
        (tmp_path / "two" / index).read_bytes()
    )
    assert not [p for p in (tmp_path / "two").iterdir() if p.name.endswith(".tmp")]
    assert check(two.path).problems == []


def test_the_childs_error_is_the_folds_and_the_library_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _library(tmp_path / "library.json")
    before = _files(tmp_path)
    taken = _taken(monkeypatch)
    real = fold._write_links
    parent = os.getpid()

    def damaged(*args: Any) -> None:
        if os.getpid() != parent:  # (in the child only: the parent never writes them)
            raise LibraryFileError(f"{tmp_path / 'library.json'} is damaged (a test's)")
        real(*args)

    monkeypatch.setattr(fold, "_write_links", damaged)
    with pytest.raises(LibraryFileError, match="is damaged \\(a test's\\)"):
        lib.compact()
    assert taken == []  # (raised from ``into``)
    assert _files(tmp_path) == before  # (no temp file left: the child's removed)


def test_a_child_killed_leaves_the_links_to_the_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _library(tmp_path / "one" / "library.json")
    monkeypatch.setattr(foldlinks, "BESIDE", False)
    assert one.compact()
    monkeypatch.setattr(foldlinks, "BESIDE", True)
    two = _library(tmp_path / "two" / "library.json")
    taken = _taken(monkeypatch)
    real = fold._write_links
    parent = os.getpid()

    def killed(into: Builder, *args: Any) -> None:
        if os.getpid() != parent:  # (as the kernel's out-of-memory killer would, what it wrote not all
            # its records: the fold writes them over it)
            into._fh.write(b"x" * 5000)
            into._fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        real(into, *args)

    monkeypatch.setattr(fold, "_write_links", killed)
    assert two.compact()
    assert taken == [False]  # (the child ended without its answer: written here)
    one_base = (tmp_path / "one" / "library.json").read_bytes().split(b"\n", 3)[3]
    assert (tmp_path / "two" / "library.json").read_bytes().split(b"\n", 3)[3] == one_base
    assert not [p for p in (tmp_path / "two").iterdir() if p.name.endswith(".tmp")]
    assert check(two.path).problems == []


def _children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    started: list[int] = []
    start = forked.start

    def tracked(work: Callable[[], Any]) -> tuple[int, int]:
        pid, fd = start(work)
        started.append(pid)
        return pid, fd

    monkeypatch.setattr(forked, "start", tracked)
    return started


def _gone(pid: int) -> bool:
    """The process ``pid`` is not alive (not there, or a zombie nobody waited for)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_fold_interrupted_kills_its_child_and_removes_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _library(tmp_path / "library.json")
    before = _files(tmp_path)
    _taken(monkeypatch)
    started = _children(monkeypatch)
    real = fold._write_pairs

    def interrupted(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        time.sleep(0.2)  # (the child has made its file by then)
        assert [p for p in tmp_path.iterdir() if p.name.endswith(f".{started[0]}.tmp")]
        raise KeyboardInterrupt

    monkeypatch.setattr(fold, "_write_pairs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lib.compact()
    assert len(started) == 1
    with pytest.raises(ChildProcessError):  # (waited for: no zombie left)
        os.waitpid(started[0], os.WNOHANG)
    assert _files(tmp_path) == before


def test_a_fold_killed_9_leaves_no_child_and_the_next_writer_removes_its_file(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    stats = _library(path).stats()  # (left open: closing would compact it, ``Library.close``)
    flag, pids = tmp_path / "flag", tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store.library import Library
        from store.storage import fold, foldlinks, forked
        foldlinks.BESIDE_FROM = 0
        start = forked.start
        def tracked(work):
            pid, fd = start(work)
            open({str(pids)!r}, "w").write(str(pid))
            return pid, fd
        forked.start = tracked
        real = fold._write_pairs
        def stopped(*args, **kwargs):
            real(*args, **kwargs)
            time.sleep(0.3)  # (the child's records written into the new base)
            open({str(flag)!r}, "w").close()
            time.sleep(60)  # killed here
        fold._write_pairs = stopped
        parent, links = os.getpid(), fold._write_links
        def slow(*args):
            links(*args)
            if os.getpid() != parent:
                time.sleep(60)  # (the child outlives its parent only if nothing ends it)
        fold._write_links = slow
        Library.open({str(path)!r}).compact()
        """
    )
    # (its errors to a file: an orphaned child would hold a pipe open, and reading it wait for the child)
    with open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", script], stderr=err)
        killed_once_flagged(proc, flag)
    assert flag.exists(), (tmp_path / "err").read_text()
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:  # (its death signal: ``forked``)
        time.sleep(0.01)
    assert _gone(child)
    left = [name for name in _files(tmp_path) if name.endswith(".tmp")]
    assert f".library.json.{proc.pid}.tmp" in left  # (the new base, the child's records in it: what the
    # next writer removes)
    lib = Library.open(path)
    assert lib.stats() == stats  # (as it was)
    assert lib.compact()  # (the compaction killed, done again)
    assert not [name for name in _files(tmp_path) if name.endswith(".tmp")]
    assert check(path).problems == []
    assert lib.stats() == stats


def test_a_small_fold_forks_no_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _children(monkeypatch)
    lib = _library(tmp_path / "library.json")  # (649 documents: below ``BESIDE_FROM``)
    assert lib.compact()
    assert started == []
    monkeypatch.setattr(foldlinks, "BESIDE_FROM", 649)
    lib = _library(tmp_path / "again.json")
    assert lib.compact()
    assert len(started) == 1


def test_a_fold_beside_decodes_each_journal_document_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (where its documents end is worked out from the journal's documents encoded first: those same
    # documents, not decoded again, are what it writes and takes the meta, head and keys of)
    taken = _taken(monkeypatch)
    lib = _library(tmp_path / "library.json")  # (400 records in the journal)
    decoded: list[int] = []
    doc = Snapshot.doc

    def counted(self: Snapshot, doc_id: int) -> Any:
        decoded.append(doc_id)
        return doc(self, doc_id)

    monkeypatch.setattr(Snapshot, "doc", counted)
    taken.clear()
    assert lib.compact()
    assert taken == [True]
    assert len(decoded) >= 400 and len(decoded) == len(set(decoded)), (len(decoded), len(set(decoded)))
    assert check(lib.path).problems == []
