"""A copied library in a folder that cannot be written (``reuse_index``): its index cannot be written
again with the base's new times, so the base is not read whole for its CRC-32 first (0.7 s at 450 MB)
only to be read whole again by the rebuild (kept in memory) that follows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from store import fileformat
from store.library import Library
from tests.store.test_copied_library import copied, made  # noqa: F401  (the fixture)


def test_a_copy_in_a_read_only_folder_is_not_read_for_its_checksum(
    made: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen red before: the base's bytes read for their CRC-32, then the index rebuilt anyway."""
    copy = copied(made, tmp_path)
    access = os.access

    def read_only(path: Any, mode: int, **kwargs: Any) -> bool:
        # (Tests run as root, who may write anywhere: the folder is said not to be writable.)
        if Path(path) == copy.parent and mode & os.W_OK:
            return False
        return access(path, mode, **kwargs)

    summed: list[int] = []
    file_crc = fileformat.file_crc

    def counting(fd: int, size: int) -> int:
        summed.append(size)
        return file_crc(fd, size)

    monkeypatch.setattr(os, "access", read_only)
    monkeypatch.setattr(fileformat, "file_crc", counting)
    library = Library.open(copy)
    assert library.get("pmid:" + str(next(iter(Library.open(made).iter_docs()))[1].get("pmid"))) is not None
    assert summed == []
