"""A compaction due at a command's end that meets damage (``Library.compact_if_due``) says it once, in a
notice naming ``pmbrowse check`` and ``pmbrowse repair``, and is not tried again on the same layers
(``store.storage.duedamage``): before stop 30 the error was dropped silently and every command's end
read up to the damage again."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.storage import compactor as compaction
from tests.store.helpers import count_calls
from tests.store.test_journal_segments import _damage_a_link_change, _files, commit, three_segments


def _damaged_and_due(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library whose command's end is due to merge four segments, one of them damaged; that one."""
    damaged = three_segments(path, monkeypatch)
    _damage_a_link_change(damaged)
    commit(path, 500, 10, close=False)
    assert Library.open(path)._storage.compactor.plan() == compaction.SEGMENT
    return damaged


def test_damage_met_at_a_command_s_end_is_said_once_and_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    damaged = _damaged_and_due(path, monkeypatch)
    before = _files(path)
    tries = count_calls(monkeypatch, Library, "compact")
    first = Library.open(path)
    first.close()
    said = [n for n in first.notices if damaged.name in n]
    assert len(said) == 1 and "\n" not in said[0], first.notices
    assert "pmbrowse check" in said[0] and "pmbrowse repair" in said[0]
    assert _files(path) == before  # (the library's files as they were)
    assert tries[0] == 1
    for _ in range(3):  # (later commands' ends: not tried, not said again)
        again = Library.open(path)
        assert again.compaction_due
        again.close()
        assert not [n for n in again.notices if "compaction" in n], again.notices
    assert tries[0] == 1
    # Other layers (here: the file that remembers them removed) make the next end try, and say, again.
    path.with_name(path.name + ".compact-damaged").unlink()
    again = Library.open(path)
    again.close()
    assert len([n for n in again.notices if damaged.name in n]) == 1 and tries[0] == 2


def test_the_command_line_says_the_damage_its_end_met(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command's library is closed as its process ends (``tui.commands.base``), after the notices of
    the command's end were said: what the compaction then met must be said too. Seen red: nothing."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = tmp_path / "library.json"
    damaged = _damaged_and_due(path, monkeypatch)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": "1"}
    command = [sys.executable, "-m", "tui", "--db", str(path), "stats"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done
    said = [line for line in done.stderr.splitlines() if damaged.name in line]
    assert len(said) == 1 and "pmbrowse repair" in said[0], done.stderr
