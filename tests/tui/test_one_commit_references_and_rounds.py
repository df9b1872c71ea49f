"""One commit for the two commands that committed in two steps (issue 20, "one transaction for
everything one command changes"; ``store.intent``): ``import --source`` of reference-manager files (RIS,
BibTeX, CSV, lists), alone or with files of the library's formats, and ``snowball --online``. Killed -9
at each step of the commit, on a full disk (a small tmpfs, every amount of room it can be left with) or
interrupted after the library committed, the library and the snowball file hold everything the command
changes, or nothing of it, byte for byte. The online round runs against the local HTTP server."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Origin
from store.snowball.state import SnowballFile, SnowballState
from store.storage.committer import Committer
from tests.conftest import DATA, ROOT
from tests.online_server import ICITE_2025, ICiteBank, LocalServer
from tests.tui import test_cli_online, test_one_command_one_commit
from tests.tui.helpers import run
from tests.tui.test_one_commit_across_files import COMMITTED, MEDLINE, SEARCH, STOPS, XML, _stopped
from tui.commands.base import LEFT_AS_IT_WAS

RIS = DATA / "references" / "endnote.ris"
BIB = DATA / "references" / "zotero.bib"
IMPORTS = {
    "references": ["import", "--source", SEARCH, str(RIS), str(BIB)],
    "references and records": ["import", "--source", SEARCH, str(RIS), str(XML)],
}
SEED = "32162448"
# The fixtures of a small tmpfs and of the command line's online settings pointed at the local server.
small_disk = test_one_command_one_commit.small_disk
online_env = test_cli_online.online_env
_fill = test_one_command_one_commit._fill
ROUND = ["snowball", "--ids", SEED, "--online", "--direction", "forward"]


def _files(lib_path: Path) -> dict[str, bytes]:
    """The library's files by name: its records, the marks and snowball files, an intent (not its locks,
    nor the search index's folder, which is derived; a temp file a command killed before its intent left
    is removed by the next command that writes the file: ``_leftovers``)."""
    return {
        p.name: p.read_bytes()
        for p in lib_path.parent.iterdir()
        if p.is_file() and p.name.startswith("library") and not p.name.endswith(".lock")
    }


def _leftovers(lib_path: Path) -> list[str]:
    return sorted(
        p.name for p in lib_path.parent.iterdir() if p.name.endswith((".pending", ".intent", ".tmp"))
    )


def _state(lib_path: Path) -> SnowballState:
    return SnowballFile.open(lib_path).load()


def _cited_by(lib_path: Path) -> int:
    library = Library.open(lib_path, demo=False)
    seed = library.find(SEED)
    assert seed is not None
    return len(library.links(seed, "cited_by"))


def _with_seed(lib_path: Path) -> None:
    """A library holding the seed's record without its links, and a snowball file (a reason added)."""
    library = Library.open(lib_path, demo=False)
    with library.transaction() as changes:
        changes.put_article(Article(pmid=SEED, title="Gastric emptying", year=2020), Origin("test"))
    library.close()
    SnowballFile.open(lib_path).change(lambda state: state.reasons.append("kept"))


@pytest.fixture
def icite(online_env: LocalServer) -> LocalServer:
    online_env.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    return online_env


# Reference-manager files ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", IMPORTS)
@pytest.mark.parametrize(("step", "name"), STOPS)
def test_a_reference_import_killed_at_each_step_keeps_its_records_and_search_together(
    capsys: pytest.CaptureFixture[str], lib_path: Path, tmp_path: Path, which: str, step: str, name: str
) -> None:
    """Before, the reference files' records were committed first, the search noted as pending before
    them and completed after: killed in between, the records were in and the search pending."""
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0
    SnowballFile.open(lib_path).change(lambda state: state.reasons.append("kept"))
    before = _files(lib_path)
    records = Library.open(lib_path, demo=False).stats().records
    _stopped(lib_path, step, name, IMPORTS[which], tmp_path / "stopped")
    # The next command, whatever it is, settles what the killed one left: here a read of the report.
    code, out, err = run(capsys, *db, "snowball", "report", "--format", "json")
    state = _state(lib_path)
    assert state.pending == [] and "kept" in state.reasons
    if (step, name) in COMMITTED:
        assert code == 0, err
        assert Library.open(lib_path, demo=False).stats().records > records
        [search] = state.searches
        assert search.name == SEARCH and search.files == [str(p) for p in IMPORTS[which][3:]]
        assert len(search.entries) > 2 and all(search.entries)
        assert '"database_results": ' + str(len(search.entries)) in out
    else:
        assert code == 1 and "nothing to report yet" in err
        assert _files(lib_path) == before  # (the settling removed the temp file and the intent)
    # The same import again records the search once, and leaves nothing of the killed one behind.
    assert run(capsys, *db, *IMPORTS[which])[0] == 0
    assert [s.name for s in _state(lib_path).searches] == [SEARCH] and _leftovers(lib_path) == []


