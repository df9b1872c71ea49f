"""In a command (``Library.fold_when_due``: ``pmbrowse import``), a bulk commit that the command's end
would fold into a new base is committed as that base at once (``Committer._fold``): an import into an
empty library writes its last batch into the base from memory and leaves no segments, instead of
listing them and folding them back at the command's end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.search import SearchIndex
from tests.conftest import ROOT
from tests.store.test_bulk_import import _after_kill, _everything, _file, _segments
from tests.store.test_crash_consistency import assert_links_agree


def _hits(lib: Library) -> list[str | None]:
    return [h.pmid for h in SearchIndex.for_library(lib).search("cells", sort="cited", limit=5).hits]


def test_a_bulk_import_into_an_empty_library_commits_a_base_with_what_the_fold_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        str(_file(tmp_path / "in.xml", 1, 400, 400, refs=6)),
        str(_file(tmp_path / "again.xml", 300, 200, 600, refs=4, seed=9)),  # (merges, stubs)
    ]
    whole = Library.open(tmp_path / "whole.json")
    import_paths(whole, files)  # (one batch: a journal commit)
    monkeypatch.setattr(importer, "FLUSH_AT", 200)
    folded = Library.open(tmp_path / "folded.json")
    folded.fold_when_due()
    import_paths(folded, files)
    assert _segments(folded) == []  # (the batches were folded into the base by the commit)
    journal = folded._storage.files.snap.journal
    assert journal is not None and journal.commits == 0 and not journal.segments
    assert not folded.compaction_due
    # As the import that lists its segments and the fold at the command's end make it.
    listed = Library.open(tmp_path / "listed.json")  # (not a command's: it lists its segments)
    import_paths(listed, files)
    assert len(_segments(listed)) > 5
    assert listed.compact() and _segments(listed) == []
    assert _everything(folded) == _everything(listed) == _everything(whole)
    assert_links_agree(folded)
    assert SearchIndex.open_if_fresh(folded.path) is not None  # (committed with the new base)
    assert _hits(folded) == _hits(listed) == _hits(whole)
    assert _everything(Library.open(folded.path)) == _everything(whole)


def test_a_bulk_import_into_a_large_library_lists_its_segments(tmp_path: Path, monkeypatch) -> None:
    lib = Library.open(tmp_path / "lib.json")
    lib.fold_when_due()
    import_paths(lib, [str(_file(tmp_path / "big.xml", 1, 600, 600, refs=6))])
    assert lib.compact()
    monkeypatch.setattr(importer, "FLUSH_AT", 100)
    import_paths(lib, [str(_file(tmp_path / "more.xml", 601, 60, 660, refs=4))])
    assert _segments(lib)  # (a tenth of the base: not folded)


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.importer as importer
    from store.importer import import_paths
    from store.library import Library
    importer.FLUSH_AT = 300
    lib = Library.open({lib!r})
    lib.fold_when_due()
    real_replace = os.replace
    def replace(src, dst):  # (the commit point: the new base's rename)
        if str(dst).endswith("library.json"):
            if {pause!r} == "after":
                real_replace(src, dst)
            open({marker!r}, "w").close()
            time.sleep(60)
        return real_replace(src, dst)
    os.replace = replace
    import_paths(lib, [{file!r}])
    """
)


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_kill_9_during_the_fold_of_a_bulk_import(tmp_path: Path, pause: str) -> None:
    file = _file(tmp_path / "big.xml", 1, 1500, 1500, refs=10)
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    marker = tmp_path / "at-commit"
    script = KILLED_WRITER.format(
        root=str(ROOT), lib=str(lib_path), file=str(file), marker=str(marker), pause=pause
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _records, found = _after_kill(lib_path, (1,) if pause == "before" else (1501,))
    assert found > 0  # (the batches written before it: unlisted, removed by the next writer)
