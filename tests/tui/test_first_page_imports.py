"""The first page's thread (``tui.firstpage``) reads; it imports none of the library's write path, which
it would otherwise import while Textual is imported beside it (``store.storage.Storage``)."""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from tests.tui.helpers import imported_by

WRITING = ("store.storage.committer", "store.storage.compactor", "store.storage.table", "store.storage.fold")


def test_the_first_page_imports_none_of_the_write_path(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()  # the demo library, and its search index
    code = (
        "import sys; from pathlib import Path; from tui import firstpage; "
        "firstpage.start(Path(sys.argv[1]), ''); page = firstpage.take(Path(sys.argv[1]), None); "
        "assert page is not None and page.results is not None and page.results.hits"
    )
    assert imported_by(code, WRITING, str(path)) == []
