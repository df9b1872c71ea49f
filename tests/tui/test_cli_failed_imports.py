"""An error raised while ``tui.cli._main`` imports what it needs (its imports are inside its ``try``,
so that ctrl-C is taken while they run: stop 28) is said as it is, not hidden: the ``except`` clauses
named classes those imports had not bound yet, so an ``OSError`` reading a module came out as an
``UnboundLocalError`` with a traceback instead of the one line an unreadable file gets (exit 3)."""

from __future__ import annotations

import errno
import importlib.abc
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from tui.cli import main


class _Unreadable(importlib.abc.MetaPathFinder):
    """Fails the import of one module with ``error`` (as reading its file would)."""

    def __init__(self, name: str, error: Exception) -> None:
        self.name = name
        self.error = error

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if fullname == self.name:
            raise self.error
        return None


def _failing(monkeypatch: pytest.MonkeyPatch, name: str, error: Exception) -> None:
    # (The modules ``_main`` imports are taken out too, whatever a test before imported: else one
    # already imported holds ``name`` and the import that fails is never made.)
    for module in (name, "tui.commands", "tui.commands.base"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Unreadable(name, error), *sys.meta_path])


UNREADABLE = OSError(errno.EIO, "Input/output error", "/somewhere/module.py")


@pytest.mark.parametrize("module", ["store.errors", "tui.commands", "tui.commands.base"])
def test_an_oserror_while_the_commands_are_imported_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, module: str
) -> None:
    _failing(monkeypatch, module, UNREADABLE)
    rc = main(["--db", str(tmp_path / "lib.json"), "stats"])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert err == "pmbrowse: Input/output error (/somewhere/module.py)\n"


def test_another_error_while_they_are_imported_is_itself_not_a_name_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """(Not one pmbrowse says in a line: its own traceback, not an ``UnboundLocalError`` over it.)"""
    _failing(monkeypatch, "tui.commands.base", ImportError("a broken installation"))
    with pytest.raises(ImportError, match="a broken installation"):
        main(["--db", str(tmp_path / "lib.json"), "stats"])
