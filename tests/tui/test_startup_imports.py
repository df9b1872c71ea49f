"""What the app imports before its first paint, beyond ``tests/tui/test_startup.py``'s library machinery:
none of the app's own modules that only a later moment needs (each is CPU time before the first
content: Python runs every module it imports, and Textual looks through every widget class defined)."""

from __future__ import annotations

from tests.tui.helpers import imported_by

# Imported where they are first used: the watcher of other processes' changes once the library is
# read (``tui.screens.main.changes``, ``tui.screens.main.loading``), the dialog of ``t`` and ``n``
# (``tui.screens.main.marking``), the other views and dialogs on their keys, the reader column's widgets
# once the first frame is painted (``tui.screens.main.reader``).
LATER = (
    "tui.refresh",
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
