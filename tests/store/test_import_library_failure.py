"""An OSError of the library's own while an import takes a file's records (``Changes.put_document``
reading the library's files, ``Changes.flush`` writing a batch: a full disk) is the library's failure,
not the file's (stop 30). It was said "FILE: cannot read it (...)" of the import file, and when it came
at the file's first record the import went on and committed the other files, with what the failed
record had half made. Now the import fails whole: one line saying the library could not store the
file's records, with the OS's reason, and the library's files byte for byte as they were."""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path

import pytest

import store.importer as importer
from store.changes import Changes
from store.library import Library
from store.model import Origin
from store.unitofwork import Status
from tests.store.bulk_files import cited, pubmed_xml
from tui.cli import main
from tui.commands.base import LEFT_AS_IT_WAS

FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _two_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    lib = tmp_path / "lib" / "library.json"
    lib.parent.mkdir()
    Library.open(lib)._storage.close()
    rng = random.Random(3)
    first = pubmed_xml(tmp_path / "first.xml", [(i, cited(rng, i, 100, 4)) for i in range(1, 51)])
    second = pubmed_xml(tmp_path / "second.xml", [(i, cited(rng, i, 100, 4)) for i in range(51, 101)])
    return lib, first, second


def _fails_whole(
    lib: Path, files: tuple[Path, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """``pmbrowse import FILES`` (the library's failure patched in) exits 3 and prints nothing, and the
    library's files are byte for byte as they were, the patches undone: what it said on stderr."""
    before = _files(lib.parent)
    capsys.readouterr()
    code = main(["--db", str(lib), "import", *map(str, files)])
    out, err = capsys.readouterr()
    assert (code, out) == (3, ""), (out, err)
    monkeypatch.undo()
    assert _files(lib.parent) == before
    return err


@pytest.mark.parametrize("at", [1, 20], ids=["its first record", "mid-file"])
def test_a_library_failure_taking_a_record_fails_the_import_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], at: int
) -> None:
    lib, first, second = _two_files(tmp_path)
    real = Changes.put_document
    taken = [0]

    def put_document(self: Changes, incoming: dict[str, object], origin: Origin) -> Status:
        status = real(self, incoming, origin)  # (the record half taken: then the library fails)
        if origin.location.endswith("second.xml"):
            taken[0] += 1
            if taken[0] == at:
                raise FULL
        return status

    monkeypatch.setattr(Changes, "put_document", put_document)
    assert _fails_whole(lib, (first, second), monkeypatch, capsys) == (
        f"pmbrowse: the library could not store the records of {second}: No space left on device; "
        f"{LEFT_AS_IT_WAS}\n"
    )


def test_a_batch_the_library_cannot_write_fails_the_import_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """(It dropped the transaction and started again without the file: the others committed, and on a
    full disk each file's turn failed again, one more whole import each.)"""
    lib, first, second = _two_files(tmp_path)
    monkeypatch.setattr(importer, "FLUSH_AT", 60)  # (a batch written while the first file is read)

    def full(self: Changes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lib) + ".segments/x")

    monkeypatch.setattr(Changes, "flush", full)
    assert _fails_whole(lib, (first, second), monkeypatch, capsys) == (
        f"pmbrowse: the library could not store the records of {first}: No space left on device "
        f"({lib}.segments/x); {LEFT_AS_IT_WAS}\n"
    )
