"""A transaction that fails leaves the library's files as they were: the segments it wrote are removed
(``store.storage.spilling.discard``), and so is the segments' folder when the transaction made it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.storage.segment import SegmentWriter
from tests.store.test_tiering import _file
from tui.cli import main
from tui.commands.base import LEFT_AS_IT_WAS


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def finish(self: SegmentWriter) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(SegmentWriter, "finish", finish)


def said(imported: Path) -> str:
    """What ``pmbrowse import`` says when the disk fills under it: the file, the error, the library."""
    return (
        f"pmbrowse: the library could not store the records of {imported}: No space left on device; "
        f"{LEFT_AS_IT_WAS}\n"
    )


def test_a_failed_import_on_a_full_disk_leaves_no_empty_segments_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first batch of an import into a library without segments makes the segments' folder; the
    disk is full, the import fails, and the folder went with it (it was left behind, empty)."""
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    _full_disk(monkeypatch)
    capsys.readouterr()
    big = _file(tmp_path / "big.xml", 1, 600, 600, refs=4)
    code = main(["--db", str(lib_path), "import", str(big)])
    err = capsys.readouterr().err
    assert code != 0 and err == said(big), err
    assert not lib_path.with_name("library.json.segments").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "big.xml") == before


def test_a_failed_import_keeps_a_segments_folder_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder was there with the library's segments: a failed import removes only its own."""
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    import_paths(lib, [str(_file(tmp_path / "first.xml", 1, 600, 600, refs=4))])
    folder = lib_path.with_name("library.json.segments")
    listed = sorted(p.name for p in folder.iterdir())
    assert listed
    _full_disk(monkeypatch)
    capsys.readouterr()
    big = _file(tmp_path / "big.xml", 601, 600, 1200, refs=4)
    code = main(["--db", str(lib_path), "import", str(big)])
    err = capsys.readouterr().err
    assert code != 0 and err == said(big), err
    assert sorted(p.name for p in folder.iterdir()) == listed
    monkeypatch.undo()
    assert Library.open(lib_path).stats().records == 601


def test_segments_a_fold_could_not_remove_go_with_the_next_writer_and_their_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fold whose segments' folder is read-only cannot remove the segments it folded into the new base
    (``generation.remove_old_segments``): they are left, unlisted, and the library is whole. The next
    command that writes, the folder writable again, removes them (``spilling.remove_orphans``) and
    the folder, as the fold would have (the folder was left behind, empty)."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    import_paths(lib, [str(_file(tmp_path / "first.xml", 1, 600, 600, refs=4))])
    stats = lib.stats()
    folder = lib_path.with_name("library.json.segments")
    folded = sorted(p.name for p in folder.iterdir())
    assert folded
    real_unlink = Path.unlink

    def read_only(self: Path, missing_ok: bool = False) -> None:  # (tests run as root: chmod is no use)
        if self.parent == folder:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    assert main(["--db", str(lib_path), "compact"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == folded  # (left, and listed by nothing)
    assert Library.open(lib_path).stats() == stats
    monkeypatch.setattr(Path, "unlink", real_unlink)
    capsys.readouterr()
    one = str(_file(tmp_path / "one.xml", 700, 1, 700, refs=2))
    assert main(["--db", str(lib_path), "import", one]) == 0, capsys.readouterr().err
    assert not folder.exists()
    assert Library.open(lib_path).stats().records == stats.records + 1
