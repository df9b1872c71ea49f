"""The small files beside the library — marks, snowball, session — and the files ``-o`` writes, under
attack (issue 20.7, 20.9, 20.12): a FIFO, ``/dev/zero``, a folder or bad JSON in their place, symbolic
links to them, FIFOs to write into. Each test here failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from store.marks import marks_path
from store.session import Session, session_path
from store.snowball.state import snowball_path
from tests.conftest import ROOT
from tests.tui.helpers import run

DEMO = "30992990"
FILES = {"marks": marks_path, "snowball": snowball_path}
# A command that reads each file (and would hang on a FIFO): the marks by marking, the snowball file by
# its report.
READERS = {"marks": ["mark", DEMO, "--star"], "snowball": ["snowball", "report"]}


def pmbrowse(lib_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``pmbrowse`` in a process of its own, so a hang is a failed test rather than a stuck suite."""
    return subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(lib_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PMBROWSE_LOCK_TIMEOUT": "2"},
    )


@pytest.fixture
def db(capsys: pytest.CaptureFixture[str], lib_path: Path) -> Path:
    """The demo library with its article included and one round kept: both small files exist."""
    assert run(capsys, "--db", str(lib_path), "mark", DEMO, "--include")[0] == 0
    assert run(capsys, "--db", str(lib_path), "snowball")[0] == 0
    assert marks_path(lib_path).is_file() and snowball_path(lib_path).is_file()
    return lib_path


@pytest.mark.parametrize("which", sorted(FILES))
@pytest.mark.parametrize("what", ["fifo", "/dev/zero", "folder"])
def test_a_fifo_dev_zero_or_folder_in_place_of_a_small_file_is_refused_in_one_line(
    db: Path, which: str, what: str
) -> None:
    """Issue 20.7 and 20.12: a FIFO (or a link to ``/dev/zero``) in place of the marks or snowball file
    hung every command until killed; a folder said "Is a directory" without saying which file."""
    path = FILES[which](db)
    path.unlink()
    if what == "fifo":
        os.mkfifo(path)
        said = "it is a FIFO (named pipe), not a file"
    elif what == "folder":
        path.mkdir()
        said = "it is a folder, not a file"
    else:
        path.symlink_to("/dev/zero")
        said = "it is a character device, not a file"
    done = pmbrowse(db, *READERS[which])
    assert done.returncode == 3, done.stderr
    assert done.stderr == f"pmbrowse: cannot read the {which} file {path}: {said}\n"
    assert not path.is_file()  # (left as it was)


@pytest.mark.parametrize("which", sorted(FILES))
def test_bad_json_in_a_small_file_is_one_line_naming_it(db: Path, which: str) -> None:
    path = FILES[which](db)
    path.write_bytes(path.read_bytes()[:-40])
    before = path.read_bytes()
    done = pmbrowse(db, *READERS[which])
    assert done.returncode == 3 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"pmbrowse: {path} is not a pmbrowse {which} file: invalid JSON at line ")
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
@pytest.mark.parametrize("which", sorted(FILES))
def test_an_unreadable_small_file_is_one_line_naming_it(db: Path, which: str) -> None:
    path = FILES[which](db)
    path.chmod(0)
    done = pmbrowse(db, *READERS[which])
    assert done.returncode == 3
    assert done.stderr == f"pmbrowse: cannot read the {which} file {path}: Permission denied\n"


def test_the_session_file_never_hangs_nor_fails_the_app(lib_path: Path) -> None:
    """A FIFO or a link to ``/dev/zero`` in place of the session file: a fresh start, at once (it hung);
    saving over a FIFO or a folder is let be (where you were is never worth an error)."""
    path = session_path(lib_path)
    code = (
        "import sys; from pathlib import Path; from store.session import Session\n"
        f"s = Session.load(Path({str(lib_path)!r})); assert s.query == '', s\n"
        f"s.query = 'x'; s.save(Path({str(lib_path)!r}))\n"
    )
    for make in (os.mkfifo, lambda p: p.symlink_to("/dev/zero"), os.mkdir):
        make(path)
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=30)
        assert not path.is_file()
        (path.rmdir if path.is_dir() and not path.is_symlink() else path.unlink)()
    Session(query="q").save(lib_path)
    assert Session.load(lib_path).query == "q"


@pytest.mark.parametrize("which", sorted(FILES))
def test_a_small_file_reached_through_a_symbolic_link_stays_a_link(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, which: str
) -> None:
    """Issue 20.9: the snowball file reached through a symbolic link was replaced by a plain file (the
    link gone, the file it pointed to left behind, stale). Writes go through the link to its target."""
    path = FILES[which](db)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / path.name
    path.rename(target)
    path.symlink_to(target)
    args = ["snowball", "exclude", "40036306", "--reason", "wrong design"]
    assert run(capsys, "--db", str(db), *args)[0] == 0
    assert (
        run(capsys, "--db", str(db), "snowball", "drop", "1", "--yes")[0] == 0
    )  # (a write of the snowball file)
    assert path.is_symlink() and os.readlink(path) == str(target)
    text = target.read_text()
    assert ("wrong design" in text) if which == "marks" else ('"dropped":{\n"1"' in text)
    assert sorted(p.name for p in elsewhere.iterdir()) == [path.name]  # (no temp file left)


@pytest.mark.parametrize("command", [["export", "--screened", "--format", "ris"], ["map", DEMO]])
def test_o_writes_through_a_link_and_streams_into_a_fifo(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, command: list[str]
) -> None:
    """Issue 20.9: ``export -o`` and ``map -o`` to a FIFO or a symbolic link replaced it with a regular
    file. A link is written through (it stays a link), a FIFO is written into as a stream."""
    code, expected, err = run(capsys, "--db", str(db), *command)
    assert code == 0, err
    target = tmp_path / "real.out"
    target.write_text("old")
    link = tmp_path / "link.out"
    link.symlink_to(target)
    assert run(capsys, "--db", str(db), *command, "-o", str(link))[0] == 0
    assert link.is_symlink() and target.read_text() == expected
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    code, _, err = run(capsys, "--db", str(db), *command, "-o", str(fifo))
    reader.join(30)
    assert code == 0, err
    assert got == [expected] and fifo.exists() and not fifo.is_file()


@pytest.mark.parametrize("command", [["export", "--screened", "--format", "ris"], ["map", DEMO]])
def test_o_to_a_folder_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], db: Path, command: list[str]
) -> None:
    code, out, err = run(capsys, "--db", str(db), *command, "-o", str(db.parent))
    assert (code, out) == (2, "")
    assert err == f"pmbrowse: cannot write {db.parent}: it is a folder, not a file; nothing was written\n"


def test_the_report_names_a_damaged_snowball_file_in_json_too(db: Path) -> None:
    path = snowball_path(db)
    data = json.loads(path.read_text())
    data["rounds"]["1"]["candidates"] = "none"
    path.write_text(json.dumps(data))
    done = pmbrowse(db, "snowball", "report", "--format", "json")
    assert done.returncode == 3 and done.stderr.count("\n") == 1 and str(path) in done.stderr
