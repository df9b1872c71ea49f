"""A command that fails on an OSError (a full disk) says, as a Ctrl-C does, that the library was left as
it was, when its files are as they were before the command (``Command.run``: ``on_disk``), and only
then: not after a commit that stood, nor where there was no library to leave."""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path

from rich.console import Console

from store.importer import import_paths
from store.library import Library
from tests.conftest import ROOT
from tui.cli import failure
from tui.commands.base import EXIT_UNAVAILABLE, LEFT_AS_IT_WAS, Command, Run, open_library

XML = ROOT / "tests" / "data" / "pubmed_xml"
FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/the/disk/file")
SAID = "pmbrowse: No space left on device (/the/disk/file)\n"  # (and no more)


def _run(lib: Path, body: Run) -> tuple[int, str]:
    """``body`` run as a command on ``lib``: its exit status and what it said on stderr (an OSError it
    let out said as ``tui.cli`` says it)."""
    err = Console(stderr=True, record=True, width=400, soft_wrap=True)
    command = Command("test", "", lambda _p: None, body)
    try:
        code = command.run(argparse.Namespace(db=str(lib)), Console(), err)
    except OSError as exc:
        said = failure(exc)
        assert said is not None
        code, line = said
        err.print(f"pmbrowse: {line}")
    return code, err.export_text()


def test_a_full_disk_before_any_commit_says_the_library_was_left_as_it_was(tmp_path: Path) -> None:
    lib = tmp_path / "library.json"
    Library.open(lib)

    def body(args: argparse.Namespace, _out: Console, err: Console) -> int:
        open_library(args, err)
        raise FULL

    assert _run(lib, body) == (
        EXIT_UNAVAILABLE,
        f"pmbrowse: No space left on device (/the/disk/file); {LEFT_AS_IT_WAS}\n",
    )


def test_a_full_disk_after_a_commit_that_stood_does_not(tmp_path: Path) -> None:
    lib = tmp_path / "library.json"
    Library.open(lib)

    def body(args: argparse.Namespace, _out: Console, err: Console) -> int:
        import_paths(open_library(args, err), [str(XML / "variants.xml")])
        raise FULL

    assert _run(lib, body) == (3, SAID)


def test_nor_where_there_was_no_library(tmp_path: Path) -> None:
    def body(args: argparse.Namespace, _out: Console, _err: Console) -> int:
        raise FULL

    assert _run(tmp_path / "library.json", body) == (
        3,
        "pmbrowse: No space left on device (/the/disk/file)\n",
    )
