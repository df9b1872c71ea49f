"""``pmbrowse compact`` whose new index cannot be renamed in once its new base is (stop 35, found by
stop 34's attack and left): the disk full, or the index made read-only, at that moment. The base's
rename is the compaction's commit point (``store.storage.generation``), so the compaction is in: it
exited 3 with "No space left on device (library.json.idx)" alone, as if nothing had happened, left the
old journal and the old generation's segments (what would free the full disk) in place, and the search
index of the state before (``check`` said so). Now it says it compacted, and why the index is rebuilt
on the next open, and leaves what a compaction leaves."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from store import atomicwrite
from store.importer import import_paths
from store.library import Library
from store.storage.compactor import base_generation
from store.storage.files import LibraryFiles
from tests.conftest import ROOT
from tests.store.helpers import FRESH_LIBRARY_FILES
from tests.tui.helpers import compactable
from tui.cli import main

XML = ROOT / "tests" / "data" / "pubmed_xml"


def _with_a_segment(lib: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal made a segment, then more commits in a new journal."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")
    assert main(["--db", str(lib), "compact", "--due"]) == 0
    monkeypatch.delenv("PMBROWSE_COMPACT_BYTES")
    library = Library.open(lib)
    import_paths(library, [str(XML / "baseline_style.xml")])
    library._storage.close()


@pytest.mark.parametrize("segments", [False, True], ids=["journal", "segments"])
def test_the_index_not_renamed_in_after_the_base_says_the_compaction_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], segments: bool
) -> None:
    lib = compactable(tmp_path / "lib" / "library.json")
    if segments:
        _with_a_segment(lib, monkeypatch)
        assert (lib.parent / "library.json.segments").is_dir()
    library = Library.open(lib)
    stats = library.stats()
    library.close()
    capsys.readouterr()
    real = atomicwrite.rename

    def rename(source: Path, target: Path) -> None:
        if Path(target).name == "library.json.idx":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(atomicwrite, "rename", rename)
    rc = main(["--db", str(lib), "compact"])
    said = capsys.readouterr()
    monkeypatch.undo()
    assert rc == 0, said
    assert "bytes of journal folded into the library file" in said.out, said
    assert "the compaction is in library.json, but its new index could not be written" in said.err, said
    assert "No space left on device" in said.err and "rebuilt" in said.err, said
    names = sorted(p.name for p in lib.parent.iterdir())
    assert names == FRESH_LIBRARY_FILES  # (no temp file left, the old generation's segments removed)
    generation = base_generation(LibraryFiles(lib, None))
    assert generation and generation in (lib.parent / "library.json.journal").read_text()  # (made new)
    again = Library.open(lib)
    assert again.stats() == stats
    assert again._reader.snap.journal is not None and not again._reader.snap.journal.commits
    again.close()
    assert main(["--db", str(lib), "check"]) == 0
    checked = capsys.readouterr()
    assert "no problems found" in checked.out and not checked.err, checked
    assert main(["--db", str(lib), "compact"]) == 0
    assert "nothing to do" in capsys.readouterr().out  # (it went through)


def test_the_base_not_renamed_in_leaves_the_library_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """(What held before: before its commit point, the disk full is said, and nothing changed.)"""
    lib = compactable(tmp_path / "lib" / "library.json")
    before = {p.name: p.read_bytes() for p in lib.parent.iterdir() if p.is_file()}
    real = atomicwrite.rename

    def rename(source: Path, target: Path) -> None:
        if Path(target) == lib:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(atomicwrite, "rename", rename)
    assert main(["--db", str(lib), "compact"]) == 3
    said = capsys.readouterr().err
    assert "No space left on device" in said and "left as it was before this command" in said, said
    assert {p.name: p.read_bytes() for p in lib.parent.iterdir() if p.is_file()} == before
