"""A command whose standard output cannot take what it prints says so, and does not exit 0.

Found by hand (stop 34): ``pmbrowse export -f ris QUERY > refs.ris`` on a disk with 20 KB left wrote
20 KB of 270 KB and exited 0 without a word, as did ``search`` and ``show``: Python's ``sys.stdout``
reports a write the kernel took only in part as whole (``tui.commands.output``). A reader that goes
away (``| head``) is not a failure: nothing is said, exit 0, as before."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mounts import tmpfs
from tests.store.test_bulk_import import _file
from tui.cli import main


def _library(tmp_path: Path) -> str:
    db = str(tmp_path / "lib.json")
    assert main(["--db", db, "import", str(_file(tmp_path / "a.xml", 1, 400, 400, refs=3))]) == 0
    return db


def _command(db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tui", "--db", db, *args]


def test_an_export_to_a_full_disk_says_so(tmp_path: Path) -> None:
    db = _library(tmp_path)
    whole = subprocess.run(_command(db, "export", "-f", "ris", "is:full"), capture_output=True, check=True)
    assert len(whole.stdout) > 80_000  # (more than a pipe holds)
    with tmpfs("8m") as disk:
        fill = disk / "fill"
        with open(fill, "wb") as f:  # (the disk full, 16 KB left)
            free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
            f.write(b"\0" * (free - 16 * 1024))
        for args in (("export", "-f", "ris", "is:full"), ("search", "--json", "--limit", "500", "is:full")):
            with open(disk / "out", "wb") as out:
                ran = subprocess.run(_command(db, *args), stdout=out, stderr=subprocess.PIPE, text=True)
            assert ran.returncode == 3, (args, ran.stderr)
            assert "cannot write to standard output: No space left on device" in ran.stderr
            assert ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr
            (disk / "out").unlink()


def test_a_write_the_descriptor_takes_in_part_is_finished_or_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """(Without a tmpfs: the descriptor takes 4 KB, then the disk is full.)"""
    db = _library(tmp_path)
    capsys.readouterr()
    written: list[int] = []
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if fd != out.fileno():
            return real_write(fd, data)
        if sum(written) >= 4096:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real_write(fd, bytes(data[: 4096 - sum(written)]))
        written.append(n)
        return n

    with capsys.disabled(), open(tmp_path / "out", "w", encoding="utf-8") as out:
        monkeypatch.setattr(os, "write", write)  # (the descriptor ``tui.commands.output`` writes to)
        monkeypatch.setattr(sys, "stdout", out)
        stderr = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stderr)
        code = main(["--db", db, "export", "-f", "ris", "is:full"])
    assert code == 3
    assert "cannot write to standard output: No space left on device" in stderr.getvalue()
    assert (tmp_path / "out").stat().st_size == 4096


def test_a_reader_that_goes_away_is_not_a_failure(tmp_path: Path) -> None:
    db = _library(tmp_path)
    proc = subprocess.Popen(
        _command(db, "export", "-f", "ris", "is:full"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b"TY  - JOUR"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == b""
