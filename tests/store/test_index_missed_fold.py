"""A search index that missed a fold (a kill -9 between a compaction's new base and the index's record)
cannot be caught up (every document is in a new base) and is rebuilt whole: that is said, as opening
the library says what it rebuilt (``store.notices``: on stderr for a command, in the app as it loads).
Until stop 32 the rebuild (minutes at a million records) was silent."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from store import notices
from store.library import Library
from store.model import Article, Origin
from store.search import SearchIndex
from store.search.meta import index_folder, read_meta
from tests.conftest import ROOT
from tui.cli import main

SAID = "was of the library before its records were folded into a new base (a compaction or an import it"


def _library(path: Path) -> Library:
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        for n in range(1, 30):
            changes.put_article(
                Article(pmid=str(n), title=f"Narwhal study {n}", year=2000 + n % 9), Origin("t", "x")
            )
    SearchIndex.for_library(lib)
    assert SearchIndex.open_if_fresh(lib.path) is not None
    return lib


def test_a_missed_fold_is_said_when_the_index_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _library(tmp_path / "library.json")
    with monkeypatch.context() as m:
        m.setattr(SearchIndex, "after_compaction", staticmethod(lambda *args: None))
        assert lib.compact(full=True)
    notices.take(lib.path)
    said = len(lib.notices)
    index = SearchIndex.for_library(lib)
    assert index.search("narwhal", limit=100).total == 29
    new = lib.notices[said:]
    assert len(new) == 1 and SAID in new[0] and str(index_folder(lib.path)) in new[0], new
    assert notices.take(lib.path) == new  # (what the app shows as it loads)
    # Fresh now: nothing more is said.
    SearchIndex.for_library(lib)
    assert len(lib.notices) == said + 1


def test_an_index_caught_up_or_fresh_says_nothing(tmp_path: Path) -> None:
    lib = _library(tmp_path / "library.json")
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="77", title="Zeppelin"), Origin("t", "x"))
    assert lib.compact(full=True)  # (its index follows: no rebuild)
    said = len(lib.notices)
    SearchIndex.for_library(lib)
    assert lib.notices[said:] == []


KILLED_AFTER_THE_FOLD = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from store.library import Library
    from store.search import SearchIndex

    def killed(*args):  # (the base renamed in, the index's record not yet written)
        os.kill(os.getpid(), signal.SIGKILL)

    SearchIndex.after_compaction = staticmethod(killed)
    Library.open({lib!r}).compact(full=True)
    """
)


def test_pmbrowse_search_says_the_fold_a_kill_left_the_index_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = _library(tmp_path / "library.json")
    before = read_meta(index_folder(lib.path))
    lib.close()
    script = KILLED_AFTER_THE_FOLD.format(root=str(ROOT), lib=str(lib.path))
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert read_meta(index_folder(lib.path)) == before  # (of the base before)
    assert SearchIndex.open_if_fresh(lib.path) is None
    capsys.readouterr()
    code = main(["--db", str(lib.path), "search", "narwhal"])
    out, err = capsys.readouterr()
    assert code == 0 and "Narwhal study" in out
    assert err.count(SAID) == 1 and str(index_folder(lib.path)) in err, err
    # The next search answers from the rebuilt index, and says nothing.
    assert main(["--db", str(lib.path), "search", "narwhal"]) == 0
    assert SAID not in capsys.readouterr().err


def test_the_layers_recorded_are_those_of_the_library_s_own_state(tmp_path: Path) -> None:
    """The index's record names the layers of the state the library holds, read through its own
    descriptor: a journal another process renamed in since (here, a compaction) does not make them
    unknown. (Until stop 32 they were read from the journal on disk, and were then None: a missed
    commit after it cost a rebuild.)"""
    from store.search.catchup import layers_now

    lib = _library(tmp_path / "library.json")
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="88", title="Walrus"), Origin("t", "x"))
    state = lib.state
    journal = lib.path.with_name(lib.path.name + ".journal").read_bytes()[: state[1]]
    other = Library.open(lib.path)  # (another process's library, as far as the files go)
    assert other.compact(full=True)
    other.close()
    assert lib.state == state  # (this one has not read the new files)
    layers = layers_now(lib, state)
    assert layers is not None and layers["end"] == state[1], layers
    assert layers["crc"] == zlib.crc32(journal)