def test_a_reference_import_matches_its_entries_to_the_records_it_adds_in_the_same_commit(
    capsys: pytest.CaptureFixture[str], lib_path: Path
) -> None:
    """The entries are matched to the library's articles inside the transaction (it sees what it has
    just added): an entry naming a record of the XML file imported with it counts that record, and one
    without a PMID is listed unresolved."""
    db = ("--db", str(lib_path))
    seeds = DATA / "references" / "seeds.txt"
    code, out, err = run(capsys, *db, "import", "--source", SEARCH, str(seeds), str(XML), str(RIS))
    assert code == 0, err
    [search] = _state(lib_path).searches
    library = Library.open(lib_path, demo=False)
    for keys in search.entries:  # every entry names an article the library holds, by its own keys
        doc_id = library.find_keys(keys)
        assert doc_id is not None and list(keys) == [k for k in keys if k in _keys_of(library, doc_id)]
    assert f"database search {SEARCH!r}: {len(search.entries)} records from 3 files" in out


def _keys_of(library: Library, doc_id: int) -> set[str]:
    from store.merge import doc_keys

    return set(doc_keys(library.doc(doc_id) or {}))


@pytest.mark.parametrize("which", IMPORTS)
def test_a_reference_import_on_a_full_disk_changes_nothing_at_any_room_left(
    capsys: pytest.CaptureFixture[str],
    small_disk: Path,
    which: str,
) -> None:
    """Left every amount of room from none up to enough: the import fails in one line and changes no
    file, or does everything. (Before, the pending note was written and the library's commit failed.)"""
    lib_path = small_disk / "library.json"
    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0
    SnowballFile.open(lib_path).change(lambda state: state.reasons.append("kept"))
    failures = _sweep(capsys, small_disk, lib_path, IMPORTS[which])
    assert failures > 0
    assert [s.name for s in _state(lib_path).searches] == [SEARCH]


def _sweep(capsys: pytest.CaptureFixture[str], disk: Path, lib_path: Path, command: list[str]) -> int:
    """Run ``command`` on ``disk`` filled but for 0, 1, 2... pages until it succeeds; each failure must
    be one line and leave the library's files byte-identical. Returns how many failed."""
    for room in range(64):
        before = _files(lib_path)
        _fill(disk, room)
        code, out, err = run(capsys, "--db", str(lib_path), *command)
        if code == 0:
            (disk / "filler").unlink()
            return room
        assert (code, out) == (3, ""), err
        assert err.count("\n") == 1 and err.startswith("pmbrowse: "), err
        assert "No space left on device" in err or "is the disk full?" in err, err
        assert err.endswith(f"; {LEFT_AS_IT_WAS}\n"), err  # (and it was: the files are compared next)
        assert _files(lib_path) == before, f"changed with {room} pages of room"
        assert _leftovers(lib_path) == []
    raise AssertionError("the command never succeeded")


def test_an_interrupt_after_the_library_committed_keeps_the_search(
    capsys: pytest.CaptureFixture[str], lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted (Ctrl-C) after the library's commit, before the snowball file's temp file is renamed
    into place: the library committed, so the search is kept too (before, it was thrown away)."""
    from store.search.feed import TransactionFeed

    db = ("--db", str(lib_path))
    assert run(capsys, *db, "import", str(MEDLINE))[0] == 0
    records = Library.open(lib_path, demo=False).stats().records

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(TransactionFeed, "finish", interrupted)
    code, _, err = run(capsys, *db, *IMPORTS["references and records"])
    monkeypatch.undo()
    assert code == 130
    assert "left as it was" not in err and "committed" in err  # (not told that nothing changed)
    assert Library.open(lib_path, demo=False).stats().records > records
    assert [s.name for s in _state(lib_path).searches] == [SEARCH] and _leftovers(lib_path) == []


# An online round -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("step", "name"), STOPS)
def test_an_online_round_killed_at_each_step_keeps_the_links_and_the_round_together(
    capsys: pytest.CaptureFixture[str],
    lib_path: Path,
    tmp_path: Path,
    icite: LocalServer,
    step: str,
    name: str,
) -> None:
    """Before, the links and stubs the services gave were committed first and the round kept after:
    killed in between, the library held the links and no round."""
    _with_seed(lib_path)
    before = _files(lib_path)
    _stopped(lib_path, step, name, ROUND, tmp_path / "stopped")
    state = _state(lib_path)  # (settles what the killed command left)
    assert "kept" in state.reasons
    if (step, name) in COMMITTED:
        [done] = state.rounds
        assert done.sources == ["library", "icite"] and len(done.new) == _cited_by(lib_path) > 0
    else:
        assert state.rounds == [] and _cited_by(lib_path) == 0
        assert _files(lib_path) == before
    # The same round again: kept once (a round that finds nothing new is not kept), nothing left behind.
    code, _, err = run(capsys, "--db", str(lib_path), *ROUND)
    assert code == 0, err
    assert len(_state(lib_path).rounds) == 1 and _leftovers(lib_path) == []


def test_an_online_round_whose_commit_fails_changes_neither_file(
    capsys: pytest.CaptureFixture[str], lib_path: Path, icite: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round staged, then the library's commit fails: one line, both files as they were."""
    _with_seed(lib_path)
    before = _files(lib_path)

    def full(self: Committer) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lib_path) + ".journal")

    monkeypatch.setattr(Committer, "_commit", full)
    code, out, err = run(capsys, "--db", str(lib_path), *ROUND)
    monkeypatch.undo()
    assert (code, out) == (3, "") and err.endswith(
        f"pmbrowse: No space left on device ({lib_path}.journal); {LEFT_AS_IT_WAS}\n"
    )
    assert _files(lib_path) == before and _leftovers(lib_path) == []


