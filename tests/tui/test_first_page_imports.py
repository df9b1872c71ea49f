"""The first page's thread (``tui.firstpage``) reads; it imports none of the library's write path, which
it would otherwise import while Textual is imported beside it (``store.storage.Storage``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from store.library import Library

WRITING = ("store.storage.committer", "store.storage.compactor", "store.storage.table", "store.storage.fold")


def test_the_first_page_imports_none_of_the_write_path(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    Library.open(path).close()  # the demo library, and its search index
    code = (
        "import json, sys; from pathlib import Path; from tui import firstpage; "
        "firstpage.start(Path(sys.argv[1]), ''); page = firstpage.take(Path(sys.argv[1]), None); "
        "assert page is not None and page.results is not None and page.results.hits; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({WRITING!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    assert json.loads(out) == []
