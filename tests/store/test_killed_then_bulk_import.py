"""A real ``kill -9`` that leaves the search index stale just as a bulk import starts, then that bulk
import (``pmbrowse import``): it catches the index up with what it missed (``store.search.catchup``),
not a rebuild, feeds it its own records and commits it (a0b852c, tested there with the index's commit
skipped in process); ``pmbrowse search`` then finds the records of both imports and ``pmbrowse check``
finds nothing wrong."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from store.library import Library
from store.search import SearchIndex
from store.search.meta import index_folder, read_meta
from tests.conftest import ROOT
from tests.store.bulk_files import pmid
from tests.store.test_index_catch_up import (
    KILLED_AT_THE_INDEX,
    _answers,
    _file,
    _no_rebuild,
    _rebuilt,
    lib,  # noqa: F401  (the fixture: a library of 300 imported records, its index fresh)
)
from tui.cli import main

# The second import killed in its own catch-up: the index's documents committed, its record not yet.
KILLED_IN_THE_CATCH_UP = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import store.importer as importer
    import store.search.catchup as catchup
    from tui.cli import main
    importer.FLUSH_AT = 120
    catchup.write_meta = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    main(["--db", {lib!r}, "import", {file!r}])
    """
)


def _cli(capsys: pytest.CaptureFixture[str], lib_path: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--db", str(lib_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _killed(script: str) -> None:
    proc = subprocess.run([sys.executable, "-c", script], check=False, stdout=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL


def _stale(lib_path: Path) -> None:
    meta = read_meta(index_folder(lib_path))
    assert meta is not None and meta["library"] != list(Library.open(lib_path).state)
    assert SearchIndex.open_if_fresh(lib_path) is None


def _found(capsys: pytest.CaptureFixture[str], lib_path: Path, pmids: list[str]) -> None:
    for wanted in pmids:
        code, out, err = _cli(capsys, lib_path, "search", f"{wanted}[pmid]", "--json")
        assert code == 0, err
        assert [hit["pmid"] for hit in json.loads(out)] == [wanted]


def _checked(capsys: pytest.CaptureFixture[str], lib_path: Path) -> None:
    code, out, err = _cli(capsys, lib_path, "check")
    assert (code, err) == (0, ""), out + err
    assert "no problems found" in out


@pytest.mark.parametrize("tantivy_first", [False, True], ids=["before-tantivy", "before-record"])
def test_a_bulk_import_after_one_killed_before_its_index_commit(
    lib: Library,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tantivy_first: bool,
) -> None:
    first = _file(tmp_path / "c.xml", 280, 300, 580, seed=11)  # (overlaps the library's: merges)
    _killed(
        KILLED_AT_THE_INDEX.format(
            root=str(ROOT), lib=str(lib.path), file=str(first), tantivy_first=tantivy_first
        )
    )
    _stale(lib.path)  # (the first import committed, its index did not)
    caught: list[object] = []
    real = SearchIndex.catch_up.__func__  # type: ignore[attr-defined]

    def catch_up(cls: type[SearchIndex], *args: object) -> object:
        caught.append(args)
        return real(cls, *args)

    monkeypatch.setattr(SearchIndex, "catch_up", classmethod(catch_up))
    second = _file(tmp_path / "f.xml", 900, 200, 1100, seed=12)  # (cites the first's records too)
    with monkeypatch.context() as m:
        _no_rebuild(m)
        code, _out, err = _cli(capsys, lib.path, "import", str(second))
    assert code == 0, err
    # The import caught the index up as it started, fed it its records and committed it: fresh.
    assert SearchIndex.open_if_fresh(lib.path) is not None
    assert len(caught) == 1
    with monkeypatch.context() as m:
        _no_rebuild(m)
        _found(capsys, lib.path, [pmid(1), pmid(579), pmid(900), pmid(1099)])
    assert len(caught) == 1
    _checked(capsys, lib.path)
    reopened = Library.open(lib.path)
    assert reopened.stats().records == 580 + 200
    assert _answers(SearchIndex.for_library(reopened)) == _rebuilt(reopened, tmp_path)


def test_a_bulk_import_after_one_killed_in_its_own_catch_up(
    lib: Library,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Killed before its index commit, then the next import killed as it catches the index up (its
    documents committed to tantivy, the index's record not written): a third import still catches up."""
    first = _file(tmp_path / "c.xml", 280, 300, 580, seed=11)
    _killed(
        KILLED_AT_THE_INDEX.format(root=str(ROOT), lib=str(lib.path), file=str(first), tantivy_first=False)
    )
    second = _file(tmp_path / "f.xml", 900, 200, 1100, seed=12)
    _killed(KILLED_IN_THE_CATCH_UP.format(root=str(ROOT), lib=str(lib.path), file=str(second)))
    _stale(lib.path)
    assert Library.open(lib.path).stats().records == 580  # (killed as it started: not committed)
    third = _file(tmp_path / "g.xml", 1200, 150, 1350, seed=13)
    with monkeypatch.context() as m:
        _no_rebuild(m)
        code, _out, err = _cli(capsys, lib.path, "import", str(second), str(third))
    assert code == 0, err
    assert SearchIndex.open_if_fresh(lib.path) is not None
    with monkeypatch.context() as m:
        _no_rebuild(m)
        _found(capsys, lib.path, [pmid(1), pmid(579), pmid(1099), pmid(1349)])
    _checked(capsys, lib.path)
    reopened = Library.open(lib.path)
    assert _answers(SearchIndex.for_library(reopened)) == _rebuilt(reopened, tmp_path)
