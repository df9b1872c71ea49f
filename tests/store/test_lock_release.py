"""A write lock whose release cannot clear the holder's PID from its file (an I/O error, a disk that
fails) still lets go, and the command that held it does not fail after its commit.

Found by a sweep (stop 34) that made the Nth ``os.ftruncate`` of a command fail: the release's
``ftruncate(fd, 0)`` raised out of ``store.lock.write_lock`` after the commit, so ``pmbrowse mark`` and
``pmbrowse import`` exited 3 with "No space left on device" though their change was in (and the
``flock`` was not let go until the file was closed). The PID left in the file is only ever read to
name a holder while the lock is held."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from store.lock import write_lock
from store.marks import Marks
from tui.cli import main


def _failing_release(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``os.ftruncate`` fails on a lock file's release (a truncate of a descriptor a PID was written to)."""
    holding: set[int] = set()
    failed: list[int] = []
    pwrite, ftruncate = os.pwrite, os.ftruncate

    def written(fd: int, data: bytes, offset: int) -> int:
        if data.strip().isdigit():  # (the holder's PID: ``write_lock``)
            holding.add(fd)
        return pwrite(fd, data, offset)

    def truncated(fd: int, length: int) -> None:
        if fd in holding and length == 0:
            holding.discard(fd)
            failed.append(fd)
            raise OSError(errno.EIO, "Input/output error")
        ftruncate(fd, length)

    monkeypatch.setattr(os, "pwrite", written)
    monkeypatch.setattr(os, "ftruncate", truncated)
    return failed


def test_a_release_that_cannot_truncate_lets_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failed = _failing_release(monkeypatch)
    with write_lock(tmp_path / "lib.json", timeout=0):
        pass
    assert failed
    monkeypatch.undo()
    with write_lock(tmp_path / "lib.json", timeout=0):  # (free again)
        pass


def test_a_mark_whose_lock_release_fails_is_stored_and_says_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "lib.json")
    assert main(["--db", db, "stats"]) == 0
    capsys.readouterr()
    failed = _failing_release(monkeypatch)
    code = main(["--db", db, "mark", "30992990", "--star"])
    monkeypatch.undo()
    assert failed and code == 0, capsys.readouterr().err
    assert "Input/output error" not in capsys.readouterr().err
    assert [m.starred for m in Marks.open(tmp_path / "lib.json")] == [True]
