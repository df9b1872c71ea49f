"""A library let go without ``close()`` closes its base and journal as it is freed (``OpenFile.own``):
before stop 31 their descriptors stayed open until the process ended (``pmbrowse search`` opened a
library to rebuild its index and never closed it; the app's searches did the same)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from store.library import Library
from store.model import Article, Origin


def _open_on(path: Path) -> list[str]:
    """This process's descriptors open on the library's base or journal."""
    names = {str(path), str(path) + ".journal"}
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target in names:
            found.append(target)
    return found


def test_a_library_dropped_unclosed_lets_go_of_its_files(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    lib = Library.open(path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="One"), Origin("test"))  # (a journal)
    lib.close()
    gc.collect()
    assert _open_on(path) == []
    for _ in range(3):
        dropped = Library.open(path)
        assert dropped.get("1") is not None
        assert sorted(_open_on(path)) == [str(path), str(path) + ".journal"]
        del dropped
        gc.collect()
        assert _open_on(path) == []
