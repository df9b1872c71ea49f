"""What the app imports before its first paint, beyond ``tests/tui/test_startup.py``'s library machinery:
none of the app's own modules that only a later moment needs (each is CPU time before the first
content: Python runs every module it imports, and Textual looks through every widget class defined)."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import imported_by, json_of

# Imported where they are first used: the watcher of other processes' changes once the library is
# read (``tui.screens.main.changes``, ``tui.screens.main.loading``), the dialog of ``t`` and ``n``
# (``tui.screens.main.marking``), the other views and dialogs on their keys, the reader column's widgets
# once the first frame is painted (``tui.screens.main.reader``), the link panes' among them (the screen
# takes their rows' choice by its handler's name, ``on_link_list_chosen``, not by the class).
LATER = (
    "tui.refresh",
    "tui.widgets.links",
    "tui.widgets.article",
    "tui.widgets.panes",
    "tui.widgets.related",
    "tui.widgets.yearchart",
    "tui.screens.prompt",
    "tui.screens.help",
    "tui.screens.snowball",
    "tui.screens.map",
    "tui.screens.export",
    "tui.screens.screening",
    "tui.screens.headings",
)


def test_the_app_imports_only_what_its_first_screen_needs() -> None:
    assert imported_by("import tui.cli, tui.app", LATER) == []


# What ``pmbrowse`` imports on its main thread before it starts the first page's thread
# (``tui.firstpage``), beyond what it needs to read its command line and tell the file a library:
# the thread's own work waits for these (they hold the interpreter), and it imports what it needs itself.
BEFORE_THE_FIRST_PAGE = ("store.schema", "store.model", "store.metrics", "store.ids", "store.search")

_UNTIL_THE_FIRST_PAGE = """
import json, os, sys
import tui.cli, tui.firstpage
tui.cli.in_terminal = lambda: True
def start(path, target):
    print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))), flush=True)
    os._exit(0)
tui.firstpage.start = start
tui.cli.main(["--db", sys.argv[1]])
"""


def test_the_first_page_starts_before_the_library_s_layouts_are_imported(tmp_path: Path) -> None:
    library = tmp_path / "library.json"
    library.write_text('{"_meta": {"1": {"app": "pmbrowse", "schema": 3}}, "articles": {}}')
    code = _UNTIL_THE_FIRST_PAGE.format(prefixes=BEFORE_THE_FIRST_PAGE)
    assert json_of(code, str(library)) == []


def test_the_first_page_imports_no_cryptography() -> None:
    """A temp name needs no cryptographic randomness (``store.atomicwrite``): ``secrets`` imports
    ``hmac`` and ``base64`` (measured: 2-5 ms before the first frame)."""
    assert imported_by("import tui.cli, tui.app, store.session, store.search", ("secrets", "hmac")) == []
