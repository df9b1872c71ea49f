"""What the app imports before its first paint, beyond ``tests/tui/test_startup.py``'s library machinery:
none of the app's own modules that only a later moment needs (each is CPU time before the first
content: Python runs every module it imports, and Textual looks through every widget class defined)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Imported where they are first used: the watcher of other processes' changes once the library is
# read (``tui.screens.main.changes``, ``tui.screens.main.loading``), the dialog of ``t`` and ``n``
# (``tui.screens.main.marking``), the other views and dialogs on their keys.
LATER = (
    "tui.refresh",
    "tui.screens.prompt",
    "tui.screens.help",
    "tui.screens.snowball",
    "tui.screens.map",
    "tui.screens.export",
    "tui.screens.screening",
    "tui.screens.headings",
)


def test_the_app_imports_only_what_its_first_screen_needs() -> None:
    code = (
        "import json, sys; import tui.cli, tui.app; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({LATER!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    assert json.loads(out) == []
