"""``pmbrowse compact`` says what its compaction did (stop 30): the Ctrl-C handling is
``Library.compact``'s alone (``store.compaction``), which reads the state it starts from under the
write lock. The command's own copy of it read that state before the lock, so with ``--due`` a commit
another process made just before ours, then a Ctrl-C before our commit point, was said to be "after
the library committed" of a compaction that never happened."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from store.importer import import_paths
from store.library import Library
from store.storage.compactor import Compactor
from tests.conftest import ROOT
from tests.tui.helpers import compactable
from tui.cli import main
from tui.commands import compacting

XML = ROOT / "tests" / "data" / "pubmed_xml"


@pytest.mark.parametrize("due", [False, True], ids=["full", "due"])
def test_a_ctrl_c_before_its_commit_after_another_process_committed_says_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], due: bool
) -> None:
    lib = compactable(tmp_path / "library.json")
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")  # (``--due``: the journal is past its threshold)
    real_open = compacting.open_library

    def opened_then_another_commits(args: argparse.Namespace, err: object) -> Library:
        library = real_open(args, err)  # type: ignore[arg-type]
        other = Library.open(lib)  # (as another process would: a commit this library has not read)
        import_paths(other, [str(XML / "baseline_style.xml")])
        other._storage.close()
        return library

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # (before anything is written: the compaction's commit point not reached)

    monkeypatch.setattr(compacting, "open_library", opened_then_another_commits)
    monkeypatch.setattr(Compactor, "_to_segments", interrupted)
    monkeypatch.setattr("store.storage.compactor.write_state", interrupted)
    capsys.readouterr()
    rc = main(["--db", str(lib), "compact", *(["--due"] if due else [])])
    said = capsys.readouterr().err
    assert rc == 130
    assert said == "pmbrowse: interrupted; the library was left as it was before this command\n", said


# What a Ctrl-C after a commit says (``tui.cli.interrupted``) ----------------------------------------


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("import", "interrupted after the library committed: what this command imported or changed is in it"),
        ("compact", "interrupted after the library committed: the compaction is in it"),
        (
            "the app",
            "interrupted in the app after the library committed: what this session stored is in the library",
        ),
    ],
)
def test_a_ctrl_c_after_a_commit_says_what_is_in_the_library(where: str, said: str) -> None:
    """It said "what this command imported or changed is in it" whatever committed: of the app (its
    compaction as it quit, say), which is no command, and of ``compact``, which imports nothing."""
    from store.errors import InterruptedAfterCommit
    from tui.cli import StartInterrupt, interrupted

    interrupt = StartInterrupt()
    if where == "the app":
        interrupt.app = object()  # type: ignore[assignment]
    else:
        interrupt.command = where
    assert interrupted(InterruptedAfterCommit(), interrupt) == said
