"""One commit across the library and the snowball file (issue 20, "one transaction for everything one
command changes"; ``store.intent``): ``import --source`` killed -9 at each step of its commit leaves the
records and their database search, or neither; what a killed command left is settled by the next
command, whichever it is, and never rolled forward over another process's commit."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from store.intent import intent_path, settle
from store.library import Library
from store.snowball.state import SnowballFile, snowball_path
from tests.conftest import DATA
from tests.killed import killed_once_flagged, stopped_at_a_write
from tests.tui.helpers import run
from tui.cli import main
from tui.commands.base import LEFT_AS_IT_WAS

XML = DATA / "pubmed_xml" / "baseline_style.xml"
MEDLINE = DATA / "medline" / "34843274.txt"
SEARCH = "PubMed 2026-12-01"
# Where a kill is tried: (the step of ``store.atomicwrite``, the file it writes). The temp file of the
# snowball file written; the intent about to be renamed into place, then renamed (the library has not
# committed yet); the snowball file about to be renamed into place (the library has committed), then
# renamed (the intent not removed yet).
STOPS = [
    ("written", ".snowball.json"),
    ("renaming", ".intent"),
    ("renamed", ".intent"),
    ("renaming", ".snowball.json"),
    ("renamed", ".snowball.json"),
]
COMMITTED = {("renaming", ".snowball.json"), ("renamed", ".snowball.json")}


def _stopped(lib_path: Path, step: str, name: str, command: list[str], flag: Path) -> None:
    """Run ``pmbrowse command`` in a child stopped at ``step`` of writing the file whose name ends with
    ``name``, and kill -9 it there."""
    script = stopped_at_a_write(step, name, flag) + textwrap.dedent(
        f"""
        from tui.cli import main
        sys.exit(main(["--db", {str(lib_path)!r}, *{command!r}]))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = killed_once_flagged(proc, flag)
    assert flag.exists(), f"the command ended before {step} {name}: {err}"
    flag.unlink()


def _records(lib_path: Path) -> int:
    return Library.open(lib_path, demo=False).stats().records


def _leftovers(lib_path: Path) -> list[str]:
    return sorted(p.name for p in lib_path.parent.iterdir() if p.name.endswith((".pending", ".intent")))


@pytest.mark.parametrize(("step", "name"), STOPS)
def test_import_source_killed_at_each_step_keeps_the_records_and_the_search_together(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path, step: str, name: str
) -> None:
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0  # (the library and the snowball file exist)
    assert run(capsys, *db, "snowball", "exclude", "34843274", "--reason", "r")[0] == 0
    SnowballFile.open(lib_path).change(lambda state: state.reasons.append("kept"))
    before = snowball_path(lib_path).read_bytes()
    records = _records(lib_path)
    _stopped(lib_path, step, name, ["import", "--source", SEARCH, str(XML)], tmp_path / "stopped")
    # The next command, whatever it is, settles what the killed one left: here a read of the report.
    code, out, err = run(capsys, *db, "snowball", "report", "--format", "json")
    state = SnowballFile.open(lib_path).load()
    if (step, name) in COMMITTED:
        assert code == 0, err
        flow = json.loads(out)
        assert _records(lib_path) > records
        assert [s.name for s in state.searches] == [SEARCH] and state.pending == []
        assert flow["identification"]["database_results"] == len(state.searches[0].entries) > 0
    else:
        assert code == 1 and "nothing to report yet" in err
        assert _records(lib_path) == records
        assert state.searches == [] and state.pending == []
        assert snowball_path(lib_path).read_bytes() == before
    assert "kept" in state.reasons  # (what the snowball file held before is kept either way)
    # The same import again records the search (again), and leaves nothing of the killed one behind.
    assert run(capsys, *db, "import", "--source", SEARCH, str(XML))[0] == 0
    assert [s.name for s in SnowballFile.open(lib_path).load().searches] == [SEARCH]
    assert _leftovers(lib_path) == []


def test_a_commit_after_a_killed_one_never_rolls_the_killed_one_forward(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path
) -> None:
    """Killed with its intent written and the library not committed, then another import commits before
    anything reads the snowball file: the killed command's search must not be taken as committed (the
    library's commit token moved on, but by another commit). Every library commit settles first."""
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0
    _stopped(lib_path, "renamed", ".intent", ["import", "--source", SEARCH, str(XML)], tmp_path / "stopped")
    assert intent_path(lib_path).exists()
    records = _records(lib_path)
    assert run(capsys, *db, "import", str(DATA / "medline" / "36987902.txt"))[0] == 0  # (another commit)
    assert _records(lib_path) == records + 1
    state = SnowballFile.open(lib_path).load()
    assert state.searches == [] and state.pending == []
    assert not intent_path(lib_path).exists() and _leftovers(lib_path) == []


def test_settle_waits_for_a_live_writer_and_refuses_a_hostile_intent(lib_path: Path) -> None:
    Library.open(lib_path)
    assert settle(lib_path, Library.commit_token) == ""
    target = snowball_path(lib_path)
    intent_path(lib_path).write_text(
        json.dumps(
            {"intent": 1, "pid": 1, "library": None, "files": [["/etc/passwd", str(target), str(target)]]}
        )
    )
    with pytest.raises(Exception, match="names a file it does not own"):
        settle(lib_path, Library.commit_token)
    intent_path(lib_path).write_text("{")
    code = main(["--db", str(lib_path), "snowball", "rounds"])
    assert code == 3


def test_a_library_commit_that_fails_leaves_the_snowball_file_as_it_was(
    capsys: pytest.CaptureFixture[str], lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search staged, then the library's commit fails (a full disk): nothing is committed, the
    snowball file is byte-identical, no temp file or intent is left, one line."""
    from store.storage.committer import Committer

    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", "--source", "first", str(MEDLINE))[0] == 0
    before = snowball_path(lib_path).read_bytes()
    records = _records(lib_path)

    def full(self: Committer) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lib_path) + ".journal")

    monkeypatch.setattr(Committer, "_commit", full)
    code, out, err = run(capsys, *db, "import", "--source", SEARCH, str(XML))
    assert (code, out) == (3, "")
    assert err == f"pmbrowse: No space left on device ({lib_path}.journal); {LEFT_AS_IT_WAS}\n"
    monkeypatch.undo()
    assert snowball_path(lib_path).read_bytes() == before and _records(lib_path) == records
    assert _leftovers(lib_path) == []


def test_a_killed_commit_rolls_forward_through_a_linked_snowball_file(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path
) -> None:
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", "--source", "first", str(MEDLINE))[0] == 0
    path = snowball_path(lib_path)
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / path.name
    path.rename(target)
    path.symlink_to(target)
    _stopped(lib_path, "renaming", ".snowball.json", ["import", "--source", SEARCH, str(XML)], tmp_path / "s")
    assert intent_path(lib_path).exists()
    names = [s.name for s in SnowballFile.open(lib_path).load().searches]
    assert names == ["first", SEARCH] and path.is_symlink() and os.readlink(path) == str(target)
    assert _leftovers(lib_path) == [] and not [p for p in target.parent.iterdir() if p != target]