@pytest.mark.parametrize("command", [ROUND, IMPORTS["references"]], ids=["online round", "import"])
def test_no_room_for_the_snowball_file_changes_neither_file(
    capsys: pytest.CaptureFixture[str],
    lib_path: Path,
    icite: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    """The disk has room for the library's commit and not for the snowball file's new content. (Before,
    the online round's links were committed, and then the round could not be kept: exit 3, the links in
    the library and no round.)"""
    from store import atomicwrite

    _with_seed(lib_path)
    before = _files(lib_path)
    real = atomicwrite._write_new

    def no_room(tmp: Path, data: object, mode: int | None) -> None:
        if ".snowball.json." in tmp.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        real(tmp, data, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(atomicwrite, "_write_new", no_room)
    code, out, err = run(capsys, "--db", str(lib_path), *command)
    monkeypatch.undo()
    assert (
        (code, out) == (3, "")
        and err.startswith("pmbrowse: No space left on device (")
        and err.count("\n") == 1
    )
    assert _files(lib_path) == before and _leftovers(lib_path) == []


def test_an_online_round_on_a_full_disk_changes_nothing_at_any_room_left(
    capsys: pytest.CaptureFixture[str],
    small_disk: Path,
    icite: LocalServer,
) -> None:
    lib_path = small_disk / "library.json"
    _with_seed(lib_path)
    assert _sweep(capsys, small_disk, lib_path, ROUND) > 0
    [done] = _state(lib_path).rounds
    assert len(done.new) == _cited_by(lib_path) > 0


def test_an_online_preview_commits_the_links_alone_and_a_list_ended_early_runs_no_round(
    capsys: pytest.CaptureFixture[str], lib_path: Path, icite: LocalServer
) -> None:
    _with_seed(lib_path)
    snowball = SnowballFile.open(lib_path).path.read_bytes()
    code, out, err = run(capsys, "--db", str(lib_path), *ROUND, "--preview")
    assert code == 0, err
    assert out.startswith("Preview of round 1") and _cited_by(lib_path) > 0
    assert SnowballFile.open(lib_path).path.read_bytes() == snowball


def test_a_command_meanwhile_waits_for_the_online_round_and_sees_it_whole(
    lib_path: Path, tmp_path: Path, icite: LocalServer
) -> None:
    """Two processes at once: the round paused with its intent written and the library not committed
    (alive, holding the locks); another command reading the snowball file waits for it rather than
    settling its intent, and then sees the links and the round."""
    _with_seed(lib_path)
    paused, go, waiting = tmp_path / "paused", tmp_path / "go", tmp_path / "waiting"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store import atomicwrite
        real_rename = atomicwrite.rename
        def rename(source, target):
            real_rename(source, target)
            if str(target).endswith(".intent"):
                open({str(paused)!r}, "w").close()
                while not __import__("os").path.exists({str(go)!r}):
                    time.sleep(0.01)
        atomicwrite.rename = rename
        from tui.cli import main
        sys.exit(main(["--db", {str(lib_path)!r}, *{ROUND!r}]))
        """
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    reader = None
    try:
        deadline = time.monotonic() + 60
        while not paused.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert paused.exists(), writer.stderr.read().decode() if writer.stderr else ""
        # The reader notes when it finds a lock held (and waits, as ``store.lock`` does): the test
        # waits for that, not for a fixed second.
        main = textwrap.dedent(
            f"""
            import fcntl, sys
            real_flock = fcntl.flock
            def flock(fd, operation):
                try:
                    return real_flock(fd, operation)
                except BlockingIOError:
                    open({str(waiting)!r}, "w").close()
                    raise
            fcntl.flock = flock
            from tui.cli import main
            sys.exit(main(sys.argv[1:]))
            """
        )
        command = [sys.executable, "-c", main, "--db", str(lib_path), "snowball", "rounds", "--json"]
        reader = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while not waiting.exists() and reader.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting.exists() and reader.poll() is None  # (waiting for the round's locks)
        go.touch()
        out, err = reader.communicate(timeout=60)
        assert writer.wait(timeout=60) == 0
    finally:
        for proc in (writer, reader):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert reader.returncode == 0, err.decode()
    assert [(r["round"], r["sources"]) for r in json.loads(out)["rounds"]] == [(1, ["library", "icite"])]
    assert _cited_by(lib_path) > 0 and _leftovers(lib_path) == []
