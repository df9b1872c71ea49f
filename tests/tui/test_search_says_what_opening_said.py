"""``pmbrowse search`` with a search index to build opens the library as every command does
(``tui.commands.base.open_library``): what opening it said is said on stderr, and it is closed as the
command ends. Before stop 31's end it opened the library on its own and never closed it, so a notice
of its opening (here: its document index damaged, and rebuilt) was never said (fix31's finding)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store.library import Library
from store.search.meta import index_folder
from tui.cli import main


def test_search_says_the_document_index_it_rebuilt(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(index_folder(demo_path))  # (a search index to build: the library is opened)
    doc_index = demo_path.with_name(demo_path.name + ".idx")
    assert doc_index.exists()
    doc_index.write_bytes(doc_index.read_bytes()[:40])  # (cut: rebuilt as the library opens)
    code = main(["--db", str(demo_path), "search", "exosomes"])
    out, err = capsys.readouterr()
    assert code == 0 and "Exosomes" in out
    assert f"{doc_index}" in err and "it was rebuilt from library.json" in err, err
    assert err.count("it was rebuilt") == 1
    assert len(Library.open(demo_path)) > 0
