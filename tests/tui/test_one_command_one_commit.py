"""One command, one commit (issue 20.1, 20.2): ``mark ID --star --tag T --include --note N`` and
``snowball exclude ID… --reason R`` killed at every step of their write, or on a full disk, leave the
marks and snowball files as they were (byte for byte) or with every change made — never some."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.marks import Marks, marks_path
from store.snowball.state import snowball_path
from tests.conftest import ROOT
from tests.killed import killed_once_flagged
from tests.mounts import tmpfs
from tests.tui.helpers import run

DEMO = "30992990"
OTHERS = ("40036306", "40078652", "39963133")
MARK = ["mark", DEMO, "--star", "--tag", "to-read", "--include", "--note", "a note"]
EXCLUDE = ["snowball", "exclude", *OTHERS, "--reason", "wrong population"]
# The steps of a write where a kill is tried (``store.atomicwrite``): the temp file written and
# fsynced; the rename, the commit point, just before and just after; the folder fsynced.
STEPS = ("written", "renaming", "renamed", "synced")


def _demo(capsys: pytest.CaptureFixture[str], lib_path: Path) -> None:
    """The demo library with one round kept (so the marks and snowball files both exist)."""
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0
    assert run(capsys, *db, "snowball")[0] == 0
    assert run(capsys, *db, "mark", DEMO, "--unscreen")[0] == 0


def _files(lib_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (marks_path(lib_path), snowball_path(lib_path))}


def _stopped_at(lib_path: Path, step: str, nth: int, command: list[str], flag: Path) -> None:
    """Run ``command`` in a child stopped at ``step`` of its ``nth`` file write, and kill -9 it there."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store import atomicwrite
        seen = []
        def stop(step):
            seen.append(step)
            if seen.count(step) == {nth} and step == {step!r}:
                open({str(flag)!r}, "w").close()
                time.sleep(60)  # killed here
        real_write, real_rename, real_sync = atomicwrite._write_new, atomicwrite.rename, atomicwrite.fsync_dir
        def write_new(tmp, data, mode):
            real_write(tmp, data, mode)
            stop("written")
        def rename(source, target):
            stop("renaming")
            real_rename(source, target)
            stop("renamed")
        def fsync_dir(folder):
            real_sync(folder)
            stop("synced")
        atomicwrite._write_new, atomicwrite.rename, atomicwrite.fsync_dir = write_new, rename, fsync_dir
        from tui.cli import main
        sys.exit(main(["--db", {str(lib_path)!r}, *{command!r}]))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = killed_once_flagged(proc, flag)
    assert flag.exists(), f"the command ended before {step} #{nth}: {err}"
    flag.unlink()


def _mark_state(lib_path: Path) -> tuple[object, ...]:
    mark = Marks.open(lib_path).get([f"pmid:{DEMO}"])
    return (mark.starred, mark.tags, mark.screening, mark.note)


@pytest.mark.parametrize("step", STEPS)
def test_a_multi_change_mark_killed_at_each_step_is_all_or_nothing(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path, step: str
) -> None:
    _demo(capsys, lib_path)
    before = _files(lib_path)
    _stopped_at(lib_path, step, 1, MARK, tmp_path / "stopped")
    after = _files(lib_path)
    done = step in ("renamed", "synced")
    if not done:
        assert after == before
    else:
        assert after[snowball_path(lib_path).name] == before[snowball_path(lib_path).name]
        assert _mark_state(lib_path) == (True, ("to-read",), "included", "a note")
    # No temp file is left once the next write is done, and the command then does what it says.
    assert run(capsys, "--db", str(lib_path), *MARK)[0] == 0
    assert _mark_state(lib_path) == (True, ("to-read",), "included", "a note")
    assert not [p.name for p in lib_path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("step", STEPS)
def test_snowball_exclude_killed_at_each_step_is_all_or_nothing(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path, step: str
) -> None:
    _demo(capsys, lib_path)
    before = _files(lib_path)
    _stopped_at(lib_path, step, 1, EXCLUDE, tmp_path / "stopped")
    marks = Marks.open(lib_path)
    states = {(marks.get([f"pmid:{p}"]).screening, marks.get([f"pmid:{p}"]).reason) for p in OTHERS}
    if step in ("renamed", "synced"):
        assert states == {("excluded", "wrong population")}
    else:
        assert states == {(None, "")} and _files(lib_path) == before
    assert _files(lib_path)[snowball_path(lib_path).name] == before[snowball_path(lib_path).name]


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A folder on a tmpfs of 8 MB (root only: skipped where mounting is not permitted)."""
    with tmpfs("8m") as folder:
        yield folder


def _fill(folder: Path, room: int) -> None:
    """Fill the disk, then free ``room`` pages (a tmpfs gives a file a page at a time: with 0, no lock file
    can be written; with 1, the lock is taken, and then the new file's temp file finds no room)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * size)
    os.truncate(filler, filler.stat().st_size // 4096 * 4096 - room * 4096)


@pytest.mark.parametrize("room", [0, 1])
def test_a_full_disk_changes_neither_file_and_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], small_disk: Path, room: int
) -> None:
    lib_path = small_disk / "library.json"
    _demo(capsys, lib_path)
    before = _files(lib_path)
    _fill(small_disk, room)
    for command in (MARK, EXCLUDE):
        code, out, err = run(capsys, "--db", str(lib_path), *command)
        assert (code, out) == (3, ""), err
        assert err.count("\n") == 1 and err.startswith("pmbrowse: No space left on device (")
        assert str(marks_path(lib_path)) in err
        assert _files(lib_path) == before
    assert not [p.name for p in small_disk.iterdir() if p.name.endswith(".tmp")]
