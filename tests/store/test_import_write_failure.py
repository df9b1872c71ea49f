"""A batch that cannot be written while a file is imported (the disk full) is said to be a failure to
store the file, not to read it: the file was read; the library could not take it. (Since stop 30 the
import fails whole, raising ``NotStored``: tests/store/test_import_library_failure.py.)"""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path

import pytest

import store.importer as importer
from store.changes import Changes
from store.importer import NotStored, import_paths
from store.library import Library
from tests.store.bulk_files import cited, pmid, pubmed_xml


def test_a_batch_not_written_mid_file_says_the_file_could_not_be_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(tmp_path / "library.json")
    rng = random.Random(5)
    file = pubmed_xml(tmp_path / "new.xml", [(i, cited(rng, i, 300, 8)) for i in range(1, 301)])
    monkeypatch.setattr(importer, "FLUSH_AT", 100)

    def full(self: Changes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Changes, "flush", full)
    with pytest.raises(NotStored) as failed:
        import_paths(lib, [str(file)])
    said = f"the library could not store the records of {file}: No space left on device"
    assert failed.value.strerror == said
    assert lib.get(pmid(1)) is None and lib.stats().records == 1  # (the demo article alone)
