"""``pmbrowse repair`` that fails on a full disk leaves nothing new (stop 35, found by stop 34's attack
and left): the journal it keeps aside (a hard link, or a copy where links cannot be made) before it
writes the new generation was left behind by each failed run, one more ``journal.damaged-*`` a run, and
the command, the library's folder changed, said the system's words alone. Now a repair that does not
reach its commit point takes back the copies it made of files still in place as they were, and says
that the library was left as it was."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from store.importer import import_paths
from store.library import Library
from tests.conftest import ROOT
from tests.mounts import tmpfs
from tests.store.test_reliability import damage_journal
from tests.tui.helpers import compactable
from tui.cli import main


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _damaged(folder: Path) -> Path:
    lib = compactable(folder / "library.json")
    library = Library.open(lib)  # (a second commit, damaged below)
    import_paths(library, [str(ROOT / "tests" / "data" / "pubmed_xml" / "baseline_style.xml")])
    library._storage.close()
    damage_journal(lib.with_name("library.json.journal"), "flipped bit")  # (repair keeps it aside)
    return lib


def _full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", "library.json.tmp")


def _fails_leaving_it_as_it_was(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(lib.parent)
    for _ in range(3):
        assert main(["--db", str(lib), "repair"]) == 3
        said = capsys.readouterr().err
        assert "No space left on device" in said and "left as it was before this command" in said, said
        assert _files(lib.parent) == before  # (no ``damaged-`` copy left, run after run)


def _repairs_once(lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(lib), "repair"]) == 0
    assert "set aside" in capsys.readouterr().out
    assert len([p for p in lib.parent.iterdir() if ".damaged-" in p.name]) == 1


@pytest.mark.parametrize("link", [True, False], ids=["hard-link", "copied"])
def test_a_repair_failing_before_its_commit_leaves_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], link: bool
) -> None:
    lib = _damaged(tmp_path / "lib")
    monkeypatch.setattr("store.storage.repair.write_state", _full)
    if not link:  # (a file system without hard links: the journal is copied aside)
        monkeypatch.setattr(os, "link", _full)
    _fails_leaving_it_as_it_was(lib, capsys)
    monkeypatch.undo()
    _repairs_once(lib, capsys)


def test_a_copy_cut_short_by_a_full_disk_is_not_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = _damaged(tmp_path / "lib")
    real = shutil.copyfile

    def cut_short(source: Path, target: Path) -> None:
        Path(target).write_bytes(Path(source).read_bytes()[:10])
        _full()
        real(source, target)

    monkeypatch.setattr(os, "link", _full)
    monkeypatch.setattr(shutil, "copyfile", cut_short)
    _fails_leaving_it_as_it_was(lib, capsys)


def test_a_repair_on_a_full_tmpfs_leaves_nothing_new(capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs("4m") as folder:
        lib = _damaged(folder / "lib")
        filler = folder / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # (the disk filled to its last block)
            while os.write(fd, bytes(4096)):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        # (a block left: the repair gets as far as its new base, its journal kept aside first)
        os.truncate(filler, os.path.getsize(filler) - 4096)
        capsys.readouterr()
        _fails_leaving_it_as_it_was(lib, capsys)
        filler.unlink()
        _repairs_once(lib, capsys)


def test_a_search_index_not_rebuilt_after_the_repair_says_what_was_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The storage repaired (its journal kept aside), then the search index's rebuild failing on the full
    disk: the command said "cannot build the search index ..." alone, not that the library was
    repaired, nor what it set aside."""
    from store.search.index import SearchIndex

    lib = _damaged(tmp_path / "lib")

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(f"cannot build the search index in {lib.parent}: No space left on device")

    monkeypatch.setattr(SearchIndex, "for_library", full)
    assert main(["--db", str(lib), "repair"]) == 3
    said = capsys.readouterr()
    assert "set aside" in said.out and "wrote library.json anew" in said.out, said
    assert "the library's files were repaired, but its search index could not be rebuilt" in said.err, said
    assert "No space left on device" in said.err, said
    assert len([p for p in lib.parent.iterdir() if ".damaged-" in p.name]) == 1  # (kept: it was repaired)
